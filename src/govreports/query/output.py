"""Print query results: a rich table for people, CSV or JSON for programs (same columns, same order)."""

from __future__ import annotations

import csv
import json
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")


def _cell(value) -> str:
    return "" if value is None else str(value)


def render(columns: list[str], rows: list[tuple], fmt: str = "table", out: TextIO | None = None,
           title: str | None = None) -> None:
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        out.write(json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, indent=2) + "\n")
    elif fmt == "table":
        table = Table(title=title, show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row))
        console = Console(file=out) if out.isatty() else Console(file=out, width=160)
        console.print(table)
        out.write(f"{len(rows)} row{'s' if len(rows) != 1 else ''}\n")
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
