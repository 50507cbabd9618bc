"""Re-parse archived documents with the current parser (no network) and report how many records changed.
Entry point: flows/reparse.py:reparse."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from prefect import flow
from prefect.states import Failed
from prefect.artifacts import create_table_artifact

from govreports.clock import now_iso
from govreports.crawl.runrecord import complete_run, figures_kept, mark_ended, note_figures, recorded_run
from govreports.extract.toolcache import sweep_leftovers
from govreports.flows.common import conclude, conclude_busy, portals_to_run, refuse
from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB
from govreports.runs.reparse import reparse as reparse_archive, reparse_verdict
from govreports.runs.reparse_figures import ReparseSummary
from govreports.runs.watchdog import deployed_run_bounds, flow_time_limit
from govreports.store.db import connect
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock


@flow(name="reparse", log_prints=True)
def reparse(config: str = str(DEFAULT_CONFIG), db: str = str(DEFAULT_DB), archive: str = str(DEFAULT_ARCHIVE),
            lock_wait: float = DEFAULT_WAIT_S, time_limit: str | None = None):
    """`time_limit` bounds a deployed run (runs.watchdog: 6h, 90m; none by default, as a backfill's: a re-parse of
    a national archive takes hours), which is also stopped when its Prefect server stops answering; a run the CLI
    started is bounded by the command's own --time-limit."""
    try:
        limit = flow_time_limit(time_limit)
    except ValueError as exc:  # at once, in one line: before the lock, a traceback from the bounds
        return refuse(str(exc), {})
    crawl, _, left_out = portals_to_run(config, None)
    if not Path(db).exists():  # connect() would create it, and a re-parse of nothing would be "ok"
        message = f"no database at {db}: a re-parse reads the reports a crawl or a load stored"
        print(f"error: {message}")
        return Failed(message=message, data={})
    try:
        with deployed_run_bounds(limit) as watch, writer_lock(db, wait=lock_wait, command="reparse"):
            sweep_leftovers(archive)  # temp files killed processes left (archive, tool cache): once per run
            started = now_iso()
            # a `runs` row, as a crawl's: a re-parse stopped midway shows in `status` with the figures of what it
            # did (noted after each batch it loaded, and as it stops), and its failures in fetch_log carry its run id
            summary = ReparseSummary()
            with recorded_run(db, "reparse", started) as run_id, connect(db) as database, \
                    figures_kept(database, run_id, lambda: [summary.row()]):
                if watch is not None:  # deployed: a run that must end itself marks its row first (as the night's)
                    watch.on_hard_exit(partial(mark_ended, db, run_id))
                reparse_archive(database, archive, crawl, run_id=run_id, summary=summary,
                                on_loaded=lambda done: note_figures(database, run_id, [done.row()]))
                row = summary.row()
                complete_run(database, run_id, [row])
    except DatabaseBusy as exc:
        return conclude_busy(exc, {})
    create_table_artifact(table=[row], key="reparse-summary", description="re-parse from the archive")
    print(ReparseSummary.line(row))
    if not_crawled := summary.not_crawled_line():
        print(f"warning: {not_crawled}")
    if skipped := summary.skipped_line(config, left_out):
        print(f"warning: {skipped}")
    # partial (a run-problems artifact) when documents could not be re-parsed or config files were left out
    return conclude([], [], row, left_out, verdict=reparse_verdict(row, archive, left_out))
