"""Honest parse outcomes (issue 8, item 11): the kind comes from the bytes' structure, a parse that reads nothing
of a report says so, and a real report whose text lost its line breaks is still read."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from conftest import SAMPLES, require_samples, sample_text
from govreports.cli import app
from govreports.extract.sniff import sniff
from govreports.parse import ParseError, parse_bytes

_TITLE_LINE = re.compile(r"信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|总结)$")
_PERIOD_CLAUSE = re.compile(r"(统计期限为|统计数据从|统计期限自)[^。,，]*")


def _sample(stem: str) -> tuple[dict, str, dict]:
    require_samples()
    return sample_text(SAMPLES / "texts" / f"{stem}.txt")


def _cells(record: dict) -> list:
    return [v for t in ("active", "applications", "review_litigation") for row in record.get(t, {}).values()
            for v in row.values() if isinstance(v, (int, float))]


def _agency(header: dict) -> str:
    return header["agency"].split("（")[0]


# --- 1. the kind comes from structure, not from a word ---------------------------------------------------------

TEXT_OPENINGS = [
    "本报告网页版 <p> 段落与附表同步发布，以下为纯文本版。\n",
    "说明：本文由网站 HTML 页面（<html><body>）转存为文本。\n",
    "（网页版见政府网站，<table> 表格以文本列出；<br> 为换行）\n",
]


@pytest.mark.parametrize("opening", TEXT_OPENINGS)
def test_text_mentioning_markup_in_its_first_lines_is_text(opening):
    header, body, hints = _sample("14_shuyang_xzf_2025")
    plain = parse_bytes(body.encode("utf-8"), hints=hints)
    data = (opening + body).encode("utf-8")
    assert sniff(data) == "text"
    record = parse_bytes(data, hints=hints)
    assert record["year"] == int(header["report_year"]) and record["format"] == header["format"]
    assert record["agency"] == plain["agency"] and record["agency"]
    assert set(record["sections"]) == set(plain["sections"])
    assert _cells(record) == _cells(plain) and len(_cells(record)) > 100


def test_pre2019_text_mentioning_html_keeps_its_sections():
    header, body, _ = _sample("35_suixi_jianxinzhen_2018")
    record = parse_bytes(("本页面另提供HTML版本 <html>。\n" + body).encode("utf-8"))
    assert record["year"] == int(header["report_year"])
    assert set(record["sections"]) == set(parse_bytes(body.encode("utf-8"))["sections"]) != set()


@pytest.mark.parametrize(
    "data",
    [
        "<p style='text-align:center'>2019年某某局政府信息公开工作年度报告</p><p>正文</p>".encode(),
        "\ufeff\r\n  <!DOCTYPE html><html><head><title>年报</title></head><body>正文</body></html>".encode(),
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>',
        "<!-- 保存自门户网站 -->\n<div class=\"article\"><table><tr><td>规章</td></tr></table></div>".encode(),
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk"><p>政府信息公开</p>'.encode("gbk"),
        # a page preceded by a server warning: not markup at the start, but mostly markup after it
        ("Warning: session_start() failed in /var/www/index.php on line 3\n" + "<div><p>段落</p><span>字</span>"
         "</div>" * 3).encode(),
    ],
)
def test_markup_is_html(data):
    assert sniff(data) == "html"


def test_real_html_fragment_is_html():
    require_samples()
    assert sniff((SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html").read_bytes()) == "html"


@pytest.mark.parametrize("bom, codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
@pytest.mark.parametrize("source", ["html/02_shanghai_szfbgt_2019_fragment.html", "texts/13_shanghai_szfbgt_2019.txt"])
def test_utf16_with_its_bom_is_read(source, bom, codec):
    """Notepad's "Unicode" .txt, a page saved as UTF-16: every other byte of its ASCII is a NUL, and the file was
    refused as binary content (and its markup, '<\\x00p\\x00', never seen), though extract.decode reads UTF-16."""
    from conftest import load_expected

    require_samples()
    text = (SAMPLES / source).read_text(encoding="utf-8")
    if source.startswith("texts/"):
        text = sample_text(SAMPLES / source)[1]
    data = bom + text.encode(codec)
    assert sniff(data) == ("html" if source.startswith("html/") else "text")
    record = parse_bytes(data)
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    assert (record["year"], record["format"]) == (2019, "2019")
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table]


def test_binary_behind_a_utf16_bom_is_still_refused():
    """Bytes that decode to no UTF-16 text (lone surrogates) are not taken for text because they start FF FE."""
    assert sniff(b"\xff\xfe" + b"\x00\xd8\x41\x00" * 500) is None


# --- 2. a parse that finds nothing of a report says so ---------------------------------------------------------

_BLANK_FORM = "\n".join([
    "第二十条第（一）项",
    "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
    "规章\t\t\t",
    "行政规范性文件\t\t\t",
    "第二十条第（五）项",
    "信息内容\t本年处理决定数量",
    "行政许可\t",
])


def test_blank_form_without_title_year_or_values_is_no_report(tmp_path):
    """Format labels alone (a blank template) are not a report: no title, agency, year, text or value."""
    with pytest.raises(ParseError, match="no annual report found"):
        parse_bytes(_BLANK_FORM.encode("utf-8"))
    path = tmp_path / "form.txt"
    path.write_text(_BLANK_FORM, encoding="utf-8")
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "no annual report found" in lines[0]


def test_a_file_that_is_not_a_report_is_not_loaded_for_its_year(tmp_path):
    """A year alone does not make a report. The samples' expected records (JSON whose notes name a 2019-format label
    and a 2020 title) parsed as a report with no title, no agency, no section and no cell, and `load` of the samples
    folder stored each as an agency '' report; so did a blank form that states the period it covers."""
    expected = sorted((require_samples() / "expected").glob("*.json"))
    assert expected
    for path in expected:
        with pytest.raises(ParseError, match="no annual report found"):
            parse_bytes(path.read_bytes(), path.name)
    with pytest.raises(ParseError, match="no annual report found"):
        parse_bytes(("本报告统计期限为2020年1月1日至2020年12月31日。\n" + _BLANK_FORM).encode("utf-8"))
    db = tmp_path / "g.db"
    result = CliRunner().invoke(app, ["load", "--db", str(db), str(SAMPLES / "expected")])
    assert result.exit_code == 1
    assert f"0 new, 0 changed, 0 unchanged, 0 duplicate, {len(expected)} failed" in result.stdout
    assert all("no annual report found" in line for line in result.stderr.strip().splitlines())


def test_the_same_form_with_a_value_is_still_read():
    record = parse_bytes(_BLANK_FORM.replace("规章\t\t\t", "规章\t1\t0\t5").encode("utf-8"))
    assert record["active"]["rules"] == {"issued": 1, "repealed": 0, "in_force": 5}


# --- 3. run-together pre-2019 text -----------------------------------------------------------------------------


def _run_together(body: str, agency: str, year: int, announce: bool = True) -> str:
    """What a scraper that deletes every whitespace leaves of a report whose title line it lost: a posting date,
    the title only inside the first sentence, the covered period only as 'YYYY年1月1日至YYYY年12月31日'."""
    lines = body.splitlines()
    title_at = max(i for i, line in enumerate(lines[:15]) if _TITLE_LINE.search(re.sub(r"\s+", "", line)))
    rest = "\n".join(lines[title_at + 1:])
    rest = _PERIOD_CLAUSE.sub(lambda m: f"{m.group(1)}{year}年1月1日至{year}年12月31日", rest, count=1)
    first = (f"现发布《{agency}{year}年度政府信息公开工作年度报告》。" if announce
             else "现发布本年度政府信息公开工作报告。")
    return re.sub(r"\s+", "", f"发布日期：{year + 1}-01-20\n{first}\n{rest}")


RUN_TOGETHER = ["35_suixi_jianxinzhen_2018", "21_fzjinan_qzf_2016", "23_suqian_szf_2017", "19_shulan_scjgj_2016"]


@pytest.mark.parametrize("stem", RUN_TOGETHER)
def test_run_together_pre2019_text_is_read(stem):
    header, body, _ = _sample(stem)
    year, agency = int(header["report_year"]), _agency(header)
    text = _run_together(body, agency, year)
    assert "\n" not in text and f"{year}年1月1日至{year}年12月31日" in text
    record = parse_bytes(text.encode("utf-8"))
    assert record["year"] == year
    assert record["format"] == header["format"] == "pre2019"
    assert record["agency"] == agency
    assert str(year) in record["title"] and agency in record["title"]
    # the sections the line-broken text has are found in the run-together one too
    assert set(record["sections"]) == set(parse_bytes(body.encode("utf-8"))["sections"]) != set()


@pytest.mark.parametrize("stem", RUN_TOGETHER)
def test_run_together_year_is_the_covered_period_not_the_posting_date(stem):
    header, body, _ = _sample(stem)
    year = int(header["report_year"])
    record = parse_bytes(_run_together(body, _agency(header), year, announce=False).encode("utf-8"))
    assert record["year"] == year  # the text also carries the posting date of year + 1
    assert record["format"] == "pre2019"


@pytest.mark.parametrize("period", ["2019年1月1日至2019年12月31日", "二〇一九年一月一日至二〇一九年十二月三十一日",
                                    "二○一九年一月一日起至十二月三十一日"])
def test_run_together_text_stating_its_period_in_chinese_numerals_is_a_report(period):
    """Text without headings counts as a report by its title and the period it covers; a period written as formal
    documents date themselves (二〇一九年一月一日至…) was not seen, and the report was 'no annual report found'."""
    text = ("发布日期：2020-01-20现发布《某某县人民政府2019年政府信息公开工作年度报告》。本报告统计期限为" + period
            + "。本县坚持以公开为常态、不公开为例外，全年主动公开政府信息一千余条，依申请公开办理三件。")
    record = parse_bytes(text.encode("utf-8"))
    assert (record["title"], record["year"]) == ("某某县人民政府2019年政府信息公开工作年度报告", 2019)


def test_run_together_signature_names_the_agency():
    header, body, _ = _sample("35_suixi_jianxinzhen_2018")
    record = parse_bytes(_run_together(body, "", 2018, announce=False).encode("utf-8"))
    assert record["agency"] == _agency(header)  # '…申诉案。遂溪县建新镇人民政府2018年12月31日'


def test_announced_title_of_another_year_later_in_the_text_is_not_the_title():
    """A 2022 report says it published 《…2021年…年度报告》 in its second sentence: that names last year's report."""
    header, body, _ = _sample("31_nppa_2022")
    record = parse_bytes(re.sub(r"\s+", "", body).encode("utf-8"))
    assert record["year"] == int(header["report_year"])
    assert record["title"] is None or str(header["report_year"]) in record["title"]


