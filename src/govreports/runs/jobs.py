"""The units of work the flows schedule — one portal's nightly crawl, one partition of a backfill — and the one
decision of where their writes go.

Each opens its own database connection (tasks may run in threads or processes) and returns plain data, so any
Prefect task runner can carry it. Where the writes go is decided once, from the task runner's name (`mode`):
directly, or buffered — the crawl's writes come back as events (the mechanism: `crawl.events.Sink`) and the flow
process applies them, so the database keeps one writer however the work was spread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from govreports.crawl import CrawlSummary, run_crawl
from govreports.errors import StorageError
from govreports.paths import config_files
from govreports.portals.config import ConfigError, CrawlConfig, load_configs
from govreports.runs import partitions
from govreports.store.db import connect, locked

TASK_WORKERS = 4  # portal tasks at once with the threads runner (flows.common's runner, flows.early's threads)


@dataclass(frozen=True)
class Mode:
    """How a flow's portal tasks run: `buffered` (they write nothing and return their writes as events for the
    flow process to apply) and how many parse worker processes each crawl starts (None: one per core)."""

    buffered: bool = False
    parse_workers: int | None = None


def mode(runner: str, parse_workers: int | None = None, concurrent_tasks: int = 1) -> Mode:
    """The one place that decides "buffered or direct". `threads`: the tasks run in the flow's process and write
    directly, each with its own connection; each of the `concurrent_tasks` crawls starts its own parse workers, so
    by default they share the cores between them (one per core in all, each worker with its own memory cap) rather
    than each taking one per core. Any other runner (dask: other processes, later other machines): buffered, and
    one parse worker unless told otherwise — Dask workers are daemonic, so a crawl there parses in its own process
    (parse.bounded) rather than starting a pool."""
    if runner == "threads":
        if parse_workers is None:
            parse_workers = max(1, (os.cpu_count() or 1) // max(1, concurrent_tasks))
        return Mode(False, parse_workers)
    return Mode(True, 1 if parse_workers is None else parse_workers)


def load(config: str | Path, *, strict: bool = False) -> CrawlConfig:
    """The crawl configuration of a config file or directory. Of a directory, the files that cannot be used are
    left out, named in its `unusable`, unless `strict` (`crawl --check`): the run crawls the others."""
    paths = config_files(config)
    if not paths:
        raise ConfigError(f"no config files in {config}")
    return load_configs(paths, skip_unusable=not strict and Path(config).is_dir())


def crawl_portal(config: str | Path, portal: str, db_path: str | Path, archive: str | Path, *,
                 year: int | None = None, buffered: bool = False, parse_workers: int | None = None,
                 run_id: int | None = None, **policy) -> CrawlSummary:
    """One portal (optionally one year) for the run `run_id` (its failures are logged against it); `policy`
    overrides the fetch policy. The summary holds its stats (and its events when buffered: a buffered crawl only
    reads the database, so it does not migrate it either)."""
    with connect(db_path, migrate=not buffered) as db:
        return run_crawl(load(config), db, archive, portal=portal, year=year, kind=None, buffered=buffered,
                         parse_workers=parse_workers, run_id=run_id, **policy)


def run_partition(config: str | Path, portal: str, year: int, db_path: str | Path, archive: str | Path, *,
                  buffered: bool = False, parse_workers: int | None = None, run_id: int | None = None,
                  **policy) -> CrawlSummary:
    """A backfill partition, crawled. Direct: marked running, then done — or failed when any of its URLs failed
    or the crawl raised. Buffered: the flow process marks it (runs.partitions), as it writes the events."""
    if not buffered:
        partitions.start(db_path, portal, year)
    try:
        summary = crawl_portal(config, portal, db_path, archive, year=year, buffered=buffered,
                               parse_workers=parse_workers, run_id=run_id, **policy)
    except StorageError:  # nothing can be marked: the partition stays `running`, which the next backfill re-crawls
        raise
    except Exception as exc:
        if not buffered and not locked(exc):  # (locked by another program: it stays `running` too)
            partitions.fail(db_path, portal, year, f"{type(exc).__name__}: {exc}")
        raise
    if not buffered:
        partitions.finish(db_path, portal, year, summary)
    return summary
