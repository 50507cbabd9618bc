"""The compliance scorecard (views scorecard and late, analyses scorecard / late / compliance, `govreports report`)
on a small database whose answers are worked out by hand from FORMAT.md §1's deadlines."""

from __future__ import annotations

import json
from functools import partial

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from govreports import schema
from govreports.query import ANALYSES, run_analysis
from govreports.store import connect, load_record
from govreports.store.migrations import migrations
from storehelp import cli_app, record

GOV, DEPT, NATION, SHAOGUAN = "宿迁市人民政府", "沭阳县财政局", "国家税务总局", "韶关市教育局"
FAILED = {"rule": "R1", "where": "applications.total", "ok": False, "detail": "1 + 0 != 0 + 0"}
HELD = {"rule": "R3", "where": "applications.new", "ok": True, "detail": "ok"}
SIX = {str(i): "正文。" for i in range(1, 7)}


def _report(agency, year, fmt, published, source="meta", cells=None, checks=None, sections=None):
    if fmt == "pre2019":  # free form: no tables
        r = {"title": f"{agency}{year}年政府信息公开工作年度报告", "agency": agency, "year": year, "format": fmt,
             "sections": sections or {}, "checks": checks or []}
    else:
        r = record(agency, year, fmt, cells or {}, checks=checks, sections=sections)
    return {**r, "published": published, "published_source": source if published else None}


REPORTS = [
    # a people's government: 31 March throughout; 2020 missing (a gap), 2021 two days late
    _report(GOV, 2018, "pre2019", "2019-03-20", "page", sections={"1": "概述。", "2": "主动公开。"}),
    _report(GOV, 2019, "2019", "2020-03-15", checks=[HELD], sections=SIX,
            cells={"applications.new.total": 7, "applications.granted.total": 4,
                   "applications.withheld_state_secret.total": 1, "applications.withheld_third_party.total": 2}),
    _report(GOV, 2021, "2021", "2022-04-02", "list"),
    # a department: 31 March for 2018, 31 January from 2019
    _report(DEPT, 2018, "pre2019", "2019-03-31", "closing"),
    _report(DEPT, 2019, "pre2019", "2020-02-15"),  # free form in 2019 is not held against it; 15 days late
    _report(DEPT, 2020, "2021", "2021-01-20", checks=[FAILED, HELD],  # the wrong format for 2020, R1 broken
            cells={"applications.new.total": 3}),
    _report(DEPT, 2021, "2021", None),  # no date anywhere: neither on time nor late
    _report(NATION, 2023, "2021", "2024-01-10"),
    _report(SHAOGUAN, 2023, "2021", "2024-09-05"),
]


def _due(kind: str, today=None) -> int:
    """The latest year whose reports are due by today for an agency of `kind`: the year `status` judges a portal
    overdue for (runs.health.legal_deadline, FORMAT.md §1)."""
    from govreports.clock import china_today
    from govreports.runs.health import legal_deadline

    today = today or china_today()  # the deadlines are China's (m031)
    return max(y for y in range(today.year - 3, today.year + 1)
               if today > legal_deadline(y, government=kind == "government"))


# the last year each kind of agency is expected for today (2025 for both on 2026-12-07); the fixture's reports end
# in 2023, so its agencies are missing every year after their latest up to these
DUE_GOV, DUE_DEPT = _due("government"), _due("department")


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "g.db"
    with connect(p) as db:
        for r in REPORTS:
            load_record(db, r)
    return p


def _rows(path, sql, params=()):
    db = Database(path)
    try:
        return [dict(r) for r in db.query(sql, params)]
    finally:
        db.close()


def _card(path):
    return {(r["agency"], r["year"]): r for r in _rows(path, "SELECT * FROM scorecard")}


def test_agencies_carry_region_and_kind(path):
    got = {r["name"]: (r["region"], r["province"], r["city"], r["county"], r["kind"])
           for r in _rows(path, "SELECT * FROM agencies")}
    assert got == {GOV: ("江苏省/宿迁市", "江苏省", "宿迁市", None, "government"),
                   DEPT: ("江苏省/宿迁市/沭阳县", "江苏省", "宿迁市", "沭阳县", "department"),
                   NATION: ("全国", "全国", None, None, "department"),
                   SHAOGUAN: ("广东省/韶关市", "广东省", "韶关市", None, "department")}


