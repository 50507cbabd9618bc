"""Export tables and views as CSV, JSON Lines or an Excel workbook, streamed row by row (cells can hold millions
of rows).

- Every export names agencies, not only ids: a table or view with `agency_id` gains `agency` (the name) beside it;
  one with `report_id` but no agency gains `agency` (and `year` when it has none) from its report, and one with
  only `version_id` (cell_values, check_values) gains them from its version's report. A table holding rows of
  every version (cells, sections, row_totals, checks, cell_values, check_values, report_versions itself) gains
  `current` beside `version_id` (report_versions: beside `id`): 1 for the report's current version, the one the
  analyses read, 0 for a superseded one.
- `--excel` CSV starts with a byte-order mark and ends lines with CRLF, so Excel on Windows reads the Chinese as
  UTF-8 instead of the local code page; and a text cell that Excel would take for a formula (starting with = + -
  @, a tab or a carriage return: titles and names are a portal's text) starts with an apostrophe, which Excel
  shows as text. Plain CSV keeps every cell as stored, for programs; xlsx writes text as text.
- xlsx: one sheet per table or view (a table past Excel's 1,048,576 rows continues on `name (2)`, …), written by
  XlsxWriter in constant-memory mode: each row goes to disk as it is read (beside the output file, not to /tmp).
  Headers in English (the column names), Chinese (`zh`, the labels of query.columns) or both.

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
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

from govreports.durable import fsync_dir, new_file_mode
from govreports.errors import EXIT_USAGE, GovreportsError, StorageError
from govreports.query.output import blob_hex, finite_row, hex_blobs
from govreports.query.readonly import QueryError, connect_readonly
from govreports.store.db import could_not_write, damaged

EXPORT_FORMATS = ("csv", "jsonl", "xlsx")
HEADERS = ("en", "zh", "both")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, the header row included
XLSX_MAX_TEXT = 32_767     # Excel's limit per cell, in UTF-16 units (a character past U+FFFF is two)
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
FIRST = ("report_flat",)   # what a researcher opens first comes first in `--all`


class ExportUsageError(QueryError):
    """Options that do not go together, or a filter the table cannot take (exit 2)."""

    exit_code = EXIT_USAGE


def exportable(path: str | Path) -> list[str]:
    """Tables and views a user may export (not SQLite's, FTS5's or the migrations' internal tables): the flat
    report view first, then the other views, then the tables."""
    conn = connect_readonly(path)
    try:
        rows = conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'sections_fts%' AND name NOT LIKE '\\_%' ESCAPE '\\'").fetchall()
    finally:
        conn.close()
    return sorted((name for name, _ in rows),
                  key=lambda n: (n not in FIRST, dict(rows)[n] != "view", n))


@dataclass(frozen=True)
class Filters:
    """Rows of one agency (its id and name, resolved by query.agencies) and/or one year."""

    agency_id: int | None = None
    agency_name: str | None = None
    year: int | None = None

    def __bool__(self) -> bool:
        return self.agency_id is not None or self.year is not None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_sql(conn: sqlite3.Connection, table: str, filters: Filters = Filters()) -> tuple[str, list]:
    """The SELECT that exports `table`: its columns in order, with the agency's name (and the report's year) added
    where the table carries only ids, and the filters applied. Raises ExportUsageError for a filter the table
    has no column for."""
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(table)})")]
    has = set(columns)
    select, joins, where, params = [], [], [], []
    named = bool({"agency", "agency_id"} & has)
    via_report = "report_id" in has and not named
    # cell_values, check_values: rows of a version, which alone names its report (report_versions.report_id)
    via_version = "version_id" in has and "report_id" not in has and not named
    # the column naming the version a row belongs to (report_versions: its own id), where `current` goes beside it
    version_key = "id" if table == "report_versions" else "version_id"
    for col in columns:
        select.append(f"t.{_quote(col)}")
        if col == "agency_id" and "agency" not in has:
            select.append("a.name AS agency")
        elif col == version_key and (via_report or via_version) and "current" not in has:
            # rows of every version (cells, sections, row totals, checks, the versions themselves): a sum over an
            # export counted a superseded version beside the current one, which the analyses read alone
            select.append(f"(t.{version_key} IS r.current_version_id) AS current")
            if via_version:
                select.append("a.name AS agency")
                if "year" not in has:
                    select.append("r.year AS year")
        elif col == "report_id" and via_report:
            select.append("a.name AS agency")
            if "year" not in has:
                select.append("r.year AS year")
    if via_report:
        joins.append("LEFT JOIN reports r ON r.id = t.report_id LEFT JOIN agencies a ON a.id = r.agency_id")
    elif via_version:
        joins.append("LEFT JOIN report_versions rv ON rv.id = t.version_id LEFT JOIN reports r ON r.id = rv.report_id"
                     " LEFT JOIN agencies a ON a.id = r.agency_id")
    elif "agency_id" in has and "agency" not in has:
        joins.append("LEFT JOIN agencies a ON a.id = t.agency_id")
    if filters.agency_id is not None:
        if "agency_id" in has:
            where.append("t.agency_id = ?")
            params.append(filters.agency_id)
        elif via_report or via_version:
            where.append("r.agency_id = ?")
            params.append(filters.agency_id)
        elif "agency" in has:
            where.append("t.agency = ?")
            params.append(filters.agency_name)
        elif table == "agencies":
            where.append("t.id = ?")
            params.append(filters.agency_id)
        else:
            raise ExportUsageError(f"{table!r} has no agency to filter by (--agency)")
    if filters.year is not None:
        if "year" in has:
            where.append("t.year = ?")
        elif via_report or via_version:
            where.append("r.year = ?")
        else:
            raise ExportUsageError(f"{table!r} has no year to filter by (--year)")
        params.append(filters.year)
    if (via_report or via_version) and "version_id" in has and where:
        # the versions of the reports the filters select, looked up by version: filtered through the joins alone,
        # every row of every version was read (50 M SQLite steps for one agency's cells at 25,000 reports)
        chosen = [f"r2.{c} = ?" for c, v in (("agency_id", filters.agency_id), ("year", filters.year)) if v is not None]
        where.append("t.version_id IN (SELECT rv2.id FROM reports r2 JOIN report_versions rv2 ON rv2.report_id = r2.id"
                     f" WHERE {' AND '.join(chosen)})")
        params += [v for v in (filters.agency_id, filters.year) if v is not None]
    sql = f"SELECT {', '.join(select)} FROM {_quote(table)} t {' '.join(joins)}"
    return sql + (f" WHERE {' AND '.join(where)}" if where else ""), params


def _header(table: str, columns: list[str], headers: str) -> list[str]:
    if headers == "en":
        return columns
    from govreports.query.columns import label

    if headers == "zh":
        return [label(table, c) or c for c in columns]
    return [f"{label(table, c)} ({c})" if label(table, c) else c for c in columns]


def check_options(fmt: str, headers: str, excel: bool) -> None:
    """Raise ExportUsageError for a format, headers or --excel that do not go together (before writing)."""
    if fmt not in EXPORT_FORMATS:
        raise ExportUsageError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if headers not in HEADERS:
        raise ExportUsageError(f"unknown headers {headers!r}; expected one of {', '.join(HEADERS)}")
    if excel and fmt != "csv":
        raise ExportUsageError("--excel is for CSV (a byte-order mark so that Excel reads UTF-8, and text that would "
                               "start a formula led by an apostrophe); an xlsx workbook needs neither: its text is "
                               "never read as a formula")
    if headers != "en" and fmt == "jsonl":
        raise ExportUsageError("--headers applies to csv and xlsx; JSON Lines keys stay the column names")


def _unknown(conn: sqlite3.Connection, table: str, names: list[str]) -> QueryError:
    """No such table: say so, and when the database predates the table, how to bring it up to date."""
    from govreports.store.migrations import latest_version

    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < latest_version():
        return QueryError(f"no table or view {table!r} in this database (schema version {version}, this govreports"
                          f" writes {latest_version()}): `govreports serve` or the next load or crawl upgrades it")
    return QueryError(f"no table or view {table!r}; choose one of: {', '.join(names)}")


def _export_error(table: str, exc: sqlite3.DatabaseError, conn: sqlite3.Connection) -> GovreportsError:
    """A statement's own error (a view over a table that no longer exists: exit 1), or a damaged database file,
    which is the store's failure (StorageError, exit 74), as for every other command."""
    if damaged(exc):
        return StorageError(could_not_write(exc, db=conn))
    return QueryError(f"SQL error while exporting {table!r}: {exc}")


