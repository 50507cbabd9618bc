"""Charts' numbers: each chart's SQL gives the numbers worked out by hand from the known reports, over regions and
years with gaps, and reads the kept sums rather than every cell (the files and the command: test_chart_files.py)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from govreports.charts import CHARTS, chart_rows, dashboards, render, resolve_filters
from govreports.charts.render import VL_VERSION
from govreports.query.agencies import AgencyNotFound
from govreports.query.analyses import NoReports
from govreports.serve import build_metadata
from storehelp import A, chart_app, known_db_path


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    return known_db_path(tmp_path_factory.mktemp("charts"))


def _rows(db, name, **filters):
    rows = chart_rows(db, CHARTS[name], resolve_filters(db, **filters))
    return [{k: v for k, v in r.items() if k not in ("seq", "proceeding_seq")} for r in rows]


def _pick(rows, key, value_field, **where):
    return {r[key]: r[value_field] for r in rows if all(r[k] == v for k, v in where.items())}


# --- the numbers --------------------------------------------------------------------------------------------

def test_applications_per_year(known):
    rows = _rows(known, "applications")
    assert _pick(rows, "year", "applications", series="本年新收 / received") == {2020: 12 + 5, 2021: 18 + 7}
    assert _pick(rows, "year", "applications", series="上年结转 / carried in") == {2020: 1, 2021: None}
    assert _pick(rows, "year", "reports", series="本年新收 / received") == {2020: 2, 2021: 2}


def test_answers_group_outcomes_and_use_row_totals(known):
    rows = _rows(known, "answers")
    assert _pick(rows, "outcome", "applications", year=2020) == {
        "予以公开 / granted": 5, "不予公开 / withheld": 1,  # 国家秘密: 总计 blank, natural person 1
        "无法提供 / unavailable": 3 + 4, "不予处理 / not processed": 2}
    assert _pick(rows, "outcome", "applications", year=2021) == {
        "予以公开 / granted": 9, "不予公开 / withheld": 2 + 1, "不予处理 / not processed": 1}


def test_refusals_review_cases_and_rule_failures(known):
    refusals = _rows(known, "refusals")
    assert len(refusals) == 16 and refusals[0]["reason"] == "属于国家秘密"
    assert _pick(refusals, "reason", "applications")["本机关不掌握相关政府信息"] == 7
    assert _pick(refusals, "reason", "applications")["重复申请"] == 2 + 1
    assert _pick(refusals, "reason", "applications")["属于四类过程性信息"] is None  # no report gave a number: no bar
    review = _rows(known, "review_litigation")
    assert _pick(review, "result", "cases", proceeding="行政复议 / administrative review") == {
        "结果维持 / upheld": 1 + 3, "结果纠正 / corrected": 1, "其他结果 / other": 1}
    after_review = _pick(review, "result", "cases", proceeding="复议后起诉 / lawsuit after review")
    assert after_review == {"尚未审结 / pending": 2}
    cases = _rows(known, "cases_per_year")
    assert _pick(cases, "year", "cases", series="行政复议 / reviews") == {2020: 2 + 4, 2021: 0}
    assert _pick(cases, "year", "cases", series="行政诉讼 / lawsuits") == {2020: 1, 2021: 2}
    rules = _rows(known, "rule_failures")
    assert _pick(rules, "rule", "reports", year=2020) == {"R1": 1, "R2": 1, "R3": 0, "R4": 0}  # R2 twice: 1 report
    assert _pick(rules, "year", "reports_checked", rule="R1") == {2020: 2, 2021: 1}  # 丙区's 2021: no checks


def test_filters_resolve_the_agency_and_refuse_empty_answers(known):
    rows = _rows(known, "applications", agency=" 甲市教育局 ")  # the same after normalisation
    assert _pick(rows, "year", "applications", series="本年新收 / received") == {2020: 12, 2021: 18}
    assert _rows(known, "applications", year=2021, agency=A)[0]["applications"] == 18
    assert resolve_filters(known, year=2021, agency=A).subtitle == f"机关 / agency: {A}；年度 / year: 2021"
    with pytest.raises(AgencyNotFound, match="did you mean 甲市教育局"):
        resolve_filters(known, agency="教育局")
    with pytest.raises(NoReports, match="no report for 2019"):
        resolve_filters(known, year=2019, agency=A)


def _due_year() -> int:
    """The latest year whose reports are due today from a department (31 January): the regions database's reports
    end there, so that no year after them is due and missing (the scorecard expects every year whose deadline has
    passed, store.migrations.due_years)."""
    import datetime

    from govreports.clock import china_today

    today = china_today()  # the deadlines are China's (m031)
    return today.year - 1 if today > datetime.date(today.year, 1, 31) else today.year - 2


Y = _due_year()


@pytest.fixture(scope="module")
def regions_db(tmp_path_factory):
    """Agencies in two provinces with a late, a missing, an undated and on-time reports (deadlines: FORMAT.md §1,
    departments 31 January, a people's government 31 March)."""
    from govreports.store import connect, load_record
    from storehelp import record

    def rec(agency, year, published):
        return {**record(agency, year, "2021", {"applications.new.total": 1}), "published": published}

    path = tmp_path_factory.mktemp("regions") / "regions.db"
    with connect(path) as db:
        for r in (rec("宿迁市财政局", Y - 2, f"{Y - 1}-02-10"),  # late: a department, after 31 January
                  rec("宿迁市财政局", Y, f"{Y + 1}-01-10"),  # Y - 1 missing between them
                  rec("宿迁市人民政府", Y, f"{Y + 1}-03-20"),  # a government: on time until 31 March
                  rec("韶关市能源局", Y, None)):  # no date: cannot be judged
            load_record(db, r)
    return path


def test_late_and_missing_by_province(regions_db):
    rows = _rows(regions_db, "late_missing")
    assert _pick(rows, "status", "agencies", province="江苏省") == {
        "迟报 / late": 1, "缺报 / missing": 1, "按时 / on time": 2}
    assert _pick(rows, "status", "agencies", province="广东省") == {"无发布日期 / no date": 1}
    assert _pick(rows, "status", "who", province="江苏省") == {
        "迟报 / late": f"宿迁市财政局（{Y - 2}）", "缺报 / missing": f"宿迁市财政局（{Y - 1}）", "按时 / on time": None}
    assert [r["province"] for r in rows][0] == "江苏省"  # most late and missing first
    rows = _rows(regions_db, "late_missing", year=Y)
    assert {(r["province"], r["status"], r["agencies"]) for r in rows} == {
        ("江苏省", "按时 / on time", 2), ("广东省", "无发布日期 / no date", 1)}
    rows = _rows(regions_db, "applications", province="江苏")  # short form; other charts take the province too
    assert _pick(rows, "year", "applications", series="本年新收 / received") == {Y - 2: 1, Y - 1: None, Y: 2}
    assert _pick(rows, "year", "no_report", series="本年新收 / received") == {Y - 2: 0, Y - 1: 1, Y: 0}


_PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省", "浙江省",
              "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市",
              "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区")


