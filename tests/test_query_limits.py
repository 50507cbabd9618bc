"""Queries that end: the time limit (progress handler), streamed output, --limit, the SQLite heap limit, Ctrl-C."""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
import signal
import sqlite3
import threading
import time

import pytest
from typer.testing import CliRunner

from govreports.query import (DEFAULT_TIMEOUT_S, QueryError, QueryTimeout, heap_limit, open_query, render,
                              run_analysis, run_query)
from storehelp import cli_app, known_db_path

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c)"
# ~200 MB of SQLite heap for one string: a runaway aggregate the heap limit must stop
BIG_CONCAT = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 100000)"
              " SELECT length(group_concat(hex(randomblob(1000)))) FROM c")


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return known_db_path(tmp_path_factory.mktemp("limits"))


def query(path, *args):
    started = time.monotonic()
    result = CliRunner().invoke(cli_app(), ["query", *args, "--db", str(path)])
    return result, time.monotonic() - started


def test_endless_query_stops_with_one_line_error(path):
    result, took = query(path, f"{ENDLESS} SELECT count(*) FROM c", "--timeout", "1")
    assert result.exit_code == 1
    assert result.stderr == "error: query stopped after 1 s (--timeout)\n"
    assert result.stdout == ""
    assert took < 10


def test_run_query_and_analyses_have_the_default_time_limit(path):
    assert DEFAULT_TIMEOUT_S == 10
    assert inspect.signature(run_query).parameters["timeout"].default == DEFAULT_TIMEOUT_S
    assert inspect.signature(run_analysis).parameters["timeout"].default == DEFAULT_TIMEOUT_S
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"stopped after 0.5 s"):
        run_query(path, f"{ENDLESS} SELECT count(*) FROM c", timeout=0.5)
    assert time.monotonic() - started < 10
    # the connection was left usable state-wise: the next query on the same file runs normally
    assert run_query(path, "SELECT count(*) FROM reports").rows == [(4,)]


def test_rows_are_streamed_before_the_time_limit_stops_an_endless_result(path):
    result, took = query(path, f"{ENDLESS} SELECT x FROM c", "--timeout", "1", "-f", "csv")
    assert result.exit_code == 1 and "query stopped after 1 s" in result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["x"] and rows[1:4] == [["1"], ["2"], ["3"]]
    assert len(rows) > 1000  # printed as produced: collecting the rows first would have printed none
    assert took < 10


def test_limit_ends_an_endless_result_in_every_format(path):
    result, _ = query(path, f"{ENDLESS} SELECT x, x * 2 AS y FROM c", "--limit", "3", "-f", "csv")
    assert result.exit_code == 0 and result.stdout == "x,y\n1,2\n2,4\n3,6\n"
    result, _ = query(path, f"{ENDLESS} SELECT x, x * 2 AS y FROM c", "--limit", "2", "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == [{"x": 1, "y": 2}, {"x": 2, "y": 4}]
    result, _ = query(path, f"{ENDLESS} SELECT x FROM c", "--limit", "4")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("4 rows (stopped at --limit 4)")
    result, _ = query(path, "SELECT 1", "--limit", "0")
    assert result.exit_code == 2


def test_a_result_of_exactly_limit_rows_is_not_said_to_be_cut_short(path):
    """`query "SELECT name FROM agencies" --limit 3` of 3 agencies ended "3 rows (stopped at --limit 3)", which
    reads as more rows left unprinted: a result is said to be stopped only when a row past the limit exists."""
    result, _ = query(path, "SELECT name FROM agencies", "--limit", "3")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("3 rows"), result.stdout
    result, _ = query(path, "SELECT name FROM agencies", "--limit", "2")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("2 rows (stopped at --limit 2)")


def test_streamed_json_is_what_a_whole_dump_gives():
    columns, rows = ["agency", "n", "note"], [("甲市教育局", 1, None), ("乙县", 2, 'a "quoted"\nline')]
    out = io.StringIO()
    assert render(columns, iter(rows), "json", out) == 2
    expected = json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, indent=2) + "\n"
    assert out.getvalue() == expected
    out = io.StringIO()
    render(columns, iter([]), "json", out)
    assert out.getvalue() == "[]\n"


