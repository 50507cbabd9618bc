"""`govreports query`: read-only by SQLite's own enforcement, clear refusals, three output formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from govreports.store.migrations import latest_version
from govreports.query import QueryError, ReadOnlyError, run_query
from storehelp import cli_app, known_db_path

WRITES = [
    "INSERT INTO agencies (name, norm_name) VALUES ('x', 'x')",
    "UPDATE reports SET year = 1999",
    "DELETE FROM cells",
    "DROP TABLE cells",
    "CREATE TABLE t (a)",
    "PRAGMA query_only = OFF",
    "PRAGMA user_version = 7",
    "ATTACH DATABASE ':memory:' AS other",
    "VACUUM",
    "WITH x AS (SELECT 1) DELETE FROM checks",
    "REPLACE INTO labels VALUES ('a', 'b', 'c', 'd', 1)",
]


@pytest.fixture
def path(tmp_path):
    return known_db_path(tmp_path)


@pytest.mark.parametrize("sql", WRITES)
def test_write_statements_are_refused_and_change_nothing(path, sql):
    before = run_query(path, "SELECT (SELECT count(*) FROM cells), (SELECT count(*) FROM reports),"
                             " (SELECT group_concat(year) FROM reports)").rows
    with pytest.raises(ReadOnlyError, match="read-only"):
        run_query(path, sql)
    after = run_query(path, "SELECT (SELECT count(*) FROM cells), (SELECT count(*) FROM reports),"
                            " (SELECT group_concat(year) FROM reports)").rows
    assert after == before
    assert run_query(path, "PRAGMA user_version").rows == [(latest_version(),)]


def test_reads_work_including_views_fts_and_pragmas(path):
    assert run_query(path, "SELECT count(*) FROM reports").rows == [(4,)]
    assert run_query(path, "SELECT total FROM applications_wide WHERE row_key = 'new' ORDER BY total").rows == [
        (5,), (7,), (12,), (18,)]
    assert run_query(path, "SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"信息公开\"'").rows == [(3,)]
    assert run_query(path, "SELECT year FROM reports WHERE year = :y", {"y": 2021}).rows == [(2021,), (2021,)]
    assert run_query(path, "PRAGMA table_info(agencies)").columns[1] == "name"


def test_bad_sql_and_missing_database_are_clear_errors(path, tmp_path):
    with pytest.raises(QueryError, match="SQL error: no such table"):
        run_query(path, "SELECT * FROM nope")
    with pytest.raises(QueryError, match="one statement"):
        run_query(path, "SELECT 1; SELECT 2")
    with pytest.raises(QueryError, match="no database"):
        run_query(tmp_path / "missing.db", "SELECT 1")
    assert not (tmp_path / "missing.db").exists()


def test_cli_query_refuses_writes_with_exit_1(path):
    result = CliRunner().invoke(cli_app(), ["query", "DELETE FROM cells", "--db", str(path)])
    assert result.exit_code == 1
    assert "refused" in result.stderr and "read-only" in result.stderr
    assert run_query(path, "SELECT count(*) > 0 FROM cells").rows == [(1,)]


def test_cli_query_formats(path):
    sql = "SELECT a.name AS agency, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY r.id"
    runner = CliRunner()
    as_json = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)[0] == {"agency": "甲市教育局", "year": 2020}
    as_csv = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "csv"])
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["agency", "year"] and rows[3] == ["乙县财政局", "2020"] and len(rows) == 5
    table = runner.invoke(cli_app(), ["query", sql, "--db", str(path)])
    assert table.exit_code == 0 and "丙区卫生健康委员会" in table.stdout and "4 rows" in table.stdout
    bad = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "xml"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("command", [["query", "SELECT name FROM agencies"], ["search", "公开", "--year", "2021"],
                                     ["analyze", "compliance", "--year", "2021"], ["status"], ["report", "某局"],
                                     ["chart", "applications", "--province", "江苏"], ["export", "--all"]])
def test_an_empty_file_or_another_program_s_database_is_named_not_a_traceback(tmp_path, command):
    """A database file opened and never written (0 bytes), or another program's: each command failed on its first
    table, with a traceback or "no such table"."""
    import sqlite3

    from govreports.cli import app

    empty, other = tmp_path / "empty.db", tmp_path / "other.db"
    empty.touch()
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    for path in (empty, other):
        out = CliRunner().invoke(app, [*command, "--db", str(path)])
        assert out.exit_code == 1 and out.stderr == (
            f"error: {path} holds no govreports tables (an empty file, or another program's database): create it "
            "with `govreports load` or a crawl\n"), out.output


@pytest.fixture
def read_only_disk(path, monkeypatch):
    """The database's folder on a read-only file system (a `:ro` volume, a read-only share): SQLite cannot create
    the -shm file a WAL database is read through, and its read-only open fails with SQLITE_CANTOPEN. Root writes
    anywhere and tests cannot mount, so statvfs says read-only and SQLite's open fails as it does there (measured
    on a read-only bind mount: 'unable to open database file'); an immutable open is SQLite's own."""
    import os
    import sqlite3

    from govreports.query import readonly

    folder = str(path.resolve().parent)
    counted = run_query(path, "SELECT count(*) FROM reports").rows[0][0]  # read before the disk is read-only
    real_statvfs, real_connect = os.statvfs, sqlite3.connect

    class _Flags:
        def __init__(self, result):
            self.result = result

        def __getattr__(self, name):
            value = getattr(self.result, name)
            return value | os.ST_RDONLY if name == "f_flag" else value

    def statvfs(where):
        found = real_statvfs(where)
        return _Flags(found) if os.fspath(where).rstrip("/") == folder else found

    def connect(database, *args, **kwargs):
        if folder in str(database) and "immutable=1" not in str(database):
            error = sqlite3.OperationalError("unable to open database file")
            error.sqlite_errorname = "SQLITE_CANTOPEN"

            class Refusing:
                def execute(self, *a, **k):
                    raise error

                def close(self):
                    pass
            return Refusing()
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(os, "statvfs", statvfs)
    monkeypatch.setattr(readonly.sqlite3, "connect", connect)
    return path, counted


