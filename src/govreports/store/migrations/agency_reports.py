"""m030 (with rule_counts): each agency's current reports counted, with the first and the latest year they cover
(`agency_reports`), kept by triggers on reports.

The dashboard's agency list over every year counted every current report of every agency on each read: 750 k
SQLite steps to list 2,577 agencies at 25,000 reports, ~9 M at 300,000. It reads a row an agency. A trigger counts
an agency's reports again (by the index reports_agency_year) when one of them starts or stops being current, moves
to another agency or changes its year; a new version of a current report changes nothing here.
"""

from __future__ import annotations

COUNTS_DDL = """CREATE TABLE agency_reports (
  agency_id INTEGER PRIMARY KEY,  -- agencies.id: an agency with a current report (none: no row)
  reports INTEGER NOT NULL,       -- its current reports (with a year or not)
  first_year INTEGER,             -- the first and the latest year they cover (null: none has a year)
  last_year INTEGER
)"""


def _recount(agency: str, also: str = "1") -> str:
    """SQL: the row of agency `agency` (an expression) counted again from its current reports, when `also`."""
    return f"""DELETE FROM agency_reports WHERE agency_id = {agency} AND {also};
  INSERT INTO agency_reports (agency_id, reports, first_year, last_year)
    SELECT {agency}, count(*), min(r.year), max(r.year) FROM reports r
    WHERE r.agency_id = {agency} AND r.current_version_id IS NOT NULL AND {also} HAVING count(*) > 0;"""


TRIGGERS = (
    "CREATE TRIGGER agency_reports_insert AFTER INSERT ON reports WHEN NEW.current_version_id IS NOT NULL"
    f" BEGIN\n  {_recount('NEW.agency_id')}\nEND",
    "CREATE TRIGGER agency_reports_delete AFTER DELETE ON reports WHEN OLD.current_version_id IS NOT NULL"
    f" BEGIN\n  {_recount('OLD.agency_id')}\nEND",
    "CREATE TRIGGER agency_reports_update AFTER UPDATE OF agency_id, year, current_version_id ON reports"
    " WHEN (OLD.current_version_id IS NULL) IS NOT (NEW.current_version_id IS NULL)"
    " OR OLD.agency_id IS NOT NEW.agency_id OR OLD.year IS NOT NEW.year"
    f" BEGIN\n  {_recount('OLD.agency_id')}\n  {_recount('NEW.agency_id', 'NEW.agency_id IS NOT OLD.agency_id')}\nEND",
)

RECOUNT = """INSERT INTO agency_reports (agency_id, reports, first_year, last_year)
SELECT r.agency_id, count(*), min(r.year), max(r.year) FROM reports r WHERE r.current_version_id IS NOT NULL
GROUP BY r.agency_id"""
