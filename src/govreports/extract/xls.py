"""Spreadsheets (.xls Excel 97–2003 / WPS, .xlsx) → blocks with python-calamine, sheet by sheet, row by row.

Some agencies publish the annual report only as a workbook (PORTALS.md §3, §9: TRS `./P0….xls` attachments): the
title and the section texts as rows of one cell, the three tables as the form's grid, its labels merged over rows
and columns. A row becomes what the HTML and DOCX readers give (extract.html._row_texts, extract.docx):
- the cells that START in it, in column order: a merged label appears once, in its first row and column; a
  merged VALUE cell (a number, or a blank such as "/") spanning rows leaves a blank in the rows below, where its
  column is, so the values after it keep their columns;
- a row whose only filled cell is text (the title, a heading, a paragraph, often merged across the table's
  width) is a paragraph, one a line of its cell (Alt+Enter breaks); a row with one number stays a row, as the
  number's column places it.
Cells keep what the sheet stores: a number stored as a number is written as a report writes it (5.0 → "5"), a
number stored as text stays the text ("12", "１２"), a blank is "", "/" and "——" stay for parse.values. A formula
is read as its cached result. Hidden sheets (lookup lists, a template's notes) are not read unless every sheet is
hidden.

python-calamine (Rust) reads .xls, .xlsx and their merged ranges in one API, ~30× faster than openpyxl. It builds a
sheet as a dense grid, so extract.limits.check_sheets counts each grid before this runs (a sparse sheet would
abort the process); merged ranges are clipped to the grid, and ranges overlapping each other past the grid's size
are refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

from govreports.extract.document import Block, Document
from govreports.extract.lines import line_to_block
from govreports.parse.values import parse_value


class SheetError(ValueError):
    """A workbook calamine could not read (damaged, truncated, encrypted); the message says what it said."""


def extract_xls(data: bytes, kind: str = "xlsx") -> Document:
    """A workbook's visible sheets as blocks; `kind` (xls | xlsx, as sniffed) names the document."""
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_filelike(BytesIO(data))
        sheets = _read_order(book.sheets_metadata, calamine)
        blocks: list[Block] = []
        for name in sheets:
            sheet = book.get_sheet_by_name(name)
            blocks.extend(sheet_blocks(sheet.to_python(), sheet.start, sheet.merged_cell_ranges or ()))
    except calamine.PasswordError:
        raise SheetError("the workbook is encrypted (password protected)") from None
    except calamine.CalamineError as exc:
        raise SheetError(f"calamine could not read the workbook: {str(exc)[:200]}") from None
    return Document(kind=kind, blocks=blocks, meta={"sheet_reader": "calamine"})


def _read_order(metadata, calamine) -> list[str]:
    worksheets = [m for m in metadata if m.typ == calamine.SheetTypeEnum.WorkSheet] or list(metadata)
    visible = [m for m in worksheets if m.visible == calamine.SheetVisibleEnum.Visible]
    return [m.name for m in visible or worksheets]


def cell_text(value) -> str:
    """A cell's value as its text: numbers as a report writes them (no ".0", no exponent), dates as ISO dates."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)  # the shortest that reads back; without an exponent, digit for digit
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


def _lines(value) -> list[str]:
    """A text cell's lines (Alt+Enter), each cleaned: the paragraphs of a section's text cell."""
    return [text for line in str(value).splitlines() if (text := " ".join(line.split()))]


def sheet_blocks(grid: list[list], start: tuple[int, int] | None, merged) -> list[Block]:
    """The blocks of one sheet: `grid` as calamine's to_python gives it (from `start`, the first used cell),
    `merged` its merged ranges ((first row, first column), (last row, last column)) in sheet coordinates."""
    if not grid or start is None:
        return []
    top, left = start
    height, width = len(grid), max(map(len, grid))
    origin = _covered(merged, top, left, height, width)
    blocks: list[Block] = []
    for r, row in enumerate(grid):
        cells: list[str] = []
        columns: list[int] = []  # each emitted cell's grid column
        for c, value in enumerate(row):
            at = origin.get((r, c))
            if at is None:
                cells.append(cell_text(value))
            elif at[0] < r and at[1] == c and parse_value(cell_text(grid[at[0]][at[1]])) is not None:
                cells.append("")  # under a merged value cell: its column keeps a (blank) cell
            else:
                continue  # covered by a merged label, or by a merged cell's own columns
            columns.append(c)
        filled = [i for i, text in enumerate(cells) if text]
        if not filled:
            continue
        if len(filled) == 1 and parse_value(cells[filled[0]]) is None:
            blocks.extend(b for line in _lines(row[columns[filled[0]]]) if (b := line_to_block(line)) is not None)
            continue
        blocks.append(Block(cells, is_row=True))
    return blocks


def _covered(merged, top: int, left: int, height: int, width: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Grid position -> the top-left cell of the merged range covering it, for every cell but the top-left ones
    (grid coordinates, ranges clipped to the grid). Overlapping ranges covering more cells than the grid has are
    a hostile file's: refused."""
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    budget = height * width
    for (r0, c0), (r1, c1) in merged:
        r0, c0, r1, c1 = r0 - top, c0 - left, min(r1 - top, height - 1), min(c1 - left, width - 1)
        if r0 < 0 or c0 < 0 or r0 >= height or c0 >= width:
            continue  # a range starting outside the used cells: nothing of it is read
        budget -= (r1 - r0 + 1) * (c1 - c0 + 1)
        if budget < 0:
            raise SheetError("merged ranges overlap: they cover more cells than the sheet has")
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    origin.setdefault((r, c), (r0, c0))
    return origin
