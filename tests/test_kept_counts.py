"""m030's kept counts, kept by triggers whoever writes and filled for an existing database: rule_counts (the current
reports per year with an evaluable check, and per year and rule breaking it) and agency_reports (each agency's
current reports, their first and latest year)."""

from __future__ import annotations

import sqlite3

from govreports.charts import CHARTS
from govreports.demo.records import make_record
from govreports.store import connect, load_record
from govreports.store.migrations import agency_reports, rule_counts

_COUNTED = [m.RECOUNT[m.RECOUNT.index("SELECT"):] for m in (rule_counts, agency_reports)]


def _kept(db) -> list[list[tuple]]:
    return [sorted(row for row in db.execute("SELECT year, rule, reports FROM rule_counts") if row[-1]),
            sorted(db.execute("SELECT * FROM agency_reports").fetchall())]


def _counted(db) -> list[list[tuple]]:
    return [sorted(db.execute(sql).fetchall()) for sql in _COUNTED]


def _load(db, n: int = 12) -> list[int]:
    ids = []
    for i in range(n):
        for year in (2018, 2020, 2021):
            ids.append(load_record(db, make_record(i, f"江苏省测试第{i}局", year, checks=True)).report_id)
    return ids


def test_the_counts_follow_every_write(tmp_path):
    with connect(tmp_path / "k.db") as db:
        ids = _load(db)
        assert _kept(db) == _counted(db)
        assert any(rule != "" for _, rule, _ in _kept(db)[0])  # some reports break a rule
        # a report's next version (another seed: other figures), a withdrawal, a year corrected, facts recounted,
        # a report deleted, by the loader and by hand
        load_record(db, make_record(99, "江苏省测试第1局", 2021, checks=True))
        db.execute("UPDATE reports SET current_version_id = NULL WHERE id = ?", [ids[3]])
        db.execute("UPDATE reports SET year = 2022 WHERE id = ?", [ids[5]])
        db.execute("UPDATE report_versions SET rules_ok = 0, rules_failed = 'R2,R4'"
                   " WHERE id = (SELECT current_version_id FROM reports WHERE id = ?)", [ids[8]])
        db.execute("UPDATE report_versions SET rules_ok = NULL, rules_failed = NULL"
                   " WHERE id = (SELECT current_version_id FROM reports WHERE id = ?)", [ids[11]])
        db.execute("UPDATE reports SET year = NULL WHERE id = ?", [ids[14]])
        db.execute("UPDATE reports SET agency_id = (SELECT agency_id FROM reports WHERE id = ?), year = 2025"
                   " WHERE id = ?",
                   [ids[30], ids[15]])
        assert _kept(db) == _counted(db)
        for i in (0, 1, 2):  # an agency with no current report left has no row
            db.execute("UPDATE reports SET current_version_id = NULL WHERE id = ?", [ids[i]])
        db.execute("INSERT INTO reports (agency_id, year, current_version_id, first_seen, last_seen)"
                   " SELECT agency_id, 2023, current_version_id, first_seen, last_seen FROM reports WHERE id = ?",
                   [ids[20]])
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM reports WHERE id = ?", [ids[17]])
        assert not db.execute("SELECT 1 FROM reports WHERE id = ?", [ids[17]]).fetchone()
        assert _kept(db) == _counted(db)


def test_an_existing_database_has_its_counts_filled(tmp_path):
    path = tmp_path / "old.db"
    with connect(path) as db:
        _load(db, 5)
        counted = _counted(db)
        for table in ("rule_counts", "agency_reports"):  # as before m030
            db.execute(f"DROP TABLE {table}")
            for (trigger,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ?",
                                         [f"{table}_%"]).fetchall():
                db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm030_kept_counts'")
    with connect(path) as db:
        assert _kept(db) == counted and all(counted)


def test_the_chart_of_every_agency_draws_the_counts_as_it_drew_the_reports(tmp_path):
    """The chart over every agency (a year or not) reads rule_counts; over a province it reads the reports: with
    every agency in one province both draw the same rows."""
    path = tmp_path / "c.db"
    with connect(path) as db:
        _load(db)
        db.execute("UPDATE reports SET current_version_id = NULL WHERE id = (SELECT max(id) FROM reports)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sql = CHARTS["rule_failures"].sql
    for year in ("", "2018", "2020", "2021", "2030"):
        every = conn.execute(sql, {"year": year, "agency": "", "province": ""}).fetchall()
        province = conn.execute(sql, {"year": year, "agency": "", "province": "江苏省"}).fetchall()
        assert every == province, year
    conn.close()
