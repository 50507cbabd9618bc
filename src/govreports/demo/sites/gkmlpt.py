"""Guangdong gkmlpt 政府信息公开目录管理平台 (/gd/): a JSON list API and detail pages whose body is only in JSON.

What is imitated (PORTALS.md §5): /gkmlpt/index embeds window._CONFIG = {SID, TREE:[{id, name, post_count, …}]};
GET /gkmlpt/api/all/{cat}?page=&sid= returns {"classify":{"post_count"}, "total", "articles":[…]} ten at a time
(past the end: {"articles": []}); one title arrives %uXXXX-escaped; detail pages
/gkmlpt/content/{id//1000000}/{id//1000}/post_{id}.html carry the report only in
`window._CONFIG.DETAIL = {"content": "…"}` as a JSON string with \\u003C escapes — nothing in the visible HTML.
"""

from __future__ import annotations

import json
from html import escape

from govreports.demo import chrome
from govreports.demo.base import ATTACHMENT_KINDS, CONTENT_TYPES, Request, Response, file_ext
from govreports.demo.catalog import GKMLPT_CATEGORY
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import GKMLPT_DECOYS, SITEMAPS

SID = "662021"
PER_PAGE = 10
CT_JSON = "application/json;charset=UTF-8"


def percent_u(text: str) -> str:
    """JavaScript escape(): non-ASCII as %uXXXX (how some gkmlpt deployments send titles)."""
    return "".join(ch if ch.isascii() and ch.isalnum() else (f"%u{ord(ch):04X}" if ord(ch) > 255 else f"%{ord(ch):02X}")
                   for ch in text)


def escaped_item_id(portal) -> str | None:
    """The one report whose list title is sent %u-escaped: the first report on page 1."""
    return next((it.id for it in portal.catalog.items["gd"] if it.role == "report"), None)


def _js_json(value) -> str:
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E")
            .replace("&", "\\u0026"))


def _attachments(portal, it) -> list[dict]:
    if it.attachment_path is None:
        return []
    return [{"name": f"{it.list_title}.{file_ext(it.kind)}", "url": portal.url(it.attachment_path)}]


def _categories(portal) -> dict[int, tuple[str, list]]:
    """category id -> (name, items): the report column and the look-alikes beside it in the tree."""
    sm = SITEMAPS["gd"]
    out = {GKMLPT_CATEGORY: (sm.column.label, portal.catalog.items["gd"])}
    for link in sm.decoys:
        out[GKMLPT_DECOYS[link.key]] = (link.label, portal.catalog.decoy_column("gd", link.key))
    return out


def index_page(portal) -> Response:
    cats = _categories(portal)

    def node(cid: int, name: str, count: int, children: str = "") -> str:
        return f"{{id: {cid}, name: '{name}', post_count: {count}, children: [{children}], jump_url: ''}}"

    # the look-alikes sit beside the report column under 法定主动公开内容, as on the Guangdong platforms
    public = ", ".join(node(cid, name, len(items)) for cid, (name, items) in sorted(cats.items())
                       if cid != GKMLPT_CATEGORY)
    tree = ", ".join((node(720, "政策文件", 0), node(730, "机构职能", 0), node(740, "法定主动公开内容", 0, public),
                      node(GKMLPT_CATEGORY, cats[GKMLPT_CATEGORY][0], len(cats[GKMLPT_CATEGORY][1]))))
    config = f"window._CONFIG = {{SID: '{SID}', TREE: [{tree}], SERVICE_AREA_ID: 1, CATEGORY_ID: 0}};"
    main = f'<div id="app" class="gkmlpt"></div>\n<script>{config}</script>\n<script src="/gd/gkmlpt/static/app.js"></script>'
    sm = SITEMAPS["gd"]
    text = chrome.page("gd", "政府信息公开", main, crumbs=chrome.crumbs("gd", (sm.hub.url, sm.hub.label),
                                                                     (sm.extra["gkmlpt"], "政府信息公开目录")))
    return Response(200, text.encode("utf-8"), last_modified=portal.list_modified("gd"))


def list_api(req: Request, portal, category: str) -> Response:
    cats = _categories(portal)
    name, items = cats.get(int(category), ("", []))
    if category == "0":
        name, items = cats[GKMLPT_CATEGORY]
    if req.arg("sid") not in (None, SID):
        items = []
    try:
        page = int(req.arg("page", "1"))
    except ValueError:
        page = 1
    chosen = items[(page - 1) * PER_PAGE:page * PER_PAGE] if page >= 1 else []
    if not chosen:
        body: dict = {"articles": []}
    else:
        escaped = escaped_item_id(portal)
        body = {"classify": {"id": int(category), "name": name, "post_count": len(items)},
                "total": len(items), "articles": [{
                    "id": it.extra["post_id"],
                    "title": percent_u(it.list_title) if it.id == escaped else it.list_title,
                    "url": portal.url(it.path),
                    "created_at": f"{it.list_date} 16:25:04",
                    "publisher": it.agency or chrome.SITE_INFO["gd"][0],
                    "document_number": "",
                    "identifier": f"11440200007{it.extra['post_id'] % 10000:04d}/{it.list_date[:4]}-{it.extra['post_id'] % 1000:05d}",
                    "attachment": _attachments(portal, it),
                } for it in chosen]}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return Response(200, data, CT_JSON, last_modified=portal.list_modified("gd"))


def detail_page(portal, it) -> Response:
    record = portal.record(it) if it.role == "report" else None
    title = record["title"] if record else it.list_title
    heading = f'<p style="text-align:center"><strong>{escape(title)}</strong></p>\n'
    if record is None:
        content = heading + nonreport_body(title, it.kind)
    elif it.kind in ATTACHMENT_KINDS:
        content = (heading + f"<p>{escape(title)}全文见附件。</p><p><a class=\"nfw-cms-attachment\" "
                   f"href=\"{portal.url(it.attachment_path)}\">{escape(title)}.{file_ext(it.kind)}</a></p>")
    else:
        content = heading + portal.fragment(it)
    detail = {"id": it.extra["post_id"], "title": title, "content": content,
              "publisher": it.agency or chrome.SITE_INFO["gd"][0], "publish_time": f"{it.list_date} 16:25:04",
              "attachment": _attachments(portal, it)}
    main = ('<div id="app" class="gkmlpt-detail"><div class="content" id="zoom"></div></div>\n'
            f"<script>window._CONFIG = {{SID: '{SID}', CATEGORY_ID: {it.extra.get('category', GKMLPT_CATEGORY)}}};\n"
            f"window._CONFIG.DETAIL = {_js_json(detail)};</script>\n<script src=\"/gd/gkmlpt/static/detail.js\"></script>")
    text = chrome.page("gd", title, main, crumbs=chrome.item_crumbs("gd", it))
    return Response(200, text.encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    if path in ("/gd/gkmlpt/index", "/gd/gkmlpt/", "/gd/gkmlpt/index.html"):
        return index_page(portal)
    if path.startswith("/gd/gkmlpt/api/all/"):
        category = path.rsplit("/", 1)[1]
        return list_api(req, portal, category) if category.isdigit() else None
    if (it := portal.catalog.by_path.get(path)) is not None and it.site == "gd":
        return detail_page(portal, it)
    if path.startswith("/gd/attachment/") and (it := portal.catalog.attachments.get(path)) is not None:
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=portal.modified(it))
    return None