def test_every_year_from_first_to_the_horizon_is_expected(path):
    """Every year whose deadline has passed is expected, whatever year the newest report covers (2023 here): the
    government and the department that stopped after 2021 are missing every year since, as is the government's
    2020 gap, and the agencies that reported for 2023 alone are missing each year after it."""
    card = _card(path)
    assert sorted(card) == sorted([(GOV, y) for y in range(2018, DUE_GOV + 1)]
                                  + [(DEPT, y) for y in range(2018, DUE_DEPT + 1)]
                                  + [(a, y) for a in (NATION, SHAOGUAN) for y in range(2023, DUE_DEPT + 1)])
    assert {card[(DEPT, y)]["found"] for y in range(2022, DUE_DEPT + 1)} == {0}
    gap = card[(GOV, 2020)]
    assert (gap["found"], gap["report_id"], gap["published"], gap["on_time"], gap["format_ok"]) == (0, None, None,
                                                                                                   None, None)
    assert gap["deadline"] == "2021-03-31" and gap["format_expected"] == "2019"


def test_a_year_no_portal_has_published_is_missing_once_it_is_due(tmp_path):
    """The scorecard stopped at the newest year a report covers: with no report yet for a year that was due
    (the demo on 2026-12-07: reports 2018–2024, every 2025 report due since January or March 2026), nobody was
    missing it, while `status` called every portal overdue for it. A year is now expected once its own deadline
    has passed, the year `status` judges; `late --year` lists it rather than saying there are no reports."""
    import datetime

    old = datetime.date.today().year - 4
    p = tmp_path / "stale.db"
    with connect(p) as db:
        load_record(db, _report(GOV, old, "2021", f"{old + 1}-03-01"))
        load_record(db, _report(DEPT, old, "2021", f"{old + 1}-01-10"))
    card = _card(p)
    for agency, kind in ((GOV, "government"), (DEPT, "department")):
        years = sorted(y for a, y in card if a == agency)
        assert years == list(range(old, _due(kind) + 1)), agency
        assert [card[(agency, y)]["found"] for y in years[1:]] == [0] * (len(years) - 1)
    assert run_analysis(p, "late", year=_due("department")).rows
    compliance = {r["year"]: r for r in run_analysis(p, "compliance").dicts()}
    assert compliance[_due("department")]["missing"] >= 1 and max(compliance) == _due("department")


def test_the_scorecard_expects_the_years_status_calls_due():
    """The two answers to "which year is due" agree on every day of a year: the scorecard's condition (today
    after the row's deadline) and runs.health's (the latest year whose legal deadline has passed)."""
    import datetime

    from govreports.store.migrations.due_years import visible

    conn = Database(memory=True).conn
    conn.execute("CREATE TABLE y (year INTEGER, kind TEXT, tail INTEGER)")
    conn.executemany("INSERT INTO y VALUES (?, ?, 1)", [(year, kind) for year in range(2015, 2026)
                                                         for kind in ("government", "department")])
    day = datetime.date(2024, 1, 1)
    while day.year == 2024:
        sql = visible("y").replace("date('now')", f"'{day.isoformat()}'")
        for kind in ("government", "department"):
            shown = conn.execute(f"SELECT max(year) FROM y WHERE kind = ? AND {sql}", [kind]).fetchone()[0]
            assert shown == _due(kind, day), (day, kind)
        day += datetime.timedelta(days=1)


@pytest.mark.parametrize("agency,year,deadline,days_late,on_time", [
    (GOV, 2018, "2019-03-31", 0, 1),
    (GOV, 2019, "2020-03-31", 0, 1),  # a government's own report keeps 31 March
    (GOV, 2021, "2022-03-31", 2, 0),
    (DEPT, 2018, "2019-03-31", 0, 1),  # the old rule: 31 March for every body, the deadline day itself on time
    (DEPT, 2019, "2020-01-31", 15, 0),  # the revised 条例: departments by 31 January from the 2019 reports
    (DEPT, 2020, "2021-01-31", 0, 1),
    (DEPT, 2021, "2022-01-31", None, None),  # no date: cannot say
    (NATION, 2023, "2024-01-31", 0, 1),
    (SHAOGUAN, 2023, "2024-01-31", 218, 0),
])
def test_deadlines_and_lateness(path, agency, year, deadline, days_late, on_time):
    row = _card(path)[(agency, year)]
    assert (row["deadline"], row["days_late"], row["on_time"]) == (deadline, days_late, on_time)


