"""Manual backfill over portals × years; the `partitions` table decides what runs.

`reprocess`: missing (never finished, including a run that was killed, or crawled before its year's reports were
all due: `not_yet_due`), failed (partitions with failed URLs), all. `dry_run` shows the plan and changes nothing. A
task per portal runs its years in order — one portal is one host, and politeness is per host — while portals run
in parallel. Each partition is marked done as soon as its reports are loaded, so a killed backfill, started
again, does only what is left (the state changes: govreports.runs.partitions). Entry point:
flows/backfill.py:backfill.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from govreports.clock import now_iso
from govreports.crawl import CrawlSummary, recorded_run
from govreports.crawl.runrecord import mark_ended
from govreports.errors import StorageError
from govreports.extract.toolcache import sweep_leftovers
from govreports.flows.common import (TASK_WORKERS, conclude, conclude_busy, crashed, noting, portals_to_run,
                                    publish, refuse, run_verdict, task_runner, unless_storage)
from govreports.lifecycle import stopping_with_the_run
from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB
from govreports.runs import jobs, partitions
from govreports.runs.partitions import parse_years
from govreports.runs.verdict import with_failed_partitions
from govreports.runs.watchdog import deployed_run_bounds, flow_time_limit
from govreports.store.db import connect, locked
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock
from govreports.store.statuses import PartitionState


@task(name="backfill-portal", task_run_name="backfill-{portal}", retries=1, retry_delay_seconds=30,
      retry_condition_fn=unless_storage)
def backfill_portal(config: str, portal: str, years: list[int], db: str, archive: str, buffered: bool,
                    parse_workers: int | None, policy: dict,
                    run_id: int | None = None) -> list[tuple[int, CrawlSummary | None, str | None]]:
    done = []
    for year in years:
        try:
            done.append((year, jobs.run_partition(config, portal, year, db, archive, buffered=buffered,
                                                  parse_workers=parse_workers, run_id=run_id, **policy), None))
        except StorageError:  # the database cannot be written: no other year could be stored either
            raise
        except Exception as exc:  # noqa: BLE001 - the partition is marked failed; the other years go on
            if locked(exc):  # another program keeps the database locked: the run ends (flows.common.settled)
                raise
            done.append((year, None, f"{type(exc).__name__}: {exc}"))
    return done


# TASK_WORKERS portals at once when deployed too (serve-flows, prefect.yaml), as from the CLI: flows.nightly
@flow(name="backfill", log_prints=True, task_runner=task_runner())
def backfill(portals: list[str] | None = None, years: str | list[int] = "2018-2024",
             reprocess: Literal["missing", "failed", "all"] = "missing", dry_run: bool = False,
             config: str = str(DEFAULT_CONFIG), db: str = str(DEFAULT_DB), archive: str = str(DEFAULT_ARCHIVE),
             runner: str = "threads", policy: dict | None = None, lock_wait: float = DEFAULT_WAIT_S,
             parse_workers: int | None = None, time_limit: str | None = None):
    """Returns {"planned", "ran", "rows"} (as a Failed state's data when no portal could be reached).
    `time_limit` bounds a deployed run (runs.watchdog; none by default: a backfill may take days)."""
    try:
        limit = flow_time_limit(time_limit)
    except ValueError as exc:  # at once, in one line: before the lock, the crawls, a traceback from the bounds
        return refuse(str(exc), {"planned": [], "ran": [], "rows": []})
    if dry_run:  # a plan changes nothing: no need to wait for a writer
        return _backfill(portals, years, reprocess, dry_run, config, db, archive, runner, policy, parse_workers,
                         now_iso(), None)
    try:
        with deployed_run_bounds(limit) as watch, writer_lock(db, wait=lock_wait, command="backfill"):
            sweep_leftovers(archive)  # temp files killed processes left (archive, tool cache): once per run
            started = now_iso()
            with recorded_run(db, "backfill", started) as run_id:  # a stopped or failed run says so in `runs`
                if watch is not None:  # deployed: bounded as the command bounds its own (runs.watchdog)
                    watch.on_hard_exit(partial(mark_ended, db, run_id))
                return _backfill(portals, years, reprocess, dry_run, config, db, archive, runner, policy,
                                 parse_workers, started, run_id)
    except DatabaseBusy as exc:
        return conclude_busy(exc, {"planned": [], "ran": [], "rows": []})


def _backfill(portals, years, reprocess, dry_run, config, db, archive, runner, policy, parse_workers, started,
              run_id):
    _, names, left_out = portals_to_run(config, portals)
    year_list = parse_years(years) if isinstance(years, str) else sorted(years)
    todo, left_failed = partitions.backfill_plan(db, names, year_list, reprocess, dry_run=dry_run)
    create_table_artifact(table=[{"portal": p, "year": y} for p, y in todo] or [{"portal": "(nothing to do)"}],
                          key="backfill-plan", description=f"reprocess={reprocess}, dry_run={dry_run}")
    print(f"backfill plan: {len(todo)} partition(s) of {len(names) * len(year_list)}")
    if left_failed:
        print(f"warning: {len(left_failed)} partition(s) failed before and are not run again: "
              "`backfill --reprocess failed` runs them")
    if dry_run:
        return {"planned": todo, "ran": [], "left_failed": left_failed}
    by_portal: dict[str, list[int]] = {}
    for portal, year in todo:
        by_portal.setdefault(portal, []).append(year)
    mode = jobs.mode(runner, parse_workers, concurrent_tasks=min(len(by_portal), TASK_WORKERS))
    if mode.buffered:  # the workers write nothing: this process marks what it hands out, and what comes back
        partitions.start_all(db, todo)
    summaries, ran, note = [], [], noting(db, run_id, mode.buffered)
    with stopping_with_the_run():  # a stop signal here stops the tasks' crawls (lifecycle)
        futures = {p: backfill_portal.submit(config, p, ys, db, archive, mode.buffered, mode.parse_workers,
                                             dict(policy or {}), run_id) for p, ys in by_portal.items()}
        try:
            for portal, future in futures.items():
                for year, summary, error in future.result():
                    if mode.buffered:
                        if summary is not None:
                            partitions.finish(db, portal, year, summary, run_id)
                        else:
                            partitions.fail(db, portal, year, error)
                    # a partition whose crawl raised counts as a portal that could not be crawled (not a silent gap)
                    summaries.append(summary if summary is not None else crashed(portal, f"{year}: {error}"))
                    ran.append((portal, year))
                note(summaries)
        except BaseException:  # stopped or failed: what its finished portals did, in its row
            note(summaries, final=True)
            raise
    rows = publish("backfill", db, started, summaries, key="backfill-summary", run_id=run_id, left_out=left_out,
                   years=[year for _, year in ran])
    with connect(db) as database:
        failed = partitions.failed_of(database, ran)
        not_yet_due = partitions.in_state(database, ran, PartitionState.NOT_YET_DUE)
    print(partitions.ran_line(len(ran), not_yet_due))
    verdict = with_failed_partitions(run_verdict(summaries, rows, left_out), failed, len(ran))
    return conclude(summaries, rows, {"planned": todo, "ran": ran, "rows": rows, "failed": failed,
                                      "not_yet_due": not_yet_due, "left_failed": left_failed}, left_out,
                    verdict=verdict)
