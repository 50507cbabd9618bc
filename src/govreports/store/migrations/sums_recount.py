"""m014: current_sums counted again from the reports' current versions, after a loader bug.

Until this step the loader could leave wrong entries in a batch that made one version current twice, or made a
version current and replaced it again (a report edited back and forth, a bulk load of a report's versions into
one batch): a row's report count ('*' entries) counted once what was current twice, and numbers
added and taken away within the batch left a total of 0 where no report gave a number. The loader now nets each
version's moves (store.children.net_moves); the sums it kept before cannot be told right from wrong without counting them
again, which this step does, as m009 first counted them (39 s and 227 MB peak RSS at 300,000 reports)."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations
from govreports.store.migrations.sums import CURRENT_MOVES, CURRENT_SUMS_PRUNE, current_sums_add


@migrations()
def m014_current_sums_recounted(db: Database) -> None:
    db.execute("DELETE FROM current_sums")
    db.execute(current_sums_add(CURRENT_MOVES))
    db.execute(CURRENT_SUMS_PRUNE)
