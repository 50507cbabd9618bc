"""m011: the scorecard's agency-years kept as rows (`agency_years`) instead of computed from every report on each read.

The views of m008 (SCORECARD_SQL_M008) grouped all reports, joined the years and looked up each agency-year's
report on every read: 1.1–1.7 s to the first rows of scorecard, late or compliance at 300,000 reports. Here each
agency-year an agency is expected to report for is a row, written when its reports change (store.load calls
`refresh_agency_years` for the agencies of each batch, in the batch's transaction), carrying the report that counts
(the earliest published current report, as m008 picks it) and copies of what reads order, filter and group by
(agency name, region, kind, on_time), so a listing streams from one index in its order and compliance counts one
covering index. The rows go up to the newest report year; the horizon (which depends on date('now')) is applied at
read time: a year after an agency's latest report (`tail`) shows only up to the horizon, exactly as m008's
`max(latest year, horizon)`.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations
from govreports.store.migrations.scorecard import LATE_SQL

AGENCY_YEARS_DDL = """CREATE TABLE agency_years (
  agency_id INTEGER NOT NULL,   -- agencies.id (an agency with a readable name: norm_name != '')
  year INTEGER NOT NULL,        -- from its first report's year through the newest report year in the database
  report_id INTEGER,            -- the report that counts: earliest published current report; null = missing
  tail INTEGER NOT NULL,        -- 1: after the agency's latest report (expected only up to the horizon)
  agency TEXT NOT NULL,         -- copies of agencies.name, province, city, county, coalesce(kind, 'department')
  province TEXT, city TEXT, county TEXT, kind TEXT NOT NULL,
  on_time INTEGER,              -- the report's published <= deadline; null: missing or no date
  PRIMARY KEY (agency_id, year)
) WITHOUT ROWID"""
_INDEXES = (
    # the listings' order (query.scorecard): the first rows stream without sorting every agency-year, and the
    # filters (region, year, the horizon, late's on_time/found) are read from the index before any row is looked up
    "CREATE INDEX agency_years_order ON agency_years(province IS NULL, province, city, county, agency, year, tail,"
    " report_id, on_time)",
    # compliance: counts per province and year read from this index alone (a scan of the table's rows in its order
    # looked each row up: 0.6 s at 300,000 reports); the newest year for `refresh_agency_years`
    "CREATE INDEX agency_years_year ON agency_years(year, province, tail, report_id, on_time, city, county)",
)

def deadline(alias: str) -> str:
    """SQL: the deadline (FORMAT.md §1) of the agency_years row `alias`, an ISO date."""
    return (f"({alias}.year + 1) || CASE WHEN {alias}.year <= 2018 OR {alias}.kind = 'government'"
            f" THEN '-03-31' ELSE '-01-31' END")


_DEADLINE = deadline("y")

# The newest report year (m011's view: its horizon is it or the year before it)
_NEWEST = "SELECT max(year) FROM reports WHERE year IS NOT NULL AND current_version_id IS NOT NULL"
# The last year of the rows (since m025): the newest report year, or the current year when that is later, so that a
# year becomes due (due_years.visible) without waiting for a report of it: a database written this year has the
# rows of every year that can fall due before February of the year after next
_TOP = f"SELECT max(coalesce(({_NEWEST}), 0), CAST(strftime('%Y', 'now') AS INTEGER)) AS y"

# The rows of the agencies in {ids} (a subquery of agency ids), as m008 computes them, to the year _TOP.
_ROWS = f"""WITH RECURSIVE
top AS ({_TOP}),
seen AS (SELECT r.agency_id, min(r.year) AS first_year, max(r.year) AS last_report
         FROM reports r JOIN agencies a ON a.id = r.agency_id
         WHERE r.agency_id IN ({{ids}}) AND r.year IS NOT NULL AND r.current_version_id IS NOT NULL
           AND a.norm_name != '' GROUP BY r.agency_id),
years(year) AS (SELECT min(first_year) FROM seen UNION ALL SELECT year + 1 FROM years WHERE year < (SELECT y FROM top)),
y AS (SELECT s.agency_id, t.year,
        (SELECT f.id FROM reports f WHERE f.agency_id = s.agency_id AND f.year = t.year
           AND f.current_version_id IS NOT NULL ORDER BY f.published IS NULL, f.published, f.id LIMIT 1) AS report_id,
        t.year > s.last_report AS tail, a.name AS agency, a.province, a.city, a.county,
        coalesce(a.kind, 'department') AS kind
      FROM seen s JOIN years t ON t.year >= s.first_year JOIN agencies a ON a.id = s.agency_id)
INSERT INTO agency_years (agency_id, year, report_id, tail, agency, province, city, county, kind, on_time)
SELECT y.agency_id, y.year, y.report_id, y.tail, y.agency, y.province, y.city, y.county, y.kind,
  CASE WHEN r.published IS NOT NULL THEN r.published <= {_DEADLINE} END
