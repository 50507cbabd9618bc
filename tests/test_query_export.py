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


def test_export_view(path):
    out = CliRunner().invoke(cli_app(), ["export", "-t", "applications_wide", "-f", "jsonl", "--db", str(path)])
    new = [json.loads(x) for x in out.stdout.splitlines() if json.loads(x)["row_key"] == "new"]
    assert sorted(r["total"] for r in new) == [5, 7, 12, 18]


def test_export_unknown_table_is_an_error(path):
    out = CliRunner().invoke(cli_app(), ["export", "-t", "nope", "--db", str(path)])
    assert out.exit_code == 1 and "no table or view 'nope'" in out.stderr and "cells" in out.stderr
