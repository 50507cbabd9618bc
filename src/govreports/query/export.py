"""Export a table or view as CSV or JSON Lines, streamed row by row (cells can hold millions of rows)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TextIO

from govreports.query.readonly import QueryError, connect_readonly

EXPORT_FORMATS = ("csv", "jsonl")


def exportable(path: str | Path) -> list[str]:
    """Tables and views a user may export (not SQLite's or FTS5's internal tables)."""
    conn = connect_readonly(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'sections_fts%' ORDER BY type, name")]
    finally:
        conn.close()
    return names


def export_table(path: str | Path, table: str, fmt: str, out: TextIO) -> int:
    """Write every row of `table` to `out`; returns the number of rows."""
    if fmt not in EXPORT_FORMATS:
        raise QueryError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    names = exportable(path)
    if table not in names:
        raise QueryError(f"no table or view {table!r}; choose one of: {', '.join(names)}")
    conn = connect_readonly(path)
    try:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        count = 0
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            for row in cursor:
                writer.writerow(row)
                count += 1
        else:
            for row in cursor:
                out.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False) + "\n")
                count += 1
        return count
    finally:
        conn.close()
