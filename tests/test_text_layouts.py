"""Issue 14: every real text layout read cell for cell, and no cell the text does not determine.

Real texts (../shared/samples, read at test time): the whitespace-stripped Hebei scrapes (45, 47), and layouts
derived from full real reports (their text with all whitespace deleted, their tab-separated rows as spaces).
Generated reports (hypothesis): render.text_layer (pypdf/pdfium text: wrapped labels, numbers on the next line,
page markers inside rows, blanks dropped) and render.stripped (a whitespace-stripped scrape).
"""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import SAMPLES, require_samples, sample_text
from hypothesis import HealthCheck, given, settings
from strategies import consistent_records, dense_records

from govreports import schema
from govreports.parse import parse_bytes
from govreports.parse.runs import _row_splits
from govreports.render.text import stripped, text_layer

LAYOUT = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


_BY_CONSTRUCTION = "(cut from a digit run so that this rule holds: no evidence either way)"


def _sample(stem: str, transform=lambda body: body) -> dict:
    require_samples()
    path = next(p for d in ("texts", "seed") for p in (SAMPLES / d).glob(f"{stem}.txt"))
    if path.parent.name == "seed":  # the seed is a bare text, without the header the texts carry
        body, hints = path.read_text(encoding="utf-8"), {}
    else:
        _header, body, hints = sample_text(path)
    return parse_bytes(transform(body).encode("utf-8"), hints=hints)


def _cells(record: dict) -> dict:
    return {(t, r, c): v for t, r, c, v in schema.iter_cells(record)}


def _read(record: dict) -> int:
    return sum(v is not None for v in _cells(record).values())


def _sound(parsed: dict, truth: dict) -> None:
    """Every cell the parser gives is the true one (a null is never wrong: the text may not determine it)."""
    wrong = [(k, v, truth.get(k)) for k, v in _cells(parsed).items() if v is not None and truth.get(k) != v]
    assert not wrong, wrong[:5]


# --- real stripped scrapes ------------------------------------------------------------------------------------------

def test_issue_example_row_is_split_only_one_way():
    assert _row_splits("250000126", 7, False) == [(25, 0, 0, 0, 0, 1, 26)]
    assert _row_splits("300153006143119", 7, False) == [(3001, 53, 0, 0, 61, 4, 3119)]
    assert _row_splits("11", 7, False) == []  # two digits for seven cells: blanks were dropped, nothing is forced


def test_stripped_scrape_2021_reads_every_cell_its_text_determines():
    record = _sample("47_hebei_kjt_2021")
    apps = record["applications"]
    assert apps["new"] == {"natural_person": 2, "commercial": 0, "research": 0, "social_welfare": 0,
                           "legal_services": 0, "other_org": 0, "total": 2}
    assert apps["withheld_internal_affairs"]["natural_person"] == 1
    assert apps["total"]["total"] == 2 and apps["carried_out"]["total"] == 0
    active = record["active"]
    assert active["rules"] == {"issued": 0, "repealed": 0, "in_force": 0}  # "规章000": no 00 cell exists
    assert active["licensing"] == {"decisions": 1689}
    assert active["coercion"] == {"decisions": None}  # no digits after its label: blank
    assert active["normative_documents"] == {"issued": None, "repealed": None, "in_force": None}  # "81153"
    assert all(v == 0 for g in record["review_litigation"].values() for v in g.values())
    notes = record["text_layout"]
    assert notes["ambiguous"] == [f"active.normative_documents.{m}" for m in ("issued", "repealed", "in_force")]
    assert len(notes["recovered"]) == _read(record) == 196
    # every table 三 row and table 四 group was cut where its 总计 is the sum of its parts: R3 and R4 hold by
    # construction, which is no evidence the agency's sums hold (a row that broke them would be unsplit, null), so
    # they are not evaluable; R1 and R2 chose nothing here (every row had one split) and are checked for real
    made = [c for c in record["checks"] if c["rule"] in ("R3", "R4")]
    assert len(made) == 25 + 3 and all(c["ok"] is None and c["detail"].endswith(_BY_CONSTRUCTION) for c in made)
    assert all(c["ok"] for c in record["checks"] if c["rule"] in ("R1", "R2"))


