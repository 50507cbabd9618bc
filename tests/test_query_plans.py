"""The plans of the analyses and charts filtered by one agency, on a database ANALYZE has never counted (as every
database the crawls built was until their writers ran `PRAGMA optimize` as they close, store.db.optimize, and as one
is until a writer closes it so), and on one it has."""

from __future__ import annotations

import re
import sqlite3

import pytest

from govreports.charts import CHARTS
from govreports.query.analyses import ANALYSES
from storehelp import A, known_db_path, vm_steps


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    path = known_db_path(tmp_path_factory.mktemp("plans"))
    _without_statistics(path)  # (its loader's `PRAGMA optimize` counted 5 reports: a scan is the plan for them)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # (temp views: in memory)
    assert not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").fetchone()
    yield conn
    conn.close()


def _without_statistics(path) -> None:
    """Drop the statistics the writer's `PRAGMA optimize` (store.db.optimize) left in the database at `path`."""
    writer = sqlite3.connect(path)
    writer.execute("DROP TABLE IF EXISTS sqlite_stat1")
    writer.close()


def _scans(conn, sql: str, **given) -> list[str]:
    params = {name: given.get(name, "") for name in set(re.findall(r":(\w+)", sql))}
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    return [p for p in plan if re.match(r"SCAN (r|y|reports|agency_years)\b", p)]


@pytest.mark.parametrize("name", [n for n, c in CHARTS.items() if "cur AS (" in c.sql])
def test_a_chart_of_one_agency_reads_its_reports_from_the_agency(known, name):
    """Without statistics SQLite read every report (the reports' year index) to find one agency's: the agency
    dashboard's six charts each took ~750 k SQLite steps at 25,000 reports (18-43 k with the agency first), about
    1 s for the page, 10 times that at 300,000."""
    assert _scans(known, CHARTS[name].sql, agency=A) == []


@pytest.mark.parametrize("name", ["applications", "refusals", "rule_failures", "outcomes", "year_over_year"])
def test_an_analysis_of_one_agency_reads_its_reports_from_the_agency(known, name):
    """`analyze refusals --agency X` read every report's row totals (1.5 s at 25,000 reports, past the 10 s
    default timeout at 300,000); applications, rule_failures and outcomes every report, year_over_year every
    agency-year."""
    norm = known.execute("SELECT norm_name FROM agencies WHERE name = ?", [A]).fetchone()[0]
    assert _scans(known, ANALYSES[name].sql, agency=norm) == []
    sql = ANALYSES[name].sql
    totals = _read(known, sql, {n: norm if n == "agency" else "" for n in set(re.findall(r":(\w+)", sql))})
    theirs = known.execute("SELECT count(*) FROM row_totals t JOIN reports r ON r.current_version_id = t.version_id"
                           " JOIN agencies a ON a.id = r.agency_id WHERE a.name = ?", [A]).fetchone()[0]
    assert totals <= theirs, (totals, theirs)


def _read(conn, sql: str, params: dict, table: str = "row_totals", column: str = "version_id") -> int:
    """How many rows of `table` SQLite read for `sql` (a temp view in front of it counts those that pass)."""
    return len(_seen(conn, sql, params, table, column))


def _seen(conn, sql: str, params: dict, table: str, column: str) -> list:
    """The `column` of each row of `table` SQLite read for `sql` (a temp view in front of it sees those that pass)."""
    read = []

    def seen(value):
        read.append(value)
        return 1

    conn.create_function("seen", 1, seen)
    conn.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} WHERE seen({column})")
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.execute(f"DROP VIEW temp.{table}")
    return read


@pytest.mark.parametrize("given", [{}, {"year": "2021"}, {"region": "江苏"}, {"region": "江苏 ", "year": "2021"}])
def test_compliance_of_every_agency_or_a_province_reads_the_kept_counts(known, given):
    """`analyze compliance` counted every agency-year on each read (1.36 M SQLite steps at 25,000 reports, 31,000
    agency-years; --year 368 k, --region 江苏 732 k), where the counts m028 keeps by province, year, kind, tail and
    status (agency_year_counts) answer it. A city, county or path is not in them: those still count agency_years."""
    sql = ANALYSES["compliance"].sql
    params = {"year": "", "region": "", **given}
    assert known.execute("SELECT count(*) FROM agency_years").fetchone()[0] > 0
    assert _read(known, sql, params, "agency_years", "agency_id") == 0


