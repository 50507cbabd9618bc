"""The renderers draw the official forms: right cells, right spans, every value where the form puts it.

Expected values are computed here from the record (not from the layout module), so a layout bug shows up as a
failure rather than being copied into the expectation.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import lxml.html
import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import SENTENCES, record_fixture, records

from govreports import schema
from govreports.render import BLANK_PLACEHOLDER, to_docx, to_html, to_pdf, to_text
from govreports.render.layout import format_number, placements, tables

FORMATS = ("2019", "2021")
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=60, deadline=None)


def text_of(value, unit=None) -> str:
    if value is None:
        return ""
    s = str(value) if isinstance(value, int) else repr(value)
    return s + (unit or "")


def application_values(record, row) -> list[str]:
    return [text_of(record["applications"][row][c]) for c in schema.APPLICANT_COLUMNS]


def review_values(record) -> list[str]:
    return [text_of(record["review_litigation"][g][m]) for g in schema.REVIEW_GROUPS for m in schema.REVIEW_MEASURES]


def active_values(record, item) -> list[str]:
    cols = record["active"][item]
    return [text_of(v, cols.get("amount_unit") if m == "amount" else None)
            for m, v in cols.items() if m != "amount_unit"]


def n_data_rows(fmt):  # rows of table 三 below its 3 header rows
    return {"2019": 23, "2021": 25}[fmt]


# --- layout ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("variant", ["clean", "word"])
def test_every_grid_position_is_covered_exactly_once(fmt, variant):
    for table in tables(record_fixture(fmt), variant).values():
        covered: dict[tuple[int, int], int] = {}
        for r, c, cell in placements(table):
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    covered[(r + dr, c + dc)] = covered.get((r + dr, c + dc), 0) + 1
        assert set(covered.values()) == {1}, table.key
        assert set(covered) == {(r, c) for r in range(len(table.rows)) for c in range(table.ncols)}, table.key


@given(records())
@FAST
def test_value_cells_cover_every_record_cell_once(record):
    refs = [cell.ref for t in tables(record).values() for row in t.rows for cell in row if cell.ref]
    expected = [(t, r, c) for t, r, c, _ in schema.iter_cells(record) if c != "amount_unit"]
    assert sorted(refs) == sorted(expected)


def test_format_number_never_uses_an_exponent():
    assert format_number(251000.5) == "251000.5"
    assert format_number(4068.208) == "4068.208"
    assert format_number(-3) == "-3"
    assert format_number(None) is None
    assert "e" not in format_number(1e16)
    assert "e" not in format_number(1.5e-5)
    with pytest.raises(TypeError):
        format_number(True)


# --- HTML -----------------------------------------------------------------------------------------------------------

def html_tables(page: str):
    root = lxml.html.fromstring(page)
    return root, root.xpath("//table")


def html_grid(rows) -> dict:
    """(row, column) -> td, resolving rowspan/colspan independently of the renderer's layout code."""
    grid: dict = {}
    for r, tr in enumerate(rows):
        c = 0
        for td in tr.xpath("./td"):
            while (r, c) in grid:
                c += 1
            for dr in range(int(td.get("rowspan", 1))):
                for dc in range(int(td.get("colspan", 1))):
                    assert (r + dr, c + dc) not in grid
                    grid[(r + dr, c + dc)] = td
            c += int(td.get("colspan", 1))
    return grid


def cell_text(td) -> str:
    return td.text_content().replace("\xa0", "").strip()