@pytest.mark.parametrize("stem", ["45_hebei_gxt_2020", "47_hebei_kjt_2021"])
def test_real_run_together_reports_get_sections(stem):
    header, body, hints = _sample(stem)
    record = parse_bytes(body.encode("utf-8"))  # no list-page hints: only the text
    assert record["year"] == int(header["report_year"]) and record["format"] == header["format"]
    assert {"1", "5"} <= set(record["sections"])
    assert record["sections"]["1"] and record["sections"]["5"]
    assert "存在的主要问题" not in record["sections"]["1"]  # section 一 ends where 五's heading was cut off
    assert not record["sections"]["5"].startswith("五、")


def test_real_run_together_title_and_agency_from_the_text():
    header, body, hints = _sample("45_hebei_gxt_2020")  # '河北省工业和信息化厅　　2020年政府信息公开工作年度报告　　…'
    record = parse_bytes(body.encode("utf-8"))
    assert record["title"] == hints["title"]
    assert record["agency"] == _agency(header)


@pytest.mark.parametrize(
    "text",
    [
        # a notice about compiling the reports states the period too, but is no report
        "关于做好2018年政府信息公开工作年度报告编制工作的通知各县区人民政府：请于2019年1月31日前报送"
        "2018年政府信息公开工作年度报告，统计期限为2018年1月1日至2018年12月31日。联系电话：12345678。" * 3,
        # a list of report links run together
        "".join(f"{y}年某某局政府信息公开工作年度报告{y + 1}-01-20" for y in range(2010, 2019)),
    ],
)
def test_run_together_non_reports_are_still_refused(text):
    with pytest.raises(ParseError, match="no annual report found"):
        parse_bytes(text.encode("utf-8"))


