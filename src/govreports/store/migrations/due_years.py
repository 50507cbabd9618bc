"""m025: a year is expected of an agency once its deadline has passed, whatever year the newest report covers.

m011's views stopped at the database's horizon, the newest year any report covers (once its 31 March had passed):
while no portal had published a year's reports, nobody was missing that year, though it was due by law
(FORMAT.md §1) and `govreports status` called every portal overdue for it (runs.health.overdue: today's date
against the legal deadline). On the demo, on 2026-12-07, the scorecard ended at 2024 while every 2025 report
had been due since January or March 2026. Now an agency-year after the agency's latest report is listed, as
missing, once its own deadline has passed today: 31 March of the next year for a people's government's report
(and for every report up to 2018), 31 January for a department's — the `deadline` column the views show. A year
still being published is held against nobody until its deadline, as before.

The rows (`agency_years`) go through the current year (agency_years._TOP), written at load, so a database last
written in year W answers correctly until its year W + 1 reports fall due (February of W + 2). The compliance
counts read the condition from an index, which gains `kind` (the deadline's) to stay covering.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.agency_years import SCORECARD_SQL_M011, deadline, rebuild_agency_years
from govreports.store.migrations.agency_years import visible as visible_m011
from govreports.store.migrations.registry import migrations
from govreports.store.migrations.scorecard import LATE_SQL


def visible(alias: str) -> str:
    """SQL: whether the agency_years row `alias` is expected today: any year up to the agency's latest report, a
    later one once its deadline has passed, in UTC (m025's views as released; m031's `china_time.visible` reads
    China's date, which the queries use)."""
    return f"({alias}.tail = 0 OR date('now') > {deadline(alias)})"


SCORECARD_SQL_M025 = SCORECARD_SQL_M011.replace(f"WHERE {visible_m011('y')}", f"WHERE {visible('y')}")
assert SCORECARD_SQL_M025 != SCORECARD_SQL_M011

_YEAR_INDEX = ("CREATE INDEX agency_years_year ON agency_years(year, province, tail, report_id, on_time, city, county,"
               " kind)")


@migrations()
def m025_years_due_by_their_deadline(db: Database) -> None:
    """The views scorecard and late list an agency-year once it is due (`visible`), the rows go through the current
    year, and the compliance index holds the deadline's `kind`."""
    rebuild_agency_years(db.conn)
    db.execute("DROP INDEX agency_years_year")
    db.execute(_YEAR_INDEX)
    db.execute("DROP VIEW late")
    db.execute("DROP VIEW scorecard")
    db.create_view("scorecard", SCORECARD_SQL_M025)
    db.create_view("late", LATE_SQL)


# the listings' order index (m011) with `kind` too: the views' condition (`visible`: a year after the agency's
# latest report is expected once its deadline, which its kind decides, has passed) is read from the index, not
# from each row. A scorecard or late listing filtered by region reads the index in its order until it has a page:
# at 300,000 reports every row before 江苏省's looked its row up for its kind, 150-215 ms for the first 1,000 rows
# of `scorecard --region 江苏` (a region no agency is in: 315 ms), 62 and 128 ms with kind in the index
_ORDER_INDEX = ("CREATE INDEX agency_years_order ON agency_years(province IS NULL, province, city, county, agency, year,"
                " tail, report_id, on_time, kind)")


@migrations()
def m026_listing_order_index_holds_kind(db: Database) -> None:
    """The listings' order index holds the agency-year's kind (`_ORDER_INDEX`)."""
    db.execute("DROP INDEX agency_years_order")
    db.execute(_ORDER_INDEX)