def test_rules_that_chose_among_a_rows_cuts_are_no_evidence_either():
    """Sample 47 with rows whose digits cut two ways: 本年新收 and 总计 '101000011' are 10 1 0 0 0 0 11 or
    1 0 10 0 0 0 11; 予以公开 '91000010' (9 1 0 0 0 0 10) and the internal-affairs row 1 0 … 1 cut one way only. R2
    across rows (总计 = the outcomes) keeps the first for 总计, R1 (新收 + 结转 = 总计 + 结转下年) for 新收: the cells
    are read, and R1 and R2 then hold because they chose them, so they are no evidence: not evaluable, as R3 and
    R4 are on every cut row. They had read ok, as if the agency's table balanced."""
    def two_ways(body: str) -> str:
        for old, new in (("申请数量2000002", "申请数量101000011"), ("（一）予以公开1000001", "（一）予以公开91000010"),
                         ("（七）总计2000002", "（七）总计101000011")):
            assert old in body
            body = body.replace(old, new)
        return body

    record = _sample("47_hebei_kjt_2021", two_ways)
    apps = record["applications"]
    assert list(apps["new"].values()) == list(apps["total"].values()) == [10, 1, 0, 0, 0, 0, 11]
    assert record["text_layout"]["narrowed"] == ["applications.new", "applications.total"]
    chosen = [c for c in record["checks"] if c["rule"] in ("R1", "R2")]
    assert len(chosen) == 14 and all(c["ok"] is None and c["detail"].endswith(_BY_CONSTRUCTION) for c in chosen)
    assert _sample("47_hebei_kjt_2021")["text_layout"].get("narrowed") is None  # one cut each: R1, R2 are real


def test_stripped_scrape_that_dropped_blank_cells_reads_only_what_is_forced():
    record = _sample("45_hebei_gxt_2020")
    active = record["active"]
    assert active["licensing"]["prior_year_items"] == 97  # "97+82179": the sign starts 本年增/减
    assert active["licensing"]["change"] is None and active["licensing"]["decisions"] is None
    assert active["penalty"]["prior_year_items"] == 0
    assert active["procurement"] == {"projects": None, "amount": None, "amount_unit": None}  # "225253.168万元"
    assert all(v is None for row in record["applications"].values() for v in row.values())  # "11": blanks dropped
    assert "applications.new.total" in record["text_layout"]["unsplit"]


def test_cells_counted_out_by_newlines_read_where_they_stand():
    """Sample 43 (Hebei's dataset): each cell ends in three newlines, a row in two more, a blank cell is three
    more. Table 四 gives only its three 总计 cells (0), the rest blank: the newlines place them."""
    record = _sample("43_hebei_jyt_2019")
    for group in ("review", "litigation_direct", "litigation_after_review"):
        assert record["review_litigation"][group] == {"upheld": None, "corrected": None, "other": None,
                                                      "pending": None, "total": 0}
    apps = record["applications"]
    assert list(apps["unavailable_needs_creation"].values()) == [4, 0, 0, 0, 0, 0, 4]
    assert all(v is None for v in apps["partly_granted"].values())  # a row of blank cells stays blank
    assert record["active"]["procurement"]["amount"] == 256146
    assert "text_layout" not in record  # nothing was left to guess


@pytest.mark.parametrize("marker", ["- 2 -", "— 2 —", "第2页", "第 2 页 共 5 页", "2/5"])
def test_page_markers_among_cells_counted_out_by_newlines_are_no_cells(marker):
    """Sample 43 with a page marker standing as a cell of its own (three newlines before it, the cell's gap after
    it) after a row's label, among its values, at a row's end and after table 二's label: text_to_blocks drops
    page markers only after the cells were counted into rows, so the marker was a cell: its row read null or
    shifted one column (16 16 16 → null), silently."""
    original = _sample("43_hebei_jyt_2019")

    def with_markers(body: str) -> str:
        lines = body.split("\n")
        at = [lines.index("二、上年结转政府信息公开申请数量"), lines.index("规范性文件")]
        row = lines.index("（七）总计")
        values = [i for i in range(row + 1, row + 30) if lines[i]]
        at += [values[2], values[6]]  # among the row's values, after its last
        for i in sorted(at, reverse=True):
            lines[i + 1 : i + 1] = ["", "", marker]
        return "\n".join(lines)

    record = _sample("43_hebei_jyt_2019", with_markers)
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == original[table]
    assert "text_layout" not in record


