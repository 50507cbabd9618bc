"""One writer per database: a second writer waits, then exits 75 naming the holder; a killed holder's lock is
taken over; two writers that wait for each other both finish with nothing lost or duplicated."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from crawlhelp import db_records, mismatches
from crawlhelp import run_cli as govreports
from govreports.demo import DemoPortal
from govreports.store.db import open_db
from govreports.store.lock import EXIT_BUSY, DatabaseBusy, lock_path, read_holder, writer_lock
from lockhelp import lock_held_elsewhere

CONFIG = str(ROOT / "config" / "demo.toml")


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=0).start(port=0)
    yield p
    p.stop()


def test_second_writer_waits_then_names_the_holder(tmp_path):
    db = tmp_path / "r.db"
    with lock_held_elsewhere(db) as holder:
        start = time.monotonic()
        with pytest.raises(DatabaseBusy) as caught:
            with writer_lock(db, wait=0.6, command="test"):
                pass
        assert time.monotonic() - start >= 0.6  # it waited before giving up
        assert caught.value.holder.pid == holder.pid and caught.value.holder.command == "holder"
        assert f"pid {holder.pid}, started " in str(caught.value) and "holds the database" in str(caught.value)
    # the holder died without releasing anything by hand: the kernel dropped its flock, the lock is free again
    with writer_lock(db, wait=0, command="test"):
        assert read_holder(lock_path(db)).pid == os.getpid()


def test_waiting_writer_gets_the_lock_when_the_holder_finishes(tmp_path):
    db = tmp_path / "r.db"
    with writer_lock(db, command="first"):
        waiter = subprocess.Popen([sys.executable, "-c", "import sys\nfrom govreports.store.lock import writer_lock\n"
                                   "with writer_lock(sys.argv[1], wait=30):\n    print('got it', flush=True)\n",
                                   str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        time.sleep(0.8)
        assert waiter.poll() is None  # still waiting for us
    out, _ = waiter.communicate(timeout=30)
    assert waiter.returncode == 0 and out.strip() == "got it"


def test_reentrant_in_the_holding_process(tmp_path):
    """The CLI holds the lock around the flow it runs, and the flow takes it again: that must not wait."""
    db = tmp_path / "r.db"
    with writer_lock(db, command="cli"):
        start = time.monotonic()
        with writer_lock(db, wait=5, command="flow"):
            assert time.monotonic() - start < 1
            assert read_holder(lock_path(db)).command == "cli"


def test_busy_database_exits_75_with_one_line(tmp_path, portal):
    db = tmp_path / "r.db"
    open_db(db).close()  # (a re-parse of no database says so before it asks for the lock)
    with lock_held_elsewhere(db) as holder:
        for command in (["crawl", "--config", CONFIG, "--no-progress"], ["load", str(ROOT / "README.md")],
                        ["reparse", "--config", CONFIG], ["nightly", "--config", CONFIG],
                        ["backfill", "--config", CONFIG, "--years", "2020", "--no-progress"]):
            done = govreports(*command, "--db", str(db), "--wait", "0.5", portal=portal)
            assert done.returncode == EXIT_BUSY, (command, done.stderr)
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: another run (holder pid ")
            assert f"pid {holder.pid}" in lines[0] and "Traceback" not in done.stderr
    assert not (db.exists() and open_db(db).execute("SELECT count(*) FROM reports").fetchone()[0])
    assert not (tmp_path / "prefect").exists()  # no flow command started Prefect's server before asking for the lock


def test_two_crawls_at_once_both_finish_without_duplicates(tmp_path, portal):
    db = tmp_path / "r.db"
    args = ("crawl", "--config", CONFIG, "--no-progress", "--db", str(db), "--archive", str(tmp_path / "a"),
            "--wait", "300")
    results: list[subprocess.CompletedProcess] = []
    threads = [threading.Thread(target=lambda: results.append(govreports(*args, portal=portal))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    database = open_db(db)
    assert mismatches(database, portal.ground_truth()) == []
    assert len(db_records(database)) == len(portal.ground_truth())
    runs = database.execute("SELECT started_at, finished_at FROM runs ORDER BY id").fetchall()
    assert len(runs) == 2 and runs[1][0] >= runs[0][1]  # one after the other, never interleaved


def test_a_holder_with_our_pid_is_still_another_writer(tmp_path):
    """Two containers sharing data/ can both run as pid 1: the pid in the lock file must not let us in."""
    import json

    db = tmp_path / "r.db"
    with lock_held_elsewhere(db):
        lock_path(db).write_text(json.dumps({"pid": os.getpid(), "command": "other container"}))
        with pytest.raises(DatabaseBusy):
            with writer_lock(db, wait=0.5, command="test"):
                pass


def test_serve_migrates_only_under_the_writer_lock(tmp_path, monkeypatch, capsys):
    """`serve` brought an older database up to date before opening it, without the writer lock: under a run
    holding it (a nightly of the version before an upgrade) the migration's long write went in between the
    run's batches (measured: migrated 24 -> 25 with the lock held by another process). It now migrates under the
    lock, waiting `--wait` seconds for it (exit 75 naming the holder, nothing migrated); a database already up
    to date is served at once, as a reader never waits."""
    from sqlite_utils import Database

    import govreports.serve
    from govreports.cli import main
    from govreports.store.migrations import latest_version, migrations

    served = []
    monkeypatch.setattr(govreports.serve, "run", lambda db, **kwargs: served.append(db) or 0)
    db = tmp_path / "old.db"
    old = Database(db)
    migrations.apply(old, stop_before="m025_years_due_by_their_deadline")
    old.close()

    def version():
        return len(migrations.applied(Database(db)))

    def serve(wait):
        monkeypatch.setattr(sys, "argv", ["govreports", "serve", "--db", str(db), "--wait", str(wait)])
        with pytest.raises(SystemExit) as ended:
            main()
        return ended.value.code, capsys.readouterr().err

    before = version()
    with lock_held_elsewhere(db):
        code, err = serve(0.5)
        assert code == EXIT_BUSY, err
        assert "holds the database" in err and "serve brings the database's schema up to date" in err
        assert version() == before < latest_version() and served == []
    assert serve(0.5)[0] == 0
    assert version() == latest_version() and [str(p) for p in served] == [str(db)]
    with lock_held_elsewhere(db):  # up to date: served without waiting for the writer
        start = time.monotonic()
        assert serve(30)[0] == 0 and time.monotonic() - start < 10
