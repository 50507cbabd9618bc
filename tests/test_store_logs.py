"""Fetch log (issues view) and crawl partitions."""

from __future__ import annotations

import pytest

from govreports.store import log_fetch, open_db, set_partition


def test_fetch_log_and_issues_view(tmp_path):
    db = open_db(tmp_path / "l.db")
    log_fetch(db, "http://a.gov.cn/1.html", 200, now="t1")
    log_fetch(db, "http://a.gov.cn/2.html", 404, "Not Found", now="t2")
    assert db["fetch_log"].count == 2
    assert [(r["url"], r["status"], r["error"]) for r in db.view("issues").rows] == [
        ("http://a.gov.cn/2.html", "404", "Not Found")]


def test_partition_attempts_and_errors(tmp_path):
    db = open_db(tmp_path / "p.db")
    set_partition(db, "shanghai", 2021, "running", now="t1")
    row = set_partition(db, "shanghai", 2021, "failed", "timeout", now="t2")
    assert (row["status"], row["attempts"], row["last_error"], row["updated_at"]) == ("failed", 1, "timeout", "t2")
    row = set_partition(db, "shanghai", 2021, "running", now="t3")
    row = set_partition(db, "shanghai", 2021, "done", now="t4")
    assert (row["status"], row["attempts"], row["last_error"]) == ("done", 2, None)
    with pytest.raises(ValueError):
        set_partition(db, "shanghai", 2021, "bogus")


def test_statuses_are_stored_and_dumped_as_plain_strings(tmp_path):
    """The StrEnum statuses equal their strings, and what reaches SQLite and JSON is the plain string."""
    import json

    from govreports.crawl.stats import PortalStats
    from govreports.store.documents import save_item
    from govreports.store.statuses import ItemStatus, LoadStatus, PartitionState, PortalOutcome

    db = open_db(tmp_path / "s.db")
    row = set_partition(db, "shanghai", 2021, PartitionState.RUNNING, now="t1")
    assert type(row["status"]) is str and row["status"] == "running" and row["attempts"] == 1
    save_item(db, "shanghai", "http://a.gov.cn/1.html", list_title="t", list_date=None, year=2021,
              status=ItemStatus.NOT_REPORT)
    assert db.execute("SELECT status, typeof(status) FROM items").fetchall() == [("not_report", "text")]
    with pytest.raises(ValueError):
        save_item(db, "shanghai", "http://a.gov.cn/2.html", list_title="t", list_date=None, year=2021,
                  status="bogus")

    stats = PortalStats("shanghai", pages=1)
    for status in (LoadStatus.NEW, "changed", LoadStatus.DUPLICATE, LoadStatus.DUPLICATE):
        stats.count_load(status)
    assert (stats.new, stats.changed, stats.unchanged, stats.duplicate) == (1, 1, 0, 2)
    assert stats.outcome == PortalOutcome.OK == "ok"
    assert type(stats.row()["outcome"]) is str
    assert json.loads(json.dumps({LoadStatus.NEW: PortalOutcome.PARTIAL})) == {"new": "partial"}


def test_a_partition_whose_lists_showed_no_report_is_not_done(tmp_path):
    """A column that answered an empty list one night (maintenance) left its partitions `done`: every later
    backfill skipped them, and their reports never came in. A year with no report of its own, among other years'
    reports, is done."""
    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import partitions

    db_path = tmp_path / "p.db"
    open_db(db_path).close()
    partitions.finish(db_path, "a", 2022, CrawlSummary([PortalStats("a", pages=1, listed=0)]))
    partitions.finish(db_path, "a", 2019, CrawlSummary([PortalStats("a", pages=2, listed=30, report_titles=6,
                                                                    found=0)]))
    rows = {y: (s, e) for y, s, e in open_db(db_path).execute("SELECT year, status, last_error FROM partitions")}
    assert rows == {2022: ("failed", "its lists showed no annual report of any year (0 item(s) listed on 1 "
                                     "page(s)): nothing says 2022 has none"),
                    2019: ("done", None)}
    assert partitions.plan(open_db(db_path), ["a"], [2019, 2022], "failed") == [("a", 2022)]


