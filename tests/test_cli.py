from __future__ import annotations

import json

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