def test_every_province_s_name_is_legible_in_late_missing():
    """At national scale (31 provinces, 全国, 未知地区) late_missing squeezed 33 bars into its 220 pixels: 6.7 pixels a
    province for an 11-pixel label, the names drawn over each other and unreadable. Each province has room for its
    name: the chart grows with the number of provinces."""
    names = (*_PROVINCES, "全国", "未知地区 / unknown")
    rows = [{"province": p, "status": "缺报 / missing", "seq": 1, "agencies": 3, "who": f"{p}教育厅（2022）",
             "late_or_missing": 3} for p in names]
    svg = render(CHARTS["late_missing"], rows, "svg").decode("utf-8")
    labels = {name: float(y) for y, name in re.findall(
        r'<text text-anchor="end" transform="translate\(-?[\d.]+,([\d.]+)\)"[^>]*font-size="11px"[^>]*>([^<]+)</text>',
        svg)}
    assert set(labels) >= set(names)
    ys = sorted(labels[name] for name in names)
    assert min(b - a for a, b in zip(ys, ys[1:])) >= 14  # an 11-pixel label, and a little room between


def test_late_missing_names_a_few_agencies_and_counts_the_rest(tmp_path):
    """Who was late or missing (the tooltip) listed every agency-year: 16,500 missing in one province made a
    324,000-character tooltip on the dashboard and a 730 kB SVG (the list is in each bar's aria-label). It names
    the first 20 and says how many there are in all."""
    from govreports.store import connect, load_record
    from storehelp import record

    path = tmp_path / "many.db"
    with connect(path) as db:
        for i in range(25):  # each missing Y - 1 between its reports for Y - 2 and Y
            for year in (Y - 2, Y):
                load_record(db, {**record(f"宿迁市第{i:02d}局", year, "2021", {}), "published": f"{year + 1}-01-10"})
    [missing] = [r for r in _rows(path, "late_missing") if r["status"] == "缺报 / missing"]
    assert missing["agencies"] == 25
    named = re.findall(r"宿迁市第(\d+)局（(\d+)）", missing["who"])
    assert named == [(f"{i:02d}", str(Y - 1)) for i in range(20)]
    assert missing["who"].endswith("…（共 25 个 / 25 in all）")
    few = _rows(path, "late_missing", agency="宿迁市第03局")
    assert [r["who"] for r in few if r["status"] == "缺报 / missing"] == [f"宿迁市第03局（{Y - 1}）"]


