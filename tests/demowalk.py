"""A crawler written apart from the project's: it walks each demo site the way a crawler adapter must (pager
script, datastore + POST dataproxy, GET dataproxy pages, JSON APIs, home_N.htm, the custom list, the chinatax-like
POST API, the jpaas unit build API) and fetches each report's document as a browser would see it, so that a change
to a site's URL conventions breaks the demo portal's tests (test_demo_portal.py) rather than passing unseen."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from urllib.parse import unquote, urljoin

from govreports import schema

UA = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"}
REPORT_TITLE = re.compile(r"信息公开.{0,6}(?:年度报告|工作报告)")
DOC = "doc" if shutil.which("soffice") else "docx"  # without LibreOffice the demo serves its .doc reports as DOCX


def is_report_title(title: str) -> bool:
    return bool(REPORT_TITLE.search(title.replace(" ", ""))) and "通知" not in title


# --- crawl helpers: one per CMS ---------------------------------------------------------------------------------------

def crawl_trs(client, at, column: str, encoding: str) -> dict[str, str]:
    found, url, seen_pages = {}, at(column), set()
    first = client.get(url)
    text = first.content.decode(encoding)
    # createPageHTML(count, current, name, ext), or tobacco.gov.cn's ("page_div", count, current, name, ext, records)
    if call := re.search(r'createPageHTML\((?:"\w+",\s*)?(\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"(?:,\s*\d+)?\)', text):
        count, _, name, ext = call.groups()
    else:  # the real ordos column's inline pager: `var countPage = N` and a loop writing index_i.html
        count, name, ext = re.search(r"var countPage = (\d+)//", text).group(1), "index", column.rsplit(".", 1)[1]
    one_based = "index_N.shtml" in text  # the gbk site's comment: pages are 1-based from 2
    pages = [f"{name}.{ext}"] + [f"{name}_{k + 1 if one_based else k}.{ext}" for k in range(1, int(count))]
    for page in pages:
        page_url = urljoin(url, page)
        seen_pages.add(page_url)
        text = client.get(page_url).content.decode(encoding)
        for href, title in re.findall(r'<a href="(\./\d{6}/t\d{8}_\d+\.s?html)" title="([^"]*)"', text):
            found[urljoin(page_url, href)] = title
    return found


def crawl_hanweb(client, at) -> dict[str, str]:
    column = at("/hanweb/col/col12377/index.html")
    text = client.get(column).text
    unitid = re.search(r'<div id="(\d+)"><script type="text/xml">', text).group(1)
    total = int(re.search(r"totalRecord:(\d+)", text).group(1))
    per, group = (int(x) for x in re.search(r"perPage:(\d+),groupSize:(\d+)", text).groups())
    template = re.search(r"<nextgroup><!\[CDATA\[<a href=\"([^\"]+)\"", text).group(1)
    params = dict(p.split("=", 1) for p in template.split("?", 1)[1].split("&"))
    record = re.compile(r'<a target="_blank" href="([^"]+)" title="([^"]*)">')
    found = {urljoin(column, h): t for h, t in record.findall(text)}
    junk = text.count("<li style=<br/>")  # records with no link (PORTALS.md §4), counted in totalRecord
    proxy = at(re.search(r"proxyUrl:'([^']+)'", text).group(1))
    for start in range(per * group + 1, total + 1, per * group):
        form = {"col": "1", "appid": "1", "webid": params["webid"], "path": "/", "columnid": params["columnid"],
                "sourceContentType": "1", "unitid": unitid, "webname": unquote(unquote(params["webname"])),
                "permissiontype": "0"}
        r = client.post(proxy, params={"startrecord": start, "endrecord": start + per * group - 1, "perpage": per},
                        data=form, headers={"X-Requested-With": "XMLHttpRequest", "Referer": column})
        assert r.status_code == 200 and f"<totalrecord>{total}</totalrecord>" in r.text
        found.update({urljoin(column, h): t for h, t in record.findall(r.text)})
        junk += r.text.count("<li style=<br/>")
    assert len(found) + junk == total and junk
    return found


def crawl_hanweb_get(client, at) -> dict[str, str]:
    """The Hanweb column whose dataproxy.jsp takes only GET: its <nextgroup> template with page=N swapped, to the
    last page <totalpage> names (page 1 repeats the island's records)."""
    column = at("/wenzhou/col/col1229463/index.html")
    text = client.get(column).text
    template = urljoin(column, re.search(r"<nextgroup><!\[CDATA\[<a href=\"([^\"]+)\"", text).group(1))
    record = re.compile(r'<a target="_blank" href="([^"]+)" title="([^"]*)">')
    found, n, pages = {urljoin(column, h): t for h, t in record.findall(text)}, 0, 1
    while (n := n + 1) <= pages:
        r = client.get(template.replace("page=1&", f"page={n}&", 1), headers={"Referer": column})
        pages = int(re.search(r"<totalpage>(\d+)</totalpage>", r.text).group(1))
        found.update({urljoin(column, h): t for h, t in record.findall(r.text)})
    assert len(found) == int(re.search(r"totalRecord:(\d+)", text).group(1)) and pages > 2
    return found


def crawl_jpaas(client, at) -> dict[str, str]:
    """The jpaas column page lists nothing: its list unit's script asks the unit build API with the unit's queryData
    and paramJson={"pageNo":N,"pageSize":15}; each answer's data.html holds the rows (links relative to the column
    page, the title in title=), to the count its pagination div names."""
    column = at("/taizhou/col/col56732/index.html")
    text = client.get(column).text
    units = re.findall(r'<script [^>]*src="[^"]*unitbuild\.js" url="([^"]+)" queryData="([^"]+)"', text)
    api, query = next((url, json.loads(unescape(q).replace("'", '"'))) for url, q in units if "list" in q)
    row = re.compile(r'<li class="clearfix"><a href="([^"]+)" title="([^"]*)"')
    found, n, total = {}, 0, None
    while total is None or n * 15 < total:
        n += 1
        params = {**query, "paramJson": json.dumps({"pageNo": n, "pageSize": 15})}
        fragment = client.get(urljoin(column, api), params=params, headers={"Referer": column}).json()["data"]["html"]
        total = int(re.search(r'<div class="pagination" rows="15" count="(\d+)"', fragment).group(1))
        found.update({urljoin(column, href): unescape(title) for href, title in row.findall(fragment)})
    assert len(found) == total and n > 2
    return found


def js_unescape(text: str) -> str:
    return re.sub(r"%u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def crawl_gkmlpt(client, at) -> dict[str, str]:
    text = client.get(at("/gd/gkmlpt/index")).text
    sid = re.search(r"SID: '(\d+)'", text).group(1)
    cat = re.search(r"\{id: (\d+), name: '政府信息公开年报'", text).group(1)
    found, page = {}, 1
    while True:
        data = client.get(at(f"/gd/gkmlpt/api/all/{cat}"), params={"page": page, "sid": sid}).json()
        if not data["articles"]:
            break
        found.update({a["url"]: js_unescape(a["title"]) for a in data["articles"]})
        page += 1
    return found


def crawl_govcn(client, at) -> dict[str, str]:
    found, queue, seen = {}, [at("/govcn/zhengce/xxgknb/home.htm")], set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        text = client.get(url).text
        for href, title in re.findall(r'<li><h4><a href="([^"]+)" target="_blank">([^<]+)</a>', text):
            found[urljoin(url, href)] = title
        queue += [urljoin(url, h) for h in re.findall(r'<a href="(home(?:_\d+)?\.htm)">', text)]
    return found


def crawl_custom(client, at, column: str = "/custom/xxgk/nb/list") -> dict[str, str]:
    """div.doc-row rows: the full title only in span.doc-title's title attribute, the link a 查看 button, the next
    page only behind a.pg-next (no 下一页, no page numbers in links)."""
    found, url, seen = {}, at(column), set()
    row = re.compile(r'<div class="doc-row">.*?<span class="doc-title" title="([^"]+)">[^<]*</span>\s*'
                     r'<a class="doc-open" href="([^"]+)"[^>]*>查看</a>\s*<em class="doc-time">(\d{4}/\d{2}/\d{2})</em>')
    while url and url not in seen:
        seen.add(url)
        text = client.get(url).text
        found.update({urljoin(url, href.replace("&amp;", "&")): title for title, href, _ in row.findall(text)})
        nxt = re.search(r'<a class="pg-next" href="([^"]+)">', text)
        url = urljoin(url, nxt.group(1)) if nxt else None
    return found


def crawl_tax(client, at) -> dict[str, str]:
    """The column page lists nothing itself: its script POSTs the channelId it names to getFileListByCodeId, page by
    page, and writes each item's titleHtml (HTML: tags and entities) until `total` items are read."""
    column = at("/tax/n810214/c102384r/index.html?tab=gknb")
    text = client.get(column).text
    assert "content.html" not in text  # no list in the HTML
    channel = re.search(r"var channelId = '(\w+)'", text).group(1)
    api = urljoin(column, re.search(r"fetch\('([^']+)'", text).group(1))
    found, page, total = {}, 1, None
    while total is None or len(found) < total:
        form = {"channelId": channel, "page": page, "size": 20, "relateSubChannels": "true"}
        data = client.post(api, data=form, headers={"Referer": column}).json()["results"]["data"]
        assert data["results"], page
        total = data["total"]
        found.update({urljoin(column, x["url"]): unescape(re.sub(r"<[^>]+>", "", x["titleHtml"])).replace("\xa0", " ")
                      for x in data["results"]})
        page += 1
    return found


def crawl_all(client, at) -> dict[str, str]:
    found = {}
    found.update(crawl_trs(client, at, "/ordos/zwgk/xxgknb/index.html", "utf-8"))
    found.update(crawl_trs(client, at, "/gbk/zwgk/xxgknb/index.shtml", "gb18030"))
    found.update(crawl_hanweb(client, at))
    found.update(crawl_gkmlpt(client, at))
    found.update(crawl_govcn(client, at))
    found.update(crawl_custom(client, at))
    found.update(crawl_hanweb_get(client, at))
    found.update(crawl_tax(client, at))
    found.update(crawl_jpaas(client, at))
    return found


# --- fetching a report's document the way an adapter must ---------------------------------------------------------------

def fetch_document(client, report) -> tuple[bytes, dict]:
    """(bytes to parse, hints) for a report: the page, the gkmlpt JSON body, or the attachment it links."""
    page = client.get(report.url)
    assert page.status_code == 200, report
    if report.attachment_url:
        text = page.content.decode("gb18030" if report.site == "gbk" else "utf-8")
        # (the TRS needdownload link of an .xls: appendix, data-appendix and needdownload before its href)
        hrefs = re.findall(r'<a (?:appendix="true" )?(?:data-appendix="true" needdownload="true" )?'
                           r'href=\\?"([^"\\]+\.(?:pdf|docx?|ofd|xlsx?|zip))\\?"', text)
        hrefs += re.findall(r'href="(/hanweb/module/download/downfile\.jsp\?[^"]+)"', text)
        hrefs += re.findall(r'class=\\"nfw-cms-attachment\\" href=\\"([^"\\]+)\\"', text)
        assert hrefs, report
        target = urljoin(report.url, hrefs[0].replace("&amp;", "&"))
        assert target == report.attachment_url
        doc = client.get(target, follow_redirects=True)
        assert doc.status_code == 200
        # a scan's title line may not survive OCR: the list's title is the hint, as the crawler gives it
        return doc.content, ({"title": report.list_title, "published": report.list_date} if report.kind == "scan"
                             else {})
    if pager := re.search(r'createPageHTML\((\d+), 0, "(t\d{8}_\d+)", "(s?html)"\)', page.text):
        # a TRS article split over pages: the later pages' bodies belong to the report (t…_1.html, …)
        from govreports.portals.adapters.base import join_pages

        count, stem, ext = int(pager.group(1)), pager.group(2), pager.group(3)
        later = [client.get(urljoin(report.url, f"{stem}_{k}.{ext}")) for k in range(1, count)]
        assert all(p.status_code == 200 for p in later), report
        return join_pages(page.text, [p.text for p in later]), {}
    if report.kind == "pictures":  # a 图片版 report: the pictures its article shows, in order, as the crawl reads them
        from govreports.extract.images import bundle

        pictures = re.findall(r'<img src="(\./W0\d+_\d+\.jpg)"', page.text)
        assert pictures, report
        answers = [client.get(urljoin(report.url, p)) for p in pictures]
        assert all(a.status_code == 200 and a.headers["content-type"] == "image/jpeg" for a in answers), report
        return bundle([a.content for a in answers]), {"title": report.list_title, "published": report.list_date}
    if script := re.search(r'<script src="(js/content_\d+\.js)"></script>', page.text):
        # the report is the `let content = "…"` of a JavaScript data file beside the page (sites/custom.py)
        from govreports.portals.adapters.datafile import content_html, report_page

        data = client.get(urljoin(report.url, script.group(1)))
        assert data.status_code == 200, report
        return report_page(page.text, content_html(data.text)), {}
    if report.site == "gd":
        detail = json.loads(re.search(r"window\._CONFIG\.DETAIL = (\{.*\});</script>", page.text).group(1))
        return detail["content"].encode("utf-8"), {"title": detail["title"], "published": detail["publish_time"]}
    return page.content, {}


def assert_matches(parsed: dict, truth: dict, where) -> None:
    if truth.get("served_as") in ("scan", "pictures"):  # read by OCR (~70% of cells exact): what it is, that OCR read
        for key in ("year", "format", "title", "agency"):  # it, and every page of it
            assert parsed[key] == truth[key], (where, key, parsed[key], truth[key])
        read, _, pages = parsed["ocr_pages"].partition("/")
        assert parsed.get("ocr") is True and read == pages and int(pages) >= 2, (where, parsed.get("ocr"))
        return
    for key in ("year", "format", "title", "agency", "published"):
        assert parsed[key] == truth[key], (where, key, parsed[key], truth[key])
    if truth["format"] == "pre2019":
        assert parsed["sections"] == truth["sections"], where
        return
    for table, row, col, value in schema.iter_cells(truth):
        got = parsed[table][row][col]
        assert got == value and type(got) is type(value), (where, table, row, col, value, got)
