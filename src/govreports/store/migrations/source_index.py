"""m021: reports are found by their source alone when a load's agency or year is not theirs.

A page that corrects its agency's name or its year, or a parser that reads them better (`reparse`), gives the
page's report a new version under the new agency or year (store.load._rekeyed); before, it became a second report
beside the first. Every new report asks for its source's report first, so the question needs an index: the
UNIQUE (agency_id, year, source_key) one cannot answer it, and a scan of every report per new one would not do at
national scale.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


@migrations()
def m021_reports_by_source(db: Database) -> None:
    db.execute("CREATE INDEX IF NOT EXISTS reports_source_key ON reports (source_key)")
