"""Run user SQL against the database without any way to change it.

Three layers, so no single mistake opens a write path: the file is opened read-only (`mode=ro` URI), the
connection is `PRAGMA query_only`, and an authorizer allows only reading actions (no ATTACH, no PRAGMA that sets
a value, no DML/DDL). SQLite itself refuses; nothing here tries to recognise write statements by regex.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from govreports.store.db import BUSY_TIMEOUT_S

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_TRANSACTION,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
# PRAGMAs whose argument names a thing to describe rather than a value to set
_PRAGMAS_WITH_ARG = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                     "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"}
REFUSED = ("refused: the query would change the database, and `govreports query` is read-only "
           "(only SELECT/WITH and read-only PRAGMAs run here)")


class QueryError(Exception):
    """A query that could not run; the message is for the user."""


class ReadOnlyError(QueryError):
    """The query tried to write."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def _authorize(action, arg1, arg2, dbname, source):
    if action in _ALLOWED or (action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _PRAGMAS_WITH_ARG)):
        return sqlite3.SQLITE_OK
    # FTS5's constructor declares its table, which SQLite authorizes as an update of sqlite_master;
    # mode=ro and query_only still stop any real write there.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise QueryError(f"no database at {path} (create one with `govreports load`)")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorize)
    return conn


def run_query(path: str | Path, sql: str, params: dict | tuple | None = None) -> QueryResult:
    """Run one read-only statement and return all its rows; writes raise ReadOnlyError."""
    conn = connect_readonly(path)
    try:
        return execute_readonly(conn, sql, params)
    finally:
        conn.close()


def execute_readonly(conn: sqlite3.Connection, sql: str, params: dict | tuple | None = None) -> QueryResult:
    try:
        cursor = conn.execute(sql, params or ())
        rows = cursor.fetchall()
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not authorized" in text or "authorization denied" in text or "readonly" in text:
            raise ReadOnlyError(REFUSED) from None
        raise QueryError(f"SQL error: {text}") from None
    except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:
        raise QueryError(f"SQL error: {exc}") from None
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return QueryResult(columns, rows)
