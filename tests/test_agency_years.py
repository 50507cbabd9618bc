"""m011 agency_years: the views scorecard and late, and the compliance analysis, give exactly the rows of m008's
view (SCORECARD_SQL_M008, computed from every report on each read) on databases with the edge cases, and the loader
keeps the table as a rebuild from the reports would write it after every load that changes a fact."""

from __future__ import annotations

import datetime

import pytest

from govreports.query import run_analysis
from govreports.store import connect, load_record
from govreports.store.migrations import SCORECARD_SQL_M008 as _M008
from govreports.store.statuses import LoadStatus
from govreports.store.migrations.agency_years import rebuild_agency_years, refresh_agency_years
from govreports.store.migrations.late_missing import RECOUNT as COUNTS_RECOUNT
from storehelp import due_by_deadline, record

THIS_YEAR = datetime.date.today().year
GOV, DEPT, OTHER, QUIET = "宿迁市人民政府", "沭阳县财政局", "韶关市教育局", "南京市审计局"
# m008's view, with m025's years: due by their deadline, not up to the newest report year (storehelp)
SCORECARD_SQL_M008 = due_by_deadline(_M008)

_OLD_COMPLIANCE = f"""SELECT s.province, s.year, count(*) AS expected, sum(s.found) AS found, sum(s.found = 0) AS missing,
  count(*) FILTER (WHERE s.on_time = 1) AS on_time, count(*) FILTER (WHERE s.on_time = 0) AS late,
  sum(s.found = 1 AND s.on_time IS NULL) AS no_date,
  round(100.0 * count(*) FILTER (WHERE s.on_time = 1) / count(*), 1) AS on_time_pct
FROM ({SCORECARD_SQL_M008}) s GROUP BY s.province, s.year ORDER BY s.year, s.province IS NULL, s.province"""


def _report(agency, year, published, fmt="2021", **extra):
    r = record(agency, year or 2020, fmt, {}) if fmt != "pre2019" else {
        "title": f"{agency}{year}年报", "agency": agency, "year": year, "format": fmt, "sections": {}, "checks": []}
    return {**r, "year": year, "published": published, "published_source": "meta" if published else None, **extra}


def _load(db, report, url=None, region=None):
    document = {"url": url} if url else {}
    if region:
        document["region"] = region
    return load_record(db, report, document or None)


def _assert_same(db):
    """The new views and compliance answer as m008's view does today, and the table is what a rebuild writes."""
    conn = db.conn
    old = conn.execute(f"SELECT * FROM ({SCORECARD_SQL_M008}) ORDER BY agency_id, year")
    old_columns, old_rows = [d[0] for d in old.description], old.fetchall()
    new = conn.execute("SELECT * FROM scorecard ORDER BY agency_id, year")
    assert [d[0] for d in new.description] == old_columns
    assert new.fetchall() == old_rows
    old_late = conn.execute(f"SELECT * FROM ({SCORECARD_SQL_M008}) WHERE on_time = 0 OR found = 0"
                            " ORDER BY agency_id, year").fetchall()
    assert conn.execute("SELECT * FROM late ORDER BY agency_id, year").fetchall() == old_late
    kept = conn.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall()
    counts = "SELECT province, year, kind, tail, status, n FROM agency_year_counts ORDER BY 1, 2, 3, 4, 5"
    assert conn.execute(counts).fetchall() == conn.execute(f"{COUNTS_RECOUNT} ORDER BY 1, 2, 3, 4, 5").fetchall()
    conn.execute("SAVEPOINT rebuild")
    try:
        rebuild_agency_years(conn)
        assert conn.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall() == kept
        assert conn.execute(f"{COUNTS_RECOUNT} ORDER BY 1, 2, 3, 4, 5").fetchall() == conn.execute(counts).fetchall()
    finally:
        conn.execute("ROLLBACK TO rebuild")
        conn.execute("RELEASE rebuild")
    return old_rows


def _assert_compliance_same(path):
    with connect(path) as db:
        want = [tuple(r) for r in db.conn.execute(_OLD_COMPLIANCE).fetchall()]
    got = [tuple(r.values()) for r in run_analysis(path, "compliance").dicts()]
    assert got == want and want


