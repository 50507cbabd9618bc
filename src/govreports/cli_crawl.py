"""`govreports crawl` and `govreports demo-portal`: thin layers over govreports.crawl and govreports.demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govreports.store.db import DEFAULT_DB

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
    ) -> None:
        """Crawl portals for annual reports, load them, and print end-of-run statistics.

        Exit code 0 when the run completed (failures of single URLs are recorded in the database's `issues` view
        and counted in the summary), 1 when it could not run (bad config), 2 for usage errors.
        """
        from govreports.portals.config import ConfigError, load_configs

        paths = _config_paths(config)
        if not paths:
            typer.echo(f"error: no config files in {config}", err=True)
            raise typer.Exit(1)
        try:
            crawl_config = load_configs(paths)
            crawl_config.select(portal)
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        if check:
            typer.echo(f"{crawl_config.path}: {len(crawl_config.portal)} portal(s), valid")
            return
        from govreports.crawl import run_crawl
        from govreports.store.db import open_db

        database = open_db(db)
        summary = _with_progress(lambda cb: run_crawl(crawl_config, database, archive, portal=portal, year=year,
                                                      progress=cb), progress)
        print_summary(summary)
        typer.echo(f"database: {db}")


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