def test_a_bare_page_number_among_cells_counted_out_by_newlines_gives_no_wrong_cell():
    """Sample 43 with a bare page number ('2') standing as a cell of its own inside rows of tables 二 and 三 and
    in table 四's header: it cannot be told from a cell, but its row (table 四: its cells) then holds one cell more
    than the table. Such a row was read by its first cells (二、上年结转 0 0 0 … read 2, 0, …; 规范性文件 16 16 16
    read 2 16 16; table 四 review.upheld 2 and every cell after it one column on): wrong values, silently. Values
    more than the cells they stand for are not placed: null, and listed as ambiguous."""
    original = _sample("43_hebei_jyt_2019")

    def with_page_numbers(body: str) -> str:
        lines = body.split("\n")
        for label in ("结果维持", "二、上年结转政府信息公开申请数量", "规范性文件"):
            i = lines.index(label)
            lines[i + 1 : i + 1] = ["", "", "2"]
        return "\n".join(lines)

    record = _sample("43_hebei_jyt_2019", with_page_numbers)
    _sound(record, _cells(original))
    assert set(record["applications"]["carried_in"].values()) == {None}
    assert set(record["active"]["normative_documents"].values()) == {None}
    assert "applications.carried_in.total" in record["text_layout"]["ambiguous"]
    assert "active.normative_documents.made" in record["text_layout"]["ambiguous"]
    assert "review_litigation.review.total" in record["text_layout"]["ambiguous"]
    for table in ("applications", "active"):  # the other rows as they were
        kept = {k: v for k, v in _cells(record).items() if k[0] == table and k[1] not in (
            "carried_in", "normative_documents")}
        assert kept == {k: v for k, v in _cells(original).items() if k in kept}


@pytest.mark.parametrize("variant", [
    lambda body: re.sub(r"(?m)$", "  ", body),  # every line padded (a text node's trailing spaces)
    lambda body: re.sub(r"(?m)^$", "\u3000", body),  # the blank lines holding an ideographic space
    lambda body: body.replace("\n", "\r"),  # classic Mac line ends
], ids=["padded", "ideographic-blank-lines", "cr"])
def test_cells_counted_out_by_newlines_with_whitespace_on_their_blank_lines(variant):
    """Sample 43 saved with spaces on its blank lines, or with CR line ends: the newlines between its cells no
    longer ran together, the layout was not recognised, and table 四 (whose blanks only the count of newlines places)
    was left null: its three 总计 cells (0) lost."""
    original = _sample("43_hebei_jyt_2019")
    record = _sample("43_hebei_jyt_2019", variant)
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == original[table]
    assert "text_layout" not in record


def test_text_with_blank_lines_between_paragraphs_is_not_read_as_counted_cells():
    from govreports.extract.lines import _counted_cells

    prose = "\n\n\n".join(f"第{i}段：本机关认真贯彻落实条例，扎实推进政务公开工作，全年主动公开信息{i}条。" * 2 for i in range(12))
    assert _counted_cells(prose) == prose  # no row breaks: not the layout
    mixed = prose + "\n\n\n\n\n" + "\n\n\n\n\n".join(["规章\n\n\n0", "规范性文件\n\n\n1"] * 2)
    assert "本机关认真贯彻落实条例" in _counted_cells(mixed).split("\n")[0]  # long lines are never cells
    assert "规章\t0" in _counted_cells(mixed)


# --- layouts derived from real full reports ------------------------------------------------------------------------

