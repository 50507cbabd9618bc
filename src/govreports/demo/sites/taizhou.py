"""A jpaas 集约化 column (/taizhou/): the list is no part of the page; its unitbuild.js script asks a unit build API.

What is imitated (PORTALS.md §4; the markup of tests/test_discover_family.py and tests/test_portal_jsonapi.py, taken
from public crawlers of 泰州/江苏, Zhejiang, mohurd and miit sites): the column page /taizhou/col/col{id}/index.html
holds two `<script src="…/AuthorizedRead/unitbuild.js" url="/…/api-gateway/jpaas-publish-server/front/page/build/unit"
queryData="{'webId':…,'pageId':…,'tplSetId':…,'tagId':…,'parseType':'bulidstatic',…}">` units, a navigation one
(tagId 导航) and the list's (tagId 当前栏目list), their queryData single-quoted JSON. GET of the API with a unit's
queryData fields and `paramJson={"pageNo":N,"pageSize":M}` answers `{"success":true,"data":{"html":…}}`: the rows as
an HTML fragment, `li.clearfix` links whose text is cut short (the whole title in title=), their hrefs relative to
the column page (../../art/…: wrong if resolved against the API's URL), then `<div class="pagination" rows="M"
count="N">`; a page past the last holds an empty list. A query naming no unit of the page answers success false.
Articles /taizhou/art/Y/M/D/art_{col}_{id}.html hold the body in #zoom between the ZJEG_RSS comments.

The column's items are its own (two 泰州 agencies' reports among notices), not the catalog's, so that the other
sites stay as they were; its reports join the ground truth (DemoPortal.served_reports).
"""

from __future__ import annotations

import json
from html import escape

from govreports.demo.base import Request, Response
from govreports.demo.catalog import Item
from govreports.demo.sites.artcolumn import article_text, column_items

PREFIX = "/taizhou/"
COLUMN = 56732
START = f"/taizhou/col/col{COLUMN}/index.html"
API = "/taizhou/api-gateway/jpaas-publish-server/front/page/build/unit"
SCRIPT = "/taizhou/AuthorizedRead/unitbuild.js"
NAME = "泰州市人民政府"
AGENCIES = ("泰州市人民政府办公室", "泰州市生态环境局")
WEB_ID, TPL_SET = "2c9b8a7f6e5d4c3b", "f0e1d2c3b4a59687"
PAGE_SIZE = 15  # what the page's script asks; the API answers the pageSize it is asked (1 to 100)
NOISE = 24
# the page's units: tagId -> its queryData (the list's and the navigation's)
UNITS = {tag: {"webId": WEB_ID, "pageId": str(COLUMN), "tplSetId": TPL_SET, "tagId": tag, "parseType": "bulidstatic",
               "pageType": "column", "editType": "null"} for tag in ("导航", "当前栏目list")}
LIST_TAG = "当前栏目list"
CT_JSON = "application/json;charset=UTF-8"
_TOPICS = ("城乡居民医疗保险参保缴费的通告", "安全生产专项整治工作的通知", "重点项目建设情况的公示", "优化营商环境工作要点的通知",
           "人大代表建议办理情况的公告", "政务新媒体检查情况的通报")
_NAV = (("首页", PREFIX), ("政府信息公开", f"{PREFIX}col/col56700/index.html"), ("政府信息公开年报", START))


def items(seed: int) -> list[Item]:
    """The column, newest first: the agencies' reports (HTML pages: the listing is the point) and the notices
    around them, dated over the same years so that reports fall on every page of 15."""
    return column_items("taizhou", "泰州市", AGENCIES, _TOPICS, NOISE, COLUMN, 4210000, seed)


def _unit_tag(tag: str) -> str:
    query = "{" + ",".join(f"'{k}':'{v}'" for k, v in UNITS[tag].items()) + "}"
    return (f'<script id="unit{len(tag)}" src="{SCRIPT}" url="{API}" queryData="{escape(query, quote=False)}">'
            "</script>")


def _page(title: str, main: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n<title>{escape(title)}_{NAME}</title>\n{head}\n'
            f'</head>\n<body>\n<div class="header"><div class="logo">{NAME}</div>\n<div class="nav">{_unit_tag("导航")}'
            f'</div></div>\n<div class="main"><div class="pos">当前位置：<a href="{PREFIX}">首页</a> &gt; 政府信息公开 &gt; '
            f'<a href="{START}">政府信息公开年报</a></div>\n{main}\n</div>\n</body></html>\n')


