"""www.gov.cn-style site (/govcn/): home.htm, home_1.htm … lists and content pages with the 2-column-pair metadata table.

What is imitated (PORTALS.md §6, §8, samples/html/govcn_zhengce_content_2018_meta_table.html): list items
`div.list.list_1.list_2 ul li h4 a` + `span.date`, plain pager links; content /zhengce/content/YYYYMM/content_{id}.htm
with 索 引 号 / 主题分类 / 发文机关 / 成文日期 / 标　　题 / 发文字号 / 发布日期 (dates "2024年1月23日", labels padded
with ASCII or full-width spaces), the report in <td class="b12c" id="UCAP-CONTENT"> followed by <!--/enpcontent-->;
the /zhengce/zhengceku/ directory answers 403 like nginx with autoindex off.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import escape

from govreports.demo import chrome
from govreports.demo.base import Request, Response
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS

COLUMN = "/govcn/zhengce/xxgknb/"
PER_PAGE = 5
_PAGE = re.compile(r"home(?:_([1-9]\d*))?\.htm")


def _cn_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def list_page(portal, k: int) -> Response | None:
    """Page k of the report column."""
    return column_page(portal, portal.catalog.items["govcn"], "nb", k)


def column_page(portal, items, key: str, k: int) -> Response | None:
    """Page k of a column (the report column or a look-alike) listing `items`."""
    column = SITEMAPS["govcn"].link(key).path
    depth = "../" * (column.count("/") - 2)  # up to /govcn/
    count = max(1, -(-len(items) // PER_PAGE))
    if k >= count:
        return None
    rows = []
    for it in items[k * PER_PAGE:(k + 1) * PER_PAGE]:
        href = depth.rstrip("/") + it.path[len("/govcn"):]
        rows.append(f'<li><h4><a href="{href}" target="_blank">{escape(it.list_title)}</a>'
                    f'<span class="date">{it.list_date}</span></h4></li>')
    names = ["home.htm"] + [f"home_{i}.htm" for i in range(1, count)]
    pager = [f'<a href="{names[0]}">首页</a>']
    if k > 0:
        pager.append(f'<a href="{names[k - 1]}">上一页</a>')
    pager += [f'<a href="{n}">{i + 1}</a>' if i != k else f"<span>{i + 1}</span>" for i, n in enumerate(names)]
    if k + 1 < count:
        pager.append(f'<a href="{names[k + 1]}">下一页</a>')
    pager.append(f'<a href="{names[-1]}">尾页</a>')
    main = (f'<div class="list list_1 list_2"><ul>\n' + "\n".join(rows) + "\n</ul></div>\n"
            f'<div class="pages">{" ".join(pager)}</div>')
    label = SITEMAPS["govcn"].link(key).label
    modified = portal.list_modified("govcn") if key == "nb" else portal.started
    text = chrome.page("govcn", label, main, crumbs=chrome.column_crumbs("govcn", key))
    return Response(200, text.encode("utf-8"), last_modified=modified)


def content_page(portal, it) -> Response:
    record = portal.record(it) if it.role == "report" else None
    title = record["title"] if record else it.list_title
    published = record["published"] if record else it.list_date
    agency = record["agency"] if record else "国务院办公厅"
    written = (date.fromisoformat(published) - timedelta(days=3 + it.extra.get("post_id", 0) % 5)).isoformat()
    serial = int(re.sub(r"\D", "", it.path)[-5:])
    code = f"0000143{serial % 100:02d}/{published[:4]}-{serial:05d}"
    body = nonreport_body(title, it.kind) if record is None else portal.fragment(it)
    meta_table = (
        '<table width="660" border="0" cellpadding="0" cellspacing="0" class="bd1"><tbody>'
        f'<tr><td width="70"><b>索 引 号：</b></td><td width="260">{code}</td>'
        f'<td width="70"><b>主题分类：</b></td><td width="260">综合政务\\政务公开</td></tr>'
        f"<tr><td><b>发文机关：</b></td><td>{escape(agency)}</td><td><b>成文日期：</b></td><td>{_cn_date(written)}</td></tr>"
        f'<tr><td><b>标　　题：</b></td><td colspan="3">{escape(title)}</td></tr>'
        f"<tr><td><b>发文字号：</b></td><td></td><td><b>发布日期：</b></td><td>{_cn_date(published)}</td></tr>"
        "</tbody></table>"
        '<table width="660" class="bd1"><tbody><tr><td width="70" valign="top"><b>主 题 词：</b></td>'
        "<td></td><td></td><td></td></tr></tbody></table>")
    main = (f'<div class="wrap" style="font-family:宋体;"><table width="724" border="0" cellpadding="0" cellspacing="0">'
            f"<tbody><tr><td>{meta_table}</td></tr></tbody></table><br>\n"
            '<table width="724" border="0" cellpadding="0" cellspacing="0"><tbody><tr><td><br>'
            '<table width="650" border="0" cellpadding="0" cellspacing="0"><tbody><tr>'
            f'<td class="b12c" id="UCAP-CONTENT">\n{body}\n</td></tr><tr><td></td></tr></tbody></table>'
            '<div id="pageBreak"></div>\n<!--/enpcontent-->\n<div id="div_div">扫一扫在手机打开当前页</div>'
            "</td></tr></tbody></table></div>")
    head = (f'<meta name="firstpublishedtime" content="{published}-10:18:44">\n'
            f'<meta name="lanmu" content="{escape(chrome.column_label("govcn", it))}">\n'
            '<meta name="keywords" content="政府信息公开">')
    text = chrome.page("govcn", title, main, head=head, crumbs=chrome.item_crumbs("govcn", it))
    return Response(200, text.encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    if path.startswith("/govcn/zhengce/zhengceku") and path.rstrip("/") == "/govcn/zhengce/zhengceku":
        return Response(403, b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden"
                             b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", "text/html",
                        validators=False)
    if path == COLUMN:
        return list_page(portal, 0)
    if path.startswith(COLUMN) and (m := _PAGE.fullmatch(path[len(COLUMN):])):
        return list_page(portal, int(m.group(1) or 0))
    if (it := portal.catalog.by_path.get(path)) is not None and it.site == "govcn":
        return content_page(portal, it)
    return None