def check_table(conn: sqlite3.Connection, table: str, names: list[str], filters: Filters = Filters()) -> None:
    """Raise what exporting `table` with `filters` would raise before its first row: an unknown name
    (QueryError, exit 1), a filter it has no column for (ExportUsageError, exit 2); for an export of several
    tables, so that none is written when one of them cannot be."""
    if table not in names:
        raise _unknown(conn, table, names)
    try:
        export_sql(conn, table, filters)
    except sqlite3.DatabaseError as exc:  # e.g. a view over a table that no longer exists
        raise _export_error(table, exc, conn) from None


def _cursor(conn: sqlite3.Connection, table: str, names: list[str], filters: Filters) -> sqlite3.Cursor:
    if table not in names:
        raise _unknown(conn, table, names)
    try:
        sql, params = export_sql(conn, table, filters)
        return conn.execute(sql, params)
    except sqlite3.DatabaseError as exc:  # e.g. a view over a table that no longer exists
        raise _export_error(table, exc, conn) from None


def _write_rows(cursor: sqlite3.Cursor, fmt: str, out: TextIO, header: list[str] | None = None,
                excel: bool = False) -> int:
    columns = [d[0] for d in cursor.description]
    count = 0
    if fmt == "csv":
        if excel:
            out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n" if excel else "\n")
        writer.writerow(header or columns)
        for row in cursor:  # a blob (a table of one's own: export offers every table) as hex, as `query` prints it
            writer.writerow(_as_text(hex_blobs(row)) if excel else hex_blobs(row))
            count += 1
    else:
        for row in cursor:
            out.write(json.dumps(dict(zip(columns, finite_row(row))), ensure_ascii=False, default=blob_hex) + "\n")
            count += 1
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(row: tuple) -> list:
    """The row with each text cell that Excel would read as a formula made text (OWASP's CSV injection advice)."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row]


@contextlib.contextmanager
def snapshot(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection that reads the database as it was at one moment, for an export of several tables:
    each statement outside a transaction reads the database as it is when it starts, so the tables of one
    export written while a crawl commits disagreed (measured: report_flat.csv 67 reports, reports.csv 114). Under
    WAL the writer goes on meanwhile; its commits are for the next export."""
    conn = connect_readonly(path)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot is taken at the first read
        yield conn
    finally:
        conn.close()


