"""Reports as PDF, drawn so that pdfplumber finds the three tables by their ruling lines.

Uses reportlab's built-in CID font STSong-Light (no font file to ship). Tables are gridded with SPAN styles for the
forms' merged cells; label and header cells are Paragraphs so long labels wrap inside their cell (the wraps a PDF
reader must rejoin), value cells are plain strings so every number stays on one line in its own cell.

`hyperlinks`: the （超链版） edition some portals post beside the plain one (PORTALS.md: 上海市黄浦区人民政府2022年政府信息公开
工作年度报告（超链版）.pdf): the laws it cites and the table rows naming a kind of document link to them, blue and
underlined — short drawn lines in the text and inside table cells, which a reader rebuilding cells from a page's
lines must not take for rules — and its Title property names the edition.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import VALUE, Table, placements

FONT = "STSong-Light"
EDITION = "（超链版）"
# what a 超链版 links: the laws cited (《…》) and the table rows that name a kind of document or decision
_LINKED = re.compile(r"《[^》]{1,40}》|^(?:规章|行政规范性文件|规范性文件|行政许可|行政处罚|行政强制)$")
_LINK = '<a href="http://www.example.gov.cn/xxgk/" color="blue"><u>{}</u></a>'


def _markup(text: str, hyperlinks: bool) -> str:
    """Paragraph markup of `text`: escaped, and in a 超链版 its links underlined."""
    if not hyperlinks:
        return escape(text)
    return _LINKED.sub(lambda m: _LINK.format(m.group(0)), escape(text))
MARGIN = 40
TABLE_FONT_SIZE = 7

# column widths in points; each table is at most A4 width minus margins (515pt)
COLUMN_WIDTHS = {
    "active": [155, 120, 120, 120],
    "applications": [26, 50, 170] + [38] * 7,
    "review_litigation": [34] * 15,
}


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = dict(fontName=FONT, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=6, **base),
        "date": ParagraphStyle("date", fontSize=10, leading=14, alignment=TA_CENTER, spaceAfter=10, **base),
        "heading": ParagraphStyle("heading", fontSize=12, leading=18, spaceBefore=8, spaceAfter=4, **base),
        "body": ParagraphStyle("body", fontSize=10.5, leading=16, firstLineIndent=21, **base),
        "cell": ParagraphStyle("cell", fontSize=TABLE_FONT_SIZE, leading=TABLE_FONT_SIZE + 2, **base),
        "cell_center": ParagraphStyle("cell_center", fontSize=TABLE_FONT_SIZE, leading=TABLE_FONT_SIZE + 2,
                                      alignment=TA_CENTER, **base),
    }


def _table_flowable(table: Table, styles: dict[str, ParagraphStyle], hyperlinks: bool = False) -> RLTable:
    data: list[list] = [["" for _ in range(table.ncols)] for _ in table.rows]
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, TABLE_FONT_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for r, c, cell in placements(table):
        if cell.kind == VALUE:
            data[r][c] = cell.text or ""
        else:
            style = styles["cell"] if cell.kind == "label" else styles["cell_center"]
            data[r][c] = Paragraph(_markup(cell.text or "", hyperlinks and cell.kind == "label"), style)
        if cell.rowspan > 1 or cell.colspan > 1:
            commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    return RLTable(data, colWidths=COLUMN_WIDTHS[table.key], style=TableStyle(commands))


def to_pdf(record: dict, *, hyperlinks: bool = False) -> bytes:
    """The report as PDF bytes (A4 portrait); byte-identical for identical records. `hyperlinks`: its 超链版."""
    _register_font()
    styles = _styles()
    story: list = [Paragraph(escape(record.get("title") or ""), styles["title"])]
    if date := date_line(record):
        story.append(Paragraph(escape(date), styles["date"]))
    for block in body_blocks(record):
        if block.kind == "table":
            story.append(KeepTogether([_table_flowable(block.table, styles, hyperlinks), Spacer(1, 8)]))
        else:
            story.append(Paragraph(_markup(block.text, hyperlinks and block.kind != "heading"),
                                   styles[block.kind if block.kind == "heading" else "body"]))
    buffer = io.BytesIO()
    title = (record.get("title") or "") + (EDITION if hyperlinks else "")
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, author=record.get("agency") or "", invariant=1)
    doc.build(story)
    return buffer.getvalue()
