"""`govreports nightly | backfill | reparse | serve-flows`: the Prefect flows (govreports.flows) from the command
line.

Plain runs need no Prefect server: an ephemeral one starts with its home beside the database (data/prefect),
analytics off.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from govreports.cli.common import checked_config, exit_with, fail, prefect_for, run_flow, say, summary_shown
from govreports.errors import EXIT_USAGE
from govreports.cli.options import (DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB, DEFAULT_WAIT_S, ArchiveOption,
                                    BackfillTimeLimitOption, ConfigOption, DbOption, PortalsOption, RunnerOption,
                                    TIME_LIMIT_VARIABLE, TimeLimitOption, WaitOption)
from govreports.query.output import print_rows
from govreports.runs.verdict import judge
from govreports.store.lock import writer_lock


def nightly(ctx: typer.Context, config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
            archive: ArchiveOption = DEFAULT_ARCHIVE, portal: PortalsOption = None,
            runner: RunnerOption = "threads", wait: WaitOption = DEFAULT_WAIT_S,
            time_limit: TimeLimitOption = "6h") -> None:
    """Run the nightly flow once: new and changed reports from every portal; prints the summary.

    Exit codes as for `crawl`: 0 all portals crawled, 1 some unreachable, 3 none, 2 bad config, 74 database
    or archive not writable (a full disk), 75 database busy; and 69 the Prefect server could not start or
    stopped answering, 124 the night reached its --time-limit."""
    crawl = checked_config(config, portal, announce=False)  # the flow logs the files left out
    limit = _time_limit(ctx, time_limit)
    with writer_lock(db, wait=wait, command="nightly"):
        prefect_for(db)
        from govreports.flows.early import early_crawls

        names = portal or [p.name for p in crawl.portal]
        # Prefect's server boots from now and the crawls start now, while Prefect is imported; the flow's tasks
        # take the crawls over
        early, server = _start_server()
        from govreports.runs.prefect_server import flow_settings

        def end(rows: list[dict]) -> None:
            with summary_shown():
                print_rows(rows)
                typer.echo(f"database: {db}")
            exit_with(judge(rows, unusable=crawl.left_out(portal)))

        # the run's row is begun before its crawls: a night stopped while Prefect starts is recorded too; the
        # watch bounds it all, whatever Prefect does (runs.watchdog)
        with _bounded_run("nightly", limit, early, db, lambda recorded: end(_published(recorded))) as run, \
                early_crawls(str(config), names, str(db), str(archive), runner, run.id):
            from govreports.flows.common import task_runner
            from govreports.flows.nightly import nightly as flow

            server()
            with flow_settings(early):
                rows = run_flow(flow.with_options(task_runner=task_runner(runner)), config=str(config), db=str(db),
                                archive=str(archive), portals=portal or None, runner=runner)
    if run.ended is not None:  # its bounds stopped it after it had completed: it has said how it ended
        raise typer.Exit(run.ended)
    end(rows)


def backfill(ctx: typer.Context, years: Annotated[str, typer.Option(help="Years: 2019-2024, or 2019,2021.")] = "2018-2024",
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
    limit = _time_limit(ctx, time_limit)
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
        from govreports.runs.prefect_server import flow_settings

        def run():
            with flow_settings(early):
                return run_flow(flow.with_options(task_runner=task_runner(runner)), portals=portal or None,
                                years=year_list, reprocess=reprocess, dry_run=False, config=str(config), db=str(db),
                                archive=str(archive), runner=runner)
        from govreports.runs.partitions import ran_line
        from govreports.runs.verdict import with_failed_partitions

        def end(result: dict) -> None:
            with summary_shown():
                print_rows(result["rows"])
                not_yet_due = [tuple(p) for p in result.get("not_yet_due", [])]
                typer.echo(f"{ran_line(len(result['ran']), not_yet_due)}; database: {db}")
            _say_left_failed(result)
            failed = [tuple(p) for p in result.get("failed", [])]  # 1 when partitions it ran ended failed
            exit_with(with_failed_partitions(judge(result["rows"], unusable=crawl.left_out(portal)), failed,
                                             len(result["ran"])))

        def recorded_end(recorded: dict) -> None:  # its partitions as the partitions table has them now
            from govreports.runs.partitions import failed_since, not_yet_due_since
            from govreports.store.db import connect

            asked = [(p, y) for p in portal or [p.name for p in crawl.portal] for y in year_list]
            with connect(db, migrate=False) as database:
                failed, before = failed_since(database, asked, recorded["started_at"])
                not_yet_due = not_yet_due_since(database, asked, recorded["started_at"])
            rows = _published(recorded)  # a row per partition it ran
            end({"rows": rows, "ran": rows, "failed": failed, "not_yet_due": not_yet_due,
                 "left_failed": before if reprocess == "missing" else []})

        # bounded whatever Prefect does (runs.watchdog); the run's row (and so the database) first, as nightly's:
        # while Prefect started (20 s), `status` said "no database" and `reparse` refused to wait for the run
        with _bounded_run("backfill", limit, early, db, recorded_end) as bounded:
            server()
            result = run() if not progress else _with_partition_progress(run, db, portal, year_list, reprocess,
                                                                         config)
    if bounded.ended is not None:  # its bounds stopped it after it had completed: it has said how it ended
        raise typer.Exit(bounded.ended)
    end(result)


def _say_left_failed(result: dict) -> None:
    """Failed partitions a `missing` backfill did not run (its flow's log says so; Prefect's INFO may be off)."""
    if left := result.get("left_failed"):
        say(f"warning: {len(left)} partition(s) failed before and are not run again "
            f"({', '.join(f'{p} {y}' for p, y in left[:8])}{' …' if len(left) > 8 else ''}): "
            "`backfill --reprocess failed` runs them")


def reparse(config: ConfigOption = DEFAULT_CONFIG, db: DbOption = DEFAULT_DB,
            archive: ArchiveOption = DEFAULT_ARCHIVE, wait: WaitOption = DEFAULT_WAIT_S) -> None:
    """Re-parse archived documents with the current parser (no network); reports how many records changed."""
    crawl = checked_config(config, announce=False)  # the flow logs the files left out
    if not db.exists():  # a mistyped --db: the flow would create it, and re-parse nothing, exit 0
        fail(f"no database at {db}: a re-parse reads the reports a crawl or a load stored")
    with writer_lock(db, wait=wait, command="reparse"):
        prefect_for(db)
        early, server = _start_server()
        from govreports.flows.reparse import reparse as flow
        from govreports.runs.prefect_server import flow_settings
        from govreports.runs.reparse import reparse_verdict

        def end(row: dict) -> None:
            with summary_shown():
                print_rows([row])
            if row.get("skipped"):  # the flow's log names the portals; Prefect's INFO lines may be off (demo: WARNING)
                where = " (or only in its files that could not be used)" if crawl.unusable else ""
                say(f"warning: {row['skipped']} document(s) left as they are: their portals are not in "
                    f"{config}{where}; re-parse them with the config they were crawled with (--config)")
            # exit 1 when documents could not be re-parsed or config files were left out; 3 when none could be
            exit_with(reparse_verdict(row, archive, crawl.left_out(None)))

        # stopped while Prefect starts: recorded as stopped too; Prefect watched as the crawls' runs are
        with _bounded_run("reparse", (None, ""), early, db, lambda recorded: end(recorded["rows"][0])) as run:
            server()
            with flow_settings(early):
                row = run_flow(flow, config=str(config), db=str(db), archive=str(archive))
    if run.ended is not None:  # its bounds stopped it after it had completed: it has said how it ended
        raise typer.Exit(run.ended)
    end(row)


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
    from govreports.runs.prefect_server import wait_for_api

    wait_for_api(PREFECT_API_URL.value())  # a server that is down: one line and 69, not Prefect's traceback

    serve(*deployments(str(config), str(db), str(archive)), pause_on_shutdown=False)


def _start_server():
    """Start Prefect's temporary server now, while the flow is imported (runs.prefect_server: it boots sooner, in a
    process group of its own that a terminal's Ctrl-C does not reach, and it dies with this command); returns it
    (None when Prefect uses another) and the wait for it to answer, to call before the flow runs: for the user's
    server (PREFECT_API_URL), a wait for its health check (runs.prefect_server.wait_for_api)."""
    import os

    from govreports.cli.common import import_flow_call_modules
    from govreports.runs.prefect_server import start_early_server, startup_timeout, wait_for_api

    server = start_early_server()

    def ready() -> None:
        import_flow_call_modules()  # while the server still boots
        server.wait(startup_timeout())

    def answering() -> None:  # the user's server (PREFECT_API_URL), which may be down
        wait_for_api(api_url)

    api_url = os.environ.get("PREFECT_API_URL")
    return server, ready if server is not None else answering if api_url else (lambda: None)


def _time_limit(ctx: typer.Context, text: str) -> tuple[float | None, str]:
    """The command's --time-limit in seconds, and the setting it came from: the option, or the nightly's variable
    GOVREPORTS_TIME_LIMIT (a night's timer sets it), which its usage error and its stop line name."""
    from govreports.runs.watchdog import parse_duration

    source = ctx.get_parameter_source("time_limit")  # (click's ParameterSource, in typer's own copy of click)
    setting = TIME_LIMIT_VARIABLE if getattr(source, "name", None) == "ENVIRONMENT" else "--time-limit"
    try:
        return parse_duration(text), setting
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=setting) from None


