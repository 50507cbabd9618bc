"""Hanweb 大汉 (/hanweb/): an empty visible list, records in a <datastore> XML island, more through dataproxy.jsp.

What is imitated (PORTALS.md §4, samples/html/hanweb_dingxi_datastore_excerpt.xml): the column page inlines the
first groupSize × perPage = 45 records as CDATA in <div id="{unitid}"><script type="text/xml">, with a quirky
<nextgroup> template (appid twice, webname double-percent-encoded), a junk `<li style=<br/>` record now and then
(counted in totalRecord, as real record sets count theirs) and a jpage({...}) call; the rest comes from
POST dataproxy.jsp?startrecord=&endrecord=&perpage= with a form body, which is strict like the real servers (GET,
or a body without columnid/unitid → 400 and an empty datastore). Articles /art/Y/M/D/art_{col}_{id}.html (no zero
padding) hold the body between <meta name="ContentStart"> and <meta name="ContentEnd">; attachments go through
downfile.jsp?classid=0&filename=… which answers 302 → /attach/0/{name}.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from govreports.demo import chrome
from govreports.demo.base import ATTACHMENT_KINDS, CONTENT_TYPES, Request, Response, file_ext
from govreports.demo.paths import HANWEB_COLUMN, HANWEB_UNIT
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS

PER_PAGE, GROUP_SIZE = 15, 3
PROXY = "/hanweb/module/web/jpage/dataproxy.jsp"
COLUMN_PAGE = f"/hanweb/col/col{HANWEB_COLUMN}/index.html"
WEBID = 73
WEBNAME = "定西市人民政府"
CT_XML = "text/xml;charset=UTF-8"


# a junk record among the column's (PORTALS.md §4: `<li style=<br/>` fragments occur), counted in totalRecord and the
# ranges like any record: after the 17th report of every 40 (one in the island, one past it in the default demo)
JUNK = "<record><![CDATA[\n<li style=<br/>]]></record>"
JUNK_AT = (40, 17)


def _with_junk(items: list) -> list:
    """The report column's record sequence: its items, None (a junk record) after the 17th of every 40."""
    every, at = JUNK_AT
    out: list = []
    for n, it in enumerate(items, 1):
        out.append(it)
        if n % every == at:
            out.append(None)
    return out


def _record(it) -> str:
    if it is None:
        return JUNK
    title = it.list_title
    shown = title if len(title) <= 24 else title[:24] + "..."
    return (f'<record><![CDATA[\n<li class="clearfix">    <a target="_blank" href="{it.path}" title="{escape(title)}">'
            f"{escape(shown)}</a>    <b>{it.list_date}</b></li>]]></record>")


def column_page(portal) -> Response:
    """The report column (col12377)."""
    return _column(portal, HANWEB_COLUMN, _with_junk(portal.catalog.items["hanweb"]), "nb",
                   portal.list_modified("hanweb"))


def decoy_column(portal, key: str) -> Response:
    """A look-alike column (政府网站工作年度报表, 政务公开工作要点, 统计年度报告): the same datastore page, its own items."""
    items = portal.catalog.decoy_column("hanweb", key)
    return _column(portal, SITEMAPS["hanweb"].extra["columns"][key], items, key, portal.list_modified("hanweb"))


def island(unit: str | int, nextgroup: str, items: list, record, proxy: str) -> str:
    """A column's <datastore> XML island (its first groupSize × perPage `items` inline, each written by `record`, and
    the <nextgroup> template) and the jpage call that pages the rest through `proxy`, as Hanweb writes them."""
    inline = "\n".join(record(it) for it in items[:PER_PAGE * GROUP_SIZE])
    return (f'<div id="{unit}"><script type="text/xml"><datastore>\n'
            f'<nextgroup><![CDATA[<a href="{nextgroup}"></a>]]></nextgroup>\n<recordset>\n{inline}\n</recordset>\n'
            f"</datastore></script></div>\n"
            f"<script>$('#{unit}').jpage({{totalRecord:{len(items)},perPage:{PER_PAGE},groupSize:{GROUP_SIZE},"
            f"proxyUrl:'{proxy}'}});</script>")