def test_missing_asks_each_agency_for_its_report_of_the_year(known):
    """`analyze missing --year Y` asked, for each report of Y − 1, whether its agency has one of Y by reading every
    report of Y off the reports' year index: quadratic in a year's reports (16 M SQLite steps, 1.2 s at 2,500
    reports a year; 30,000 a year at national scale, a hundred and fifty times that). It looks the agency-year up."""
    sql = ANALYSES["missing"].sql
    plan = [row[3] for row in known.execute("EXPLAIN QUERY PLAN " + sql, {"year": "2021"})]
    assert [p for p in plan if p.startswith("SEARCH r2 ")] == [
        "SEARCH r2 USING INDEX reports_agency_year (agency_id=? AND year=?)"], plan


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    """40 agencies' reports of 2020-2022 (every table filled) in two provinces, and a copy ANALYZE has counted."""
    yield from _with_and_without_statistics(tmp_path_factory.mktemp("provinces") / "p.db", [
        f"{('江苏省', '广东省')[i % 2]}测试第{i}局" for i in range(40)], checks=True)


def _with_and_without_statistics(path, agencies: list[str], **record):
    """Read-only connections to a database of `agencies`' reports of 2020-2022 at `path` and to a copy ANALYZE has
    counted, closed after the module's tests."""
    import shutil

    from govreports.demo.records import make_record
    from govreports.store import connect, load_record

    with connect(path) as db:
        for agency in agencies:
            for year in (2020, 2021, 2022):
                load_record(db, make_record(7, agency, year, **record))
    _without_statistics(path)
    analyzed = path.with_name("analyzed.db")
    shutil.copy(path, analyzed)
    with sqlite3.connect(analyzed) as conn:
        conn.execute("ANALYZE")
    conns = [sqlite3.connect(f"file:{p}?mode=ro", uri=True) for p in (path, analyzed)]
    yield conns
    for conn in conns:
        conn.close()


@pytest.mark.parametrize("name", [n for n, c in CHARTS.items() if "cur AS (" in c.sql])
def test_a_chart_of_a_province_reads_its_reports_rows_once(provinces, name):
    """A province's answers, refusals and review_litigation joined every row total (or cell) of its reports to
    each of their categories in turn (the rows, materialized, scanned once per category row): 2.1, 1.7 and 2.5 M
    SQLite steps at 25,000 reports, ~80-110 steps a row total here. They add a report's rows up by row first."""
    plain, analyzed = provinces
    params = {"year": "", "agency": "", "province": "江苏省"}
    totals = plain.execute("SELECT count(*) FROM agencies a JOIN reports r ON r.agency_id = a.id JOIN row_totals t"
                           " ON t.version_id = r.current_version_id WHERE a.province = '江苏省'").fetchone()[0]
    assert totals > 500
    for conn in (plain, analyzed):
        assert vm_steps(conn, CHARTS[name].sql, params) < 40 * totals
    assert plain.execute(CHARTS[name].sql, params).fetchall() == analyzed.execute(CHARTS[name].sql, params).fetchall()


@pytest.mark.parametrize("name", [*CHARTS, "AGENCY_SCORECARD_SQL", "AGENCY_LIST_SQL"])
def test_one_agency_is_looked_up_by_its_name(provinces, name):
    """The charts' agency filter (`a.name = :agency OR a.norm_name = :agency`, each indexed, in an OR with `:agency
    = ''`) read every agency to find one: 15 k SQLite steps a chart at 2,577 agencies (25,000 reports), twelve
    times that at national scale; the agency page's scorecard, without ANALYZE's statistics, read every agency-year
    (640 k steps). The agency is looked up by its name and its normalised name first."""
    from govreports.charts import tables

    sql = getattr(tables, name) if name.isupper() else CHARTS[name].sql
    for conn in provinces:
        agency, norm, agency_id = conn.execute("SELECT name, norm_name, id FROM agencies WHERE province = '广东省'"
                                               " ORDER BY id LIMIT 1 OFFSET 5").fetchone()
        for given in (agency, norm):
            params = {"year": "", "agency": given, "province": ""}
            assert set(_seen(conn, sql, params, "agencies", "id")) == {agency_id}
            if "agency_years m INDEXED BY" not in sql:  # (a view in front of agency_years has no index to name)
                assert set(_seen(conn, sql, params, "agency_years", "agency_id")) <= {agency_id}