def _partition_rows(db_path) -> dict:
    return {(p, y): (s, found, loaded, failed) for p, y, s, found, loaded, failed in open_db(db_path).execute(
        "SELECT portal, year, status, found, loaded, failed FROM partitions")}


def test_a_partition_says_what_it_found_loaded_and_failed(tmp_path):
    """A done partition whose lists held no report of its year and one that loaded 5 were the same row (`done`,
    no error): nothing told "nothing of 2019 was listed" from "2020's 5 reports loaded". Each partition keeps what
    its crawl found (reports of its year on the lists), loaded (held now: new, changed, unchanged or not asked
    again) and failed (URLs failed or blocked); none while it runs again, or when its crawl raised."""
    from collections import Counter

    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import partitions

    db_path = tmp_path / "p.db"
    open_db(db_path).close()
    listed = {"pages": 2, "listed": 30, "report_titles": 6}
    partitions.finish(db_path, "a", 2019, CrawlSummary([PortalStats("a", **listed, found=0)]))
    partitions.finish(db_path, "a", 2020, CrawlSummary([PortalStats("a", **listed, found=5, new=3, unchanged=1,
                                                                    not_due=1)]))
    partitions.finish(db_path, "a", 2021, CrawlSummary([PortalStats("a", **listed, found=4, new=2, duplicate=1,
                                                                    blocked=1, failed=Counter(http=1))]))
    partitions.fail(db_path, "a", 2022, "RuntimeError: boom")
    assert _partition_rows(db_path) == {("a", 2019): ("done", 0, 0, 0), ("a", 2020): ("done", 5, 5, 0),
                                        ("a", 2021): ("failed", 4, 2, 2), ("a", 2022): ("failed", None, None, None)}
    partitions.start(db_path, "a", 2020)  # running again: the last crawl's counts are not this one's
    assert _partition_rows(db_path)["a", 2020] == ("running", None, None, None)


def test_a_year_not_yet_due_is_not_done_and_is_run_again(tmp_path):
    """A backfill in December 2026 that asked for 2026 found no report of it (none is due before 31 March 2027:
    FORMAT.md §1) and marked it done, so every later `missing` backfill skipped it and its reports never came in;
    so was 2025 in February 2026, its departments' reports in, its governments' not yet. A partition crawled
    while its year's reports are not all due is `not_yet_due`, which a `missing` backfill runs again; once due, done."""
    import datetime as dt

    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import partitions

    db_path = tmp_path / "p.db"
    open_db(db_path).close()

    def crawled(year, today, found=0):
        partitions.finish(db_path, "a", year, CrawlSummary([PortalStats("a", pages=2, listed=30, report_titles=6,
                                                                        found=found, new=found)]), today=today)

    crawled(2026, dt.date(2026, 12, 7))
    crawled(2025, dt.date(2026, 3, 31), found=3)  # due by the end of 31 March
    crawled(2024, dt.date(2026, 3, 31))
    assert {y: s for (_, y), (s, *_) in _partition_rows(db_path).items()} == {2026: "not_yet_due", 2025: "not_yet_due",
                                                                              2024: "done"}
    assert _partition_rows(db_path)["a", 2025] == ("not_yet_due", 3, 3, 0)
    db = open_db(db_path)
    assert partitions.plan(db, ["a"], [2024, 2025, 2026], "missing") == [("a", 2025), ("a", 2026)]
    assert partitions.plan(db, ["a"], [2024, 2025, 2026], "failed") == []
    db.close()
    crawled(2025, dt.date(2026, 4, 1), found=4)
    assert _partition_rows(db_path)["a", 2025] == ("done", 4, 4, 0)


@pytest.mark.parametrize("at, state", [("2027-03-31T15:59:59", "not_yet_due"), ("2027-03-31T16:00:00", "done"),
                                       ("2027-03-31T20:00:00", "done")])
def test_a_year_is_due_from_midnight_in_china(tmp_path, monkeypatch, at, state):
    """The reports are due by Chinese law, in China's time (Asia/Shanghai, UTC+8): a crawl at 2027-03-31T20:00Z is
    on 1 April 2027 in China, when every 2026 report is due, and its partition is done; read in UTC, it was
    `not_yet_due` until 08:00 in China, and crawled again by the next backfill."""
    import datetime as dt

    from govreports import clock
    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import partitions

    db_path = tmp_path / "p.db"
    open_db(db_path).close()
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone.utc))
    partitions.finish(db_path, "a", 2026, CrawlSummary([PortalStats("a", pages=1, listed=3, report_titles=1)]))
    assert _partition_rows(db_path)["a", 2026][0] == state
    assert partitions.due(2026) is (state == "done")