@pytest.mark.parametrize("stem", RUN_TOGETHER)
def test_run_together_year_from_the_announced_title_alone(stem):
    """No covered period at all: the year is the one of the 《…》 the first sentence publishes."""
    header, body, _ = _sample(stem)
    year = int(header["report_year"])
    text = _PERIOD_CLAUSE.sub("", _run_together(body, _agency(header), year))
    assert f"{year}年1月1日" not in text
    record = parse_bytes(text.encode("utf-8"))
    assert record["year"] == year and record["title"].endswith(f"{year}年度政府信息公开工作年度报告")


def _form_mix_2021() -> tuple[dict, bytes]:
    """A 2021-format report (2021 table 二) whose table 三 kept the 2019 form's single （六）其他处理 row instead of
    the 2021 form's three sub-rows, its cells the sub-rows' sums, in a table where every column adds up (R2)."""
    import copy

    from govreports import schema
    from govreports.render.html import to_html
    from strategies import record_fixture

    record = copy.deepcopy(record_fixture("2021"))
    apps = record["applications"]
    outcomes = schema.OUTCOME_ROWS["2021"]
    for row in outcomes:
        apps[row] = {c: 1 for c in schema.APPLICANT_COLUMNS}
    apps["total"] = {c: len(outcomes) for c in schema.APPLICANT_COLUMNS}
    page = to_html(record)
    start = page.find('<tr><td rowspan="3">（六）其他处理</td>')
    end = page.find("<tr>", page.find("<td>3.其他</td>"))
    assert 0 < start < end
    single = '<tr><td colspan="2">（六）其他处理</td>' + "<td>3</td>" * len(schema.APPLICANT_COLUMNS) + "</tr>"
    return record, (page[:start] + single + page[end:]).encode("utf-8")


