"""`govreports nightly | backfill | reparse | serve-flows`: the Prefect flows (govreports.flows) from the command
line.

Plain runs need no Prefect server: an ephemeral one starts with its home beside the database (data/prefect),
analytics off.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Annotated

import typer

from govreports.cli.common import checked_config, exit_with, fail, prefect_for, run_flow
from govreports.errors import EXIT_USAGE
from govreports.cli.options import (DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB, DEFAULT_WAIT_S, ArchiveOption,
                                    BackfillTimeLimitOption, ConfigOption, DbOption, PortalsOption, RunnerOption,
                                    TimeLimitOption, WaitOption)
from govreports.query.output import print_rows
from govreports.runs.verdict import judge
from govreports.store.lock import writer_lock


def nightly(config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
            archive: ArchiveOption = DEFAULT_ARCHIVE, portal: PortalsOption = None,
            runner: RunnerOption = "threads", wait: WaitOption = DEFAULT_WAIT_S,
            time_limit: TimeLimitOption = "6h") -> None:
    """Run the nightly flow once: new and changed reports from every portal; prints the summary.

    Exit codes as for `crawl`: 0 all portals crawled, 1 some unreachable, 3 none, 2 bad config, 74 database
    or archive not writable (a full disk), 75 database busy; and 69 the Prefect server could not start or
    stopped answering, 124 the night reached its --time-limit."""
    crawl = checked_config(config, portal, announce=False)  # the flow logs the files left out
    limit = _time_limit(time_limit)
    with writer_lock(db, wait=wait, command="nightly"):
        prefect_for(db)
        from govreports.flows.early import early_crawls

        names = portal or [p.name for p in crawl.portal]
        # Prefect's server boots from now and the crawls start now, while Prefect is imported; the flow's tasks
        # take the crawls over
        early, server = _start_server()
        from govreports.clock import now_iso
        from govreports.crawl import recorded_run

        # the run's row is begun before its crawls: a night stopped while Prefect starts is recorded too; the
        # watch bounds it all, whatever Prefect does (runs.watchdog)
        with _watched(limit, early, db) as watch, recorded_run(db, "nightly", now_iso()) as run_id, \
                early_crawls(str(config), names, str(db), str(archive), runner, run_id):
            watch(run_id)
            from govreports.flows.common import task_runner
            from govreports.flows.nightly import nightly as flow

            server()
            rows = run_flow(flow.with_options(task_runner=task_runner(runner)), config=str(config), db=str(db),
                            archive=str(archive), portals=portal or None, runner=runner)
    print_rows(rows)
    typer.echo(f"database: {db}")
    exit_with(judge(rows, unusable=crawl.left_out(portal)))


def backfill(years: Annotated[str, typer.Option(help="Years: 2019-2024, or 2019,2021.")] = "2018-2024",
             portal: PortalsOption = None,
             reprocess: Annotated[str, typer.Option(help="missing | failed | all")] = "missing",
             dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
             config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
             archive: ArchiveOption = DEFAULT_ARCHIVE, runner: RunnerOption = "threads", progress: bool = True,
             wait: WaitOption = DEFAULT_WAIT_S, time_limit: BackfillTimeLimitOption = "0") -> None:
    """Backfill portals × years; the partitions table decides what runs (idempotent, resumable).

    Exit codes as for `crawl`: 0 all portals crawled, 1 some unreachable or partitions it ran failed, 3 none
    reached, 2 bad config, 74 database or archive not writable (a full disk), 75 database busy; and 69 the
    Prefect server could not start or stopped answering, 124 the run reached its --time-limit (none by
    default: a backfill of many years may take days)."""
    from govreports.runs.partitions import REPROCESS, backfill_plan, parse_years

    crawl = checked_config(config, portal, announce=dry_run)  # a run's flow logs the files left out
    limit = _time_limit(time_limit)
    if reprocess not in REPROCESS:
        raise typer.BadParameter(f"one of {', '.join(REPROCESS)}", param_hint="--reprocess")
    try:
        year_list = parse_years(years)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--years") from None
    if dry_run:  # the plan alone, read from the database: no Prefect server to start (20 s) nor its folder to make
        names = portal or [p.name for p in crawl.portal]
        planned, left_failed = backfill_plan(db, names, year_list, reprocess, dry_run=True)
        for p, y in planned:
            typer.echo(f"would run {p} {y}")
        typer.echo(f"{len(planned)} partition(s) planned; nothing changed (dry run)")
        _say_left_failed({"left_failed": left_failed})
        exit_with(judge([], unusable=crawl.left_out(portal)))  # as the run would: 1 when files were left out
    # the lock first, as nightly takes it: a backfill that must wait (exit 75 after --wait) starts no Prefect server
    with writer_lock(db, wait=wait, command="backfill"):
        prefect_for(db)
        early, server = _start_server()
        from govreports.flows.backfill import backfill as flow
        from govreports.flows.common import task_runner

        def run():
            return run_flow(flow.with_options(task_runner=task_runner(runner)), portals=portal or None,
                            years=year_list, reprocess=reprocess, dry_run=False, config=str(config), db=str(db),
                            archive=str(archive), runner=runner)
        from govreports.clock import now_iso
        from govreports.crawl import recorded_run

        # bounded whatever Prefect does (runs.watchdog); the run's row (and so the database) first, as nightly's:
        # while Prefect started (20 s), `status` said "no database" and `reparse` refused to wait for the run
        with _watched(limit, early, db) as watch, recorded_run(db, "backfill", now_iso()) as run_id:
            watch(run_id)
            server()
            result = run() if not progress else _with_partition_progress(run, db, portal, year_list, reprocess,
                                                                         config)
    print_rows(result["rows"])
    typer.echo(f"{len(result['ran'])} partition(s) run; database: {db}")
    _say_left_failed(result)
    from govreports.runs.verdict import with_failed_partitions

    failed = [tuple(p) for p in result.get("failed", [])]  # 1 when partitions it ran ended failed
    exit_with(with_failed_partitions(judge(result["rows"], unusable=crawl.left_out(portal)), failed,
                                     len(result["ran"])))


def _say_left_failed(result: dict) -> None:
    """Failed partitions a `missing` backfill did not run (its flow's log says so; Prefect's INFO may be off)."""
    if left := result.get("left_failed"):
        typer.echo(f"warning: {len(left)} partition(s) failed before and are not run again "
                   f"({', '.join(f'{p} {y}' for p, y in left[:8])}{' …' if len(left) > 8 else ''}): "
                   "`backfill --reprocess failed` runs them", err=True)


def reparse(config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
            archive: ArchiveOption = DEFAULT_ARCHIVE, wait: WaitOption = DEFAULT_WAIT_S) -> None:
    """Re-parse archived documents with the current parser (no network); reports how many records changed."""
    crawl = checked_config(config, announce=False)  # the flow logs the files left out
    if not db.exists():  # a mistyped --db: the flow would create it, and re-parse nothing, exit 0
        fail(f"no database at {db}: a re-parse reads the reports a crawl or a load stored")
    with writer_lock(db, wait=wait, command="reparse"):
        prefect_for(db)
        early, server = _start_server()
        from govreports.clock import now_iso
        from govreports.crawl import recorded_run
        from govreports.flows.reparse import reparse as flow

        # stopped while Prefect starts: recorded as stopped too; Prefect watched as the crawls' runs are
        with _watched(None, early, db) as watch, recorded_run(db, "reparse", now_iso()) as run_id:
            watch(run_id)
            server()
            row = run_flow(flow, config=str(config), db=str(db), archive=str(archive))
    print_rows([row])
    if row.get("skipped"):  # the flow's log names the portals; Prefect's INFO lines may be off (demo: WARNING)
        where = " (or only in its files that could not be used)" if crawl.unusable else ""
        typer.echo(f"warning: {row['skipped']} document(s) left as they are: their portals are not in {config}"
                   f"{where}; re-parse them with the config they were crawled with (--config)", err=True)
    from govreports.runs.reparse import reparse_verdict

    # exit 1 when documents could not be re-parsed or config files were left out; 3 when none could be
    exit_with(reparse_verdict(row, archive, crawl.left_out(None)))


def serve_flows(config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
                archive: ArchiveOption = DEFAULT_ARCHIVE) -> None:
    """Serve the nightly (cron 30 2 * * *, Asia/Shanghai), backfill and reparse deployments to a Prefect server.

    Start `prefect server start --analytics-off` first and set PREFECT_API_URL=http://127.0.0.1:4200/api;
    an ephemeral server has no scheduler.
    """
    prefect_for(db)
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():  # Prefect would start a temporary server, which runs no schedule
        fail("serve-flows needs a Prefect server with its scheduler: without PREFECT_API_URL it would serve to a "
             "temporary one, and the nightly would never run. Start one (`prefect server start --analytics-off`) "
             "and set PREFECT_API_URL=http://127.0.0.1:4200/api", EXIT_USAGE)
    from prefect import serve

    from govreports.flows.deployments import deployments

    serve(*deployments(str(config), str(db), str(archive)), pause_on_shutdown=False)


def _start_server():
    """Start Prefect's temporary server now, while the flow is imported (runs.prefect_server: it boots sooner, in a
    process group of its own that a terminal's Ctrl-C does not reach, and it dies with this command); returns it
    (None when Prefect uses another) and the wait for it to answer, to call before the flow runs."""
    from govreports.runs.prefect_server import start_early_server, startup_timeout

    server = start_early_server()
    return server, (lambda: server.wait(startup_timeout())) if server is not None else (lambda: None)


def _time_limit(text: str) -> float | None:
    from govreports.runs.watchdog import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--time-limit") from None


@contextlib.contextmanager
def _watched(limit: float | None, server, db: Path):
    """The run bounded whatever Prefect does (runs.watchdog: its time limit, Prefect's health, a stop signal it
    does not obey in seconds); yields the call that names the run's row, marked if the process must end itself."""
    from functools import partial

    from govreports.crawl.runrecord import mark_ended
    from govreports.runs.watchdog import watched

    with watched(limit, server) as watch:
        yield lambda run_id: watch.on_hard_exit(partial(mark_ended, db, run_id))


