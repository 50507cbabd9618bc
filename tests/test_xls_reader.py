"""Reports published only as a spreadsheet (.xlsx, Excel 97 .xls): sniffed by content, read by extract.xls into the
blocks the HTML and DOCX readers give (a merged label once, in its first row; a blank under a merged value cell;
text rows as paragraphs), held to the limits (a sparse sheet would abort python-calamine's process), and a damaged
workbook is a ParseError. The workbooks are written here with xlsxwriter and xlwt, as agencies' tools write them."""

from __future__ import annotations

import io
import zipfile

import pytest

from govreports.extract import limits
from govreports.extract.sniff import sniff
from govreports.parse import ParseError, parse_bytes
from govreports.parse.api import ParseLimitError, extract

xlsxwriter = pytest.importorskip("xlsxwriter")
xlwt = pytest.importorskip("xlwt")


def xlsx(write, hidden: bool = False) -> bytes:
    """A workbook of one sheet filled by `write(sheet)` (and a hidden sheet of notes before it, if asked)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    if hidden:
        notes = book.add_worksheet("说明")
        notes.write_string(0, 0, "填报说明：本表不得修改")
        notes.hide()
    sheet = book.add_worksheet("年报")
    write(sheet)
    if hidden:
        sheet.activate()
    book.close()
    return out.getvalue()


def xls(write) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    write(book.add_sheet("年报"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def blocks(data: bytes) -> list[tuple[list[str], bool]]:
    return [(b.cells, b.is_row) for b in extract(data).blocks]


def _form_xlsx(sheet) -> None:
    """Table 三's shape in small: a title merged across the width, a label merged over three rows (三、本年度办理结果),
    a value cell merged over two rows, numbers stored as numbers and as text, blanks empty, "/" and "——"."""
    sheet.merge_range(0, 0, 0, 4, "某局2023年政府信息公开工作年度报告")
    sheet.write_string(1, 0, "一、总体情况")
    sheet.merge_range(2, 0, 4, 0, "三、本年度办理结果")
    sheet.write_string(2, 1, "（一）予以公开")
    sheet.write_number(2, 2, 5)
    sheet.write_string(2, 3, "12")  # a number stored as text
    sheet.write_number(2, 4, 1.5)
    sheet.write_string(3, 1, "（二）部分公开")
    sheet.merge_range(3, 2, 4, 2, 7)  # a value cell over two rows
    sheet.write_string(3, 3, "/")
    sheet.write_number(3, 4, 3.0)
    sheet.write_string(4, 1, "（三）不予公开")
    sheet.write_string(4, 4, "——")  # (4, 3) empty


def _form_xls(sheet) -> None:
    sheet.write_merge(0, 0, 0, 4, "某局2023年政府信息公开工作年度报告")
    sheet.write(1, 0, "一、总体情况")
    sheet.write_merge(2, 4, 0, 0, "三、本年度办理结果")
    sheet.write(2, 1, "（一）予以公开")
    sheet.write(2, 2, 5)
    sheet.write(2, 3, "12")
    sheet.write(2, 4, 1.5)
    sheet.write(3, 1, "（二）部分公开")
    sheet.write_merge(3, 4, 2, 2, 7)
    sheet.write(3, 3, "/")
    sheet.write(3, 4, 3.0)
    sheet.write(4, 1, "（三）不予公开")
    sheet.write(4, 4, "——")


FORM_BLOCKS = [
    (["某局2023年政府信息公开工作年度报告"], False),
    (["一、总体情况"], False),
    (["三、本年度办理结果", "（一）予以公开", "5", "12", "1.5"], True),
    (["（二）部分公开", "7", "/", "3"], True),  # the merged label is not repeated below its first row
    (["（三）不予公开", "", "", "——"], True),  # a blank where the merged 7 covers its column; the empty cell kept
]


@pytest.mark.parametrize("kind,make", [("xlsx", lambda: xlsx(_form_xlsx)), ("xls", lambda: xls(_form_xls))])
def test_a_form_reads_as_the_html_reader_reads_its_table(kind, make):
    data = make()
    assert sniff(data) == kind
    assert blocks(data) == FORM_BLOCKS
    assert extract(data).kind == kind


def test_a_text_cell_of_several_lines_is_a_paragraph_a_line_and_a_lone_number_stays_in_its_column():
    def write(sheet):
        sheet.merge_range(0, 0, 0, 3, "本机关认真贯彻落实《条例》。\n严格落实信息发布审核制度。")
        sheet.write_string(1, 0, "行政许可")  # a label whose values are blank: text, a paragraph
        sheet.write_number(2, 2, 40)  # a value alone in its row (its label merged from above): a row, in place
        sheet.write_string(2, 0, "")

    assert blocks(xlsx(write)) == [(["本机关认真贯彻落实《条例》。"], False), (["严格落实信息发布审核制度。"], False),
                                   (["行政许可"], False), (["", "", "40"], True)]


def test_hidden_sheets_are_not_read_and_a_sheet_not_at_a1_is_read_from_its_first_cell():
    def write(sheet):
        sheet.write_string(4, 2, "规章")
        sheet.write_number(4, 3, 2)
        sheet.merge_range(5, 2, 6, 2, "行政处罚")
        sheet.write_number(5, 3, 30)
        sheet.write_number(6, 3, 31)

    assert blocks(xlsx(write, hidden=True)) == [(["规章", "2"], True), (["行政处罚", "30"], True), (["31"], True)]


def test_numbers_are_written_as_a_report_writes_them():
    from govreports.extract.xls import cell_text

    assert [cell_text(v) for v in (5.0, 5, 1.5, 4068.208, 1e-7, 251000.0, "  12 ", True, None)] == [
        "5", "5", "1.5", "4068.208", "0.0000001", "251000", "12", "TRUE", ""]


def test_a_computed_number_reads_as_excel_shows_it():
    """A total a formula computed (SUM of 0.1 and 0.2, 收费金额 in 万元) is stored with binary noise, 0.30000000000000004;
    Excel shows 15 significant digits, and so does the report."""
    from govreports.extract.xls import cell_text

    assert [cell_text(v) for v in (0.1 + 0.2, 4068.208 * 3, 1 / 3, 123456789012345678.0)] == [
        "0.3", "12204.624", "0.333333333333333", "123456789012346000"]


def test_a_compound_file_is_sniffed_by_the_streams_at_its_root():
    data = xls(_form_xls)
    assert sniff(data) == "xls"
    renamed = data.replace("Workbook".encode("utf-16-le"), "Notebook".encode("utf-16-le"))
    assert sniff(renamed) is None  # a compound file holding neither Word nor Excel (a .ppt) is no report
    word = data.replace("Workbook".encode("utf-16-le"), "WordDocument".encode("utf-16-le")[:16])
    assert sniff(word) != "xls"


@pytest.mark.parametrize("make", [lambda: xlsx(_form_xlsx), lambda: xls(_form_xls)])
@pytest.mark.parametrize("cut", [0.3, 0.7, 0.95])
def test_a_truncated_workbook_is_a_parse_error_not_a_traceback(make, cut):
    data = make()
    with pytest.raises(ParseError):
        parse_bytes(data[: int(len(data) * cut)])


def test_a_damaged_xls_stream_is_a_parse_error():
    data = bytearray(xls(_form_xls))
    start = 512 + 512  # the Workbook stream's first sectors, after the header and the directory
    data[start:start + 600] = b"\xff" * 600
    with pytest.raises(ParseError):
        parse_bytes(bytes(data))


def test_overlapping_merged_ranges_past_the_grid_are_refused():
    from govreports.extract.xls import SheetError, sheet_blocks

    grid = [["a", "b"], ["c", "d"]]
    with pytest.raises(SheetError, match="overlap"):
        sheet_blocks(grid, (0, 0), [((0, 0), (1, 1))] * 3)
    # a range that ends before it starts covers nothing (and gives no budget to the ranges after it)
    with pytest.raises(SheetError, match="overlap"):
        sheet_blocks(grid, (0, 0), [((1, 1), (-5000, 1))] + [((0, 0), (1, 1))] * 3)
    assert sheet_blocks(grid, (0, 0), [((1, 1), (0, 0))]) == sheet_blocks(grid, (0, 0), [])


def test_a_date_alone_in_its_row_reads_as_its_iso_date():
    import datetime as dt

    from govreports.extract.xls import sheet_blocks

    blocks = sheet_blocks([[dt.datetime(2024, 1, 22)], ["发布日期"]], (0, 0), [])
    assert [b.cells for b in blocks] == [["2024-01-22"], ["发布日期"]]


def _sparse_xlsx() -> bytes:
    def write(sheet):
        sheet.write_string(0, 0, "某局2023年政府信息公开工作年度报告")
        sheet.write_string(1048575, 16383, "x")

    return xlsx(write)


def test_a_sparse_xlsx_is_a_bomb_refused_before_calamine_builds_its_grid(monkeypatch):
    # calamine would ask for 550 GB and abort the process (no exception): the check must come first
    import govreports.extract.xls as reader

    monkeypatch.setattr(reader, "extract_xls", lambda *_: pytest.fail("the reader ran"))
    data = _sparse_xlsx()
    hit = limits.check(data, "xlsx")
    assert hit is not None and hit.kind == "bomb" and "XLSX" in hit.message
    with pytest.raises(ParseLimitError) as refused:
        parse_bytes(data)
    assert refused.value.kind == "bomb"


def test_a_sparse_xls_is_refused_and_a_cell_cap_counts_blanks():
    def write(sheet):
        sheet.write(0, 0, "某局2023年政府信息公开工作年度报告")
        sheet.write(65535, 255, 1)

    hit = limits.check(xls(write), "xls")
    assert hit is not None and "16,777,216 cells" in hit.message
    form = xlsx(_form_xlsx)  # 5 rows × 5 columns
    assert limits.check(form, "xlsx") is None
    assert limits.check(form, "xlsx", limits.Limits(sheet_cells=24)).kind == "too_large"
    assert limits.check(xls(_form_xls), "xls", limits.Limits(sheet_cells=24)) is not None


def test_cells_written_without_references_still_count():
    from govreports.extract.sheetgrid import _xml_grid

    xml = b'<sheetData><row><c t="s"><v>0</v></c><c><v>1</v></c></row><row r="9"><c r="C9"><v>2</v></c></row>'
    assert _xml_grid(xml) == 10 * 5  # rows: 9 and one without a number; columns: C and two without a reference


def test_an_xlsx_zip_bomb_and_an_oversized_workbook_are_refused_by_the_zip_and_size_limits():
    data = xlsx(_form_xlsx)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/pad.xml", b"<a>" + b" " * 50_000_000 + b"</a>")
    hit = limits.check(out.getvalue(), "xlsx")
    assert hit is not None and hit.kind == "bomb" and hit.message.startswith("XLSX")
    assert limits.check_size(len(data), "xlsx", limits.Limits(docx_bytes=1000)).message.startswith("XLSX too large")


def test_the_record_says_it_came_from_a_spreadsheet():
    from govreports.render.sheet import to_xls, to_xlsx
    from strategies import record_fixture

    record = record_fixture("2021")
    assert parse_bytes(to_xlsx(record))["source_format"] == "xlsx"
    assert parse_bytes(to_xls(record))["source_format"] == "xls"
    from govreports.render import to_docx

    assert "source_format" not in parse_bytes(to_docx(record))  # other records (and their hashes) unchanged


def test_an_xls_whose_dimensions_record_lies_is_refused_before_calamine_reserves_it():
    """calamine reserves the grid an .xls's DIMENSIONS record declares before reading a cell: a fuzzed file whose
    record said 65,535 columns (one byte changed) aborted the process asking for 8 GB. The record counts too."""
    data = bytearray(xls(_form_xls))
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS (0x0200), 14 bytes: BIFF8
    assert at > 0 and limits.check(bytes(data), "xls") is None
    data[at + 4 + 4:at + 4 + 8] = b"\xff\xff\x00\x00"  # last row + 1
    data[at + 4 + 10:at + 4 + 12] = b"\xff\xff"  # last column + 1
    hit = limits.check(bytes(data), "xls")
    assert hit is not None and hit.kind == "bomb", hit
    with pytest.raises(ParseLimitError):
        parse_bytes(bytes(data))


def test_an_xlsx_declaring_more_shared_strings_than_it_holds_is_refused():
    """calamine reserves the strings a sharedStrings part declares (uniqueCount) before reading one: 4,000,000,000
    declared aborted the process asking for 96 GB (the only one of 740 numeric attributes of a report's parts, each
    set to 4,000,000,000, that did)."""
    import re

    data = xlsx(_form_xlsx)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                part = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', part)
            dst.writestr(info, part)
    hit = limits.check(out.getvalue(), "xlsx")
    assert hit is not None and hit.kind == "bomb" and "declares 4,000,000,000 strings" in hit.message
    assert limits.check(data, "xlsx") is None


def test_a_rust_panic_in_the_xlsx_reader_is_a_parse_error(monkeypatch):
    """python-calamine raises a Rust panic as pyo3's PanicException, a BaseException: on fuzzed files it escaped
    every `except Exception` and reached the user as a traceback."""
    import python_calamine

    PanicException = type("PanicException", (BaseException,), {})

    def panics(*_args, **_kwargs):
        raise PanicException("range end index 2 out of range for slice of length 0")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", panics)
    with pytest.raises(ParseError, match="out of range"):
        parse_bytes(xlsx(_form_xlsx))


# (offset, byte there, byte put) of three fuzzed copies of record_fixture("2021")'s .xls that aborted calamine's .xls
# reader: a panic inside a panic (twice), a failed allocation of 11.8 TB
_ABORTED_CALAMINE = ([(3869, 0, 209), (4825, 255, 4)], [(1744, 195, 255), (3870, 0, 103), (6619, 17, 67), (11568, 0, 255)],
                     [(6185, 126, 0), (10935, 0, 255)])


def test_an_xls_is_read_by_xlrd_which_raises_where_calamine_aborted():
    """Three of 3,000 fuzzed copies of a report .xls aborted calamine's .xls reader: no exception, the process gone
    (a parse worker 'crashed'; `govreports parse` killed). xlrd reads .xls: each copy is a record or a ParseError.
    Run in a child process, so that a reader that aborts fails this test and not the whole session."""
    import subprocess
    import sys

    from govreports.render.sheet import to_xls
    from strategies import record_fixture

    data = to_xls(record_fixture("2021"))
    assert extract(data).meta["sheet_reader"] == "xlrd"
    copies = []
    for changes in _ABORTED_CALAMINE:
        copy = bytearray(data)
        for offset, was, put in changes:
            assert copy[offset] == was  # the rendering moved: the fuzzed bytes no longer say what they said
            copy[offset] = put
        copies.append(bytes(copy).hex())
    code = ("import sys\nfrom govreports.parse import ParseError, parse_bytes\n"
            "for h in sys.argv[1:]:\n    try:\n        parse_bytes(bytes.fromhex(h))\n"
            "    except ParseError as e:\n        print(type(e).__name__, str(e)[:60])\n    else:\n        print('read')\n")
    done = subprocess.run([sys.executable, "-c", code, *copies], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": __import__("os").pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr[-500:]
    assert len(done.stdout.splitlines()) == 3, done.stdout


@pytest.mark.parametrize("kind,module,package", [("xlsx", "python_calamine", "python-calamine"), ("xls", "xlrd", "xlrd")])
def test_a_reader_not_installed_is_a_missing_tool_not_a_damaged_workbook(monkeypatch, kind, module, package):
    """A crawl run where the spreadsheet readers were not installed (a venv older than the dependency) logged
    every workbook as 'damaged XLSX workbook (ModuleNotFoundError …)': the file was blamed, and the fix not named."""
    import sys

    from govreports.parse.api import MissingToolError

    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(MissingToolError) as missing:
        parse_bytes(xlsx(_form_xlsx) if kind == "xlsx" else xls(_form_xls))
    assert missing.value.kind == "missing_tool" and package in str(missing.value) and "damaged" not in str(missing.value)