def column_page(portal) -> Response:
    main = f'<div class="column-title">政府信息公开年报</div>\n<div class="list-box">{_unit_tag(LIST_TAG)}</div>'
    return Response(200, _page("政府信息公开年报", main).encode("utf-8"), last_modified=portal.started)


def _row(it: Item) -> str:
    href = "../.." + it.path.removeprefix("/taizhou")  # relative to the column page, as the unit writes it
    return (f'<li class="clearfix"><a href="{href}" title="{escape(it.list_title)}" target="_blank">'
            f"{escape(it.list_title[:16])}...</a><span>{it.list_date}</span></li>")


def _answer(body: dict) -> Response:
    return Response(200, json.dumps(body, ensure_ascii=False).encode("utf-8"), CT_JSON, validators=False)


def unit(req: Request, portal) -> Response:
    """The unit build API: the unit the query names, built for the page and size its paramJson asks."""
    if req.method != "GET":
        return Response(405, b'{"success":false,"message":"Request method not supported"}', CT_JSON, validators=False)
    args = {k: v[0] for k, v in req.args.items()}
    tag = args.get("tagId", "")
    if tag not in UNITS or any(args.get(k) != v for k, v in UNITS[tag].items() if k in ("webId", "pageId")):
        return _answer({"success": False, "message": "未找到对应的单元", "data": None})
    if tag != LIST_TAG:
        links = "".join(f'<li><a href="{href}">{label}</a></li>' for label, href in _NAV)
        return _answer({"success": True, "data": {"html": f'<ul class="nav-list">{links}</ul>'}})
    try:
        wanted = json.loads(args.get("paramJson") or "{}")
        number, size = int(wanted.get("pageNo", 1)), int(wanted.get("pageSize", PAGE_SIZE))
    except (ValueError, TypeError, AttributeError):
        return _answer({"success": False, "message": "paramJson 格式错误", "data": None})
    if number < 1 or not 1 <= size <= 100:
        return _answer({"success": False, "message": "分页参数错误", "data": None})
    rows = portal.taizhou_items
    chosen = rows[(number - 1) * size:number * size]
    html = (f'<ul class="list">{"".join(_row(it) for it in chosen)}</ul>'
            f'<div class="pagination" rows="{size}" count="{len(rows)}"></div>')
    return _answer({"success": True, "data": {"html": html}})


# what a browser runs: each unit tag asks the API with its queryData and puts the answer's html in its place
UNITBUILD_JS = """(function () {
  var tags = document.querySelectorAll('script[src$="unitbuild.js"]');
  Array.prototype.forEach.call(tags, function (tag) {
    var query = JSON.parse(tag.getAttribute('queryData').replace(/'/g, '"'));
    query.paramJson = JSON.stringify({pageNo: 1, pageSize: %d});
    var qs = Object.keys(query).map(function (k) { return k + '=' + encodeURIComponent(query[k]); }).join('&');
    var xhr = new XMLHttpRequest();
    xhr.open('GET', tag.getAttribute('url') + '?' + qs);
    xhr.onload = function () {
      var answer = JSON.parse(xhr.responseText);
      if (!answer.success) return;
      var box = document.createElement('div');
      box.innerHTML = answer.data.html;
      tag.parentNode.insertBefore(box, tag);
    };
    xhr.send();
  });
})();
""" % PAGE_SIZE


def article(portal, it: Item) -> Response:
    title, published, body = article_text(portal, it)
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">\n<meta name="PubDate" content="{published} 09:30">\n'
            f'<meta name="ContentSource" content="{NAME}">')
    main = (f'<div class="article"><h1 class="title">{escape(title)}</h1><div class="info">发布日期：{it.list_date}'
            f"　来源：{NAME}</div>\n<div id=\"zoom\"><!--ZJEG_RSS.content.begin-->\n{body}\n"
            f"<!--ZJEG_RSS.content.end--></div></div>")
    return Response(200, _page(title, main, head).encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    if req.path in (START, f"/taizhou/col/col{COLUMN}/"):
        return column_page(portal)
    if req.path == API:
        return unit(req, portal)
    if req.path == SCRIPT:
        return Response(200, UNITBUILD_JS.encode(), "application/javascript", last_modified=portal.started)
    it = portal.taizhou_paths.get(req.path)
    return article(portal, it) if it is not None else None
