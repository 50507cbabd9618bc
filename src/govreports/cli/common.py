"""How commands end (`fail`, `exit_with`) and what the flow commands share (Prefect set up for a plain run, a
flow run in this process)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
from pathlib import Path

import typer

from govreports.errors import EXIT_FAILED, EXIT_USAGE, GovreportsError

# the loggers Prefect's engines log a failed run's exception to (prefect.logging.loggers)
PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def fail(message: str, code: int = EXIT_FAILED) -> None:
    """`error: message` on stderr, then exit with `code` (1: the input failed; 2: a usage error)."""
    say(f"error: {message}")
    raise typer.Exit(code)


def say(line: str) -> None:
    """A line on stderr that goes before the command's own ending (its error, its verdict). A reader of stderr that
    has gone (`2>&1 | head -0`) made the line's write end the command as the broken pipe (141), and the failure it
    was saying was lost to a scheduler: the line goes nowhere, as all that stderr's reader missed, and the command
    ends with its own code."""
    try:
        typer.echo(line, err=True)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        with contextlib.suppress(OSError, ValueError, AttributeError):  # (a stream without a descriptor)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stderr.fileno())  # what is still buffered for it, flushed at exit, goes there too
            os.close(null)


_SUMMARY_UNREAD: list[bool] = []  # a run's summary met a gone reader of stdout (summary_shown)


@contextlib.contextmanager
def summary_shown():
    """Where a run command prints its summary before its verdict (exit_with): a reader of stdout that has gone
    (`crawl … | head -0`) ended the command there, 141, and a crawl that could fetch nothing (3) passed for one
    whose reader had only stopped early. The rest of stdout goes to the null device and the run's verdict ends it;
    a verdict of success ends 141, its output left unwritten, as any command's."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _SUMMARY_UNREAD.append(True)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
    except SystemExit as exc:  # rich's Console.on_broken_pipe: stdout already sent to the null device
        if exc.code != 1 or not isinstance(exc.__context__, BrokenPipeError):
            raise
        _SUMMARY_UNREAD.append(True)


def exit_with(verdict) -> None:
    """End a run command with its verdict: a one-line reason on stderr and the exit code a scheduler reads."""
    from govreports.runs.verdict import RunStatus

    if verdict.line:
        say(f"{'error' if verdict.status == RunStatus.FAILED else 'warning'}: {verdict.line}")
    unread, _SUMMARY_UNREAD[:] = bool(_SUMMARY_UNREAD), []  # (one command's: a process may run several, as tests do)
    if verdict.exit_code == 0 and unread:
        from govreports.cli import EXIT_READER_GONE

        raise typer.Exit(EXIT_READER_GONE)
    raise typer.Exit(verdict.exit_code)


def checked_config(config: Path, portals: list[str] | None = None, *, strict: bool = False, announce: bool = True):
    """The crawl configuration, validated (and each named portal found) before anything starts: a bad file is a
    usage error, one line and exit 2, not a traceback from inside a flow run. In a directory, a file that cannot
    be used is named on stderr and left out, and the run goes on without its portals (its verdict says so, unless
    the run names its portals), unless `strict` (`crawl --check`) or no file can be used. `announce=False`: a
    command whose flow logs them as errors itself (flows.common.portals_to_run) names them once, there."""
    from govreports.portals.config import ConfigError
    from govreports.runs.jobs import load

    try:
        crawl = load(config, strict=strict)
        for name in portals or [None]:
            crawl.select(name)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    # (portals named, and found: the files left out do not touch the run, and left_out is None)
    for _, reason in (crawl.left_out(portals) if announce else None) or ():
        say(f"error: {reason}; its portals are left out of this run")
    return crawl


def prefect_for(db: Path) -> None:
    """Prefect settings for a plain run (an ephemeral server whose home is beside the database); before prefect
    is imported."""
    from govreports.paths import prefect_home
    from govreports.runs.prefect_env import configure

    configure(prefect_home(db))


# what Prefect imports only when a flow is first called (Prefect 3.9): the engines (with the concurrency helpers they
# import), the parameters' JSON encoder (fastapi's), the flow graph's helpers (graphviz), anyio's asyncio backend
FLOW_CALL_MODULES = ("prefect.flow_engine", "prefect.task_engine", "fastapi.encoders", "prefect.utilities.visualization",
                     "anyio._backends._asyncio")


def import_flow_call_modules() -> None:
    """Import now what a flow's first call imports, while the temporary server boots and this process only waits
    for it: imported at the call, it came after the server's first answer, ahead of the flow run (0.15-0.5 s on
    the 2-core VM, 140 modules)."""
    import importlib

    for name in FLOW_CALL_MODULES:
        importlib.import_module(name)


def run_flow(flow, **params):
    """Run a flow in this process and return its result, whether the run ended Completed or Failed (a Failed run
    of ours carries its rows as data; an exception is re-raised)."""
    with named_errors_without_traceback():
        state = flow(**params, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result


class _NamedErrorWithoutTraceback(logging.Filter):
    """Drops the traceback from a run logger's record of one of our own errors (or of another program's lock on the
    database, which the command names in one line too: exit 75), and keeps its line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from govreports.store.db import locked

        if record.exc_info and (isinstance(record.exc_info[1], GovreportsError) or locked(record.exc_info[1])):
            record.exc_info = record.exc_text = None
        return True


@contextlib.contextmanager
def named_errors_without_traceback():
    """While a flow runs here, Prefect's record of a failed run keeps its line ("Encountered exception during
    execution: StorageError('could not write the archive …')") but not its traceback when the error is one of ours
    (GovreportsError, whose message names the file, URL or holder): forty lines of Prefect's engine stood in a
    scheduler's mail above the one line that matters, for a full disk, and read as a crash. Any other exception
    keeps its traceback: that one is a bug to report. The command's own `error:` line still ends stderr."""
    drop = _NamedErrorWithoutTraceback()
    loggers = [logging.getLogger(name) for name in PREFECT_RUN_LOGGERS]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
