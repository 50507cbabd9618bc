"""`govreports crawl`: crawl portals in this process (no Prefect), with a progress bar and end-of-run statistics."""

from __future__ import annotations

from typing import Annotated

import typer

from govreports.cli.common import checked_config, exit_with, summary_shown
from govreports.cli.options import (DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB, DEFAULT_WAIT_S, ArchiveOption,
                                    ConfigOption, DbOption, WaitOption)
from govreports.extract.toolcache import sweep_leftovers
from govreports.runs.verdict import judge
from govreports.store.lock import writer_lock


def crawl(
    config: ConfigOption = DEFAULT_CONFIG,
    portal: Annotated[str | None, typer.Option(help="Crawl only this portal (its name in the config).")] = None,
    year: Annotated[int | None, typer.Option(min=2000, max=2100, help="Only reports covering this year.")] = None,
    db: DbOption = DEFAULT_DB,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    check: Annotated[bool, typer.Option("--check", help="Validate the config and exit.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be fetched (list pages only; writes "
                                          "nothing) and exit.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    wait: WaitOption = DEFAULT_WAIT_S,
) -> None:
    """Crawl portals for annual reports, load them, and print end-of-run statistics.

    Exit codes: 0 every portal was crawled (failures of single URLs are in the database's `issues` view and
    counted in the summary); 1 some portals could not be reached; 3 none could (nothing was fetched);
    2 usage or configuration error; 74 the database or the archive could not be written (a full disk: the run
    stops, what was committed stays); 75 another run holds the database.
    """
    crawl_config = checked_config(config, [portal] if portal else None, strict=check)
    if check:
        typer.echo(f"{crawl_config.path}: {len(crawl_config.portal)} portal(s), valid")
        return
    if dry_run:
        _dry_run(crawl_config, portal, year, db)
    from govreports.crawl import run_crawl
    from govreports.query.output import print_summary
    from govreports.store.db import connect

    with writer_lock(db, wait=wait, command="crawl"), connect(db) as database:
        sweep_leftovers(archive)  # temp files killed processes left (archive, tool cache): once per run
        summary = _with_progress(lambda cb: run_crawl(crawl_config, database, archive, portal=portal,
                                                      year=year, progress=cb), progress)
    with summary_shown():
        print_summary(summary)
        typer.echo(f"database: {db}")
    exit_with(judge(summary.rows(), problems=[f.portal for f in summary.health if f.level == "error"],
                    unusable=crawl_config.left_out(portal)))


def _dry_run(crawl_config, portal: str | None, year: int | None, db) -> None:
    """Each portal's listings, marked new / known / excluded, from its list pages alone; the database, when there
    is one, is only read. Exit codes as a crawl's: 1 some portals could not be listed, 3 none could."""
    import asyncio

    from govreports.crawl.preview import console, preview_all, print_preview
    from govreports.query.readonly import NotGovreportsDatabase, connect_readonly

    try:
        known = connect_readonly(db) if db.is_file() else None
    except NotGovreportsDatabase:  # an empty file: nothing known yet, as with none
        known = None
    try:
        results = asyncio.run(preview_all(crawl_config, crawl_config.select(portal), db=known, year=year))
    finally:
        if known is not None:
            known.close()
    out = console()
    with summary_shown():
        for result in results:
            print_preview(result, out)
        typer.echo("dry run: nothing was fetched beyond list pages, nothing was written")
    exit_with(judge([r.row() for r in results], unusable=crawl_config.left_out(portal)))


def _with_progress(run, enabled: bool):
    if not enabled:
        return run(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        tasks: dict[str, int] = {}
        done: dict[str, int] = {}

        def update(event: str, stats) -> None:
            task = tasks.get(stats.portal)
            if task is None:
                task = tasks[stats.portal] = bar.add_task(stats.portal, total=0)
                done[stats.portal] = 0
            if event == "done":
                done[stats.portal] += 1
            bar.update(task, total=stats.found, completed=done[stats.portal])

        return run(update)


def register(app: typer.Typer) -> None:
    app.command()(crawl)