def test_the_reports_claiming_an_agency_year_are_counted_from_the_agency(provinces):
    """The agency page's scorecard (and `govreports report`) count the reports claiming each of its agency-years
    (claims_sql). Without ANALYZE's statistics SQLite counted them off the reports' year index (covering), every
    report of the year: 114 k SQLite steps for one agency at 25,000 reports, twelve times that at national scale."""
    from govreports.charts.tables import AGENCY_SCORECARD_SQL
    from govreports.query.agency_report import claims_sql

    plain, _ = provinces
    for sql in (AGENCY_SCORECARD_SQL, f"SELECT {claims_sql('y')} FROM agency_years y"):
        plan = [row[3] for row in plain.execute("EXPLAIN QUERY PLAN " + sql, {"agency": "x", "year": "",
                                                                             "province": ""})]
        assert "SEARCH o USING INDEX reports_agency_year (agency_id=? AND year=?)" in plan, plan


def test_names_containing_what_was_typed_are_sought_only_when_too_few_start_with_it(provinces):
    """The agency page's suggestions (canned query agency_names) looked for names containing what was typed beyond
    its start in every name, even when AGENCY_NAMES_SHOWN names started with it and filled the list (13 k SQLite
    steps a keystroke at 2,577 agencies, as many as for a name nobody has). Those are looked up in the names'
    index alone; every name is read only when fewer start with it."""
    from govreports.charts.dashboard import AGENCY_NAMES_SHOWN, AGENCY_NAMES_SQL

    path = provinces[0].execute("PRAGMA database_list").fetchone()[2]
    plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    calls = [0]

    def instr(text, part):  # counted: SQLite's own, as called
        calls[0] += 1
        return 0 if text is None or part is None else text.find(part) + 1

    plain.create_function("instr", 2, instr)
    try:
        names = [n for (n,) in plain.execute(AGENCY_NAMES_SQL, {"q": "江苏省"})]
        assert len(names) == AGENCY_NAMES_SHOWN and all(n.startswith("江苏省") for n in names)
        assert calls[0] == 0
        names = [n for (n,) in plain.execute(AGENCY_NAMES_SQL, {"q": "苏省测试第1"})]
        assert names == sorted(n for (n,) in plain.execute("SELECT name FROM agencies") if "苏省测试第1" in n)
        assert calls[0] >= 40
    finally:
        plain.close()


@pytest.mark.parametrize("given", [{}, {"year": "2021"}, {"province": "江苏省"}, {"agency": "江苏省测试第2局"}])
def test_rule_failures_reads_each_reports_stored_rules(provinces, given):
    """The chart rule_failures asked each report's checks whether one was evaluable and, rule by rule, whether one
    failed: 3.25 M SQLite steps for every agency at 25,000 reports (375 ms; 1.1 s with ANALYZE's statistics), past
    Datasette's time limit at national scale. Each report's version holds those facts (m008: rules_ok,
    rules_failed), as `analyze rule_failures` reads them."""
    plain, analyzed = provinces
    sql = CHARTS["rule_failures"].sql
    params = {"year": "", "agency": "", "province": "", **given}
    for conn in (plain, analyzed):
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert not [p for p in plan if re.search(r"\b(check_values|check_keys|checks)\b|USING .*check", p)], plan
    rows = plain.execute(sql, params).fetchall()
    assert rows == analyzed.execute(sql, params).fetchall() and rows


