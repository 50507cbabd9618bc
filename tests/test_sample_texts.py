"""Every real report text yields the year and format its header states (samples/texts)."""

from __future__ import annotations

import re

import pytest

from conftest import SAMPLES, require_samples, sample_text
from govreports.parse import parse_bytes

TEXTS = sorted((SAMPLES / "texts").glob("*.txt")) if SAMPLES.is_dir() else []


def test_texts_present():
    require_samples()
    assert len(TEXTS) >= 20


@pytest.mark.parametrize("path", TEXTS, ids=[p.stem for p in TEXTS])
def test_text_year_and_format(path):
    header, body, hints = sample_text(path)
    record = parse_bytes(body.encode("utf-8"), path.name, hints=hints)
    assert record["year"] == int(header["report_year"])
    assert record["format"] == header["format"]


def _parse(stem: str) -> dict:
    header, body, hints = sample_text(SAMPLES / "texts" / f"{stem}.txt")
    return parse_bytes(body.encode("utf-8"), hints=hints)


def test_shanghai_2019_text_matches_the_html_record():
    """Sample 13 is the tab-separated text of the 2019 HTML report: trailing blanks trimmed, same cells."""
    from conftest import load_expected

    text_record = _parse("13_shanghai_szfbgt_2019")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    for table in ("active", "applications", "review_litigation"):
        assert text_record[table] == expected[table]


def test_pipe_text_with_annotated_labels_and_empty_cell():
    record = _parse("05_baokang_nyncj_2021")  # 规章(县级无此项), empty 行政许可 cell
    assert record["active"]["rules"] == {"issued": 0, "repealed": 0, "in_force": 0}
    assert record["active"]["licensing"] == {"decisions": None}
    assert record["active"]["penalty"] == {"decisions": 5}
    assert record["active"]["fees"] == {"amount_10k_yuan": 0}


def test_traditional_mirror_with_provincial_annotations():
    record = _parse("15_wuhan_sthjj_2020")  # 繁體, 湖北 template notes, extra 其他主動公開檔案 row, "-" cell
    active = record["active"]
    assert active["normative_documents"] == {"made": 2, "published": 2, "total": 19}
    assert active["licensing"] == {"prior_year_items": 8, "change": 5, "decisions": 93}
    assert active["other_services"] == {"prior_year_items": 117, "change": 0, "decisions": 165}
    assert active["coercion"] == {"prior_year_items": 4, "change": 4, "decisions": None}


def test_signed_changes_and_truncated_headers():
    active = _parse("17_wuhai_gxj_2020")["active"]
    assert active["other_services"] == {"prior_year_items": 2, "change": 2, "decisions": 114}
    assert active["penalty"] == {"prior_year_items": 25, "change": -1, "decisions": 0}


def test_one_cell_per_line_with_variant_column_and_bare_amount():
    active = _parse("37_hechuan_erlangzhen_2019")["active"]
    assert active["normative_documents"] == {"made": 19, "published": 1, "total": 20}
    assert active["penalty"] == {"prior_year_items": 0, "change": 1, "decisions": 2}  # 本年数量 = 本年增/减
    assert active["procurement"] == {"projects": 9, "amount": 153103.83, "amount_unit": None}


def test_amount_with_unit_in_cell():
    assert _parse("39_qionghai_daluzhen_2019")["active"]["procurement"] == {
        "projects": 2, "amount": 70487, "amount_unit": "元"}


def test_markdown_worst_case_2021_tables():
    record = _parse("14_shuyang_xzf_2025")
    apps = record["applications"]
    assert apps["new"] == {"natural_person": 705, "commercial": 3, "research": 0, "social_welfare": 0,
                           "legal_services": 5, "other_org": 0, "total": 713}
    assert apps["other_overdue_correction"]["total"] == 9
    assert apps["other_overdue_fee"]["total"] == 7
    assert apps["other_misc"]["total"] == 143
    assert apps["carried_out"]["total"] == 31
    assert record["active"]["fees"] == {"amount_10k_yuan": 4068.208}
    assert record["review_litigation"]["review"] == {"upheld": 27, "corrected": 10, "other": 9, "pending": 15,
                                                     "total": 61}
    assert record["review_litigation"]["litigation_after_review"]["total"] == 10
    r1_total = next(c for c in record["checks"] if c["rule"] == "R1" and c["where"] == "applications.total")
    assert r1_total["ok"] is True  # 713 + 36 = 718 + 31


def test_flipbook_review_table_split_header():
    review = _parse("07_wendeng_xfj_2022")["review_litigation"]
    assert all(v == 0 for group in review.values() for v in group.values())
    assert len([v for group in review.values() for v in group.values()]) == 15


def test_pre2019_reports_have_no_tables():
    record = _parse("35_suixi_jianxinzhen_2018")
    assert record["format"] == "pre2019"
    assert "active" not in record and record["checks"] == []
    assert record["published"] == "2019-01-18"  # posted date on the page, not the signature date
    assert set(record["sections"]) == {"1", "2", "3", "4"}