@pytest.mark.parametrize("top", [THIS_YEAR, THIS_YEAR - 1, THIS_YEAR - 2])
def test_same_rows_as_m008_through_every_kind_of_change(tmp_path, top):
    """`top`, the newest report year: this year (horizon the year before, whatever today is), last year (either,
    by today's date against 31 March), two years ago (its deadlines passed: the horizon is that year)."""
    path = tmp_path / "g.db"
    with connect(path) as db:
        _load(db, _report(GOV, top - 5, "2016-03-01", fmt="pre2019"))
        _load(db, _report(GOV, top - 3, None))  # a gap before it; no date
        _load(db, _report(GOV, top - 3, f"{top - 2}-05-01"), url="http://a.example/1")  # several in one year:
        _load(db, _report(GOV, top - 3, f"{top - 2}-02-01"), url="http://b.example/2")  # the earliest dated counts
        _load(db, _report(GOV, top - 3, f"{top - 2}-02-01", title="re-post"), url="http://c.example/3")  # a tie
        _load(db, _report(DEPT, top - 4, f"{top - 3}-01-10"))
        _load(db, _report(DEPT, top - 4, f"{top - 3}-01-10"), url="http://mirror.example/d")  # a re-post
        _load(db, _report(DEPT, None, "2020-01-01"))  # no year: not on the scorecard
        _load(db, _report("", top - 4, "2020-01-01"))  # no readable agency: left out
        _load(db, _report("", top, "2020-01-01"))  # ... yet its year is the newest
        _load(db, _report(QUIET, top - 1, f"{top}-03-30"))
        rows = _assert_same(db)
        assert {r[6] for r in rows if r[1] == DEPT} >= {top - 4, top - 2}  # missing years after its latest
    _assert_compliance_same(path)
    with connect(path) as db:
        # a new version moves its published date later: the other report of that year counts now
        _load(db, _report(GOV, top - 3, f"{top - 1}-06-01"), url="http://b.example/2")
        _assert_same(db)
        # a new version changes the format; another one removes the date
        _load(db, _report(DEPT, top - 4, f"{top - 3}-01-10", fmt="2019"))
        _load(db, _report(GOV, top - 3, None), url="http://a.example/1")
        _assert_same(db)
        # a portal's configured region moves an agency; a new agency in a year of its own
        _load(db, _report(OTHER, top - 2, f"{top - 1}-01-05"), region="广东省/韶关市")
        _load(db, _report(DEPT, top - 2, f"{top - 1}-01-05"), region="江苏省/宿迁市")
        _assert_same(db)
    _assert_compliance_same(path)


def test_the_newest_year_moves_every_agency_and_direct_writes_are_refreshed(tmp_path):
    path = tmp_path / "g.db"
    top = THIS_YEAR - 3
    with connect(path) as db:
        for agency, year in ((GOV, top - 2), (DEPT, top - 1), (QUIET, top)):
            _load(db, _report(agency, year, f"{year + 1}-01-15"))
        _assert_same(db)
        newest = _load(db, _report(OTHER, top + 2, f"{top + 3}-01-15"))  # two more years for everyone
        rows = _assert_same(db)
        assert {r[6] for r in rows if r[1] == GOV} == set(range(top - 2, top + 3))
        conn = db.conn
        # a report whose current version goes away, and one whose year and agency change (writers other than the
        # loader call refresh_agency_years for the agencies they touch)
        gov_id, dept_id = (conn.execute("SELECT id FROM agencies WHERE name = ?", [n]).fetchone()[0] for n in (GOV, DEPT))
        conn.execute("UPDATE reports SET current_version_id = NULL WHERE id = ?", [newest.report_id])
        refresh_agency_years(conn, [conn.execute("SELECT agency_id FROM reports WHERE id = ?",
                                                 [newest.report_id]).fetchone()[0]])
        rows = _assert_same(db)
        assert OTHER not in {r[1] for r in rows}  # its only report gone
        conn.execute("UPDATE reports SET agency_id = ?, year = ? WHERE agency_id = ?", [gov_id, top - 4, dept_id])
        refresh_agency_years(conn, [gov_id, dept_id])
        rows = _assert_same(db)
        assert DEPT not in {r[1] for r in rows} and min(r[6] for r in rows if r[1] == GOV) == top - 4
        conn.execute("UPDATE agencies SET kind = 'department', name = '改名' WHERE id = ?", [gov_id])
        refresh_agency_years(conn, [gov_id])
        _assert_same(db)


def test_the_loader_keeps_the_table_in_step(tmp_path):
    """Fails when a load leaves agency_years behind: a report's new version that changes which report counts."""
    path = tmp_path / "g.db"
    with connect(path) as db:
        _load(db, _report(DEPT, 2020, "2021-03-01"), url="http://a.example/1")
        _load(db, _report(DEPT, 2020, "2021-02-01"), url="http://b.example/2")
        first = db.conn.execute("SELECT report_id, on_time FROM agency_years WHERE year = 2020").fetchone()
        _load(db, _report(DEPT, 2020, "2021-01-05"), url="http://a.example/1")
        again = db.conn.execute("SELECT report_id, on_time FROM agency_years WHERE year = 2020").fetchone()
        assert first[1] == 0 and again[1] == 1 and first[0] != again[0]
        _load(db, _report(DEPT, 2022, "2023-01-05"))
        assert [r[0] for r in db.conn.execute("SELECT found FROM scorecard WHERE year <= 2022 ORDER BY year")] == [
            1, 0, 1]
        _assert_same(db)
        # the same report again from a portal configured for another region: nothing new, the agency moves
        assert _load(db, _report(DEPT, 2022, "2023-01-05"), region="广东省").status == LoadStatus.UNCHANGED
        assert {r[0] for r in db.conn.execute("SELECT province FROM scorecard")} == {"广东省"}
        _assert_same(db)


