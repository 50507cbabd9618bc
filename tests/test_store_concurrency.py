"""WAL + busy timeout: a reader during a write works, two writers at once both succeed."""

from __future__ import annotations

import multiprocessing
import time

from govreports.query import connect_readonly
from govreports.store import connect, load_record, open_db, write_transaction
from govreports.demo.records import make_record


def _writer(path: str, prefix: str, n: int, barrier) -> None:
    with connect(path) as db:
        barrier.wait()
        for i in range(n):
            load_record(db, make_record(0, f"{prefix}{i}局", 2020 + i % 3, checks=True))


def test_two_writer_processes_both_succeed(tmp_path):
    path = str(tmp_path / "w.db")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(path, prefix, 25, barrier)) for prefix in ("甲市第", "乙市第")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    db = open_db(path)
    assert db["reports"].count == 50 and db["agencies"].count == 50
    assert db.execute("SELECT count(DISTINCT version_id) FROM cells").fetchone()[0] == 50
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reader_during_write_sees_a_consistent_snapshot(tmp_path):
    path = tmp_path / "r.db"
    writer = open_db(path)
    load_record(writer, make_record(0, "甲局", 2020, checks=True))
    reader = connect_readonly(path)
    reader.execute("BEGIN")  # one read transaction = one snapshot
    assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
    with write_transaction(writer):
        load_record(writer, make_record(0, "乙局", 2020, checks=True))  # nested: part of this open write transaction
        t0 = time.perf_counter()
        during = reader.execute("SELECT count(*), (SELECT count(*) FROM cells) FROM reports").fetchone()
        assert time.perf_counter() - t0 < 1.0  # not blocked by the writer
        assert during == (1, 199)
    assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 1  # still the same snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*), (SELECT count(*) FROM cells) FROM reports").fetchone() == (2, 398)


def test_failed_load_rolls_back_the_whole_report(tmp_path):
    db = open_db(tmp_path / "x.db")
    bad = make_record(0, "丙局", 2021, checks=True)
    bad["checks"] = [{"rule": "R1", "where": "x", "ok": True, "detail": object()}]  # cannot be stored
    try:
        load_record(db, bad)
    except Exception:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected the load to fail")
    assert [db[t].count for t in ("agencies", "reports", "report_versions", "cells", "sections")] == [0, 0, 0, 0, 0]


def test_opening_a_new_file_while_another_connection_holds_a_lock_waits(tmp_path):
    """Switching a new file to WAL fails at once, busy timeout or not, while another connection holds a lock: two
    processes opening the same new database together crashed one of them. open_db waits for the lock instead."""
    import sqlite3
    import threading

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        t0 = time.perf_counter()
        db = open_db(path)
        waited = time.perf_counter() - t0
    finally:
        release.join()
        holder.close()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert waited >= 0.4  # it did wait for the other connection's commit
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 0  # and migrated the file


def test_cannot_write_tells_a_full_or_unwritable_database_from_a_busy_one_or_a_bad_statement(tmp_path):
    """StorageError (exit 74) is for SQLite's own "the file cannot be written" codes, read from the error (not its
    wording); a busy database (exit 75) and a statement's own error stay what they are."""
    import sqlite3

    from govreports.store.db import cannot_write

    def error_of(conn, sql):
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            return exc
        raise AssertionError(f"{sql} did not fail")

    small = sqlite3.connect(":memory:")
    small.execute("PRAGMA max_page_count = 2")
    small.execute("CREATE TABLE t (x)")
    full = error_of(small, "INSERT INTO t VALUES (zeroblob(100000))")
    path = tmp_path / "b.db"
    holder, waiter = sqlite3.connect(path), sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.execute("BEGIN IMMEDIATE")
    busy = error_of(waiter, "BEGIN IMMEDIATE")
    holder.rollback()
    readonly = error_of(sqlite3.connect(f"file:{path}?mode=ro", uri=True), "INSERT INTO t VALUES (1)")
    assert [full.sqlite_errorname, busy.sqlite_errorname] == ["SQLITE_FULL", "SQLITE_BUSY"]
    assert cannot_write(full) and cannot_write(readonly) and cannot_write(OSError(28, "No space left on device"))
    assert not cannot_write(busy) and not cannot_write(error_of(small, "SELECT * FROM nowhere"))
    assert not cannot_write(ValueError("not storage"))


def test_a_writer_closing_while_another_writes_leaves_the_statistics_to_the_next(tmp_path):
    """The `PRAGMA optimize` a connection that wrote runs as it closes (store.db.optimize) needs the write lock for
    its ANALYZE: while another writer holds it (a portal's crawl beside this one's, in the same run) it gives up at
    once, instead of waiting the busy timeout (30 s) for statistics; the next writer to close counts them."""
    import sqlite3

    path = tmp_path / "w.db"
    with connect(path) as db:
        load_record(db, make_record(0, "甲市第1局", 2020))
        other = sqlite3.connect(path)
        other.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
    assert time.monotonic() - began < 5
    other.rollback()
    assert other.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").fetchone() is None
    other.close()
    with connect(path) as db:
        load_record(db, make_record(0, "甲市第2局", 2020))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'reports'").fetchone()[0] > 0