@pytest.mark.parametrize("style", ["clean", "word"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_html_application_table_follows_the_form(style, fmt):
    record = record_fixture(fmt)
    _, found = html_tables(to_html(record, style))
    assert len(found) == 3
    rows = found[1].xpath(".//tr")
    assert len(rows) == 3 + n_data_rows(fmt)
    note = rows[0].xpath("./td")[0]
    assert cell_text(note) == schema.APPLICATION_TABLE_NOTE
    assert (note.get("rowspan"), note.get("colspan")) == ("3", "3")
    assert [cell_text(td) for td in rows[2].xpath("./td")] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    spans = {cell_text(td): td.get("rowspan") for tr in rows for td in tr.xpath("./td") if td.get("rowspan")}
    assert spans["三、本年度办理结果"] == {"2019": "20", "2021": "22"}[fmt]
    assert spans["（三）不予公开"] == "8" and spans["（四）无法提供"] == "3" and spans["（五）不予处理"] == "5"
    assert spans.get("（六）其他处理") == ({"2021": "3"}.get(fmt))
    for tr, row in zip(rows[3:], schema.APPLICATION_ROWS[fmt]):
        tds = tr.xpath("./td")
        assert [cell_text(td) for td in tds[-7:]] == application_values(record, row), row
        labels = [cell_text(td) for td in tds[:-7]]
        assert labels[-1] == schema.APPLICATION_ROW_LABELS[row]
    grid = html_grid(rows)
    assert set(grid) == {(r, c) for r in range(len(rows)) for c in range(10)}
    assert grid[(10, 0)] is grid[(3 + n_data_rows(fmt) - 2, 0)]  # 三、本年度办理结果 reaches down to （七）总计


@pytest.mark.parametrize("style", ["clean", "word"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_html_review_and_active_tables(style, fmt):
    record = record_fixture(fmt)
    _, (active, _, review) = html_tables(to_html(record, style))
    review_rows = review.xpath(".//tr")
    assert len(review_rows) == 4
    assert [(cell_text(td), td.get("colspan")) for td in review_rows[0].xpath("./td")] == [("行政复议", "5"),
                                                                                         ("行政诉讼", "10")]
    assert [td.get("rowspan") for td in review_rows[1].xpath("./td")] == ["2"] * 5 + [None, None]
    assert [cell_text(td) for td in review_rows[3].xpath("./td")] == review_values(record)

    rows = [[cell_text(td) for td in tr.xpath("./td")] for tr in active.xpath(".//tr")]
    blocks = [r[0] for r in rows if r[0].startswith("第二十条")]
    assert blocks == {"2019": ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项", "第二十条第（九）项"],
                      "2021": ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]}[fmt]
    assert sum(r[0] == "信息内容" for r in rows) == len(blocks)
    by_label = {r[0]: r[1:] for r in rows}
    for item in schema.ACTIVE_MEASURES[fmt]:
        label = "行政规范性文件" if (fmt, item) == ("2021", "normative_documents") else schema.ACTIVE_ITEM_LABELS[item]
        assert by_label[label] == active_values(record, item), item
    headers = {h for r in rows if r[0] == "信息内容" for h in r[1:]}
    if fmt == "2021":
        assert "本年处理决定数量" in headers and "本年制发件数" in headers and "处理决定数量" not in headers
    else:
        assert by_label["政府集中采购"][1] == "251000.5元"
        assert "采购总金额" in headers and "本年新制作数量" in headers


@pytest.mark.parametrize("style", ["clean", "word"])
@given(record=records(max_paragraphs=3))
@FAST
def test_html_puts_headings_in_order_and_each_table_under_its_section(style, record):
    root = lxml.html.fromstring(to_html(record, style))
    order = []
    for el in root.iter("p", "table"):
        if el.tag == "table":
            order.append("table")
        elif (text := cell_text(el)) in schema.SECTION_HEADINGS.values():
            order.append(text)
    h = list(schema.SECTION_HEADINGS.values())
    assert order == [h[0], h[1], "table", h[2], "table", h[3], "table", h[4], h[5]]
    assert root.xpath("//title")[0].text == record["title"]
    assert (f"发布日期：{record['published']}" in root.text_content()) == (record["published"] is not None)
    paragraphs = [cell_text(p) for p in root.iter("p")]
    for number, text in record["sections"].items():
        for para in text.split("\n"):
            assert para in paragraphs


def test_html_word_style_looks_like_a_word_export_inside_a_portal():
    record = record_fixture("2019")
    page = to_html(record, "word")
    root, (active, applications, review) = html_tables(page)
    assert root.xpath("//ul/li/a") and "版权所有" in page and "网站标识码" in page
    assert "本年新<br />制作数量" in page
    assert "<p class=MsoNormal align=center" in page and "font-family:宋体" in page
    blank_cells = [td for td in applications.xpath(".//td") if td.text_content() == "\xa0"]
    n_blank = sum(v is None for cols in record["applications"].values() for v in cols.values())
    assert len(blank_cells) == n_blank > 0
    assert all(td.get("nowrap") is not None for td in review.xpath(".//td"))
    # table 二, block 五: header 1|1|2|1 but value rows 1|2|1|1
    rows = active.xpath(".//tr")
    header = next(tr for tr in rows if "上一年项目数量" in tr.text_content())
    licensing = next(tr for tr in rows if cell_text(tr.xpath("./td")[0]) == "行政许可")
    assert [int(td.get("colspan", 1)) for td in header.xpath("./td")] == [1, 1, 2, 1]
    assert [int(td.get("colspan", 1)) for td in licensing.xpath("./td")] == [1, 2, 1, 1]
    clean = to_html(record, "clean")
    assert "&nbsp;" not in clean and "<br" not in clean and "<ul" not in clean


def test_html_rejects_unknown_style():
    with pytest.raises(ValueError):
        to_html(record_fixture("2019"), "fancy")


# --- text -----------------------------------------------------------------------------------------------------------

def fields(line: str, style: str) -> list[str]:
    if style == "tabs":
        return line.split("\t")
    assert line.endswith(" |")
    return [f.strip() for f in line[:-2].split(" | ")]


@pytest.mark.parametrize("style", ["tabs", "pipes"])
@given(record=records())
@FAST
def test_text_rows_hold_label_cells_then_values(style, record):
    fmt = record["format"]
    lines = [ln for ln in to_text(record, style).split("\n") if ln]
    label_lines = {}
    for ln in lines:
        for f in fields(ln, style) if ("\t" in ln or ln.endswith(" |")) else [ln]:
            label_lines.setdefault(f, ln)
    for row in schema.APPLICATION_ROWS[fmt]:
        line = label_lines[schema.APPLICATION_ROW_LABELS[row]]
        cells = fields(line, style)
        i = cells.index(schema.APPLICATION_ROW_LABELS[row])
        values = cells[i + 1:]
        expected = application_values(record, row)
        if style == "tabs":
            values += [""] * (7 - len(values))
        assert values == expected, row
    starts = {
        "granted": "三、本年度办理结果", "withheld_state_secret": "（三）不予公开", "unavailable_not_held": "（四）无法提供",
        "rejected_petition": "（五）不予处理", "withheld_law_prohibited": "2.其他法律行政法规禁止公开",
    }
    if fmt == "2021":
        starts["other_overdue_correction"] = "（六）其他处理"
    for row, first in starts.items():
        assert fields(label_lines[schema.APPLICATION_ROW_LABELS[row]], style)[0] == first
    review_line = lines[lines.index(next(ln for ln in lines if ln.startswith("结果维持") and "复议后起诉" not in ln)) + 1]
    got = fields(review_line, style) if review_line not in schema.SECTION_HEADINGS.values() else []
    assert got + [""] * (15 - len(got)) == review_values(record)


@given(record=records())
@FAST
def test_cell_per_line_writes_each_cell_on_its_own_line_and_blanks_as_placeholder(record):
    text = to_text(record, "cell_per_line")
    lines = text.rstrip("\n").split("\n")
    assert "" not in lines
    n_blank = sum(v is None for t, r, c, v in schema.iter_cells(record) if c != "amount_unit")
    assert lines.count(BLANK_PLACEHOLDER) == n_blank
    # the 15 values of table 四 are the 15 lines after the third header row
    i = max(k for k, ln in enumerate(lines) if ln == "复议后起诉")
    values = lines[i + 11:i + 26]
    assert [v.replace(BLANK_PLACEHOLDER, "") for v in values] == review_values(record)
    assert lines[i + 26] == schema.SECTION_HEADINGS["5"]


def test_text_starts_with_title_and_date_and_keeps_sections():
    record = record_fixture("2021")
    for style in ("tabs", "cell_per_line", "pipes"):
        lines = [ln for ln in to_text(record, style).split("\n") if ln]
        assert lines[:3] == [record["title"], f"发布日期：{record['published']}", "一、总体情况"]
        assert all(p in lines for p in record["sections"]["1"].split("\n"))
    record["published"] = None
    assert "发布日期" not in to_text(record)
    with pytest.raises(ValueError):
        to_text(record, "csv")


# --- DOCX -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_docx_has_three_tables_with_real_merges(fmt):
    record = record_fixture(fmt)
    document = docx.Document(io.BytesIO(to_docx(record)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == record["title"] and paragraphs[1] == f"发布日期：{record['published']}"
    assert [p for p in paragraphs if p in schema.SECTION_HEADINGS.values()] == list(schema.SECTION_HEADINGS.values())
    active, applications, review = document.tables
    assert (len(active.rows), len(active.columns)) == ({"2019": 18, "2021": 14}[fmt], 4)
    assert (len(applications.rows), len(applications.columns)) == (3 + n_data_rows(fmt), 10)
    assert (len(review.rows), len(review.columns)) == (4, 15)
    # merged: the note covers rows 0-2 x cols 0-2; 三、本年度办理结果 covers its 20/22 rows in column 0
    assert applications.cell(0, 0)._tc is applications.cell(2, 2)._tc
    total_row = 3 + n_data_rows(fmt) - 2  # （七）总计, the last row under 三、本年度办理结果
    assert applications.cell(5, 0)._tc is applications.cell(total_row, 0)._tc
    assert applications.cell(5, 0)._tc is not applications.cell(total_row + 1, 0)._tc
    assert applications.cell(4, 0)._tc is not applications.cell(5, 0)._tc
    assert applications.cell(5, 0).text == "三、本年度办理结果"
    assert review.cell(0, 5)._tc is review.cell(0, 14)._tc and review.cell(1, 0)._tc is review.cell(2, 0)._tc
    for r, row in enumerate(schema.APPLICATION_ROWS[fmt], start=3):
        assert [c.text for c in applications.rows[r].cells[3:]] == application_values(record, row)
    assert [c.text for c in review.rows[3].cells] == review_values(record)


# --- PDF ------------------------------------------------------------------------------------------------------------

def pdf_tables(data: bytes):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        found = [t for page in pdf.pages for t in page.extract_tables()]
    return text, found


def unwrap(cell):
    return None if cell is None else cell.replace("\n", "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_pdf_tables_are_extractable(fmt):
    record = record_fixture(fmt)
    text, found = pdf_tables(to_pdf(record))
    assert record["title"] in text and all(h in text for h in schema.SECTION_HEADINGS.values())
    assert [len(t[0]) for t in found] == [4, 10, 15]
    active, applications, review = found
    assert len(applications) == 3 + n_data_rows(fmt)
    assert unwrap(applications[0][0]) == schema.APPLICATION_TABLE_NOTE and applications[0][1] is None
    for line, row in zip(applications[3:], schema.APPLICATION_ROWS[fmt]):
        assert line[-7:] == application_values(record, row), row
        assert schema.APPLICATION_ROW_LABELS[row] in [unwrap(c) for c in line[:3]]
    assert review[3] == review_values(record)
    by_label = {r[0]: [c for c in r[1:] if c is not None] for r in active}
    assert by_label["行政处罚"] == active_values(record, "penalty")


@given(record=records(max_paragraphs=4))
@SLOW
def test_pdf_values_survive_extraction_for_random_records(record):
    _, found = pdf_tables(to_pdf(record))
    assert [len(t[0]) for t in found] == [4, 10, 15]
    for line, row in zip(found[1][3:], schema.APPLICATION_ROWS[record["format"]]):
        assert line[-7:] == application_values(record, row)
    assert found[2][3] == review_values(record)
    by_label = {unwrap(r[0]): [c for c in r[1:] if c is not None] for r in found[0]}
    for item in schema.ACTIVE_MEASURES[record["format"]]:
        label = "行政规范性文件" if (record["format"], item) == ("2021", "normative_documents") \
            else schema.ACTIVE_ITEM_LABELS[item]
        assert by_label[label] == active_values(record, item)


@given(record=records())
@SLOW
def test_docx_values_for_random_records(record):
    document = docx.Document(io.BytesIO(to_docx(record)))
    applications = document.tables[1]
    for r, row in enumerate(schema.APPLICATION_ROWS[record["format"]], start=3):
        assert [c.text for c in applications.rows[r].cells[3:]] == application_values(record, row)


# --- determinism and strategies -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_renderers_are_deterministic(fmt):
    record = record_fixture(fmt)
    assert to_html(record, "word") == to_html(record_fixture(fmt), "word")
    assert to_text(record, "pipes") == to_text(record_fixture(fmt), "pipes")
    assert to_pdf(record) == to_pdf(record_fixture(fmt))
    assert to_docx(record) == to_docx(record_fixture(fmt))


@given(records())
@FAST
def test_strategy_records_have_the_schema_shape(record):
    fmt = record["format"]
    shape = schema.empty_tables(fmt)
    for key in ("active", "applications", "review_litigation"):
        assert {r: set(c) for r, c in record[key].items()} == {r: set(c) for r, c in shape[key].items()}
    assert record["title"] == f"{record['agency']}{record['year']}年政府信息公开工作年度报告"
    assert (2019 <= record["year"] <= 2020) if fmt == "2019" else (2021 <= record["year"] <= 2025)
    if record["published"]:
        published = dt.date.fromisoformat(record["published"])
        assert published.year == record["year"] + 1 and published.month <= 3
    assert set(record["sections"]) == set(schema.SECTION_HEADINGS)
    procurement = record["active"].get("procurement")
    if procurement and procurement["amount"] is None:
        assert procurement["amount_unit"] is None


def test_strategy_sentences_cannot_be_mistaken_for_headings_or_labels():
    labels = (list(schema.ACTIVE_ITEM_LABELS.values()) + list(schema.MEASURE_LABELS.values())
              + list(schema.APPLICATION_ROW_LABELS.values()) + list(schema.APPLICATION_GROUPS.values())
              + list(schema.REVIEW_GROUP_LABELS.values()) + list(schema.REVIEW_MEASURE_LABELS.values())
              + list(schema.SECTION_HEADINGS.values()) + ["行政诉讼", "信息内容", "第二十条", "申请人情况", "法人或其他组织",
                                                          "自然人", "本年度办理结果", "发布日期", BLANK_PLACEHOLDER])
    labels = [re.sub(r"^[一二三四五六七八（）\d.、]+", "", lb) for lb in labels]
    for sentences in SENTENCES.values():
        for s in sentences:
            assert not re.match(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、]", s), s
            assert not [lb for lb in labels if len(lb) >= 2 and lb in s and lb not in ("其他", "总计")], s
