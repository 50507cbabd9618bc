"""Tables drawn without ruling lines (OFD, PDF by both readers): their rows are text lines, a blank cell leaves no
trace in the line's words, and each value is placed in its column by its x (extract.columns). Where the positions
do not decide, a row shorter than its table is null and listed ambiguous, as a space-separated text row is: never a
value read into the wrong column."""

from __future__ import annotations

import dataclasses
import io

import pytest
from hypothesis import HealthCheck, given, settings

from govreports.extract.lines import SpacedRow
from govreports.extract.pdf import extract_pdf
from govreports.parse import parse_bytes
from govreports.parse.report import build_record
from govreports.render import pdf as render_pdf
from govreports.render.ofd import to_ofd
from strategies import record_fixture, records

TABLES = ("active", "applications", "review_litigation")


def unruled_ofd(record: dict) -> bytes:
    """The record's OFD without its ruling lines (PathObjects)."""
    from test_doc_ofd_ocr import _unruled

    return _unruled(to_ofd(record))


def unruled_pdf(record: dict, monkeypatch, align: str = "CENTER") -> bytes:
    """The record's PDF with its tables drawn without the GRID style (no ruling line on the page), its values set
    `align` in their cells."""
    plain = render_pdf.TableStyle

    class NoGrid(plain):
        def __init__(self, commands, *args, **kwargs):
            commands = [(*c[:3], align) if c[0] == "ALIGN" else c for c in commands if c[0] != "GRID"]
            super().__init__(commands, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(render_pdf, "TableStyle", NoGrid)
        return render_pdf.to_pdf(record)


def _misread(record: dict, parsed: dict) -> list:
    """Cells read as another value than the record's (a null is no misreading), and cells read right but listed
    ambiguous."""
    lost = set((parsed.get("text_layout") or {}).get("ambiguous", ()))
    out = []
    for table in TABLES:
        for row, cols in record[table].items():
            for col, value in cols.items():
                got = ((parsed.get(table) or {}).get(row) or {}).get(col)  # a table all blank is not found
                if got is not None and (got != value or f"{table}.{row}.{col}" in lost):
                    out.append((table, row, col, value, got))
    return out


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_ofd_table_without_ruling_lines_keeps_blank_cells_in_their_columns(fmt):
    """applications.new of the 2021 fixture (blank 法律服务机构) read legal_services=15, other_org=18, total=None: the
    values after the blank moved one column left; every row of table 三 and two groups of table 四 were shifted."""
    record = record_fixture(fmt)
    parsed = parse_bytes(unruled_ofd(record), "report.ofd")
    for table in TABLES:
        assert parsed[table] == record[table], table
    assert "text_layout" not in parsed


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_pdf_table_without_ruling_lines_keeps_blank_cells_in_their_columns(fmt, fast, monkeypatch):
    record = record_fixture(fmt)
    data = unruled_pdf(record, monkeypatch)
    document = extract_pdf(data, fast=fast)
    assert document.meta["pdf_reader"] == ("pdfium" if fast else "pdfplumber")
    parsed = build_record(document, {})
    for table in TABLES:
        assert parsed[table] == record[table], table
    if fast:
        assert parse_bytes(data, "report.pdf")["pdf_reader"] == "pdfium"  # pdfplumber was not asked to check it


@pytest.mark.parametrize("align", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_values_set_left_or_right_in_their_cells_are_placed_under_their_header(fmt, align, monkeypatch):
    """A value set to one side of its cell stands beside its header word, not under it: the column a header word
    names for a column blank in every row (table 四's one row, table 二's sub-tables) is found by the nearest word
    (15 cells were left null when only a word the value overlapped counted)."""
    record = record_fixture(fmt)
    parsed = parse_bytes(unruled_pdf(record, monkeypatch, align), "report.pdf")
    for table in TABLES:
        assert parsed[table] == record[table], table
    assert "text_layout" not in parsed


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(record=records())
def test_unruled_tables_of_random_records_never_read_a_value_into_the_wrong_cell(record):
    """Random records (blanks anywhere, whole columns blank): each cell is read right or left null, never misread."""
    parsed = parse_bytes(unruled_ofd(record), "report.ofd")
    assert _misread(record, parsed) == []


@pytest.mark.parametrize(("item", "blank"), [("fees", "prior_year_items"), ("fees", "change"),
                                           ("procurement", "projects"), ("procurement", "amount")])
@pytest.mark.parametrize("source", ["LEFT-pdfium", "LEFT-pdfplumber", "RIGHT-pdfium", "RIGHT-pdfplumber"])
def test_a_single_value_set_to_one_side_of_a_wide_merged_cell_is_placed(item, blank, source, monkeypatch):
    """Table 二's two-measure blocks of the 2019 form (行政事业性收费, 政府集中采购), the second measure's cell merged over
    two columns, one of the two values blank, values set left or right in their cells: the one value stood between
    the two header words, nearer neither than a word is wide, and with one column the header line could not say
    which word was its (as three columns or more all set alike to one side do): the row was left null. The page's
    blocks above, their values set as far to one side, say so: a value whose edge stands at one of their columns'
    edges is set to that side, and is its cell's word's on the other."""
    record = record_fixture("2019")
    record["active"][item][blank] = None
    if blank == "amount":
        record["active"][item]["amount_unit"] = None
    parsed = _read(record, source, monkeypatch)
    for table in TABLES:
        assert parsed[table] == record[table], table
    assert "text_layout" not in parsed


def _text_pdf(lines: list[tuple[float, str]]) -> bytes:
    """A PDF of text lines, each drawn at x as one string: words one space apart, as running text."""
    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 9)
    y = 780
    for x, line in lines:
        page.drawString(x, y, line)
        y -= 14
    page.showPage()
    page.save()
    return out.getvalue()


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_row_whose_positions_do_not_decide_is_left_null_and_listed(fast):
    """Values one space apart (running text, no columns): '（七）总计 5 6 7' in a table of seven columns cannot say
    which cells its three values are; read from the left they were 自然人, 商业企业 and 科研机构."""
    full = " ".join(["0"] * 7)
    lines = [(40, "某某局2021年政府信息公开工作年度报告"), (40, "三、收到和处理政府信息公开申请情况"), (40, "申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计"),
             (40, f"一、本年新收政府信息公开申请数量 {full}"), (40, f"二、上年结转政府信息公开申请数量 {full}"),
             (40, "（七）总计 5 6 7"), (40, f"四、结转下年度继续办理 {full}")]
    document = extract_pdf(_text_pdf(lines), fast=fast)
    total = next(b for b in document.blocks if b.cells[0] == "（七）总计")
    assert isinstance(total, SpacedRow) and total.cells == ["（七）总计", "5", "6", "7"]
    parsed = build_record(document, {})
    assert set(parsed["applications"]["total"].values()) == {None}
    assert {k for k in parsed["text_layout"]["ambiguous"] if k.startswith("applications.total.")} == {
        f"applications.total.{c}" for c in parsed["applications"]["total"]}


def test_values_in_columns_place_a_short_row_by_their_x():
    """The same rows in columns (each value drawn at its column's x): the short row's values are placed there."""
    columns = [300 + 35 * i for i in range(7)]

    def row(label: str, values: dict[int, str]) -> list[tuple[float, str]]:
        return [(40, label)] + [(columns[i], v) for i, v in values.items()]

    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 9)
    rows = [row("一、本年新收政府信息公开申请数量", dict(enumerate("1234567"))),
            row("（七）总计", {1: "5", 4: "6", 6: "7"}), row("四、结转下年度继续办理", dict(enumerate("7654321")))]
    for n, cells in enumerate(rows):
        for x, text in cells:
            page.drawString(x, 700 - 14 * n, text)
    page.showPage()
    page.save()
    for fast in (True, False):
        blocks = [b for b in extract_pdf(out.getvalue(), fast=fast).blocks if b.is_row]
        assert [b.cells for b in blocks][1] == ["（七）总计", "", "5", "", "", "6", "", "7"]
        assert all(isinstance(b, SpacedRow) for b in blocks)


