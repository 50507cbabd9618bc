"""m008: a version's compliance facts stored at load, and the scorecard read from them."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations
from govreports.store.migrations.scorecard import (LATE_SQL, SCORECARD_SQL, _RULES_FAILED, _RULES_OK,
                                                    _SECTIONS_PRESENT)

# m008: the scorecard from facts stored per version at load time instead of recomputed for every row on every
# read: report_versions.table_cells and blank_cells (blank_share; counting each report's ~200 cells was 300 of
# its 450 ms on 10,000 reports), rules_failed and rules_ok (from its checks), sections_present; each
# agency-year's report found by its (agency_id, year) index instead of ranking every report in a window; and the
# expected agency-years as a join of agencies with the decade's years instead of a recursion per agency (a filter
# on the year then reaches the join: half the time for late/compliance --year).
_M008_REPLACE = (
    ("""ranked AS (SELECT r.id, r.agency_id, r.year, r.current_version_id, r.published, r.published_source, r.format,
             row_number() OVER (PARTITION BY r.agency_id, r.year ORDER BY r.published IS NULL, r.published, r.id) AS n
           FROM reports r WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL),
""", ""),
    ("""expected(agency_id, year, last_year) AS (
  SELECT agency_id, first_year, last_year FROM seen
  UNION ALL SELECT agency_id, year + 1, last_year FROM expected WHERE year < last_year),""",
     """years(year) AS (SELECT min(first_year) FROM seen
  UNION ALL SELECT year + 1 FROM years WHERE year < (SELECT max(last_year) FROM seen)),
expected AS (SELECT s.agency_id, y.year, s.last_year FROM seen s
  JOIN years y ON y.year BETWEEN s.first_year AND s.last_year),"""),
    ("""  LEFT JOIN ranked r ON r.agency_id = e.agency_id AND r.year = e.year AND r.n = 1)""",
     """  LEFT JOIN reports r ON r.id = (SELECT f.id FROM reports f WHERE f.agency_id = e.agency_id AND f.year = e.year
    AND f.current_version_id IS NOT NULL ORDER BY f.published IS NULL, f.published, f.id LIMIT 1))"""),
    (SCORECARD_SQL[SCORECARD_SQL.index("  (SELECT group_concat(rule"):], """  v.rules_failed, v.rules_ok,
  CASE WHEN v.table_cells > 0 THEN round(1.0 * v.blank_cells / v.table_cells, 3) END AS blank_share,
  v.sections_present
FROM base b LEFT JOIN report_versions v ON v.id = b.vid"""),
)
SCORECARD_SQL_M008 = SCORECARD_SQL
for _old, _new in _M008_REPLACE:
    assert _old in SCORECARD_SQL_M008, _old
    SCORECARD_SQL_M008 = SCORECARD_SQL_M008.replace(_old, _new)

# the facts m008 stores, counted from a version's rows (for versions loaded before it; the loader writes them)
COUNT_CELLS_SQL = """UPDATE report_versions SET (table_cells, blank_cells) = (
    SELECT count(*), coalesce(sum(c.value IS NULL AND c.raw IS NULL), 0) FROM cells c
    WHERE c.version_id = report_versions.id AND c.col_key != 'amount_unit')"""
COUNT_FACTS_SQL = f"""UPDATE report_versions SET
  rules_failed = {_RULES_FAILED.format(v="report_versions.id")},
  rules_ok = CASE {_RULES_OK.format(v="report_versions.id")} END,
  sections_present = {_SECTIONS_PRESENT.format(v="report_versions.id")}"""


@migrations()
def m008_version_facts(db: Database) -> None:
    """Per-version facts written by the loader, so the scorecard reads one row per report instead of its cells,
    checks and sections: `table_cells` (the cells of the three tables, amount units not counted), `blank_cells`
    (of those, the blank ones), `rules_failed` (the rules R1–R4 its checks fail, e.g. "R1,R3"), `rules_ok`
    (0 when a check fails, 1 when one passes and none fails, else null), `sections_present` (how many of the
    sections 一–六 it has); existing versions counted once here. The views scorecard and late are rebuilt on
    them (SCORECARD_SQL_M008)."""
    for column, kind in (("table_cells", "INTEGER"), ("blank_cells", "INTEGER"), ("rules_failed", "TEXT"),
                         ("rules_ok", "INTEGER"), ("sections_present", "INTEGER")):
        db.execute(f"ALTER TABLE report_versions ADD COLUMN {column} {kind}")
    db.execute(COUNT_CELLS_SQL)
    db.execute(COUNT_FACTS_SQL)
    db.execute("DROP VIEW late")
    db.execute("DROP VIEW scorecard")
    db.create_view("scorecard", SCORECARD_SQL_M008)
    db.create_view("late", LATE_SQL)
