"""More tables drawn without ruling lines (see test_unruled_tables): page numbers close under a table's last row,
footnote marks as words of their own inside a row or after a row's only value, table 三 with one or two value
columns set to one side of their cells, and a header cell split in two words over its value."""

from __future__ import annotations

import io

import pytest

from govreports.extract.pdf import extract_pdf
from govreports.parse.report import build_record
from strategies import record_fixture
from test_unruled_tables import (_blanked, _cells_pdf, _marked_cells, _misread, _read, _table_three,
                                 _table_three_at_the_foot)


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_centred_on_the_page_nearer_than_a_row_is_not_joined(fast):
    """The page's number centred on the page 9 pt under the last row (rows 12 pt apart, so nearer than the next row
    would stand), in the table's size, over 商业企业's 38 of 结转下年度: it was joined to it, 387, silently. The column's
    values are centred in their cells (their centres agree, their edges do not): a value's wrapped rest would be
    centred under it, and the page number stands 1.6 pt off that centre."""
    lines, expected, last = _table_three_at_the_foot()
    lines.append((last - 9, [(297.6, "7", "C")]))
    document = extract_pdf(_cells_pdf(lines), fast=fast)
    assert build_record(document, {})["applications"] == expected


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_where_the_other_pages_have_theirs_is_not_joined(fast):
    """The page's number 9 pt under the last row, centred at the centre of 商业企业's column (so set as a wrapped rest
    of its 38 would be): 387 was read, silently. The page before has its number at the same place: a bare number
    where another page has its page number is this page's."""
    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    lines, expected, last = _table_three_at_the_foot()
    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 7)
    page.drawString(40, 800, "某某局2020年政府信息公开工作年度报告")
    page.drawString(40, 700, "一、总体情况")
    page.drawCentredString(296, last - 9, "6")
    page.showPage()
    page.setFont(FONT, 7)
    for y, cells in lines[1:]:
        for x, text, align in cells:
            {"L": page.drawString, "C": page.drawCentredString, "R": page.drawRightString}[align](x, y, text)
    page.drawCentredString(296, last - 9, "7")
    page.showPage()
    page.save()
    document = extract_pdf(out.getvalue(), fast=fast)
    assert build_record(document, {})["applications"] == expected


def test_an_ofd_page_number_where_the_pages_before_have_theirs_is_not_joined():
    """The OFD reader, page by page: the second page's number stands where the first page's does, centred under
    商业企业's 38 of the table's last row 9 pt above it; it read 387."""
    from govreports.extract.document import Document
    from govreports.extract.ofd import page_blocks

    def glyphs(cells, y, size=7.0):
        out = []
        for x, text, align in cells:
            x0 = {"L": x, "C": x - len(text) * size / 2, "R": x - len(text) * size}[align]
            base = 842 - y
            out += [{"text": ch, "x0": x0 + i * size, "x1": x0 + (i + 1) * size, "top": base - size, "bottom": base,
                     "base": base, "size": size} for i, ch in enumerate(text)]
        return out

    lines, expected, last = _table_three_at_the_foot()
    carry: dict = {}
    first = glyphs([(40, "某某局2020年政府信息公开工作年度报告", "L")], 800) + glyphs([(296, "6", "C")], last - 9)
    blocks = page_blocks(first, [], carry)
    second = [g for y, cells in lines[1:] for g in glyphs(cells, y)] + glyphs([(296, "7", "C")], last - 9)
    blocks += page_blocks(second, [], carry)
    assert build_record(Document(kind="ofd", blocks=blocks, meta={}), {})["applications"] == expected


@pytest.mark.parametrize("align", ["L", "C", "R"])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_the_last_row_s_value_wrapped_in_its_cell_is_still_read_whole(align, fast):
    """The guard of the rule above: 12345 in the last row's 总计, wrapped ('1234' and under it '5', no line near
    below it: a possible page number), its column's values set left, centred or right: the rest stands as they are
    set and is joined."""
    lines, expected, last = _table_three_at_the_foot()
    x = 250 + 46 * 6 + {"L": -10, "C": 0, "R": 10}[align]
    row = lines[-1]
    lines[-1] = (row[0], row[1][:-1] + [(x, "1234", align)])
    lines[:-1] = [(y, cells[:-1] + [(x, cells[-1][1], align)]) if len(cells) == 8 else (y, cells)
                  for y, cells in lines[:-1]]
    lines.append((last - 9, [(x, "5", align)]))
    expected["carried_out"]["total"] = 12345
    document = extract_pdf(_cells_pdf(lines), fast=fast)
    assert build_record(document, {})["applications"] == expected