def _with_partition_progress(run, db: Path, portals, years, reprocess, config):
    """A progress bar fed by the partitions table, polled in a thread while the flow runs: a planned partition
    counts once its row was updated to done or failed after the start. The flow runs in the main thread, where
    signals arrive and Prefect handles SIGTERM: run in a thread, a stopped backfill let go of the writer lock
    while its crawls went on."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govreports.runs import jobs
    from govreports.runs.partitions import plan
    from govreports.store.db import connect
    from govreports.store.statuses import PartitionState

    names = portals or [p.name for p in jobs.load(config).portal]
    with connect(db) as database:
        todo = set(plan(database, names, years, reprocess))

        def finished_since(start: dict) -> int:
            rows = database.execute("SELECT portal, year, status, updated_at FROM partitions").fetchall()
            ended = (PartitionState.DONE, PartitionState.FAILED)
            return sum(1 for p, y, status, at in rows
                       if (p, y) in todo and status in ended and at != start.get((p, y)))

        start = {(p, y): at for p, y, at in database.execute("SELECT portal, year, updated_at FROM partitions")}
        stop = threading.Event()

        def poll() -> None:
            with contextlib.suppress(sqlite3.Error):  # a bar that cannot read stops moving; the run goes on
                while not stop.wait(0.3):
                    bar.update(task, completed=finished_since(start))

        with Progress(TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:
            task = bar.add_task("partitions", total=len(todo))
            poller = threading.Thread(target=poll, name="backfill-progress", daemon=True)
            poller.start()
            try:
                return run()
            finally:
                stop.set()
                poller.join()


def register(app: typer.Typer) -> None:
    for command in (nightly, backfill, reparse):
        app.command()(command)
    app.command("serve-flows")(serve_flows)
