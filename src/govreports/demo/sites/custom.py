"""A site no CMS family fits (/custom/): list markup that only CSS selectors can read.

What is imitated: home-grown portals (a local vendor's CMS) whose lists are rows of <div>s — the full title only in
the `title` attribute of a <span> cut short with …, the link a separate 查看 button, the date in an <em> as
2024/01/15 — and whose pager is a pair of arrows (<a class="pg-next">›</a>) with no 下一页 text and no page-number
URL pattern a crawler would know (list?page=N). No adapter family reads this; the generic adapter does, given
item/title/title_attr/link/date/next selectors (config/demo.toml, demo-custom). Report detail pages are plain
HTML (ArticleTitle/PubDate <meta>, the body in div.detail-body), a few with only a PDF/DOCX linked plainly.
"""

from __future__ import annotations

from html import escape

from govreports.demo import chrome
from govreports.demo.base import ATTACHMENT_KINDS, CONTENT_TYPES, Request, Response, file_ext, html
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS

PER_PAGE = 6
SHOWN = 16  # characters of a title shown before …


def _folder(key: str) -> str:
    return SITEMAPS["custom"].link(key).path.rsplit("/", 1)[0]  # /custom/xxgk/nb


def _items(portal, key: str):
    return portal.catalog.items["custom"] if key == "nb" else portal.catalog.decoy_column("custom", key)


def page_count(portal, key: str = "nb") -> int:
    return max(1, -(-len(_items(portal, key)) // PER_PAGE))


def list_page(portal, key: str, n: int) -> Response | None:
    """Page n (1-based) of a column: the report column ("nb") or a look-alike."""
    items = _items(portal, key)
    count = page_count(portal, key)
    if not 1 <= n <= count:
        return None
    rows = []
    for it in items[(n - 1) * PER_PAGE:n * PER_PAGE]:
        title = it.list_title
        shown = title if len(title) <= SHOWN else title[:SHOWN] + "…"
        href = it.path[len(_folder(key)) + 1:]  # detail?id=N, relative to the list
        rows.append(f'<div class="doc-row"><i class="doc-icon"></i><span class="doc-title" title="{escape(title)}">'
                    f'{escape(shown)}</span> <a class="doc-open" href="{href}" target="_blank">查看</a> '
                    f'<em class="doc-time">{it.list_date.replace("-", "/")}</em></div>')
    prev = (f'<a class="pg-prev" href="list?page={n - 1}">‹</a>' if n > 1 else '<span class="pg-prev off">‹</span>')
    nxt = (f'<a class="pg-next" href="list?page={n + 1}">›</a>' if n < count else '<span class="pg-next off">›</span>')
    pager = f'<div class="pg">{prev}<span class="pg-info">{n} / {count}</span>{nxt}</div>'
    label = SITEMAPS["custom"].link(key).label
    main = (f'<div class="doc-list"><div class="doc-head"><b>{escape(label)}</b></div>\n' + "\n".join(rows)
            + f"\n</div>\n{pager}")
    text = chrome.page("custom", label, main, crumbs=chrome.column_crumbs("custom", key))
    modified = portal.list_modified("custom") if key == "nb" else portal.started
    return html(text, last_modified=modified)


def detail_page(portal, it) -> Response:
    record = portal.record(it) if it.role == "report" else None
    title = record["title"] if record else it.list_title
    published = record["published"] if record else it.list_date
    source = record["agency"] if record else chrome.SITE_INFO["custom"][0]
    if record is None:
        body, extra = nonreport_body(title, it.kind), ""
    elif it.kind in ATTACHMENT_KINDS:
        name = it.attachment_path.rsplit("/", 1)[1]
        body = f"<p>{escape(title)}详见附件。</p>"
        extra = f'<div class="detail-files">附件：<a href="files/{name}">{escape(title)}.{file_ext(it.kind)}</a></div>'
    else:
        body, extra = portal.fragment(it), ""
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">\n<meta name="PubDate" content="{published}">\n'
            f'<meta name="ContentSource" content="{escape(source)}">')
    main = (f'<div class="detail-wrap"><h1 class="detail-title">{escape(title)}</h1>'
            f'<div class="detail-meta"><span>发布时间：{it.list_date}</span><span>来源：{escape(source)}</span>'
            f'<span class="detail-print"><a href="javascript:window.print()">打印</a></span></div>\n'
            f'<div class="detail-body" id="detailContent">\n{body}\n</div>\n{extra}</div>')
    text = chrome.page("custom", title, main, head=head, crumbs=chrome.item_crumbs("custom", it))
    return html(text, last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    sm = SITEMAPS["custom"]
    for key in ("nb", *(x.key for x in sm.decoys)):
        folder = _folder(key)
        if path == f"{folder}/list":
            try:
                n = int(req.arg("page", "1") or "1")
            except ValueError:
                return None
            return list_page(portal, key, n)
        if path == f"{folder}/detail":
            it = portal.catalog.by_path.get(f"{path}?id={req.arg('id')}")
            it = it or portal.catalog.nav_by_path.get(f"{path}?id={req.arg('id')}")
            return detail_page(portal, it) if it is not None and it.site == "custom" else None
    if (it := portal.catalog.attachments.get(path)) is not None and it.site == "custom":
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=portal.modified(it))
    return None
