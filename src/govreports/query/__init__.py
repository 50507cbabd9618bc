"""Ways users query the database: read-only SQL, named analyses, exports.

Public API:
    run_query(path, sql, params=None) -> QueryResult(columns, rows)   raises ReadOnlyError for writes
    ANALYSES: name -> Analysis(name, title, title_zh, description, sql, params)
    run_analysis(path, name, agency=, year=, rule=) -> QueryResult
    export_table(path, table, fmt, out) -> int rows
    render(columns, rows, fmt, out)                                    table | csv | json
"""

from govreports.query.analyses import ANALYSES, Analysis, run_analysis
from govreports.query.export import EXPORT_FORMATS, export_table, exportable
from govreports.query.output import FORMATS, render
from govreports.query.readonly import QueryError, QueryResult, ReadOnlyError, connect_readonly, run_query

__all__ = ["ANALYSES", "EXPORT_FORMATS", "FORMATS", "Analysis", "QueryError", "QueryResult", "ReadOnlyError",
           "connect_readonly", "export_table", "exportable", "render", "run_analysis", "run_query"]
