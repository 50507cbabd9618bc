"""The Prefect flows under prefect_test_harness: nightly, backfill (missing / failed / dry run / kill and
restart), re-parse, and the Dask task runner — all against the demo portal."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from crawlhelp import FAST, db_records, mismatches, read_scans_once, table_counts, truth_of_sites
from prefecthelp import harness
from govreports.demo import DemoPortal
from govreports.store.db import open_db

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


from govreports.flows.backfill import backfill  # noqa: E402
from govreports.flows.common import task_runner  # noqa: E402
from govreports.flows.nightly import nightly  # noqa: E402
from govreports.flows.reparse import reparse  # noqa: E402

CONFIG = str(ROOT / "config" / "demo.toml")
PARTITIONS = open(CONFIG, encoding="utf-8").read().count("[[portal]]") * 7  # portals × the years 2018–2024


@pytest.fixture(autouse=True, scope="module")
def prefect_api():
    with harness():  # (tests/prefecthelp.py: its database migrated once per session)
        yield


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=0).start(port=0)
    os.environ["GOVREPORTS_DEMO_PORT"] = str(p.port)
    read_scans_once(p)  # the scan's OCR in the session's tool cache, as crawl_demo has it: its budget under load
    yield p
    p.stop()


def paths(tmp_path):
    return {"db": str(tmp_path / "reports.db"), "archive": str(tmp_path / "archive"), "config": CONFIG}


def test_nightly_equals_ground_truth_then_changes_nothing(portal, tmp_path):
    p = paths(tmp_path)
    rows = nightly(**p, policy=FAST)
    db = open_db(p["db"])
    assert mismatches(db, portal.ground_truth()) == []
    assert sum(r["new"] for r in rows) == len(portal.ground_truth())
    counts = table_counts(db)
    run = db.execute("SELECT kind, summary_json FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert run[0] == "nightly" and '"new"' in run[1]  # the summary is in the database too
    again = nightly(**p, policy=FAST)
    assert sum(r["new"] + r["changed"] for r in again) == 0
    assert sum(r["unchanged"] for r in again) == sum(r["found"] for r in again)
    assert table_counts(db) == counts


def test_nightly_does_not_overlap(portal, tmp_path):
    """Another writer (a backfill, the previous night) holds the database: the run waits, then ends Failed and
    says who holds it; nothing is written."""
    from lockhelp import lock_held_elsewhere

    p = paths(tmp_path)
    with lock_held_elsewhere(p["db"]) as holder:
        state = nightly(**p, policy=FAST, lock_wait=0.5, return_state=True)
    assert state.is_failed() and f"pid {holder.pid}" in state.message and "holds the database" in state.message
    assert table_counts(open_db(p["db"]))["reports"] == 0


def test_nightly_fails_when_no_portal_can_be_reached(tmp_path, monkeypatch):
    """Every portal unreachable (nothing listens on the port): the flow run ends Failed, with the summary rows
    as its data, and each portal's row says `unreachable`."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = str(s.getsockname()[1])  # closed on every demo host (127.0.0.x) too: none listens there
    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", closed)  # (the module's portal need not have started: no KeyError)
    state = nightly(**paths(tmp_path), portals=["demo-ordos", "demo-hanweb"], policy=FAST, return_state=True)
    assert state.is_failed() and state.message.startswith("nothing could be fetched")
    rows = state.result(raise_on_failure=False)
    assert [r["outcome"] for r in rows] == ["unreachable", "unreachable"]