def test_format_rules_blanks_and_sections(path):
    card = _card(path)
    assert [(card[(DEPT, y)]["format_expected"], card[(DEPT, y)]["format"], card[(DEPT, y)]["format_ok"])
            for y in range(2018, 2022)] == [("pre2019", "pre2019", 1), ("2019", "pre2019", 1),
                                             ("2019", "2021", 0), ("2021", "2021", 1)]
    assert (card[(DEPT, 2020)]["rules_failed"], card[(DEPT, 2020)]["rules_ok"]) == ("R1", 0)
    assert (card[(GOV, 2019)]["rules_failed"], card[(GOV, 2019)]["rules_ok"]) == (None, 1)
    assert card[(GOV, 2018)]["rules_ok"] is None  # nothing evaluated: not "ok"
    cells = [v for t, r, c, v in schema.iter_cells(REPORTS[1]) if c != "amount_unit"]
    assert card[(GOV, 2019)]["blank_share"] == round(sum(v is None for v in cells) / len(cells), 3)
    assert card[(GOV, 2018)]["blank_share"] is None  # a free-form report has no cells to be blank
    assert (card[(GOV, 2018)]["sections_present"], card[(GOV, 2019)]["sections_present"]) == (2, 6)
    assert card[(GOV, 2021)]["published_source"] == "list"


def _half_read(agency, year, fmt, published):
    """A scan OCR read part of: table 二 of its form whole, every cell filled, tables 三 and 四 not read at all
    (absent from the record, as the parser leaves a table it did not find)."""
    r = _report(agency, year, fmt, published)
    r["active"] = {row: {c: (None if c == "amount_unit" else 1) for c in cols} for row, cols in r["active"].items()}
    del r["applications"], r["review_litigation"]
    return r


def test_blank_share_is_over_the_cells_the_form_has_not_the_ones_read(tmp_path):
    """A half-read scan (table 二 only: 10 of the 2021 form's 200 cells, all filled) showed blank 0%, the share
    of the cells its record has; the cells its form has but it lacks are blank too: 190 of 200. A free-form
    report (pre2019) has no form, so no share, even when a table was loaded with it."""
    p = tmp_path / "half.db"
    pre = _report(GOV, 2018, "pre2019", "2019-03-20")
    pre["active"] = {"rules": {"made": 1, "published": None, "total": None}}  # a JSON record loaded as given
    with connect(p) as db:
        for r in (_half_read(NATION, 2023, "2021", "2024-01-10"), _half_read(NATION, 2022, "2019", "2023-01-10"),
                  pre):
            load_record(db, r)
    card = _card(p)
    assert card[(NATION, 2023)]["blank_share"] == 0.95  # 190 / 200
    assert card[(NATION, 2022)]["blank_share"] == round(1 - 22 / 198, 3)  # the 2019 form: 22 of 198 in table 二
    assert card[(GOV, 2018)]["blank_share"] is None
    out = CliRunner().invoke(cli_app(), ["report", NATION, "--db", str(p)])
    assert out.exit_code == 0, out.output
    shown = {line.split("│")[1].strip(): line.split("│")[8].strip() for line in out.stdout.splitlines()
             if line.startswith("│ 20")}
    assert (shown["2023"], shown["2022"]) == ("95%", "89%")