def export_table(path: str | Path, table: str, fmt: str, out: TextIO, *, headers: str = "en",
                 excel: bool = False, filters: Filters = Filters(),
                 conn: sqlite3.Connection | None = None) -> int:
    """Write every row of `table` to `out` as CSV or JSON Lines; returns the number of rows. No time limit:
    exports are big. `conn`: a `snapshot` of `path` shared by the tables of one export (left open)."""
    check_options(fmt, headers, excel)
    if fmt == "xlsx":
        raise ExportUsageError("xlsx is written to a file: use export_xlsx")
    names = exportable(path)
    with contextlib.nullcontext(conn) if conn is not None else snapshot(path) as conn:
        cursor = _cursor(conn, table, names, filters)
        header = _header(table, [d[0] for d in cursor.description], headers)
        try:
            return _write_rows(cursor, fmt, out, header, excel)
        except sqlite3.DatabaseError as exc:
            raise _export_error(table, exc, conn) from None


def _sheet_name(table: str, part: int) -> str:
    name = table if part == 1 else f"{table} ({part})"
    return name[:31]


def _xlsx_value(value):
    if isinstance(value, bytes):
        value = value.hex()  # (a blob past 16,383 bytes is cut as text is)
    if isinstance(value, str) and len(value) > XLSX_MAX_TEXT // 2 and _utf16_units(value) > XLSX_MAX_TEXT:
        # counted as Excel counts: cut by len, 20,000 characters of CJK Extension B (40,000 units) were left to
        # XlsxWriter, which cut them without the '…' and then wrote none of the row's cells right of it
        units = 0
        for end, char in enumerate(value):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > XLSX_MAX_TEXT - 1:
                return value[:end] + "…"
    return value


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def export_xlsx(path: str | Path, tables: list[str], out: str | Path | BinaryIO, *, headers: str = "en",
                filters: Filters = Filters(), max_rows: int = XLSX_MAX_ROWS) -> dict[str, int]:
    """Write each table to its own sheet of an xlsx workbook at `out` (a path: write it through
    `atomic_path`); returns rows per table. Strings stay strings (never formulas or links), blank cells stay
    blank, numbers stay numbers; text past Excel's 32,767 characters (UTF-16 units) per cell is cut with '…'."""
    import xlsxwriter

    check_options("xlsx", headers, False)
    names = exportable(path)
    # every sheet as the database was at one moment; XlsxWriter's working files (constant memory's row files, the
    # parts it zips: several times the workbook) beside it, removed whatever happens (`_beside`)
    with snapshot(path) as conn, tempfile.TemporaryDirectory(prefix=".govreports-xlsx-", dir=_beside(out)) as working:
        missing = [t for t in tables if t not in names]
        if missing:
            raise _unknown(conn, missing[0], names)
        workbook = xlsxwriter.Workbook(out if not isinstance(out, Path) else str(out), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "tmpdir": working})
        bold = workbook.add_format({"bold": True})
        counts: dict[str, int] = {}
        for table in tables:
            cursor = _cursor(conn, table, names, filters)
            header = _header(table, [d[0] for d in cursor.description], headers)
            part, row_no, count, sheet = 0, max_rows, 0, None
            try:
                for row in cursor:
                    if row_no >= max_rows:
                        part += 1
                        sheet = _new_sheet(workbook, _sheet_name(table, part), header, bold)
                        row_no = 1
                    sheet.write_row(row_no, 0, [_xlsx_value(v) for v in finite_row(row)])
                    row_no += 1
                    count += 1
            except sqlite3.DatabaseError as exc:
                raise _export_error(table, exc, conn) from None
            if sheet is None:  # no rows: the sheet still shows the columns
                _new_sheet(workbook, _sheet_name(table, 1), header, bold)
            counts[table] = count
        workbook.close()
    return counts