FROM y LEFT JOIN reports r ON r.id = y.report_id"""

# Every agency's rows follow the newest report year: years past it go; an agency not refreshed gains the new years
# as missing tail years (it has no report there, or it would be refreshed), copied from its row of the old top year.
_EXTEND = """WITH RECURSIVE top AS (SELECT :old AS o, :new AS y),
years(year) AS (SELECT o + 1 FROM top UNION ALL SELECT year + 1 FROM years WHERE year < (SELECT y FROM top))
INSERT OR IGNORE INTO agency_years (agency_id, year, report_id, tail, agency, province, city, county, kind, on_time)
SELECT a.agency_id, t.year, NULL, 1, a.agency, a.province, a.city, a.county, a.kind, NULL
FROM agency_years a JOIN years t WHERE a.year = :old"""

# Whether an agency-year `y` is expected today: any year up to the agency's latest report, a later one only up to the
# horizon (the newest report year once its 31 March has passed, else the year before it)
def visible(alias: str) -> str:
    """The condition on the agency_years row `alias` of m011's view (its horizon: the newest report year; since
    m025, due_years.visible: the year's deadline)."""
    return (f"({alias}.tail = 0 OR {alias}.year <= (SELECT CASE WHEN date('now') > (t.y + 1) || '-03-31'"
            f" THEN t.y ELSE t.y - 1 END\n  FROM ({_NEWEST.replace('max(year)', 'max(year) AS y')}) t))")

# The scorecard view on those rows: the columns of m008's, in its order, the same rows.
SCORECARD_SQL_M011 = f"""SELECT y.agency_id, y.agency, y.province, y.city, y.county, y.kind, y.year, y.report_id,
  (y.report_id IS NOT NULL) AS found, r.published, r.published_source, {_DEADLINE} AS deadline,
  CASE WHEN r.published IS NOT NULL
    THEN max(0, CAST(julianday(r.published) - julianday({_DEADLINE}) AS INTEGER)) END AS days_late,
  y.on_time,
  CASE WHEN y.year <= 2018 THEN 'pre2019' WHEN y.year <= 2020 THEN '2019' ELSE '2021' END AS format_expected,
  r.format,
  CASE WHEN y.report_id IS NULL OR r.format = 'unknown' THEN NULL
    WHEN r.format = CASE WHEN y.year <= 2018 THEN 'pre2019' WHEN y.year <= 2020 THEN '2019' ELSE '2021' END
      OR (y.year = 2019 AND r.format = 'pre2019') THEN 1 ELSE 0 END AS format_ok,
  v.rules_failed, v.rules_ok,
  CASE WHEN v.table_cells > 0 THEN round(1.0 * v.blank_cells / v.table_cells, 3) END AS blank_share,
  v.sections_present
FROM agency_years y LEFT JOIN reports r ON r.id = y.report_id LEFT JOIN report_versions v ON v.id = r.current_version_id
WHERE {visible('y')}"""


def refresh_agency_years(conn, agency_ids) -> None:
    """Rewrite the agency-years of `agency_ids` (agencies whose reports or name, region or kind changed) from their
    reports, and follow a change of the newest report year for every agency; in the caller's transaction."""
    import json

    ids = json.dumps(sorted({int(i) for i in agency_ids}))
    old = conn.execute("SELECT max(year) FROM agency_years").fetchone()[0]
    new = conn.execute(_TOP).fetchone()[0]
    if old is not None and old != new:
        if new is None:
            conn.execute("DELETE FROM agency_years")
        elif new < old:
            conn.execute("DELETE FROM agency_years WHERE year > ?", [new])
        else:
            conn.execute(_EXTEND, {"old": old, "new": new})
    if ids != "[]":
        conn.execute("DELETE FROM agency_years WHERE agency_id IN (SELECT value FROM json_each(?))", [ids])
        conn.execute(_ROWS.format(ids="SELECT value FROM json_each(:ids)"), {"ids": ids})


def rebuild_agency_years(conn) -> None:
    """Every agency's rows written again from the reports (the migration; a check that upkeep kept them)."""
    conn.execute("DELETE FROM agency_years")
    conn.execute(_ROWS.format(ids="SELECT id FROM agencies"))


@migrations()
def m011_agency_years(db: Database) -> None:
    """`agency_years`: a row per agency and year it is expected to report for, up to the newest report year, with
    the report that counts (see AGENCY_YEARS_DDL), filled here from the reports and kept by the loader; the views
    scorecard and late read it (SCORECARD_SQL_M011): the same columns and rows as m008's."""
    db.execute(AGENCY_YEARS_DDL)
    rebuild_agency_years(db.conn)
    for ddl in _INDEXES:
        db.execute(ddl)
    db.execute("DROP VIEW late")
    db.execute("DROP VIEW scorecard")
    db.create_view("scorecard", SCORECARD_SQL_M011)
    db.create_view("late", LATE_SQL)
