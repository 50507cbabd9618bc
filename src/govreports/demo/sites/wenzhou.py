"""A Hanweb 大汉 column whose dataproxy.jsp takes only GET `page=N` (/wenzhou/), beside the POST one of /hanweb/.

What is imitated (PORTALS.md §4): the column page inlines the first groupSize × perPage = 45 records in its
<datastore> island, with a <nextgroup> template on the older /module/jpage/ path that wzkj.wenzhou.gov.cn's
crawlers GET (`dataproxy.jsp?page=2&appid=1&appid=1&webid=1934&path=/&columnid=…&unitid=…&webname=…
&permissiontype=0`), its webname percent-encoded twice as on 定西's. GET of the template with `page=N` answers
100 records a page from record 1 (the island's too) with <totalrecord> and <totalpage>: jshrss.jiangsu.gov.cn's
page=1 answers `<totalrecord>1928</totalrecord><totalpage>20</totalpage>`, dl.gov.cn's crawler reads 100 a page.
The server is strict the other way round from /hanweb/'s: a POST is answered 405 (a servlet with doGet only), and
a GET whose query is not the template's with its page swapped (a query rebuilt from parsed fields drops the
second appid and re-encodes webname) 400 with an empty datastore. Articles /wenzhou/art/Y/M/D/art_{col}_{id}.html
hold the body between <meta name="ContentStart"> and <meta name="ContentEnd">.

The column's items are its own (two 温州 agencies' reports among ~230 notices), not the catalog's, so that the
other sites stay as they were; its reports join the ground truth (DemoPortal.served_reports).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from govreports.demo.base import Request, Response
from govreports.demo.catalog import Item
from govreports.demo.sites.artcolumn import article_text, column_items
from govreports.demo.sites.hanweb import island

PREFIX = "/wenzhou/"
COLUMN, UNIT, WEBID = 1229463, 4455560, 1934
START = f"/wenzhou/col/col{COLUMN}/index.html"
PROXY = "/wenzhou/module/jpage/dataproxy.jsp"
NAME = "温州市人民政府"
AGENCIES = ("温州市鹿城区人民政府", "温州市科学技术局")
GET_PAGE = 100  # records a GET page=N answer holds
NOISE = 230
# the template's query after page=N, exactly as the page gives it
QUERY = (f"appid=1&appid=1&webid={WEBID}&path=/&columnid={COLUMN}&unitid={UNIT}&webname={quote(quote(NAME))}"
         "&permissiontype=0")
CT_XML = "text/xml;charset=UTF-8"
_TOPICS = ("城乡居民医疗保险参保缴费的通告", "安全生产专项整治工作的通知", "重点项目建设情况的公示", "优化营商环境工作要点的通知",
           "人大代表建议办理情况的公告", "森林防灭火工作的通告", "农村人居环境整治工作推进会召开", "政务新媒体检查情况的通报")


def items(seed: int) -> list[Item]:
    """The column, newest first: the agencies' reports (HTML pages: the listing, not the format, is the point) and
    the notices around them, dated over the same years so that reports fall on every GET page."""
    return column_items("wenzhou", "温州市", AGENCIES, _TOPICS, NOISE, COLUMN, 7010000, seed)


def _record(it: Item) -> str:
    return (f'<record><![CDATA[<li><a target="_blank" href="{it.path}" title="{escape(it.list_title)}">'
            f"{escape(it.list_title)}</a><span>{it.list_date}</span></li>]]></record>")


def _page(title: str, main: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f"<meta name='Generator' content='大汉版通'>\n<title>{escape(title)}_{NAME}</title>\n{head}\n</head>\n"
            f'<body>\n<div class="top"><div class="logo">{NAME}</div></div>\n<div class="main"><div class="pos">'
            f'您现在的位置：<a href="{PREFIX}">首页</a> &gt; 政府信息公开 &gt; <a href="{START}">政府信息公开年报</a></div>'
            f"\n{main}\n</div>\n<a href='http://www.hanweb.com' style='display:none'>Produced By 大汉网络 大汉版通发布系统</a>"
            f"\n</body></html>\n")


def column_page(portal) -> Response:
    rows = portal.wenzhou_items
    main = (f'<div class="list"><ul class="list-ul"></ul></div>\n'
            + island(UNIT, f"{PROXY}?page=1&{QUERY}", rows, _record, PROXY))
    return Response(200, _page("政府信息公开年报", main).encode("utf-8"), last_modified=portal.started)


def _datastore(total: int, pages: int, records: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
            f"<totalpage>{pages}</totalpage><recordset>{records}</recordset></datastore>").encode("utf-8")


def dataproxy(req: Request, portal) -> Response:
    if req.method == "POST":
        body = ("<html><head><title>HTTP Status 405 – Method Not Allowed</title></head><body><h1>HTTP Status 405 – "
                "Method Not Allowed</h1><p>HTTP method POST is not supported by this URL</p></body></html>")
        return Response(405, body.encode(), "text/html;charset=utf-8", headers={"Allow": "GET, HEAD"},
                        validators=False)
    number, _, rest = req.query.partition("&")
    if not (number.startswith("page=") and number[5:].isdigit() and int(number[5:]) >= 1 and rest == QUERY):
        return Response(400, _datastore(0, 0, ""), CT_XML, validators=False)
    rows, n = portal.wenzhou_items, int(number[5:])
    chosen = rows[(n - 1) * GET_PAGE:n * GET_PAGE]
    return Response(200, _datastore(len(rows), -(-len(rows) // GET_PAGE), "".join(_record(it) for it in chosen)),
                    CT_XML, validators=False)


def article(portal, it: Item) -> Response:
    title, published, body = article_text(portal, it)
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">\n<meta name="PubDate" content="{published} 10:15">\n'
            f'<meta name="ContentSource" content="{NAME}">')
    main = (f'<div class="article"><div class="title">{escape(title)}</div><div class="info">发布日期：{it.list_date}'
            f"　信息来源：{NAME}</div>\n<div id=\"zoom\"><meta name=\"ContentStart\">\n{body}\n"
            f'<meta name="ContentEnd"></div></div>')
    return Response(200, _page(title, main, head).encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    if req.path in (START, f"/wenzhou/col/col{COLUMN}/"):
        return column_page(portal)
    if req.path == PROXY:
        return dataproxy(req, portal)
    it = portal.wenzhou_paths.get(req.path)
    return article(portal, it) if it is not None else None