@pytest.mark.parametrize("path", TEXTS, ids=[p.stem for p in TEXTS])
def test_a_traditional_character_copy_names_the_same_title_and_agency(path):
    """Mirrors republish reports in 繁體: the title and agency read from such a copy are the original's, as the copy
    writes them (the store keys agencies by t2s). 由保康县农业农村局編製 gave no agency, and a 名稱 label ran into
    the title ('名称宿迁市2017年…', agency '名称宿迁市'); a whitespace-stripped scrape's title, found after page
    chrome by simplified words, was none (45)."""
    import opencc

    from govreports.text import t2s

    _header, body, _hints = sample_text(path)
    # no list title to lean on: a mirror's copy is met by itself
    original = parse_bytes(body.encode("utf-8"), path.name)
    copy = parse_bytes(opencc.OpenCC("s2t").convert(body).encode("utf-8"), path.name)
    for key in ("title", "agency"):
        assert (copy[key] and t2s(copy[key])) == original[key], key
    for key in ("year", "format", "published"):
        assert copy[key] == original[key], key


def test_a_bare_page_number_before_table_four_is_not_its_first_cell():
    """A PDF page footer that is only a number ('7'), where the page breaks between heading 四 and its table, was
    read as the table's first cell: all fifteen cells moved one place (review.upheld 7, total 2; direct.upheld 7),
    and R4 said nothing (null on the moved blanks). The cells are those after the table's header."""
    from conftest import load_expected

    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    lines = body.split("\n")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    headers = [i for i, line in enumerate(lines) if line.startswith("结果维持")]
    for at in (headers[0], headers[-1] + 1):  # before the header; between the header and the data row
        paged = "\n".join(lines[:at] + ["", "7", ""] + lines[at:])
        record = parse_bytes(paged.encode("utf-8"), hints=hints)
        assert record["review_litigation"] == expected["review_litigation"], at


def test_a_table_four_row_whose_last_cell_wrapped_onto_a_line_of_its_own_keeps_it():
    """The page-footer rule (a number alone on a line between table 四's rows) took the last cell of a data row that
    wrapped (a hard-wrapped text, a PDF line wider than its page: '5 … 1' then '9' alone) for a footer and dropped
    it: litigation_direct.total 9 read None, where it was read before that rule. A lone number after the table's
    last row of numbers continues that row; one before a row of numbers is still a footer (the test above)."""
    from conftest import load_expected

    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    lines = body.split("\n")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    at = next(i for i, line in enumerate(lines) if line.startswith("5\t\t\t2\t7"))  # table 四's data row
    cells = lines[at].split("\t")
    wrapped = "\n".join(lines[:at] + ["\t".join(cells[:-1]), cells[-1]] + lines[at + 1:])
    record = parse_bytes(wrapped.encode("utf-8"), hints=hints)
    assert record["review_litigation"] == expected["review_litigation"]


# --- the seed's tab-separated table 三 (rows end in a tab: a trailing blank cell) -------------------------------------

_SEED_HEADER = "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计\t"


