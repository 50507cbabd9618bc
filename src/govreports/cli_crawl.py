"""`govreports crawl` and `govreports demo-portal`: thin layers over govreports.crawl and govreports.demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govreports.runs.verdict import EXIT_USAGE, judge
from govreports.store.db import DEFAULT_DB
from govreports.store.lock import DEFAULT_WAIT_S, writer_lock

WaitOption = Annotated[float, typer.Option(
    "--wait", help="Seconds to wait for another run that holds the database, then exit 75.")]

DEFAULT_CONFIG = Path("config/portals")
DEFAULT_ARCHIVE = Path("data/archive")


def _config_paths(config: Path) -> list[Path]:
    return sorted(config.glob("*.toml")) if config.is_dir() else [config]


SUMMARY_COLUMNS = ("portal", "pages", "listed", "found", "new", "changed", "unchanged", "duplicate", "failed",
                   "blocked")


def print_summary(summary, echo=typer.echo) -> None:
    from govreports.query.output import render

    rows = summary.rows()
    render(list(SUMMARY_COLUMNS), [tuple(row[c] for c in SUMMARY_COLUMNS) for row in rows],
           title=f"crawl run {summary.run_id or ''} — {summary.seconds:.1f} s")
    failures: dict[str, int] = {}
    for row in rows:
        for kind, n in row["failures"].items():
            failures[kind] = failures.get(kind, 0) + n
    if failures:
        echo("failures by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(failures.items())))
    health = getattr(summary, "health", [])
    if health:
        echo(f"portal health: {len(health)} problem{'s' if len(health) != 1 else ''}"
             " (every portal: `govreports status`)")
    for flag in health:
        echo(flag.line())


def register(app: typer.Typer) -> None:
    @app.command()
    def crawl(
        config: Annotated[Path, typer.Option(help="A portal config file, or a directory of them.")] = DEFAULT_CONFIG,
        portal: Annotated[str | None, typer.Option(help="Crawl only this portal (its name in the config).")] = None,
        year: Annotated[int | None, typer.Option(help="Only reports covering this year.")] = None,
        db: Annotated[Path, typer.Option(help="SQLite database.")] = DEFAULT_DB,
        archive: Annotated[Path, typer.Option(help="Raw archive folder.")] = DEFAULT_ARCHIVE,
        check: Annotated[bool, typer.Option("--check", help="Validate the config and exit.")] = False,
        progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
        wait: WaitOption = DEFAULT_WAIT_S,
    ) -> None:
        """Crawl portals for annual reports, load them, and print end-of-run statistics.

        Exit codes: 0 every portal was crawled (failures of single URLs are in the database's `issues` view and
        counted in the summary); 1 some portals could not be reached; 3 none could (nothing was fetched);
        2 usage or configuration error; 75 another run holds the database.
        """
        from govreports.portals.config import ConfigError, load_configs

        paths = _config_paths(config)
        if not paths:
            typer.echo(f"error: no config files in {config}", err=True)
            raise typer.Exit(EXIT_USAGE)
        try:
            crawl_config = load_configs(paths)
            crawl_config.select(portal)
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        if check:
            typer.echo(f"{crawl_config.path}: {len(crawl_config.portal)} portal(s), valid")
            return
        from govreports.crawl import run_crawl
        from govreports.store.db import open_db

        with writer_lock(db, wait=wait, command="crawl"):
            database = open_db(db)
            summary = _with_progress(lambda cb: run_crawl(crawl_config, database, archive, portal=portal,
                                                          year=year, progress=cb), progress)
        print_summary(summary)
        typer.echo(f"database: {db}")
        exit_with(judge(summary.rows(), problems=[f.portal for f in summary.health if f.level == "error"]))


def exit_with(verdict) -> None:
    """End a run command with its verdict: a one-line reason on stderr and the exit code a scheduler reads."""
    if verdict.line:
        typer.echo(f"{'error' if verdict.status == 'failed' else 'warning'}: {verdict.line}", err=True)
    raise typer.Exit(verdict.exit_code)


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
