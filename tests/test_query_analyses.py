"""Each named analysis on a small database whose answers were worked out by hand (storehelp.KNOWN)."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from govreports.query import ANALYSES, QueryError, run_analysis
from govreports.query.agencies import AgencyNotFound
from govreports.query.analyses import NoReports
from govreports.store import connect, load_record
from storehelp import KNOWN, A, B, C, cli_app, known_db_path, record


@pytest.fixture
def path(tmp_path):
    return known_db_path(tmp_path)


def rows(path, name, **params):
    return run_analysis(path, name, **params).dicts()


def test_applications_received_by_agency_and_year(path):
    got = [(r["agency"], r["year"], r["received"], r["carried_in"], r["handled"], r["carried_out"])
           for r in rows(path, "applications")]
    assert got == [(C, 2021, 7, None, None, None), (B, 2020, 5, None, None, None),
                   (A, 2020, 12, 1, 11, 2), (A, 2021, 18, None, None, None)]  # A 2020 handled: 9 + 2, 总计 blank
    assert [(r["agency"], r["received"]) for r in rows(path, "applications", year=2021)] == [(C, 7), (A, 18)]
    assert [r["year"] for r in rows(path, "applications", agency="甲市 教育局")] == [2020, 2021]


def test_refusals_by_reason(path):
    got = {r["reason"]: (r["category"], r["applications"], r["reports"]) for r in rows(path, "refusals")}
    assert len(got) == 16
    assert got["withheld_state_secret"] == ("withheld", 3, 2)  # 1 (A 2020, 总计 blank) + 2 (A 2021) + 0 (B)
    assert got["withheld_third_party"] == ("withheld", 1, 1)
    assert got["unavailable_not_held"] == ("unavailable", 7, 2)  # 3 + 4
    assert got["rejected_repeated"] == ("rejected", 3, 2)  # 2 + 1
    assert got["withheld_process_info"] == ("withheld", None, 0)  # no report gave a number: blank, not 0
    first = rows(path, "refusals")[0]
    assert first["category_label"] == "（三）不予公开" and first["label"] == "1.属于国家秘密"
    only_2020 = {r["reason"]: r["applications"] for r in rows(path, "refusals", year=2020)}
    assert only_2020["withheld_state_secret"] == 1 and only_2020["rejected_repeated"] == 2


def test_refusals_of_reports_without_table_three_are_blank_not_zero(path):
    """A year whose reports have no table 三 (free-form pre-2019 reports) printed sixteen reasons with 0 applications
    each: a researcher read that nothing was withheld that year, where no report said anything. Such a year is
    refused now, saying why (as `chart refusals` is: test_charts.py::test_a_year_of_free_form_reports_draws_no_empty
    _table_chart), over every agency (kept sums) and for one agency (its reports' rows); a free-form report beside
    reports with the table adds nothing, never a 0."""
    from govreports.query.analyses import NoTables

    old = {"title": f"{B}2018年政府信息公开工作年度报告", "agency": B, "year": 2018, "format": "pre2019",
           "published": "2019-02-01", "sections": {"1": "本局2018年政府信息公开工作总体情况。"}, "checks": []}
    with connect(path) as db:
        assert load_record(db, old).status == "new"
    for given, whose, tabled in (({"year": 2018}, "", "2020–2021"), ({"year": 2018, "agency": B}, f" of {B}", "2020")):
        with pytest.raises(NoTables, match=f"^the 2018 reports{whose} are in the pre-2019 format, which has no table "
                                           rf"三 \(refusals by reason\); years with tables: {tabled}$"):
            rows(path, "refusals", **given)
    got = {r["reason"]: (r["applications"], r["reports"]) for r in rows(path, "refusals", agency=B)}
    assert got["unavailable_not_held"] == (4, 1) and got["withheld_process_info"] == (None, 0)


def test_rule_failures(path):
    got = [(r["agency"], r["year"], r["rules"], r["failures"]) for r in rows(path, "rule_failures")]
    assert got == [(B, 2020, "R2", 2), (A, 2020, "R1", 1)]  # A's R3 is not evaluable (null): not a failure
    assert [r["agency"] for r in rows(path, "rule_failures", rule="R1")] == [A]
    assert rows(path, "rule_failures", rule="R4") == []


def test_a_rule_failure_of_a_report_read_by_ocr_is_marked_as_one(path):
    """A report read by OCR (a scan, pictures) that breaks a rule may hold a misread digit: rule_failures and
    `govreports report` had shown it as the agency's own arithmetic, beside the text-read reports' failures."""
    from govreports.query.agency_report import agency_report, print_report
    from storehelp import _check, record

    scanned = record(C, 2022, "2021", {"applications.new.total": 8},
                     checks=[_check("R1", "applications.total", False)])
    scanned["ocr_pages"] = "4/4"
    with connect(path) as db:
        assert load_record(db, scanned).status == "new"
    got = {(r["agency"], r["year"]): r["ocr_pages"] for r in rows(path, "rule_failures")}
    assert got == {(B, 2020): None, (A, 2020): None, (C, 2022): "4/4"}
    shown = agency_report(path, C)
    assert [(r["year"], r["ocr_pages"]) for r in shown.dicts() if r["found"]] == [(2021, None), (2022, "4/4")]
    assert shown.summary.endswith("1 breaking rules R1–R4 (1 read by OCR)")
    assert agency_report(path, A).summary.endswith("1 breaking rules R1–R4")  # read from text: no mark
    import io

    out = io.StringIO()
    print_report(shown, "table", out)
    assert "R1 (OCR)" in out.getvalue() and "misread digit" in out.getvalue()
    from govreports.charts.tables import AGENCY_SCORECARD_SQL

    with connect(path) as db:  # the agency's dashboard page
        for agency, year, mark in ((C, 2022, "R1 (OCR 识别)"), (A, 2020, "R1")):
            rules = {r[0]: r[8] for r in db.execute(AGENCY_SCORECARD_SQL, {"agency": agency, "year": "",
                                                                            "province": ""})}
            assert rules[year] == mark


def test_year_over_year_for_one_agency(path):
    got = rows(path, "year_over_year", agency=A)
    assert [(r["year"], r["prev_year"], r["received"], r["received_change"], r["received_change_pct"])
            for r in got] == [(2020, None, 12, None, None), (2021, 2020, 18, 6, 50.0)]
    assert [(r["granted"], r["granted_change"], r["withheld"], r["reviews"], r["lawsuits"]) for r in got] == [
        (5, None, 1, 2, 1), (9, 4, 3, 0, 2)]
    with pytest.raises(QueryError, match="--agency"):
        run_analysis(path, "year_over_year")


def test_year_over_year_of_one_year_keeps_the_change_from_the_year_before(path):
    """`analyze year_over_year --agency A --year 2021` filtered the reports before comparing them: 2021 was read
    alone, so prev_year and every change came out blank, which the analysis says means "no report the year
    before" though 2020 has one. The year now picks the row, after the change from the year before is taken."""
    whole = {r["year"]: r for r in rows(path, "year_over_year", agency=A)}
    assert rows(path, "year_over_year", agency=A, year=2021) == [whole[2021]]
    assert whole[2021]["prev_year"] == 2020 and whole[2021]["received_change"] == 6
    assert rows(path, "year_over_year", agency=A, year=2020) == [whole[2020]]


def test_missing_reports(path):
    assert [(r["agency"], r["previous_year"]) for r in rows(path, "missing", year=2021)] == [(B, 2020)]
    assert sorted(r["agency"] for r in rows(path, "missing", year=2022)) == sorted([A, C])
    # nothing to compare with: it listed no one, as if every agency had published
    with pytest.raises(NoReports, match=r"^no reports for 2019, the year `missing` compares 2020 with \(years in"):
        rows(path, "missing", year=2020)


def test_missing_lists_an_agency_only_once_its_year_is_due(path):
    """`missing --year 2026`, on 2026-12-07, listed an agency whose 2025 report was in the database, though its 2026
    report is not due until 31 January or 31 March 2027 (FORMAT.md §1), where `late` holds nobody missing a year not
    yet due. Each year `missing` now lists exactly the agencies `late` holds missing it that published the year
    before; a year nobody's report is due for yet says so (exit 1) instead of listing nobody."""
    import datetime

    today = datetime.date.today()
    this = today.year
    gov, dept = "丁县人民政府", "戊县交通运输局"  # the government publishes for last year, the department stopped
    with connect(path) as db:
        for agency, year in ((gov, this - 2), (gov, this - 1), (dept, this - 2)):
            load_record(db, record(agency, year, "2021", {}))
    listed = {}
    for year in (this - 1, this):
        try:
            listed[year] = {r["agency"] for r in rows(path, "missing", year=year)}
        except NoReports as exc:
            assert year == this and str(exc).startswith(f"no report for {year} is due yet"), exc
            listed[year] = set()
        try:
            late = {r["agency"] for r in rows(path, "late", year=year) if r["status"] == "missing"}
        except NoReports:
            late = set()
        assert listed[year] == late & {gov, dept}, year
    assert listed[this] == set() and (dept in listed[this - 1]) == (today > datetime.date(this, 1, 31))
    out = CliRunner().invoke(cli_app(), ["analyze", "missing", "--year", str(this), "--db", str(path)])
    assert out.exit_code == 1 and out.stdout == "" and f"no report for {this} is due yet" in out.stderr, out.output


def test_missing_lists_no_nameless_agency(path):
    """Reports whose agency could not be read share one nameless agency row; `missing` listed it (a blank name)
    as an agency that stopped publishing, which the scorecard, counting agencies, leaves out."""
    from storehelp import record

    with connect(path) as db:
        load_record(db, {**record("", 2020, "2019", {}), "agency": None, "title": "2020年政府信息公开工作年度报告"})
    assert [(r["agency"], r["previous_year"]) for r in rows(path, "missing", year=2021)] == [(B, 2020)]


def test_review_litigation_outcomes(path):
    got = {(r["year"], r["proceeding"]): (r["upheld"], r["corrected"], r["other"], r["pending"], r["total"],
                                          r["reports"]) for r in rows(path, "outcomes")}
    assert got[(2020, "review")] == (4, 1, 1, None, 6, 2)  # A: 1/1/-/- total 2; B: 3/-/1/- total 4
    assert got[(2020, "litigation_direct")] == (1, None, None, None, 1, 2)  # A: 总计 blank -> 1
    assert got[(2021, "litigation_after_review")] == (None, None, None, 2, 2, 2)
    assert got[(2021, "review")] == (None, None, None, None, 0, 2)
    assert [r["label"] for r in rows(path, "outcomes", year=2020)] == ["行政复议", "未经复议直接起诉", "复议后起诉"]



def test_year_over_year_leaves_the_change_over_a_year_without_a_report_blank(path):
    """2021 to 2023 with no 2022 report was shown as the year's change, a two-year jump as one."""
    later = copy.deepcopy(KNOWN[1])
    later["year"], later["title"] = 2023, later["title"].replace("2021", "2023")
    with connect(path) as db:
        assert load_record(db, later, source_key="http://a.gov.cn/2023.html").status == "new"
    got = {r["year"]: r for r in rows(path, "year_over_year", agency=A)}
    assert (got[2023]["prev_year"], got[2023]["received_change"], got[2023]["received_change_pct"],
            got[2023]["granted_change"]) == (2021, None, None, None)
    assert got[2021]["received_change"] == 6  # a year after a year: its change

def test_year_over_year_of_an_agency_whose_reports_name_no_year_says_so(path):
    """An agency whose only report names no year (its title's digits dropped, FORMAT.md §9) had a year-over-year
    of no row, exit 0, which reads "nothing to compare"; `--year` said it "has no reports"."""
    with connect(path) as db:
        load_record(db, {**record("丁县水利局", 2022, "2021", {"applications.new.total": 1}), "year": None,
                         "title": "丁县水利局政府信息公开工作年度报告"})
    for year in (None, 2022):
        with pytest.raises(NoReports, match="丁县水利局 has no report with a year: its 1 report names none"):
            rows(path, "year_over_year", agency="丁县水利局", year=year)
    assert [r["year"] for r in rows(path, "applications", agency="丁县水利局")] == [None]  # listed, as it is


def test_year_over_year_reads_the_report_that_counts_for_a_doubled_year(path):
    """An agency-year two reports claim (a re-post reformatted elsewhere, published later, with other numbers): each
    column of the year was the larger of the two, a mix that no report says (received from one, granted from the
    other), and not the numbers `report` and the scorecard show for that year (the earliest published report)."""
    repost = copy.deepcopy(KNOWN[1])
    repost["published"] = "2022-03-01"
    repost["applications"]["new"]["total"] = 30
    repost["applications"]["granted"]["total"] = 4
    with connect(path) as db:
        assert load_record(db, repost, source_key="http://b.gov.cn/repost.html").status == "new"
    assert len(rows(path, "doubled", agency=A)) == 2
    got = {r["year"]: r for r in rows(path, "year_over_year", agency=A)}
    assert (got[2021]["received"], got[2021]["granted"], got[2021]["received_change"]) == (18, 9, 6)
    from govreports.query.agency_report import agency_report

    report = agency_report(path, A)
    shown = {r["year"]: r for r in report.dicts()}
    assert (shown[2021]["received"], shown[2021]["granted"]) == (got[2021]["received"], got[2021]["granted"])
    # the year says another report claims it (its figures differ: 30 received): it had read as the only one
    assert (shown[2020]["reports"], shown[2021]["reports"]) == (1, 2)
    assert "1 claimed by more than one report (the earliest published counts" in report.summary
    import io

    from govreports.query.agency_report import print_report

    out = io.StringIO()
    print_report(report, "table", out)
    assert out.getvalue().count("found ×2") == 1
    # the agency's dashboard charts read the same report: its 2021 had drawn 48 received (18 + 30)
    from govreports.charts.specs import APPLICATIONS

    with connect(path) as db:
        drawn = {(r[0], r[1][:4]): r[3] for r in db.execute(APPLICATIONS.sql, {"agency": A, "year": "",
                                                                                 "province": ""})}
        every = {(r[0], r[1][:4]): r[3] for r in db.execute(APPLICATIONS.sql, {"agency": "", "year": "",
                                                                                 "province": ""})}
    assert drawn[(2021, "本年新收")] == 18 and drawn[(2020, "本年新收")] == 12
    assert every[(2021, "本年新收")] == 18 + 30 + 7  # every agency's sums count every report (analyze doubled)
    from govreports.charts.tables import AGENCY_SCORECARD_SQL

    with connect(path) as db:  # and its scorecard says the year is claimed twice
        card = {r[0]: r[1] for r in db.execute(AGENCY_SCORECARD_SQL, {"agency": A, "year": "", "province": ""})}
    assert (card[2020], card[2021]) == ("有 / found", "有 / found ×2")


def test_analyses_read_current_versions_only(path):
    edited = copy.deepcopy(KNOWN[0])
    edited["applications"]["new"]["total"] = 20
    with connect(path) as db:
        assert load_record(db, edited).status == "changed"
    assert [r["received"] for r in rows(path, "applications", agency=A)] == [20, 18]
    assert [r["received_change"] for r in rows(path, "year_over_year", agency=A)] == [None, -2]


def test_cli_analyze(path):
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["analyze", "missing", "--year", "2021", "--db", str(path), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == [{"agency": B, "region": None, "previous_year": 2020,
                                       "previous_title": f"{B}2020年政府信息公开工作年度报告"}]
    table = runner.invoke(cli_app(), ["analyze", "refusals", "--db", str(path)])
    assert table.exit_code == 0 and "属于国家秘密" in table.stdout
    assert runner.invoke(cli_app(), ["analyze", "year_over_year", "--db", str(path)]).exit_code == 2
    unknown = runner.invoke(cli_app(), ["analyze", "nope", "--db", str(path)])
    assert unknown.exit_code == 2 and "choose one of" in unknown.stderr


def test_cli_analyze_refuses_an_empty_filter(path):
    """`--agency ""` (a script's `--agency "$NAME"` with NAME unset) printed every agency's rows, exit 0, as if no
    filter had been given, where `search` and `export` say "give an agency name" (exit 2); `--rule ""` listed
    every rule's failures, and `--region ""` ended exit 1, though it is the same usage error."""
    runner = CliRunner()
    for args in (["applications", "--agency", ""], ["year_over_year", "--agency", ""],
                 ["rule_failures", "--rule", ""], ["late", "--region", ""], ["late", "--region", " / "]):
        out = runner.invoke(cli_app(), ["analyze", *args, "--db", str(path), "-f", "csv"])
        assert out.exit_code == 2 and out.stdout == "" and f"{args[1]} is empty" in out.stderr, (args, out.output)


def test_every_analysis_runs_with_no_data(tmp_path):
    """Each analysis's SQL runs on an empty database, and the analysis says there is nothing to analyse (exit 1):
    refusals printed sixteen reasons with 0 applications each, the others an empty table, and exited 0."""
    from govreports.query.readonly import run_query

    path = tmp_path / "empty.db"
    with connect(path):
        pass
    for name, analysis in ANALYSES.items():
        required = {p.name: 2021 for p in analysis.params if p.required and p.name != "agency"}
        params = {p.name: "" for p in analysis.params if f":{p.name}" in analysis.sql}
        assert run_query(path, analysis.sql, {**params, **required}).columns, name
        if any(p.name == "agency" and p.required for p in analysis.params):
            with pytest.raises(AgencyNotFound, match="the database has no agencies yet"):
                run_analysis(path, name, agency=A, **required)
            continue
        if analysis.needs_reports and required.get("year"):  # `missing`: no year N − 1 to compare with
            with pytest.raises(NoReports, match=r"\(the database is empty\)$"):
                run_analysis(path, name, **required)
            continue
        with pytest.raises(NoReports, match="the database has no reports yet"):
            run_analysis(path, name, **required)
    out = CliRunner().invoke(cli_app(), ["analyze", "refusals", "--db", str(path)])
    assert out.exit_code == 1 and "no reports yet" in out.stderr and out.stdout == ""


def test_open_analysis_streams_the_rows_run_analysis_returns(path):
    from govreports.query.analyses import open_analysis

    with open_analysis(path, "applications") as stream:
        assert stream.columns[:2] == ["agency", "year"]
        streamed = list(stream)
    assert streamed == run_analysis(path, "applications").rows and len(streamed) == 4
    with open_analysis(path, "applications", limit=2) as stream:
        assert list(stream) == streamed[:2] and stream.limited
    with pytest.raises(AgencyNotFound):
        open_analysis(path, "applications", agency="甲市")


def test_doubled_lists_the_agency_years_more_than_one_report_claims(tmp_path):
    """Two pages of one agency-year whose contents differ (a re-post reformatted, a （超链版） edition) are two
    reports, and every sum counts both: `doubled` names them, with where each came from and what each received;
    an agency-year with one report, and reports whose agency could not be read, are not listed."""
    path = tmp_path / "d.db"
    plain = record(A, 2022, "2021", {"applications.new.total": 12})
    linked = record(A, 2022, "2021", {"applications.new.total": 12}, sections={"6": "（超链版）"})
    with connect(path) as db:
        load_record(db, plain, source_key="http://a.gov.cn/nb/2022.pdf")
        load_record(db, linked, source_key="http://a.gov.cn/nb/2022_clb.pdf")
        load_record(db, record(A, 2021, "2021", {"applications.new.total": 9}), source_key="http://a.gov.cn/2021")
        load_record(db, record(B, 2022, "2021", {}), source_key="http://b.gov.cn/2022")
        for k in range(2):
            load_record(db, {**record(B, 2022, "2021", {"applications.new.total": k}), "agency": None},
                        source_key=f"http://c.gov.cn/{k}")
    rows = run_analysis(path, "doubled").rows
    assert [(r[0], r[1], r[3], r[6]) for r in rows] == [
        (A, 2022, "http://a.gov.cn/nb/2022.pdf", 12), (A, 2022, "http://a.gov.cn/nb/2022_clb.pdf", 12)]
    assert run_analysis(path, "doubled", year=2021).rows == []
    assert len(run_analysis(path, "doubled", agency=A).rows) == 2
