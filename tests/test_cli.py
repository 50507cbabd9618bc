from __future__ import annotations

import contextlib
import json
import subprocess

import pytest

from typer.testing import CliRunner

from conftest import SAMPLES, require_samples
from govreports.cli import app

runner = CliRunner()


def test_parse_json_one_file_is_one_object():
    require_samples()
    result = runner.invoke(app, ["parse", "--json", str(SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt")])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["agency"] == "牡丹江市科学技术局"
    assert record["active"]["other_services"] == {"prior_year_items": 1, "change": 0, "decisions": 3}


def test_parse_json_several_files_is_json_lines():
    require_samples()
    paths = [SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt", SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html"]
    result = runner.invoke(app, ["parse", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["year"] for line in lines] == [2020, 2019]


def test_parse_summary_is_readable():
    require_samples()
    result = runner.invoke(app, ["parse", str(SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html")])
    assert result.exit_code == 0
    assert "上海市人民政府办公厅" in result.stdout
    assert "format 2019" in result.stdout
    assert "cells read 63/198" in result.stdout
    assert "0 failed" in result.stdout


def test_help_documents_exit_codes():
    result = runner.invoke(app, ["parse", "--help"])
    assert result.exit_code == 0
    assert "Exit code 0" in result.stdout and "2 for usage errors" in result.stdout


def test_a_closed_standard_output_discards_what_is_written_there(tmp_path):
    """A caller that closes the command's stdout (`>&-`, a daemon's closed descriptors): Python gives sys.stdout as
    None, and `query` ended in a traceback, exit 1, after a statement that went well; a night's summary would have
    made its exit code lie the same way. What is written there now goes nowhere, as the caller asked."""
    import os
    import subprocess
    import sys

    from govreports.store.db import open_db

    open_db(tmp_path / "g.db").close()
    command = [sys.executable, "-m", "govreports", "query", "SELECT 1", "--db", str(tmp_path / "g.db")]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          preexec_fn=lambda: os.close(1))  # the child starts with descriptor 1 closed
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


# --- a reader that stops early (`| head`), an encoding that cannot write Chinese ---------------------------------

_MANY_ROWS = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 100000) "
              "SELECT i, '政府信息公开' AS t FROM n")


@pytest.fixture(scope="module")
def known_db(tmp_path_factory):
    from storehelp import known_db_path

    return known_db_path(tmp_path_factory.mktemp("cli"))


def _govreports(*args: str, env: dict | None = None, **kw):
    import os
    import subprocess
    import sys

    from crawlhelp import ROOT

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "govreports", *args], env=env, stdin=subprocess.DEVNULL,
                            text=True, **{"stderr": subprocess.PIPE, **kw})


@pytest.mark.parametrize("args, gone_before", [
    (("query", _MANY_ROWS, "--db", "DB"), False),  # a rich table
    (("query", _MANY_ROWS, "-f", "csv", "--db", "DB"), False),
    (("export", "-t", "cells", "--db", "DB"), False),
    (("query", "SELECT 1", "-f", "csv", "--db", "DB"), True),  # one line, written as the command ends
    (("--help",), True),  # printed before any command runs
])
def test_a_reader_that_stops_early_ends_the_command_quietly(known_db, args, gone_before):
    """`govreports query … | head -1`: the reader closes the pipe, and the command ended in exit 1 (click's
    handling of EPIPE, and rich's), which a `set -o pipefail` script took for a failed query. It ends as a Unix
    tool killed by SIGPIPE is reported (128 + 13 = 141), with nothing on stderr; whether the reader closed the
    pipe after a line or before the command wrote anything."""
    import os
    import subprocess

    import fcntl

    read, write = os.pipe()
    # the pipe holds one page, not 64 KB: the command's output (48 KB for `export -t cells`) cannot all be written
    # before the reader goes, which on a loaded machine it was, the command ending 0 with nothing left to write
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    if gone_before:
        os.close(read)
    proc = _govreports(*[str(known_db) if a == "DB" else a for a in args], stdout=write)
    os.close(write)
    if not gone_before:
        with os.fdopen(read, "rb") as reader:
            assert reader.readline()  # the first line, as head -1 reads it
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        raise
    assert (proc.returncode, err) == (141, "")


def _damaged(known_db, tmp_path):
    """A copy of the database damaged past the first page of rows of a table `big`: its first rows are read."""
    import shutil
    import sqlite3

    damaged = tmp_path / "damaged.db"
    shutil.copyfile(known_db, damaged)
    with contextlib.closing(sqlite3.connect(damaged)) as db:
        db.execute("CREATE TABLE big (x)")
        db.executemany("INSERT INTO big VALUES (?)", [(f"row {i:04d} " + "x" * 200,) for i in range(400)])
        db.commit()
        size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = [p for p, in db.execute("SELECT pageno FROM dbstat WHERE name = 'big' AND pagetype = 'leaf' "
                                         "ORDER BY path")]
    with open(damaged, "r+b") as file:  # the second page of rows: the first page's rows are read and written
        file.seek((pages[1] - 1) * size)
        file.write(b"\xff" * 64)
    return damaged


def test_a_command_that_fails_after_writing_for_a_gone_reader_ends_with_its_own_code(known_db, tmp_path):
    """`govreports query … -f csv | head -0` on a database damaged past its first rows: the rows read waited in
    stdout's buffer while the command ended in its error (exit 74), and the interpreter's own flush of them at exit
    met the gone reader: 'Exception ignored … BrokenPipeError' and exit 120, which no caller reads as either; then
    141, the broken pipe's code, so a scheduler (`set -o pipefail`) took a damaged database for a reader that had
    stopped early. A command that fails on its own, its reader gone, ends with its error line and its own code (74
    here); 141 is left to commands that the gone reader alone ended. (stdout buffered, as it is without
    PYTHONUNBUFFERED: each write unbuffered met the gone reader at once.)"""
    import os

    damaged = _damaged(known_db, tmp_path)
    read, write = os.pipe()
    os.close(read)
    proc = _govreports("query", "SELECT x FROM big", "-f", "csv", "--db", str(damaged), stdout=write,
                       env={"PYTHONUNBUFFERED": ""})
    os.close(write)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 74, err
    assert err.startswith(f"error: the database {damaged} is damaged") and err.count("\n") == 1, err


@pytest.mark.parametrize("args, code", [
    (("query", "SELECT x FROM big", "-f", "csv"), 74),  # main's own error line (a damaged database)
    (("query", "SELECT nothing FROM big"), 1),  # `fail`'s
    (("analyze", "nosuch"), 2),  # a usage error's, through `fail`
    (("query", "SELECT 1", "--no-such-option"), 2),  # click's own usage error, drawn by rich
])
def test_a_command_whose_error_line_meets_a_gone_reader_ends_with_its_own_code(known_db, tmp_path, args, code):
    """`govreports … 2>&1 | head -0`: the error line itself met the gone reader, and the command that had failed
    (74: a damaged database; 1: a query that cannot run) ended 141, as if the reader had only stopped early. Its
    line goes nowhere, as everything it wrote, and its own code stands."""
    import os

    damaged = _damaged(known_db, tmp_path)
    read, write = os.pipe()
    os.close(read)
    proc = _govreports(*args, "--db", str(damaged), stdout=write, stderr=write, env={"PYTHONUNBUFFERED": ""})
    os.close(write)
    proc.communicate(timeout=60)
    assert proc.returncode == code


@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
@pytest.mark.parametrize("fmt", [("csv", "--excel"), ("csv",), ("jsonl",)])
def test_an_export_to_a_pipe_is_utf_8_whatever_the_locale(known_db, encoding, fmt):
    """`PYTHONIOENCODING=gbk govreports export -t agencies --excel > t.csv`: the byte-order mark came out as the
    text '\\ufeff' and the names in GBK (under ASCII, escaped), a file no CSV reader reads right; `-o t.csv` is
    UTF-8. Data for a file or a program is UTF-8 either way."""
    import os
    import sys

    from crawlhelp import ROOT

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PYTHONIOENCODING": encoding}
    proc = subprocess.run([sys.executable, "-m", "govreports", "export", "-t", "agencies", "-f", *fmt, "--db",
                           str(known_db)], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode("utf-8")  # raises on GBK bytes
    assert text.startswith("\ufeff" if "--excel" in fmt else ("id" if fmt[0] == "csv" else "{")), text[:80]
    assert "甲市教育局" in text and "\\u" not in text and ("\r\n" in text) == ("--excel" in fmt)


def test_plain_lines_under_an_encoding_that_cannot_write_chinese_are_escaped_as_the_tables_are(tmp_path):
    """PYTHONIOENCODING=ascii: click's echo, which writes every plain line (`load`'s, the `error:` lines), took an
    ASCII stream for a misconfigured locale and wrote UTF-8 to it through a stream of its own: mojibake on the
    terminal the user described, beside tables written as \\uXXXX escapes, and no warning. Its lines are escaped
    as the tables are: stdout's with the one warning at the end of stderr, stderr's as Python escapes there."""
    from govreports.render import to_html
    from strategies import record_fixture

    folder = tmp_path / "报告"
    folder.mkdir()
    (folder / "r.html").write_text(to_html(record_fixture("2019")), encoding="utf-8")
    proc = _govreports("load", str(folder / "r.html"), "--db", str(tmp_path / "r.db"),
                       env={"PYTHONIOENCODING": "ascii"}, stdout=subprocess.PIPE, encoding="ascii")
    written, err = proc.communicate(timeout=60)  # ASCII both: a UTF-8 byte raises here
    assert proc.returncode == 0, err
    assert written == (f"{tmp_path}/\\u62a5\\u544a/r.html: new (report 1, version 1)\n"
                       "1 new, 0 changed, 0 unchanged, 0 duplicate, 0 failed\n"), written
    assert err.startswith("warning: standard output's encoding (ascii) cannot write \\u62a5 and ") and (
        err.count("\n") == 1), err
    proc = _govreports("query", "SELECT 1", "--db", str(folder / "none.db"), env={"PYTHONIOENCODING": "ascii"},
                       stdout=subprocess.PIPE, encoding="ascii")
    written, err = proc.communicate(timeout=60)
    assert (proc.returncode, written) == (1, "")
    assert err == f"error: no database at {tmp_path}/\\u62a5\\u544a/none.db (create one with `govreports load`)\n"


def test_a_broken_pipe_of_another_kind_is_not_taken_for_a_gone_reader():
    """EPIPE from a pipe the command writes to itself (a child's stdin, a socket), with stdout and stderr still
    read: a failure of its own, raised as it was, never a quiet 141."""
    import errno

    from govreports.cli import _reader_gone_raised

    with pytest.raises(BrokenPipeError), _reader_gone_raised():
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@pytest.mark.parametrize("encoding, args, out", [
    ("latin-1", ("query", "SELECT '政府' AS t, 'é' AS e", "-f", "csv", "--db", "DB"), "t,e\n\\u653f\\u5e9c,é\n"),
    ("ascii", ("query", "SELECT '政府' AS t", "--db", "DB"), "| \\u653f\\u5e9c |"),  # a rich table, ASCII lines
    ("ascii", ("--help",), "Crawl, parse and query \\u653f\\u5e9c"),
])
def test_an_encoding_that_cannot_write_chinese_escapes_it_and_says_so_once(known_db, encoding, args, out):
    """PYTHONIOENCODING=ascii or latin-1 (a legacy locale, a Windows code page): the first Chinese character in
    a table, a CSV or the help ended the command in a UnicodeEncodeError traceback. What the encoding cannot write
    is written as \\uXXXX escapes (visibly not the data, and reversible, never '?'), what it can write is written
    (é in latin-1), the command ends as it would have, and one warning ends stderr, naming the encoding and the
    fix."""
    import codecs
    import re

    proc = _govreports(*[str(known_db) if a == "DB" else a for a in args], env={"PYTHONIOENCODING": encoding},
                       stdout=subprocess.PIPE, encoding=encoding)
    written, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert written == out if "-f" in args else out in written, written
    said = re.fullmatch(r"(?:1 row\n)?warning: standard output's encoding \((.+?)\) cannot write \\u653f and "
                        r"other characters: .*PYTHONIOENCODING=utf-8.*\n", err)  # one line, stderr's last
    assert said and codecs.lookup(said[1]).name == codecs.lookup(encoding).name, err


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_run_whose_summary_meets_a_gone_reader_ends_with_its_verdict(tmp_path, dry_run):
    """`govreports crawl … | head -0`: the run happened, and its summary met the gone reader; the command ended
    141 before its verdict was given, so a crawl that could fetch nothing (3) passed for one whose reader had only
    stopped early. Its verdict stands (3); a run whose verdict is success keeps 141 (cli.common.summary_shown).
    Nothing listens on 127.0.0.2's port 9."""
    import os

    config = tmp_path / "p.toml"
    config.write_text('[politeness]\nretries = 0\nread_timeout = 2\n[safety]\nallow_private_addresses = true\n'
                      '[[portal]]\nname = "p"\nadapter = "trs"\n'
                      'start_url = "http://127.0.0.2:9/zwgk/index.html"\n')
    read, write = os.pipe()
    os.close(read)
    args = ["--config", str(config), "--db", str(tmp_path / "d.db"), "--archive", str(tmp_path / "a"), "--no-progress"]
    proc = _govreports("crawl", *args, *(["--dry-run"] if dry_run else []), stdout=write, env={"PYTHONUNBUFFERED": ""})
    os.close(write)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