def _seed() -> str:
    require_samples()
    return (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_text(encoding="utf-8")


def test_a_sum_row_below_the_header_does_not_turn_on_the_subtotal_column():
    """A label-only 合计 line below the header (a template's sum row, its cells left blank) after a header row with
    总计: it turned the 法人或其他组织 subtotal reading on for the rows after it, and a row one value longer for its
    trailing tab lost its 总计 (null, silently: R3 not evaluable)."""
    body = _seed()
    assert _SEED_HEADER in body
    body = body.replace(_SEED_HEADER, _SEED_HEADER.rstrip("\t"))  # a header row with no blank cell after 总计
    for row in ("(六) 其他处理", "(七) 总计"):
        old = row + "\t0\t0\t0\t0\t0\t0\t0\t"
        assert old in body
        body = body.replace(old, ("合计\n" if row.startswith("(六)") else "") + row + "\t2\t1\t0\t0\t0\t0\t3\t")
    apps = parse_bytes(body.encode("utf-8"))["applications"]
    assert apps["other"] == apps["total"] == {"natural_person": 2, "commercial": 1, "research": 0,
                                               "social_welfare": 0, "legal_services": 0, "other_org": 0, "total": 3}


def _with_a_subtotal_column(after_total: str) -> dict:
    """The seed parsed with a 小计 column before 总计 in table 三 (each row's subtotal the sum of its organisations),
    its 总计 row 2, 1, 0, 0, 0, 0 (subtotal 1), total 3, and `after_total` after that row's last cell."""
    body = _seed()
    header = "法律服务机构\t其他\t\t"
    assert header in body
    body = body.replace(header, "法律服务机构\t其他\t小计\t\t")
    start, end = body.find("一、本年新收"), body.find("四、因政府信息公开工作")

    def with_subtotal(row: re.Match) -> str:
        cells = row[2].split("\t")
        return row[1] + "\t".join(cells[:6] + [str(sum(map(int, cells[1:6])))] + cells[6:]) + row[3]

    table = re.sub(r"(\t)((?:\d+\t){6}\d+)(\t?)$", with_subtotal, body[start:end], flags=re.M)
    assert table.count("\t0\t0\t0\t0\t0\t0\t0\t0") == 23  # every row of the 2019 form, eight cells
    old = "(七) 总计\t0\t0\t0\t0\t0\t0\t0\t0\t"
    assert old in table
    table = table.replace(old, f"(七) 总计\t2\t1\t0\t0\t0\t0\t1\t3\t{after_total}")
    return parse_bytes((body[:start] + table + body[end:]).encode("utf-8"))


def test_a_subtotal_column_in_rows_ending_in_a_tab_is_not_the_total():
    """The seed with a 小计 column before 总计 (each row's subtotal the sum of its organisations): rows that end in a
    tab hold one blank more than the table's eight cells, so the subtotal was not taken out, and 总计 read 1 for 3."""
    apps = _with_a_subtotal_column("")["applications"]
    assert apps["total"] == {"natural_person": 2, "commercial": 1, "research": 0, "social_welfare": 0,
                             "legal_services": 0, "other_org": 0, "total": 3}


@pytest.mark.parametrize("mark", ["*", "①", "注1"])
def test_a_mark_in_a_cell_after_a_subtotal_rows_total_leaves_the_total(mark):
    """The seed with a 小计 column before 总计, its 总计 row followed by a footnote mark in a cell of its own
    ('…\t1\t3\t*\t'): the mark, read blank, held its cell (a slip), the row kept nine cells, the subtotal was not
    taken out and 总计 read the subtotal's 1 for 3, silently. A slip beyond the table's cells is no cell of it."""
    apps = _with_a_subtotal_column(f"{mark}\t")["applications"]
    assert apps["total"] == {"natural_person": 2, "commercial": 1, "research": 0, "social_welfare": 0,
                             "legal_services": 0, "other_org": 0, "total": 3}


def test_a_note_naming_a_row_of_zeros_does_not_blank_it():
    """A 注 line inside table 三 that names a row ('注：“三类内部事务信息”指…') is a label-only line for that row. A
    row already read stays as read, but 'already read' was any non-zero cell: the seed's row of 0s was replaced by
    the note's blanks (seven 0 → null, silently)."""
    body = _seed()
    at = body.find("(四) 无法提")
    assert at > 0 and "5. 属于三类内部事务信息\t0\t0\t0\t0\t0\t0\t0" in body
    body = body[:at] + "注：“三类内部事务信息”指人事管理、后勤管理、内部工作流程等方面的信息。\n" + body[at:]
    apps = parse_bytes(body.encode("utf-8"))["applications"]
    assert apps["withheld_internal_affairs"] == dict.fromkeys(apps["new"], 0)


@pytest.mark.parametrize("style", [
    lambda n: f"{n}、", lambda n: f"{n}.", lambda n: f"（{'一二三四五六'[n - 1]}）", lambda n: f"第{'一二三四五六'[n - 1]}部分 ",
], ids=["arabic", "arabic-dot", "paren", "part"])
def test_sections_numbered_in_another_style_are_still_the_six_sections(style):
    """The real Shanghai 2019 text with its six headings numbered 1、 / 1. / （一） / 第一部分 instead of 一、: no
    heading was found, and the record came out with no section text at all (the tables were read)."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    assert sorted(expected["sections"]) == list("123456")
    # the headings, not table 三's row labels (一、本年新收… on a line with its cells)
    renumbered = re.sub(r"^([一二三四五六])、(?=[^\t\n]*$)", lambda m: style("一二三四五六".index(m[1]) + 1), body,
                        flags=re.M)
    assert "\n一、总体情况" in body and "\n一、总体情况" not in renumbered
    record = parse_bytes(renumbered.encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]
    assert record["applications"] == expected["applications"]


@pytest.mark.parametrize("number", [6, 4, 1])
def test_one_section_numbered_in_another_style_among_the_others_is_its_own_section(number):
    """The real Shanghai 2019 text with one of its six headings numbered 6、 (or 4、, 1、) where the others keep
    一、: the other style was tried only when fewer than two 一、 headings were found, so that section's text was
    merged into the one before (or, for 一, left out) without a word."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    numeral = "一二三四五六"[number - 1]
    mixed = re.sub(rf"^{numeral}、(?=[^\t\n]*$)", f"{number}、", body, flags=re.M)
    assert mixed != body
    record = parse_bytes(mixed.encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]


def test_table_four_rows_with_an_empty_first_cell_keep_their_groups():
    """Sample 14's table 四 (one Markdown row per group) with its rows indented (' | 27 | 10 |…', which reads as an
    empty first cell): each row's blank was one more value, the rows' values were run together and only the first
    blank dropped, so the second and third groups moved by one cell (litigation_direct.corrected 3 for 0, …),
    silently."""
    header, body, hints = sample_text(SAMPLES / "texts" / "14_shuyang_xzf_2025.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)["review_litigation"]
    start = body.find("### 行政复议")
    end = body.find("## 五、", start)
    assert 0 < start < end
    indented = body[:start] + re.sub(r"^\|", " |", body[start:end], flags=re.M) + body[end:]
    assert "\n | 3 | 0 | 0 | 0 | 3 |" in indented
    record = parse_bytes(indented.encode("utf-8"), hints=hints)
    assert record["review_litigation"] == expected


def test_a_table_four_group_row_blank_at_both_ends_is_left_null_and_said():
    """Indented (an empty first cell) with its 总计 left blank: six values, blank at both ends, and which blank is no
    cell is not known. The group is null and listed as ambiguous; the other groups are read."""
    header, body, hints = sample_text(SAMPLES / "texts" / "14_shuyang_xzf_2025.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)["review_litigation"]
    assert "\n| 27 | 10 | 9 | 15 | 61 |" in body
    record = parse_bytes(body.replace("\n| 27 | 10 | 9 | 15 | 61 |", "\n | 27 | 10 | 9 | 15 |  |").encode("utf-8"),
                         hints=hints)
    assert record["review_litigation"]["review"] == dict.fromkeys(expected["review"])
    assert record["review_litigation"]["litigation_direct"] == expected["litigation_direct"]
    assert record["review_litigation"]["litigation_after_review"] == expected["litigation_after_review"]
    assert "review_litigation.review.total" in record["text_layout"]["ambiguous"]


@pytest.mark.parametrize("stem", ["05_baokang_nyncj_2021", "09_hanyang_qzfb_2022", "17_wuhai_gxj_2020",
                                  "14_shuyang_xzf_2025"])
def test_cells_joined_by_full_width_bars_read_as_by_bars(stem):
    """The pipe layouts with their bars full-width (｜, as a portal's full-width conversion writes them, with its
    digits): no row was found, and every table cell came out null without a word."""
    header, body, hints = sample_text(SAMPLES / "texts" / f"{stem}.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    assert "|" in body
    record = parse_bytes(body.replace("|", "｜").encode("utf-8"), hints=hints)
    for table in ("active", "applications", "review_litigation"):
        assert record.get(table) == expected.get(table), table


def test_a_traditional_mirrors_blank_cells_written_wu_are_blanks():
    """The Shanghai 2019 text as a 繁體 mirror writes it, its blank cells 无 (無 once converted): 無 was no value
    but a label, so a row's numbers after it moved into its columns (规章's and the rows of table 三, silently)."""
    import opencc

    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    row = "二、上年结转政府信息公开申请数量\t18\t"
    assert row in body
    body = body.replace(row, row.replace("\t18\t", "\t\t"))  # a row whose first cell is blank
    filled = re.sub(r"(?<=\t)(?=\t|$)", "无", body, flags=re.M)
    assert filled.count("\t无") > 15 and "二、上年结转政府信息公开申请数量\t无\t" in filled
    expected = parse_bytes(filled.encode("utf-8"), hints=hints)
    assert expected["applications"]["carried_in"]["total"] == 18
    mirror = opencc.OpenCC("s2t").convert(filled)
    assert "\t無" in mirror
    record = parse_bytes(mirror.encode("utf-8"), hints=hints)
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table], table


@pytest.mark.parametrize("slip", ["13S", "约13", "13*", "O", "〇"])
def test_a_slip_in_a_rows_first_value_cell_does_not_move_its_numbers(slip):
    """A typing or OCR slip as a row's first value cell ('规章 13S 13 524'): a slip after a value was already a
    blank, but as the first value cell it was taken for a second label, and 13, 524 became 本年新制作 and 本年新公开
    (对外公开总数 null), silently. A text cell right after the label that holds a digit or no Han character is a blank
    cell; a wrapped label's Han piece ('开') is still a label."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    row = "规章\t13\t13\t524"
    assert row in body
    record = parse_bytes(body.replace(row, f"规章\t{slip}\t13\t524").encode("utf-8"), hints=hints)
    assert record["active"]["rules"] == {"made": None, "published": 13, "total": 524}


@pytest.mark.parametrize("slip", ["6*", "6①", "6S"])
def test_a_slip_in_a_rows_last_value_cell_does_not_move_its_numbers(slip):
    """A slip or footnote mark in a row's last value cell, the row with a leading blank cell (the seed's layout,
    '…数量\t\t5\t1\t0\t0\t0\t0\t6*\t'): the slip, read blank, was dropped as a trailing blank; the row then held one
    cell too many, its leading blank was dropped as an artefact, and every number moved one column right (自然人 null,
    商业企业 5, 总计 0), silently. A slip holds its cell: read blank where it stands."""
    body = _seed()
    row = "一、本年新收政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0\t"
    assert row in body
    apps = parse_bytes(body.replace(row, f"一、本年新收政府信息公开申请数量\t\t5\t1\t0\t2\t0\t3\t{slip}\t").encode("utf-8"))
    assert apps["applications"]["new"] == {"natural_person": 5, "commercial": 1, "research": 0, "social_welfare": 2,
                                           "legal_services": 0, "other_org": 3, "total": None}


def test_a_label_wrapped_into_the_next_cell_still_names_its_row():
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    row = "（一）予以公开\t258"
    assert row in body
    record = parse_bytes(body.replace(row, "（一）予以公\t开\t258").encode("utf-8"), hints=hints)
    assert record["applications"]["granted"] == expected["applications"]["granted"]


def test_a_row_broken_over_two_lines_is_joined_or_said():
    """A tab-separated row whose cells broke onto a second line with no label. The second line's numbers were
    dropped without a word, and the first line's were read from the wrong end (the seed's row, its leading blank
    cell kept: 自然人 null, 商业企业 5 for 1). Together the two lines hold the table's cells: joined. Where they
    hold fewer (a blank lost at the break or the end), the first line's cells are read from the row's start and
    which cells the rest are is not known: null, and said."""
    body = _seed()
    row = "一、本年新收政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0\t"
    assert row in body
    broken = body.replace(row, "一、本年新收政府信息公开申请数量\t\t5\t1\n0\t0\t0\t0\t6\t")
    apps = parse_bytes(broken.encode("utf-8"))["applications"]
    assert apps["new"] == {"natural_person": 5, "commercial": 1, "research": 0, "social_welfare": 0,
                           "legal_services": 0, "other_org": 0, "total": 6}

    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    row = "（一）予以公开\t258\t12\t\t\t1\t1"
    assert row + "\n" in body  # its blank 总计 cell dropped, as text exports do
    record = parse_bytes(body.replace(row, "（一）予以公开\t258\t12\n\t\t1\t1").encode("utf-8"), hints=hints)
    assert record["applications"]["granted"] == dict.fromkeys(apps["new"]) | {"natural_person": 258, "commercial": 12}
    assert [p for p in record["text_layout"]["ambiguous"] if p.startswith("applications.granted.")] == [
        f"applications.granted.{c}" for c in ("research", "social_welfare", "legal_services", "other_org", "total")]


def test_a_bare_page_number_after_a_cell_per_line_row_is_not_placed():
    """Sample 37 (one cell per line) with 行政处罚's first cell written — and a bare page number after its cells (a
    bare number is a cell in such text): four values for three cells, so the leading blank was dropped as a colspan
    artefact and every cell moved left (上一年项目数量 1, 本年增/减 2, 处理决定数量 3, silently). More values than
    cells, but for trailing blanks, cannot be placed: null, and said."""
    header, body, hints = sample_text(SAMPLES / "texts" / "37_hechuan_erlangzhen_2019.txt")
    row = "行政处罚\n\n0\n\n1\n\n2\n"
    assert row in body
    record = parse_bytes(body.replace(row, "行政处罚\n\n—\n\n1\n\n2\n\n3\n").encode("utf-8"), hints=hints)
    assert record["active"]["penalty"] == {"prior_year_items": None, "change": None, "decisions": None}
    assert "active.penalty.change" in record["text_layout"]["ambiguous"]
    assert record["active"]["coercion"] == parse_bytes(body.encode("utf-8"), hints=hints)["active"]["coercion"]


@pytest.mark.parametrize("style", [lambda n: f"（{'一二三四五六'[n - 1]}）", lambda n: f"{n}."], ids=["paren", "arabic-dot"])
@pytest.mark.parametrize("sixth", ["其他方面", "说明"])
def test_a_sixth_sub_item_of_section_five_is_not_section_six(style, sixth):
    """The real Shanghai 2019 text without its 六, its 五 given six sub-items, the last （六）其他方面 (or 6.说明): a
    heading in another style with section 六's words, after 五, was taken as section 六 (a62eaa3) though it only
    continues 五's own numbering; 五 lost its last sub-item."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    five = body.index("五、政府信息公开工作存在的主要问题及改进情况")
    six = body.index("\n六、其他需要报告的事项")
    items = ["主要问题", "改进措施", "工作保障", "考核评估", "培训", sixth]
    section = body[five:six]
    for n, item in enumerate(items[:2], 1):
        section = section.replace(f"（{'一二'[n - 1]}）{item}", style(n) + item)
    section += "".join(f"\n{style(n)}{item}\n\n{item}正文。\n" for n, item in enumerate(items[2:], 3))
    record = parse_bytes((body[:five] + section).encode("utf-8"), hints=hints)
    assert sorted(record["sections"]) == list("12345")
    assert record["sections"]["5"].endswith(f"{style(6)}{sixth}\n{sixth}正文。")