def test_the_listings_read_their_region_and_due_years_from_the_order_index(tmp_path):
    """scorecard and late filtered by region read agency_years in the listings' order until they have a page; each
    row's `kind` (which decides a later year's deadline: the views' condition) was looked up in the table, 150-215
    ms for the first 1,000 rows of `scorecard --region 江苏` at 300,000 reports (bench/scale.py). m026 puts kind in
    the index: the rows are read from it alone, and the listings give the same rows."""
    from govreports.query.analyses import ANALYSES

    with connect(tmp_path / "t.db") as db:
        load_record(db, _report(GOV, 2019, "2020-03-01"))
        load_record(db, _report(DEPT, 2019, "2020-02-15"))
        for name in ("scorecard", "late"):
            plan = " | ".join(row[-1] for row in db.execute(
                "EXPLAIN QUERY PLAN " + ANALYSES[name].sql, {"year": "", "region": "江苏"}))
            assert "SCAN y USING COVERING INDEX agency_years_order" in plan, (name, plan)
        rows = run_analysis(tmp_path / "t.db", "scorecard", region="江苏").rows
        assert {(r[3], r[5]) for r in rows} >= {(GOV, 2019), (DEPT, 2019)}


def _compliance_m011() -> str:
    """compliance as it was before it read the kept counts (m028): every agency-year counted on each read."""
    from govreports.query.scorecard import _WANT, _WHERE
    from govreports.store.migrations.due_years import visible

    return f"""WITH {_WANT}
SELECT s.province, s.year, count(*) AS expected, sum(s.report_id IS NOT NULL) AS found,
  sum(s.report_id IS NULL) AS missing, count(*) FILTER (WHERE s.on_time = 1) AS on_time,
  count(*) FILTER (WHERE s.on_time = 0) AS late, sum(s.report_id IS NOT NULL AND s.on_time IS NULL) AS no_date,
  round(100.0 * count(*) FILTER (WHERE s.on_time = 1) / count(*), 1) AS on_time_pct
FROM agency_years s
WHERE {visible('s')} AND {_WHERE}
GROUP BY s.province, s.year
ORDER BY s.year, s.province IS NULL, s.province"""


def test_compliance_of_any_filter_counts_what_every_agency_year_counted(tmp_path):
    """compliance reads the kept counts (agency_year_counts, m028) for every agency, a year or a province, and
    agency_years for a city, county or path: the rows it gave counting every agency-year, with and without
    ANALYZE's statistics."""
    import shutil
    import sqlite3

    from govreports.query.analyses import ANALYSES

    path = tmp_path / "c.db"
    top = THIS_YEAR - 1
    with connect(path) as db:
        _load(db, _report(GOV, top - 5, "2016-03-01", fmt="pre2019"))
        _load(db, _report(GOV, top - 3, None))
        _load(db, _report(GOV, top - 2, f"{top - 1}-03-20"))
        _load(db, _report(DEPT, top - 4, f"{top - 3}-01-10"))
        _load(db, _report(DEPT, top - 2, f"{top - 1}-02-10"))
        _load(db, _report(QUIET, top - 1, f"{top}-01-30"))
        _load(db, _report(OTHER, top - 3, f"{top - 2}-01-05"), region="广东省/韶关市")
        _load(db, _report("某某办公室", top - 2, None))  # no region
        _load(db, _report("国家某某局", top - 1, f"{top}-01-05"), region="全国")
    analyzed = tmp_path / "analyzed.db"
    shutil.copy(path, analyzed)
    with sqlite3.connect(analyzed) as conn:
        conn.execute("ANALYZE")
    old, new = _compliance_m011(), ANALYSES["compliance"].sql
    for file in (path, analyzed):
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        for given in ({}, {"year": str(top - 3)}, {"year": str(top)}, {"year": str(THIS_YEAR)}, {"region": "江苏"},
                      {"region": "江苏省", "year": str(top - 2)}, {"region": " 广东 "}, {"region": "江"},
                      {"region": "宿迁"}, {"region": "沭阳县"}, {"region": "江苏/宿迁"}, {"region": "全国"},
                      {"region": "北京"}, {"region": "江苏/", "year": str(top - 1)}):
            params = {"year": "", "region": "", **given}
            want = conn.execute(old, params).fetchall()
            assert conn.execute(new, params).fetchall() == want, (file.name, given)
            assert want or given.get("region") == "北京" or given.get("year") == str(THIS_YEAR), given
        conn.close()
