"""A site no CMS family fits (/custom/): list markup that only CSS selectors can read.

What is imitated: home-grown portals (a local vendor's CMS) whose lists are rows of <div>s — the full title only in
the `title` attribute of a <span> cut short with …, the link a separate 查看 button, the date in an <em> as
2024/01/15 — and whose pager is a pair of arrows (<a class="pg-next">›</a>) with no 下一页 text and no page-number
URL pattern a crawler would know (list?page=N). No adapter family reads this; the generic adapter does, given
item/title/title_attr/link/date/next selectors (config/demo.toml, demo-custom). Report detail pages are plain
HTML (ArticleTitle/PubDate <meta>, the body in div.detail-body), a few with only a PDF/DOCX linked plainly, and two
(catalog.SCRIPT_BODIES) with an empty div.detail-body that a script fills from a JavaScript data file beside the page
(js/content_{id}.js, `let content = "…"`; `data_file` says what is real in its shape and what is inferred).
"""

from __future__ import annotations

from html import escape

from govreports.demo import chrome
from govreports.demo.base import ATTACHMENT_KINDS, CONTENT_TYPES, Request, Response, file_ext, html, not_found
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
    elif it.extra.get("body") == "script":  # the page has no body: its scripts write the data file's into the div
        body, extra = "", ('<script src="../../libs/angularjs/1.5.8/angular.js"></script>\n'
                           f'<script src="js/util.js"></script>\n<script src="{_data_file_name(it)}"></script>\n'
                           '<script>document.getElementById("detailContent").innerHTML = content;</script>')
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


def _data_file_name(it) -> str:
    """The data file of a script-body report, relative to its detail page (detail?id=N → js/content_N.js)."""
    return f"js/content_{it.path.rsplit('=', 1)[1]}.js"


def data_file(portal, it) -> Response:
    """A report's body as a JavaScript data file. Real shape (PORTALS.md §9; the Shanghai 2019/2020 reports in a
    public GitHub repo, zhouzhuliang0901/wanda …/GovernmentPublicInformations/js/options.js, the source of
    samples/html/02_shanghai_szfbgt_2019_fragment.html): a `//字典项` comment and `let` arrays of menu entries, then
    `let content = "…"` last, with no semicolon — the report's HTML in one double-quoted string, its double quotes
    written \\", a raw tab after the title line, single-quoted style attributes and HTML entities (&lt;) left as they
    are. Inferred: one file per report named after the page (the real one served a single report), and the
    fragment's line breaks written \\n (the real body was on one line)."""
    record = portal.record(it)
    head = (f"<p style='text-align: center;font-weight: bold;'>{escape(record['title'])}</p>\t"
            f"<p style='text-align: center'>发布日期：{record['published']}</p>")
    literal = (head + portal.fragment(it)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    text = (f'//字典项\nlet secondMenu = [{{\n\t"id": "4",\n\t"name": "政府信息公开年报"\n}}]\n\n'
            f'let secondMenuFourthChild = [{{\n\t"id": "",\n\t"name": "{escape(record["agency"])}"\n}}]\n\n'
            f'let content = "{literal}"\n')
    return Response(200, text.encode("utf-8"), "application/javascript", last_modified=portal.modified(it))


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
        if path.startswith(f"{folder}/js/content_") and path.endswith(".js"):
            it = portal.catalog.by_path.get(f"{folder}/detail?id={path[len(folder) + 12:-3]}")
            if it is None or it.site != "custom" or it.extra.get("body") != "script":
                return not_found()
            return data_file(portal, it)
    if (it := portal.catalog.attachments.get(path)) is not None and it.site == "custom":
        return Response(200, portal.attachment(it), CONTENT_TYPES[it.kind], last_modified=portal.modified(it))
    return None
