"""How large a grid each sheet of a workbook spans, counted from the file's bytes before any reader loads it.

The readers (extract.xls) build each sheet as one dense grid, blanks included: python-calamine from its first used
cell to its last, xlrd from A1 with every row as wide as the widest. A failed allocation in calamine's Rust code
aborts the process (no exception): an .xlsx of two cells, A1 and XFD1048576, asks for 550 GB and kills the parse
worker (measured); so does a sharedStrings part declaring 4,000,000,000 strings (calamine reserves them: 96 GB),
counted here too (xlsx_counts). So extract.limits counts the grid from what the file says:
- .xlsx: each XML part's cell references (`<c r="B7">`, any namespace prefix) and row numbers; a cell or row
  written without its reference (allowed, rare) widens the bound by one, so the count never falls short;
- .xls: the Workbook stream's cell records (BIFF8 and BIFF5: each starts with its row and column; MULRK and
  MULBLANK name their last column at the end), per worksheet substream (a chart's substream nested in it is
  skipped), and its DIMENSIONS record, which readers may size their grid by (calamine reserved the grid it
  declares before reading a cell: a fuzzed .xls whose DIMENSIONS said 65,535 columns aborted it asking for 8 GB),
  so a sheet counts the larger of the two. BIFF caps a sheet's cells at 65,536 × 256, still 16.7 million (537 MB in calamine) for a file of a
  few KB.
Both count from A1 (calamine's grid starts at the first used cell): an upper bound, exact for a sheet that starts
near A1 as every report does. An .xlsx's `<dimension>` element is not read: calamine grows the grid from the cells
(a ref of A1:XFD1048576 over two cells reads as two cells, measured).
"""

from __future__ import annotations

import re
import struct
import zipfile
from io import BytesIO

from govreports.extract import ole

# a cell's reference: <c r="AB12" …> or <x:c s="1" r="AB12">, attributes in any order
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,4})([0-9]{1,8})\"")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"([0-9]{1,8})\"")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")

# BIFF cell records: FORMULA, RSTRING, LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK; MULRK and MULBLANK
_BIFF_CELLS = frozenset((0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E))
_BIFF_MULTI = frozenset((0x00BD, 0x00BE))
_BOF, _EOF, _WORKSHEET, _DIMENSIONS = 0x0809, 0x000A, 0x0010, 0x0200


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def xlsx_counts(data: bytes) -> tuple[list[tuple[str, int]], tuple[str, int, int] | None] | None:
    """In one walk over the package's XML parts: (part name, rows × columns its cells span) of each part holding
    cells, largest first; and (part, strings its <sst> declares, strings it holds) for the shared-strings part
    that declares the most more than it holds, or None (calamine reserves the declared count before reading a
    string). None for a zip that cannot be read (the reader reports it). Called after extract.limits.check_zip, so
    no part is a bomb and none is over the XML size limit."""
    grids, worst = [], None
    try:
        for name, xml in _xml_parts(data):
            if b"<" not in xml:
                continue
            if grid := _xml_grid(xml):
                grids.append((name, grid))
            if (m := _SST_COUNT.search(xml[:4096])) is not None:
                declared, held = int(m.group(1)), len(_SI.findall(xml))
                if declared > held and (worst is None or declared - held > worst[1] - worst[2]):
                    worst = (name, declared, held)
    except _Unreadable:
        return None
    return sorted(grids, key=lambda g: -g[1]), worst


class _Unreadable(Exception):
    """A zip, or a part of it, that cannot be read: the reader says what is wrong with it."""


def _xml_parts(data: bytes):
    """(name, bytes) of each XML part of the package, one at a time (_Unreadable where it cannot be read)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _Unreadable from None
    with archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".xml"):
                continue
            try:
                xml = archive.read(info)
            except Exception:  # noqa: BLE001 - a damaged part: the reader says so
                raise _Unreadable from None
            yield info.filename, xml


_SST_COUNT = re.compile(rb"<(?:\w+:)?sst\s[^>]*?\buniqueCount=\"([0-9]{1,20})\"")
_SI = re.compile(rb"<(?:\w+:)?si[\s>/]")


def _xml_grid(xml: bytes) -> int:
    refs = _CELL_REF.findall(xml)
    cells = len(_CELL.findall(xml))
    if not cells:
        return 0
    letters = {ref[0] for ref in refs}
    width = max(map(_column_number, letters), default=0) + cells - len(refs)
    row_refs = [int(r) for r in _ROW_REF.findall(xml)]
    height = max([int(ref[1]) for ref in refs] + row_refs + [0]) + len(_ROW.findall(xml)) - len(row_refs)
    return max(height, 1) * max(width, 1)


def xls_grids(data: bytes) -> list[tuple[str, int]] | None:
    """(sheet number, rows × columns its cells or its DIMENSIONS span, the larger) of each worksheet of an .xls,
    largest first; None when the Workbook stream cannot be found or read."""
    stream = ole.read_stream(data, "Workbook", "Book")
    if stream is None:
        return None
    grids: list[tuple[str, int]] = []
    pos, sheet, depth = 0, None, 0
    end = len(stream) - 4
    while pos <= end:
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind == _BOF:
            depth += 1
            if len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] == _WORKSHEET and depth == 1:
                sheet = _Sheet()
        elif kind == _EOF:
            if depth == 1 and sheet is not None:
                grids.append((f"sheet {len(grids) + 1}", sheet.cells))
                sheet = None
            depth = max(depth - 1, 0)
        elif sheet is None or len(body) < 4:
            continue
        elif kind == _DIMENSIONS and len(body) >= 10:
            # BIFF8: first row, last row + 1 (32 bits each), first column, last column + 1; BIFF5: rows in 16 bits
            wide = len(body) >= 14
            sheet.declared = max(sheet.declared, struct.unpack_from("<I" if wide else "<H", body, 4 if wide else 2)[0]
                                 * struct.unpack_from("<H", body, 10 if wide else 6)[0])
        elif kind in _BIFF_CELLS or kind in _BIFF_MULTI:
            row, col = struct.unpack_from("<HH", body, 0)
            if kind in _BIFF_MULTI and len(body) >= 6:
                col = max(col, struct.unpack_from("<H", body, len(body) - 2)[0])
            sheet.rows, sheet.cols = max(sheet.rows, row + 1), max(sheet.cols, col + 1)
    if sheet is not None:  # a stream cut before the sheet's end
        grids.append((f"sheet {len(grids) + 1}", sheet.cells))
    return sorted(grids, key=lambda g: -g[1])


class _Sheet:
    __slots__ = ("rows", "cols", "declared")

    def __init__(self) -> None:
        self.rows = self.cols = self.declared = 0

    @property
    def cells(self) -> int:
        return max(self.rows * self.cols, self.declared)