def test_province_filter_errors(regions_db):
    from govreports.charts.render import ChartError, NoAgencies

    with pytest.raises(NoAgencies, match=r"no agency in 内蒙古自治区 \(provinces in the database: 广东省, 江苏省\)"):
        resolve_filters(regions_db, province="内蒙古")
    with pytest.raises(ChartError, match="not a province-level name"):
        resolve_filters(regions_db, province="宿迁市")
    with pytest.raises(ChartError, match="not a city or county"):
        resolve_filters(regions_db, province="江苏省/宿迁市")
    assert resolve_filters(regions_db, province="江苏").subtitle == "地区 / province: 江苏省"


def test_a_municipality_is_a_province(tmp_path):
    """北京、天津、上海、重庆 are province-level, and the region reader gives them a city (themselves): `chart
    --province 上海` (or 上海市, 重庆) was a usage error, "give a province-level name … not a city or county", exit 2,
    so no chart of a municipality's agencies could be drawn, while `analyze late --region 上海` read it."""
    from govreports.charts.render import ChartError
    from govreports.store import connect, load_record
    from storehelp import record

    path = tmp_path / "m.db"
    with connect(path) as db:
        load_record(db, record("上海市教育委员会", Y, "2021", {"applications.new.total": 3}))
        load_record(db, record("江苏省教育厅", Y, "2021", {"applications.new.total": 5}))
    for text in ("上海", "上海市"):
        filters = resolve_filters(path, province=text)
        assert filters.params["province"] == "上海市" and filters.subtitle == "地区 / province: 上海市"
        assert _pick(_rows(path, "applications", province=text), "year", "applications",
                     series="本年新收 / received") == {Y: 3}
    with pytest.raises(ChartError, match="not a city or county"):
        resolve_filters(path, province="上海市/普陀区")


def test_a_province_without_reports_for_the_year_or_agency_draws_no_empty_chart(regions_db, tmp_path):
    """`--province 广东 --year 2021` (广东's only report was for 2023) wrote an empty chart and exited 0; the same for
    an agency of another province. The scorecard's late_missing still draws: it shows agency-years expected, and
    where none reported they are all missing."""
    from govreports.charts import write_chart

    runner = CliRunner()
    result = runner.invoke(chart_app(), ["chart", "applications", "--db", str(regions_db), "--province", "广东",
                                    "--year", str(Y - 2), "-o", str(tmp_path / "a.svg")])
    assert result.exit_code == 1 and f"no report for 地区 / province: 广东省；年度 / year: {Y - 2}" in result.output
    assert not (tmp_path / "a.svg").exists()
    with pytest.raises(NoReports, match="no report for 机关 / agency: 宿迁市财政局；地区 / province: 广东省"):
        write_chart(regions_db, "refusals", "svg", tmp_path / "r.svg",
                    resolve_filters(regions_db, agency="宿迁市财政局", province="广东"))
    assert write_chart(regions_db, "late_missing", "svg", tmp_path / "l.svg",
                       resolve_filters(regions_db, province="广东", year=Y - 2)).exists()
    assert write_chart(regions_db, "applications", "svg", tmp_path / "g.svg",
                       resolve_filters(regions_db, province="广东", year=Y)).exists()


