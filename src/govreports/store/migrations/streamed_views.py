"""m016: report_flat and the three wide views give their first rows at once, whatever the database's size.

Each sorted or grouped its rows after computing every one: `SELECT * FROM report_flat LIMIT 100` took 2.1 s at
5,000 reports and applications_wide grouped every cell of every report first (1.3 s at 5,000, 8.6 s at 30,000;
Datasette's page gives up after 3 s). Now their rows come in the order they are read: report_flat walks the
agencies by name (index) and each one's reports by year and id (a new index), with no ORDER BY (see
report_flat_sql); a wide view walks the reports and, for each, the rows its table can have, keeping those the
report has cells in. Same columns, same rows, same order (an agency's name is what its normalised name was made
from, so no two agencies share one and their id after the name changes nothing).

Each cell is one primary-key lookup in `cell_values` (its key id looked up once per statement in report_flat,
where the key is constant), not a lookup of `cells`' three tables; rules_failed is the version's stored one (m008).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.flat import flat_cells, view_column
from govreports.store.migrations.registry import migrations
from govreports.store.migrations.search_views import wide_columns


def report_flat_sql() -> str:
    """One row per report (its current version), every cell a column, in agency-name order as it is read."""
    cells = ",\n".join(
        f"  (SELECT coalesce(c.raw, c.value) FROM cell_values c WHERE c.version_id = r.current_version_id"
        f" AND c.key_id = (SELECT k.id FROM cell_keys k WHERE k.table_name = '{t}' AND k.row_key = '{row}'"
        f" AND k.col_key = '{col}')) AS \"{name}\""
        for t, row, col, name in flat_cells())
    # No ORDER BY: the rows come in order because the loops are fixed. CROSS JOIN keeps agencies the outer loop;
    # INDEXED BY reads them in name order and each one's reports in (year, id) order. With an ORDER BY, SQLite
    # (3.40) computes every column of every row for a count(*) over the view (a subquery with ORDER BY is not
    # flattened into an aggregate): Datasette counts the view to suggest facets, and its page failed with "SQL
    # query took too long" past a few thousand reports. Without it the count reads no cell (5 s -> 5 ms at 5,000
    # reports). A test holds the order to the old view's.
    return f"""SELECT r.id AS report_id, a.name AS agency, r.agency_id, a.region, a.province, r.year, r.format,
  r.published, r.published_source, r.title, nullif(r.source_key, '') AS source,
  (SELECT v.rules_failed FROM report_versions v WHERE v.id = r.current_version_id) AS rules_failed,
{cells}
FROM agencies a INDEXED BY agencies_name CROSS JOIN reports r INDEXED BY reports_agency_year ON r.agency_id = a.id
WHERE r.current_version_id IS NOT NULL"""


def wide_sql(table: str, columns: list[str]) -> str:
    """A row per report and row of `table` the report has cells in, a column per column key; in report order,
    then the official row order (rows no label names first)."""
    pivots = ",\n".join(
        f"  (SELECT coalesce(c.raw, c.value) FROM cell_keys k JOIN cell_values c ON c.key_id = k.id"
        f" AND c.version_id = r.current_version_id WHERE k.table_name = '{table}' AND k.row_key = t.row_key"
        f" AND k.col_key = '{col}') AS \"{view_column(col)}\"" for col in columns)
    return f"""SELECT r.id AS report_id, a.name AS agency, r.year, r.format, t.row_key, t.row_label,
{pivots}
FROM reports r JOIN agencies a ON a.id = r.agency_id
CROSS JOIN (SELECT DISTINCT k.row_key, l.label AS row_label, l.seq FROM cell_keys k
            LEFT JOIN labels l ON l.table_name = k.table_name AND l.kind = 'row' AND l.key = k.row_key
            WHERE k.table_name = '{table}') t
WHERE EXISTS (SELECT 1 FROM cell_keys k JOIN cell_values c ON c.key_id = k.id AND c.version_id = r.current_version_id
              WHERE k.table_name = '{table}' AND k.row_key = t.row_key)
ORDER BY r.id, t.seq"""


@migrations()
def m016_streamed_views(db: Database) -> None:
    db.execute("CREATE INDEX reports_agency_year ON reports(agency_id, year)")
    db.execute("DROP VIEW report_flat")
    db.create_view("report_flat", report_flat_sql())
    for table, columns in wide_columns().items():
        db.execute(f"DROP VIEW {table}_wide")
        db.create_view(f"{table}_wide", wide_sql(table, columns))
