"""Run user SQL against the database without any way to change it, and without letting it run forever.

Three layers, so no single mistake opens a write path: the file is opened read-only (`mode=ro` URI), the
connection is `PRAGMA query_only`, and an authorizer allows only reading actions (no ATTACH, no PRAGMA that sets
a value, no DML/DDL). SQLite itself refuses; nothing here tries to recognise write statements by regex.

Every statement has a time limit (default 10 s), enforced by SQLite's progress handler, which SQLite calls every
few thousand virtual-machine steps: a recursive CTE without end or a cross join of the big tables is stopped
inside SQLite rather than by killing the process. Time spent blocked writing streamed output (a pager, a slow
pipe) does not count.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO
from urllib.parse import quote

from govreports.errors import GovreportsError, StorageError
from govreports.store.db import BUSY_TIMEOUT_S, NewerSchema, could_not_write, damaged, refuse_newer_schema

DEFAULT_TIMEOUT_S = 10.0
PROGRESS_STEPS = 10_000  # VM instructions between clock checks: well under a millisecond, negligible overhead
BATCH = 500  # rows fetched from SQLite at a time when streaming

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_TRANSACTION,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
# PRAGMAs whose argument names a thing to describe rather than a value to set
_PRAGMAS_WITH_ARG = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                     "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"}
REFUSED = ("refused: the query would change the database, and `govreports query` is read-only "
           "(only SELECT/WITH and read-only PRAGMAs run here)")


class QueryError(GovreportsError):
    """A query that could not run; the message is for the user (exit code 1)."""


class NotGovreportsDatabase(QueryError):
    """The file is an SQLite database without govreports' tables (exit 1)."""


class ReadOnlyError(QueryError):
    """The query tried to write."""


class QueryTimeout(QueryError):
    """The query ran longer than its time limit and SQLite stopped it."""

    def __init__(self, seconds: float):
        super().__init__(f"query stopped after {seconds:g} s (--timeout)")
        self.seconds = seconds


class QueryMemoryError(QueryError):
    """SQLite ran out of memory, usually because the heap limit (`--max-memory`) was reached."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]


_SQL_SPACE = " \t\n\f\r;"  # SQLite's whitespace, and the semicolons between statements


def holds_statement(sql: str) -> bool:
    """Whether `sql` holds anything but whitespace, semicolons and comments (`-- …` to the line's end, `/* … */` or
    one left open, as SQLite reads them): SQL of those alone runs nothing, and without columns read as "0 rows".
    Only the text before the first token is read, so no quoted string needs recognising."""
    i = 0
    while i < len(sql):
        if sql[i] in _SQL_SPACE:
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = len(sql) if end < 0 else end + 2
        else:
            return True
    return False


def _authorize(action, arg1, arg2, dbname, source):
    if action in _ALLOWED or (action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _PRAGMAS_WITH_ARG)):
        return sqlite3.SQLITE_OK
    # FTS5's constructor declares its table, which SQLite authorizes as an update of sqlite_master;
    # mode=ro and query_only still stop any real write there.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def connect_readonly(path: str | Path, *, any_schema: bool = False) -> sqlite3.Connection:
    """`path` opened for reading only. A database a newer govreports wrote is refused (store.db.NewerSchema) unless
    `any_schema` (`query`: SQL the user wrote, read as it stands)."""
    path = Path(path)
    if not path.is_file():
        raise QueryError(f"no database at {path} (create one with `govreports load`)")
    try:
        conn = _open_readonly(path)
    except sqlite3.DatabaseError as exc:
        if not (getattr(exc, "sqlite_errorname", "") == "SQLITE_CANTOPEN" and _on_read_only_disk(path)):
            raise
        conn = _open_readonly(path, immutable=True)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reports'").fetchone() is None:
        conn.close()  # an empty file (a database opened and never written), or another program's: each command
        # failed on its first table with a traceback, or printed "no such table"
        raise NotGovreportsDatabase(f"{path} holds no govreports tables (an empty file, or another program's "
                                    "database): create it with `govreports load` or a crawl")
    if not any_schema:
        try:
            refuse_newer_schema(conn, path)
        except NewerSchema:
            conn.close()
            raise
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorize)
    return conn


class OlderSchema(QueryError):
    """A table or column the database's schema does not have yet: a govreports before this one wrote it."""


def older_schema(exc: BaseException, conn: sqlite3.Connection) -> OlderSchema | None:
    """`exc` said as what it is when the statement names a table or column that a pending migration adds: the
    database's schema is older than this govreports'. Read-only commands never migrate (a migration is a write, and
    a writer may be running), and such a database failed them with a traceback (`report`, `chart`, `analyze
    rule_failures`: "no such column: a.province") or a bare "SQL error: no such table: scorecard"."""
    from govreports.store.migrations import latest_version

    text = str(exc)
    if not (isinstance(exc, sqlite3.OperationalError) and text.startswith(("no such table", "no such column"))):
        return None
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error:
        return None
    if version >= latest_version():
        return None
    return OlderSchema(f"{text}: this database is of an older govreports (schema version {version}, this govreports "
                       f"writes {latest_version()}): `govreports serve` or the next load or crawl upgrades it")


