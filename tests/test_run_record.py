"""A run's row in `runs` is written when it starts and says how it ended: completed (with its figures), stopped
(by which signal, or cancelled), failed (with the error), or nothing yet (running, or its process died). A run
that did not finish writes no `portal_runs` rows, so portal health never judges its partial figures; `govreports
status` names a latest run that did not complete. (A stopped nightly and backfill end to end: test_stop_runs.)"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest
from typer.testing import CliRunner

from govreports.crawl import CrawlSummary, PortalStats, record_run, recorded_run
from govreports.crawl.runrecord import begin_run, end_unfinished
from govreports.lifecycle import Stopped
from govreports.store.db import connect, open_db

STARTED = "2026-12-04T02:30:00+00:00"


@pytest.fixture
def db(tmp_path):
    with connect(tmp_path / "runs.db") as database:
        yield database


def summary(portal: str = "demo-gd", listed: int = 40) -> CrawlSummary:
    return CrawlSummary([PortalStats(portal, pages=2, listed=listed, found=listed, unchanged=listed,
                                     failed=Counter())])


def runs(db) -> list[tuple]:
    return db.execute("SELECT id, kind, started_at, finished_at IS NOT NULL, outcome, error FROM runs"
                      " ORDER BY id").fetchall()


def test_a_begun_run_has_a_row_with_no_outcome_until_it_completes(db):
    run_id = begin_run(db, "nightly", STARTED)
    assert runs(db) == [(run_id, "nightly", STARTED, False, None, None)]
    assert record_run(db, "nightly", "2026-12-04T02:31:00+00:00", summary(), run_id=run_id) == run_id
    assert runs(db) == [(run_id, "nightly", STARTED, True, "completed", None)]  # one row, begun when it started
    # its portals' rows start when the run began, not when its figures were written
    assert db.execute("SELECT run_id, portal, listed, started_at FROM portal_runs").fetchall() == [
        (run_id, "demo-gd", 40, STARTED)]
    end_unfinished(db, run_id, RuntimeError("after the figures were written"))  # a completed run stays completed
    assert runs(db)[0][4:] == ("completed", None)


@pytest.mark.parametrize("exc, outcome, error", [
    (Stopped(signal.SIGTERM), "stopped", "stopped by SIGTERM"),
    (KeyboardInterrupt(), "stopped", "stopped by SIGINT"),
    (asyncio.CancelledError(), "stopped", "cancelled"),
    (OSError(28, "No space left on device"), "failed", "OSError: [Errno 28] No space left on device"),
])
def test_a_run_that_raised_is_marked_with_how_it_ended_and_writes_no_portal_figures(db, exc, outcome, error):
    record_run(db, "nightly", STARTED, summary(listed=40))  # the portal's history: one complete night
    run_id = begin_run(db, "nightly", STARTED)
    end_unfinished(db, run_id, exc)
    assert runs(db)[-1] == (run_id, "nightly", STARTED, True, outcome, error)
    assert db.execute("SELECT count(*) FROM portal_runs WHERE run_id = ?", [run_id]).fetchone() == (0,)
    # portal health still stands on the completed run: the stopped one is no "last run" of the portal
    assert db.execute("SELECT last_run_id, last_listed FROM portal_health").fetchall() == [(1, 40)]


def test_a_run_whose_database_cannot_be_written_keeps_its_row_unfinished(tmp_path, capsys):
    path = tmp_path / "runs.db"
    with connect(path) as db:
        run_id = begin_run(db, "crawl", STARTED)
    readonly = open_db(path, migrate=False)
    readonly.execute("PRAGMA query_only = 1")
    end_unfinished(readonly, run_id, RuntimeError("boom"))  # never raises: the run's own error is what counts
    assert f"run {run_id} could not be marked failed" in capsys.readouterr().err
    assert runs(readonly) == [(run_id, "crawl", STARTED, False, None, None)]


def test_recorded_run_inside_another_of_the_same_kind_shares_its_row(tmp_path):
    path = tmp_path / "runs.db"
    with pytest.raises(Stopped):
        with recorded_run(path, "nightly", STARTED) as outer:
            with recorded_run(str(path), "nightly", "2026-12-04T02:31:00+00:00") as inner:
                assert inner == outer
            raise Stopped(signal.SIGHUP)
    with connect(path) as db:
        assert [r[1:] for r in runs(db)] == [("nightly", STARTED, True, "stopped", "stopped by SIGHUP")]
    with recorded_run(path, "nightly", STARTED) as later:  # the block left: a new run, a new row
        assert later == 2
        with connect(path) as db:
            record_run(db, "nightly", STARTED, summary(), run_id=later)
    with recorded_run(path, "backfill", STARTED) as forgotten:  # a block that never completed its run: a bug
        pass
    with recorded_run(path, "nightly", STARTED) as outer, recorded_run(path, "crawl", STARTED) as other:
        assert other != outer  # another kind: a run of its own
        with connect(path) as db:
            record_run(db, "nightly", STARTED, summary(), run_id=outer)
            record_run(db, "crawl", STARTED, summary(), run_id=other)
    with connect(path) as db:
        assert [r[4:] for r in runs(db)] == [("stopped", "stopped by SIGHUP"), ("completed", None),
                                             ("failed", "it ended without recording its figures"),
                                             ("completed", None), ("completed", None)]
        assert forgotten == 3


def test_marking_a_run_waits_seconds_for_another_writer_not_the_usual_thirty(db, monkeypatch, capsys):
    """A stopped run marks its row while its crawls may still be flushing: it must not wait the 30 s a load
    would, and gives up with a warning (the row stays unfinished, which is true) rather than raise."""
    import time

    from govreports.crawl import runrecord

    run_id = begin_run(db, "nightly", STARTED)
    monkeypatch.setattr(runrecord, "MARK_WAIT_S", 0.5)
    holder = open_db(db.execute("PRAGMA database_list").fetchone()[2], migrate=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        end_unfinished(db, run_id, Stopped(signal.SIGTERM))
        took = time.monotonic() - start
    finally:
        holder.conn.rollback()
    assert 0.4 < took < 5, took
    assert "could not be marked stopped" in capsys.readouterr().err
    assert runs(db)[-1][4] is None
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000  # the connection's own wait is given back
    end_unfinished(db, run_id, Stopped(signal.SIGTERM))  # the other writer gone: marked at once
    assert runs(db)[-1][4:] == ("stopped", "stopped by SIGTERM")


def test_a_run_whose_process_died_is_marked_killed_when_the_next_run_begins(db):
    died = begin_run(db, "nightly", STARTED)  # then SIGKILL: no code ran to say how it ended
    assert runs(db)[-1][4] is None
    stopped = begin_run(db, "nightly", STARTED)
    end_unfinished(db, stopped, Stopped(signal.SIGTERM))
    now = begin_run(db, "crawl", STARTED)
    assert [r[4:] for r in runs(db)] == [
        ("killed", f"its process ended before it could say how (SIGKILL, out of memory, the machine stopped); "
                   f"found when run {stopped} began"),
        ("stopped", "stopped by SIGTERM"),  # a run that said how it ended keeps what it said
        (None, None)]
    assert died < stopped < now


@pytest.mark.parametrize("end, line", [
    (None, "last run #2 nightly, started {}: killed (it no longer holds the database); what it stored stays"),
    (Stopped(signal.SIGTERM), "last run #2 nightly, started {}: stopped by SIGTERM at {}; what it stored stays"),
    (ValueError("bad"), "last run #2 nightly, started {}: failed at {}: ValueError: bad"),
])
def test_status_names_a_latest_run_that_did_not_complete(tmp_path, end, line):
    from govreports.cli import app
    from govreports.cli.status import _when

    path = tmp_path / "runs.db"
    with connect(path) as db:
        record_run(db, "nightly", STARTED, summary())
        run_id = begin_run(db, "nightly", STARTED)
        if end is not None:
            end_unfinished(db, run_id, end)
        finished = db.execute("SELECT finished_at FROM runs WHERE id = ?", [run_id]).fetchone()[0]
    result = CliRunner().invoke(app, ["status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert line.format(_when(STARTED), _when(finished)) in result.output.splitlines()
    with connect(path) as db:
        record_run(db, "nightly", STARTED, summary())  # the next night completes: nothing to say
    assert "last run #" not in CliRunner().invoke(app, ["status", "--db", str(path)]).output


def test_status_prints_a_run_s_error_as_it_was_written(tmp_path):
    """`status` printed the run's error as rich markup: '?page[size]=10' in a failed URL lost '[size]', and an
    error holding '[/x]' (a path, a pydantic message) ended `status` with MarkupError's traceback, exit 1."""
    from govreports.cli import app
    from govreports.cli.status import _when

    path = tmp_path / "runs.db"
    with connect(path) as db:
        record_run(db, "nightly", STARTED, summary())
        run_id = begin_run(db, "nightly", STARTED)
        end_unfinished(db, run_id, ValueError("list?page[size]=10 [/x] [bold]"))
        finished = db.execute("SELECT finished_at FROM runs WHERE id = ?", [run_id]).fetchone()[0]
    result = CliRunner().invoke(app, ["status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert (f"last run #2 nightly, started {_when(STARTED)}: failed at {_when(finished)}: ValueError: "
            "list?page[size]=10 [/x] [bold]") in result.output.splitlines()


@pytest.mark.parametrize("command, running", [("nightly", True), ("", True), ("load", False)])
def test_status_tells_a_run_still_going_from_one_killed_by_the_writer_lock(tmp_path, command, running):
    """A run not finished whose command holds the writer lock is running; one whose lock is free, or held by
    another command (a `load` that began after it died), was killed."""
    import os

    from govreports.cli import app
    from govreports.store.lock import writer_lock

    path = tmp_path / "runs.db"
    with connect(path) as db:
        begin_run(db, "nightly", STARTED)
    with writer_lock(path, command=command):
        held = CliRunner().invoke(app, ["status", "--db", str(path)]).output
    free = CliRunner().invoke(app, ["status", "--db", str(path)]).output
    going = f"last run #1 nightly, started {_when_started()}: still running (pid {os.getpid()} holds the database)"
    assert (going in held.splitlines()) is running
    killed = (f"last run #1 nightly, started {_when_started()}: killed (it no longer holds the database); what it "
              "stored stays")
    assert (killed in held.splitlines()) is not running
    assert going not in free and killed in free.splitlines()


def test_asking_who_holds_the_database_neither_creates_the_lock_file_nor_keeps_a_writer_out(tmp_path):
    from govreports.store.lock import holder_now, lock_path, writer_lock

    path = tmp_path / "never-written.db"
    assert holder_now(path) is None
    assert not lock_path(path).exists()  # a read-only look leaves no file behind
    with writer_lock(path, command="crawl"):
        pass
    assert holder_now(path) is None  # the lock file stays; nothing holds it
    with writer_lock(path, command="crawl", wait=0):  # the look let go of its shared lock at once
        assert holder_now(path).command == "crawl"


def _when_started() -> str:
    from govreports.cli.status import _when

    return _when(STARTED)


def test_a_crawl_cancelled_midway_is_recorded_stopped_with_what_it_loaded(tmp_path):
    from crawlhelp import FAST, demo_config
    from govreports.crawl import crawl
    from govreports.demo import DemoPortal
    from govreports.demo.faults import FaultConfig

    portal = DemoPortal(seed=0, faults=FaultConfig(frozenset({"slow"}), slow_seconds=60, rate=0.3)).start(port=0)
    try:
        config = demo_config(portal.base_url)
        config = config.model_copy(update={"portal": [p for p in config.portal if p.name == "demo-gd"]})
        db = open_db(tmp_path / "reports.db")

        async def cancelled_once_loaded() -> None:
            task = asyncio.ensure_future(crawl(config, db, tmp_path / "archive", parse_workers=0, **FAST))
            for _ in range(300):  # a third of the pages answer after a minute: it is still crawling then
                await asyncio.sleep(0.2)
                if db.execute("SELECT count(*) FROM reports").fetchone()[0]:
                    break
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(cancelled_once_loaded())
    finally:
        portal.stop()
    assert [r[1:] for r in runs(db)] == [("crawl", r[2], True, "stopped", "cancelled") for r in runs(db)]
    assert len(runs(db)) == 1 and db.execute("SELECT count(*) FROM portal_runs").fetchone() == (0,)
    loaded = db.execute("SELECT count(*) FROM items WHERE status = 'loaded'").fetchone()[0]
    assert 0 < loaded == db.execute("SELECT count(*) FROM reports").fetchone()[0]  # what it read stays


def test_a_crawl_s_failures_are_logged_against_its_run(tmp_path):
    """fetch_log.run_id (and the `issues` view's) names the run a failure happened in: the crawl's own run, or a
    flow's run passed to its tasks' crawls (test_flows checks a backfill's)."""
    from crawlhelp import FAST, demo_config
    from govreports.crawl import run_crawl
    from govreports.demo import DemoPortal

    portal = DemoPortal(seed=0, faults="500").start(port=0)  # one URL that always answers 500
    try:
        config = demo_config(portal.base_url)
        db = open_db(tmp_path / "reports.db")
        first = run_crawl(config, db, tmp_path / "archive", **FAST)
        second = run_crawl(config, db, tmp_path / "archive", **FAST)
    finally:
        portal.stop()
    by_run = dict(db.execute("SELECT run_id, count(*) FROM issues GROUP BY run_id").fetchall())
    assert set(by_run) == {first.run_id, second.run_id}  # every failure names one of the two runs


def test_buffered_events_applied_by_the_one_writer_are_logged_against_its_run(db):
    from govreports.crawl import apply_summary
    from govreports.crawl.events import Failed, Listed

    run_id = begin_run(db, "backfill", STARTED)
    buffered = summary(listed=1)
    buffered.events = {"demo-gd": [Failed("http://x/1.html", 500, "http", "http: 500",
                                          listing=Listed("http://x/1.html", "2024年报", None, 2024))]}
    apply_summary(db, buffered, run_id)
    assert db.execute("SELECT url, kind, run_id FROM issues").fetchall() == [("http://x/1.html", "http", run_id)]


def test_a_run_whose_row_is_gone_from_the_file_ends_as_a_storage_failure(tmp_path):
    """A connection opened after the database file was removed or replaced (the flows open one to record the run)
    finds no row for the run: that was a TypeError out of record_run, a traceback and exit 1."""
    from govreports.crawl.runrecord import begin_run, record_run
    from govreports.crawl.stats import CrawlSummary, PortalStats
    from govreports.errors import StorageError
    from govreports.store.db import open_db

    run_id = begin_run(open_db(tmp_path / "first.db"), "nightly", "2026-12-06T02:30:00+00:00")
    with pytest.raises(StorageError, match=f"run {run_id} is not in the database .*new.db: the file was removed"):
        record_run(open_db(tmp_path / "new.db"), "nightly", "2026-12-06T02:30:00+00:00",
                   CrawlSummary([PortalStats("p")]), run_id=run_id)


@pytest.mark.parametrize("writer", ["buffered", "direct"])
def test_a_connection_the_run_opens_after_its_file_was_replaced_writes_nothing_of_the_run(tmp_path, demo_portal,
                                                                                        writer):
    """A buffered night applies its tasks' events on a connection opened after the crawls, and each direct task
    opens its own: one opened after the file was replaced (a backup restored with `mv`) saw that file as its own
    and wrote the run's reports into it. The run's row is asked for first: missing, the run stops (exit 74)."""
    import os

    from crawlhelp import crawl_demo
    from govreports.clock import now_iso
    from govreports.crawl import apply_summary
    from govreports.errors import StorageError

    path = tmp_path / "reports.db"
    first = open_db(path)
    run_id = begin_run(first, "nightly", now_iso())
    summary = None
    if writer == "buffered":  # the crawl reads the first file, and hands its writes back as events
        _, summary = crawl_demo(demo_portal, tmp_path, db=first, portals=("demo-govcn",), buffered=True,
                                run_id=run_id)
        assert summary.events
    first.close()
    open_db(tmp_path / "backup.db").close()
    os.replace(tmp_path / "backup.db", path)
    later = open_db(path)
    with pytest.raises(StorageError, match=f"run {run_id} is not in the database {path}: the file was removed"):
        if writer == "buffered":
            apply_summary(later, summary, run_id)
        else:
            crawl_demo(demo_portal, tmp_path, db=later, portals=("demo-govcn",), run_id=run_id, kind=None)
    assert later.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    assert later.execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_status_of_a_night_still_running_says_what_it_has_done_so_far_not_before_it_ended(tmp_path):
    """A night's figures are noted in its row as each portal finishes (flows.common.noting); `status` read them
    for a run still going as for one stopped: 'still running (pid … holds the database) (1 portal(s) finished
    before it ended: …)', an end the run has not reached. While it runs they are what it has done so far."""
    import os

    from govreports.cli import app
    from govreports.crawl.runrecord import note_figures
    from govreports.store.lock import writer_lock

    path = tmp_path / "runs.db"
    with connect(path) as db:
        run_id = begin_run(db, "nightly", STARTED)
        note_figures(db, run_id, [{"portal": "a", "new": 3, "changed": 1, "unchanged": 2, "failed": 0}])
    with writer_lock(path, command="nightly"):
        held = " ".join(CliRunner().invoke(app, ["status", "--db", str(path)]).output.split())  # lines wrap
    free = " ".join(CliRunner().invoke(app, ["status", "--db", str(path)]).output.split())
    assert (f"last run #1 nightly, started {_when_started()}: still running (pid {os.getpid()} holds the database)"
            " (1 portal(s) finished so far: 3 new, 1 changed, 2 unchanged, 0 failed)") in held, held
    # killed: it did end, its figures those of its last note (taken at most every 30 s)
    assert "(1 portal(s) finished by its last note: 3 new" in free and "so far" not in free, free


def test_a_run_s_figures_are_noted_now_and_then_and_at_once_as_it_stops(tmp_path, monkeypatch):
    """A night notes its finished portals' figures in its row as they settle (flows.common.noting), so a run
    stopped midway says what it did. Each note rewrites the whole list: after every one of 2,000 portals it would
    be two million rows a night, so a note waits `every_s` after the one before, except the last one, as the run
    stops. Buffered tasks have stored nothing yet: nothing is noted for them."""
    import json

    from govreports.flows import common

    path = str(tmp_path / "r.db")
    with connect(path) as db:
        run_id = begin_run(db, "nightly", "2026-12-07T02:30:00+08:00")
    writes, real = [], common.note_figures
    monkeypatch.setattr(common, "note_figures", lambda db, run, rows: writes.append(rows) or real(db, run, rows))
    one = [CrawlSummary([PortalStats("a", new=1)])]
    two = one + [CrawlSummary([PortalStats("b", new=2)])]
    note = common.noting(path, run_id, buffered=False, every_s=3600)
    note(one)
    note(two)  # within every_s of the first: not written
    assert [[row["portal"] for row in rows] for rows in writes] == [["a"]]
    note(two, final=True)
    assert [[row["portal"] for row in rows] for rows in writes] == [["a"], ["a", "b"]]
    with connect(path) as db:
        (summary,) = db.execute("SELECT summary_json FROM runs WHERE id = ?", [run_id]).fetchone()
    assert [(row["portal"], row["new"]) for row in json.loads(summary)] == [("a", 1), ("b", 2)]
    common.noting(path, run_id, buffered=True)(two, final=True)
    assert len(writes) == 2