def test_all_charts_draws_every_chart_it_can_and_names_the_others(regions_db, tmp_path):
    """`chart --all --province 广东 --year 2021` stopped at the first chart its filters leave empty, so late_missing
    (which draws agency-years expected, not reports) was never drawn. Every chart is tried; those not drawn are
    named with why, and the exit code says that some were not."""
    from govreports.charts.specs import CHARTS

    out = tmp_path / "out"
    result = CliRunner().invoke(chart_app(), ["chart", "--all", "--db", str(regions_db), "--province", "广东",
                                         "--year", str(Y - 2), "--out-dir", str(out)])
    assert result.exit_code == 1
    drawn = {p.stem for p in out.iterdir()}
    assert drawn == {c.name for c in CHARTS.values() if not c.needs_reports}
    not_drawn = [name for name in CHARTS if name not in drawn]
    for name in not_drawn:
        assert f"error: {name}: no report for 地区 / province: 广东省；年度 / year: {Y - 2}" in result.output
    assert f"{len(not_drawn)} of {len(CHARTS)} charts not drawn: {', '.join(not_drawn)}" in result.output


def test_a_database_without_reports_draws_no_chart(tmp_path):
    from govreports.store import connect

    with connect(tmp_path / "empty.db"):
        pass
    with pytest.raises(NoReports, match="the database has no reports yet"):
        resolve_filters(tmp_path / "empty.db")


@pytest.fixture(scope="module")
def gap_db(tmp_path_factory):
    """One agency with reports for 2022 and 2024, none for 2023."""
    from govreports.store import connect, load_record
    from storehelp import record

    path = tmp_path_factory.mktemp("gap") / "gap.db"
    with connect(path) as db:
        for year, n in ((2022, 5), (2024, 9)):
            load_record(db, record("景德镇市人民政府办公室", year, "2021", {
                "applications.new.total": n, "applications.granted.total": n,
                "review_litigation.review.total": 1}, checks=[{"rule": "R1", "where": "applications.total",
                                                               "ok": True, "detail": "R1"}]))
    return path


def _axis_years(svg: str) -> list[str]:
    return re.findall(r">(\d{4})</text>", svg)


@pytest.mark.parametrize("name", ["applications", "answers", "cases_per_year", "rule_failures"])
def test_a_year_without_a_report_stays_on_the_axis_marked(gap_db, name):
    """An agency's 2022 and 2024 were drawn as a line straight from 2022 to 2024, 2023 left off the axis: read as
    two consecutive years. The missing year is on the axis, marked 无报告 / no report, and a line breaks there."""
    chart = CHARTS[name]
    filters = resolve_filters(gap_db, agency="景德镇市人民政府办公室")
    rows = chart_rows(gap_db, chart, filters)
    missing = [r for r in rows if r["year"] == 2023]
    assert missing and all(r["no_report"] == 1 for r in missing)
    assert not any(r["no_report"] for r in rows if r["year"] != 2023)
    svg = render(chart, rows, "svg", subtitle=filters.subtitle).decode("utf-8")
    assert _axis_years(svg) == ["2022", "2023", "2024"]
    assert ">无报告 / no report</text>" in svg
    lines = re.findall(r'aria-roledescription="line mark" d="([^"]*)"', svg)
    assert all("L" not in d for d in lines)  # each series: a point in 2022 and one in 2024, not joined



@pytest.mark.parametrize("name", ["applications", "answers", "cases_per_year", "rule_failures"])
def test_the_no_report_mark_says_so_in_its_tooltip(gap_db, name):
    """The dashed rule and label of a year without a report had a tooltip line {"datum": "无报告 / no report"}, which
    Vega-Lite drops ("Dropping … from channel tooltip", a console warning on every dashboard page): hovering it
    showed the year alone. The line is a field the mark's data carries."""
    import vl_convert

    from govreports.charts.render import VL_VERSION

    chart = CHARTS[name]
    rows = chart_rows(gap_db, chart, resolve_filters(gap_db, agency="景德镇市人民政府办公室"))
    vega = vl_convert.vegalite_to_vega(chart.vega_lite(rows), vl_version=VL_VERSION)
    gap_marks = [m for m in vega["marks"] if m["type"] in ("rule", "text")]
    assert len(gap_marks) == 2
    for mark in gap_marks:
        tooltip = mark["encode"]["update"]["tooltip"]["signal"]
        assert '"报告 / report": ' in tooltip and 'datum["report"]' in tooltip, mark["name"]
    formulas = [t["expr"] for d in vega["data"] for t in d.get("transform", []) if t["type"] == "formula"]
    assert "'无报告 / no report'" in formulas