def test_backfill_missing_completes_a_partial_run(portal, tmp_path):
    p = paths(tmp_path)
    first = backfill(years="2019-2020", portals=["demo-ordos", "demo-hanweb"], **p, policy=FAST)
    assert sorted(first["ran"]) == [("demo-hanweb", 2019), ("demo-hanweb", 2020), ("demo-ordos", 2019),
                                    ("demo-ordos", 2020)]
    second = backfill(years="2018-2024", reprocess="missing", **p, policy=FAST)
    assert not set(first["ran"]) & set(second["ran"])  # only what was left
    assert len(second["ran"]) == PARTITIONS - 4
    db = open_db(p["db"])
    assert mismatches(db, portal.ground_truth()) == []
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM partitions WHERE portal != 'demo-gate'")}
    assert statuses == {"done"}
    # the gate's column is empty with the gate off (demo.sites.gate): a column that shows no report at all is not
    # done (a column down for maintenance was, and later backfills skipped its years for good)
    assert {(s, e.split(":")[0]) for s, e in db.execute("SELECT status, last_error FROM partitions WHERE portal = "
                                                         "'demo-gate'")} == {
        ("failed", "its lists showed no annual report of any year (0 item(s) listed on 1 page(s))")}
    # the run names them, for its verdict (partial: the command exits 1); it had exited 0 without a word
    gate = [("demo-gate", year) for year in range(2018, 2025)]
    assert sorted(tuple(f) for f in second["failed"]) == gate
    third = backfill(years="2018-2024", **p, policy=FAST)
    assert third["ran"] == [] and third["failed"] == []  # idempotent: nothing left
    assert sorted(tuple(f) for f in third["left_failed"]) == gate  # and the failed ones it leaves are named


def test_dry_run_changes_nothing(portal, tmp_path):
    p = paths(tmp_path)
    backfill(years="2019", portals=["demo-gbk"], **p, policy=FAST)
    db = open_db(p["db"])
    dump = list(db.conn.iterdump())
    result = backfill(years="2018-2024", dry_run=True, **p, policy=FAST)
    assert len(result["planned"]) == PARTITIONS - 1 and result["ran"] == []
    assert list(open_db(p["db"]).conn.iterdump()) == dump


