"""The units of work the flows schedule: one portal's nightly crawl, one partition of a backfill.

Each opens its own database connection (tasks may run in threads or processes) and returns plain data, so any
Prefect task runner can carry it. `buffered=True` returns the crawl's writes as events instead of writing them:
the flow applies them, and the database keeps one writer however the work was spread.
"""

from __future__ import annotations

from pathlib import Path

from govreports.crawl import CrawlSummary, apply_summary, run_crawl
from govreports.portals.config import CrawlConfig, load_configs
from govreports.store.db import open_db
from govreports.store.logs import set_partition


def config_paths(config: str | Path) -> list[Path]:
    config = Path(config)
    return sorted(config.glob("*.toml")) if config.is_dir() else [config]


def load(config: str | Path) -> CrawlConfig:
    return load_configs(config_paths(config))


def crawl_portal(config: str | Path, portal: str, db_path: str | Path, archive: str | Path, *,
                 year: int | None = None, buffered: bool = False, **policy) -> CrawlSummary:
    """One portal (optionally one year). The summary holds its stats (and its events when buffered)."""
    db = open_db(db_path) if not buffered else open_db(db_path, migrate=False)
    try:
        return run_crawl(load(config), db, archive, portal=portal, year=year, kind=None, buffered=buffered,
                         parse_workers=policy.pop("parse_workers", None), **policy)
    finally:
        db.conn.close()


def run_partition(config: str | Path, portal: str, year: int, db_path: str | Path, archive: str | Path, *,
                  buffered: bool = False, **policy) -> CrawlSummary:
    """A backfill partition: marked running, crawled, then done — or failed when any of its URLs failed."""
    if not buffered:
        db = open_db(db_path)
        set_partition(db, portal, year, "running")
        db.conn.close()
    try:
        summary = crawl_portal(config, portal, db_path, archive, year=year, buffered=buffered, **policy)
    except Exception as exc:
        if not buffered:
            db = open_db(db_path)
            set_partition(db, portal, year, "failed", f"{type(exc).__name__}: {exc}")
            db.conn.close()
        raise
    if not buffered:
        finish_partition(db_path, portal, year, summary)
    return summary


def finish_partition(db_path: str | Path, portal: str, year: int, summary: CrawlSummary) -> None:
    db = open_db(db_path)
    try:
        if summary.events:
            apply_summary(db, summary)
        stats = summary.portals[0]
        failures = stats.failed_total + stats.blocked
        status = "failed" if failures else "done"
        error = f"{failures} URL(s) failed: {dict(stats.failed)}; blocked {stats.blocked}" if failures else None
        set_partition(db, portal, year, status, error)
    finally:
        db.conn.close()