@pytest.mark.parametrize("name", ["REPORTS_SQL", "TABLED_SQL"])
def test_the_overviews_counts_of_a_province_read_its_agencies_reports(provinces, name):
    """The overview's counts of the reports chosen (and of those with tables) read every report to count a
    province's, without ANALYZE's statistics: 225 and 283 k SQLite steps at 25,000 reports (16 and 18 k with the
    agencies first)."""
    from govreports.charts import dashboard

    sql = getattr(dashboard, name)
    plain, analyzed = provinces
    for given in ({"province": "江苏省"}, {"province": "江苏省", "year": "2021"}):
        assert _scans(plain, sql, **given) == []
        params = {"year": "", **given}
        assert plain.execute(sql, params).fetchall() == analyzed.execute(sql, params).fetchall()


@pytest.mark.parametrize("name", ["applications", "answers", "cases_per_year", "refusals", "review_litigation",
                                  "rule_failures"])
def test_a_chart_of_every_agency_reads_no_report(provinces, name):
    """Unfiltered (or by year alone), the charts read the sums the loader keeps (current_sums), yet the years over
    which they are drawn (and those without a report) were read off every current report: ~570 k SQLite steps a
    chart at 25,000 reports. Those years are found by a step down the reports' year index. rule_failures read every
    current report's version (1.19 M steps): it reads the counts m030 keeps (rule_counts)."""
    plain, analyzed = provinces
    years = plain.execute("SELECT count(DISTINCT year) FROM reports").fetchone()[0]
    for conn in (plain, analyzed):
        for year in ("", "2021", "2030"):
            params = {"year": year, "agency": "", "province": ""}
            assert _read(conn, CHARTS[name].sql, params, "reports", "id") <= 2 * years + 2


def test_the_years_of_every_agencys_charts_are_those_of_current_reports(tmp_path):
    """A year whose only report is no longer current, a year without any, a report without a year: the charts'
    years and years without a report as when they were read off every current report (cur)."""
    from govreports.demo.records import make_record
    from govreports.store import connect, load_record

    path = tmp_path / "gaps.db"
    with connect(path) as db:
        for year in (2019, 2021, 2023):
            load_record(db, make_record(3, "江苏省测试局", year, checks=True))
        load_record(db, {**make_record(3, "广东省测试局", 2020, checks=True), "year": None})
        gone = load_record(db, make_record(3, "广东省测试局", 2024, checks=True)).report_id
        db.conn.execute("UPDATE reports SET current_version_id = NULL WHERE id = ?", [gone])
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for name in ("applications", "answers", "cases_per_year", "rule_failures"):
        sql = CHARTS[name].sql
        for year in ("", "2020", "2021", "2024"):
            params = {"agency": "", "province": "", "year": year}
            got = conn.execute(sql, params).fetchall()
            spans = {row[0] for row in got}
            want = {y for (y,) in conn.execute(
                "SELECT DISTINCT year FROM reports WHERE current_version_id IS NOT NULL AND year IS NOT NULL"
                " AND (:year = '' OR year = CAST(:year AS INTEGER))", {"year": year})}
            assert spans == (set(range(min(want), max(want) + 1)) if want else set()), (name, year, got)
            assert {row[0] for row in got if row[-1] == 1} == spans - want, (name, year)
    conn.close()


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    """30 agencies' reports of 2020-2022 in two cities and a county of 江苏省 (regions told by their names)."""
    yield from _with_and_without_statistics(tmp_path_factory.mktemp("cities") / "c.db", [
        f"{('宿迁市', '南京市', '沭阳县')[i % 3]}测试第{i}局" for i in range(30)])


