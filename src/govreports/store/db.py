"""Open the database the one way every command and flow should: WAL, a 30 s busy timeout, migrated.

WAL lets readers keep reading while one writer writes; the busy timeout makes a second writer wait for the
first instead of failing. Writers take the lock up front with `BEGIN IMMEDIATE` (`write_transaction`): a
deferred `BEGIN` that later upgrades to a write lock can fail at once with SQLITE_BUSY under WAL, timeout or not.

`connect(path)` is the scoped form every command, flow and test uses: `with connect(path) as db:` opens as
`open_db` does and closes the connection when the block ends, however it ends. Like sqlite-utils' own
`Database.__exit__` it closes without committing: every write method commits itself and `write_transaction`
commits its block, so only a transaction left open by hand is rolled back. `open_db` stays for a connection that
outlives one block (a long-running writer that closes it itself).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from govreports.errors import GovreportsError, StorageError
from govreports.paths import DEFAULT_DB
from govreports.store.migrations import migrations

BUSY_TIMEOUT_S = 30.0
# what SQLite says when the file cannot be written, whatever the statement: a full disk, an I/O error, a read-only
# file or folder; extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DIRECTORY…) start with these
_CANNOT_WRITE = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")
# a file SQLite cannot use at all: damaged (a disk error, a copy taken mid-write, a truncated file) or not a database;
# every statement on it fails, so it ends a run as a full disk does (exit 74), named for what it is
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def cannot_write(exc: BaseException) -> bool:
    """Whether `exc` says the database file cannot be written (StorageError, exit 74), not that a statement is
    wrong or another writer holds the file (exit 75)."""
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorname", None) or "").startswith(_CANNOT_WRITE + _DAMAGED)
    return isinstance(exc, OSError)


def locked(exc: BaseException) -> bool:
    """Whether `exc` says SQLite gave up waiting (BUSY_TIMEOUT_S) for a lock another program holds on the database
    (exit 75, as the writer lock's DatabaseBusy): no write of the run could go through either."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def damaged(exc: BaseException) -> bool:
    """Whether `exc` says the database file is damaged or is not a SQLite database."""
    return isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorname", None) or "").startswith(_DAMAGED)


def database_file(db: Database | sqlite3.Connection) -> str:
    """The database's file, for messages (also of a file that is not a database: SQLite names it unread)."""
    conn = db.conn if isinstance(db, Database) else db
    try:
        return conn.execute("PRAGMA database_list").fetchone()[2] or "(in memory)"
    except sqlite3.Error:
        return "(unknown)"


def could_not_write(exc: BaseException, db: Database | sqlite3.Connection | None = None,
                    path: str | Path | None = None) -> str:
    """The first words of every "the database cannot be written" line: its file when known, SQLite's error, and
    its temporary folder when that is the one nearly full (full_disk_hint); or that the file is damaged."""
    where = f" {path}" if path is not None else f" {database_file(db)}" if db is not None else ""
    if getattr(exc, "sqlite_errorname", None) == "SQLITE_CORRUPT_VTAB":  # the search index (FTS5), derived data
        return (f"the search index of the database{where} is damaged ({exc}): `govreports repair-index "
                f"--db{where or ' FILE'}` rebuilds it from the stored sections; nothing else is lost")
    if damaged(exc):
        return (f"the database{where} is damaged or is not a SQLite database ({exc}): restore it from a backup, or "
                "move it aside and run again to build a new one (the archive keeps every page fetched)")
    return f"could not write the database{where}: {exc}{full_disk_hint(exc)}"


def sqlite_temp_dir() -> str:
    """Where SQLite writes its temporary files (sorts, index builds, the migrations' table copies): the first
    writable folder of SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp and ".", as its unix VFS looks for one."""
    for folder in (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp"):
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return "."


def full_disk_hint(exc: BaseException, low: int = 64 << 20) -> str:
    """For SQLite's "database or disk is full": the temporary folder, when it is the one nearly full. SQLite says
    the same whichever disk it ran out of, and a /tmp filled by another program fails a run whose database has
    room (measured: `crawl` with TMPDIR on a full tmpfs stopped at its migrations with that message alone)."""
    if not (isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"):
        return ""
    folder = sqlite_temp_dir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free >= low:
        return ""
    return (f" (SQLite's temporary files go to {folder}, which has {free // 1024} KB free: free some space there, or"
            " point SQLITE_TMPDIR at a folder with room)")


_DISK_ERRNOS = frozenset((errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG))


def storage_cause(exc: BaseException) -> BaseException | None:
    """The storage failure (a full disk, a read-only file, an I/O error) behind `exc`, or None: `exc` itself, or
    an exception it was raised from or while handling, or one in an exception group. A full disk can make a second
    failure that hides the first: with Prefect's home on the same disk as the database, the nightly flow's
    full-database error is followed by Prefect's own (its server answers 500 when asked to record the failed run),
    and only that one reaches the command."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        if isinstance(exc, StorageError) or (isinstance(exc, sqlite3.Error) and cannot_write(exc)) or (
                isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS):
            return exc
        todo.extend((exc.__context__, exc.__cause__, *getattr(exc, "exceptions", ())))
    return None


class NewerSchema(GovreportsError):
    """The database was written by a newer govreports: its schema has migrations this one does not know."""


def unknown_migrations(conn: sqlite3.Connection) -> list[str]:
    """The migrations applied to the database that this govreports does not have: a newer one wrote it."""
    from govreports.store.migrations import MIGRATION_SET

    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone() is None:
        return []
    known = {m.name for m in migrations._migrations}
    return [name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?"
                                             " ORDER BY rowid", [MIGRATION_SET]) if name not in known]


def refuse_newer_schema(conn: sqlite3.Connection, path: str | Path) -> None:
    """NewerSchema when a newer govreports wrote the database. An older one found nothing pending and went on: its
    loader wrote reports without what the newer schema keeps beside them, and its readers read the newer schema by
    their older rules (a report a later loader made no longer current counted again)."""
    unknown = unknown_migrations(conn)
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise NewerSchema(f"{path} was written by a newer govreports: its schema has {len(unknown)} migration(s) "
                          f"this one does not know ({shown}); use that govreports (or a later one) with it; "
                          "nothing was read or written")


def open_db(path: str | Path = DEFAULT_DB, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at `path`, in WAL mode, with pending migrations applied; one a newer
    govreports wrote is refused (NewerSchema) before anything is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = Database(conn)
    try:
        _ensure_wal(db)
        # With WAL, NORMAL only gives up durability of the last commits on power loss, never consistency.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA cache_size = -65536")  # 64 MiB: loading slows sharply once the indexes outgrow 2 MiB
        # Checkpoint every 16 MiB of WAL instead of 4: pages rewritten by every report (index right edges, the FTS
        # structure record) are copied back to the database once per checkpoint rather than four times as often.
        db.execute("PRAGMA wal_autocheckpoint = 4000")
        if migrate:
            refuse_newer_schema(conn, path)
            apply_migrations(db)
    except NewerSchema:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        if not damaged(exc):
            _name_database(exc, path)  # a full disk under a migration (m026's index rebuild, after an upgrade)
            conn.close()
            raise
        conn.close()
        raise StorageError(f"{could_not_write(exc, path=path)}; nothing was written") from exc
    db.file_identity = (path.absolute(), _identity(path))  # for still_the_same_file (absolute: a chdir later)
    return db


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode); None when it cannot be told (no file to stat, such as ":memory:", a network file system's
    error): only a file that is gone, or another file under the name, is "removed or replaced"."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (-1, -1)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def run_started_at(db: Database, run_id: int) -> str:
    """When run `run_id` began, from its row in `runs`. StorageError when the row is not there: a connection the
    run opened after its file was removed or replaced (a new empty file, a backup restored) would otherwise write
    the run's work into a file that knows nothing of the run; still_the_same_file only sees a replacement made
    after its own connection opened."""
    row = db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        raise StorageError(f"run {run_id} is not in the database {database_file(db)}: the file was removed or "
                           "replaced during the run; the run stops here (the next run fetches its reports again)")
    return row[0]


def still_the_same_file(db: Database, again: str = "the next run fetches those reports again") -> None:
    """Raise StorageError when the database's file was removed or replaced since open_db (`rm`, a backup restored
    with `mv` during a run): SQLite goes on writing the open file, which no longer has that name, so a run would
    end "all loaded", exit 0, with nothing in the file the name now holds. Checked before each of a run's writes.
    `again`: what brings back what was lost (a crawl's next run fetches its reports again; `load` is run again)."""
    path, identity = getattr(db, "file_identity", (None, None))
    if identity is None or identity == (-1, -1) or (now := _identity(path)) is None or now == identity:
        return
    raise StorageError(f"the database file {path} was removed or replaced during the run: what the run wrote went "
                       f"to the file it had opened, which no longer has that name; the run stops here ({again})")


@contextlib.contextmanager
def connect(path: str | Path = DEFAULT_DB, *, migrate: bool = True) -> Iterator[Database]:
    """`open_db(path)` for the length of a `with` block; the connection is closed when the block ends. An error
    that says the file cannot be written carries its path out (`database_of`): SQLite's own "database or disk is
    full" names no file, and the command's last line should."""
    db = open_db(path, migrate=migrate)
    try:
        yield db
        optimize(db)
    except Exception as exc:
        _name_database(storage_cause(exc), path)  # SQLite's, or behind another failure it caused
        raise
    finally:
        db.close()


# ANALYZE reads at most this many rows of each index `PRAGMA optimize` counts (SQLite's advice for it: an
# approximate count, in milliseconds, instead of a read of every row of a grown table)
ANALYSIS_LIMIT = 400


def optimize(db: Database) -> None:
    """`PRAGMA optimize` on a connection that wrote, as it closes (SQLite's advice; nothing ran ANALYZE, and the
    planner planned every query without statistics, sqlite_stat1): it counts (ANALYZE, `ANALYSIS_LIMIT` rows an
    index) the tables this connection's queries used whose indexes were never counted or which have grown 25-fold
    since, and does nothing otherwise. Best effort: a connection that only read, or left a transaction open, is
    left as it is, and one that meets another writer's lock gives up at once (SQLite fails ANALYZE's step from
    reading to writing at once then, and the busy timeout is 0 here besides), as it does on any SQLite error: the
    statistics wait for the next writer that closes, and the run's work is already committed."""
    conn = db.conn
    if not conn.total_changes or conn.in_transaction:
        return
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.execute("PRAGMA optimize")
        if conn.in_transaction:
            conn.commit()
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            conn.rollback()


def database_of(exc: BaseException) -> str | None:
    """The database file an error that cannot write was met on, when the code that met it knew (`open_db`,
    `connect`)."""
    return getattr(exc, "database", None)


def _name_database(exc: BaseException | None, path: str | Path) -> None:
    """Give SQLite's error that the file cannot be written the file it was met on (`database_of`), unless a block
    nearer to it named one already."""
    if isinstance(exc, sqlite3.Error) and cannot_write(exc) and database_of(exc) is None:
        exc.database = str(path)


def _ensure_wal(db: Database, timeout: float = BUSY_TIMEOUT_S) -> None:
    """Switch a new file to WAL (the mode is stored in the file, so later opens find it set).

    The switch needs an exclusive lock and SQLite fails it at once when another connection holds any lock, busy
    timeout or not: two processes opening the same new file together (parallel flow tasks, a reader) would crash.
    Retry until the busy timeout; whoever switched first has done it for everybody."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def apply_migrations(db: Database) -> int:
    """Apply pending migrations under the write lock (two processes opening a new file cannot race)."""
    if migrations.pending(db):
        with write_transaction(db):
            migrations.apply(db)
            applied = len(migrations.applied(db))
            db.execute(f"PRAGMA user_version = {applied}")
    return schema_version(db)


def schema_version(db: Database) -> int:
    """The number of applied migrations, as recorded in the database (`PRAGMA user_version`)."""
    return db.execute("PRAGMA user_version").fetchone()[0]


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction taken with BEGIN IMMEDIATE; nested use becomes a savepoint."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.commit()


@contextlib.contextmanager
def one_write(db: Database) -> Iterator[bool]:
    """write_transaction for a body that writes one statement: inside the caller's transaction it adds nothing, as
    a savepoint around one statement would undo nothing SQLite does not undo by itself (and costs two statements:
    four a crawled report, in the crawl's batches). Yields whether it began the transaction itself, that is,
    whether what the caller read before it may have changed since (inside the caller's transaction it has not:
    that transaction reads one snapshot, and holds the write lock once it has written)."""
    if db.conn.in_transaction:
        yield False
        return
    with write_transaction(db):
        yield True
