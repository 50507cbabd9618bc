"""Nightly incremental run over every configured portal: new and changed reports only.

A task per portal (retried on transient failures); known documents are asked "changed?" with conditional GETs,
so a night with no changes costs list pages and 304s. The summary goes to a table artifact and the `runs` table.
Two nightly runs never overlap: the database's writer lock (shared with every other writer), and
`concurrency_limit` on the deployment. The run ends Failed when no portal could be reached, and Completed with a
`run-problems` artifact when some could not (govreports.runs.verdict). Entry point: flows/nightly.py:nightly.
"""

from __future__ import annotations

from prefect import flow, task

from functools import partial

from govreports.clock import now_iso
from govreports.crawl import CrawlSummary, apply_summary, recorded_run
from govreports.crawl.runrecord import mark_ended
from govreports.extract.toolcache import sweep_leftovers
from govreports.flows import early
from govreports.flows.common import (TASK_WORKERS, conclude, conclude_busy, noting, portals_to_run, publish,
                                    refuse, settled, task_runner, unless_storage)
from govreports.lifecycle import stopping_with_the_run
from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB
from govreports.runs import jobs
from govreports.runs.watchdog import NIGHT_LIMIT, deployed_run_bounds, flow_time_limit
from govreports.store.db import connect
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock


@task(name="crawl-portal", task_run_name="crawl-{portal}", retries=2, retry_delay_seconds=[10, 60],
      retry_jitter_factor=0.5, retry_condition_fn=unless_storage)
def crawl_portal(config: str, portal: str, db: str, archive: str, buffered: bool, parse_workers: int | None,
                 policy: dict, run_id: int | None = None) -> CrawlSummary:
    started = early.take(early.CrawlArgs(config, portal, db, archive, buffered, parse_workers,
                                         tuple(sorted(policy.items())), run_id))
    if started is not None:  # the CLI began this very crawl while Prefect was starting (flows.early)
        return started
    return jobs.crawl_portal(config, portal, db, archive, buffered=buffered, parse_workers=parse_workers,
                             run_id=run_id, **policy)


# the runner a deployment runs it with (serve-flows, prefect.yaml): Prefect's default thread pool is unbounded, and
# a deployed night crawled every portal at once; the CLI gives its own (`--runner`) with `with_options`
@flow(name="nightly", log_prints=True, task_runner=task_runner())
def nightly(config: str = str(DEFAULT_CONFIG), db: str = str(DEFAULT_DB), archive: str = str(DEFAULT_ARCHIVE),
            portals: list[str] | None = None, runner: str = "threads", policy: dict | None = None,
            lock_wait: float = DEFAULT_WAIT_S, parse_workers: int | None = None, time_limit: str | None = NIGHT_LIMIT):
    """Crawl every portal of `config` (or the named ones); returns the per-portal summary rows (as a Failed
    state's data when no portal could be reached). `runner` names the task runner the flow runs with (it decides
    where the tasks write: runs.jobs.mode); `policy` overrides the fetch policy; `parse_workers` per portal;
    `time_limit` bounds a deployed run (6h, 90m; 0: none; the CLI's own `--time-limit` bounds a command's)."""
    try:
        limit = flow_time_limit(time_limit)
    except ValueError as exc:  # at once, in one line: before the lock, the crawls, a traceback from the bounds
        return refuse(str(exc), [])
    started = now_iso()
    # a deployed night is bounded as the command bounds its own (runs.watchdog): without it, a night whose
    # Prefect server stopped answering never ended, and CANCEL_NEW cancelled every night after it
    try:
        with deployed_run_bounds(limit) as watch, writer_lock(db, wait=lock_wait, command="nightly"):
            sweep_leftovers(archive)  # temp files killed processes left (archive, tool cache): once per run
            with recorded_run(db, "nightly", started) as run_id:  # a stopped or failed night says so in `runs`
                if watch is not None:
                    watch.on_hard_exit(partial(mark_ended, db, run_id))
                # the config read inside the run: a night whose config broke is a failed run in `runs`, named, not
                # one `status` never saw (it showed the last good night) while Prefect alone knew
                _, names, left_out = portals_to_run(config, portals)
                mode = jobs.mode(runner, parse_workers, concurrent_tasks=min(len(names), TASK_WORKERS))
                with stopping_with_the_run():  # a stop signal here stops the tasks' crawls (lifecycle)
                    futures = [crawl_portal.submit(config, name, db, archive, mode.buffered, mode.parse_workers,
                                                   dict(policy or {}), run_id) for name in names]
                    note, summaries = noting(db, run_id, mode.buffered), []
                    try:
                        for name, future in zip(names, futures):
                            summaries.append(settled(name, future))
                            note(summaries)
                    except BaseException:  # stopped or failed: what its finished portals did, in its row
                        note(summaries, final=True)
                        raise
                if mode.buffered:  # the tasks returned their writes: this process is the one writer
                    with connect(db) as database:
                        for summary in summaries:
                            apply_summary(database, summary, run_id)
                rows = publish("nightly", db, started, summaries, key="nightly-summary", run_id=run_id,
                               left_out=left_out)
    except DatabaseBusy as exc:
        return conclude_busy(exc, [])
    for row in rows:
        print(" ".join(f"{k}={v}" for k, v in row.items()))
    return conclude(summaries, rows, rows, left_out)
