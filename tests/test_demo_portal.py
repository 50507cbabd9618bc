"""The demo portal: determinism, every list reaches every report, served reports parse to the ground truth,
validators and 304s, edits, faults, the 403 for python-httpx, the GBK site, and scale.

The walk of each site (tests/demowalk.py) is written apart from the crawler's adapters, the way an adapter must
walk it (pager script, datastore + POST or GET dataproxy, JSON APIs, home_N.htm), so a change to a site's URL
conventions breaks these tests.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin

import httpx
import pytest
from demowalk import DOC, UA, assert_matches, crawl_all, fetch_document, is_report_title

from govreports.demo import DemoPortal, FaultConfig
from govreports.demo.catalog import SITES
from govreports.demo.hosts import path_of
from govreports.parse import parse_bytes


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=0).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def client():
    with httpx.Client(headers=UA, timeout=10) as c:
        yield c


# --- tests ---------------------------------------------------------------------------------------------------------

def test_same_seed_same_reports_and_bytes(portal, client):
    other = DemoPortal(seed=0).start()
    try:
        assert [(r.id, r.list_title, path_of(r.url)) for r in other.reports] == \
               [(r.id, r.list_title, path_of(r.url)) for r in portal.reports]
        assert list(other.ground_truth().values()) == list(portal.ground_truth().values())
        sample = [r for r in portal.reports if r.site in ("ordos", "gbk", "hanweb", "govcn", "custom")][::7]
        sample += [r for r in portal.reports if r.attachment_url and r.site != "gd"][:2]
        for r in sample:
            url = r.attachment_url or r.url
            a = client.get(url, follow_redirects=True)
            b = client.get(other.url(path_of(url)), follow_redirects=True)
            assert a.content == b.content and a.headers["etag"] == b.headers["etag"], url
    finally:
        other.stop()
    different = DemoPortal(seed=1)
    assert [r.list_title for r in different.reports] != [r.list_title for r in portal.reports]
    assert list(different.ground_truth().values()) != list(portal.ground_truth().values())


def test_default_portal_shape(portal):
    reports = portal.reports
    assert 60 <= len(reports) <= 130
    # the catalog's sites, and the columns with items of their own: Hanweb by GET pages (sites/wenzhou.py), jpaas
    # (sites/taizhou.py)
    assert {r.site for r in reports} == set(SITES) | {"wenzhou", "taizhou"}
    assert 10 <= sum(r.site == "custom" for r in reports) <= 16
    assert 20 < len(portal.catalog.items["tax"]) <= 40  # the chinatax-like column: two pages of 20, the last short
    assert {r.record["format"] for r in reports} == {"pre2019", "2019", "2021"}
    # and the two reports published only as a spreadsheet (catalog.SPREADSHEETS), one packed in a zip
    assert {r.kind for r in reports} == {"html", "pdf", "docx", "ofd", "scan", DOC, "xlsx", "xls", "pictures", "zip"}
    assert len({r.record["agency"] for r in reports}) >= 8
    # two re-posts of the city's reports, and a （超链版） PDF beside the plain one
    assert len(portal.reposts()) == 3 and set(portal.reposts().values()) <= set(portal.ground_truth())


def test_doc_ofd_and_scanned_reports_are_served_as_real_portals_serve_them(portal, client):
    """Issue 13: Word 97 .doc on the TRS sites, OFD on the gkmlpt and custom sites, one scanned 图片版 PDF (two
    pages, no text layer) on a TRS site; each kind with its media type, marked in the ground truth."""
    from govreports.extract.sniff import sniff

    truth = portal.ground_truth()
    assert {url: r["served_as"] for url, r in truth.items()} == {r.url: r.kind for r in portal.reports}
    legacy = {}
    for r in portal.reports:
        if r.kind in ("doc", "ofd", "scan"):
            legacy.setdefault(r.kind, []).append(r.site)
    assert legacy == {**({"doc": ["ordos", "gbk"]} if DOC == "doc" else {}), "ofd": ["ordos", "gd", "custom"],
                      "scan": ["ordos"]}
    media = {"doc": ("application/msword", "doc"), "ofd": ("application/ofd", "ofd"), "scan": ("application/pdf", "pdf")}
    for r in portal.reports:
        if r.kind not in media:
            continue
        assert r.attachment_url.endswith("." + media[r.kind][1]) and r.record["format"] in ("2019", "2021"), r
        doc = client.get(r.attachment_url)
        assert doc.headers["content-type"] == media[r.kind][0] and sniff(doc.content) == media[r.kind][1], r
        if r.kind == "scan":
            import pypdfium2 as pdfium

            assert "（图片版）.pdf</a>" in client.get(r.url).text
            pdf = pdfium.PdfDocument(doc.content)
            assert len(pdf) == 2 and not pdf[0].get_textpage().get_text_range().strip()
        if r.kind == "ofd" and r.site == "ordos":  # written by the older TRS template's script, no <a> in the HTML
            page = client.get(r.url).text
            name = r.attachment_url.rsplit("/", 1)[1]
            outside = re.sub(r"<script.*?</script>", "", page, flags=re.S)
            assert f"var att = '<a href=\"./{name}\"" in page and name not in outside
    # the same choice whatever the scale: growing the portal neither moves nor multiplies them
    big = DemoPortal(seed=0, scale=1000)
    assert sorted((it.id, it.kind) for it in big.catalog.reports() if it.kind in media) == \
        sorted((r.id, r.kind) for r in portal.reports if r.kind in media)


def test_spreadsheet_reports_are_served_only_as_a_workbook(portal, client):
    """PORTALS.md §3/§11: a report published only as a spreadsheet, the article a stub linking ./P0….xlsx (written by
    the older TRS template's `var att` script) or ./P0….xls (the newer needdownload link); served with its media
    type, sniffed as what it is, and read back (extract.xls) to the ground truth, every cell. One of each table
    format; the same reports whatever the scale."""
    from govreports import schema
    from govreports.extract.sniff import sniff
    from govreports.parse import parse_bytes

    sheets = {r.kind: r for r in portal.reports if r.kind in ("xlsx", "xls")}
    assert sorted(sheets) == ["xls", "xlsx"] and [sheets["xlsx"].site, sheets["xls"].site] == ["ordos", "gbk"]
    assert {r.record["format"] for r in sheets.values()} == {"2019", "2021"}
    media = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "xls": "application/vnd.ms-excel"}
    truth = portal.ground_truth()
    for kind, r in sheets.items():
        assert truth[r.url]["served_as"] == kind and r.attachment_url.endswith(f".{kind}")
        name = r.attachment_url.rsplit("/", 1)[1]
        assert name.startswith("P0")
        page = client.get(r.url).text
        assert "<table" not in page.split('class="TRS_Editor"')[1].split("</div>")[0]  # a stub: no report in it
        if kind == "xlsx":
            assert f"var att = '<a href=\"./{name}\"" in page
        else:
            assert f'needdownload="true" href="./{name}"' in page
        doc = client.get(r.attachment_url)
        assert doc.headers["content-type"] == media[kind] and sniff(doc.content) == kind
        record = parse_bytes(doc.content)
        assert record["source_format"] == kind
        for key in ("title", "agency", "year", "format", "published", "sections"):
            assert record[key] == r.record[key], (kind, key)
        cells = list(schema.iter_cells(r.record))
        assert len(cells) >= 199
        assert [(t, row, c, record[t][row][c]) for t, row, c, _ in cells] == cells, kind
    big = DemoPortal(seed=0, scale=1000)
    assert sorted((it.id, it.kind) for it in big.catalog.reports() if it.kind in media) == \
        sorted((r.id, r.kind) for r in sheets.values())


def test_lists_reach_every_report(portal, client):
    found = crawl_all(client, portal.url)
    reports = {url for url, title in found.items() if is_report_title(title)}
    truth = set(portal.ground_truth())
    assert reports == truth | set(portal.reposts())
    assert set(found) - reports == set(portal.nonreports())


def test_served_reports_parse_to_ground_truth(portal, client):
    from govreports.extract.toolcache import tool_cache_for

    truth = portal.ground_truth()
    tools = tool_cache_for(None)  # the session's: the scan and the .docs are read by their programs once a session
    for report in portal.reports:
        data, hints = fetch_document(client, report)
        # OCR's budget as a worker gives it (the crawl reads on where a page was cut): this test is its reading
        assert_matches(parse_bytes(data, hints=hints, tools=tools, ocr_budget=120.0), truth[report.url], report)
    assert any(r.site == "govcn" and r.record["format"] == "pre2019" for r in portal.reports), \
        "a free-form report as <p>s inside gov.cn's td#UCAP-CONTENT (a layout cell, not a data cell)"


def test_reposts_serve_the_original_record(portal, client):
    """A re-post's page shows the original's record; a （超链版）'s page links its own file, the record hyperlinked."""
    truth = portal.ground_truth()
    files = 0
    for repost, original in portal.reposts().items():
        item = portal.catalog.by_path[path_of(repost)]
        if item.attachment_path:
            files += 1
            page = client.get(repost).content.decode("gb18030" if "/gbk/" in repost else "utf-8")
            assert f"{item.list_title}.pdf" in page and item.attachment_path.rsplit("/", 1)[1] in page
            served = client.get(portal.url(item.attachment_path))
            assert served.headers["content-type"] == "application/pdf" and b"/Subtype /Link" in served.content
            repost = portal.url(item.attachment_path)
        assert_matches(parse_bytes(client.get(repost).content), truth[original], repost)
    assert files == 1


def test_conditional_requests_and_edit(client):
    portal = DemoPortal(seed=3).start()
    try:
        report = next(r for r in portal.reports if r.kind == "html" and r.record["format"] == "2021")
        first = client.get(report.url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert re.fullmatch(r'"[0-9a-f]{40}"', etag)
        portal.clear_requests()
        assert client.get(report.url, headers={"If-None-Match": etag}).status_code == 304
        again = client.get(report.url, headers={"If-Modified-Since": modified})
        assert again.status_code == 304 and again.content == b""
        assert [r.conditional for r in portal.requests] == [True, True]
        old = parse_bytes(first.content)["applications"]["new"]["natural_person"]
        portal.edit(report.id)
        changed = client.get(report.url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert changed.headers["last-modified"] != modified
        parsed = parse_bytes(changed.content)
        assert parsed["applications"]["new"]["natural_person"] == (old or 0) + 1
        assert portal.ground_truth()[report.url]["applications"]["new"]["natural_person"] == (old or 0) + 1
        lst = client.get(portal.url("/ordos/zwgk/xxgknb/index.html"))
        assert "etag" in lst.headers and "last-modified" in lst.headers
    finally:
        portal.stop()


def test_blocked_user_agents(portal):
    url = portal.reports[0].url
    with httpx.Client() as default:
        assert default.get(url).status_code == 403
    with httpx.Client(headers={"User-Agent": ""}) as empty:
        assert empty.get(url).status_code == 403
    assert portal.requests[-1].status == 403


def test_gbk_site_bytes(portal, client):
    r = client.get(portal.url("/gbk/zwgk/xxgknb/index.shtml"))
    assert r.headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("gb18030")
    assert 'charset=gb2312' in text and "信息公开年报" in text
    # tobacco.gov.cn's call (PORTALS.md §3): the pager <div>'s id first, the current page 1-based, the record count last
    pages = -(-len(portal.catalog.items["gbk"]) // 10)
    assert f'createPageHTML("page_div", {pages}, 1, "index", "shtml", {len(portal.catalog.items["gbk"])});' in text
    assert 'id="page_div"' in text
    report = next(x for x in portal.reports if x.site == "gbk" and x.kind == "html")
    page = client.get(report.url).content
    assert parse_bytes(page)["year"] == report.record["year"]


def test_ordos_pages_its_column_with_the_real_columns_countpage_script(portal, client):
    """The real ordos column (samples/html/trs_ordos_engebei_xxgknb_list.html) has no createPageHTML call: its count
    is `var countPage = N` and its links are written by an inline document.write loop. The demo's ordos served
    createPageHTML like the GBK site, so no demo crawl met the form the one real TRS list page has."""
    column = "/ordos/zwgk/xxgknb/"
    first = client.get(portal.url(column + "index.html")).text
    assert "createPageHTML" not in first and "var currentPage = 0;//所在页从0开始" in first
    count = int(re.search(r"var countPage = (\d+)//共多少页", first).group(1))
    items = [r for r in portal.reports if r.site == "ordos"]
    assert count >= 2 and len(items) <= count * 20
    assert 'document.write("&nbsp;<a href=\\"index"+"_" + i + "."+"html\\">"+(i+1)+"</a>&nbsp;|");' in first
    last = client.get(portal.url(f"{column}index_{count - 1}.html")).text
    assert f"var currentPage = {count - 1};" in last and f"var countPage = {count}//" in last
    assert client.get(portal.url(f"{column}index_{count}.html")).status_code == 404


def test_gbk_list_rows_cut_their_titles_and_date_them_inside_the_link(portal, client):
    """mva.gov.cn's list markup (PORTALS.md §3): the date <span> inside the <a>, the text cut with "…", the whole
    title only in title=. The demo's TRS lists were all ordos's table rows; the TRS adapter reads the title from
    title= and the date from the row, here inside the link."""
    import asyncio

    from govreports.portals.adapters.trs import TrsAdapter
    from govreports.portals.config import PortalConfig

    start = portal.url("/gbk/zwgk/xxgknb/index.shtml")
    text = client.get(start).content.decode("gb18030")
    rows = re.findall(r'<li><a href="([^"]+)" title="([^"]*)" target="_blank">([^<]*)<span class="date">'
                      r"(\d{4}-\d\d-\d\d)</span></a></li>", text)
    assert len(rows) == 10 and "gl_list" not in text
    assert any(shown.endswith("…") and title.startswith(shown[:-1]) and shown[:-1] != title
               for _, title, shown, _ in rows)

    class Ctx:
        async def fetch_list(self, url, **kwargs):
            r = client.get(url)

            class Page:  # as the fetcher decodes it: GB18030 for the page's gb2312
                ok, final_url, body = r.is_success, str(r.url), r.content
                text = r.content.decode("gb18030")

            return Page()

        def capped(self, next_url):  # the first page only
            pass

    async def first_page():
        adapter = TrsAdapter(PortalConfig(name="g", adapter="trs", start_url=start, max_pages=1,
                                          params={"page_offset": 1, "page_ext": "shtml"}))
        return [x async for x in adapter.discover(Ctx())]

    by_url = {portal.url(path_of(x.url)): x for x in asyncio.run(first_page())}
    for it in portal.catalog.items["gbk"][:10]:
        listed = by_url[portal.url(it.path)]
        assert (listed.title, listed.list_date) == (it.list_title, it.list_date)


def test_hanweb_is_strict(portal, client):
    proxy = portal.url("/hanweb/module/web/jpage/dataproxy.jsp")
    assert client.get(proxy, params={"page": 1}).status_code == 400
    bad = client.post(proxy, params={"startrecord": 46, "endrecord": 90, "perpage": 15}, data={"columnid": "12377"})
    assert bad.status_code == 400 and "<recordset></recordset>" in bad.text
    report = next(r for r in portal.reports if r.site == "hanweb" and r.attachment_url)
    hop = client.get(report.attachment_url)
    assert hop.status_code == 302 and re.fullmatch(r"/hanweb/attach/0/[0-9a-f]{32}\.(pdf|docx)", hop.headers["location"])
    assert re.search(r"/hanweb/art/\d{4}/[1-9]\d?/[1-9]\d?/art_12377_\d+\.html$", report.url)


def test_hanweb_column_holds_junk_records_its_total_counts(portal, client):
    """Real Hanweb record sets hold junk `<li style=<br/>` fragments (PORTALS.md §4) that totalRecord counts; the
    demo's held none, and an adapter counting its ranges by listings met no such column. The adapter reads the
    column whole in one POST past the island, never named short."""
    import asyncio

    from govreports.portals.adapters.hanweb import HanwebAdapter
    from govreports.portals.config import PortalConfig

    start = portal.url("/hanweb/col/col12377/index.html")
    text = client.get(start).text
    items = [portal.url(it.path) for it in portal.catalog.items["hanweb"]]  # reports and the column's other items
    junk = text.count("<li style=<br/>")
    total = int(re.search(r"totalRecord:(\d+)", text).group(1))
    assert junk >= 1 and total > len(items) + junk  # more junk in the range POSTed

    class Ctx:
        requests, short_at = [], []

        async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, **kwargs):
            r = client.request(method, url, data=data, headers={**(headers or {}), "Referer": referer or ""})
            r.ok, r.final_url, r.body, r.status = r.is_success, str(r.url), r.content, r.status_code
            self.requests.append(method)
            return r

        def short(self, *args, **kwargs):
            self.short_at.append(args)

    async def run(ctx):
        adapter = HanwebAdapter(PortalConfig(name="h", adapter="hanweb", start_url=start))
        return [x.url async for x in adapter.discover(ctx)]

    ctx = Ctx()
    assert sorted(asyncio.run(run(ctx))) == sorted(items)
    assert ctx.requests == ["GET", "POST"] and ctx.short_at == []


def test_robots_and_private_area(portal, client):
    robots = client.get(portal.url("/ordos/robots.txt").replace("/ordos/robots.txt", "/robots.txt")).text
    assert "Disallow: /ordos/private/" in robots and "/gbk/" not in robots
    # each host has its own robots.txt: the other sites' name nothing of ordos's private folder
    gbk = client.get(portal.url("/gbk/").replace("/gbk/", "/robots.txt")).text
    assert gbk == "User-agent: *\nDisallow:\n"
    assert client.get(portal.url("/ordos/private/index.html")).status_code == 200
    assert any(r.path.startswith("/ordos/private/") for r in portal.requests)
    assert client.get(portal.url("/govcn/zhengce/zhengceku/")).status_code == 403
    assert client.get(portal.url("/jiucuo.js")).status_code == 200


def test_each_site_is_a_host_of_its_own(portal, client):
    """PORTALS.md §11: agencies on separate hostnames. Each site answers on a loopback address of its own, the same
    port; another site's path on it is a 404, as on another agency's server; the directory host links them all."""
    from govreports.demo.hosts import SITE_ADDRESSES

    hosts = {r.site: httpx.URL(r.url).host for r in portal.reports}  # 9: the gate site is off here
    assert len(set(hosts.values())) == len(hosts) == 9 and set(hosts.values()) <= set(SITE_ADDRESSES.values())
    assert {httpx.URL(r.url).port for r in portal.reports} == {portal.port}
    ordos = next(r for r in portal.reports if r.site == "ordos" and r.kind == "html")
    assert client.get(ordos.url).status_code == 200
    elsewhere = ordos.url.replace(hosts["ordos"], hosts["gbk"])
    assert client.get(elsewhere).status_code == 404
    assert client.get(ordos.url.replace(hosts["ordos"], "127.0.0.1")).status_code == 404
    assert [r.host for r in portal.requests[-3:]] == [hosts["ordos"], hosts["gbk"], "127.0.0.1"]
    index = client.get(portal.base_url + "/").text
    assert portal.url("/ordos/") in index and portal.url("/gd/gkmlpt/index") in index
    assert f"<small>{hosts['wenzhou']}:{portal.port}</small>" in index  # every site listed, with its host
    assert f"<small>{hosts['taizhou']}:{portal.port}</small>" in index
    home = client.get(portal.url("/hanweb/").replace("/hanweb/", "/"))  # a site host's / leads to its home page
    assert home.status_code == 302 and home.headers["location"].startswith(portal.url("/hanweb/"))


URL_FAULTS = "500,503,429,slow,reset,truncate,redirect-loop"


def test_url_faults():
    portal = DemoPortal(seed=0, faults=FaultConfig.parse(URL_FAULTS)).start()
    try:
        with httpx.Client(headers=UA, timeout=httpx.Timeout(5, read=1.0)) as c:
            for kind in ("500", "503", "429"):
                urls = portal.faulted_urls(kind)
                assert urls
                first, second = c.get(urls[0]), c.get(urls[0])
                assert (first.status_code, second.status_code) == (int(kind), 200), kind
                if kind == "429":
                    assert first.headers["retry-after"] == "1"
            permanent = portal.faulted_urls("500-permanent")[0]
            assert [c.get(permanent).status_code for _ in range(3)] == [500, 500, 500]
            slow = portal.faulted_urls("slow")[0]
            with pytest.raises(httpx.ReadTimeout):
                c.get(slow)
            assert c.get(slow).status_code == 200
            for kind in ("reset", "truncate"):
                url = portal.faulted_urls(kind)[0]
                with pytest.raises(httpx.TransportError):
                    c.get(url)
                assert c.get(url).status_code == 200, kind
            loop = portal.faulted_urls("redirect-loop")[0]
            with pytest.raises(httpx.TooManyRedirects):
                c.get(loop, follow_redirects=True)
            truth = set(portal.ground_truth())
            truth |= {portal.url(it.attachment_file) for it in portal.catalog.reports() if it.attachment_file}
            assert all(set(portal.faulted_urls(k)) <= truth for k in URL_FAULTS.split(","))
            faults = {r.fault for r in portal.requests}
            assert set(URL_FAULTS.split(",")) | {"500-permanent"} <= faults
    finally:
        portal.stop()


def test_antibot_gates_and_robots_fault():
    portal = DemoPortal(seed=0, faults="antibot-412,antibot-521,robots").start()
    try:
        base = portal.base_url
        # PORTALS.md §11: robots.txt `Disallow: /` on one host, the GBK site's; the other hosts stay open
        robots = {site: httpx.get(portal.url(f"/{site}/").replace(f"/{site}/", "/robots.txt"), headers=UA).text
                  for site in ("gbk", "ordos", "hanweb")}
        assert "Disallow: /\n" in robots["gbk"] and "Disallow: /\n" not in robots["ordos"] + robots["hanweb"]
        assert portal.faulted_urls("robots") == [portal.url("/gbk/")]
        gd = next(r for r in portal.reports if r.site == "gd")
        blocked = httpx.get(gd.url, headers=UA)  # a fresh client without a cookie jar, every time
        assert blocked.status_code == 412 and 'id="9DhefwqGPrzGxEp9hPaoag"' in blocked.text
        assert "FSSBBIl1UgzbN7N80S=" in blocked.headers["set-cookie"]
        assert httpx.get(gd.url, headers=UA).status_code == 412
        with httpx.Client(headers=UA) as jar:  # replays the cookie
            assert jar.get(gd.url).status_code == 412
            assert jar.get(gd.url).status_code == 200
        govcn = next(r for r in portal.reports if r.site == "govcn")
        with httpx.Client(headers=UA) as c:
            first = c.get(govcn.url)
            assert first.status_code == 521
            name, value = re.search(r"document\.cookie='(__jsl_clearance_s)=([^;']+)", first.text).groups()
            assert c.get(govcn.url).status_code == 521  # __jsluid_s alone is not enough
            c.cookies.set(name, value)
            assert c.get(govcn.url).status_code == 200
        assert httpx.get(portal.url("/ordos/zwgk/xxgknb/index.html"), headers=UA).status_code == 200
    finally:
        portal.stop()


def test_request_log_and_out_of_process_views(portal, client):
    portal.clear_requests()
    client.get(portal.url("/ordos/zwgk/xxgknb/index.html"))
    client.get(portal.url("/govcn/zhengce/xxgknb/home.htm"))
    log = portal.requests
    assert [r.path for r in log] == ["/ordos/zwgk/xxgknb/index.html", "/govcn/zhengce/xxgknb/home.htm"]
    assert log[0].time <= log[1].time and log[0].headers["User-Agent"] == UA["User-Agent"]
    truth = client.get(portal.url("/_demo/ground-truth.json")).json()
    assert truth == portal.ground_truth()
    assert len(client.get(portal.url("/_demo/requests.json")).json()) == 2


def test_scale_10000():
    start = time.perf_counter()
    big = DemoPortal(seed=0, scale=10_000)
    built = time.perf_counter() - start
    print(f"\nscale=10000: {len(big.catalog.reports())} reports built in {built:.2f} s")
    assert len(big.catalog.reports()) >= 10_000
    big.start()
    try:
        with httpx.Client(headers=UA) as c:
            text = c.get(big.url("/ordos/zwgk/xxgknb/index.html")).text
            pages = int(re.search(r"var countPage = (\d+)", text).group(1))
            last = c.get(big.url(f"/ordos/zwgk/xxgknb/index_{pages - 1}.html"))
            assert last.status_code == 200 and "t20" in last.text
            report = next(r for r in reversed(big.reports) if r.site == "hanweb" and r.kind == "html")
            data, hints = fetch_document(c, report)
            assert_matches(parse_bytes(data, hints=hints), report.record, report)
    finally:
        big.stop()


def test_prerender_serves_the_same_bytes_without_rendering_again(monkeypatch):
    """Pre-rendered attachments and report pages (benchmarks warm the portal, as a real one serves static files)
    are the ones rendered on demand, and serving them renders nothing more."""
    cold = DemoPortal(seed=0)
    warm = DemoPortal(seed=0)
    items = [it for it in warm.catalog.reports() if it.attachment_file]
    assert {it.kind for it in items} == {"pdf", "docx", "ofd", "scan", DOC, "xlsx", "xls", "zip"}  # spreadsheets too
    pages = [it for it in warm.served_reports() if it.kind == "html"]  # the /wenzhou/ column's pages too
    assert {it.site for it in pages} == {it.site for it in warm.served_reports()}
    assert {it.style for it in pages} >= {"word", "clean"} and {it.quirk for it in pages} >= {None, "fullwidth"}
    pictured = [it for it in warm.catalog.reports() if it.kind == "pictures"]
    assert warm.prerender(workers=2) == len(items) + len(pages) + len(pictured) and len(pictured) == 1

    import govreports.demo.portal as portal_module

    def no_rendering(*args):
        raise AssertionError("rendered again after prerender")

    expected = {it.id: cold.attachment(it) for it in items[:6]}
    bodies = {it.id: cold.fragment(it) for it in pages}
    monkeypatch.setattr(portal_module, "attachment_bytes", no_rendering)
    monkeypatch.setattr(portal_module, "body_fragment", no_rendering)
    monkeypatch.setattr(portal_module, "picture_pages", no_rendering)
    assert all(warm.attachment(it) == expected[it.id] for it in items[:6])
    assert [p[:3] for p in warm.pictures(pictured[0])] == [b"\xff\xd8\xff"] * 2  # its two pages, as JPEG files
    assert all(warm.attachment(it)[:4] in (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0") for it in items)
    assert all(warm.fragment(it) == bodies[it.id] for it in pages)
    with warm:  # and the pages served whole are the cold portal's
        with cold:
            with httpx.Client(headers=UA) as c:
                for it in pages[::7]:
                    hot, fresh = c.get(warm.url(it.path)), c.get(cold.url(it.path))
                    assert hot.status_code == fresh.status_code == 200
                    assert hot.content.replace(f":{warm.port}/".encode(), b"") == \
                        fresh.content.replace(f":{cold.port}/".encode(), b"")


def test_two_custom_reports_keep_their_body_only_in_a_javascript_data_file(portal, client):
    """PORTALS.md §9 (the source of the Shanghai sample): the detail page's body div is empty and a script beside
    it holds the report as `let content = "…"` in the real file's shape — menu arrays declared with let first, the
    HTML in double quotes with \\" escapes and a raw tab after the title line, no semicolon; one of each table
    format, and nothing but their serving differs (kind html, listed and recorded as before)."""
    scripted = [it for it in portal.catalog.reports() if it.extra.get("body") == "script"]
    assert [it.site for it in scripted] == ["custom", "custom"] and all(it.kind == "html" for it in scripted)
    assert sorted(portal.record(it)["format"] for it in scripted) == ["2019", "2021"]
    for it in scripted:
        page = client.get(portal.url(it.path)).text
        assert re.search(r'<div class="detail-body" id="detailContent">\s*</div>', page)
        src = re.search(r'<script src="(js/content_\d+\.js)"></script>', page).group(1)
        data = client.get(urljoin(portal.url(it.path), src))
        assert data.status_code == 200 and data.headers["content-type"] == "application/javascript"
        assert data.text.startswith("//字典项\nlet ") and data.text.endswith('</p>"\n')
        literal = data.text.split('let content = "', 1)[1]
        assert "</p>\t<p style='text-align: center'>发布日期：" in literal and '\\"' in literal
    assert client.get(portal.url("/custom/xxgk/nb/js/content_1.js")).status_code == 404


def test_a_report_packed_in_a_zip_is_served_as_real_portals_pack_them(portal, client):
    """PORTALS.md lists .zip among the attachments: one TRS report's PDF is posted packed in a zip, its member named by
    the report's title in GBK (no UTF-8 flag, as WinRAR and Windows write them) beside a note; it parses to the
    report, the record naming the member."""
    import io
    import zipfile

    from govreports.parse import parse_bytes

    (packed,) = [r for r in portal.reports if r.kind == "zip"]
    served = client.get(packed.attachment_url)
    assert served.headers["content-type"] == "application/zip" and packed.attachment_url.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(served.content)) as archive:
        infos = archive.infolist()
    title = portal.ground_truth()[packed.url]["title"]
    assert [i.filename.encode("cp437").decode("gbk") for i in infos] == [f"{title}.pdf", "附件说明.txt"]
    assert not any(i.flag_bits & 0x800 for i in infos)
    assert parse_bytes(served.content)["zip_member"] == f"{title}.pdf"
