"""`govreports export`: tables and views as CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from storehelp import cli_app, known_db_path


@pytest.fixture
def path(tmp_path):
    return known_db_path(tmp_path)


def test_export_jsonl_and_csv(path, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["export", "--table", "agencies", "--format", "jsonl", "--db", str(path)])
    assert out.exit_code == 0
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["name"] for r in lines] == ["甲市教育局", "乙县财政局", "丙区卫生健康委员会"]
    target = tmp_path / "cells.csv"
    out = runner.invoke(cli_app(), ["export", "-t", "cells", "-f", "csv", "--db", str(path), "-o", str(target)])
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 2 * 199 + 2 * 200 and "value" in rows[0]


def test_exported_cells_say_which_rows_are_the_reports_current_version(path):
    """`export -t cells --agency A --year 2020` (the README's example) gave the cells of every version of an edited
    report with nothing telling them apart: a sum over the export counted the superseded version too (12 + 20).
    A `current` column beside version_id says which rows the analyses read; sections, row totals and checks too."""
    import copy

    from govreports.store import connect, load_record
    from storehelp import KNOWN

    edited = copy.deepcopy(KNOWN[0])
    edited["applications"]["new"]["total"] = 20
    with connect(path) as db:
        assert load_record(db, edited).status == "changed"
    out = CliRunner().invoke(cli_app(), ["export", "-t", "cells", "--agency", "甲市教育局", "--year", "2020", "-f",
                                         "csv", "--db", str(path)])
    assert out.exit_code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0])[:3] == ["version_id", "current", "report_id"]
    from govreports.query.columns import label

    assert label("cells", "current") == "现行版本"  # --headers zh
    new = [(r["current"], r["value"]) for r in rows if (r["table_name"], r["row_key"], r["col_key"])
           == ("applications", "new", "total")]
    assert sorted(new) == [("0", "12"), ("1", "20")]
    for table in ("sections", "row_totals", "checks"):
        out = CliRunner().invoke(cli_app(), ["export", "-t", table, "--agency", "甲市教育局", "--year", "2020", "-f",
                                             "jsonl", "--db", str(path)])
        assert out.exit_code == 0, (table, out.stderr)
        assert {json.loads(line)["current"] for line in out.stdout.splitlines()} == {0, 1}, table


def test_exports_of_the_per_version_tables_say_which_version_is_current(path):
    """cell_values and check_values (the tables under the cells and checks views) and report_versions hold a row
    per version too, but their exports carried no `current`: `export -t cell_values` of an edited report gave both
    versions' cells alike (and refused --agency / --year, having no report to filter by). Each now says which
    rows are the report's current version, as the views' exports do, with the agency and year beside it."""
    import copy

    from govreports.store import connect, load_record
    from storehelp import KNOWN

    edited = copy.deepcopy(KNOWN[0])
    edited["applications"]["new"]["total"] = 20
    with connect(path) as db:
        assert load_record(db, edited).status == "changed"
        current = db.execute("SELECT current_version_id FROM reports r JOIN agencies a ON a.id = r.agency_id"
                             " WHERE a.name = '甲市教育局' AND r.year = 2020").fetchone()[0]
    for table, key in (("cell_values", "version_id"), ("check_values", "version_id"), ("report_versions", "id")):
        out = CliRunner().invoke(cli_app(), ["export", "-t", table, "--agency", "甲市教育局", "--year", "2020", "-f",
                                             "csv", "--db", str(path)])
        assert out.exit_code == 0, (table, out.stderr)
        rows = list(csv.DictReader(io.StringIO(out.stdout)))
        columns = list(rows[0])
        assert columns[columns.index(key) + 1] == "current", (table, columns)
        assert {(r[key] == str(current), r["current"]) for r in rows} == {(True, "1"), (False, "0")}, table
        assert {(r["agency"], r["year"]) for r in rows} == {("甲市教育局", "2020")}, table


def test_blobs_are_exported_as_hex(path):
    """No table the loader writes holds a blob, but `export` offers every table in the file, one added by hand or
    by another tool too, and a column of any affinity keeps a blob as a blob: `export -t T -f jsonl` ended with a
    TypeError traceback (bytes are not JSON) and `-f csv` wrote Python's b'\\x00\\xff'. A blob is its hex digits,
    as `query` prints it and the xlsx export writes it."""
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, data, label TEXT)")
        conn.execute("INSERT INTO notes VALUES (1, x'00ff', x'0a0b'), (2, 'text', NULL)")
    conn.close()
    runner = CliRunner()
    out = runner.invoke(cli_app(), ["export", "-t", "notes", "-f", "jsonl", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {"id": 1, "data": "00ff", "label": "0a0b"}, {"id": 2, "data": "text", "label": None}]
    for extra in ([], ["--excel"]):
        out = runner.invoke(cli_app(), ["export", "-t", "notes", "-f", "csv", "--db", str(path), *extra])
        assert out.exit_code == 0, out.output
        assert out.stdout.lstrip("\ufeff").splitlines() == ["id,data,label", "1,00ff,0a0b", "2,text,"], extra


def test_export_view(path):
    out = CliRunner().invoke(cli_app(), ["export", "-t", "applications_wide", "-f", "jsonl", "--db", str(path)])
    new = [json.loads(x) for x in out.stdout.splitlines() if json.loads(x)["row_key"] == "new"]
    assert sorted(r["total"] for r in new) == [5, 7, 12, 18]


def test_export_unknown_table_is_an_error(path):
    out = CliRunner().invoke(cli_app(), ["export", "-t", "nope", "--db", str(path)])
    assert out.exit_code == 1 and "no table or view 'nope'" in out.stderr and "cells" in out.stderr


# Outputs that are whole or absent -------------------------------------------------------------------------------

def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_failed_export_leaves_an_existing_file_untouched(path, tmp_path):
    import sqlite3

    broken = tmp_path / "broken.db"
    broken.write_bytes(path.read_bytes())
    conn = sqlite3.connect(broken)
    conn.executescript("CREATE TABLE gone (a); CREATE VIEW orphan AS SELECT * FROM gone; DROP TABLE gone;")
    conn.close()
    target = tmp_path / "out" / "out.csv"
    target.parent.mkdir()
    target.write_text("previous export\n", encoding="utf-8")
    runner = CliRunner()
    for table in ("nosuch", "orphan"):  # refused before writing; SQL error once the file is open
        out = runner.invoke(cli_app(), ["export", "-t", table, "--db", str(broken), "-o", str(target)])
        assert out.exit_code == 1 and out.stderr.startswith("error: ")
        assert target.read_text(encoding="utf-8") == "previous export\n"
        assert _leftovers(target.parent) == []
    assert "SQL error while exporting 'orphan'" in out.stderr
    out = runner.invoke(cli_app(), ["export", "-t", "agencies", "--db", str(broken), "-o", str(tmp_path / "no" / "x")])
    assert out.exit_code == 1 and "cannot write" in out.stderr


def test_export_replaces_the_file_whole_and_keeps_its_mode(path, tmp_path):
    target = tmp_path / "agencies.jsonl"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-f", "jsonl", "--db", str(path), "-o",
                                         str(target)])
    assert out.exit_code == 0 and "3 rows written" in out.stderr
    assert [json.loads(x)["name"] for x in target.read_text(encoding="utf-8").splitlines()] == [
        "甲市教育局", "乙县财政局", "丙区卫生健康委员会"]
    assert target.stat().st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


def test_an_output_that_is_no_regular_file_is_written_in_place(path, tmp_path):
    """`-o /dev/stdout`, `-o /dev/null`, a named pipe: there is no file to keep whole there. The export was written
    to a temp file and renamed over the name, so the pipe (and, run as root, /dev/null or /dev/stdout's link) became
    a regular file, and nothing reached the pipe's reader."""
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting, as `cat pipe` would
    try:
        out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "--db", str(path), "-o", str(fifo)])
        assert out.exit_code == 0, out.output
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        received = os.read(reader, 1 << 16).decode("utf-8")
    finally:
        os.close(reader)
    assert received.splitlines()[0].startswith("id,name,") and "乙县财政局" in received
    assert _leftovers(tmp_path) == []