def test_an_older_database_counts_its_blanks_over_the_form_again(tmp_path):
    """Versions loaded before m024 carry the blanks of the cells they had (10 cells, 0 blank for the half-read
    scan): the migration counts them again from their stored cells, as the loader now counts a record."""
    p = tmp_path / "old.db"
    with connect(p) as db:
        load_record(db, _half_read(NATION, 2023, "2021", "2024-01-10"))
        load_record(db, _report(NATION, 2022, "2021", "2023-01-10", cells={"applications.new.total": 3}))
        load_record(db, _report(GOV, 2018, "pre2019", "2019-03-20"))
        loaded = db.execute("SELECT id, table_cells, blank_cells FROM report_versions ORDER BY id").fetchall()
        assert [row[1:] for row in loaded] == [(200, 190), (200, 199), (0, 0)]
        db.execute("UPDATE report_versions SET table_cells = 10, blank_cells = 0 WHERE id = ?", [loaded[0][0]])
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm024_blanks_over_the_form'")
    assert _card(p)[(NATION, 2023)]["blank_share"] == 0  # as an older govreports left it
    with connect(p) as db:  # migrated
        assert db.execute("SELECT id, table_cells, blank_cells FROM report_versions ORDER BY id").fetchall() == loaded
    assert _card(p)[(NATION, 2023)]["blank_share"] == 0.95


def test_late_view_is_late_or_missing(path):
    late = {(r["agency"], r["year"]) for r in _rows(path, "SELECT agency, year FROM late")}
    assert late == {(GOV, 2020), (GOV, 2021), (DEPT, 2019), (SHAOGUAN, 2023),
                    *((GOV, y) for y in range(2022, DUE_GOV + 1)),  # stopped after 2021: missing since
                    *((a, y) for a in (DEPT,) for y in range(2022, DUE_DEPT + 1)),
                    *((a, y) for a in (NATION, SHAOGUAN) for y in range(2024, DUE_DEPT + 1))}


def test_the_earliest_of_several_reports_for_a_year_counts(path):
    with connect(path) as db:
        load_record(db, _report(DEPT, 2019, "pre2019", "2020-01-30"), {"url": "http://mirror.example/1.html"})
    assert _card(path)[(DEPT, 2019)]["on_time"] == 1


def _analysis(path, name, **given):
    return run_analysis(path, name, **given).dicts()


def test_analyses_filter_by_year_and_any_level_of_region(path):
    assert {"scorecard", "late", "compliance"} <= set(ANALYSES)
    late_2023 = _analysis(path, "late", year=2023)
    assert [(r["province"], r["agency"], r["status"], r["days_late"]) for r in late_2023] == [
        ("广东省", SHAOGUAN, "late", 218), ("江苏省", GOV, "missing", None), ("江苏省", DEPT, "missing", None)]
    for region in ("江苏省", "江苏", "宿迁市", "宿迁"):
        got = [(r["agency"], r["year"], r["status"]) for r in _analysis(path, "late", region=region)]
        assert got == [(GOV, 2020, "missing"), (GOV, 2021, "late"),
                       *((GOV, y, "missing") for y in range(2022, DUE_GOV + 1)), (DEPT, 2019, "late"),
                       *((DEPT, y, "missing") for y in range(2022, DUE_DEPT + 1))], region  # city, county
    assert [r["year"] for r in _analysis(path, "scorecard", region="沭阳县")] == list(range(2018, DUE_DEPT + 1))
    assert {r["agency"] for r in _analysis(path, "scorecard", region="全国")} == {NATION}
    summary = {(r["province"], r["year"]): r for r in _analysis(path, "compliance")}
    suqian_2020 = summary[("江苏省", 2020)]
    assert (suqian_2020["expected"], suqian_2020["found"], suqian_2020["missing"], suqian_2020["on_time"],
            suqian_2020["late"]) == (2, 1, 1, 1, 0)
    assert summary[("江苏省", 2021)]["no_date"] == 1
    # every agency missing: none on time, none late, 0 % (SQLite's sum over no matching row is NULL: the worst
    # province-years showed blanks, and fell out of sorts and averages)
    worst = summary[("江苏省", 2023)]
    assert (worst["expected"], worst["found"], worst["on_time"], worst["late"], worst["no_date"],
            worst["on_time_pct"]) == (2, 0, 0, 0, 0, 0.0)


def _two_regions(tmp_path, *agencies: tuple[str, str, str, str]):
    """A database of one 2023 report (2021 form) for each (agency, published, url, region)."""
    p = tmp_path / "g.db"
    with connect(p) as db:
        for name, published, url, region in agencies:
            load_record(db, _report(name, 2023, "2021", published), {"url": url, "region": region})
    return p


