"""Reports as spreadsheets (.xlsx by xlsxwriter, Excel 97 .xls by xlwt), as an agency publishing its report only as a
workbook lays it out (PORTALS.md §3, §9: TRS `./P0….xls` attachments).

One sheet: the title and the date line as rows of one cell merged across the sheet's width, each section's
heading in column A, its paragraphs one a row (merged across the width, as text too long for a cell is laid),
then the form's table from render.layout with its merged cells as real merges (三、本年度办理结果 over 20 rows, the
header's 3×3 note cell), a blank row after each table. Real workbooks mix how values are stored, so a `Quirks`
says which tables store their numbers as text (typed into text-formatted cells, or pasted from Word) and what a
blank value cell holds in which table: nothing, "/" or "——" (parse.values reads both as blank). The record's
values are unchanged by any of them: a round trip through extract.xls gives the same record.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import VALUE, Table, format_number, placements

WIDTH = 15  # columns: the widest form table (四, 15 values)
SHEET = "年度报告"


@dataclass(frozen=True)
class Quirks:
    text_tables: frozenset[str] = frozenset()  # tables ("active", …) whose numbers are stored as text
    blank_marks: dict[str, str] = field(default_factory=dict)  # table -> what its blank value cells hold


XLSX_QUIRKS = Quirks(frozenset({"review_litigation"}), {"review_litigation": "/"})
XLS_QUIRKS = Quirks(frozenset({"active"}), {"applications": "——"})


@dataclass(frozen=True)
class Placed:
    row: int
    col: int
    value: object  # str, int or float; "" for an empty cell
    rows: int = 1
    cols: int = 1
    label: bool = False


def layout(record: dict, quirks: Quirks = Quirks()) -> Iterator[Placed]:
    """The workbook's cells, top to bottom."""
    yield Placed(0, 0, record.get("title") or "", cols=WIDTH, label=True)
    row = 1
    if date := date_line(record):
        yield Placed(row, 0, date, cols=WIDTH, label=True)
        row += 1
    for block in body_blocks(record):
        if block.kind == "heading":
            yield Placed(row, 0, block.text, label=True)
            row += 1
        elif block.kind == "paragraph":
            yield Placed(row, 0, block.text, cols=WIDTH, label=True)
            row += 1
        else:
            yield from _table(record, block.table, row, quirks)
            row += len(block.table.rows) + 1


def _table(record: dict, table: Table, top: int, quirks: Quirks) -> Iterator[Placed]:
    for r, c, cell in placements(table):
        value: object = cell.text or ""
        if cell.kind == VALUE:
            if cell.text is None:
                value = quirks.blank_marks.get(table.key, "")
            elif table.key not in quirks.text_tables and cell.ref is not None:
                number = ((record.get(cell.ref[0]) or {}).get(cell.ref[1]) or {}).get(cell.ref[2])
                # a float such as 5.0 is text: a number cell would show and give "5" (its format is not read)
                stored = isinstance(number, int) or isinstance(number, float) and not number.is_integer()
                value = number if stored and not isinstance(number, bool) and cell.text == _plain(number) else cell.text
        yield Placed(top + r, c, value, cell.rowspan, cell.colspan, cell.kind != VALUE)


def _plain(number) -> str:
    return format_number(number) or ""


def to_xlsx(record: dict, quirks: Quirks = XLSX_QUIRKS) -> bytes:
    """The report as an .xlsx file's bytes; identical records give identical bytes (a fixed creation date)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": record.get("title") or "", "created": dt.datetime(2020, 1, 1)})
    sheet = book.add_worksheet(SHEET)
    wrap = book.add_format({"text_wrap": True, "valign": "vcenter", "border": 1})
    centre = book.add_format({"align": "center", "valign": "vcenter", "border": 1})
    for p in layout(record, quirks):
        style = wrap if p.label else centre
        if p.rows > 1 or p.cols > 1:
            sheet.merge_range(p.row, p.col, p.row + p.rows - 1, p.col + p.cols - 1, p.value, style)
        elif p.value == "":
            sheet.write_blank(p.row, p.col, None, style)
        elif isinstance(p.value, str):
            sheet.write_string(p.row, p.col, p.value, style)
        else:
            sheet.write_number(p.row, p.col, p.value, style)
    book.close()
    return out.getvalue()


def to_xls(record: dict, quirks: Quirks = XLS_QUIRKS) -> bytes:
    """The report as an Excel 97 .xls (BIFF8) file's bytes, written by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(SHEET)
    for p in layout(record, quirks):
        if p.rows > 1 or p.cols > 1:
            sheet.write_merge(p.row, p.row + p.rows - 1, p.col, p.col + p.cols - 1, p.value)
        elif p.value != "":
            sheet.write(p.row, p.col, p.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