def test_a_header_of_thousands_of_words_is_not_read():
    """Eight lines of 2,000 words above a table, each word over a column: matching each word against every other
    line's took 16 s (a hostile page; a report's header line has at most a few dozen words)."""
    import time

    from govreports.extract.columns import TextLine, place
    from govreports.extract.lines import line_to_block

    lines = []
    for k in range(8):
        text = " ".join(["表头"] * 2000)
        block = line_to_block(text)
        lines.append(TextLine(text, block, [(50 + 10 * j, 56 + 10 * j) for j in range(2000)], 3.0, k, [block]))
    for i in range(3):
        text = "标签 " + " ".join(["1"] * 5)
        block = line_to_block(text)
        lines.append(TextLine(text, block, [(0, 10)] + [(50 + 10 * j, 56 + 10 * j) for j in range(5)], 1.0, 100 + i,
                              [block]))
    started = time.perf_counter()
    place(lines)
    assert time.perf_counter() - started < 1.0
    assert [line.holder[0].cells for line in lines[8:]] == [["标签", "1", "1", "1", "1", "1"]] * 3


def _blanked(fmt: str, blank: str) -> dict:
    """The fixture with `blank` left blank: "natural_person" (table 三's first column, in every row) or "review"
    (table 四's whole 行政复议 group)."""
    record = record_fixture(fmt)
    if blank == "natural_person":
        for row in record["applications"].values():
            row["natural_person"] = None
    else:
        record["review_litigation"]["review"] = dict.fromkeys(record["review_litigation"]["review"])
    return record


