"""How commands end (`fail`, `exit_with`) and what the flow commands share (Prefect set up for a plain run, a
flow run in this process)."""

from __future__ import annotations

from pathlib import Path

import typer

from govreports.errors import EXIT_FAILED, EXIT_USAGE


def fail(message: str, code: int = EXIT_FAILED) -> None:
    """`error: message` on stderr, then exit with `code` (1: the input failed; 2: a usage error)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def exit_with(verdict) -> None:
    """End a run command with its verdict: a one-line reason on stderr and the exit code a scheduler reads."""
    from govreports.runs.verdict import RunStatus

    if verdict.line:
        typer.echo(f"{'error' if verdict.status == RunStatus.FAILED else 'warning'}: {verdict.line}", err=True)
    raise typer.Exit(verdict.exit_code)


def checked_config(config: Path, portals: list[str] | None = None):
    """The crawl configuration, validated (and each named portal found) before anything starts: a bad file is a
    usage error, one line and exit 2, not a traceback from inside a flow run."""
    from govreports.portals.config import ConfigError
    from govreports.runs.jobs import load

    try:
        crawl = load(config)
        for name in portals or [None]:
            crawl.select(name)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    return crawl


def prefect_for(db: Path) -> None:
    """Prefect settings for a plain run (an ephemeral server whose home is beside the database); before prefect
    is imported."""
    from govreports.paths import prefect_home
    from govreports.runs.prefect_env import configure

    configure(prefect_home(db))


def run_flow(flow, **params):
    """Run a flow in this process and return its result, whether the run ended Completed or Failed (a Failed run
    of ours carries its rows as data; an exception is re-raised)."""
    state = flow(**params, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result
