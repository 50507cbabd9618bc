"""m018: how many items of each portal's lists were titled as annual reports (`portal_runs.report_titles`).

Portal health flagged `empty` only when a portal's lists showed nothing at all. A column that moved to a look-alike
(a list of other documents), or titles the filter no longer takes, still lists items, so the portal went on being
called healthy while no report came in. The count of items titled as reports, of any year (`found` counts only
the year asked, which a backfill's partition or `crawl --year` narrows), tells those apart. NULL in the rows
written before, where health reads `found` instead.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


@migrations()
def m018_report_titles(db: Database) -> None:
    db.execute("ALTER TABLE portal_runs ADD COLUMN report_titles INTEGER")