def test_a_2019_other_row_in_a_2021_table_is_noted_and_never_passes_r2():
    """The 2021 schema has no key for the 2019 form's single （六）其他处理 row: its values were dropped without a
    word and R2 came out not evaluable with no reason given. R2 stays null (placing them in 3.其他 would make it a
    pass on a cell the report does not give), and the record says which row was left out, with its values."""
    record, page = _form_mix_2021()
    parsed = parse_bytes(page, "report.html")
    assert parsed["format"] == "2021"
    for row in ("other_overdue_correction", "other_overdue_fee", "other_misc"):
        assert set(parsed["applications"][row].values()) == {None}
    assert parsed["applications"]["granted"] == record["applications"]["granted"]
    r2 = [c for c in parsed["checks"] if c["rule"] == "R2"]
    assert r2 and all(c["ok"] is None for c in r2)
    assert all("（六）其他处理" in c["detail"] for c in r2)
    assert parsed["unkeyed_rows"] == {"applications.other": {c: 3 for c in record["applications"]["total"]}}


def _form_mix_counts() -> tuple[dict, dict]:
    """A 2021-format record whose table 三 adds up in every row and column (R1–R3), each outcome row `one`: the run
    reader splits a row only where its 总计 is forced."""
    import copy

    from govreports import schema
    from strategies import record_fixture

    record = copy.deepcopy(record_fixture("2021"))
    apps = record["applications"]
    cols = schema.APPLICANT_COLUMNS
    outcomes = schema.OUTCOME_ROWS["2021"]
    one = dict.fromkeys(cols, 0) | {"natural_person": 2, "commercial": 1, "total": 3}
    for row in outcomes:
        apps[row] = dict(one)
    apps["total"] = apps["new"] = {c: v * len(outcomes) for c, v in one.items()}
    apps["carried_in"] = apps["carried_out"] = dict.fromkeys(cols, 0)
    return record, one


def _assert_other_kept(parsed: dict, one: dict, other: dict) -> None:
    assert parsed["format"] == "2021"
    assert parsed["unkeyed_rows"] == {"applications.other": other}
    for row in ("other_overdue_correction", "other_overdue_fee", "other_misc"):
        assert set(parsed["applications"][row].values()) == {None}
    assert parsed["applications"]["granted"] == one
    r2 = [c for c in parsed["checks"] if c["rule"] == "R2"]
    assert r2 and all(c["ok"] is None and "（六）其他处理" in c["detail"] for c in r2)