def test_a_database_on_a_read_only_file_system_is_read(read_only_disk):
    """`query`, `search`, `status`, `analyze`, `report` and `export` on a database whose folder is on a read-only
    file system all ended 'error: could not write the database: unable to open database file; what was committed
    before stays', exit 74: a reader that writes nothing, told a write failed, and nothing could be read. On a
    read-only file system nobody writes the file, so it is read as immutable (without the -shm file); a write is
    still refused."""
    path, counted = read_only_disk
    out = CliRunner().invoke(cli_app(), ["query", "SELECT count(*) AS n FROM reports", "--db", str(path),
                                         "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == ["n", str(counted)] and counted > 0
    with pytest.raises(ReadOnlyError):
        run_query(path, "DELETE FROM cells")


def test_a_write_ahead_log_left_on_a_read_only_disk_is_not_read_past(read_only_disk):
    """A -wal with content beside it (a copy taken while a writer ran) holds commits an immutable read would not
    see: that database is not read immutable, and the command fails as before rather than answer from stale
    pages."""
    path, _ = read_only_disk
    path.with_name(path.name + "-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    out = CliRunner().invoke(cli_app(), ["query", "SELECT count(*) FROM reports", "--db", str(path)])
    assert out.exit_code != 0 and not out.stdout


def test_table_output_prints_brackets_in_the_data_as_written(path):
    """The table format handed each cell to rich as markup: a title ending '[pdf]' printed without it, '[bold]x'
    printed 'x', and a value or column name holding '[/x]' ended the command with rich's MarkupError traceback.
    Text from portals (titles, names, section text) and from the user's SQL is shown as it is."""
    sql = "SELECT '年度报告[pdf]' AS \"a[/b]\", '[bold]x[/bold]' AS b, '[/red]' AS c"
    out = CliRunner().invoke(cli_app(), ["query", sql, "--db", str(path)])
    assert out.exit_code == 0, out.stderr
    for text in ("年度报告[pdf]", "a[/b]", "[bold]x[/bold]", "[/red]"):
        assert text in out.stdout, text


def test_blobs_are_printed_as_hex_in_every_format(path):
    """`query "SELECT block FROM sections_fts_data" -f json` (or randomblob, zeroblob) ended with a TypeError
    traceback, bytes not being JSON; CSV printed Python's b'\\x00\\xff'. A blob is its hex digits in each format,
    as the xlsx export writes it."""
    sql = "SELECT x'00ff' AS b, NULL AS n, 1 AS i"
    runner = CliRunner()
    as_json = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == [{"b": "00ff", "n": None, "i": 1}]
    as_csv = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "csv"])
    assert as_csv.exit_code == 0 and as_csv.stdout.splitlines() == ["b,n,i", "00ff,,1"]
    table = runner.invoke(cli_app(), ["query", sql, "--db", str(path)])
    assert table.exit_code == 0 and "00ff" in table.stdout


def _strict_json(text: str):
    """The text read as JSON is: Python's json.loads takes Infinity and NaN, which no JSON parser need."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_holds_no_infinity_or_nan(path):
    """`query "SELECT 1e999" -f json` printed `Infinity` (and -1e999 `-Infinity`), which is no JSON: jq, a browser's
    JSON.parse and most parsers refuse the whole document. A number JSON cannot hold is null, as JSON.stringify
    writes it (the export: test_exports)."""
    sql = "SELECT 1e999 AS big, -1e999 AS small, 1.5 AS x"
    out = CliRunner().invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "json"])
    assert out.exit_code == 0 and _strict_json(out.stdout) == [{"big": None, "small": None, "x": 1.5}], out.output


def test_json_refuses_a_result_whose_columns_share_a_name(path):
    """`query "SELECT r.id, a.id FROM reports r JOIN agencies a …" -f json` (any `SELECT *` over a join) printed
    one "id" per row, holding the agency's id: a JSON object keeps one value per name, so the report's id was
    dropped, nothing said. JSON now refuses such a result before any row, naming the columns; CSV and the table
    keep both columns, as before."""
    sql = "SELECT r.id, a.id, a.name, a.name FROM reports r JOIN agencies a ON a.id = r.agency_id"
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "json"])
    assert out.exit_code == 1 and out.stdout == "", out.output
    assert "id, name" in out.stderr and "AS" in out.stderr
    as_csv = runner.invoke(cli_app(), ["query", sql, "--db", str(path), "-f", "csv"])
    assert as_csv.exit_code == 0 and as_csv.stdout.splitlines()[0] == "id,id,name,name"