def _read(record: dict, source: str, monkeypatch) -> dict:
    if source == "ofd":
        return parse_bytes(unruled_ofd(record), "report.ofd")
    align, reader = source.split("-")
    return build_record(extract_pdf(unruled_pdf(record, monkeypatch, align), fast=reader == "pdfium"), {})


SOURCES = ["ofd", "CENTER-pdfium", "CENTER-pdfplumber", "LEFT-pdfium", "RIGHT-pdfplumber"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_a_first_column_blank_in_every_row_is_placed_by_its_header(fmt, source, monkeypatch):
    """自然人 blank in every row of table 三: its header word, left of every value, was taken for the labels' header
    (信息内容) and the column was not added; every row of the table was one cell short and left null (161 cells
    listed ambiguous). Centred over a labels' column, 自然人 would reach over the values: it is a column's."""
    record = _blanked(fmt, "natural_person")
    parsed = _read(record, source, monkeypatch)
    for table in TABLES:
        assert parsed[table] == record[table], table
    assert "text_layout" not in parsed


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_a_blank_review_group_leaves_the_rest_of_table_four_read(fmt, source, monkeypatch):
    """行政复议 blank: its five measure words stand on a header line of their own (centred over two header rows) with
    no value under them, so that line named no column; the row's ten values could not fill fifteen columns and the
    whole table was left null. The line continues, at the columns' spacing, the line that names the others."""
    record = _blanked(fmt, "review")
    parsed = _read(record, source, monkeypatch)
    for table in TABLES:
        assert parsed[table] == record[table], table
    assert "text_layout" not in parsed


@pytest.mark.parametrize("mark", ["<super>*</super>", "<super>注1</super>", "<super>1</super>"])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_footnote_mark_after_a_row_s_last_value_is_dropped(mark, fast, monkeypatch):
    """A small raised mark after the last value of an unruled row ('… 15 821*', table 四's '… 6 917*'): the line
    ended in '821*', no number, so it was no row, its unmarked text was not tried, and the row (table 四: the whole
    table) was left null; a mark after a value inside the row was dropped already."""
    from reportlab.platypus import Paragraph

    record = record_fixture("2021")
    record["applications"]["new"]["total"] = 821
    record["review_litigation"]["litigation_after_review"]["total"] = 917
    table = render_pdf.RLTable

    def marked(data, **kwargs):  # the value cells drawn as Word draws a run followed by a superscript run
        style = render_pdf._styles()["cell_center"]
        data = [[Paragraph(f"{v}{mark}", style) if v in ("821", "917") else v for v in row] for row in data]
        return table(data, **kwargs)

    monkeypatch.setattr(render_pdf, "RLTable", marked)
    parsed = build_record(extract_pdf(unruled_pdf(record, monkeypatch), fast=fast), {})
    assert parsed["applications"] == record["applications"]
    assert parsed["review_litigation"] == record["review_litigation"]


@pytest.mark.parametrize("mark", ["*", "＊", "※", "①", "[1]", "注1"])
@pytest.mark.parametrize("source", ["ofd", "CENTER-pdfium", "CENTER-pdfplumber"])
def test_an_inline_footnote_mark_after_a_value_is_dropped(mark, source, monkeypatch):
    """A footnote mark set on the line, full size, after a value of an unruled row ('… 15 821*', '… 6 917①', and
    after a value inside the row, '… 5*  0 …'): the row's last token was no number, the line no row, and the row
    (table 四: the whole table) was left null."""
    record = record_fixture("2021")
    record["applications"]["new"]["total"] = 821
    record["applications"]["granted"]["natural_person"] = 5
    record["review_litigation"]["litigation_after_review"]["total"] = 917
    marked = {("applications", "new", "total"), ("applications", "granted", "natural_person"),
              ("review_litigation", "litigation_after_review", "total")}
    _marked_cells(monkeypatch, marked, mark)
    parsed = _read(record, source, monkeypatch)
    assert parsed["applications"] == record["applications"]
    assert parsed["review_litigation"] == record["review_litigation"]
    assert "text_layout" not in parsed


def _marked_cells(monkeypatch, marked: set, mark: str) -> None:
    """The PDF and OFD renderers write `mark` after the text of each cell in `marked` (a footnote mark on the page)."""
    from govreports.render import ofd as render_ofd

    layout_placements = render_pdf.placements

    def placements(t):
        return [(r, c, dataclasses.replace(cell, text=f"{cell.text}{mark}") if cell.ref in marked else cell)
                for r, c, cell in layout_placements(t)]

    monkeypatch.setattr(render_pdf, "placements", placements)
    monkeypatch.setattr(render_ofd, "placements", placements)


@pytest.mark.parametrize("mark", ["*", "①", "注1", "[2]"])
@pytest.mark.parametrize("source", ["ofd", "CENTER-pdfium", "CENTER-pdfplumber", "LEFT-pdfium", "LEFT-pdfplumber",
                                    "RIGHT-pdfium", "RIGHT-pdfplumber"])
def test_a_mark_word_after_a_rows_last_value_is_dropped(mark, source, monkeypatch):
    """A footnote mark as a word of its own after the last value of an unruled row ('… 15 821 *', '… 6 917 ①'),
    in a table with blank cells (placed by x): the line's last word was no number, the line no row, and the row
    (table 四: the whole table) was left null. Set right in its cell, the value stands left of its column by the
    mark's width: its span alone was a column of its own, and every row of the table was read one column off."""
    record = _blanked("2021", "natural_person")
    record["applications"]["new"]["total"] = 821
    record["review_litigation"]["litigation_after_review"]["total"] = 917
    marked = {("applications", "new", "total"), ("review_litigation", "litigation_after_review", "total")}
    _marked_cells(monkeypatch, marked, " " + mark)
    parsed = _read(record, source, monkeypatch)
    assert not _misread(record, parsed)
    assert parsed["applications"] == record["applications"]
    assert parsed["review_litigation"] == record["review_litigation"]
    assert "text_layout" not in parsed


def test_an_inline_mark_is_only_a_mark_after_a_number():
    """Only a mark glued after a number is dropped; digits (8211, a raised 1 read inline) and labels stay."""
    from govreports.extract.lines import without_inline_marks

    assert without_inline_marks("（七）总计 5* 0 821①") == "（七）总计 5 0 821"
    assert without_inline_marks("规章 -3注1 251000元[2]") == "规章 -3 251000元"
    assert without_inline_marks("规章* 8211 12") is None
    assert without_inline_marks("注1：本表 12(1) 1*2") is None


def test_a_mark_word_is_only_a_mark_after_a_rows_last_value():
    """A mark as a word of its own is dropped only after a value of the run of values the line ends in (the last
    value here), and only from a row."""
    from govreports.extract.lines import line_to_block, without_mark_words

    assert without_mark_words("规章 3 0 6 *") == "规章 3 0 6"
    assert without_mark_words("规章 3 0 6 注1") == "规章 3 0 6"
    assert without_mark_words("规章 * 3") is None
    assert without_mark_words("见 *") is None
    assert without_mark_words("详见 附件 ①") is None
    assert line_to_block("规章 3 0 6 ①").cells == ["规章", "3", "0", "6"]
    assert not line_to_block("2021 年 ①").is_row


def _cells_pdf(lines: list[tuple[float, list[tuple[float, str, str]]]]) -> bytes:
    """A PDF of text lines, each at its y as cells (x, text, align: L, C or R at x)."""
    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 7)
    for y, cells in lines:
        for x, text, align in cells:
            {"L": page.drawString, "C": page.drawCentredString, "R": page.drawRightString}[align](x, y, text)
    page.showPage()
    page.save()
    return out.getvalue()