def test_a_night_stopped_midway_keeps_the_figures_of_the_portals_it_finished(portal, tmp_path, monkeypatch):
    """A night stopped (SIGTERM at the end of its slot) after some portals finished: their reports are stored,
    but its row in `runs` said `stopped` with no figure at all (summary_json NULL; portal_runs are written only by a
    completed run), and `status` could not say how far it got. The figures are now noted as each portal finishes,
    and `status` says them. Stopped here as the second portal's task begins."""
    import json

    from typer.testing import CliRunner

    from govreports.cli import app
    from govreports.lifecycle import Stopped
    from govreports.runs import jobs

    real = jobs.crawl_portal

    def stopped_at_gbk(config, name, *args, **kwargs):
        if name == "demo-gbk":
            raise Stopped(signal.SIGTERM)
        return real(config, name, *args, **kwargs)

    monkeypatch.setattr(jobs, "crawl_portal", stopped_at_gbk)
    p = paths(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        nightly(**p, portals=["demo-ordos", "demo-gbk"], policy=FAST)
    db = open_db(p["db"])
    ((outcome, error, summary),) = db.execute("SELECT outcome, error, summary_json FROM runs")
    assert (outcome, error) == ("stopped", "stopped by SIGTERM")
    (row,) = json.loads(summary or "null")
    stored = db.execute("SELECT count(*) FROM reports").fetchone()[0]
    assert row["portal"] == "demo-ordos" and row["new"] == stored > 0 and row["failed"] == 0
    said = " ".join(CliRunner().invoke(app, ["status", "--db", p["db"]]).output.split())
    assert f"stopped by SIGTERM at" in said and \
        f"what it stored stays (1 portal(s) finished before it ended: {stored} new, 0 changed, 0 unchanged, " \
        "0 failed)" in said, said


def test_backfill_failed_retries_only_failures(tmp_path):
    faulty = DemoPortal(seed=0, faults="500").start(port=0)
    previous = os.environ["GOVREPORTS_DEMO_PORT"]
    os.environ["GOVREPORTS_DEMO_PORT"] = str(faulty.port)
    try:
        p = paths(tmp_path)
        backfill(years="2018-2024", **p, policy=FAST)
        db = open_db(p["db"])
        failed = db.execute("SELECT portal, year FROM partitions WHERE status = 'failed' ORDER BY portal, year"
                            ).fetchall()
        # the partition holding the URL that always answers 500 (and the gate's empty column, demo.sites.gate)
        assert len([p for p, _ in failed if p != "demo-gate"]) == 1
        again = backfill(years="2018-2024", reprocess="failed", **p, policy=FAST)
        assert sorted(again["ran"]) == [tuple(f) for f in failed]
        # each run's failures are logged against it (the flow's run id, passed to its tasks' crawls)
        runs = [r for (r,) in db.execute("SELECT id FROM runs WHERE kind = 'backfill' ORDER BY id")]
        assert [r for (r,) in db.execute("SELECT DISTINCT run_id FROM issues ORDER BY run_id")] == runs
    finally:
        os.environ["GOVREPORTS_DEMO_PORT"] = previous
        faulty.stop()



def test_a_backfill_partition_that_raised_is_counted_not_dropped(portal, tmp_path, monkeypatch):
    """A partition whose crawl raised (a bug) is a portal that could not be crawled in the run's rows and
    verdict: before, it vanished from both, and a night of crashed partitions could exit 0. Each row names its
    partition's year: the table had a row per partition with the portal alone, the same portal on seven rows of a
    seven-year backfill, and which year had failed could not be told from it."""
    from govreports.runs import jobs

    real = jobs.run_partition

    def crash_one(config, portal, year, *args, **kwargs):
        if (portal, year) == ("demo-gbk", 2019):
            raise RuntimeError("a bug in one partition")
        return real(config, portal, year, *args, **kwargs)

    monkeypatch.setattr(jobs, "run_partition", crash_one)
    result = backfill(years="2019-2020", portals=["demo-gbk", "demo-gd"], **paths(tmp_path), policy=FAST)
    rows = {(r["portal"], r["year"]): r for r in result["rows"]}
    assert sorted(rows) == [("demo-gbk", 2019), ("demo-gbk", 2020), ("demo-gd", 2019), ("demo-gd", 2020)]
    assert rows["demo-gbk", 2019]["outcome"] == "unreachable" and rows["demo-gbk", 2019]["failures"] == {"internal": 1}
    assert {rows[key]["outcome"] for key in rows if key != ("demo-gbk", 2019)} == {"ok"}
    assert list(result["rows"][0])[:2] == ["portal", "year"]  # the printed table's first columns


def test_a_backfill_names_the_partitions_it_ran_that_ended_not_yet_due(tmp_path, monkeypatch):
    """The partitions a backfill ran that ended `not_yet_due` (crawled before their year's reports were all due)
    are in its result, for its last line (cli.flows), as `status` counts them: it said "2 partition(s) run" alone,
    and a year the next backfill runs again looked finished."""
    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import jobs

    def listed(config, portal, db, archive, *, year, **kwargs):  # a list with one report of the year on it
        return CrawlSummary([PortalStats(portal, pages=1, listed=3, found=1, report_titles=1, unchanged=1)])

    monkeypatch.setattr(jobs, "crawl_portal", listed)
    result = backfill(years=[2024, 2099], portals=["demo-ordos"], **paths(tmp_path), policy=FAST)
    assert sorted(result["ran"]) == [("demo-ordos", 2024), ("demo-ordos", 2099)]
    assert [tuple(p) for p in result["not_yet_due"]] == [("demo-ordos", 2099)]


def test_a_database_that_cannot_be_written_ends_the_night_at_once(tmp_path, monkeypatch):
    """StorageError (a full disk) in a portal task is not retried (a retry fails the same way minutes later) and
    ends the flow run with it (the CLI exits 74), instead of counting as one unreachable portal."""
    from govreports.errors import StorageError
    from govreports.runs import jobs

    calls = []

    def full(config, portal, *args, **kwargs):
        calls.append(portal)
        raise StorageError(f"could not write the database: database or disk is full ({portal})")

    monkeypatch.setattr(jobs, "crawl_portal", full)
    with pytest.raises(StorageError):
        nightly(**paths(tmp_path), portals=["demo-ordos", "demo-gbk"], policy=FAST)
    assert sorted(calls) == ["demo-gbk", "demo-ordos"]  # each once: no retry

@pytest.mark.parametrize("flow", ["nightly", "backfill"])
def test_a_database_another_program_keeps_locked_ends_the_run_not_its_portals(tmp_path, monkeypatch, flow):
    """SQLite gave up waiting for another program's lock (`database is locked`, after its 30 s busy timeout) in a
    portal's crawl: the task was retried, then counted as a portal that could not be crawled (`internal`), and a
    backfill marked the partition failed, skipped by every later `missing` backfill. Every portal then read
    "unreachable": exit 1, or 3, "nothing could be fetched", for portals that all answered. It ends the run as the
    same lock at its start does (the CLI: "the database stayed locked", exit 75), not retried, and the partition
    is left to run again."""
    import sqlite3

    from govreports.runs import jobs
    from govreports.store.db import open_db

    calls = []

    def locked(config, portal, *args, **kwargs):
        calls.append(portal)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(jobs, "crawl_portal", locked)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        if flow == "nightly":
            nightly(**paths(tmp_path), portals=["demo-ordos", "demo-gbk"], policy=FAST)
        else:
            backfill(years="2023-2024", **paths(tmp_path), portals=["demo-ordos", "demo-gbk"], policy=FAST)
    assert sorted(calls) == ["demo-gbk", "demo-ordos"]  # each once: no retry, no later year
    failed = open_db(paths(tmp_path)["db"]).execute("SELECT count(*) FROM partitions WHERE status = 'failed'")
    assert failed.fetchone()[0] == 0


class _Collected(logging.Handler):
    """A Prefect run logger's records, caught before its own handlers (which want a run's fields) see them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _collected(monkeypatch, name: str) -> _Collected:
    collected = _Collected()
    monkeypatch.setattr(logging.getLogger(name), "handlers", [collected])
    monkeypatch.setattr(logging.getLogger(name), "propagate", False)
    return collected


def test_a_night_ended_by_its_own_error_logs_it_without_prefect_s_traceback(tmp_path, monkeypatch):
    """Prefect logs a failed flow run's exception with a traceback; run as a command (run_flow), a night ended by
    one of our own errors (a full disk) logs its line alone, which the command's `error:` line then repeats."""
    from govreports.cli.common import run_flow
    from govreports.errors import StorageError
    from govreports.runs import jobs

    def full(config, portal, *args, **kwargs):
        raise StorageError(f"could not write the archive {tmp_path}: [Errno 28] No space left on device")

    monkeypatch.setattr(jobs, "crawl_portal", full)
    flow_runs = _collected(monkeypatch, "prefect.flow_runs")
    with pytest.raises(StorageError):
        run_flow(nightly, **paths(tmp_path), portals=["demo-ordos"], policy=FAST)
    [record] = [r for r in flow_runs.records if "Encountered exception during execution" in r.getMessage()]
    assert "No space left on device" in record.getMessage() and record.levelno == logging.ERROR
    assert record.exc_info is None and not any(r.exc_info for r in flow_runs.records)


@pytest.mark.parametrize("flow", ["nightly", "backfill"])
def test_a_deployed_run_whose_config_cannot_be_read_is_recorded_failed(tmp_path, flow):
    """A night whose config broke (a bad edit, a file gone) failed before its `runs` row existed: `govreports
    status` went on showing the last good night, and the failure was only in Prefect's UI. Now the run's row says
    it failed, and why, naming the file."""
    from govreports.portals.config import ConfigError
    from govreports.store.db import connect

    p = {**paths(tmp_path), "config": str(tmp_path / "portals.toml")}
    (tmp_path / "portals.toml").write_text("[[portal]]\nname = \"x\"\nadapter = \n", encoding="utf-8")
    with pytest.raises(ConfigError):
        (nightly if flow == "nightly" else backfill)(**p, policy=FAST)
    with connect(p["db"]) as db:
        [(kind, outcome, error)] = db.execute("SELECT kind, outcome, error FROM runs").fetchall()
    assert (kind, outcome) == (flow, "failed") and "portals.toml" in error


@pytest.mark.parametrize("flow", ["nightly", "backfill"])
def test_a_run_over_a_directory_leaves_out_a_file_that_cannot_be_used_and_says_so(tmp_path, monkeypatch, flow):
    """Run by a deployment, with no command before it to check the config: the flow itself leaves the file out,
    crawls the other files' portals, and ends Completed with the file named in its warning (the run-problems
    artifact); it had ended Failed with the ConfigError, every portal uncrawled."""
    from govreports.crawl import CrawlSummary, PortalStats
    from govreports.runs import jobs

    folder = tmp_path / "portals"
    folder.mkdir()
    (folder / "a.toml").write_text(open(CONFIG, encoding="utf-8").read(), encoding="utf-8")
    (folder / "b.toml").write_text("[[portal]\n", encoding="utf-8")
    crawled = set()

    def crawl(config, portal, *args, **kwargs):
        crawled.add(portal)
        return CrawlSummary([PortalStats(portal, pages=1)])

    monkeypatch.setattr(jobs, "crawl_portal" if flow == "nightly" else "run_partition", crawl)
    flow_runs = _collected(monkeypatch, "prefect.flow_runs")
    run = nightly if flow == "nightly" else backfill
    state = run(**{**paths(tmp_path), "config": str(folder)}, policy=FAST, return_state=True,
                **({"years": "2020"} if flow == "backfill" else {}))
    assert state.is_completed()
    assert crawled == {p.name for p in jobs.load(CONFIG).portal}
    said = [r.getMessage() for r in flow_runs.records]
    [error] = [r.getMessage() for r in flow_runs.records if r.levelno == logging.ERROR]  # not INFO, as a print is
    assert error.startswith(f"{folder / 'b.toml'}: not valid TOML: ")
    assert error.endswith("; its portals are left out of this run")
    assert [m for m in said if m.startswith("warning: ")] == [
        f"warning: 1 config file(s) could not be used, so their portals were left out: {folder / 'b.toml'}"]
    # a portal named by the deployment's parameters and not found: the run's config error, not a task per portal
    # that fails as `internal` (a night "nothing could be fetched")
    crawled.clear()
    state = run(**{**paths(tmp_path), "config": str(folder)}, portals=["typo"], policy=FAST, return_state=True,
                **({"years": "2020"} if flow == "backfill" else {}))
    assert state.is_failed() and "no portal named 'typo' in the usable files" in state.message and not crawled


@pytest.mark.parametrize("error, traceback", [
    ("StorageError", False), ("RuntimeError", True),
    ("database is locked", False),  # another program's lock (exit 75): named in one line, no bug of ours
    ("no such table: reports", True)])
def test_only_our_own_errors_lose_their_traceback_and_only_while_a_command_runs_a_flow(monkeypatch, error,
                                                                                      traceback):
    import sqlite3

    from govreports import errors
    from govreports.cli.common import PREFECT_RUN_LOGGERS, named_errors_without_traceback

    exc_type = getattr(errors, error, None) or (RuntimeError if error == "RuntimeError" else sqlite3.OperationalError)
    message = error if exc_type is sqlite3.OperationalError else "the disk is full"
    for name in PREFECT_RUN_LOGGERS:
        collected = _collected(monkeypatch, name)
        for inside in (True, False):
            collected.records.clear()
            with named_errors_without_traceback() if inside else contextlib.nullcontext():
                try:
                    raise exc_type(message)
                except exc_type:
                    logging.getLogger(name).exception("Encountered exception during execution")
            [record] = collected.records
            assert (record.exc_info is not None) == (traceback or not inside), (name, inside)


def test_killed_backfill_restarts_without_loss_or_duplicates(portal, tmp_path, prefect_home):
    p = paths(tmp_path)
    env = {**os.environ, **portal.environ(), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
           "PREFECT_HOME": str(prefect_home)}
    cmd = [sys.executable, "-m", "govreports", "backfill", "--years", "2018-2024", "--config", CONFIG,
           "--db", p["db"], "--archive", p["archive"], "--no-progress"]
    # Its own process group, killed whole below: the backfill starts a temporary Prefect server as a child, and
    # killing only the parent would leave that server running (and using CPU) for the rest of the suite.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                            start_new_session=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            if os.path.exists(p["db"]):
                done = open_db(p["db"]).execute("SELECT count(*) FROM partitions WHERE status = 'done'").fetchone()[0]
                if done >= 3:
                    break
            time.sleep(0.2)
        assert proc.poll() is None, "the backfill finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    db = open_db(p["db"])
    done_before = {tuple(r) for r in db.execute("SELECT portal, year FROM partitions WHERE status = 'done'")}
    assert 3 <= len(done_before) < PARTITIONS
    result = backfill(years="2018-2024", **p, policy=FAST)
    assert not done_before & set(result["ran"])  # finishes only what is left
    assert mismatches(db, portal.ground_truth()) == []  # nothing lost, nothing duplicated
    assert len(db_records(db)) == len(portal.ground_truth())


def test_reparse_after_a_parser_change_updates_records(portal, tmp_path):
    p = paths(tmp_path)
    nightly(**p, policy=FAST)
    db = open_db(p["db"])
    first = reparse(**p)
    assert first["changed"] == 0  # same parser, same records
    # an older parser read one cell wrong: make the stored current version differ from what the parser gives
    version = db.execute("SELECT current_version_id FROM reports WHERE format = '2021' LIMIT 1").fetchone()[0]
    from govreports.store.read import get_record
    from govreports.store.load import load_record

    report_id, source = db.execute("SELECT id, source_key FROM reports WHERE current_version_id = ?",
                                   [version]).fetchone()
    old = get_record(db, report_id)
    old["applications"]["new"]["natural_person"] = (old["applications"]["new"]["natural_person"] or 0) + 1000
    load_record(db, old, source_key=source, parser_version="0")
    versions = db.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    # tonight its page answered 500, or held no report: the item failed, its report and document kept for it. A
    # re-parse passed over it (it asked only for `loaded` items) and left the report as the older parser read it
    # And a re-post's item (`duplicate`) that failed keeps its link to the other item's report: read under its own
    # URL it would load that report a second time
    reposts = db.execute("SELECT count(*) FROM items WHERE status = 'duplicate'").fetchone()[0]
    assert reposts, "the demo portal re-posts reports"
    reports = db.execute("SELECT count(*) FROM reports").fetchone()[0]
    with db.conn:
        db.execute("UPDATE items SET status = 'failed' WHERE url = ? OR status = 'duplicate'", [source])
    row = reparse(**p)
    assert row["changed"] == 1 and row["documents"] >= len(portal.ground_truth())
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == reports
    assert mismatches(db, portal.ground_truth()) == []
    # the report went back to the content it had: its first version is current again, no new version needed
    assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions
    # each re-parse has its row in `runs`, completed with its figures, and its failures carry its run id (a body
    # lost from the archive here); it had no row: a re-parse stopped midway was invisible to `status`
    lost = db.execute("SELECT d.url, d.archive_path FROM items i JOIN documents d ON d.id = i.document_id"
                      " WHERE i.status = 'loaded' LIMIT 1").fetchone()
    (tmp_path / "archive" / lost[1]).unlink()
    missing = reparse(**p)
    assert missing["missing"] == 1
    runs = db.execute("SELECT id, kind, outcome, summary_json FROM runs WHERE kind = 'reparse' ORDER BY id").fetchall()
    assert [(kind, outcome) for _, kind, outcome, _ in runs] == [("reparse", "completed")] * 3
    assert [json.loads(summary) for *_, summary in runs] == [[first], [row], [missing]]
    assert db.execute("SELECT run_id, kind FROM fetch_log WHERE url = ?", [lost[0]]).fetchall() == [
        (runs[-1][0], "archive_missing")]


def test_dask_runner_builds_the_same_database(portal, tmp_path):
    pytest.importorskip("prefect_dask")
    threads = paths(tmp_path / "threads")
    dask = paths(tmp_path / "dask")
    sites = ["demo-ordos", "demo-gbk"]  # one re-posts the other's reports; all nine took 2.4 times as long
    backfill.with_options(task_runner=task_runner("threads"))(years="2018-2024", portals=sites, **threads,
                                                             policy=FAST)
    backfill.with_options(task_runner=task_runner("dask"))(years="2018-2024", portals=sites, **dask, runner="dask",
                                                          policy=FAST)
    a, b = open_db(threads["db"]), open_db(dask["db"])
    assert mismatches(b, truth_of_sites(portal, [portal.url("/ordos/"), portal.url("/gbk/")])) == []
    # a report re-posted on two portals is loaded from whichever portal's read is written first, and the two
    # runners write concurrent portals in different orders: its provenance (where its date was read) may differ
    ra, rb = db_records(a), db_records(b)
    reposted = {r for (r,) in b.execute("SELECT DISTINCT report_id FROM items WHERE status = 'duplicate'")}
    from govreports.store.agency import normalise_agency
    from govreports.store.read import get_record

    reposted_keys = {(normalise_agency(r["agency"] or ""), r["year"]) for r in (get_record(b, i) for i in reposted)}
    assert reposted_keys, "the demo portal re-posts reports across portals"
    for records in (ra, rb):
        for key in reposted_keys & records.keys():
            assert records[key].pop("published_source") is not None
    assert ra.keys() == rb.keys()
    differ = [(key, field, ra[key].get(field), rb[key].get(field)) for key in ra
              for field in sorted(ra[key].keys() | rb[key].keys()) if ra[key].get(field) != rb[key].get(field)]
    assert not differ, [(k, f, str(x)[:200], str(y)[:200]) for k, f, x, y in differ]
    assert table_counts(a)["reports"] == table_counts(b)["reports"]


def test_deployments_schedule_and_concurrency():
    """What serve-flows serves and prefect.yaml describes: nightly at 02:30 Shanghai time, one run at a time."""
    import yaml

    from govreports.flows.deployments import deployments

    served = deployments(CONFIG, "data/x.db", "data/archive")
    nightly_dep, backfill_dep = served[:2]
    schedule = nightly_dep.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 2 * * *", "Asia/Shanghai")
    assert nightly_dep.concurrency_limit == 1
    assert nightly_dep.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    assert backfill_dep.name == "backfill" and not backfill_dep.schedules
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert by_name["nightly"]["schedules"][0] == {"cron": "30 2 * * *", "timezone": "Asia/Shanghai", "active": True}
    assert by_name["nightly"]["entrypoint"] == "flows/nightly.py:nightly"
    assert {"nightly", "backfill", "reparse"} <= set(by_name)
    # the two ways of deploying agree: serve-flows served no reparse, and cancelled a backfill asked for while
    # another ran (CANCEL_NEW) where prefect.yaml queued it (ENQUEUE): a backfill is asked for by someone, with
    # its own years, and the partitions table makes a later run do only what is left; a night that overlaps the
    # last one is dropped, the next night catches up
    assert {d.name: d.concurrency_options.collision_strategy.value for d in served} == {
        name: d["concurrency_limit"]["collision_strategy"] for name, d in by_name.items()} == {
        "nightly": "CANCEL_NEW", "backfill": "ENQUEUE", "reparse": "ENQUEUE"}
    assert all(d.concurrency_limit == 1 for d in served)


def test_the_cli_s_early_crawls_are_what_the_tasks_return(portal, tmp_path, monkeypatch):
    """`govreports nightly` starts the portals' crawls before Prefect is up (flows.early); the flow's tasks take
    them over and crawl nothing themselves: the same database and summary. Outside that block, or with other
    arguments than the early crawls' (a policy), each task crawls its portal itself."""
    from govreports.clock import now_iso
    from govreports.crawl import recorded_run
    from govreports.flows import early
    from govreports.flows import nightly as module

    p = paths(tmp_path)
    crawled_by_task: list[str] = []
    real = module.jobs.crawl_portal
    monkeypatch.setattr(module.jobs, "crawl_portal",
                        lambda config, name, *a, **k: crawled_by_task.append(name) or real(config, name, *a, **k))
    names = [c.name for c in module.jobs.load(CONFIG).portal]
    # as the CLI does: the run begun first, its crawls started for it, the flow taking both over
    with recorded_run(p["db"], "nightly", now_iso()) as run_id, \
            early.early_crawls(p["config"], names, p["db"], p["archive"], "threads", run_id):
        rows = nightly(**p)
    assert crawled_by_task == []
    assert open_db(p["db"]).execute("SELECT id, outcome FROM runs").fetchall() == [(run_id, "completed")]
    db = open_db(p["db"])
    assert mismatches(db, portal.ground_truth()) == []
    assert sum(r["new"] for r in rows) == len(portal.ground_truth())
    assert sorted(r["portal"] for r in rows) == sorted(names)
    with early.early_crawls(p["config"], names, p["db"], p["archive"], "threads"):
        again = nightly(**p, policy=FAST)  # not what the early crawls were started with: crawled again
    assert sorted(crawled_by_task) == sorted(names)
    assert sum(r["new"] + r["changed"] for r in again) == 0


def test_an_early_crawl_that_raised_raises_in_its_task(tmp_path):
    """A portal crawl that failed in the worker process fails the task that takes it (which Prefect then retries
    with a crawl of its own); each crawl is taken once."""
    from govreports.flows import early
    from govreports.portals.config import ConfigError

    p = paths(tmp_path)
    with early.early_crawls(p["config"], ["no-such-portal"], p["db"], p["archive"], "threads") as crawls:
        args = early.CrawlArgs(p["config"], "no-such-portal", p["db"], p["archive"], False,
                               crawls.mode.parse_workers, ())
        with pytest.raises(ConfigError):
            early.take(args)
        assert early.take(args) is None
    assert early.take(args) is None  # and none outside the block


def test_an_early_crawl_worker_ends_when_its_cli_is_killed(tmp_path):
    """The early crawls' worker must not outlive a killed `govreports nightly` (which held the writer lock)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pidfile = tmp_path / "worker.pid"
    script = f"""
import multiprocessing, os, time
from concurrent.futures import ProcessPoolExecutor
from govreports.flows import early

def work(path):
    early._exit_with_parent(os.getppid(), every=0.05)
    open(path, "w").write(str(os.getpid()))
    time.sleep(60)

if __name__ == "__main__":
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(work, {str(pidfile)!r})
    time.sleep(60)
"""
    path = tmp_path / "cli.py"  # a file: spawn re-imports the main module to find `work`
    path.write_text(script, encoding="utf-8")
    cli = subprocess.Popen([sys.executable, str(path)])
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pidfile.read_text())
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the worker outlived its parent")
