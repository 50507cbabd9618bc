"""`govreports chart` as a command: where the chart goes (`-o -`: stdout) and when it is not drawn (a selection of
free-form reports, which have no tables to draw from, says why, as `analyze` does). The charts' numbers, files
and the dashboard config are tested in test_charts.py."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from govreports.charts import CHARTS, chart_rows, resolve_filters
from govreports.charts.render import png_pixels
from storehelp import chart_app, known_db_path


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    return known_db_path(tmp_path_factory.mktemp("chart-cli"))


def _cli():
    return chart_app()


def test_dash_as_the_output_writes_the_chart_to_stdout(known, tmp_path, monkeypatch):
    """`chart answers -o -` wrote a file named "-" into the current directory, where `export -o -` writes to
    stdout. `-` is stdout: the chart's bytes as drawn (a PNG byte for byte, nothing added), in -f's format, else
    SVG; no file is written and no path printed."""
    from govreports.charts import render

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args, magic in (([], b"<svg"), (["-f", "svg"], b"<svg"), (["-f", "png"], b"\x89PNG\r\n\x1a\n"),
                        (["-f", "html"], b"<!doctype html>")):
        result = runner.invoke(_cli(), ["chart", "answers", "--db", str(known), *args, "-o", "-"])
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.lstrip()[:len(magic)].lower() == magic.lower(), args
        assert result.stderr == ""
    png = runner.invoke(_cli(), ["chart", "answers", "--db", str(known), "-f", "png", "-o", "-"]).stdout_bytes
    chart = CHARTS["answers"]
    assert png_pixels(png) == png_pixels(render(chart, chart_rows(known, chart, resolve_filters(known)), "png"))
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_an_output_that_is_no_regular_file_is_written_in_place(known, tmp_path):
    """`-o /dev/stdout`, `-o /dev/null`, a named pipe: the chart was written to `.NAME.tmp` and renamed over the
    name, so the pipe (and, run as root, /dev/null or /dev/stdout's link) became a regular file and its reader got
    nothing. Written in place now, as `export -o` writes there."""
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting, as `cat pipe` would
    try:
        result = CliRunner().invoke(_cli(), ["chart", "answers", "--db", str(known), "-f", "svg", "-o", str(fifo)])
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert received.lstrip().startswith(b"<svg") and sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_chart_is_written_through_export_s_atomic_path(known, tmp_path):
    """write_chart had a copy of export's whole-or-absent write of its own, with a fixed temporary name
    `.NAME.tmp`: a link left there (or put there by another user of a shared folder) was followed, and the file
    it named overwritten with the chart; two charts drawn to one name at once wrote one temporary file. It writes
    through query.atomic_path now, whose temporary file is made new (mkstemp), and a file it replaces keeps its
    mode."""
    import os

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    (tmp_path / ".a.svg.tmp").symlink_to(victim)
    out = tmp_path / "a.svg"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o640)
    result = CliRunner().invoke(_cli(), ["chart", "answers", "--db", str(known), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert out.read_bytes().lstrip().startswith(b"<svg") and out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.svg.tmp", "a.svg", "victim.txt"]


def test_a_png_is_not_written_to_a_terminal(known, tmp_path):
    """`chart answers -f png -o -` in a terminal would print binary noise (and can garble the terminal): a usage
    error, exit 2, as `export -f xlsx` to a terminal is; nothing is written to it."""
    import os
    import pty
    import select
    import subprocess
    import sys

    main, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "govreports", "chart", "answers", "--db", str(known), "-f", "png",
                               "-o", "-"], stdout=terminal, stderr=subprocess.PIPE, cwd=tmp_path, timeout=120)
        shown = os.read(main, 65536) if select.select([main], [], [], 0.5)[0] else b""
    finally:
        os.close(terminal)
        os.close(main)
    assert done.returncode == 2, done.stderr
    assert b"a PNG is not for a terminal" in done.stderr
    assert b"PNG" not in shown and list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def free_form_db(tmp_path_factory):
    """2018: two free-form pre-2019 reports (no tables: FORMAT.md §7); 2017: one whose format was not recognised;
    2020: a 2019-format report with table 三 and a broken R1."""
    from govreports.store import connect, load_record
    from storehelp import record

    def free(agency, year, fmt="pre2019"):
        return {"title": f"{agency}{year}年政府信息公开工作年度报告", "agency": agency, "year": year, "format": fmt,
                "published": f"{year + 1}-02-01", "sections": {"1": "总体情况。"}, "checks": []}

    path = tmp_path_factory.mktemp("free") / "free.db"
    with connect(path) as db:
        for r in (free("宿迁市财政局", 2018), free("韶关市能源局", 2018), free("宿迁市财政局", 2017, "unknown"),
                  record("宿迁市财政局", 2020, "2019", {"applications.new.total": 3,
                                                  "applications.withheld_state_secret.total": 1},
                         checks=[{"rule": "R1", "where": "applications.total", "ok": False, "detail": "R1"}])):
            load_record(db, r)
    return path


TABLE_CHARTS = ("applications", "answers", "refusals", "review_litigation", "cases_per_year", "rule_failures")


def test_a_year_of_free_form_reports_draws_no_empty_table_chart(free_form_db, tmp_path):
    """`chart rule_failures --year 2018` and `chart refusals --year 2018`, every 2018 report in the free-form
    pre-2019 format (no table 三 to read refusals from, no tables to check R1–R4 against), drew an empty chart, exit
    0, and `analyze rule_failures --year 2018` said "0 rows" (read: no report broke a rule). Each says why, exit 1,
    no file, the chart and the analysis alike; a year with tables draws, and late_missing draws 2018."""
    from storehelp import cli_app

    runner = CliRunner()
    db = ["--db", str(free_form_db)]
    assert set(TABLE_CHARTS) == {c.name for c in CHARTS.values() if c.needs_reports}
    for name in TABLE_CHARTS:
        out = tmp_path / f"{name}.svg"
        result = runner.invoke(_cli(), ["chart", name, *db, "--year", "2018", "-o", str(out)])
        assert result.exit_code == 1, (name, result.output)
        assert "error: the 2018 reports are in the pre-2019 format, which has no " in result.stderr, name
        assert "years with tables: 2020" in result.stderr and not out.exists(), name
        assert runner.invoke(_cli(), ["chart", name, *db, "--year", "2020", "-o", str(out)]).exit_code == 0, name
    result = runner.invoke(_cli(), ["chart", "refusals", *db, "--year", "2017", "-o", str(tmp_path / "r.svg")])
    assert result.exit_code == 1 and "the 2017 reports are of no recognised format" in result.stderr
    result = runner.invoke(_cli(), ["chart", "rule_failures", *db, "--agency", "韶关市能源局",
                                    "-o", str(tmp_path / "r.svg")])
    assert result.exit_code == 1, result.output
    assert "the reports of 韶关市能源局 are in the pre-2019 format" in result.stderr
    assert "no report of 韶关市能源局 has tables" in result.stderr
    result = runner.invoke(_cli(), ["chart", "late_missing", *db, "--year", "2018", "-o", str(tmp_path / "l.svg")])
    assert result.exit_code == 0, result.output
    for name in ("refusals", "rule_failures", "outcomes"):  # analyze says the same of the same year
        result = runner.invoke(cli_app(), ["analyze", name, *db, "--year", "2018"])
        assert result.exit_code == 1, (name, result.output)
        assert "error: the 2018 reports are in the pre-2019 format, which has no " in result.stderr, name
        assert runner.invoke(cli_app(), ["analyze", name, *db, "--year", "2020"]).exit_code == 0, name