@dataclass
class _BoundedRun:
    id: int | None = None  # its row in `runs`
    ended: int | None = None  # the exit code of a run its bounds stopped after it had completed (said already)


@contextlib.contextmanager
def _bounded_run(kind: str, limit: tuple[float | None, str], server, db: Path, end: Callable[[dict], None]
                 ) -> Iterator[_BoundedRun]:
    """The run's row in `runs` (crawl.runrecord), the run bounded whatever Prefect does (runs.watchdog: its time
    limit, `_time_limit`'s, Prefect's health, a stop signal it does not obey in seconds). A stop by the bounds
    marks the row stopped or failed, and the command exits 124 or 69.

    Unless the run had completed by then: its figures recorded (its row `completed`), the bound came while the
    flow still talked to Prefect (its artifacts, its flow run's end: a Prefect server that froze there, or the
    time limit in the instant after). The run's work is done and in the database, and a 69 beside a completed
    row told a scheduler that the run had failed (to run again, to page someone for); so it ends as it would
    have, `end(recorded)` (crawl.runrecord.completed_run: the summary read back from its row, health assessed
    again), after a line that says what came after it. Only its exit code changes: the row keeps `completed`, the
    summary and the verdict (partial, failed) are the run's own, and a Prefect that no longer answers is said, and
    found at once by the next run (69 as it starts). The block is then left as if it had ended, with `ended` set:
    the command exits with it (raised outside this exception, which main would otherwise find in its chain)."""
    from govreports.clock import now_iso
    from govreports.crawl import recorded_run
    from govreports.crawl.runrecord import mark_ended
    from govreports.lifecycle import RunCutShort
    from govreports.runs.watchdog import watched

    run, (seconds, limit_by) = _BoundedRun(), limit
    try:
        with watched(seconds, server, limit_by) as watch, recorded_run(db, kind, now_iso()) as run.id:
            watch.on_hard_exit(partial(mark_ended, db, run.id))  # the process ends itself: its row marked,
            watch.if_completed(partial(_ended_after_completion, db, run.id, end=end))  # unless it had completed
            yield run
    except RunCutShort as cut:  # (a stop signal is no bound of ours: the one who sent it is told it stopped)
        run.ended = None if run.id is None else _ended_after_completion(db, run.id, cut.ending, end)
        if run.ended is None:
            raise