@pytest.mark.parametrize("stem, at_least", [("14_shuyang_xzf_2025", 180), ("000_dc3a28ed7fcc2bfa", 180)])
def test_real_report_with_whitespace_deleted(stem, at_least):
    original = _sample(stem)
    # a scrape joins the text nodes: no whitespace, and no Markdown pipes, rules or heading marks either
    scraped = _sample(stem, lambda body: re.sub(r"\s+|\||#+|-{3,}", "", body))
    _sound(scraped, _cells(original))
    assert _read(scraped) >= at_least, _read(scraped)


def test_real_report_with_tabs_as_spaces_reads_the_same_cells():
    original = _sample("000_dc3a28ed7fcc2bfa")
    spaced = _sample("000_dc3a28ed7fcc2bfa", lambda body: body.replace("\t", " "))
    _sound(spaced, _cells(original))
    assert _read(spaced) == _read(original) == 198


@pytest.mark.parametrize("stem", ["45_hebei_gxt_2020", "47_hebei_kjt_2021"])
def test_a_traditional_mirror_of_a_stripped_scrape_keeps_its_sections(stem):
    """The real stripped scrapes in traditional characters (a 繁體 mirror): the headings inside the run-together
    text were looked for in simplified characters only (…情况, not …情況), so no section was cut out and the
    record had no section text at all (its cells were read)."""
    import opencc

    original = _sample(stem)
    mirror = _sample(stem, opencc.OpenCC("s2t").convert)
    assert len(original["sections"]) >= 4
    assert {n: len(text) for n, text in mirror["sections"].items()} == {
        n: len(text) for n, text in original["sections"].items()}