def _table_three(filled, place):
    """The positioned lines of a page holding table 三 (2019), its header centred over columns 46 pt apart, the
    columns `filled(column)` says with a number in every row, each set as `place(x, text)` says (x the header's
    centre), and the record's applications table they should read as."""
    from govreports import schema

    rows = schema.APPLICATION_ROWS["2019"]
    xs = [250 + 46 * i for i in range(7)]
    lines = [(800, [(40, "某某局2020年政府信息公开工作年度报告", "L")]), (785, [(40, "第二十条第（九）项 政府集中采购", "L")]),
             (770, [(40, "三、收到和处理政府信息公开申请情况", "L")]),
             (755, [(x, schema.APPLICANT_LABELS[c], "C") for x, c in zip(xs, schema.APPLICANT_COLUMNS)])]
    expected = {}
    for n, row in enumerate(rows):
        expected[row] = {c: (n * 7 + i * 3) % 40 + 1 if filled(c) else None
                         for i, c in enumerate(schema.APPLICANT_COLUMNS)}
        label = schema.APPLICATION_ROW_LABELS[row].replace("（区分处理的，只计这一情形，不计其他情形）", "")
        lines.append((740 - 12 * n, [(40, label, "L")] + [place(x, str(v)) for x, v in zip(xs, expected[row].values())
                                                          if v]))
    lines.append((740 - 12 * len(rows) - 10, [(40, "四、政府信息公开行政复议、行政诉讼情况", "L")]))
    return lines, expected