SUMMED_CHARTS = ("applications", "answers", "refusals", "review_litigation", "cases_per_year")


@pytest.fixture(scope="module")
def province_db(tmp_path_factory):
    """Full 2019-form reports (the sample's tables, numbers varied) of agencies all in 江苏省, over five years, one
    without a year, a few cells blank: every figure of the whole database is also the figure of 江苏省."""
    import copy
    import random

    from govreports.store import connect
    from govreports.store.load import load_records
    from storehelp import expected_records

    base = next(r for r in expected_records().values() if r["format"] == "2019")
    rnd = random.Random(7)

    def records():
        for i in range(40):
            r = copy.deepcopy(base)
            r.update(agency=f"宿迁市第{i % 8}局", year=None if i == 39 else 2018 + i % 5, published="2021-01-20")
            r["title"] = f"{r['agency']}{r['year']}年政府信息公开工作年度报告"
            for table in ("applications", "review_litigation"):
                for row in r[table].values():
                    for col in row:
                        if isinstance(row[col], int):
                            row[col] = None if rnd.random() < 0.1 else rnd.randint(0, 9)
            yield r, {"url": f"http://x.gov.cn/{i}.html"}

    path = tmp_path_factory.mktemp("province") / "p.db"
    with connect(path) as db:
        load_records(db, records())
        assert {p for (p,) in db.execute("SELECT DISTINCT province FROM agencies")} == {"江苏省"}
    return path


def _rows_read(db, sql: str, params: dict, counted: dict[str, str]) -> tuple[list, int]:
    """`sql`'s rows on `db`, and how many rows of the `counted` tables or views SQLite read for them (a temp view in
    front of each, named as it is, counts the rows that pass through by the column given)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    read = [0]

    def seen(_value):
        read[0] += 1
        return 1

    conn.create_function("seen", 1, seen)
    for name, column in counted.items():
        conn.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM main.{name} WHERE seen({column})")
    try:
        return conn.execute(sql, params).fetchall(), read[0]
    finally:
        conn.close()


@pytest.mark.parametrize("name", SUMMED_CHARTS)
def test_unfiltered_charts_read_the_kept_sums(province_db, name):
    """The overview's charts of all agencies summed every report's row totals or cells, as `analyze refusals` and
    `outcomes` did before m009's kept sums: at 30,000 reports review_litigation took 2.4 s and answers 2.0 s, and
    at 300,000 ten times that, past Datasette's 3-second limit (the dashboard's charts blank) and `chart`'s 10 s.
    Unfiltered (or filtered by year alone) they read current_sums and no report's row totals or cells, and give
    the rows read report by report (the province every agency is in)."""
    chart = CHARTS[name]

    def run(province, year):
        """The chart's rows, and how many row totals and cells SQLite read for them."""
        return _rows_read(province_db, chart.sql, {"year": year, "agency": "", "province": province},
                          {"row_totals": "version_id", "cells": "version_id",
                           "cell_values": "version_id"})  # review_litigation reads cells' table

    for year in ("", "2019"):
        (summed, read_summed), (counted, read_counted) = run("", year), run("江苏省", year)
        assert summed == counted and any(v is not None for row in counted for v in row)
        assert read_summed == 0 and read_counted > 0, (read_summed, read_counted)


def test_late_missing_counts_agency_years_without_the_scorecard_s_lookups(regions_db):
    """late_missing read the scorecard view, which looks up each agency-year's report and version (dates, rules,
    blank cells) that the chart never shows: 0.68 s of CPU at 100,000 reports, twice what the agency-years alone
    take (0.32 s), and at 300,000 near Datasette's 3-second limit. It reads agency_years, as `analyze compliance`
    does, with the same rows (the numbers: test_late_and_missing_by_province)."""
    rows, read = _rows_read(regions_db, CHARTS["late_missing"].sql, {"year": "", "agency": "", "province": ""},
                            {"scorecard": "agency_id"})
    assert len(rows) == 4 and read == 0