class _ReadConnection(sqlite3.Connection):
    """A read-only connection whose statements that need what a pending migration adds fail as OlderSchema."""

    def execute(self, sql, parameters=(), /):
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            older = older_schema(exc, self)
            if older is None:
                raise
            raise older from exc


def _open_readonly(path: Path, *, immutable: bool = False) -> sqlite3.Connection:
    """The file opened read-only (`immutable`: without the -shm file a WAL database is read through), and read once:
    a file that is no database says so here."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro{'&immutable=1' if immutable else ''}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False, factory=_ReadConnection)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if not damaged(exc):
            raise
        raise StorageError(could_not_write(exc, path=path)) from None
    return conn


def _on_read_only_disk(path: Path) -> bool:
    """Whether the database lies on a file system mounted read-only (a `:ro` volume, a read-only share, a disc) with
    no write-ahead log beside it. There SQLite cannot create the -shm file a WAL database is read through, and
    every reader failed with "unable to open database file", which the commands reported as a database that could
    not be written (exit 74). Nobody can write the file there, so an immutable read is exact; a -wal left with
    content (a copy taken while a writer ran) holds commits an immutable read would miss: not read that way."""
    resolved = path.resolve()
    try:
        read_only = bool(os.statvfs(resolved.parent).f_flag & os.ST_RDONLY)
        wal = resolved.with_name(resolved.name + "-wal")
        return read_only and (not wal.exists() or wal.stat().st_size == 0)
    except OSError:
        return False


class _Clock:
    """Time one statement has used since it started; its `check` is the progress handler enforcing the limit.

    The clock runs from the start of the statement, through fetching and formatting its rows, and stops only
    while the output is being written (`paused`): a pager or a slow pipe that blocks the writer does not use up
    the query's time, but the work of producing rows, in SQLite or in Python, does.
    """

    def __init__(self, limit: float | None):
        self.limit = limit if limit and limit > 0 else None
        self.spent = 0.0
        self.since: float | None = time.monotonic()
        self.expired = False

    def elapsed(self) -> float:
        return self.spent + (time.monotonic() - self.since if self.since is not None else 0.0)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        if self.since is None:  # nested pause
            yield
            return
        self.spent += time.monotonic() - self.since
        self.since = None
        try:
            yield
        finally:
            self.since = time.monotonic()

    def check(self) -> int:
        """Nonzero makes SQLite interrupt the statement (it then raises OperationalError "interrupted")."""
        if self.limit is not None and self.elapsed() > self.limit:
            self.expired = True
            return 1
        return 0

    def install(self, conn: sqlite3.Connection) -> None:
        """Also without a limit: Python runs signal handlers only in Python code, so the handler is what lets
        Ctrl-C stop a long statement (its KeyboardInterrupt interrupts SQLite; `_query_error` re-raises it)."""
        conn.set_progress_handler(self.check, PROGRESS_STEPS)


class _PausingWriter:
    """A text stream whose writes do not count against the query's time (see _Clock)."""

    def __init__(self, out: TextIO, clock: _Clock):
        self._out, self._clock = out, clock

    def write(self, text: str) -> int:
        with self._clock.paused():
            return self._out.write(text)

    def flush(self) -> None:
        with self._clock.paused():
            self._out.flush()

    def __getattr__(self, name: str):
        return getattr(self._out, name)


def _query_error(exc: BaseException, clock: _Clock, conn: sqlite3.Connection) -> GovreportsError:
    """The user-facing error for an exception raised while SQLite prepared or ran a statement: the statement's
    (QueryError), or a damaged database file's, which no statement could read (StorageError, exit 74)."""
    if damaged(exc):
        return StorageError(could_not_write(exc, db=conn))
    if clock.expired:
        return QueryTimeout(clock.limit or 0)
    if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
        raise KeyboardInterrupt  # Ctrl-C inside the progress handler, which sqlite3 turns into an interrupt
    if isinstance(exc, MemoryError):
        return QueryMemoryError("SQLite ran out of memory: the query needs more than the heap limit "
                                "(`govreports query --max-memory`)")
    text = str(exc)
    if ("not authorized" in text or "authorization denied" in text or "readonly" in text
            or "because it is a view" in text):  # a write to a view (cells, m010) fails before the authorizer
        return ReadOnlyError(REFUSED)
    return QueryError(f"SQL error: {text}")


_SQLITE_ERRORS = (sqlite3.DatabaseError, sqlite3.ProgrammingError, sqlite3.Warning, MemoryError)


