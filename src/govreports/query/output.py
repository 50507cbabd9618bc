"""Print results: a rich table for people, CSV or JSON for programs (same columns, same order); and the run
summaries every run command prints (`print_rows`, `print_summary`).

Rows may be any iterable, including a QueryStream over millions of rows: CSV and JSON are written row by row
(JSON as one array, streamed), the table is printed every `TABLE_BATCH` rows, so memory stays bounded.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Callable, Iterable, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "csv", "json")
TABLE_BATCH = 500
# A crawl summary's columns, per portal: `govreports crawl` prints list pages; a flow run's rows (its artifact, its
# result, what `nightly` and `backfill` print) carry each portal's outcome instead (ok, partial, unreachable).
CRAWL_COLUMNS = ("portal", "pages", "listed", "found", "new", "changed", "unchanged", "not_due", "duplicate", "failed",
                 "blocked")
RUN_COLUMNS = ("portal", "outcome", "listed", "found", "new", "changed", "unchanged", "not_due", "duplicate", "failed",
               "blocked", "failures")


def _cell(value):
    """A cell for rich's table, as Text: a plain string is read as markup there, so a title ending '[pdf]' lost it
    and a '[/x]' in a value or column name ended the command with MarkupError."""
    if hasattr(value, "__rich_console__"):  # already styled (search snippets with the words found marked)
        return value
    if isinstance(value, dict):  # failures by kind
        return Text(", ".join(f"{k} {v}" for k, v in value.items()))
    return Text("" if value is None else value.hex() if isinstance(value, bytes) else str(value))


def blob_hex(value):
    """json.dumps' `default`: a blob (user SQL: randomblob, the FTS index's own tables; a table of one's own in an
    export) as its hex digits, as the xlsx export writes it: JSON has no bytes (json.dumps raised TypeError)."""
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def hex_blobs(row: tuple) -> tuple | list:
    """The row with each blob as its hex digits, for csv (which wrote Python's b'\\x00')."""
    if bytes in map(type, row):  # (a row without one, nearly every row, is told apart at C speed: an export's cost)
        return [v.hex() if isinstance(v, bytes) else v for v in row]
    return row


def _csv(columns: list[str], rows: Iterable[tuple], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(hex_blobs(row))
        count += 1
    return count


def finite_row(row: tuple) -> tuple:
    """The row with each number JSON cannot hold (SQLite's ±Inf: `SELECT 1e999`; NaN) as null, as JavaScript's
    JSON.stringify writes it: json.dumps wrote `Infinity`, which jq, JSON.parse and most parsers refuse, the whole
    document with it (an xlsx cell cannot hold one either: xlsxwriter raised TypeError)."""
    if float in map(type, row) and not all(map(math.isfinite, (v for v in row if type(v) is float))):
        return tuple(None if type(v) is float and not math.isfinite(v) else v for v in row)
    return row  # (most rows hold no float: that test alone costs a row of an export of millions next to nothing)


def _json(columns: list[str], rows: Iterable[tuple], out: TextIO) -> int:
    """A JSON array of objects, byte for byte what `json.dumps(list, indent=2)` gives, one object at a time."""
    count = 0
    for row in rows:
        text = json.dumps(dict(zip(columns, finite_row(row))), ensure_ascii=False, indent=2, default=blob_hex)
        out.write(("[\n" if count == 0 else ",\n") + "  " + text.replace("\n", "\n  "))
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


def _print_table(columns: list[str], rows: list[tuple], out: TextIO, title: str | None) -> None:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(_cell(col), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console = Console(file=out) if out.isatty() else Console(file=out, width=160)
    console.print(table)


def _table(columns: list[str], rows: Iterable[tuple], out: TextIO, title: str | None, batch: int) -> int:
    """Tables of `batch` rows; if the rows fail midway, the rows already read are printed before the error."""
    count, pending, printed = 0, [], False
    try:
        for row in rows:
            pending.append(row)
            count += 1
            if len(pending) == batch:
                _print_table(columns, pending, out, None if printed else title)
                pending, printed = [], True
    except Exception:
        if pending:
            _print_table(columns, pending, out, None if printed else title)
        raise
    if pending or not printed:
        _print_table(columns, pending, out, None if printed else title)
    return count


def render(columns: list[str], rows: Iterable[tuple], fmt: str = "table", out: TextIO | None = None,
           title: str | None = None, *, batch: int = TABLE_BATCH) -> int:
    """Write `rows` in `fmt` and return how many were written. The table ends with the row count, and says so
    when `rows` is a QueryStream that stopped at its `--limit`."""
    out = out or sys.stdout
    if fmt == "csv":
        return _csv(columns, rows, out)
    if fmt == "json":
        return _json(columns, rows, out)
    if fmt == "table":
        count = _table(columns, rows, out, title, batch)
        limited = f" (stopped at --limit {rows.limit})" if getattr(rows, "limited", False) else ""
        out.write(f"{count} row{'s' if count != 1 else ''}{limited}\n")
        return count
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def print_rows(rows: list[dict]) -> None:
    """A flow's result rows (dicts with the same keys) as a table on stdout; nothing when there are none."""
    if rows:
        render(list(rows[0]), [tuple(row.values()) for row in rows])


def _echo(line: str) -> None:
    print(line, flush=True)


def print_summary(summary, echo: Callable[[str], None] | None = None) -> None:
    """A crawl's end-of-run statistics (crawl.CrawlSummary): a table per portal, failures by kind, then the
    portal health flags, one line each (`echo` writes a line; default stdout)."""
    echo = echo or _echo
    rows = summary.rows()
    render(list(CRAWL_COLUMNS), [tuple(row[c] for c in CRAWL_COLUMNS) for row in rows],
           title=f"crawl run {summary.run_id or ''} — {summary.seconds:.1f} s")
    failures: dict[str, int] = {}
    for row in rows:
        for kind, n in row["failures"].items():
            failures[kind] = failures.get(kind, 0) + n
    if failures:
        echo("failures by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(failures.items())))
    health = getattr(summary, "health", [])
    if health:
        echo(f"portal health: {len(health)} problem{'s' if len(health) != 1 else ''}"
             " (every portal: `govreports status`)")
    for flag in health:
        echo(flag.line())