@pytest.mark.parametrize("blank", ["natural_person", "social_welfare", "total"])
@pytest.mark.parametrize("align", ["L", "R"])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_values_set_to_one_side_of_wide_columns_with_a_column_blank_are_placed(blank, align, fast):
    """Table 三 in cells 46 pt wide, its numbers set right (as Excel sets them) or left, 3 pt in, and a column blank
    in every row: a value stood 18 pt from the centre of 其他 (14 pt wide), farther than that word is wide, so its
    header line said nothing, the blank column was not added and every row was left null. All the line's columns
    stand as far to one side of their words: the line names them."""
    lines, expected = _table_three(lambda c: c != blank, lambda x, v: (x + (20 if align == "R" else -20), v, align))
    parsed = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})
    assert parsed["format"] == "2019"
    assert parsed["applications"] == expected


@pytest.mark.parametrize("keep", [("total",), ("other_org", "total"), ("other_org",)])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_table_whose_values_all_stand_far_right_keeps_its_first_column(keep, fast):
    """Table 三 with values only in its last columns (a small agency fills 总计 alone): 自然人, the header line's first
    word, stood left of every value, and its column, from the labels' start, would have ended before the first
    value: it was taken for the labels' header (信息内容), its column not added, and every row, one cell short, was
    left null. The labels' header's column ends before the line's next word; 自然人's reaches over 商业企业."""
    lines, expected = _table_three(lambda c: c in keep, lambda x, v: (x, v, "C"))
    parsed = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})
    assert parsed["applications"] == expected
    assert "text_layout" not in parsed