def _agencies(path, name: str, region: str) -> list[str]:
    return sorted({r["agency"] for r in _analysis(path, name, region=region)})


def test_a_region_path_keeps_every_level_it_names(tmp_path):
    """`--region 上海市/普陀区` was read as its last level alone, 普陀区, and listed 舟山市's 普陀区 (浙江省) with
    Shanghai's: a path names one place. Each level of a path is matched (the full name or its start), a single
    name still matches any level, and a path no agency is in is an error, not an empty listing."""
    p = _two_regions(tmp_path, ("普陀区教育局", "2024-01-10", "http://sh.gov.cn/1.html", "上海市/普陀区"),
                     ("普陀区财政局", "2024-03-10", "http://zs.gov.cn/1.html", "浙江省/舟山市/普陀区"))
    agencies = partial(_agencies, p)

    for name in ("scorecard", "late"):
        assert agencies("scorecard", "普陀区") == ["普陀区教育局", "普陀区财政局"]
        assert agencies(name, "浙江省/舟山市/普陀区") == agencies(name, "舟山/普陀") == ["普陀区财政局"]
    assert agencies("scorecard", "上海市/普陀区") == ["普陀区教育局"]
    assert {r["province"] for r in _analysis(p, "compliance", region="上海/普陀区")} == {"上海市"}
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["analyze", "scorecard", "--region", "上海市 / 普陀区", "--db", str(p), "-f", "json"])
    assert out.exit_code == 0, out.output
    assert {r["agency"] for r in json.loads(out.stdout)} == {"普陀区教育局"}
    out = runner.invoke(cli_app(), ["analyze", "late", "--region", "江苏省/普陀区", "--db", str(p)])
    assert out.exit_code == 1 and "no agency in region '江苏省/普陀区'" in out.output and out.stdout == ""


def _canned(path, name, **params):
    """The canned query `name` as Datasette runs it: the analysis's SQL with the form's text as typed, no CLI
    checks ('' for a parameter left empty)."""
    return _rows(path, ANALYSES[name].sql, {"year": "", "region": "", **params})


def test_a_province_start_means_the_province_not_a_lower_level_starting_the_same(tmp_path):
    """`--region 海南` matched any level starting with 海南, so `late --region 海南` listed 青海省's 海南藏族自治州
    with Hainan province. A name matches the highest level it is the start of (province, then city, then county,
    across the database), as the CLI and Datasette's canned queries read it; a path reaches the lower level."""
    p = _two_regions(tmp_path, ("海口市财政局", "2024-02-10", "http://hk.gov.cn/1.html", "海南省/海口市"),
                     ("海南州财政局", "2024-02-10", "http://qh.gov.cn/1.html", "青海省/海南藏族自治州"))
    agencies = partial(_agencies, p)

    for name in ("scorecard", "late"):
        assert agencies(name, "海南") == agencies(name, "海南省") == ["海口市财政局"], name
        assert agencies(name, "青海/海南") == agencies(name, "海南藏族") == ["海南州财政局"], name
        assert sorted({r["agency"] for r in _canned(p, name, region="海南")}) == ["海口市财政局"], name
    assert {r["province"] for r in _analysis(p, "compliance", region="海南")} == {"海南省"}
    assert {r["province"] for r in _canned(p, "compliance", region="海南")} == {"海南省"}
    out = CliRunner().invoke(cli_app(), ["analyze", "late", "--region", "海南", "--db", str(p), "-f", "json"])
    assert out.exit_code == 0, out.output
    assert {r["province"] for r in json.loads(out.stdout)} == {"海南省"}