def _partitions_before_m029(path):
    """A database as a govreports before m029 left it: partitions 2026 and 2025 marked done before their year's
    reports were all due (31 March of the next year), 2024 done after, 2023 failed."""
    from sqlite_utils import Database

    from govreports.store.migrations import migrations

    old = Database(path)
    migrations.apply(old, stop_before="m029_partition_counts")
    for year, status, at in ((2026, "done", "2026-11-02T03:00:00+00:00"),
                             (2025, "done", "2026-03-31T23:00:00+00:00"),
                             (2024, "done", "2026-03-31T23:00:00+00:00"),
                             (2023, "failed", "2023-05-01T00:00:00+00:00")):
        old.execute("INSERT INTO partitions (portal, year, status, updated_at) VALUES ('a', ?, ?, ?)",
                    [year, status, at])
    old.conn.commit()
    old.close()
    return path


def test_partitions_done_before_their_year_was_due_are_run_again_after_the_upgrade(tmp_path):
    """m029: the rows an older govreports marked done before their year's reports were all due (the partitions
    `test_a_year_not_yet_due_is_not_done_and_is_run_again` keeps from being done) become `not_yet_due`, for the next
    `missing` backfill; their counts, never recorded, stay unknown (NULL)."""
    from govreports.store import connect

    path = _partitions_before_m029(tmp_path / "old.db")
    with connect(path):
        pass
    assert _partition_rows(path) == {("a", 2026): ("not_yet_due", None, None, None),
                                     ("a", 2025): ("not_yet_due", None, None, None),
                                     ("a", 2024): ("done", None, None, None),
                                     ("a", 2023): ("failed", None, None, None)}


def test_a_dry_run_over_a_database_before_the_upgrade_plans_what_the_run_will_run(tmp_path):
    """A backfill's dry run reads the partitions and never upgrades the database; before m029 it planned none of
    the partitions done before their year was due, which the run itself, upgrading first, runs again: the plan
    said 1 partition (2027) where the backfill ran 3 (2025, 2026, 2027)."""
    from govreports.runs.partitions import backfill_plan

    path = _partitions_before_m029(tmp_path / "old.db")
    years = [2023, 2024, 2025, 2026, 2027]
    planned = backfill_plan(path, ["a"], years, "missing", dry_run=True)
    assert planned == ([("a", 2025), ("a", 2026), ("a", 2027)], [("a", 2023)])
    assert backfill_plan(path, ["a"], years, "missing", dry_run=False) == planned  # upgraded, as the run plans


def test_status_reads_the_partitions_of_a_database_before_the_upgrade(tmp_path):
    """`status` reads a database as it is and never upgrades it; before m029 (no found, loaded, failed) its line of
    the partitions was left out without a word and `status --partitions` failed. Both read them as the next run,
    upgrading first, will: those done before their year was due not_yet_due, what they found unknown ("—")."""
    import sqlite3

    from typer.testing import CliRunner

    from govreports.cli import app
    from govreports.cli.status import partitions_line

    path = _partitions_before_m029(tmp_path / "old.db")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert partitions_line(conn) == ("backfill partitions: 1 done, 2 not yet due (run again by the next backfill), "
                                     "1 failed; 0 report(s) loaded; `govreports status --partitions` lists each")
    conn.close()
    result = CliRunner().invoke(app, ["status", "--partitions", "--db", str(path)])
    assert result.exit_code == 0, result.output
    rows = [line.split()[:6] for line in result.output.splitlines() if line.strip().startswith("a ")]
    assert rows == [["a", "2023", "failed", "—", "—", "—"], ["a", "2024", "done", "—", "—", "—"],
                    ["a", "2025", "not_yet_due", "—", "—", "—"], ["a", "2026", "not_yet_due", "—", "—", "—"]]
    conn = sqlite3.connect(path)
    assert "found" not in {row[1] for row in conn.execute("PRAGMA table_info(partitions)")}  # never upgraded
    conn.close()
