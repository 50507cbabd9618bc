"""Ways users query the database: read-only SQL, named analyses, exports.

Public API:
    run_query(path, sql, params=None, timeout=10) -> QueryResult(columns, rows)
                                      raises ReadOnlyError for writes, QueryTimeout past `timeout` seconds
    open_query(path, sql, params=None, timeout=10, limit=None) -> QueryStream   rows fetched as iterated
    heap_limit(nbytes)                                                 context: caps SQLite's heap (CLI)
    ANALYSES: name -> Analysis(name, title, title_zh, description, sql, params)
    run_analysis(path, name, agency=, year=, rule=, region=) -> QueryResult   (scorecard, late, compliance too)
    resolve_agency(conn, text) -> Agency       exact, then normalised name; else AgencyNotFound with suggestions
    export_table(path, table, fmt, out) -> int rows                  csv | jsonl (--excel: BOM, CRLF)
    export_xlsx(path, tables, out, headers=) -> rows per sheet       one sheet per table or view, streamed
    atomic_output(path) -> context yielding a text file that replaces `path` only on success
    atomic_path(path) -> context yielding a temp path that replaces `path` only on success (any writer)
    render(columns, rows, fmt, out) -> int rows                        table | csv | json, streamed
"""

from govreports.query.analyses import ANALYSES, Analysis, run_analysis
from govreports.query.export import EXPORT_FORMATS, atomic_output, atomic_path, export_table, exportable
from govreports.query.output import FORMATS, render
from govreports.query.readonly import (DEFAULT_TIMEOUT_S, QueryError, QueryMemoryError, QueryResult, QueryStream,
                                       QueryTimeout, ReadOnlyError, connect_readonly, heap_limit, open_query,
                                       run_query)

__all__ = ["ANALYSES", "DEFAULT_TIMEOUT_S", "EXPORT_FORMATS", "FORMATS", "Analysis", "QueryError",
           "QueryMemoryError", "QueryResult", "QueryStream", "QueryTimeout", "ReadOnlyError", "atomic_output",
           "atomic_path", "connect_readonly", "export_table", "exportable", "heap_limit", "open_query", "render",
           "run_analysis", "run_query"]