def _ended_after_completion(db: Path, run_id: int, ending, end: Callable[[dict], None]) -> int | None:
    """The exit code of a run stopped by `ending` after it had completed, its summary and verdict printed; None
    when it had not (or its row cannot be read: the stop's code stands)."""
    from govreports.crawl.runrecord import completed_run

    if ending.signum is not None:  # a stop signal (the process ending itself after one): its sender is answered
        return None
    try:
        recorded = completed_run(db, run_id)
    except Exception as err:  # noqa: BLE001 - the stop's own ending is then the truth we have
        say(f"warning: run {run_id}'s row could not be read: {err}")
        return None
    if recorded is None:
        return None
    say(f"warning: run {run_id} had completed and recorded its figures when {ending.reason}; it ends with its own "
        "summary and exit code (what it still had to tell Prefect, its artifacts or the flow run's end, may be "
        "missing there)")
    try:
        end(recorded)
    except typer.Exit as done:
        return done.exit_code
    return 0


def _published(recorded: dict) -> list[dict]:
    """A completed run's summary rows (crawl.runrecord.completed_run) as the flow published them: the summary's
    columns and the portal's health flags."""
    from govreports.query.output import RUN_COLUMNS

    return [{**{k: row.get(k) for k in RUN_COLUMNS}, "health": row.get("health", "")} for row in recorded["rows"]]


def _with_partition_progress(run, db: Path, portals, years, reprocess, config):
    """A progress bar fed by the partitions table, polled in a thread while the flow runs: a planned partition
    counts once its row was updated to done, not_yet_due or failed after the start. The flow runs in the main
    thread, where signals arrive and Prefect handles SIGTERM: run in a thread, a stopped backfill let go of the
    writer lock while its crawls went on."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govreports.runs import jobs
    from govreports.runs.partitions import ENDED, plan
    from govreports.store.db import connect

    names = portals or [p.name for p in jobs.load(config).portal]
    with connect(db) as database:
        todo = set(plan(database, names, years, reprocess))

        def finished_since(start: dict) -> int:
            rows = database.execute("SELECT portal, year, status, updated_at FROM partitions").fetchall()
            return sum(1 for p, y, status, at in rows
                       if (p, y) in todo and status in ENDED and at != start.get((p, y)))

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
