"""m009: per-year sums over current versions (`current_sums`), kept by the loader; search-order indexes."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

# m009: sums over reports' current versions, per year, kept by the loader as versions come and go, so the
# unfiltered aggregate analyses (refusals, outcomes) read a few thousand rows instead of every report's rows
# (at 300,000 reports: 3.3 M row totals for refusals, 7.5 M cells for outcomes, seconds each).
# Entries (year, table_name, row_key, col_key), `year` 0 for a report without one:
#   col_key ''  the row's total (row_totals.n), for every row of tables 三 and 四;
#   col_key '*' the row itself (review_litigation): `reports` counts the versions with cells in it;
#   any other  a review_litigation cell.
# reports: current versions with the entry; n: of them, with a number; total: the sum of those numbers (NULL when
# n = 0, as sum() gives); positive: numbers > 0.
CURRENT_SUMS_DDL = """CREATE TABLE current_sums (
    year INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    col_key TEXT NOT NULL,
    reports INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total,
    positive INTEGER NOT NULL,
    PRIMARY KEY (year, table_name, row_key, col_key)
) WITHOUT ROWID"""

def current_sums_add(moves: str, cell_keys: bool = True) -> str:
    """The statement that adds the rows of the versions in `moves` (version_id, year, sign) to current_sums: sign
    1 for a version that became current, -1 for one that stopped being current (entries left with no report are
    removed by CURRENT_SUMS_PRUNE). `cell_keys`: cells are read from cell_values (m010), else from the table
    cells as it was before m010. The moves drive the join (CROSS JOIN): a batch's few hundred versions, looked up
    by primary key, never a scan of every cell. Each version at most once in `moves`, with its net sign (the
    loader nets a batch's moves: store.children.net_moves): the row entries ('*') count a version once per (version, sign)."""
    if cell_keys:
        cells = ("CROSS JOIN cell_values c ON c.version_id = m.version_id"
                 " JOIN cell_keys k ON k.id = c.key_id AND k.table_name = 'review_litigation'")
    else:
        cells = "CROSS JOIN cells c ON c.version_id = m.version_id AND c.table_name = 'review_litigation'"
    key = "k" if cell_keys else "c"
    return f"""INSERT INTO current_sums (year, table_name, row_key, col_key, reports, n, total, positive)
SELECT year, table_name, row_key, col_key, sum(sign * r), sum(sign * (x IS NOT NULL)), sum(sign * x),
  sum(sign * coalesce(x > 0, 0))
FROM (
  SELECT coalesce(m.year, 0) AS year, m.sign, {key}.table_name, {key}.row_key, {key}.col_key, 1 AS r, c.value AS x
    FROM {moves} m {cells}
  UNION ALL
  SELECT coalesce(m.year, 0), m.sign, 'review_litigation', {key}.row_key, '*', 1, NULL
    FROM {moves} m {cells}
    GROUP BY m.version_id, m.sign, {key}.row_key
  UNION ALL
  SELECT coalesce(m.year, 0), m.sign, t.table_name, t.row_key, '', 1, t.n
    FROM {moves} m CROSS JOIN row_totals t ON t.version_id = m.version_id)
WHERE true
GROUP BY year, table_name, row_key, col_key
ON CONFLICT (year, table_name, row_key, col_key) DO UPDATE SET
  reports = reports + excluded.reports,
  total = CASE WHEN n + excluded.n > 0 THEN coalesce(total, 0) + coalesce(excluded.total, 0) END,
  n = n + excluded.n,
  positive = positive + excluded.positive"""


CURRENT_SUMS_ADD = current_sums_add("{moves}")  # the loader's (cells in cell_values); format with moves=
CURRENT_SUMS_PRUNE = "DELETE FROM current_sums WHERE reports = 0"
CURRENT_MOVES = "(SELECT current_version_id AS version_id, year, 1 AS sign FROM reports)"


@migrations()
def m009_current_sums(db: Database) -> None:
    """`current_sums` (CURRENT_SUMS_DDL), counted once here from the reports' current versions; from then on the
    loader adds each version that becomes current and subtracts the one it replaces, in the same transaction.
    `agencies_name`: the analyses list reports by agency name, and with the index their first rows come without
    sorting every report first. `reports_recent`: reports in search order (newest year first, then by id), so a
    search reads the newest reports first and stops when it has found enough (store.fts.WINDOW)."""
    db.execute(CURRENT_SUMS_DDL)
    db.execute(current_sums_add(CURRENT_MOVES, cell_keys=False))  # cells is still a table here (m010)
    db.execute(CURRENT_SUMS_PRUNE)
    db.execute("CREATE INDEX agencies_name ON agencies(name)")
    db.execute("CREATE INDEX reports_recent ON reports(year DESC, id, current_version_id, agency_id)")