def test_canned_queries_read_the_region_as_the_cli_does(path):
    """Datasette's canned queries run the SQL on the form's text as typed: '江苏 ' (a trailing space, which the CLI
    trims) selected nothing, and a path holding a tab ('江苏省/宿迁市\t') stopped with "malformed JSON" (the path
    was split by json_each over a JSON array made by pasting the text between quotes). The SQL now drops the
    whitespace the CLI drops and quotes the path with json_quote, so the canned query lists what the CLI does."""
    for name in ("scorecard", "late", "compliance"):
        want = _analysis(path, name, region="江苏省/宿迁市")
        assert want and _canned(path, name, region="江苏") == _analysis(path, name, region="江苏"), name
        for typed in ("江苏 ", "\t江苏\u3000"):
            assert _canned(path, name, region=typed) == _canned(path, name, region="江苏"), (name, typed)
        for typed in ("江苏省/宿迁市\t", "江苏省 / 宿迁市", " 江苏省/ 宿迁市/"):
            assert _canned(path, name, region=typed) == want, (name, typed)
        assert _canned(path, name, region='江苏"\\\x01/宿迁') == [], name  # no such place: no rows, no error
        assert _canned(path, name, region="  ") == _canned(path, name), name  # blank: every region


def test_cli_late_by_province_in_one_command(path):
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["analyze", "late", "--year", "2023", "--db", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert [(r["province"], r["agency"], r["status"]) for r in json.loads(out.stdout)] == [
        ("广东省", SHAOGUAN, "late"), ("江苏省", GOV, "missing"), ("江苏省", DEPT, "missing")]
    out = runner.invoke(cli_app(), ["analyze", "late", "--region", "江苏省/宿迁市", "--db", str(path),
                                    "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.stdout.count("\n") == 1 + 3 + (DUE_GOV - 2021) + (DUE_DEPT - 2021)  # header, 3 late or a gap, missing
    out = runner.invoke(cli_app(), ["analyze", "late", "--region", "火星", "--db", str(path)])
    assert out.exit_code == 1 and "no agency in region '火星'; provinces in the database: 江苏省" in out.output
    out = runner.invoke(cli_app(), ["analyze", "scorecard", "--year", "2030", "--db", str(path)])
    assert out.exit_code == 1 and "no reports for 2030" in out.output
    out = runner.invoke(cli_app(), ["analyze", "applications", "--region", "江苏", "--db", str(path)])
    assert out.exit_code == 2 and "does not take --region" in out.output


def test_a_region_with_nobody_expected_that_year_says_so(path):
    """`late --region 广东 --year 2019` printed an empty table, exit 0, which reads "nobody in 广东 was late for
    2019", where nobody there was expected to report for it: 韶关市教育局's first report is for 2023 (scorecard and
    compliance the same). It now says so, naming the years that region is expected for; a region whose agencies
    were expected and all on time still lists nobody late, exit 0."""
    runner = CliRunner()
    for name in ("late", "scorecard", "compliance"):
        out = runner.invoke(cli_app(), ["analyze", name, "--region", "广东", "--year", "2019", "--db", str(path),
                                        "-f", "csv"])
        assert out.exit_code == 1 and out.stdout == "", (name, out.output)
        assert f"no agency in 广东 is expected to report for 2019 (years expected there: 2023–{DUE_DEPT})" in \
            out.stderr, (name, out.stderr)
    out = runner.invoke(cli_app(), ["analyze", "late", "--region", "江苏", "--year", "2018", "--db", str(path),
                                    "-f", "csv"])
    assert out.exit_code == 0 and out.stdout.count("\n") == 1, out.output  # both on time: nobody late


def test_report_one_agency_on_one_screen(path):
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["report", "宿迁市 人民政府", "--db", str(path)])
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert "宿迁市人民政府" in text and "江苏省/宿迁市" in text and "due 31 March" in text
    assert f"2018–{DUE_GOV}: 3 of {DUE_GOV - 2017} reports found, {DUE_GOV - 2020} missing, 1 late" in text
    assert "missing" in text and "2 days" in text and "2020-03-15 (meta)" in text
    out = runner.invoke(cli_app(), ["report", GOV, "--db", str(path), "--format", "json"])
    years = {r["year"]: r for r in json.loads(out.stdout)}
    assert (years[2019]["received"], years[2019]["granted"], years[2019]["refused"]) == (7, 4, 3)
    assert years[2020]["found"] == 0 and years[2021]["days_late"] == 2
    out = runner.invoke(cli_app(), ["report", "宿迁", "--db", str(path)])
    assert out.exit_code == 1 and "did you mean 宿迁市人民政府" in out.output


def test_datasette_has_the_canned_queries():
    from govreports.serve.metadata import build_metadata

    queries = build_metadata()["databases"]["govreports"]["queries"]
    for name in ("scorecard", "late", "compliance"):
        assert queries[name]["sql"] == ANALYSES[name].sql
        assert ":region" in queries[name]["sql"] and ":year" in queries[name]["sql"]


def test_an_older_database_gets_regions_kinds_and_the_views(tmp_path):
    p = tmp_path / "old.db"
    old = Database(p)
    migrations.apply(old, stop_before="m006_published_source_regions_scorecard")
    old["agencies"].insert({"name": "韶关市财政局", "norm_name": "韶关市财政局", "region": "广东省"})
    old["agencies"].insert({"name": "某某办", "norm_name": "某某办", "region": None})
    old.close()
    with connect(p) as db:
        rows = {r["name"]: (r["region"], r["province"], r["city"], r["kind"]) for r in db["agencies"].rows}
        assert rows == {"韶关市财政局": ("广东省/韶关市", "广东省", "韶关市", "department"),
                        "某某办": (None, None, None, "department")}
        assert {"scorecard", "late"} <= set(db.view_names())
        assert "published_source" in db["reports"].columns_dict


def test_a_year_still_being_published_is_not_held_against_anyone(path):
    """A report for this year (its deadlines are next year): nobody is missing this year yet, while every agency
    is expected up to the last year whose deadline has passed."""
    import datetime

    this_year = datetime.date.today().year
    with connect(path) as db:
        load_record(db, _report(NATION, this_year, "2021", None))
    card = _card(path)
    assert max(y for a, y in card if a == DEPT) == DUE_DEPT >= this_year - 2
    assert (DEPT, this_year) not in card and card[(NATION, this_year)]["found"] == 1


def test_report_says_ok_only_for_rules_that_were_checked(path):
    """A report whose checks could not be evaluated (blank inputs) has no verdict on R1–R4: `report` showed 'ok'
    for it, where the scorecard says rules_ok null and the dashboard shows nothing."""
    card = _card(path)
    assert card[(NATION, 2023)]["rules_ok"] is None and card[(NATION, 2023)]["blank_share"] is not None
    assert card[(GOV, 2019)]["rules_ok"] == 1
    out = CliRunner().invoke(cli_app(), ["report", NATION, "--db", str(path)])
    assert out.exit_code == 0, out.output
    row = next(line for line in out.stdout.splitlines() if line.startswith("│ 2023"))
    assert " ok " not in row
    out = CliRunner().invoke(cli_app(), ["report", GOV, "--db", str(path)])
    row = next(line for line in out.stdout.splitlines() if line.startswith("│ 2019"))
    assert " ok " in row
    rows = json.loads(CliRunner().invoke(cli_app(), ["report", NATION, "--db", str(path), "-f", "json"]).stdout)
    assert rows[0]["rules_ok"] is None


def test_report_names_no_source_for_a_date_without_one(tmp_path):
    """A date loaded without its source (a record from before sources were kept) printed as '2024-01-10 (None)'."""
    p = tmp_path / "nosource.db"
    with connect(p) as db:
        load_record(db, _report(NATION, 2023, "2021", "2024-01-10", source=None))
    out = CliRunner().invoke(cli_app(), ["report", NATION, "--db", str(p)])
    assert out.exit_code == 0, out.output
    assert "2024-01-10" in out.stdout and "None" not in out.stdout


def test_a_blank_share_short_of_all_or_none_never_prints_as_100_or_0_percent(tmp_path):
    """One filled cell of 200 (blank share 0.995) printed '100%' in `report` and on the agency dashboard, which
    reads as a report with nothing filled in; only a share of exactly 1 (or 0) may print 100% (0%)."""
    from govreports.charts.tables import AGENCY_SCORECARD_SQL

    fmt = "2021"
    cells = [(t, r, c) for t, rows in schema.empty_tables(fmt).items() for r, cols in rows.items() for c in cols
             if c != "amount_unit"]
    p = tmp_path / "blank.db"
    with connect(p) as db:
        load_record(db, _report(NATION, 2023, fmt, "2024-01-10", cells={"applications.new.total": 3}))
        load_record(db, _report(NATION, 2022, fmt, "2023-01-10"))  # nothing filled in
        load_record(db, _report(NATION, 2021, fmt, "2022-01-10", cells={".".join(k): 1 for k in cells[1:]}))
    card = _card(p)
    assert card[(NATION, 2023)]["blank_share"] == round(1 - 1 / len(cells), 3) > 0.99  # one cell filled
    assert card[(NATION, 2022)]["blank_share"] == 1 and 0 < card[(NATION, 2021)]["blank_share"] < 0.01
    out = CliRunner().invoke(cli_app(), ["report", NATION, "--db", str(p)])
    assert out.exit_code == 0, out.output
    shown = {line.split("│")[1].strip(): line.split("│")[8].strip() for line in out.stdout.splitlines()
             if line.startswith("│ 20")}
    with connect(p) as db:
        dashboard = {row[0]: row[9] for row in db.execute(AGENCY_SCORECARD_SQL, {"agency": NATION, "year": "",
                                                                                 "province": ""})}
    for year, blank in shown.items():
        if not card[(NATION, int(year))]["found"]:
            continue  # a year due since 2023 with no report: nothing to be blank
        share = card[(NATION, int(year))]["blank_share"]
        assert dashboard[int(year)] == blank
        assert (blank == "100%") == (share == 1) and (blank == "0%") == (share == 0), (year, share, blank)


def test_report_of_an_agency_left_without_reports_says_so(tmp_path):
    """A report corrected on its page to another agency's name moves to that agency (a new version); the old name
    stays in `agencies` with no report. `govreports report OLD` printed an empty table with "no report with a year
    in the database", exit 0 (JSON: `[]`), where analyze, search, export and chart say "OLD has no reports in the
    database", exit 1."""
    p = tmp_path / "moved.db"
    with connect(p) as db:
        for agency in ("温州市审计局", "温州市统计局"):  # the same page, its agency corrected
            load_record(db, {**record(agency, 2022, "2021", {"applications.new.total": 1}),
                             "published": "2023-01-10"}, source_key="http://example.gov.cn/nb/1.html")
    runner = CliRunner()
    for fmt in ("table", "json"):
        out = runner.invoke(cli_app(), ["report", "温州市审计局", "--db", str(p), "-f", fmt])
        assert out.exit_code == 1, out.output
        assert "温州市审计局 has no reports in the database" in out.output and out.stdout == ""
    out = runner.invoke(cli_app(), ["report", "温州市统计局", "--db", str(p), "-f", "json"])
    assert out.exit_code == 0 and [r["year"] for r in json.loads(out.stdout)][0] == 2022


def test_report_of_an_agency_whose_reports_name_no_year_says_so(tmp_path):
    """A report whose year could not be read (a copy that dropped the title's digits, FORMAT.md §9) is stored with
    none. `report` of an agency with only such reports printed an empty table under "no report with a year in the
    database" (the database had many), exit 0 (JSON: `[]`): it says the agency's reports name no year, exit 1."""
    p = tmp_path / "yearless.db"
    with connect(p) as db:
        load_record(db, {**record(DEPT, 2022, "2021", {"applications.new.total": 1}), "year": None,
                         "title": f"{DEPT}政府信息公开工作年度报告"})
        load_record(db, _report(GOV, 2022, "2021", "2023-03-10"))
    runner = CliRunner()
    for fmt in ("table", "json"):
        out = runner.invoke(cli_app(), ["report", DEPT, "--db", str(p), "-f", fmt])
        assert out.exit_code == 1, out.output
        assert f"{DEPT} has no report with a year: its 1 report names none" in out.output and out.stdout == ""
    assert runner.invoke(cli_app(), ["report", GOV, "--db", str(p)]).exit_code == 0


def test_report_prints_the_agency_s_name_as_written(tmp_path):
    """`report` printed the agency's name and region into rich markup: a name holding '[/…]' (as a portal may
    write one) ended the command with MarkupError's traceback, and '[b]' vanished from it."""
    p = tmp_path / "named.db"
    name = "某市[b]统计局[/x]"
    with connect(p) as db:
        load_record(db, {**record(name, 2022, "2021", {"applications.new.total": 1}), "published": "2023-01-10"})
    out = CliRunner().invoke(cli_app(), ["report", name, "--db", str(p)])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0].startswith(name)
