"""Spreadsheets (.xlsx; .xls Excel 97–2003 / WPS) → blocks, with python-calamine and xlrd, sheet by sheet, row by row.

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

Two readers, each for what it reads safely. An .xlsx is read by python-calamine (Rust, ~1 ms a report sheet with its
merged ranges; openpyxl took 110 ms on the same sheet, 10 s on 200,000 cells). An .xls is read by xlrd (pure
Python, 2 ms a report, merged ranges with formatting_info): calamine's .xls reader aborted the process (no
exception: a failed allocation, or a panic inside a panic) on 3 of 3,000 fuzzed copies of a report, where xlrd
raises. calamine builds a sheet as a dense grid and reserves what a file declares (a sharedStrings uniqueCount,
a grid's far corner), so extract.limits.check_sheets counts those from the file before it runs; a Rust panic it
raises (pyo3's PanicException, a BaseException) is a damaged file here like any other error. Merged ranges are
clipped to the grid, and ranges overlapping each other past the grid's size are refused.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from govreports.extract.document import Block, Document, MissingTool
from govreports.extract.lines import line_to_block
from govreports.parse.values import parse_value


class SheetError(ValueError):
    """A workbook its reader could not read (damaged, truncated, encrypted); the message says what it said."""


class MissingReader(MissingTool):
    """A spreadsheet reader (a Python dependency) not installed: the parse fails as `missing_tool` naming the
    package, not as a damaged workbook (a venv made before the dependency blamed every file)."""

    def __init__(self, what: str, package: str):
        Exception.__init__(self, f"reading {what} needs the Python package {package}, a dependency of govreports: "
                                 f"install it (pip install {package}, or reinstall the project)")
        self.program = self.package = package


def _reader(module: str, package: str, what: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingReader(what, package) from None


def extract_xls(data: bytes, kind: str = "xlsx") -> Document:
    """A workbook's visible sheets as blocks; `kind` (xls | xlsx, as sniffed) names the document and its reader."""
    sheets = _xls_sheets(data) if kind == "xls" else _xlsx_sheets(data)
    blocks: list[Block] = []
    for grid, start, merged in sheets:
        blocks.extend(sheet_blocks(grid, start, merged))
    return Document(kind=kind, blocks=blocks, meta={"sheet_reader": "xlrd" if kind == "xls" else "calamine"})


def _xlsx_sheets(data: bytes) -> list[tuple[list[list], tuple[int, int] | None, list]]:
    calamine = _reader("python_calamine", "python-calamine", ".xlsx workbooks")

    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = _read_order([(m.name, m.typ == calamine.SheetTypeEnum.WorkSheet,
                              m.visible == calamine.SheetVisibleEnum.Visible) for m in book.sheets_metadata])
        sheets = []
        for name in names:
            sheet = book.get_sheet_by_name(name)
            sheets.append((sheet.to_python(), sheet.start, list(sheet.merged_cell_ranges or ())))
        return sheets
    except calamine.PasswordError:
        raise SheetError("the workbook is encrypted (password protected)") from None
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # CalamineError, and a Rust panic (pyo3's PanicException is a BaseException)
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise SheetError(f"calamine could not read the workbook: {str(exc)[:200]}") from None


def _xls_sheets(data: bytes) -> list[tuple[list[list], tuple[int, int] | None, list]]:
    xlrd = _reader("xlrd", "xlrd", "Excel .xls workbooks")

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO())
        sheets = {sheet.name: sheet for sheet in book.sheets()}
        names = _read_order([(sheet.name, True, sheet.visibility == 0) for sheet in book.sheets()])
        out = []
        for name in names:
            sheet = sheets[name]
            grid = [[_xls_value(kind, value, book.datemode) for kind, value in
                     zip(sheet.row_types(r), sheet.row_values(r))] for r in range(sheet.nrows)]
            merged = [((rlo, clo), (rhi - 1, chi - 1)) for rlo, rhi, clo, chi in sheet.merged_cells]
            out.append(_trimmed(grid, merged))
        return out
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - XLRDError, CompDocError, struct.error…: a damaged or encrypted file
        raise SheetError(f"xlrd could not read the workbook: {type(exc).__name__}: {str(exc)[:200]}") from None


def _xls_value(kind: int, value, datemode: int):
    """An xlrd cell as calamine gives one: text, a float, a bool, a datetime, an error's text, None when empty."""
    import xlrd

    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    return None if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else value


def _trimmed(grid: list[list], merged: list) -> tuple[list[list], tuple[int, int] | None, list]:
    """The grid from its first used row and column, as calamine gives a sheet (xlrd's starts at A1)."""
    used = [(r, next(c for c, v in enumerate(row) if v not in (None, ""))) for r, row in enumerate(grid)
            if any(v not in (None, "") for v in row)]
    if not used:
        return [], None, []
    top, left = used[0][0], min(c for _r, c in used)
    return [row[left:] for row in grid[top:]], (top, left), merged


def _read_order(sheets: list[tuple[str, bool, bool]]) -> list[str]:
    """The names of the sheets to read, of (name, is a worksheet, is visible): the visible worksheets, else every
    worksheet (a workbook whose report sheet is hidden still has a report), else every sheet."""
    worksheets = [s for s in sheets if s[1]] or sheets
    visible = [s for s in worksheets if s[2]]
    return [name for name, _, _ in visible or worksheets]


def cell_text(value) -> str:
    """A cell's value as its text: numbers as a report writes them (no ".0", no exponent, 15 significant digits as
    Excel shows them), dates as ISO dates."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        value = float(f"{value:.15g}")  # as Excel shows it: a formula's 0.1 + 0.2 is 0.30000000000000004 stored
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
        if len(filled) == 1 and parse_value(text := cells[filled[0]]) is None:
            raw = row[columns[filled[0]]]  # a text cell's own lines; a date's or a bool's text as it reads
            blocks.extend(b for line in (_lines(raw) if isinstance(raw, str) else [text])
                          if (b := line_to_block(line)) is not None)
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
        if r0 < 0 or c0 < 0 or r0 >= height or c0 >= width or r1 < r0 or c1 < c0:
            continue  # a range starting outside the used cells (or ending before it starts): nothing of it is read
        budget -= (r1 - r0 + 1) * (c1 - c0 + 1)
        if budget < 0:
            raise SheetError("merged ranges overlap: they cover more cells than the sheet has")
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    origin.setdefault((r, c), (r0, c0))
    return origin