@pytest.mark.parametrize(("row", "split"), [(0, ("1234", "5")), (0, ("12", "345")), (5, ("12", "345")),
                                            (22, ("1", "2345")), (22, ("1234", "5")), (22, ("12", "345"))])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_number_wrapped_in_its_cell_is_read_whole(split, row, fast):
    """12345 in a narrow 总计 cell, wrapped onto a second line ('1234' and, under it in the same column, '5'): the
    row read 1234 and the line below, one value, was dropped (as a page number where it had three digits or
    fewer). A line of one value right under a row's value in its column, nearer than two lines' height, is the rest
    of that value. The last row's rest of three digits or fewer, no line near below it, was dropped as a page number
    (1234 read for 12345): a bare number under a value of the row line just above it is that value's rest."""
    from govreports import schema

    rows = schema.APPLICATION_ROWS["2019"]
    xs = [250 + 46 * i for i in range(7)]
    lines = [(800, [(40, "某某局2020年政府信息公开工作年度报告", "L")]), (785, [(40, "第二十条第（九）项 政府集中采购", "L")]),
             (770, [(40, "三、收到和处理政府信息公开申请情况", "L")]),
             (755, [(x, schema.APPLICANT_LABELS[c], "C") for x, c in zip(xs, schema.APPLICANT_COLUMNS)])]
    expected, y = {}, 740
    for n, key in enumerate(rows):
        expected[key] = {c: (n * 7 + i * 3) % 40 + 1 for i, c in enumerate(schema.APPLICANT_COLUMNS)}
        label = schema.APPLICATION_ROW_LABELS[key].replace("（区分处理的，只计这一情形，不计其他情形）", "")
        cells = [(40, label, "L")] + [(x, str(v), "C") for x, v in zip(xs, expected[key].values())]
        if n == row:
            expected[key]["total"] = int("".join(split))
            lines += [(y, cells[:-1] + [(xs[-1], split[0], "C")]), (y - 9, [(xs[-1], split[1], "C")])]
            y -= 9
        else:
            lines.append((y, cells))
        y -= 12
    lines.append((y - 10, [(40, "四、政府信息公开行政复议、行政诉讼情况", "L")]))
    parsed = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})
    assert parsed["applications"] == expected


def _table_three_at_the_foot():
    """The positioned lines of a page whose table 三 (2019, every cell filled, rows 12 pt apart, columns 46 pt apart
    from x 250) runs to the page's foot; the record's applications table they should read as; and the y of its last
    row's line."""
    from govreports import schema

    rows = schema.APPLICATION_ROWS["2019"]
    xs = [250 + 46 * i for i in range(7)]
    y = 60 + 12 * len(rows)
    lines = [(800, [(40, "某某局2020年政府信息公开工作年度报告", "L")]), (785, [(40, "第二十条第（九）项 政府集中采购", "L")]),
             (y + 45, [(40, "三、收到和处理政府信息公开申请情况", "L")]),
             (y + 30, [(x, schema.APPLICANT_LABELS[c], "C") for x, c in zip(xs, schema.APPLICANT_COLUMNS)])]
    expected = {}
    for n, key in enumerate(rows):
        expected[key] = {c: (n * 7 + i * 3) % 40 + 1 for i, c in enumerate(schema.APPLICANT_COLUMNS)}
        label = schema.APPLICATION_ROW_LABELS[key].replace("（区分处理的，只计这一情形，不计其他情形）", "")
        lines.append((y, [(40, label, "L")] + [(x, str(v), "C") for x, v in zip(xs, expected[key].values())]))
        y -= 12
    return lines, expected, y + 12