def test_a_2019_other_row_in_a_run_together_2021_table_is_noted_too():
    """The same form mix in a whitespace-stripped scrape (parse.runs): the run reader dropped the row without a
    word. Its run is split as any row of table 三 (R3 forces it) and kept in unkeyed_rows, its cells listed."""
    from govreports.render.text import stripped

    record, one = _form_mix_counts()
    text = stripped(record)
    start = text.find("（六）其他处理")
    end = text.find("（七）", start)
    assert 0 < start < end and "3.其他2100003" in text[start:end]
    parsed = parse_bytes((text[:start] + "（六）其他处理6300009" + text[end:]).encode("utf-8"))
    _assert_other_kept(parsed, one, dict(one, natural_person=6, commercial=3, total=9))
    assert "applications.other.total" in parsed["text_layout"]["recovered"]


_SEVEN = " 6 3 0 0 0 0 9"


@pytest.mark.parametrize("row", [
    "（六）其他处\n理" + _SEVEN,  # the label wrapped (PDF text)
    "（\n六\n）\n其\n他\n处\n理" + _SEVEN,  # a glyph per line (a narrow merged cell)
    "（六）其他处理\n" + _SEVEN.strip(),  # the numbers on a line of their own
])
def test_a_2019_other_row_in_a_2021_pdf_text_is_noted(row):
    """PDF text layouts of the same mix: the row readers kept the row only when its whole label stood beside its
    numbers; wrapped, or above them, it was dropped without a word."""
    from govreports.render.text import text_layer

    record, one = _form_mix_counts()
    text = text_layer(record, detach=0, page=0)
    start = text.find("（\n六\n）\n其\n他\n处\n理")
    end = text.find("（七）", start)
    assert 0 < start < end
    parsed = parse_bytes((text[:start] + row + "\n" + text[end:]).encode("utf-8"))
    _assert_other_kept(parsed, one, dict(one, natural_person=6, commercial=3, total=9))


def test_a_2019_other_row_whose_blanks_a_pdf_text_dropped_is_not_placed():
    """Two numbers of seven cells, only spaces between them: which cells they are is not known. A keyed row is
    left null and listed as ambiguous; the unkeyed row took them as its first two cells, silently."""
    from govreports.render.text import text_layer

    record, one = _form_mix_counts()
    text = text_layer(record, detach=0, page=0)
    start = text.find("（\n六\n）\n其\n他\n处\n理")
    end = text.find("（七）", start)
    parsed = parse_bytes((text[:start] + "（六）其他处理 6 9\n" + text[end:]).encode("utf-8"))
    _assert_other_kept(parsed, one, dict.fromkeys(one))
    assert "applications.other.natural_person" in parsed["text_layout"]["ambiguous"]


def _form_mix_2019() -> tuple[dict, bytes]:
    """The converse mix: a 2019-format report (2019 table 二, the format its labels give) whose table 三 has the 2021
    form's three （六）其他处理 sub-rows instead of the single row, in a table where every column adds up (R2)."""
    import copy

    from govreports import schema
    from govreports.render.html import to_html
    from strategies import record_fixture

    record = copy.deepcopy(record_fixture("2019"))
    apps = record["applications"]
    outcomes = schema.OUTCOME_ROWS["2019"]
    for row in outcomes:
        apps[row] = {c: 1 for c in schema.APPLICANT_COLUMNS}
    apps["total"] = {c: len(outcomes) + 2 for c in schema.APPLICANT_COLUMNS}  # the single row's 1 is three parts' 3
    page = to_html(record)
    start = page.find('<tr><td colspan="2">（六）其他处理</td>')
    end = page.find("<tr>", start + 1)
    assert 0 < start < end
    ones = "<td>1</td>" * len(schema.APPLICANT_COLUMNS)
    parts = ('<tr><td rowspan="3">（六）其他处理</td><td>1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请</td>'
             f"{ones}</tr><tr><td>2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请</td>{ones}</tr>"
             f"<tr><td>3.其他</td>{ones}</tr>")
    return record, (page[:start] + parts + page[end:]).encode("utf-8")