@pytest.mark.parametrize("region", ["宿迁", "沭阳县", "江苏/宿迁", "南京市/测试"])
def test_compliance_of_a_city_county_or_path_reads_its_agencies_years(cities, region):
    """`analyze compliance` by a city, county or path counted every agency-year, testing each for the region: 1.9 M
    SQLite steps at 25,000 reports (31,000 agency-years), twelve times that at national scale. It reads the agencies
    of the region, then their agency-years."""
    sql = ANALYSES["compliance"].sql
    for conn in cities:  # with ANALYZE's statistics SQLite read every agency-year into a Bloom filter first
        theirs = conn.execute("SELECT count(*) FROM agency_years WHERE ? IN (city, county)",
                              [{"宿迁": "宿迁市", "江苏/宿迁": "宿迁市", "南京市/测试": "南京市"}.get(region, region)]
                              ).fetchone()[0]
        assert 0 < theirs < conn.execute("SELECT count(*) FROM agency_years").fetchone()[0]
        for year in ("", "2021"):
            params = {"year": year, "region": region}
            assert _read(conn, sql, params, "agency_years", "agency_id") <= theirs
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            assert not [p for p in plan if p.startswith("BLOOM FILTER")], plan  # (built of every agency-year)


@pytest.mark.parametrize("region", ["南京市/测试", "广东/深圳", "江苏/宿迁", "宿迁市/沭阳"])
def test_compliance_of_a_path_tests_each_place_once_not_each_agency(cities, region):
    """`analyze compliance --region` by a path tested the path's every level against each agency's region (~57
    SQLite steps an agency, whether in the region or not), then again against each of its agency-years. It tests
    each place the agencies are in (province, city, county) once, then reads the agencies of the places that match;
    an agency-year in its agency's place is in the region without a test. The same rows."""
    sql = ANALYSES["compliance"].sql
    where = {"江苏/宿迁": "city = '宿迁市'", "宿迁市/沭阳": "county = '沭阳县'"}.get(region, "0")
    for conn in cities:
        agencies = conn.execute("SELECT count(*) FROM agencies").fetchone()[0]
        theirs = conn.execute(f"SELECT count(*) FROM agency_years WHERE {where}").fetchone()[0]
        for year in ("", "2021"):
            steps = vm_steps(conn, sql, {"year": year, "region": region})
            # nobody there: 2,200 steps for 30 agencies in 3 places, 600; else 150 steps an agency-year there, 70
            assert steps <= (100 * theirs if theirs else 30 * agencies), steps


def test_the_agency_list_reads_the_kept_counts_or_the_years_reports(provinces):
    """The overview's agency list counted every current report of every agency (750 k SQLite steps to list 2,577
    agencies at 25,000 reports; a year 368 k, a year without reports 318 k to say so). Over every year it reads each
    agency's counts m030 keeps (agency_reports); for a year, each agency's reports of that year."""
    from govreports.charts.tables import AGENCY_LIST_SQL

    for conn in provinces:
        for year in ("", "2021", "2030"):
            for province in ("", "江苏省"):
                params = {"year": year, "agency": "", "province": province}
                plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + AGENCY_LIST_SQL, params)]
                reads = [p for p in plan if re.match(r"(SCAN|SEARCH) (r|reports)\b", p)]
                assert reads == ["SEARCH r USING INDEX reports_agency_year (agency_id=? AND year=?)"], plan


@pytest.mark.parametrize("region", ["宿迁", "沭阳县", "江苏/宿迁"])
def test_whether_a_city_county_or_path_expects_a_year_is_asked_of_its_agencies(cities, region):
    """`analyze late|scorecard|compliance --region R --year Y` first asks whether anybody in R is expected to report
    for Y (query.scorecard.check_expected): nobody, it tested every agency-year for the region (twice: the years
    expected there are named), ~1 M SQLite steps at 25,000 reports (a path 2.2 M). It reads the region's agencies'
    years."""
    from govreports.query.analyses import NoReports
    from govreports.query.scorecard import check_expected

    for conn in cities:
        theirs = conn.execute("SELECT count(*) FROM agency_years WHERE ? IN (city, county)",
                              [{"沭阳县": "沭阳县"}.get(region, "宿迁市")]).fetchone()[0]
        read = []
        conn.create_function("seen", 1, lambda value: read.append(value) or 1)
        conn.execute("CREATE TEMP VIEW agency_years AS SELECT * FROM main.agency_years WHERE seen(agency_id)")
        try:
            with pytest.raises(NoReports, match="years expected there: 2020"):
                check_expected(conn, 2030, region)
        finally:
            conn.execute("DROP VIEW temp.agency_years")
        assert 0 < len(read) <= 2 * theirs