# statistics ANALYZE counted on a national-scale build (bench/scale.py, 25,000 reports, 1,015,004 checks)
_SCALE_STATS = {
    "check_values": [("check_values_failed", "3908 3908 2"), ("check_values", "1015004 41 1")],
    "check_keys": [("sqlite_autoindex_check_keys_1", "43 11 1")],
    "agencies": [("agencies_name", "2577 1"), ("agencies_province", "2577 84 84 81"),
                 ("sqlite_autoindex_agencies_1", "2577 1")],
    "report_versions": [("sqlite_autoindex_report_versions_2", "25000 1 1"),
                        ("sqlite_autoindex_report_versions_1", "25000 1 1")],
    "reports": [("reports_agency_year", "25000 10 1"), ("reports_recent", "25000 2500 1 1 1"),
                ("reports_current", "25000 1"), ("reports_year", "25000 2500"), ("reports_source_key", "25000 1"),
                ("sqlite_autoindex_reports_1", "25000 10 1 1")],
}


def test_rule_failures_reads_the_failed_checks_of_its_reports_once_analyze_has_counted_them(known, tmp_path):
    """After ANALYZE on a national database, SQLite joined the selected reports to their failed checks through a
    Bloom filter it built by reading every check (check_values, ~40 a report): the dashboard's rule_failures chart
    of one agency (nine reports) read 1,015,004 checks at 25,000 reports (~3 M SQLite steps, 0.4-0.7 s; ~12 M
    checks at 300,000 reports), as much as the chart of every agency. Under those statistics no filter's plan
    reads the checks whole, and the rows are those read without them."""
    import shutil
    import sqlite3

    path = tmp_path / "analyzed.db"
    shutil.copy(known, path)
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    for table, stats in _SCALE_STATS.items():
        conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = ?", [table])
        conn.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                         [(table, idx, stat) for idx, stat in stats])
    conn.commit()
    conn.execute("ANALYZE sqlite_schema")  # read the statistics again
    plain = sqlite3.connect(f"file:{known}?mode=ro", uri=True)
    sql = CHARTS["rule_failures"].sql
    for filters in ({"agency": A}, {}, {"year": "2020"}, {"province": "甲省"}):
        params = {"year": "", "agency": "", "province": "", **filters}
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert not [p for p in plan if re.match(r"(SCAN|BLOOM FILTER ON) (v|check_values)\b", p)], (filters, plan)
        assert conn.execute(sql, params).fetchall() == plain.execute(sql, params).fetchall(), filters
    conn.close()
    plain.close()


def test_the_dashboard_offers_a_due_year_no_report_covers_yet(tmp_path):
    """The overview's year list offered the years of reports only: year Y, due (its deadline passed) with every
    agency missing it (`analyze late --year Y` lists them, late_missing draws them), could not be chosen, and
    `?year=Y` showed an empty choice (read: all years). Due years are offered, by the scorecard's own rule
    (store.migrations.due_years.visible); a year not due yet is not."""
    from govreports.store import connect, load_record
    from storehelp import record

    with connect(tmp_path / "due.db") as db:
        for agency in ("宿迁市财政局", "韶关市能源局"):  # departments: due 31 January of the next year
            load_record(db, {**record(agency, Y - 1, "2021", {}), "published": f"{Y}-01-10"})
        load_record(db, {**record("", Y - 2, "2021", {}), "agency": None})  # agency not read: its year still counts
        offered = [y for (y,) in db.execute(dashboards()["overview"]["filters"]["year"]["query"])]
        due = sorted({y for (y,) in db.execute("SELECT year FROM late")}, reverse=True)
    assert due == [Y] and offered == [str(Y), str(Y - 1), str(Y - 2)]


def test_the_overview_says_how_many_reports_have_tables(tmp_path):
    """`?year=2018` on the demo's overview: 16 reports, and every chart of tables 三 and 四 and the rules drawn
    empty with nothing said (pre-2019 reports have no tables; `chart refusals --year 2018` says so): an empty
    refusals chart reads as no refusals. A second figure beside the reports counts those in a form with tables."""
    from govreports.store import connect, load_record
    from storehelp import record

    with connect(tmp_path / "t.db") as db:
        load_record(db, {"title": "宿迁市财政局2018年政府信息公开工作年度报告", "agency": "宿迁市财政局", "year": 2018,
                         "format": "pre2019", "published": "2019-02-01", "sections": {"1": "总体情况。"}, "checks": []})
        load_record(db, record("宿迁市财政局", 2019, "2019", {}))
        load_record(db, record("韶关市能源局", 2019, "2021", {}))
        overview = dashboards()["overview"]
        assert ["reports", "tabled"] in overview["layout"]
        figures = {name: overview["charts"][name] for name in ("reports", "tabled")}
        assert all(f["library"] == "metric" and f["display"]["field"] == "n" for f in figures.values())

        def count(name, year="", province=""):
            return db.execute(figures[name]["query"], {"year": year, "province": province}).fetchone()[0]

        assert (count("reports", "2018"), count("tabled", "2018")) == (1, 0)
        assert (count("reports", "2019"), count("tabled", "2019")) == (2, 2)
        assert (count("reports"), count("tabled"), count("tabled", "2019", "广东省")) == (3, 2, 1)