@pytest.mark.parametrize("gap", [20, 36])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_under_a_table_s_last_value_is_not_joined_to_it(gap, fast):
    """A table running to the page's foot, its page number below the margin under the 总计 column: the number is no
    wrapped rest of the last row's 总计 (its line is farther than two lines' height below) and is not read."""
    lines, expected, last = _table_three_at_the_foot()
    lines.append((last - gap, [(250 + 46 * 6, "12", "C")]))  # under 总计
    document = extract_pdf(_cells_pdf(lines), fast=fast)
    assert not any(b.cells == ["12"] for b in document.blocks)
    assert build_record(document, {})["applications"] == expected


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_farther_under_the_last_row_than_a_row_is_not_joined_to_it(fast):
    """A page number in the table's size, centred on the page, under the last row nearer than two lines' height
    but farther than the table's rows stand apart (13 pt under, rows 12 pt apart): it stood under 商业企业's 38 of
    结转下年度 and was joined to it, 387, silently. A value's rest wrapped in its cell stands nearer than the next row
    would."""
    lines, expected, last = _table_three_at_the_foot()
    lines.append((last - 13, [(297.6, "7", "C")]))  # the page's centre, over 商业企业's column
    document = extract_pdf(_cells_pdf(lines), fast=fast)
    assert build_record(document, {})["applications"] == expected


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_under_a_table_of_one_row_farther_than_its_header_is_not_joined_to_it(fast):
    """Table 二's last part (第二十条第（九）项) is a table of one row: a page number in its size 13 pt under it, in the
    采购总金额 column (the page's centre), was joined to 125.5 (125.57), silently: with one row there is no rows'
    pitch to stand nearer than; the header line's distance above the row is one."""
    lines = [(800, [(40, "某某局2020年政府信息公开工作年度报告", "L")]), (780, [(40, "二、主动公开政府信息情况", "L")]),
             (765, [(40, "第二十条第（八）项", "L")]),
             (753, [(40, "信息内容", "L"), (200, "上一年项目数量", "C"), (297.6, "本年增/减", "C")]),
             (741, [(40, "行政事业性收费", "L"), (200, "4", "C"), (297.6, "2", "C")]),
             (729, [(40, "第二十条第（九）项", "L")]),
             (717, [(40, "信息内容", "L"), (200, "采购项目数量", "C"), (297.6, "采购总金额", "C")]),
             (705, [(40, "政府集中采购", "L"), (200, "3", "C"), (297.6, "125.5", "C")]),
             (692, [(297.6, "7", "C")])]
    active = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})["active"]
    assert active["procurement"]["amount"] == 125.5 and active["procurement"]["projects"] == 3


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_close_under_a_table_in_another_size_is_not_joined_to_it(fast):
    """A page number close under the last row (the table runs into the footer), in the 总计 column, but set larger
    than the table's numbers: a value's wrapped rest is set as the value is, and a page number is not read."""
    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 7)
    page.drawString(40, 700, "三、收到和处理政府信息公开申请情况")
    page.drawString(40, 688, "四、结转下年度继续办理")
    for i, v in enumerate(["1", "2", "3", "4", "5", "6", "1234"]):
        page.drawCentredString(250 + 46 * i, 688, v)
    page.setFont(FONT, 10.5)
    page.drawCentredString(250 + 46 * 6, 676, "5")
    page.showPage()
    page.save()
    document = extract_pdf(out.getvalue(), fast=fast)
    assert [b.cells for b in document.blocks if b.is_row] == [["四、结转下年度继续办理", "1", "2", "3", "4", "5", "6", "1234"]]
    assert not any(b.cells == ["5"] for b in document.blocks)


@pytest.mark.parametrize("value", [7, 345])
@pytest.mark.parametrize("source", ["ofd", "CENTER-pdfium", "CENTER-pdfplumber"])
def test_a_row_s_only_value_on_a_line_of_its_own_is_no_page_number(value, source, monkeypatch):
    """（六）1. with only its 总计 (7): the value stands on a line of its own between its label's wrapped lines, and a
    line of one to three digits was dropped as a page number: the row was silently null (1234 was read)."""
    record = record_fixture("2021")
    record["applications"]["other_overdue_correction"] = dict.fromkeys(record["applications"]["new"])
    record["applications"]["other_overdue_correction"]["total"] = value
    parsed = _read(record, source, monkeypatch)
    assert parsed["applications"] == record["applications"]


def test_a_row_s_only_value_under_a_value_of_the_row_above_is_not_joined_to_it():
    """A row's only value on its own line between its label's wrapped lines, in a column where the row above has a
    value, close below it: it is that row's value, not the rest of the value above (the label's line between)."""
    from govreports.extract.columns import TextLine, place
    from govreports.extract.lines import line_to_block

    def line(text, spans, top):
        block = line_to_block(text)
        return TextLine(text, block, spans, 7.0, top, [block])

    lines = [line("标签一 1 2", [(0, 21), (100, 104), (140, 144)], 0),
             line("标签二上半", [(0, 35)], 5), line("3", [(140, 144)], 9), line("下半", [(0, 14)], 13),
             line("标签三 4 5", [(0, 21), (100, 104), (140, 144)], 22)]
    place(lines)
    assert [ln.holder[0].cells for ln in lines if ln.holder][0] == ["标签一", "1", "2"]
    assert lines[2].holder and lines[2].holder[0].cells[-1] == "3"