def _column(portal, column: int, items, key: str, modified: float) -> Response:
    webname = quote(quote(WEBNAME))  # double-percent-encoded, as on 定西
    nextgroup = (f"{PROXY}?page=1&appid=1&appid=1&webid={WEBID}&path=/&columnid={column}"
                 f"&unitid={HANWEB_UNIT}&webname={webname}&permissiontype=0")
    main = (f'<div class="xxgk-list"><ul class="list-ul"></ul></div>\n'
            + island(HANWEB_UNIT, nextgroup, items, _record, PROXY))
    head = "<meta name='Generator' content='大汉版通'>\n<script type=\"text/javascript\" src=\"/hanweb/script/pagecontrol.js\"></script>"
    label = SITEMAPS["hanweb"].link(key).label
    text = chrome.page("hanweb", label, main, head=head, crumbs=chrome.column_crumbs("hanweb", key))
    return Response(200, text.encode("utf-8"), last_modified=modified)


def _datastore(total: int, records: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
            f"<recordset>{records}</recordset></datastore>").encode("utf-8")


def dataproxy(req: Request, portal) -> Response:
    form = req.form
    if req.method != "POST" or not form.get("columnid") or not form.get("unitid"):
        return Response(400, _datastore(0, ""), CT_XML, validators=False)
    columns = {str(n): key for key, n in SITEMAPS["hanweb"].extra["columns"].items()}
    key = columns.get(form["columnid"][0])
    if key not in ("nb", *(x.key for x in SITEMAPS["hanweb"].decoys)) or form["unitid"][0] != str(HANWEB_UNIT):
        return Response(200, _datastore(0, ""), CT_XML, validators=False)
    items = _with_junk(portal.catalog.items["hanweb"]) if key == "nb" else portal.catalog.decoy_column("hanweb", key)
    try:
        start = int(req.arg("startrecord", "1"))
        end = int(req.arg("endrecord", str(start + PER_PAGE * GROUP_SIZE - 1)))
    except ValueError:
        return Response(400, _datastore(0, ""), CT_XML, validators=False)
    chosen = items[max(start, 1) - 1:max(end, 0)]
    return Response(200, _datastore(len(items), "".join(_record(it) for it in chosen)), CT_XML, validators=False)


def article(portal, it) -> Response:
    record = portal.record(it) if it.role == "report" else None
    title = record["title"] if record else it.list_title
    published = record["published"] if record else it.list_date
    if record is None:
        body, extra = nonreport_body(title, it.kind), ""
    elif it.kind in ATTACHMENT_KINDS:
        body = f"<p>{escape(title)}（详见附件）</p>"
        href = it.attachment_path.replace("&", "&amp;")
        extra = f'<div class="fj">附件：<a href="{href}" target="_blank">{escape(title)}.{file_ext(it.kind)}</a></div>'
    else:
        body, extra = portal.fragment(it), ""
    head = (f"<meta name='Generator' content='大汉版通'>\n<meta name=\"ArticleTitle\" content=\"{escape(title)}\">\n"
            f'<meta name="PubDate" content="{published} 09:30">\n<meta name="ContentSource" content="{escape(WEBNAME)}">')
    main = (f'<div class="article"><div class="title">{escape(title)}</div>'
            f'<div class="info">发布日期：{it.list_date}　信息来源：{escape(WEBNAME)}　浏览次数：'
            f'<script language="javascript" src="/hanweb/module/visitcount/visit.jsp?type=1&amp;i_webid={WEBID}"></script></div>\n'
            f'<div id="zoom"><!--ZJEG_RSS.content.begin--><meta name="ContentStart">\n{body}\n'
            f'<meta name="ContentEnd"><!--ZJEG_RSS.content.end--></div>\n{extra}\n'
            "<a href='http://www.hanweb.com' style='display:none'>Produced By 大汉网络 大汉版通发布系统</a></div>")
    text = chrome.page("hanweb", title, main, head=head, crumbs=chrome.item_crumbs("hanweb", it))
    return Response(200, text.encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    if path in (COLUMN_PAGE, f"/hanweb/col/col{HANWEB_COLUMN}/"):
        return column_page(portal)
    if path == PROXY:
        return dataproxy(req, portal)
    if path == "/hanweb/module/download/downfile.jsp":
        name = req.arg("filename") or ""
        target = f"/hanweb/attach/0/{name}"
        if req.arg("classid") != "0" or target not in portal.catalog.attachments:
            return None
        return Response(302, b"", "text/html", headers={"Location": target}, validators=False)
    if (it := portal.catalog.by_path.get(path)) is not None and it.site == "hanweb":
        return article(portal, it)
    if path.startswith("/hanweb/attach/") and (it := portal.catalog.attachments.get(path)) is not None:
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=portal.modified(it))
    return None
