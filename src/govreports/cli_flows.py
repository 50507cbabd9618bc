"""`govreports nightly | backfill | reparse | serve-flows`: the Prefect flows from the command line.

Plain runs need no Prefect server: an ephemeral one starts with its home under data/prefect, analytics off.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from govreports.cli_crawl import DEFAULT_ARCHIVE, DEFAULT_CONFIG, WaitOption, exit_with
from govreports.runs.verdict import judge
from govreports.store.db import DEFAULT_DB
from govreports.store.lock import DEFAULT_WAIT_S, writer_lock

Config = Annotated[Path, typer.Option(help="A portal config file, or a directory of them.")]
Db = Annotated[Path, typer.Option(help="SQLite database.")]
ArchiveDir = Annotated[Path, typer.Option("--archive", help="Raw archive folder.")]
Runner = Annotated[str, typer.Option(help="Task runner: threads, or dask (optional extra: a local 2-worker cluster).")]


def _prefect(db: Path) -> None:
    from govreports.runs.prefect_env import configure

    configure(Path(db).resolve().parent / "prefect")


def _print_rows(rows: list[dict]) -> None:
    from govreports.query.output import print_rows

    print_rows(rows)


def _run(flow, **params):
    """Run a flow in this process and return its result, whether the run ended Completed or Failed (a Failed run
    of ours carries its rows as data; an exception is re-raised)."""
    state = flow(**params, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result


def register(app: typer.Typer) -> None:
    @app.command()
    def nightly(config: Config = DEFAULT_CONFIG, db: Db = DEFAULT_DB, archive: ArchiveDir = DEFAULT_ARCHIVE,
                portal: Annotated[list[str] | None, typer.Option(help="Only these portals.")] = None,
                runner: Runner = "threads", wait: WaitOption = DEFAULT_WAIT_S) -> None:
        """Run the nightly flow once: new and changed reports from every portal; prints the summary.

        Exit codes as for `crawl`: 0 all portals crawled, 1 some unreachable, 3 none, 75 database busy."""
        with writer_lock(db, wait=wait, command="nightly"):
            _prefect(db)
            from govreports.flows.common import task_runner
            from govreports.flows.nightly import nightly as flow

            rows = _run(flow.with_options(task_runner=task_runner(runner)), config=str(config), db=str(db),
                        archive=str(archive), portals=portal or None, runner=runner)
        _print_rows(rows)
        typer.echo(f"database: {db}")
        exit_with(judge(rows))

    @app.command()
    def backfill(years: Annotated[str, typer.Option(help="Years: 2019-2024, or 2019,2021.")] = "2018-2024",
                 portal: Annotated[list[str] | None, typer.Option(help="Only these portals.")] = None,
                 reprocess: Annotated[str, typer.Option(help="missing | failed | all")] = "missing",
                 dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
                 config: Config = DEFAULT_CONFIG, db: Db = DEFAULT_DB, archive: ArchiveDir = DEFAULT_ARCHIVE,
                 runner: Runner = "threads", progress: bool = True, wait: WaitOption = DEFAULT_WAIT_S) -> None:
        """Backfill portals × years; the partitions table decides what runs (idempotent, resumable).

        Exit codes as for `crawl`: 0 all portals crawled, 1 some unreachable, 3 none, 75 database busy."""
        from govreports.runs.partitions import REPROCESS, parse_years

        if reprocess not in REPROCESS:
            raise typer.BadParameter(f"one of {', '.join(REPROCESS)}", param_hint="--reprocess")
        try:
            year_list = parse_years(years)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--years") from None
        _prefect(db)
        from govreports.flows.backfill import backfill as flow
        from govreports.flows.common import task_runner

        def run():
            return _run(flow.with_options(task_runner=task_runner(runner)), portals=portal or None,
                        years=year_list, reprocess=reprocess, dry_run=dry_run, config=str(config), db=str(db),
                        archive=str(archive), runner=runner)

        if dry_run:
            result = run()
            for p, y in result["planned"]:
                typer.echo(f"would run {p} {y}")
            typer.echo(f"{len(result['planned'])} partition(s) planned; nothing changed (dry run)")
            return
        with writer_lock(db, wait=wait, command="backfill"):
            result = run() if not progress else _with_partition_progress(run, db, portal, year_list, reprocess,
                                                                         config)
        _print_rows(result["rows"])
        typer.echo(f"{len(result['ran'])} partition(s) run; database: {db}")
        exit_with(judge(result["rows"]))

    @app.command()
    def reparse(config: Config = DEFAULT_CONFIG, db: Db = DEFAULT_DB, archive: ArchiveDir = DEFAULT_ARCHIVE,
                wait: WaitOption = DEFAULT_WAIT_S) -> None:
        """Re-parse archived documents with the current parser (no network); reports how many records changed."""
        with writer_lock(db, wait=wait, command="reparse"):
            _prefect(db)
            from govreports.flows.reparse import reparse as flow

            row = _run(flow, config=str(config), db=str(db), archive=str(archive))
        _print_rows([row])

    @app.command()
    def demo(port: Annotated[int, typer.Option(help="Port of the demo portal.")] = 8765,
             db: Db = DEFAULT_DB, archive: ArchiveDir = DEFAULT_ARCHIVE) -> None:
        """Start the demo portal, run the nightly flow against config/demo.toml, print how to query the result."""
        from govreports.demo.run import main

        raise typer.Exit(main(port=port, db=str(db), archive=str(archive)))

    @app.command("serve-flows")
    def serve_flows(config: Config = DEFAULT_CONFIG, db: Db = DEFAULT_DB, archive: ArchiveDir = DEFAULT_ARCHIVE) -> None:
        """Serve the nightly (cron 30 2 * * *, Asia/Shanghai) and backfill deployments to a Prefect server.

        Start `prefect server start --analytics-off` first and set PREFECT_API_URL=http://127.0.0.1:4200/api;
        an ephemeral server has no scheduler.
        """
        from govreports.runs.prefect_env import configure

        configure(Path(db).resolve().parent / "prefect")
        from prefect import serve

        from govreports.flows.deployments import deployments

        serve(*deployments(str(config), str(db), str(archive)), pause_on_shutdown=False)


def _with_partition_progress(run, db: Path, portals, years, reprocess, config):
    """A progress bar fed by the partitions table, polled while the flow runs in a thread: a planned partition
    counts once its row was updated to done or failed after the start."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govreports.runs import jobs
    from govreports.runs.partitions import plan
    from govreports.store.db import open_db

    names = portals or [p.name for p in jobs.load(config).portal]
    database = open_db(db)
    todo = set(plan(database, names, years, reprocess))

    def finished_since(start: dict) -> int:
        rows = database.execute("SELECT portal, year, status, updated_at FROM partitions").fetchall()
        return sum(1 for p, y, status, at in rows
                   if (p, y) in todo and status in ("done", "failed") and at != start.get((p, y)))

    start = {(p, y): at for p, y, at in database.execute("SELECT portal, year, updated_at FROM partitions")}
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(value=run()), daemon=True)
    with Progress(TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("partitions", total=len(todo))
        worker.start()
        while worker.is_alive():
            bar.update(task, completed=finished_since(start))
            time.sleep(0.3)
        worker.join()
    database.conn.close()
    if "value" not in result:
        raise typer.Exit(1)
    return result["value"]
