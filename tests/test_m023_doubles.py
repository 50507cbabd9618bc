"""m023: the reports a source held twice under the loader before m021 (a name mended, a body read again) are
merged into the one report today's loader makes of those readings; a source's other reports stay apart."""

from __future__ import annotations

import copy

from sqlite_utils import Database
from storehelp import current_sums, record, recounted_sums

from govreports.store import connect, load_record, search_sections, write_transaction
from govreports.store import load
from govreports.store.index_repair import damaged_search_indexes
from govreports.store.migrations import m023_doubled_reports_merged, migrations
from govreports.store.migrations.agency_years import rebuild_agency_years
from govreports.store.migrations.doubled_reports import _SHARED_SOURCES

TEXT = "本机关认真贯彻落实政府信息公开条例"
U1, U2, U3, U4, U5, U6 = (f"http://a.gov.cn/nb/{i}.html" for i in range(1, 7))
# (source, agency, year, document body): the readings, in the order they were loaded
READINGS = [
    (U1, "甲市教肓局", 2020, "a1"), (U1, "甲市教育局", 2020, "a2"),  # the page's agency name mended
    (U2, "上海市人民政府办公厅关于", 2019, "b1"), (U2, "上海市人民政府办公厅", 2019, "b2"),  # … and its body read
    (U2, "上海市人民政府办公厅", 2020, "b2"),  # again with the year read right: three reports, one of them
    (U3, "丙区人民政府", 2020, "c1"), (U3, "丙区卫生健康委员会", 2021, "c1"),  # one body, agency and year read right
    (U4, "丁县财政局", 2020, "d1"), (U4, "丁县财政局", 2021, "d2"),  # a fixed address serving next year's report
    (U5, "戊县教育局", 2020, "e1"), (U5, "己县水利局", 2020, "e2"),  # a reused path, another agency's report
    ("", "甲市教肓局", 2021, None), ("", "甲市教育局", 2021, None),  # no source: no report of a source
]


def _now(i: int) -> str:
    return f"2026-01-01T00:{i:02d}:00+00:00"


def _load(db, i: int, source: str, agency: str, year: int, body: str | None, n: int | None = None):
    """Reading `i`: its numbers from `n` (else `i`), U1's text TEXT, the others' their own."""
    n = i if n is None else n
    rec = record(agency, year, "2021", {"applications.new.total": n + 1, "review_litigation.review.upheld": n % 3},
                 sections={"1": TEXT if source == U1 else f"{agency}{year}年度政府信息公开工作"})
    doc = {"url": source, "sha256": body * 32} if body else None
    return load_record(db, rec, doc, source_key=source or None, now=_now(i))


def _legacy(path, monkeypatch) -> list:
    """READINGS loaded by the loader before m021 (no report re-keyed), on a database stopped before m023."""
    old = Database(path)
    migrations.apply(old, stop_before="m023_doubled_reports_merged")
    with monkeypatch.context() as patched:
        patched.setattr(load, "_rekeyed", lambda conn, p, agency_id, children: (None, p.year))
        loaded = [_load(old, i, *reading) for i, reading in enumerate(READINGS)]
    old.close()
    return loaded




def _rebuilt_agency_years(db) -> list[tuple]:
    conn = db.conn
    conn.execute("SAVEPOINT rebuild")
    try:
        rebuild_agency_years(conn)
        return conn.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall()
    finally:
        conn.execute("ROLLBACK TO rebuild")
        conn.execute("RELEASE rebuild")


def _shape(db) -> list[tuple]:
    """Every report as the analyses see it, ids aside: its source, agency, year, dates, current content and the
    contents of its versions; and the agency-years by name."""
    reports = db.execute(
        "SELECT r.source_key, a.name, r.year, r.first_seen, r.last_seen, r.published, v.sha256,"
        " (SELECT group_concat(sha256) FROM (SELECT sha256 FROM report_versions WHERE report_id = r.id"
        "  ORDER BY sha256)) FROM reports r JOIN agencies a ON a.id = r.agency_id"
        " JOIN report_versions v ON v.id = r.current_version_id ORDER BY 1, 2, 3").fetchall()
    years = db.execute("SELECT a.name, y.year, r.source_key, y.tail, y.on_time FROM agency_years y"
                       " JOIN agencies a ON a.id = y.agency_id LEFT JOIN reports r ON r.id = y.report_id"
                       " ORDER BY 1, 2").fetchall()
    return reports + years


# the agency-years of the names mended and the year read wrong (甲市教肓局's 2021 is a report of no source)
_GONE_AGENCY_YEARS = ("SELECT count(*) FROM agency_years y JOIN agencies a ON a.id = y.agency_id"
                      " WHERE a.name IN ('甲市教肓局', '上海市人民政府办公厅关于', '丙区人民政府') AND y.year <= 2020")