@pytest.mark.parametrize(("stem", "width"), [("13_shanghai_szfbgt_2019", 10), ("13_shanghai_szfbgt_2019", 16),
                                             ("13_shanghai_szfbgt_2019", 20), ("000_dc3a28ed7fcc2bfa", 16),
                                             ("000_dc3a28ed7fcc2bfa", 20), ("000_dc3a28ed7fcc2bfa", 24)])
def test_a_heading_wrapped_onto_a_second_line_is_one_heading(stem, width):
    """Real texts with each long section heading wrapped after `width` characters, as a PDF's text or a narrow
    page's copy breaks them ('四、因政府信息公开工作被申请行政复议、提起行政诉' / '讼情况'): the heading's tail was
    the first line of its section's text, and a first line without its section's words was no heading at all
    (13 at 10 or 16 lost sections 三 and 五, their text merged into the section before)."""
    path = SAMPLES / ("seed" if stem[0] == "0" else "texts") / f"{stem}.txt"
    body, hints = (path.read_text(encoding="utf-8"), {}) if stem[0] == "0" else sample_text(path)[1:]
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    wrapped = re.sub(rf"(?m)^([一二三四五六]、[^\t\n]{{{width - 2}}})([^\t\n]+)$", r"\1\n\2", body)
    assert wrapped != body
    record = parse_bytes(wrapped.encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table]


