"""m031: an agency-year is due from midnight in China, not in UTC.

The reports are due by Chinese law (FORMAT.md §1), in China's time (Asia/Shanghai, UTC+8, no daylight saving): a
government's 2026 report is late from 00:00 on 1 April 2027 in China, 16:00 UTC on 31 March. m025's views read
SQLite's date('now'), UTC's: for eight hours of every deadline day `late` held nobody late whom the partitions
(runs.partitions.due, clock.china_today) and health's `overdue` did. The views are built again on China's date;
m025's SQL stays as it ran (a database upgraded from before it is upgraded by it, then by this).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.agency_years import deadline
from govreports.store.migrations.due_years import SCORECARD_SQL_M025
from govreports.store.migrations.due_years import visible as visible_m025
from govreports.store.migrations.registry import migrations
from govreports.store.migrations.scorecard import LATE_SQL

# today's date in China (UTC+8 all year): what a deadline is held against, in SQL
CHINA_TODAY = "date('now', '+8 hours')"


def visible(alias: str) -> str:
    """SQL: whether the agency_years row `alias` is expected today in China: any year up to the agency's latest
    report, a later one once its deadline has passed (the views' condition, and compliance's, the charts' and
    `analyze missing`'s, which read agency_years directly)."""
    return f"({alias}.tail = 0 OR {CHINA_TODAY} > {deadline(alias)})"


SCORECARD_SQL_M031 = SCORECARD_SQL_M025.replace(f"WHERE {visible_m025('y')}", f"WHERE {visible('y')}")
assert SCORECARD_SQL_M031 != SCORECARD_SQL_M025


@migrations()
def m031_due_in_china_time(db: Database) -> None:
    """The views scorecard and late list an agency-year once it is due in China (`visible`)."""
    db.execute("DROP VIEW late")
    db.execute("DROP VIEW scorecard")
    db.create_view("scorecard", SCORECARD_SQL_M031)
    db.create_view("late", LATE_SQL)
