"""m028: the agency-years counted by province, year, kind, tail and status (`agency_year_counts`), kept by triggers
on agency_years; the late and the missing agency-years each in an index of their own, by province and name.

The chart late_missing (charts.specs) numbered every agency-year with a window and joined the names of the first
of each province and status on each read: 3.5 M SQLite steps at 33,000 agency-years (25,000 reports), ~3.5 s at
300,000 reports, past Datasette's time limit. It reads these counts (a few thousand rows at national scale: whether
a year after the agency's latest report is due depends on today's date, applied to each count as to each row) and
the first agency-years it names from the two partial indexes, in their order.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


def status_sql(alias: str) -> str:
    """SQL: the late_missing status of the agency_years row `alias`."""
    return (f"CASE WHEN {alias}.report_id IS NULL THEN 'missing' WHEN {alias}.on_time = 0 THEN 'late'"
            f" WHEN {alias}.on_time = 1 THEN 'on_time' ELSE 'no_date' END")


COUNTS_DDL = """CREATE TABLE agency_year_counts (
  province TEXT,          -- agency_years.province (null: unknown)
  year INTEGER NOT NULL,
  kind TEXT NOT NULL,
  tail INTEGER NOT NULL,
  status TEXT NOT NULL,   -- missing, late, on_time, no_date
  n INTEGER NOT NULL      -- agency-years (rows with none are removed)
)"""
_INDEXES = (
    "CREATE INDEX agency_year_counts_key ON agency_year_counts(province, year, kind, tail, status)",
    # the first agency-years late_missing names, read in its order: a province's late or missing ones by name
    "CREATE INDEX agency_years_missing ON agency_years(province, agency, year, tail, kind) WHERE report_id IS NULL",
    "CREATE INDEX agency_years_late ON agency_years(province, agency, year, tail, kind) WHERE on_time = 0",
)


def _key(row: str) -> str:
    return (f"province IS {row}.province AND year = {row}.year AND kind = {row}.kind AND tail = {row}.tail"
            f" AND status = {status_sql(row)}")


def _add(row: str) -> str:
    return f"""INSERT INTO agency_year_counts (province, year, kind, tail, status, n)
    SELECT {row}.province, {row}.year, {row}.kind, {row}.tail, {status_sql(row)}, 0
    WHERE NOT EXISTS (SELECT 1 FROM agency_year_counts WHERE {_key(row)});
  UPDATE agency_year_counts SET n = n + 1 WHERE {_key(row)};"""


def _remove(row: str) -> str:
    return f"""UPDATE agency_year_counts SET n = n - 1 WHERE {_key(row)};
  DELETE FROM agency_year_counts WHERE n <= 0 AND {_key(row)};"""


TRIGGERS = (
    f"CREATE TRIGGER agency_year_counts_insert AFTER INSERT ON agency_years BEGIN\n  {_add('NEW')}\nEND",
    f"CREATE TRIGGER agency_year_counts_delete AFTER DELETE ON agency_years BEGIN\n  {_remove('OLD')}\nEND",
    "CREATE TRIGGER agency_year_counts_update AFTER UPDATE OF province, year, kind, tail, report_id, on_time"
    f" ON agency_years BEGIN\n  {_remove('OLD')}\n  {_add('NEW')}\nEND",
)

RECOUNT = f"""SELECT y.province, y.year, y.kind, y.tail, {status_sql('y')} AS status, count(*) AS n
FROM agency_years y GROUP BY 1, 2, 3, 4, 5"""


@migrations()
def m028_late_missing_counts(db: Database) -> None:
    """`agency_year_counts`, filled from agency_years and kept by triggers; the indexes of the late and missing."""
    db.execute(COUNTS_DDL)
    db.execute(f"INSERT INTO agency_year_counts (province, year, kind, tail, status, n) {RECOUNT}")
    for sql in (*_INDEXES, *TRIGGERS):
        db.execute(sql)