class QueryStream:
    """The rows of one running read-only statement, fetched from SQLite in batches as they are consumed.

    For output of any size: memory holds one batch, not the result. Iterating raises QueryError (QueryTimeout,
    QueryMemoryError) if SQLite fails midway; rows already yielded stay valid. Close it (or use `with`) to
    release the connection.
    """

    def __init__(self, conn: sqlite3.Connection, cursor: sqlite3.Cursor, clock: _Clock,
                 limit: int | None = None, batch: int = BATCH):
        self._conn, self._cursor, self._clock = conn, cursor, clock
        self.columns = [d[0] for d in cursor.description] if cursor.description else []
        self.limit = limit if limit and limit > 0 else None
        self.batch = batch
        self.count = 0
        self.limited = False  # True when iteration stopped at `limit` rows with more rows left

    def writer(self, out: TextIO) -> TextIO:
        """`out`, wrapped so time spent blocked writing to it does not count against the time limit."""
        return _PausingWriter(out, self._clock)  # type: ignore[return-value]

    def _fetch(self, size: int) -> list[tuple]:
        try:
            return self._cursor.fetchmany(size)
        except _SQLITE_ERRORS as exc:
            raise _query_error(exc, self._clock, self._conn) from None

    def __iter__(self) -> Iterator[tuple]:
        while True:
            size = self.batch if self.limit is None else min(self.batch, self.limit - self.count)
            if size <= 0:  # cut short only when a row past the limit exists: "3 rows (stopped at --limit 3)" of a
                self.limited = bool(self._fetch(1))  # 3-row result read as rows left unprinted
                return
            rows = self._fetch(size)
            if not rows:
                return
            for row in rows:
                self.count += 1
                yield row

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "QueryStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _start(conn: sqlite3.Connection, sql: str, params, clock: _Clock) -> sqlite3.Cursor:
    """Prepare and run the statement to its first row, under the clock (a big sort does all its work here)."""
    clock.install(conn)
    try:
        return conn.execute(sql, params or ())
    except _SQLITE_ERRORS as exc:
        raise _query_error(exc, clock, conn) from None


def open_query(path: str | Path, sql: str, params: dict | tuple | None = None, *,
               timeout: float | None = DEFAULT_TIMEOUT_S, limit: int | None = None,
               batch: int = BATCH, any_schema: bool = False) -> QueryStream:
    """Start one read-only statement and return its rows as a stream (errors in the SQL raise here, before
    any row, so a caller prints nothing for a refused or malformed query). `timeout` None or 0: no limit.
    `any_schema`: as connect_readonly's."""
    conn = connect_readonly(path, any_schema=any_schema)
    clock = _Clock(timeout)
    try:
        cursor = _start(conn, sql, params, clock)
    except BaseException:
        conn.close()
        raise
    return QueryStream(conn, cursor, clock, limit, batch)


def run_query(path: str | Path, sql: str, params: dict | tuple | None = None, *,
              timeout: float | None = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run one read-only statement and return all its rows; writes raise ReadOnlyError, a statement running
    longer than `timeout` seconds raises QueryTimeout. For small results (analyses, searches, tests)."""
    with open_query(path, sql, params, timeout=timeout) as stream:
        return QueryResult(stream.columns, list(stream))


def _heap_limit_fn(library: str | None):
    try:
        return ctypes.CDLL(library).sqlite3_hard_heap_limit64 if library else None
    except (OSError, AttributeError):
        return None


def _c_heap_limit():
    """`sqlite3_hard_heap_limit64` of the SQLite library the sqlite3 module uses, or None if unreachable."""
    fn = _heap_limit_fn("libsqlite3.so.0") or _heap_limit_fn(ctypes.util.find_library("sqlite3"))  # soname first
    if fn is not None:
        fn.restype, fn.argtypes = ctypes.c_int64, [ctypes.c_int64]
    return fn


@contextlib.contextmanager
def heap_limit(nbytes: int | None) -> Iterator[None]:
    """Cap SQLite's heap while the block runs: past it SQLite fails with out-of-memory (QueryMemoryError)
    instead of the machine swapping over a runaway `group_concat`. Sorts spill to temp files and need no cap.

    The limit is process-wide, so this is for a process running one query (the CLI). A PRAGMA can only lower
    it; it is put back through the C API, and only when that API is verifiably the same library (a statically
    linked sqlite3 module would leave the cap in place until the process ends).
    """
    if not nbytes or nbytes <= 0:
        yield
        return
    probe = sqlite3.connect(":memory:")
    try:
        before = probe.execute("PRAGMA hard_heap_limit").fetchone()[0]
        now = probe.execute(f"PRAGMA hard_heap_limit = {int(nbytes)}").fetchone()[0]
    finally:
        probe.close()
    c_limit = _c_heap_limit()
    same_library = c_limit is not None and c_limit(-1) == now
    try:
        yield
    finally:
        if same_library:
            c_limit(before)
