"""Reports as Word documents, with the forms' merged cells as real Word merges (gridSpan / vMerge).

python-docx reports a merged cell once per grid position it covers, which is what a DOCX reader meets in the wild.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import LABEL, Table, placements


def _set_font(run, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "SimSun"
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")


def _add_table(document, table: Table) -> None:
    grid = document.add_table(rows=len(table.rows), cols=table.ncols)
    grid.style = "Table Grid"
    cells = placements(table)
    n = table.ncols
    # Table.cell() recomputes every cell on each call (quadratic on a 250-cell form): take the grid once. The merged
    # regions are disjoint, so the corners of later merges are untouched by earlier ones and stay valid.
    before = grid._cells
    for r, c, cell in cells:  # merge first: merging moves the text of every covered cell into the top-left one
        if cell.rowspan > 1 or cell.colspan > 1:
            before[r * n + c].merge(before[(r + cell.rowspan - 1) * n + c + cell.colspan - 1])
    snapshot = grid._cells
    for r, c, cell in cells:
        if cell.text is None:
            continue
        paragraph = snapshot[r * n + c].paragraphs[0]
        if cell.kind != LABEL:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(paragraph.add_run(cell.text), 8)


def to_docx(record: dict) -> bytes:
    """The report as a .docx file's bytes; byte-identical for identical records."""
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run(record.get("title") or ""), 18, bold=True)
    if date := date_line(record):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(paragraph.add_run(date), 12)
    last = None
    for last in body_blocks(record):
        if last.kind == "table":
            _add_table(document, last.table)
        else:
            paragraph = document.add_paragraph()
            _set_font(paragraph.add_run(last.text), 14 if last.kind == "heading" else 12,
                      bold=last.kind == "heading")
    if last is not None and last.kind == "table":
        # Word always ends a body with a paragraph; without one, LibreOffice's .doc export of this file loses the
        # last table's rows (its cells come out as one run of text)
        document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_timestamps(buffer.getvalue())


def _fixed_timestamps(package: bytes) -> bytes:
    """Rewrite the zip with constant member dates so equal records give equal bytes (cacheable, diffable)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
