"""Re-parse archived documents with the current parser (no network) and report how many records changed.
Entry point: flows/reparse.py:reparse."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.states import Failed
from prefect.artifacts import create_table_artifact

from govreports.clock import now_iso
from govreports.crawl.runrecord import complete_run, figures_kept, note_figures, recorded_run
from govreports.extract.toolcache import sweep_leftovers
from govreports.flows.common import conclude, conclude_busy, portals_to_run
from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB
from govreports.runs.reparse import reparse as reparse_archive, reparse_verdict
from govreports.runs.reparse_figures import ReparseSummary
from govreports.store.db import connect
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock


@flow(name="reparse", log_prints=True)
def reparse(config: str = str(DEFAULT_CONFIG), db: str = str(DEFAULT_DB), archive: str = str(DEFAULT_ARCHIVE),
            lock_wait: float = DEFAULT_WAIT_S):
    crawl, _, left_out = portals_to_run(config, None)
    if not Path(db).exists():  # connect() would create it, and a re-parse of nothing would be "ok"
        message = f"no database at {db}: a re-parse reads the reports a crawl or a load stored"
        print(f"error: {message}")
        return Failed(message=message, data={})
    try:
        with writer_lock(db, wait=lock_wait, command="reparse"):
            sweep_leftovers(archive)  # temp files killed processes left (archive, tool cache): once per run
            started = now_iso()
            # a `runs` row, as a crawl's: a re-parse stopped midway shows in `status` with the figures of what it
            # did (noted after each batch it loaded, and as it stops), and its failures in fetch_log carry its run id
            summary = ReparseSummary()
            with recorded_run(db, "reparse", started) as run_id, connect(db) as database, \
                    figures_kept(database, run_id, lambda: [summary.row()]):
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