def test_table_prints_in_batches_and_keeps_rows_read_before_an_error():
    pulled = []

    def rows():
        for i in range(1, 8):
            pulled.append(i)
            yield (i, f"r{i}")
        raise QueryTimeout(1)

    class Out(io.StringIO):
        def write(self, text):
            writes.append(len(pulled))  # how many rows had been read when output was written
            return super().write(text)

    writes: list[int] = []
    out = Out()
    with pytest.raises(QueryTimeout):
        render(["n", "name"], rows(), "table", out, batch=3)
    text = out.getvalue()
    assert all(f"r{i}" in text for i in range(1, 8))  # 3 + 3 printed in batches, the last 1 before the error
    assert text.count("name") == 3  # three tables, each with its header
    assert writes[0] <= 4  # the first table went out before the rest of the rows were read


def test_time_blocked_writing_output_does_not_count(path):
    # real SQLite work before each row, a few milliseconds of it in all: with 4 times as much and a limit of 0.4 s,
    # a loaded machine's scheduler stretched the time not spent writing past the limit
    sql = f"{ENDLESS} SELECT x FROM c WHERE x % 5000 = 0 LIMIT 4"

    class SlowPipe(io.StringIO):
        def write(self, text):
            time.sleep(0.15)  # a pager that lets the writer wait
            return super().write(text)

    with open_query(path, sql, timeout=0.4, batch=1) as stream:
        render(stream.columns, stream, "csv", stream.writer(SlowPipe()))  # 5 writes: 0.75 s blocked, not counted
        assert stream.count == 4
    with open_query(path, sql, timeout=0.4, batch=1) as stream, pytest.raises(QueryTimeout):
        render(stream.columns, stream, "csv", SlowPipe())  # the same time counts when not spent writing


def test_heap_limit_stops_a_runaway_aggregate_and_is_lifted_afterwards(path):
    probe = sqlite3.connect(":memory:")
    before = probe.execute("PRAGMA hard_heap_limit").fetchone()[0]
    result, _ = query(path, BIG_CONCAT, "--max-memory", "64")
    assert result.exit_code == 1 and "out of memory" in result.stderr and "--max-memory" in result.stderr
    assert probe.execute("PRAGMA hard_heap_limit").fetchone()[0] == before  # process-wide cap restored
    small = BIG_CONCAT.replace("LIMIT 100000", "LIMIT 5000")  # 10 MB: fits under the same cap
    result, _ = query(path, small, "--max-memory", "64", "-f", "csv")
    assert result.exit_code == 0 and result.stdout == "length(group_concat(hex(randomblob(1000))))\n10004999\n"
    with heap_limit(32 * 2**20):
        assert probe.execute("PRAGMA hard_heap_limit").fetchone()[0] == 32 * 2**20
    assert probe.execute("PRAGMA hard_heap_limit").fetchone()[0] == before
    probe.close()


def test_ctrl_c_stops_a_running_query(path):
    """Python runs signal handlers only between bytecodes: the progress handler is what lets Ctrl-C in."""
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_query(path, f"{ENDLESS} SELECT count(*) FROM c", timeout=8)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 6


def test_analyze_and_search_take_a_timeout(path):
    runner = CliRunner()
    result = runner.invoke(cli_app(), ["analyze", "applications", "--db", str(path), "--timeout", "5", "-f", "csv"])
    assert result.exit_code == 0 and "甲市教育局" in result.stdout
    result = runner.invoke(cli_app(), ["search", "信息公开", "--db", str(path), "--timeout", "5", "-f", "csv"])
    assert result.exit_code == 0 and "甲市教育局" in result.stdout
    result = runner.invoke(cli_app(), ["analyze", "applications", "--db", str(path), "--timeout", "-1"])
    assert result.exit_code == 2


def test_sql_errors_raise_before_any_output(path):
    out = io.StringIO()
    with pytest.raises(QueryError, match="no such table"):
        with open_query(path, "SELECT * FROM nope") as stream:
            render(stream.columns, stream, "csv", out)
    assert out.getvalue() == ""
