"""m017: how each run ended (`runs.outcome`, `runs.error`), and a run's row written when it starts.

A run's row used to be written only when it finished, so a night that a scheduler stopped (SIGTERM at the end
of its time slot), that crashed or whose process was killed left no trace in `runs`, while the reports it loaded
before that stayed: nothing said a run had happened and not finished. Now the row is written first (outcome
NULL) and completed at the end: `completed`, `stopped` (a stop signal, or the crawl cancelled) or `failed` (an
exception, in `error`). A row left NULL is a run still running or one whose process died where no code could
run (SIGKILL, power loss); the next run marks it `killed`. The rows before this migration were only ever written by runs that completed.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


@migrations()
def m017_run_outcome(db: Database) -> None:
    db.execute("ALTER TABLE runs ADD COLUMN outcome TEXT")  # completed | stopped | failed | killed | NULL (running)
    db.execute("ALTER TABLE runs ADD COLUMN error TEXT")  # why a run stopped or failed
    db.execute("UPDATE runs SET outcome = 'completed'")