def _wrap_every(heading: str, width: int, first: int) -> str:
    """`heading` cut into lines: `first` characters, then lines of `width`."""
    lines, rest = [heading[:first]], heading[first:]
    while rest:
        lines.append(rest[:width])
        rest = rest[width:]
    return "\n".join(lines)


@pytest.mark.parametrize("stem", ["13_shanghai_szfbgt_2019", "000_dc3a28ed7fcc2bfa"])
@pytest.mark.parametrize(("first", "width"), [(3, 1), (3, 2), (4, 3), (6, 4), (9, 1), (10, 6), (16, 5)])
def test_a_heading_wrapped_over_three_or_more_lines_is_one_heading(stem, first, width):
    """Each section heading of real texts cut into three or more lines, as a narrow column or a table cell's text
    breaks them ('一、总' / '体' / '情况', '六、其他需要报' / '告的事' / '项'): only two-line wraps were rejoined, and
    a section whose first line lacked its words was lost (its text merged into the section before)."""
    path = SAMPLES / ("seed" if stem[0] == "0" else "texts") / f"{stem}.txt"
    body, hints = (path.read_text(encoding="utf-8"), {}) if stem[0] == "0" else sample_text(path)[1:]
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    wrapped = re.sub(r"(?m)^([一二三四五六]、[^\t\n]+)$",
                     lambda m: _wrap_every(m[1], width, first) if len(m[1]) > first + width else m[1], body)
    assert re.search(r"\n[一二三四五六]、[^\t\n]*\n[^\t\n]+\n[^\t\n]+\n", wrapped)  # three lines or more
    record = parse_bytes(wrapped.encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table]


