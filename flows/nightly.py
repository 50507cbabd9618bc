"""Nightly incremental run over every configured portal: new and changed reports only.

A task per portal (retried on transient failures); known documents are asked "changed?" with conditional GETs,
so a night with no changes costs list pages and 304s. The summary goes to a table artifact and the `runs` table.
Two nightly runs never overlap: the database's writer lock (shared with every other writer), and
`concurrency_limit` on the deployment. The run ends Failed when no portal could be reached, and Completed with a
`run-problems` artifact when some could not (govreports.runs.verdict).
"""

from __future__ import annotations

from prefect import flow, task

from flows.common import (DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB, buffered, conclude, conclude_busy, publish,
                          settled)
from govreports.crawl import CrawlSummary, apply_summary
from govreports.runs import jobs
from govreports.store.db import open_db
from govreports.store.load import now_iso
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock


@task(name="crawl-portal", task_run_name="crawl-{portal}", retries=2, retry_delay_seconds=[10, 60],
      retry_jitter_factor=0.5)
def crawl_portal(config: str, portal: str, db: str, archive: str, buffer: bool, policy: dict) -> CrawlSummary:
    return jobs.crawl_portal(config, portal, db, archive, buffered=buffer, **policy)


@flow(name="nightly", log_prints=True)
def nightly(config: str = DEFAULT_CONFIG, db: str = DEFAULT_DB, archive: str = DEFAULT_ARCHIVE,
            portals: list[str] | None = None, runner: str = "threads", policy: dict | None = None,
            lock_wait: float = DEFAULT_WAIT_S):
    """Crawl every portal of `config` (or the named ones); returns the per-portal summary rows (as a Failed
    state's data when no portal could be reached)."""
    started = now_iso()
    names = portals or [p.name for p in jobs.load(config).portal]
    buffer = buffered(runner)
    options = dict(policy or {})
    if buffer:
        options.setdefault("parse_workers", 1)  # Dask workers are daemonic: no process pool inside them
    try:
        with writer_lock(db, wait=lock_wait, command="nightly"):
            futures = [crawl_portal.submit(config, name, db, archive, buffer, options) for name in names]
            summaries = [settled(name, f) for name, f in zip(names, futures)]
            if buffer:
                database = open_db(db)
                for summary in summaries:
                    apply_summary(database, summary)
                database.conn.close()
            rows = publish("nightly", db, started, summaries, key="nightly-summary")
    except DatabaseBusy as exc:
        return conclude_busy(exc, [])
    for row in rows:
        print(" ".join(f"{k}={v}" for k, v in row.items()))
    return conclude(summaries, rows, rows)


if __name__ == "__main__":
    nightly()
