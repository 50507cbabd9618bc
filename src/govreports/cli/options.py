"""The options several commands share, declared once with their help and default: `--db`, `--config`,
`--archive`, `--format`, `--wait` (and `--runner`, `--portal`, `--timeout`). Commands use them as
`db: DbOption = DEFAULT_DB`; the default paths come from govreports.paths."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from govreports.paths import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB
from govreports.query import DEFAULT_TIMEOUT_S
from govreports.store.lock import DEFAULT_WAIT_S

__all__ = ["DEFAULT_ARCHIVE", "DEFAULT_CONFIG", "DEFAULT_DB", "DEFAULT_TIMEOUT_S", "DEFAULT_WAIT_S",
           "ArchiveOption", "BackfillTimeLimitOption", "ConfigOption", "DbOption", "FormatOption",
           "OutFormat", "PortalsOption", "RunnerOption", "TIME_LIMIT_VARIABLE", "TimeLimitOption", "TimeoutOption",
           "WaitOption", "YEAR_RANGE"]


class OutFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"


# the range a --year may take: a year past SQLite's integers (a pasted id, a slip of the keyboard) ended the
# command in a traceback; out of this range is a usage error (exit 2), a year in it without reports says so (exit 1)
YEAR_RANGE = {"min": 1, "max": 9999}

DbOption = Annotated[Path, typer.Option("--db", help="SQLite database file.", show_default=True)]
ConfigOption = Annotated[Path, typer.Option("--config", help="A portal config file, or a directory of them.")]
ArchiveOption = Annotated[Path, typer.Option("--archive", help="Raw archive folder.")]
FormatOption = Annotated[OutFormat, typer.Option("--format", "-f", help="table for people; csv or json for programs.")]
WaitOption = Annotated[float, typer.Option(
    "--wait", help="Seconds to wait for another run that holds the database, then exit 75.")]
TimeoutOption = Annotated[float, typer.Option(
    "--timeout", min=0,
    help="stop the query after this many seconds (time spent blocked writing output does not count; 0: none)")]
_TIME_LIMIT_HELP = "Stop the run when it has run this long (6h, 90m, 45s; 0: no limit), then exit 124."
TIME_LIMIT_VARIABLE = "GOVREPORTS_TIME_LIMIT"  # the nightly's --time-limit from the environment (a night's timer)
TimeLimitOption = Annotated[str, typer.Option("--time-limit", envvar=TIME_LIMIT_VARIABLE, help=_TIME_LIMIT_HELP)]
# a backfill's own, without the nightly's variable: set for the nightly's timer, it cut a backfill (which may take
# days) in an environment both share
BackfillTimeLimitOption = Annotated[str, typer.Option("--time-limit", help=_TIME_LIMIT_HELP)]
RunnerOption = Annotated[str, typer.Option(
    "--runner", help="Task runner: threads, or dask (optional extra: a local 2-worker cluster).")]


def _each_once(names: list[str] | None) -> list[str] | None:
    """A portal named twice is crawled once: two crawls of one portal at once doubled the requests its host gets
    (each crawl with its own per-host slots) and split the night's figures between them."""
    return list(dict.fromkeys(names)) if names else names


PortalsOption = Annotated[Optional[list[str]], typer.Option("--portal", help="Only these portals.",
                                                            callback=_each_once)]