@pytest.mark.parametrize("lines", [["一、总", "体", "情况"], ["六、其他需要报", "告的事", "项"], ["六、其他需要报告的", "事", "项"],
                                   ["四、因政府信息公开工作被申请行政复议、提起行政诉", "讼情", "况"], ["一、总体", "情况"]])
def test_wrapped_heading_lines_are_one_heading(lines):
    from govreports.extract.document import Block
    from govreports.parse.sections import rejoin_wrapped_headings

    blocks = [Block([line]) for line in [*lines, "本年度无此类情况。"]]
    assert [b.cells[0] for b in rejoin_wrapped_headings(blocks)] == ["".join(lines), "本年度无此类情况。"]


@pytest.mark.parametrize("lines", [
    ["一、本年", "新收", "0"],  # a table label over lines, then its value
    ["（一）主要", "问题", "工作情况"],  # a sub-item and short lines of its text: (一) numbers no section
    ["一、主要", "成效", "工作计划"],  # words of no section 一
    ["三、本年度办", "理结果", "（一）予以公开"],  # table 三's label: the next line is numbered
    ["2.加强", "管理", "实施情况"],  # a numbered item without its section's words (2: 主动公开)
    ["一、总", "体", "2019年情况"],  # a line with a number in it is no part of a heading
])
def test_short_lines_that_are_no_wrapped_heading_stay_apart(lines):
    from govreports.extract.document import Block
    from govreports.parse.sections import rejoin_wrapped_headings

    blocks = [Block([line]) for line in lines]
    assert [b.cells[0] for b in rejoin_wrapped_headings(blocks)] == lines


