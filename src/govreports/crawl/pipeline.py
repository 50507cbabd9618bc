"""One crawl: each selected portal crawled (crawl.portal) through one polite Fetcher and one pool of parse workers,
every failure recorded against its URL while the run goes on; the run's row and summary.

Incremental by construction: report pages and attachments are fetched with the validators of their archived
copy, and an item whose page (and attachment) answer 304 is unchanged without being parsed again. Loading is
idempotent, so a report read twice stays one report; a re-post of a report already loaded from another page is
counted as a duplicate. Writes go through a sink (crawl.events): applied at once, or buffered for one writer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from govreports.crawl.events import Sink, apply_events
from govreports.crawl.portal import PortalCrawl, Progress, _cancel
from govreports.crawl.recheck import day_number, is_due
from govreports.crawl.runrecord import begin_run, record_run, unfinished_marked
from govreports.crawl.stats import CrawlSummary, PortalStats
from govreports.extract.toolcache import tool_cache_for
from govreports.fetch import Archive, Fetcher, FetchPolicy, Validators
from govreports.lifecycle import run_stoppable
from govreports.parse.bounded import BoundedParser
from govreports.portals.config import CrawlConfig, PortalConfig
from govreports.store.db import run_started_at
from govreports.store.documents import latest_document
from govreports.clock import now_iso

def policy_for(config: CrawlConfig, portals: list[PortalConfig], **overrides) -> FetchPolicy:
    settings = {**config.politeness.model_dump(), **config.safety.model_dump()}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    hosts = frozenset().union(*(p.hosts for p in portals)) if portals else frozenset()
    # a host two portals name is crawled despite its robots.txt's 5xx when one of them says so
    unreachable_ok = frozenset().union(*(p.hosts for p in portals if p.robots_unreachable == "allow"))
    return FetchPolicy(allowed_hosts=hosts, robots_unreachable_allow=unreachable_ok, **settings)


def validators_lookup(db: Database) -> Callable[[str], Validators | None]:
    def lookup(url: str) -> Validators | None:
        known = latest_document(db, url)
        if known is None:
            return None
        return Validators(known.etag, known.last_modified, known.sha256, known.encoding, known.final_url,
                          known.fetched_at)

    return lookup


async def crawl(config: CrawlConfig, db: Database, archive_root: str | Path, *, portal: str | None = None,
                year: int | None = None, progress: Progress | None = None, kind: str | None = "crawl",
                parse_workers: int | None = None, buffered: bool = False,
                parse_deadline: float | None = None, parse_memory_mb: int | None = None,
                recheck_day: int | None = None, run_id: int | None = None, **policy_overrides) -> CrawlSummary:
    """Crawl the selected portals. `kind=None` records no run row (a flow records one for all its tasks, and
    passes its `run_id`, which the crawl's failures are logged against);
    `buffered=True` writes nothing and returns the events in `summary.events` for `apply_summary`.
    Documents are parsed by `parse_workers` processes (default one per core; 0 parses in this process, without
    deadline or memory cap), each within `parse_deadline` seconds and `parse_memory_mb` per worker (default: the
    config's [limits]). Known reports are asked again on their day of [incremental] recheck_days' rotation
    (`recheck_day`: the day number it uses, default today in UTC; crawl.recheck)."""
    portals = config.select(portal)
    started, t0 = now_iso(), time.perf_counter()
    policy = policy_for(config, portals, **policy_overrides)
    archive = Archive(archive_root, batched=True)  # synced before each write of the rows that refer to its files
    own_run = begin_run(db, kind, started) if kind is not None and not buffered else None
    run_id = own_run if own_run is not None else run_id
    with unfinished_marked(db, own_run):  # stopped, cancelled or failed: the run's row says so
        pool = BoundedParser(parse_workers, deadline=parse_deadline or config.limits.parse_deadline,
                             memory_mb=parse_memory_mb or config.limits.parse_memory_mb,
                             tools=tool_cache_for(archive_root), nice=config.limits.parse_nice)
        sinks = [Sink(db, p.name, PortalStats(p.name), buffered=buffered, before_write=archive.sync,
                      run_id=run_id) for p in portals]
        try:
            async with Fetcher(policy, archive, validators_lookup=validators_lookup(db)) as fetcher:
                every, day = config.incremental.recheck_days, day_number() if recheck_day is None else recheck_day
                runs = [PortalCrawl(p, fetcher, s, year, progress, parser=pool,
                                    due=lambda url: is_due(url, every, day)) for p, s in zip(portals, sinks)]
                crawls = [asyncio.ensure_future(r.run()) for r in runs]
                try:
                    await asyncio.gather(*crawls)
                except BaseException:  # (StorageError: every portal writes to the same database) the others stop
                    await _cancel(crawls)
                    raise
                requests = fetcher.stats.as_dict()
        finally:
            pool.close()
            for sink in sinks:  # what was read is written, even when the crawl ends in an exception
                sink.flush()
            if buffered:  # the events are written elsewhere, after this returns: their files are durable by then
                archive.sync()
        summary = CrawlSummary([s.stats for s in sinks], requests=requests, seconds=time.perf_counter() - t0)
        if buffered:
            summary.events = {s.portal: s.events for s in sinks}
        elif kind is not None:
            summary.run_id = record_run(db, kind, started, summary, run_id=own_run, left_out=config.left_out(portal))
    return summary


def apply_summary(db: Database, summary: CrawlSummary, run_id: int | None = None) -> CrawlSummary:
    """Write a buffered crawl's events (the one-writer half of a distributed run), failures logged against
    `run_id`; fills in its load counts."""
    by_portal = {p.portal: p for p in summary.portals}
    if run_id is not None and summary.events:  # opened after the crawl: the file may have been replaced since
        run_started_at(db, run_id)
    for portal, events in (summary.events or {}).items():
        # a write transaction per batch, not per event
        apply_events(db, portal, events, by_portal[portal], run_id=run_id)
    summary.events = None
    return summary


def run_crawl(*args, **kwargs) -> CrawlSummary:
    """`crawl` in an event loop of its own; stopped (cancelled) with the flow run whose task called it."""
    return run_stoppable(crawl(*args, **kwargs))