def test_late_missing_draws_a_due_year_no_report_covers_yet(tmp_path):
    """Year Y is due (its deadline passed) and no agency has published for it: `analyze late --year Y` lists every
    agency missing it, but `chart late_missing --year Y` (the chart of who was missing) said "no reports for Y",
    exit 1, and drew nothing. It draws them all missing now; the charts drawn from reports still refuse the year,
    and `--all` draws late_missing and names the others."""
    from govreports.query.analyses import run_analysis
    from govreports.store import connect, load_record
    from storehelp import record

    path = tmp_path / "due.db"
    with connect(path) as db:
        for agency in ("宿迁市财政局", "韶关市能源局"):  # departments: due 31 January of the next year
            load_record(db, {**record(agency, Y - 1, "2021", {"applications.new.total": 1}),
                             "published": f"{Y}-01-10"})
    assert len(run_analysis(path, "late", year=Y).rows) == 2
    runner = CliRunner()
    out = tmp_path / "late.svg"
    result = runner.invoke(chart_app(), ["chart", "late_missing", "--db", str(path), "--year", str(Y), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(path, "late_missing", year=Y)
    assert {(r["province"], r["status"], r["agencies"]) for r in rows} == {
        ("江苏省", "缺报 / missing", 1), ("广东省", "缺报 / missing", 1)}
    assert "宿迁市财政局" in out.read_text(encoding="utf-8")
    result = runner.invoke(chart_app(), ["chart", "applications", "--db", str(path), "--year", str(Y),
                                    "-o", str(tmp_path / "a.svg")])
    assert result.exit_code == 1 and f"no reports for {Y}" in result.output
    assert not (tmp_path / "a.svg").exists()
    result = runner.invoke(chart_app(), ["chart", "--all", "--db", str(path), "--year", str(Y),
                                    "--out-dir", str(tmp_path / "all")])
    assert result.exit_code == 1
    assert {p.stem for p in (tmp_path / "all").iterdir()} == {"late_missing"}
    assert f"error: applications: no reports for {Y}" in result.output
    result = runner.invoke(chart_app(), ["chart", "late_missing", "--db", str(path), "--year", str(Y + 3),
                                    "-o", str(tmp_path / "later.svg")])
    assert result.exit_code == 1 and f"no reports for {Y + 3}" in result.output  # not due: nobody is missing it




# late_missing as it was before the kept counts (m028): a row_number() window over every agency-year, and
# group_concat, on each read; the reference its rows are checked against
def _old_late_missing() -> str:
    from govreports.charts.specs import _AGENCY, _STATUSES, UNKNOWN_REGION, WHO_NAMED, _sql_str, _values, visible

    return f"""WITH {_values('st', ('key', 'status', 'seq'), _STATUSES)},
s0 AS (
  SELECT coalesce(sc.province, {_sql_str(UNKNOWN_REGION)}) AS province, sc.agency, sc.year,
    CASE WHEN sc.report_id IS NULL THEN 'missing' WHEN sc.on_time = 0 THEN 'late' WHEN sc.on_time = 1
      THEN 'on_time' ELSE 'no_date' END AS status
  FROM agency_years sc JOIN agencies a ON a.id = sc.agency_id
  WHERE {visible('sc')} AND (:year = '' OR sc.year = CAST(:year AS INTEGER)) AND {_AGENCY}),
s AS (SELECT s0.*, row_number() OVER (PARTITION BY province, status ORDER BY agency, year) AS nth FROM s0),
g AS (SELECT s.province, s.status, count(*) AS agencies,
        group_concat(CASE WHEN s.nth <= {WHO_NAMED} THEN s.agency || '（' || s.year || '）' END, '、')
          || CASE WHEN count(*) > {WHO_NAMED} THEN '…（共 ' || count(*) || ' 个 / ' || count(*) || ' in all）' ELSE '' END
          AS who
      FROM (SELECT * FROM s ORDER BY province, status, nth) s GROUP BY s.province, s.status)
SELECT g.province, st.status, st.seq, g.agencies,
  CASE WHEN g.status IN ('late', 'missing') THEN g.who END AS who,
  sum(CASE WHEN g.status IN ('late', 'missing') THEN g.agencies ELSE 0 END) OVER (PARTITION BY g.province)
    AS late_or_missing
FROM g JOIN st ON st.key = g.status
ORDER BY late_or_missing DESC, g.province, st.seq"""


def _late_missing_db(path):
    """25 agencies in two provinces and none, each late, missing, on time, undated or not yet due in turn."""
    from govreports.store import connect, load_record
    from storehelp import record

    with connect(path) as db:
        for i in range(25):
            place = ("宿迁市", "韶关市", "某某")[i % 3]
            for year in range(Y - 3, Y + 1, 1 + i % 2):
                published = (None, f"{year + 1}-01-10", f"{year + 1}-03-10")[(i + year) % 3]
                load_record(db, {**record(f"{place}第{i:02d}局", year, "2021", {}), "published": published})
    return path


def test_late_missing_reads_every_agency_year_only_for_one_agency(tmp_path):
    """Unfiltered, late_missing numbered every agency-year (a window) and joined their names: 3.5 M SQLite steps
    at 33,000 agency-years (25,000 reports), ~3.5 s at 300,000, past Datasette's time limit. The counts are kept
    (agency_year_counts, m028) and the few agency-years named are read from the indexes of those late and missing."""
    import sqlite3

    path = _late_missing_db(tmp_path / "lm.db")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sql = CHARTS["late_missing"].sql
    aliases = set(re.findall(r"\bagency_years (?:AS )?(\w+)", sql)) - {"INDEXED", "WHERE", "ON"}
    for given in ({}, {"year": str(Y - 1)}, {"province": "江苏省"}):
        params = {p: given.get(p, "") for p in ("year", "agency", "province")}
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert not [p for p in plan if re.match(rf"SCAN ({'|'.join(aliases)})\b", p)], plan
    old = _old_late_missing()
    for given in ({}, {"year": str(Y - 1)}, {"year": str(Y)}, {"year": str(Y + 1)}, {"province": "江苏省"},
                  {"province": "广东省", "year": str(Y - 2)}, {"agency": "宿迁市第03局"}, {"agency": "某某第05局"},
                  {"agency": "宿迁市第03局", "year": str(Y - 1)}, {"province": "北京市"}):
        params = {p: given.get(p, "") for p in ("year", "agency", "province")}
        want = conn.execute(old, params).fetchall()
        assert conn.execute(sql, params).fetchall() == want, given
        assert want or given.get("province") == "北京市" or given.get("year") == str(Y + 1), given


def test_the_agency_dashboard_offers_a_few_names_as_they_are_typed(tmp_path):
    """The agency page's drop-down held every agency's name (a 338 KB page at 2,577 agencies, growing with the
    country). Its field is a text box; as a name is typed the page asks the canned query agency_names for the
    first names that start with (then contain) what was typed, never more than AGENCY_NAMES_SHOWN."""
    import sqlite3

    from govreports.charts.dashboard import AGENCY_NAMES_SHOWN

    field = dashboards()["agency"]["filters"]["agency"]
    assert field["type"] == "text" and "query" not in field
    sql = build_metadata("x")["databases"]["x"]["queries"]["agency_names"]["sql"]
    path = _late_missing_db(tmp_path / "names.db")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    every = sorted(n for (n,) in conn.execute("SELECT name FROM agencies"))
    names = lambda q: [n for (n,) in conn.execute(sql, {"q": q})]  # noqa: E731
    assert AGENCY_NAMES_SHOWN < len(every) and names("") == every[:AGENCY_NAMES_SHOWN]
    assert names("宿迁市第0") == [n for n in every if n.startswith("宿迁市第0")]
    assert names("第03局") == ["宿迁市第03局"] and names("没有这个") == []
    assert names("局")[:2] == every[:2] and len(names("局")) == AGENCY_NAMES_SHOWN
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, {"q": "x"})]
    assert any("agencies_name" in p for p in plan), plan  # a prefix is looked up, not read from every name