@pytest.mark.parametrize(("stem", "mark"), [
    ("13_shanghai_szfbgt_2019", "**"),
    ("14_shuyang_xzf_2025", "**"),  # sample 14 is OCR/LLM Markdown: '## **一、总体情况**'
    ("14_shuyang_xzf_2025", "__"),
])
def test_headings_in_markdown_bold_are_headings(stem, mark):
    """OCR/LLM Markdown (sample 14's kind) sets headings in bold: '**一、总体情况**' was read with its asterisks, no
    heading matched, and the record had no section at all (14: every section but 六 lost)."""
    header, body, hints = sample_text(SAMPLES / "texts" / f"{stem}.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    heading = re.compile(r"(?m)^(#+ )?([一二三四五六]、[^\t\n|]{2,40})$")
    emboldened = heading.sub(lambda m: (m[1] or "") + mark + m[2] + mark, body)
    assert emboldened != body
    record = parse_bytes(emboldened.encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]


@pytest.mark.parametrize("dot", ["．", "."])
def test_a_row_label_numbered_with_a_dot_is_no_agency(dot):
    """Sample 09 (an excerpt ending inside table 三, its title naming no agency) with its numbering written 三． or
    三. as many reports write it: the last lines' row label '三．本年度办' (a wrapped 三、本年度办理结果) ends as
    区政府办 does, and was taken for the agency; with 三、 it never was (a 、 is no part of a name, nor a dot)."""
    header, body, hints = sample_text(SAMPLES / "texts" / "09_hanyang_qzfb_2022.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    dotted = re.sub(r"(?m)^([一二三四五六])、", rf"\1{dot}", body)
    assert "三、本年度办" in body and f"三{dot}本年度办" in dotted
    assert parse_bytes(dotted.encode("utf-8"), hints=hints)["agency"] == expected["agency"]


@pytest.mark.parametrize("heading", ["五、存在的主要问题及下一步工作打算", "五、存在的问题和下一年度工作计划",
                                     "七、政府信息公开情况统计附表"])
def test_a_whole_heading_keeps_the_short_line_after_it(heading):
    """A heading that ends as headings do (…打算, …计划, …附表) is whole: the short line under it that ends in 情况
    is its first line of text, not its wrapped tail."""
    from govreports.extract.document import Block
    from govreports.parse.sections import rejoin_wrapped_headings

    blocks = [Block([heading]), Block(["整改落实情况"]), Block(["本年度已完成整改。"])]
    assert [b.cells[0] for b in rejoin_wrapped_headings(blocks)] == [heading, "整改落实情况", "本年度已完成整改。"]


@pytest.mark.parametrize("style", [lambda n: f"（{'一二三四五六'[n - 1]}）", lambda n: f"{n}."], ids=["paren", "arabic-dot"])
def test_a_short_sixth_sub_item_after_five_long_ones_is_not_section_six(style):
    """As above, with 五's first five sub-items paragraphs that start with their number ('5.加强第5项工作。本机关将…',
    longer than a heading): they were not seen as the numbering the sixth, '6.其他说明', continues, so it was taken
    as section 六 again."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    five = body.index("五、政府信息公开工作存在的主要问题及改进情况")
    section = "五、政府信息公开工作存在的主要问题及改进情况\n\n" + "".join(
        f"{style(n)}加强第{n}项工作。本机关将进一步健全工作机制，强化监督考核，切实提升政务公开工作质量和水平。\n\n"
        for n in range(1, 6)) + f"{style(6)}其他说明\n\n本年度无其他需要说明的情况。\n"
    record = parse_bytes((body[:five] + section).encode("utf-8"), hints=hints)
    assert sorted(record["sections"]) == list("12345")
    assert record["sections"]["5"].endswith(f"{style(6)}其他说明\n本年度无其他需要说明的情况。")


def _with_contents(body: str, entry) -> str:
    """`body` with a table of contents before its 一、 heading: one line per section heading, as `entry` writes it."""
    heads = [h for h in re.findall(r"(?m)^(?:#+ )?([一二三四五六]、[^\t\n|]{2,40})$", body)
             if not re.search(r"本年新收|上年结转|本年度办理|结转下年度", h)]
    at = body.index(heads[0])
    return body[:at] + "目录\n" + "".join(entry(i, h) for i, h in enumerate(heads, 1)) + body[at:]


@pytest.mark.parametrize("stem", ["13_shanghai_szfbgt_2019", "14_shuyang_xzf_2025"])
@pytest.mark.parametrize("entry", [
    lambda i, h: f"{h}\n", lambda i, h: f"{h}……{i}\n", lambda i, h: f"{h}\n（一）第{i}部分要点\n"],
    ids=["headings", "with-page-numbers", "with-sub-items"])
def test_a_table_of_contents_is_not_the_sections(stem, entry):
    """A report opening with a table of contents (目录, one line per section heading): its six lines were the first
    run of rising headings, so sections 一–五 were empty and 六 held the whole report."""
    header, body, hints = sample_text(SAMPLES / "texts" / f"{stem}.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    record = parse_bytes(_with_contents(body, entry).encode("utf-8"), hints=hints)
    assert record["sections"] == expected["sections"]


@pytest.mark.parametrize("stem", ["13_shanghai_szfbgt_2019", "14_shuyang_xzf_2025"])
@pytest.mark.parametrize("separator", ["", "。", "：", " "], ids=["none", "full-stop", "colon", "space"])
def test_a_heading_sharing_its_line_with_the_first_paragraph_is_still_a_heading(stem, separator):
    """Headings run into their section's first paragraph ('一、总体情况。2019年，上海市…', or with no stop at all when a
    copy lost the line break): longer than a heading, the line was none, and its section was lost (section 一's text
    left out, 五's and 六's merged into the section before)."""
    header, body, hints = sample_text(SAMPLES / "texts" / f"{stem}.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)
    inline = re.sub(r"(?m)^((?:#+ )?[一二三四五六]、[^\t\n|]{2,40})\n+(?=[^\t\n|#（(]{41,})",
                    lambda m: m[1] + separator, body)
    assert inline != body
    record = parse_bytes(inline.encode("utf-8"), hints=hints)
    assert sorted(record["sections"]) == sorted(expected["sections"])
    for n, text in expected["sections"].items():
        assert record["sections"][n].replace("\n", "") == text.replace("\n", "")


def test_a_bare_page_number_after_table_fours_last_row_is_no_cell_where_its_sums_say_so():
    """h4's review: a page number alone on its line after table 四's data row (the real Shanghai 2019 text, whose row
    ends after the direct-litigation group: its after-review cells are blank) was taken for the row's wrapped last
    cell: litigation_after_review.upheld 3, silently, beside a blank total. The lone number is that row's wrapped
    cell where the row's sums hold with it (the test above) and is a footer where they hold only without it."""
    from conftest import load_expected

    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    lines = body.split("\n")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    at = next(i for i, line in enumerate(lines) if line.startswith("5\t\t\t2\t7"))  # table 四's data row
    for footer in (["3"], ["", "3", ""], ["\f3"]):
        paged = "\n".join(lines[:at + 1] + footer + lines[at + 1:])
        record = parse_bytes(paged.encode("utf-8"), hints=hints)
        assert record["review_litigation"] == expected["review_litigation"], footer


def test_a_bar_rows_last_cell_with_the_rows_trailing_bars_is_its_total():
    """Sample 09 writes table 三 a cell per line, each ending in a bar, and the row's last cell (总计) with the
    row's trailing bars ('8 | |||||||||'): that line was read as a row of its own with no label and dropped, so every
    row's 总计 was null without a word and R3 was not evaluable on a row that holds (8 = 8 + 0 + 0 + 0 + 0 + 0)."""
    record = _parse("09_hanyang_qzfb_2022")
    header, body, hints = sample_text(SAMPLES / "texts" / "09_hanyang_qzfb_2022.txt")
    assert "一、本年新收政府信息公开申请数量 |\n8 |\n0 |\n0 |\n0 |\n0 |\n0 |\n8 | |||" in body
    apps = record["applications"]
    assert apps["new"] == {"natural_person": 8, "commercial": 0, "research": 0, "social_welfare": 0,
                           "legal_services": 0, "other_org": 0, "total": 8}
    assert apps["carried_in"] == dict.fromkeys(apps["carried_in"], 0)
    r3 = {c["where"]: c["ok"] for c in record["checks"] if c["rule"] == "R3"}
    assert r3["applications.new"] is True and r3["applications.carried_in"] is True


@pytest.mark.parametrize("mark", ["\u200c", "\u200b", "\u2060", "\ufeff"], ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("sep", ["\t", " "], ids=["tabs", "spaces"])
def test_invisible_characters_inside_numbers_of_a_text_report(mark, sep):
    """Sample 13 with a zero-width character inside every number of two or more digits: in tab-separated rows the
    cell read null (ZWNJ, WJ); with spaces between cells the zero-width space was made a space, splitting '8 21'
    into two cells."""
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    table_rows = re.compile(r"(?m)^(?=[^\n]*\t\d)[^\n]*$")

    def rows(hide: str) -> str:
        return table_rows.sub(lambda row: re.sub(r"(?<=\t)(\d)(\d+)(?=\t|$)", lambda m: m[1] + hide + m[2],
                                                 row[0]).replace("\t", sep), body)

    original = parse_bytes(rows("").encode("utf-8"), hints=hints)
    assert original["active"]["rules"] == {"made": 13, "published": 13, "total": 524}
    hidden = rows(mark)
    assert hidden.count(mark) > 20
    record = parse_bytes(hidden.encode("utf-8"), hints=hints)
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == original[table], table


def test_a_text_report_repeated_is_read_once():
    """The seed's text twice over (a copy-paste of a page that printed its article twice): section 六 held the
    second copy."""
    body = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_text(encoding="utf-8")
    once = parse_bytes(body.encode("utf-8"))
    twice = parse_bytes((body + "\n" + body).encode("utf-8"))
    assert twice["repeated_body"] == 2 and "repeated_body" not in once
    assert twice["sections"] == once["sections"]
    for key in ("title", "agency", "year", "published", "active", "applications", "review_litigation", "checks"):
        assert twice[key] == once[key], key


@pytest.mark.parametrize("mark", ["*", "①", "注1", "[2]"])
def test_a_mark_token_after_a_spaced_rows_last_value_is_dropped(mark):
    """The seed with its tabs as spaces, a footnote mark as a word of its own after the last value of a table-三 row
    and of table 四's row ('… 0 0 6 *'): the line's last word was no number, the line no row, and the row (table 四:
    the whole table) was left null."""
    body = _seed()
    new = "一、本年新收政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0\t"
    review = "\t".join(["0"] * 15) + "\n"
    assert new in body and review in body
    body = body.replace(new, f"一、本年新收政府信息公开申请数量\t\t3\t1\t0\t2\t0\t0\t6\t{mark}\t")
    body = body.replace(review, "3\t1\t0\t0\t4\t0\t0\t0\t0\t0\t1\t0\t0\t0\t1\t" + mark + "\n")
    parsed = parse_bytes(body.replace("\t", " ").encode("utf-8"))
    assert parsed["applications"]["new"] == {"natural_person": 3, "commercial": 1, "research": 0,
                                             "social_welfare": 2, "legal_services": 0, "other_org": 0, "total": 6}
    assert parsed["review_litigation"] == {
        "review": {"upheld": 3, "corrected": 1, "other": 0, "pending": 0, "total": 4},
        "litigation_direct": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0},
        "litigation_after_review": {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}}


@pytest.mark.parametrize("mark", ["*", "①", "注1"])
@pytest.mark.parametrize("indent", ["", " "])
def test_a_mark_in_a_cell_after_a_table_four_group_rows_total_leaves_the_group_read(mark, indent):
    """Sample 14's table 四 (one Markdown row a group) with a footnote mark in a cell of its own after a group's
    总计 ('| 3 | 0 | 0 | 0 | 3 | * |'): the mark, read blank, held its cell (a slip), the row had six cells, neither
    end a droppable blank, and the group was left null (listed ambiguous). A slip after the row's five cells is no
    cell of it; indented (an empty first cell), the blank at the front is dropped too."""
    header, body, hints = sample_text(SAMPLES / "texts" / "14_shuyang_xzf_2025.txt")
    expected = parse_bytes(body.encode("utf-8"), hints=hints)["review_litigation"]
    assert "\n| 3 | 0 | 0 | 0 | 3 |" in body
    marked = body.replace("\n| 3 | 0 | 0 | 0 | 3 |", f"\n{indent}| 3 | 0 | 0 | 0 | 3 | {mark} |")
    record = parse_bytes(marked.encode("utf-8"), hints=hints)
    assert record["review_litigation"] == expected
    assert "review_litigation.litigation_direct.total" not in (record.get("text_layout") or {}).get("ambiguous", [])


@pytest.mark.parametrize("extra", ["7", "O", "3S"])
def test_a_table_four_group_row_of_six_cells_is_still_left_null(extra):
    """Six cells in a group's row, the last a number or a slip that is no mark ('O' for 0): which five are its cells
    is not known; the group stays null."""
    header, body, hints = sample_text(SAMPLES / "texts" / "14_shuyang_xzf_2025.txt")
    record = parse_bytes(body.replace("\n| 3 | 0 | 0 | 0 | 3 |", f"\n| 3 | 0 | 0 | 0 | 3 | {extra} |").encode("utf-8"),
                         hints=hints)
    assert record["review_litigation"]["litigation_direct"] == dict.fromkeys(record["review_litigation"]["review"])
