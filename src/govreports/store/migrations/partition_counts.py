"""m029: what each backfill partition found, loaded and failed (`partitions.found`, `loaded`, `failed`).

A partition was only `done` or `failed`: one whose lists held no report of its year and one that loaded five were
the same row, so nobody could tell a year a portal has no report for from a year it gave. Each finished partition
now keeps the figures of its last crawl (runs.partitions.finish): `found`, its year's reports on the lists;
`loaded`, those the database holds from them (new, changed, unchanged, or known and not asked again this run);
`failed`, its URLs that failed or were blocked. NULL while it runs, when its crawl raised, and for the rows
written before this migration (never recorded).

And a partition is `not_yet_due` when it was crawled before its year's reports were all due (31 March of the next
year, FORMAT.md §1): it was `done`, so a backfill in December 2026 that found no 2026 report left 2026 done and
every later backfill skipped it. The rows marked done before their year's deadline had passed (their updated_at,
UTC, on or before it) become `not_yet_due`, which the next `missing` backfill runs again.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

PARTITION_COUNTS = ("found", "loaded", "failed")
# a row an older govreports marked done on or before its year's deadline (31 March of the next year, UTC). This
# migration's rule as it ran, kept so: the deadline is now midnight in China (runs.partitions.due), but a database
# m029 upgraded had it read in UTC, and any it upgrades must have the same. UTC's date is never later than China's,
# so it makes `not_yet_due` (run again) every row China's would, and those marked 16:00-24:00Z on 31 March too.
# A dry run reads an older database with it (runs.partitions.statuses): the run upgrades it by this rule.
DONE_BEFORE_DUE = ("status = 'done' AND updated_at IS NOT NULL"
                   " AND substr(updated_at, 1, 10) <= (year + 1) || '-03-31'")


@migrations()
def m029_partition_counts(db: Database) -> None:
    for column in PARTITION_COUNTS:
        db.execute(f"ALTER TABLE partitions ADD COLUMN {column} INTEGER")
    db.execute(f"UPDATE partitions SET status = 'not_yet_due' WHERE {DONE_BEFORE_DUE}")