@pytest.mark.parametrize("source", ["ofd", "CENTER-pdfium", "CENTER-pdfplumber", "RIGHT-pdfium", "LEFT-pdfplumber"])
def test_a_mark_word_after_a_value_inside_a_row_is_dropped(source, monkeypatch):
    """'规章 3 * 0 6': a footnote mark as a word of its own after a value that is not the row's last; the line's words
    after the label were not all values, the line was no row and 规章 was left null (as table 三's row)."""
    record = _blanked("2021", "natural_person")
    record["active"]["rules"].update(issued=3, repealed=0, in_force=6)
    record["applications"]["new"]["commercial"] = 17
    marked = {("active", "rules", "issued"), ("applications", "new", "commercial")}
    _marked_cells(monkeypatch, marked, " *")
    parsed = _read(record, source, monkeypatch)
    assert not _misread(record, parsed)
    assert parsed["active"] == record["active"]
    assert parsed["applications"] == record["applications"]


@pytest.mark.parametrize("source", ["ofd", "CENTER-pdfium", "CENTER-pdfplumber"])
def test_a_mark_word_after_a_row_s_only_value_on_its_own_line_is_dropped(source, monkeypatch):
    """'821 *' alone on its line: a row's only value (its label wrapped around it) with a footnote mark as a word of
    its own after it was no value and the row was left null."""
    record = record_fixture("2021")
    record["applications"]["other_overdue_correction"] = dict.fromkeys(record["applications"]["new"])
    record["applications"]["other_overdue_correction"]["total"] = 821
    _marked_cells(monkeypatch, {("applications", "other_overdue_correction", "total")}, " *")
    parsed = _read(record, source, monkeypatch)
    assert not _misread(record, parsed)
    assert parsed["applications"] == record["applications"]


def test_a_mark_word_is_only_a_mark_after_a_value_in_the_run_of_values_a_line_ends_in():
    """Marks as words of their own are dropped after any value of the run the line ends in, never after its label;
    a value and its mark alone on a line are that value."""
    from govreports.extract.lines import line_to_block, marks_dropped, without_mark_words

    assert without_mark_words("规章 3 * 0 6") == "规章 3 0 6"
    assert without_mark_words("规章 3 * 0 ① 6 注1") == "规章 3 0 6"
    assert without_mark_words("规章 * 3 0") is None
    assert without_mark_words("详见 附件 ① 说明") is None
    assert line_to_block("规章 3 * 0 6").cells == ["规章", "3", "0", "6"]
    text, block, spans = marks_dropped("821 *", line_to_block("821 *"), [(10.0, 20.0), (21.0, 24.0)])
    assert (text, block.cells, block.is_row, spans) == ("821", ["821"], False, [(10.0, 24.0)])
    text, block, spans = marks_dropped("见 *", line_to_block("见 *"), [(10.0, 20.0), (21.0, 24.0)])
    assert (text, block.cells) == ("见 *", ["见 *"])


@pytest.mark.parametrize("keep", [("total",), ("other_org", "total"), ("natural_person",),
                                  ("natural_person", "commercial")])
@pytest.mark.parametrize("align", ["L", "R"])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_one_or_two_value_columns_set_to_one_side_of_their_cells_are_placed(keep, align, fast):
    """Table 三 with values in one or two columns only, set right (or left) in cells 46 pt wide, and nothing else
    on the page set to one side: a value stood 20 pt from its header word's centre, farther than the word is wide,
    and with fewer than three such columns the header line said nothing: every row was left null. A column's own
    values, of different widths, share the edge they are set to (and not the other): they say its side."""
    lines, expected = _table_three(lambda c: c in keep, lambda x, v: (x + (20 if align == "R" else -20), v, align))
    parsed = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})
    assert not _misread({"active": {}, "applications": expected, "review_litigation": {}}, parsed)
    assert parsed["applications"] == expected


@pytest.mark.parametrize("gap", [4, 6])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_header_split_in_two_words_over_its_value_names_its_column(gap, fast):
    """2021 table 二's 本年收费金额（单位：万元） centred in its cell but set as two words (a gap before the parenthesis,
    as PDFium's tight glyph boxes can leave it), the value centred in the cell under the gap, a little nearer the
    second word's centre: the first word, over no value, was taken for a column blank in every row, the row was a
    cell too long and 收费金额 was left null."""
    a, b = "本年收费金额", "（单位：万元）"
    start = 300 - (7 * len(a) + gap + 7 * len(b)) / 2
    lines = [(800, [(40, "某某局2022年政府信息公开工作年度报告", "L")]), (780, [(40, "二、主动公开政府信息情况", "L")]),
             (765, [(40, "第二十条第（八）项", "L")]),
             (753, [(40, "信息内容", "L"), (start, a, "L"), (start + 7 * len(a) + gap, b, "L")]),
             (741, [(40, "行政事业性收费", "L"), (300, "4068.208", "C")]),
             (720, [(40, "三、收到和处理政府信息公开申请情况", "L")])]
    parsed = build_record(extract_pdf(_cells_pdf(lines), fast=fast), {})
    assert parsed["active"]["fees"]["amount_10k_yuan"] == 4068.208
    assert "text_layout" not in parsed
