"""m019: the config files a run left out, with why (`runs.left_out`, a JSON list of {"file", "reason"}).

A run over a config directory leaves out a file that cannot be used and crawls the others' portals. The night's
stderr and exit code said so, and nothing else: `status` showed the left-out portals with their last run as if
nothing were wrong, while they went uncrawled night after night. The run's row keeps the files, and `status`
names them. NULL: nothing was left out (or the row was written before this migration).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


@migrations()
def m019_left_out(db: Database) -> None:
    db.execute("ALTER TABLE runs ADD COLUMN left_out TEXT")
