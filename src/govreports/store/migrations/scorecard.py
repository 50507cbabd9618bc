"""m006: publication-date sources, agency regions and kinds, and the compliance views `scorecard` and `late`."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

# A version's compliance facts from its rows, `{v}` its id: the scorecard view of m006 computes them on each
# read; m008 stores them (COUNT_FACTS_SQL counts them once for older versions, store.load writes them at load).
_RULES_FAILED = """(SELECT group_concat(rule, ',') FROM (SELECT DISTINCT k.rule FROM checks k
     WHERE k.version_id = {v} AND k.ok = 0 ORDER BY k.rule))"""
_RULES_OK = """WHEN EXISTS (SELECT 1 FROM checks k WHERE k.version_id = {v} AND k.ok = 0) THEN 0
    WHEN EXISTS (SELECT 1 FROM checks k WHERE k.version_id = {v} AND k.ok = 1) THEN 1"""
_SECTIONS_PRESENT = """(SELECT count(DISTINCT s.section) FROM sections s
     WHERE s.version_id = {v} AND s.section IN ('1', '2', '3', '4', '5', '6'))"""

# The compliance scorecard (issue 11): one row per agency and year it is expected to report for. An agency is
# expected every year from the first year it has a report for, through its latest report or the database's
# horizon, whichever is later; a year without a report is missing (found = 0). The horizon is the latest year any
# agency has a report for, once that year's last deadline (31 March) has passed — before then, the year before
# it: an agency that stopped publishing is missing from then on, while a year still being published is not held
# against anyone. Of several reports for one agency-year (re-posts with other content), the earliest published
# one counts. Reports whose agency could not be read (an empty name) are left out.
# Deadline (FORMAT.md §1): reports for 2018 and before, 31 March of the next year for every body; from the 2019
# reports (条例 as revised, in force 2019-05-15, Art. 49), 31 January for departments and 31 March for a
# people's government's own report (agencies.kind). Expected format: pre2019 up to 2018, 2019 for 2019–2020
# (for 2019 reports the 试行 format was new, so a free-form 2019 report is not counted against it), 2021 from 2021.
# blank_share: the share of the report's table cells that are blank (null), amount units not counted.
SCORECARD_SQL = """WITH RECURSIVE
latest AS (SELECT max(year) AS y FROM reports WHERE year IS NOT NULL AND current_version_id IS NOT NULL),
horizon AS (SELECT CASE WHEN date('now') > (y + 1) || '-03-31' THEN y ELSE y - 1 END AS year FROM latest),
seen AS (SELECT r.agency_id, min(r.year) AS first_year, max(max(r.year), (SELECT year FROM horizon)) AS last_year
         FROM reports r JOIN agencies a ON a.id = r.agency_id
         WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL AND a.norm_name != '' GROUP BY r.agency_id),
expected(agency_id, year, last_year) AS (
  SELECT agency_id, first_year, last_year FROM seen
  UNION ALL SELECT agency_id, year + 1, last_year FROM expected WHERE year < last_year),
ranked AS (SELECT r.id, r.agency_id, r.year, r.current_version_id, r.published, r.published_source, r.format,
             row_number() OVER (PARTITION BY r.agency_id, r.year ORDER BY r.published IS NULL, r.published, r.id) AS n
           FROM reports r WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL),
base AS (
  SELECT a.id AS agency_id, a.name AS agency, a.province, a.city, a.county, coalesce(a.kind, 'department') AS kind,
    e.year, r.id AS report_id, r.current_version_id AS vid, r.published, r.published_source, r.format,
    (e.year + 1) || CASE WHEN e.year <= 2018 OR a.kind = 'government' THEN '-03-31' ELSE '-01-31' END AS deadline,
    CASE WHEN e.year <= 2018 THEN 'pre2019' WHEN e.year <= 2020 THEN '2019' ELSE '2021' END AS format_expected
  FROM expected e JOIN agencies a ON a.id = e.agency_id
  LEFT JOIN ranked r ON r.agency_id = e.agency_id AND r.year = e.year AND r.n = 1)
SELECT b.agency_id, b.agency, b.province, b.city, b.county, b.kind, b.year, b.report_id,
  (b.report_id IS NOT NULL) AS found, b.published, b.published_source, b.deadline,
  CASE WHEN b.published IS NOT NULL
    THEN max(0, CAST(julianday(b.published) - julianday(b.deadline) AS INTEGER)) END AS days_late,
  CASE WHEN b.published IS NOT NULL THEN (b.published <= b.deadline) END AS on_time,
  b.format_expected, b.format,
  CASE WHEN b.report_id IS NULL OR b.format = 'unknown' THEN NULL
    WHEN b.format = b.format_expected OR (b.year = 2019 AND b.format = 'pre2019') THEN 1 ELSE 0 END AS format_ok,
""" + f"""  {_RULES_FAILED.format(v="b.vid")} AS rules_failed,
  CASE WHEN b.report_id IS NULL THEN NULL
    {_RULES_OK.format(v="b.vid")} END AS rules_ok,
  (SELECT round(1.0 * sum(c.value IS NULL AND c.raw IS NULL) / count(*), 3) FROM cells c
     WHERE c.version_id = b.vid AND c.col_key != 'amount_unit') AS blank_share,
  CASE WHEN b.report_id IS NOT NULL THEN {_SECTIONS_PRESENT.format(v="b.vid")} END AS sections_present
FROM base b"""  # no ORDER BY: a query that reads a few columns (late, compliance) then skips the others' subqueries

LATE_SQL = "SELECT * FROM scorecard WHERE on_time = 0 OR found = 0"


@migrations()
def m006_published_source_regions_scorecard(db: Database) -> None:
    """Which source gave each report's publication date (`published_source`: meta, page, list, closing), each
    agency's region (`region` = "江苏省/宿迁市/沭阳县", and its levels for grouping) and kind (government or
    department, for its deadline), and the compliance views `scorecard` and `late` (see SCORECARD_SQL)."""
    from govreports.regions import agency_kind, infer_region, parse_region

    db.execute("ALTER TABLE reports ADD COLUMN published_source TEXT")
    db.execute("ALTER TABLE report_versions ADD COLUMN published_source TEXT")
    for column in ("province", "city", "county", "kind"):
        db.execute(f"ALTER TABLE agencies ADD COLUMN {column} TEXT")
    for agency_id, norm, region in db.execute("SELECT id, norm_name, region FROM agencies").fetchall():
        found = infer_region(norm)
        if found is None and region:
            try:
                found = parse_region(region)
            except ValueError:
                found = None
        db.execute("UPDATE agencies SET region = ?, province = ?, city = ?, county = ?, kind = ? WHERE id = ?",
                   [found.path if found else region, found and found.province, found and found.city,
                    found and found.county, agency_kind(norm), agency_id])
    db.execute("CREATE INDEX agencies_province ON agencies(province, city, county)")
    db.create_view("scorecard", SCORECARD_SQL)
    db.create_view("late", LATE_SQL)
