"""Reports as web pages: a bare page ("clean") and a portal page carrying a Word export ("word").

The word style reproduces what the parser meets on real portals (samples/html/02_shanghai_szfbgt_2019_fragment.html):
MsoNormal paragraphs, &nbsp; for blank cells, <br /> inside header labels, unquoted attributes, value rows whose
colspans do not line up with their header row, and site chrome (menu, header, footer) around the report.
"""

from __future__ import annotations

import re
from html import escape

from govreports.render.document import Block, body_blocks, date_line
from govreports.render.layout import HEAD, LABEL, Table, placements

STYLES = ("clean", "word")

# header labels that Word exports break inside the cell (本年新<br />制作数量)
WORD_BREAKS = {
    "本年新制作数量": ("本年新", "制作数量"),
    "本年新公开数量": ("本年新", "公开数量"),
    "本年制发件数": ("本年制发", "件数"),
    "本年废止件数": ("本年废止", "件数"),
    "社会公益组织": ("社会公益", "组织"),
    "法律服务机构": ("法律服务", "机构"),
}

_ASCII_RUN = re.compile(r"([\x21-\x7e]+)")


def to_html(record: dict, style: str = "clean") -> str:
    """A complete UTF-8 page for the record; deterministic for a given record and style."""
    if style == "clean":
        return _clean_page(record)
    if style == "word":
        return _word_page(record)
    raise ValueError(f"unknown HTML style {style!r}; expected one of {STYLES}")


# --- clean ----------------------------------------------------------------------------------------------------------

def _clean_table(table: Table) -> str:
    out = ['<table border="1">']
    for row in table.rows:
        out.append("<tr>")
        for cell in row:
            attrs = _span_attrs(cell.rowspan, cell.colspan, quote='"')
            out.append(f"<td{attrs}>{escape(cell.text or '')}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _clean_page(record: dict) -> str:
    title = escape(record.get("title") or "")
    parts = [f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head><body>',
             f"<h1>{title}</h1>"]
    if date := date_line(record):
        parts.append(f"<p>{escape(date)}</p>")
    for block in body_blocks(record):
        if block.kind == "table":
            parts.append(_clean_table(block.table))
        else:
            parts.append(f"<p>{escape(block.text)}</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# --- word -----------------------------------------------------------------------------------------------------------

def _span_attrs(rowspan: int, colspan: int, quote: str = "") -> str:
    attrs = ""
    if rowspan > 1:
        attrs += f" rowspan={quote}{rowspan}{quote}"
    if colspan > 1:
        attrs += f" colspan={quote}{colspan}{quote}"
    return attrs


def _runs(text: str, size: str = "10.5pt", font: str = "宋体") -> str:
    """Word splits a paragraph into runs wherever the script changes; digits and Latin get their own span."""
    out = []
    for piece in _ASCII_RUN.split(text):
        if not piece:
            continue
        if _ASCII_RUN.fullmatch(piece):
            out.append(f"<span lang=EN-US style='font-size:{size};font-family:\"Times New Roman\"'>"
                       f"{escape(piece)}</span>")
        else:
            out.append(f"<span style='font-size:{size};font-family:{font}'>{escape(piece)}</span>")
    return "".join(out)


def _word_cell_text(cell) -> str:
    if cell.text is None or cell.text == "":
        return "<span style='font-size:10.5pt;font-family:宋体'>&nbsp;</span>"
    if cell.kind == HEAD and cell.text in WORD_BREAKS:
        return f"<span style='font-size:10.5pt;font-family:宋体'>{'<br />'.join(map(escape, WORD_BREAKS[cell.text]))}</span>"
    return _runs(cell.text)


def _column_widths(table: Table) -> list[int]:
    if table.key == "applications":
        return [23, 57, 137, 38, 47, 47, 66, 57, 38, 62]
    if table.key == "review_litigation":
        return [38] * table.ncols
    return [219, 75, 75, 101, 89][: table.ncols]


def _word_table(table: Table) -> str:
    widths = _column_widths(table)
    by_row: dict[int, list] = {}
    for r, c, cell in placements(table):
        by_row.setdefault(r, []).append((c, cell))
    out = ["<div align=center><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
           "style='border-collapse:collapse;border:none'><tbody>"]
    for r in range(len(table.rows)):
        out.append(f"<tr style='height:{20 if r else 24}.0pt'>")
        for c, cell in by_row.get(r, []):
            px = sum(widths[c:c + cell.colspan])
            nowrap = " nowrap" if cell.kind != LABEL or len(cell.text or "") <= 12 else ""
            align = " align=center style='text-align:center'" if cell.kind != LABEL else ""
            out.append(f"<td width={px}{nowrap}{_span_attrs(cell.rowspan, cell.colspan)} valign=middle "
                       f"style='width:{px * 0.75:g}pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'>"
                       f"<p class=MsoNormal{align}>{_word_cell_text(cell)}</p></td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _word_block(block: Block) -> str:
    if block.kind == "table":
        return _word_table(block.table)
    if block.kind == "heading":
        return (f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'><b>"
                f"{_runs(block.text, '16.0pt', '黑体')}</b></p>")
    return (f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>"
            f"{_runs(block.text, '16.0pt', '仿宋_GB2312')}</p>")


_NAV = (("/", "首页"), ("/zwgk/", "政务公开"), ("/zwgk/zfxxgk/", "政府信息公开"), ("/zwgk/zfxxgknb/", "政府信息公开年报"),
        ("/zcwj/", "政策文件"), ("/bsfw/", "办事服务"), ("/hdjl/", "互动交流"))


def _word_page(record: dict) -> str:
    title = escape(record.get("title") or "")
    agency = escape(record.get("agency") or "")
    nav = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in _NAV)
    info = [f"<span>{escape(date)}</span>"] if (date := date_line(record)) else []
    info += [f"<span>来源：{agency}</span>", "<span>字号：<a>大</a> <a>中</a> <a>小</a></span>"]
    body = "\n".join(_word_block(b) for b in body_blocks(record, active_variant="word"))
    site_id = sum(ord(ch) for ch in record.get("agency") or "") % 10**6
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}"><title>{title}</title>
<style>.nav li{{display:inline;margin:0 12px}} .footer{{text-align:center;color:#666}}</style></head>
<body>
<div class="header"><div class="logo"><a href="/">{agency}</a></div>
<div class="search"><form action="/search"><input type="text" name="q" value="请输入关键字"><input type="submit" value="搜索"></form></div></div>
<ul class="nav">{nav}</ul>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/zfxxgknb/">政府信息公开年报</a></div>
<div class="article">
<h1 class="article-title">{title}</h1>
<div class="article-info">{" ".join(info)}</div>
<div class="TRS_Editor"><div class=WordSection1 style='layout-grid:15.6pt'>
{body}
</div></div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer"><p>主办单位：{agency}　版权所有</p><p>网站标识码：{site_id:06d}0000　ICP备案号：京ICP备00000000号</p></div>
</body></html>
"""
