"""m020: a portal's known reports include those of items whose last fetch failed (`portal_health.reports_known`).

An item whose page answered 500, held no report tonight, or met a gate is saved `failed` or `blocked` and keeps
its report and document. The view counted only `loaded` and `duplicate` items: a night on which a portal's report
pages all failed showed it with 0 reports known and no latest year, as if its reports were gone. Portal health's
`overdue` rule asks the same question (runs.health.report_years), and called such a portal's latest year missing.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.crawl import _PORTAL_HEALTH
from govreports.store.migrations.registry import migrations

_OLD = "WHERE i.status IN ('loaded', 'duplicate') GROUP BY i.portal"
# the join on reports already asks for a report: a failed item without one (never loaded) is not counted
_NEW = "WHERE i.status IN ('loaded', 'duplicate', 'failed', 'blocked') GROUP BY i.portal"


@migrations()
def m020_known_reports_of_failed_items(db: Database) -> None:
    assert _PORTAL_HEALTH.count(_OLD) == 1  # m005's text, never edited
    db.execute("DROP VIEW IF EXISTS portal_health")
    db.create_view("portal_health", _PORTAL_HEALTH.replace(_OLD, _NEW))
