"""A damaged full-text index, rebuilt from the rows it indexes, so that the write it failed goes through.

The FTS5 tables (`sections_fts`) are derived data: FTS5's 'rebuild' command makes them again from the table they
index. A damaged index (a disk error, a copy of the file taken mid-write, a tool that edited its shadow tables)
fails every write to that table, with "constraint failed" or "database disk image is malformed": measured with
the index's structure record overwritten, every new or changed report of a crawl failed to load, the crawl ended
in a traceback (exit 1), and a nightly called each portal `internal`. The loaders now rebuild the index once, say
so, and write again; a database damaged anywhere else fails as it did, since no index check can mend it.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from sqlite_utils import Database

from govreports.errors import StorageError
from govreports.store.db import damaged, database_file, write_transaction

_T = TypeVar("_T")
_FTS5 = re.compile(r"\bUSING\s+fts5\s*\(", re.I)  # not fts5vocab, which indexes nothing of its own


def search_indexes(conn: sqlite3.Connection) -> list[str]:
    """The database's FTS5 tables."""
    return [name for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND "
                                               "sql LIKE 'CREATE VIRTUAL TABLE%'") if _FTS5.search(sql or "")]


def damaged_search_indexes(db: Database) -> list[str]:
    """The FTS5 tables whose 'integrity-check' fails, checked against the rows they index (rank 1): an index
    that lost its segments is consistent in itself, and finds nothing. It reads the whole index and the whole
    table: for after a failed write, not for every run."""
    conn = db.conn
    began = not conn.in_transaction  # the check is an INSERT, which opens the module's implicit transaction
    damaged = []
    try:
        for name in search_indexes(conn):
            try:
                conn.execute(f"INSERT INTO [{name}]([{name}], rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError:
                damaged.append(name)
    finally:
        if began and conn.in_transaction:
            conn.rollback()
    return damaged


def rebuild_search_indexes(db: Database, names: list[str]) -> None:
    """Rebuild the FTS5 tables `names` from the tables they index, in one write transaction."""
    with write_transaction(db):
        for name in names:
            db.execute(f"INSERT INTO [{name}]([{name}]) VALUES ('rebuild')")


def with_search_indexes_mended(db: Database, write: Callable[[], _T]) -> _T:
    """`write()` (one write transaction, rolled back when it fails); when it fails as a damaged index fails it
    (a constraint, a malformed page) and a search index is found damaged, the index is rebuilt, a warning names
    it, and `write()` runs once more. Any other failure, or a second one, is raised as it came."""
    try:
        return write()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) or not (isinstance(exc, sqlite3.IntegrityError) or damaged(exc)):
            raise  # a busy or full database, a statement's own error: what a damaged index never says
        start = time.monotonic()
        try:
            broken = damaged_search_indexes(db)
        except sqlite3.Error:
            raise exc from None  # the file itself, or another writer: the write's own error says which
        if not broken:
            raise
        try:
            rebuild_search_indexes(db, broken)
        except sqlite3.Error as err:  # a full disk, another writer: the index stays damaged, and says so
            raise StorageError(f"the search index {', '.join(broken)} of the database {database_file(db)} is "
                               f"damaged ({exc}) and could not be rebuilt ({err}): `govreports repair-index` "
                               "rebuilds it; the run stops here") from exc
        print(f"warning: the search index {', '.join(broken)} of the database {database_file(db)} was damaged "
              f"({exc}); it was rebuilt from the stored sections in {time.monotonic() - start:.1f} s, and the "
              "write went on", file=sys.stderr)
    return write()