def _beside(out) -> str | None:
    """The folder of the workbook's file (with `atomic_path`, its temp file's: the disk that must hold the workbook
    anyway): XlsxWriter's working files went to /tmp whatever the output, and a /tmp smaller than the sheets (a
    tmpfs) failed a large export whose own disk had room, a failed one leaving its row files there. None (tempfile's
    rule: TMPDIR, else /tmp) for a stream, a pipe or a device, which have no folder of their own to fill."""
    if not isinstance(out, (str, os.PathLike)):
        return None
    out = Path(out)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(out.stat().st_mode):
            return None
    return str(out.parent)


def _new_sheet(workbook, name: str, header: list[str], bold):
    sheet = workbook.add_worksheet(name)
    for i, title in enumerate(header):
        sheet.set_column(i, i, min(40, max(8, 2 * len(title) if not title.isascii() else len(title) + 2)))
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, header, bold)
    return sheet


def _new_file_mode(target: Path) -> int:
    """The mode the target would have had: its own if it exists, else what `open()` gives under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return new_file_mode()


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
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temp file's path to write (by any writer: a text stream, a workbook); on success it replaces `target`
    (fsynced, then `os.replace`), on any failure it is deleted and `target` is untouched. The temp file is
    `.<name>.<random>.tmp` in the target's directory, so the rename stays on one file system. A target that is
    no regular file (`/dev/stdout`, `/dev/null`, a named pipe) is written in place: renamed over, the pipe became
    a file its reader never saw, and run as root /dev/null a regular file. Through a link, the file it names is
    replaced and the link kept."""
    target = Path(target)
    try:
        is_file = stat.S_ISREG(target.stat().st_mode)  # (follows links: /dev/stdout is one, to a pipe or a tty)
    except FileNotFoundError:
        is_file = True  # a new file (or a link to one not made yet)
    if not is_file:
        yield target
        return
    if target.is_symlink():
        target = target.resolve()
    directory = target.parent
    mode = _new_file_mode(target)
    try:
        with _signals_unwind():
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            try:
                yield Path(tmp)
                with open(tmp, "rb+") as written:
                    os.fsync(written.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
    except _Terminated as exc:
        raise SystemExit(128 + exc.args[0]) from None
    fsync_dir(directory)


@contextlib.contextmanager
def atomic_output(target: str | Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text file to write, whole or absent (`atomic_path`)."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding=encoding, newline="") as out:
        yield out
