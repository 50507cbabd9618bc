"""A report is due by Chinese law, in China's time (Asia/Shanghai, UTC+8): the views `scorecard` and `late`, the
queries that share their condition (compliance, charts, `analyze missing`) and health's `overdue` read today's
date in China, as the partitions do (runs.partitions.due). Read in UTC (SQLite's date('now'), the machine's
date), a 2026 report was not yet late for eight hours of 1 April 2027 in China, and `late` and the partitions
disagreed."""

from __future__ import annotations

import datetime as dt

from govreports.store import open_db
from govreports.store.migrations import SCORECARD_SQL_M025


def _due_at(sql_condition: str, utc: str, year: int = 2026, kind: str = "government") -> bool:
    """Whether an agency-year after the agency's latest report (tail 1) is due by `sql_condition` at the UTC time
    `utc`, SQLite's clock ('now') set there."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    row = f"(SELECT 1 AS tail, {year} AS year, '{kind}' AS kind) y"
    (due,) = conn.execute(f"SELECT {sql_condition.replace(chr(39) + 'now' + chr(39), repr(utc))} FROM {row}").fetchone()
    return bool(due)


def test_an_agency_year_is_due_from_midnight_in_china():
    from govreports.store.migrations.china_time import visible

    # 31 March 2027, 17:00 UTC: 1 April 01:00 in China, a government's 2026 report is due; at 15:00 UTC it is not
    assert _due_at(visible("y"), "2027-03-31 17:00:00") and not _due_at(visible("y"), "2027-03-31 15:00:00")
    assert _due_at(visible("y"), "2027-01-31 16:00:00", kind="department")  # 1 February in China
    assert not _due_at(visible("y"), "2027-01-31 15:59:59", kind="department")


def test_the_views_read_china_s_date_and_m025_s_stays_as_it_ran(tmp_path):
    db = open_db(tmp_path / "v.db")
    views = {name: sql for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view' AND "
                                                    "name IN ('scorecard', 'late')")}
    assert "date('now', '+8 hours')" in views["scorecard"] and "date('now') >" not in views["scorecard"]
    assert "FROM scorecard" in views["late"]
    db.close()
    # m025, as released, built its view on UTC's date: an old database is upgraded by it as it ran, then by m031
    assert "date('now') >" in SCORECARD_SQL_M025 and "+8 hours" not in SCORECARD_SQL_M025


def test_health_judges_a_run_on_china_s_date(tmp_path, monkeypatch):
    """`overdue` holds the legal deadline against today's date in China, not the machine's (a server in UTC called a
    2026 report not yet due for eight hours of 1 April 2027 in China)."""
    from govreports import clock
    from govreports.crawl import CrawlSummary, PortalStats, record_run
    from govreports.runs import health
    from govreports.store.db import connect

    judged: list[dt.date] = []
    monkeypatch.setattr(health, "assess_portal", lambda db, portal, now, today: judged.append(today) or [])
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime(2027, 3, 31, 20, 0, tzinfo=dt.timezone.utc))
    with connect(tmp_path / "h.db") as db:
        record_run(db, "nightly", "2027-03-31T20:00:00+00:00", CrawlSummary([PortalStats("a", pages=1, listed=3)]))
    assert judged == [dt.date(2027, 4, 1)]
