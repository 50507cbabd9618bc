"""m030 (with agency_reports): the current reports counted per year that a check could be evaluated for, and per
year and rule those whose checks break it (`rule_counts`), kept by triggers on reports and report_versions.

The chart rule_failures over every agency (a year or not) read every current report's version for its stored
rules_ok and rules_failed (m008): 1.19 M SQLite steps at 25,000 reports, ~14 M at 300,000, past Datasette's time
limit. It reads these counts (five a year). Triggers, as m028's, keep them whoever writes: the loader, a migration
or SQL run by hand (a report withdrawn, its year corrected, its version's facts recounted).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

RULES = ("R1", "R2", "R3", "R4")  # FORMAT.md §6

COUNTS_DDL = """CREATE TABLE rule_counts (
  year INTEGER NOT NULL,
  rule TEXT NOT NULL,     -- '': reports with a check that could be evaluated; R1-R4: of those, breaking the rule
  reports INTEGER NOT NULL,
  PRIMARY KEY (year, rule)
) WITHOUT ROWID"""

# the rows a report with version `vid` and year `year` counts in: '' when its version has an evaluable check (rules_ok
# not null), and each rule its checks fail; a report without a year counts in none (the chart draws years)
_RULE_ROWS = "(SELECT '' AS rule " + "".join(f"UNION ALL SELECT '{r}' " for r in RULES) + ")"


def _move(year: str, rules_ok: str, rules_failed: str, sign: int, source: str, where: str) -> str:
    """SQL: add `sign` to the counts of the report whose year and version's facts are the expressions given, read
    from `source` (FROM …) under `where`."""
    return f"""INSERT INTO rule_counts (year, rule, reports)
    SELECT {year}, k.rule, {sign} FROM {source} CROSS JOIN {_RULE_ROWS} k
    WHERE {where} AND {year} IS NOT NULL AND {rules_ok} IS NOT NULL
      AND (k.rule = '' OR instr(',' || {rules_failed} || ',', ',' || k.rule || ',') > 0)
    ON CONFLICT (year, rule) DO UPDATE SET reports = reports + excluded.reports;"""


def _report(row: str, sign: int) -> str:
    """The report `row` (OLD or NEW of reports) counted (+1) or no longer (-1), by its current version."""
    return _move(f"{row}.year", "v.rules_ok", "v.rules_failed", sign, "report_versions v",
                 f"v.id = {row}.current_version_id")


def _version(row: str, sign: int) -> str:
    """The facts `row` (OLD or NEW of report_versions) of a version, for the report it is the current version of
    (found by the index reports_current)."""
    return _move("r.year", f"{row}.rules_ok", f"{row}.rules_failed", sign, "reports r",
                 f"r.current_version_id = {row}.id")


TRIGGERS = (
    f"CREATE TRIGGER rule_counts_insert AFTER INSERT ON reports WHEN NEW.current_version_id IS NOT NULL"
    f" BEGIN\n  {_report('NEW', 1)}\nEND",
    f"CREATE TRIGGER rule_counts_delete AFTER DELETE ON reports WHEN OLD.current_version_id IS NOT NULL"
    f" BEGIN\n  {_report('OLD', -1)}\nEND",
    "CREATE TRIGGER rule_counts_update AFTER UPDATE OF current_version_id, year ON reports"
    " WHEN OLD.current_version_id IS NOT NEW.current_version_id OR OLD.year IS NOT NEW.year"
    f" BEGIN\n  {_report('OLD', -1)}\n  {_report('NEW', 1)}\nEND",
    "CREATE TRIGGER rule_counts_facts AFTER UPDATE OF rules_ok, rules_failed ON report_versions"
    " WHEN OLD.rules_ok IS NOT NEW.rules_ok OR OLD.rules_failed IS NOT NEW.rules_failed"
    f" BEGIN\n  {_version('OLD', -1)}\n  {_version('NEW', 1)}\nEND",
)

RECOUNT = f"""INSERT INTO rule_counts (year, rule, reports)
SELECT r.year, k.rule, count(*) FROM reports r JOIN report_versions v ON v.id = r.current_version_id
  CROSS JOIN {_RULE_ROWS} k
WHERE r.year IS NOT NULL AND v.rules_ok IS NOT NULL
  AND (k.rule = '' OR instr(',' || v.rules_failed || ',', ',' || k.rule || ',') > 0)
GROUP BY r.year, k.rule"""


@migrations()
def m030_kept_counts(db: Database) -> None:
    """`rule_counts` and `agency_reports` (store.migrations.agency_reports), counted from the reports' current
    versions and kept by triggers from then on."""
    from govreports.store.migrations import agency_reports

    for ddl, recount, triggers in ((COUNTS_DDL, RECOUNT, TRIGGERS),
                                   (agency_reports.COUNTS_DDL, agency_reports.RECOUNT, agency_reports.TRIGGERS)):
        db.execute(ddl)
        db.execute(recount)
        for sql in triggers:
            db.execute(sql)