def _dump(db) -> dict:
    tables = ("reports", "report_versions", "sections", "row_totals", "cell_values", "check_values", "items",
              "current_sums", "agency_years", "agencies")
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def test_m023_merges_a_sources_doubled_reports_into_the_one_todays_loader_makes(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    loaded = _legacy(path, monkeypatch)
    ids = [r.report_id for r in loaded]
    versions = [r.version_id for r in loaded]
    with connect(path, migrate=False) as old:
        assert old.execute("SELECT count(*) FROM reports").fetchone()[0] == 13  # every reading a report
        assert current_sums(old) == recounted_sums(old)
        before = current_sums(old)
        assert sorted(hit["report_id"] for hit in search_sections(old, TEXT)) == [ids[0], ids[1]]
        gone = old.execute(_GONE_AGENCY_YEARS).fetchone()[0]
        assert gone > 0
        # the crawl's items of the two portals listing U1 and U2 point at reports merged away
        old.conn.executemany("INSERT INTO items (portal, url, report_id, status, first_seen, last_seen)"
                             " VALUES (?, ?, ?, 'loaded', 'x', 'x')",
                             [("p", U1, ids[0]), ("q", U1, ids[1]), ("p", U2, ids[2]), ("p", U4, ids[7])])
        old.conn.commit()
    with connect(path) as db:  # m023
        reports = dict(db.execute("SELECT id, current_version_id FROM reports").fetchall())
        assert sorted(reports) == sorted([ids[1], ids[4], ids[6], ids[7], ids[8], ids[9], ids[10], ids[11],
                                          ids[12]])
        assert reports[ids[1]] == versions[1] and reports[ids[4]] == versions[4] and reports[ids[6]] == versions[6]
        numbered = "SELECT id, version FROM report_versions WHERE report_id = ? ORDER BY version"
        assert db.execute(numbered, [ids[1]]).fetchall() == [(versions[1], 1), (versions[0], 2)]
        assert db.execute(numbered, [ids[4]]).fetchall() == [(versions[4], 1), (versions[2], 2), (versions[3], 3)]
        assert db.execute(numbered, [ids[6]]).fetchall() == [(versions[6], 1), (versions[5], 2)]
        assert db.execute("SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id"
                          " WHERE r.id IN (?, ?, ?) ORDER BY r.id", [ids[1], ids[4], ids[6]]).fetchall() == [
            ("甲市教育局", 2020), ("上海市人民政府办公厅", 2020), ("丙区卫生健康委员会", 2021)]
        for table in ("sections", "row_totals"):  # the child rows follow their versions
            assert db.execute(f"SELECT count(*) FROM {table} t JOIN report_versions v ON v.id = t.version_id"
                              " WHERE t.report_id != v.report_id").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM sections WHERE report_id = ?", [ids[1]]).fetchone()[0] == 2
        assert db.execute("SELECT portal, url, report_id FROM items ORDER BY 1, 2").fetchall() == [
            ("p", U1, ids[1]), ("p", U2, ids[4]), ("p", U4, ids[7]), ("q", U1, ids[1])]
        sums = current_sums(db)
        assert sums == recounted_sums(db) and sums != before
        assert db.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall() == _rebuilt_agency_years(db)
        assert db.execute(_GONE_AGENCY_YEARS).fetchone()[0] == 0
        assert [hit["report_id"] for hit in search_sections(db, TEXT)] == [ids[1]]
        assert damaged_search_indexes(db) == []
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        migrated = _dump(db)
        with write_transaction(db):
            m023_doubled_reports_merged(db)
        assert _dump(db) == migrated
        shape = _shape(db)
    with connect(tmp_path / "new.db") as fresh:  # today's loader, reading the same pages in the same order
        for i, reading in enumerate(READINGS):
            _load(fresh, i, *reading)
        assert _shape(fresh) == shape and current_sums(fresh) == sums


def test_m023_drops_a_version_whose_content_the_survivor_has(tmp_path, monkeypatch):
    """The loader before m023 re-keyed a source's report only while the source held one: once a fixed address had
    served next year's report, the page read under its old agency name again became a second report, with a
    version the first report already has. Merged, that content is one version."""
    steps = [("庚市教肓局", 2020, "f1"), ("庚市教育局", 2020, "f2"), ("庚市教育局", 2021, "f3"), ("庚市教肓局", 2020, "f1")]
    with connect(tmp_path / "t.db") as db:
        loaded = [_load(db, i, U6, *step, n=i % 3) for i, step in enumerate(steps[:3])]
        with monkeypatch.context() as patched:  # the 4th reads as the 1st, re-keyed as that loader would not
            patched.setattr(load, "_rekeyed", lambda conn, p, agency_id, children: (None, p.year))
            loaded.append(_load(db, 3, U6, *steps[3], n=0))
        first, renamed, following, again = loaded
        assert renamed.report_id == first.report_id and again.report_id not in (first.report_id, following.report_id)
        assert db.execute("SELECT count(*), count(DISTINCT sha256) FROM report_versions").fetchone() == (4, 3)
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 3
        assert len(search_sections(db, "2020年度政府信息公开")) == 2
        with write_transaction(db):
            m023_doubled_reports_merged(db)
        assert db.execute("SELECT id, current_version_id FROM reports ORDER BY id").fetchall() == [
            (following.report_id, following.version_id), (again.report_id, again.version_id)]
        assert db.execute("SELECT id, version FROM report_versions WHERE report_id = ? ORDER BY version",
                          [again.report_id]).fetchall() == [(again.version_id, 1), (renamed.version_id, 2)]
        assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == 3
        for table in ("cell_values", "sections", "row_totals"):  # the dropped version's rows
            rows = db.execute(f"SELECT count(*) FROM {table} WHERE version_id = ?", [first.version_id]).fetchone()
            assert rows == (0,), table
        assert current_sums(db) == recounted_sums(db)
        assert db.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall() == _rebuilt_agency_years(db)
        assert [hit["report_id"] for hit in search_sections(db, "2020年度政府信息公开")] == [again.report_id]
        assert damaged_search_indexes(db) == []


def test_m023_asks_the_source_index_which_sources_hold_several_reports(tmp_path):
    """Without doubles the step reads the source index, not every report (0.25 s at 300,000 reports)."""
    with connect(tmp_path / "t.db") as db:
        plan = " | ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + _SHARED_SOURCES))
    assert "SCAN reports USING COVERING INDEX reports_source_key" in plan
    assert "SEARCH r USING INDEX reports_source_key (source_key=?)" in plan