def test_an_output_through_a_link_replaces_the_file_it_names_and_keeps_the_link(path, tmp_path):
    (tmp_path / "exports").mkdir()
    real = tmp_path / "exports" / "2026.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "--db", str(path), "-o", str(link)])
    assert out.exit_code == 0, out.output
    assert link.is_symlink() and "乙县财政局" in real.read_text(encoding="utf-8")
    assert _leftovers(tmp_path) == [] and _leftovers(real.parent) == []


def test_interrupted_write_leaves_no_temp_file(tmp_path):
    from govreports.query import atomic_output

    target = tmp_path / "out.csv"
    target.write_text("kept\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as out:
            out.write("half a file")
            raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "kept\n" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_export_killed_by_sigterm_or_sighup_cleans_up(tmp_path, sig):
    """Their default action ends the process before any cleanup; atomic_output turns them into an exit."""
    import subprocess
    import sys

    target = tmp_path / "out.csv"
    target.write_text("kept\n", encoding="utf-8")
    script = (f"import os, signal\nfrom govreports.query import atomic_output\n"
              f"with atomic_output({str(target)!r}) as out:\n"
              f"    out.write('partial' * 1000)\n"
              f"    os.kill(os.getpid(), signal.{sig})\n"
              f"    out.write('never')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 128 + getattr(__import__("signal"), sig), done.stderr
    assert target.read_text(encoding="utf-8") == "kept\n" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("output", ["tables", "book.xlsx"])
def test_the_tables_of_one_export_are_read_at_one_moment(path, tmp_path, monkeypatch, output):
    """A crawl commits reports while `export` writes several tables (`--all -o DIR`, or a workbook): each table was
    read at its own moment, so the files disagreed. Measured during a demo crawl: report_flat.csv held 67 reports
    and reports.csv, written a moment later, 114. Here a report is loaded by another connection once the first
    table has been read; every table of the export holds the four reports there were when it began."""
    from govreports.query import export as export_module
    from govreports.store import connect, load_record
    from storehelp import record

    header = export_module._header
    loaded = []

    def header_then_a_write(*args, **kwargs):
        if not loaded:  # the first table's rows are being read: a writer commits meanwhile
            with connect(path) as db:
                loaded.append(load_record(db, record("丁镇人民政府", 2022, "2021", {})))
        return header(*args, **kwargs)

    monkeypatch.setattr(export_module, "_header", header_then_a_write)
    target = tmp_path / output
    if output == "tables":
        target.mkdir()
    out = CliRunner().invoke(cli_app(), ["export", "-t", "report_flat", "-t", "reports", "-t", "report_versions",
                                         "--db", str(path), "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert loaded, "no write happened during the export"
    if output == "tables":
        counts = {t: len(list(csv.DictReader(io.StringIO((target / f"{t}.csv").read_text(encoding="utf-8")))))
                  for t in ("report_flat", "reports", "report_versions")}
    else:
        from test_exports import read_xlsx

        counts = {name: len(rows) - 1 for name, rows in read_xlsx(target).items()}
    assert counts == {"report_flat": 4, "reports": 4, "report_versions": 4}


@pytest.mark.parametrize("table", ["cell_values", "check_values", "row_totals", "sections", "checks"])
def test_an_export_of_one_agency_or_year_reads_their_versions_rows_only(path, table):
    """`export -t cell_values --agency X` (or --year) read every version's rows and joined each to its report to
    filter them: 50 M SQLite steps for one agency's 1,794 cells at 25,000 reports (12 M checks, 3 M row totals),
    most of a minute at 300,000. The rows of the versions of the agency's (or the year's) reports are looked up by
    their version: the same rows (in an order the planner picks, which the statistics PRAGMA optimize counts as a
    writer closes may change: neither export orders its rows)."""
    import re
    import sqlite3

    from govreports.query.export import Filters, export_sql

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    agency_id = conn.execute("SELECT id FROM agencies WHERE name = '甲市教育局'").fetchone()[0]
    for filters in (Filters(agency_id=agency_id, agency_name="甲市教育局"), Filters(year=2021)):
        sql, params = export_sql(conn, table, filters)
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert not [p for p in plan if re.match(rf"SCAN (t|v|{table})\b", p)], (filters, plan)  # v: in `checks`
        unfiltered, _ = export_sql(conn, table)
        rows = conn.execute(sql, params).fetchall()
        names = [d[0] for d in conn.execute(unfiltered + " LIMIT 0").description]
        key, value = ("agency", "甲市教育局") if filters.agency_id else ("year", 2021)
        expected = [r for r in conn.execute(unfiltered).fetchall() if r[names.index(key)] == value]
        assert sorted(rows, key=repr) == sorted(expected, key=repr) and rows, filters
    conn.close()