def test_the_2021_other_rows_in_a_2019_table_are_noted_and_never_fail_r2():
    """The 2019 schema has no keys for the 2021 form's （六） sub-rows 1 and 2: their values were dropped without a
    word and 3.其他 was read as the single （六）其他处理 row, one of three parts taken for the whole, so R2 failed
    in every column of a table that adds up (a false flag). The three rows are kept in unkeyed_rows, `other`
    stays null, and R2 is null with a detail naming the rows, as in the converse mix above."""
    from govreports import schema

    record, page = _form_mix_2019()
    parsed = parse_bytes(page, "report.html")
    assert parsed["format"] == "2019"
    assert set(parsed["applications"]["other"].values()) == {None}
    assert parsed["applications"]["granted"] == record["applications"]["granted"]
    r2 = [c for c in parsed["checks"] if c["rule"] == "R2"]
    assert r2 and all(c["ok"] is None for c in r2)
    assert all("（六）其他处理" in c["detail"] for c in r2)
    ones = dict.fromkeys(record["applications"]["total"], 1)
    assert parsed["unkeyed_rows"] == {f"applications.{row}": ones for row in schema.OTHER_ROWS["2021"]}


def test_the_2021_other_rows_in_a_run_together_2019_table_are_noted_too():
    """The same converse mix in a whitespace-stripped scrape (parse.runs): 3.其他 was split as the 2019 row and
    the sub-rows 1 and 2 dropped, so R2 failed in every column of a table that adds up."""
    import copy

    from govreports import schema
    from govreports.render.text import stripped
    from strategies import record_fixture

    record = copy.deepcopy(record_fixture("2019"))
    apps = record["applications"]
    cols = schema.APPLICANT_COLUMNS
    one = dict.fromkeys(cols, 0) | {"natural_person": 2, "commercial": 1, "total": 3}
    for row in schema.OUTCOME_ROWS["2019"]:
        apps[row] = dict(one)
    apps["total"] = apps["new"] = {c: v * (len(schema.OUTCOME_ROWS["2019"]) + 2) for c, v in one.items()}
    apps["carried_in"] = apps["carried_out"] = dict.fromkeys(cols, 0)
    text = stripped(record)
    start = text.find("（六）其他处理")
    end = text.find("（七）", start)
    assert 0 < start < end and text[start:end] == "（六）其他处理2100003"
    parts = ("（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请2100003"
             "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请2100003" "3.其他2100003")
    parsed = parse_bytes((text[:start] + parts + text[end:]).encode("utf-8"))
    assert parsed["format"] == "2019"
    assert parsed["unkeyed_rows"] == {f"applications.{row}": one for row in schema.OTHER_ROWS["2021"]}
    assert set(parsed["applications"]["other"].values()) == {None}
    assert parsed["applications"]["granted"] == one
    r2 = [c for c in parsed["checks"] if c["rule"] == "R2"]
    assert r2 and all(c["ok"] is None and "（六）其他处理" in c["detail"] for c in r2)


def test_a_2021_table_with_a_other_subtotal_row_and_its_three_parts_is_not_said_to_lack_them():
    """A 2021 table with a （六）其他处理 subtotal row above its three sub-rows (both forms' rows): where R2 is not
    evaluable for another blank (the 总计 cell), its detail said the table had the single row, 'not the 2021 form's
    three', which it has: the detail names the other form's rows only where the format's own （六） cells are blank."""
    import copy

    from govreports import schema
    from govreports.render.html import to_html
    from strategies import record_fixture

    record = copy.deepcopy(record_fixture("2021"))
    apps = record["applications"]
    outcomes = schema.OUTCOME_ROWS["2021"]
    for row in outcomes:
        apps[row] = {c: 1 for c in schema.APPLICANT_COLUMNS}
    apps["total"] = {c: len(outcomes) for c in schema.APPLICANT_COLUMNS} | {"research": None}
    page = to_html(record)
    start = page.find('<tr><td rowspan="3">（六）其他处理</td>')
    assert start > 0
    subtotal = '<tr><td colspan="2">（六）其他处理</td>' + "<td>3</td>" * len(schema.APPLICANT_COLUMNS) + "</tr>"
    parsed = parse_bytes((page[:start] + subtotal + page[start:]).encode("utf-8"), "report.html")
    assert parsed["applications"]["other_misc"] == apps["other_misc"]
    assert parsed["unkeyed_rows"] == {"applications.other": dict.fromkeys(schema.APPLICANT_COLUMNS, 3)}
    r2 = {c["where"]: c for c in parsed["checks"] if c["rule"] == "R2"}
    assert r2["applications.commercial"]["ok"] is True
    assert r2["applications.research"]["ok"] is None
    assert "form's" not in r2["applications.research"]["detail"]