_META = ("title", "agency", "year", "format", "published")
_TEXTS = sorted(p.stem for d in ("texts", "seed") for p in (SAMPLES / d).glob("*.txt")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("stem", _TEXTS)
def test_whitespace_deleted_scrape_keeps_the_reports_metadata(stem):
    """A scrape that ran the page together (chrome, breadcrumbs, a 索引号 table, the title, its date, the body)
    still names the title, agency, year and date the text as published gives, and no other."""
    flat = lambda body: re.sub(r"\s+|\||#+|-{3,}", "", body)  # noqa: E731
    original, scraped = _sample_bare(stem), _sample_bare(stem, flat)
    assert {k: scraped.get(k) for k in _META} == {k: original.get(k) for k in _META}


def _sample_bare(stem: str, transform=lambda body: body) -> dict:
    """A sample parsed without the list's hints: what the text alone says."""
    require_samples()
    path = next(p for d in ("texts", "seed") for p in (SAMPLES / d).glob(f"{stem}.txt"))
    raw = path.read_text(encoding="utf-8")
    body = raw.split("\n---\n", 1)[1] if path.parent.name == "texts" else raw
    return parse_bytes(transform(body).encode("utf-8"))


def test_title_in_a_run_after_page_chrome_but_not_inside_a_sentence():
    body = "本报告所列数据的统计期限自2020年1月1日起至2020年12月31日止。一、总体情况" + "本机关认真贯彻落实条例。" * 30 \
        + "二、主动公开政府信息情况无。三、收到和处理政府信息公开申请情况无。四、政府信息公开行政复议、行政诉讼情况无。"
    run = lambda text: parse_bytes((text + body).encode("utf-8"))  # noqa: E731
    crumbs = "您当前的位置:首页>政务公开>政府信息公开年报重庆市合川区二郎镇人民政府2019年政府信息公开工作报告日期:2020-08-06"
    assert run(crumbs)["title"] == "重庆市合川区二郎镇人民政府2019年政府信息公开工作报告"
    assert run("名称宿迁市2017年政府信息公开年度报告索引号00000001/2018-00042")["title"] == "宿迁市2017年政府信息公开年度报告"
    assert run("政府信息公开福州市晋安区2016年政府信息公开工作年度报告来源:区政府办")["agency"] == "福州市晋安区"
    assert run("政府信息公开工作年度报告本报告依据条例编制。")["title"] == "政府信息公开工作年度报告"
    # named inside a sentence or in 《》: another document (last year's report, the notice asking for this one)
    assert run("根据条例规定,现公布泰州市人民政府2017年政府信息公开工作年度报告。")["title"] is None
    assert run("按照《重庆市人民政府办公厅关于做好2022年政府信息公开工作年度报告编制工作的通知》要求")["title"] is None
    dated = run("牡丹江市科学技术局2020年政府信息公开工作年度报告2021年1月14日2020年，本局")
    assert dated["published"] == "2021-01-14" and dated["published_source"] == "closing"
    assert run("X局2021年政府信息公开工作年度报告2022年1月1日至12月31日")["published"] is None  # a period, not a date


def test_a_pdfs_generic_title_property_yields_to_its_title_lines():
    from govreports.extract.document import Block
    from govreports.parse.meta import find_title
    blocks = [Block(["淮安市人民政府"]), Block(["2024 年政府信息公开工作年度报告"]), Block(["本报告由…编制。"])]
    assert find_title(blocks, {"doc_title": "政府信息公开工作年度报告"}, {}) == "淮安市人民政府2024年政府信息公开工作年度报告"
    assert find_title([Block(["本报告由…编制。"])], {"doc_title": "政府信息公开工作年度报告"}, {}) == "政府信息公开工作年度报告"
    assert find_title(blocks, {"doc_title": "淮安市2024年政府信息公开工作年度报告"}, {}) == "淮安市2024年政府信息公开工作年度报告"


# --- generated reports ---------------------------------------------------------------------------------------------

def _row_is_whole(table: str, row: str, cols: dict, record: dict) -> bool:
    if table == "review_litigation":  # one data row of 15 cells
        return all(v is not None for g in record[table].values() for v in g.values())
    return all(v is not None for k, v in cols.items() if k != "amount_unit")


@LAYOUT
@given(record=dense_records())
def test_text_layer_reads_every_whole_row_and_no_misplaced_cell(record):
    parsed = parse_bytes(text_layer(record).encode("utf-8"))
    for key in ("title", "agency", "year", "format", "published"):
        assert parsed[key] == record[key], key
    for table in ("active", "applications", "review_litigation"):
        for row, cols in record[table].items():
            whole = _row_is_whole(table, row, cols, record)
            for col, value in cols.items():
                got = (parsed.get(table) or {}).get(row, {}).get(col)  # an all-blank table may be absent
                if whole:
                    assert got == value and type(got) is type(value), (table, row, col, value, got)
                else:
                    assert got in (None, value), (table, row, col, value, got)


def _oracle_rows(text_run: str, n: int, max_len: int = 15) -> set | None:
    """Every split of a table-三 row's digit run into n cells whose last is the sum of the others, by brute force
    (independent of parse.runs); None when the run is too long to enumerate here."""
    if len(text_run) > max_len:
        return None
    found = set()
    for cuts in itertools.combinations(range(1, len(text_run)), n - 1):
        parts = [text_run[i:j] for i, j in zip((0, *cuts), (*cuts, len(text_run)))]
        if any(len(p) > 1 and p[0] == "0" for p in parts):
            continue
        nums = [int(p) for p in parts]
        if sum(nums[:-1]) == nums[-1]:
            found.add(tuple(nums))
    return found


@LAYOUT
@given(record=consistent_records())
def test_stripped_scrape_reads_every_forced_cell_and_never_a_wrong_one(record):
    parsed = parse_bytes(stripped(record).encode("utf-8"))
    assert parsed["format"] == record["format"] and parsed["year"] == record["year"]
    _sound(parsed, _cells(record))
    for row, cols in record["applications"].items():
        run = "".join(str(v) for v in cols.values())
        fits = _oracle_rows(run, len(cols))
        if fits is not None and len(fits) == 1:  # forced by the row alone (R1/R2 may force more)
            assert parsed["applications"][row] == cols, (row, run)
    recovered = set(parsed.get("text_layout", {}).get("recovered", ()))
    assert {f"{t}.{r}.{c}" for (t, r, c), v in _cells(parsed).items() if v is not None and c != "amount_unit"} \
        <= recovered
