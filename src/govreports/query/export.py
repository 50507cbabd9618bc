"""Export a table or view as CSV or JSON Lines, streamed row by row (cells can hold millions of rows).

A file output is whole or absent: rows go to a temp file next to the target, which replaces the target only
when every row is written. A failed or interrupted export leaves an existing file as it was and no temp file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Iterator, TextIO

from govreports.durable import fsync_dir
from govreports.query.readonly import QueryError, connect_readonly

EXPORT_FORMATS = ("csv", "jsonl")
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


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


def _write_rows(cursor: sqlite3.Cursor, fmt: str, out: TextIO) -> int:
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


def export_table(path: str | Path, table: str, fmt: str, out: TextIO) -> int:
    """Write every row of `table` to `out`; returns the number of rows. No time limit: exports are big."""
    if fmt not in EXPORT_FORMATS:
        raise QueryError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    names = exportable(path)
    if table not in names:
        raise QueryError(f"no table or view {table!r}; choose one of: {', '.join(names)}")
    conn = connect_readonly(path)
    try:
        return _write_rows(conn.execute(f'SELECT * FROM "{table}"'), fmt, out)
    except sqlite3.DatabaseError as exc:  # e.g. a view over a table that no longer exists
        raise QueryError(f"SQL error while exporting {table!r}: {exc}") from None
    finally:
        conn.close()


def _new_file_mode(target: Path) -> int:
    """The mode the target would have had: its own if it exists, else what `open()` gives under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class _Terminated(BaseException):
    """SIGTERM/SIGHUP arrived while writing: unwinds like Ctrl-C so the temp file is removed."""


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception while the block runs (their default action would kill the process
    before any cleanup); only in the main thread, where Python can install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise _Terminated(signum)

    previous = {sig: signal.signal(sig, raise_terminated) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def atomic_output(target: str | Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text file to write; on success it replaces `target` (fsynced, then `os.replace`), on any failure it is
    deleted and `target` is untouched. The temp file is `.<name>.<random>.tmp` in the target's directory, so
    the rename stays on one file system."""
    target = Path(target)
    directory = target.parent
    mode = _new_file_mode(target)
    try:
        with _signals_unwind():
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding=encoding, newline="") as out:
                    yield out
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
    except _Terminated as exc:
        raise SystemExit(128 + exc.args[0]) from None
    fsync_dir(directory)
