"""What a crawl would fetch, without fetching it: a portal's listings, read from its list pages only.

`crawl --dry-run` and `discover` show this before anything is loaded, so a new config can be checked against the
site: each listing with its year, whether it is new, already known to the database, or excluded by the title
filter, and whether the list links the report file itself. With `[incremental] recheck_days` over 1, a known
report also says whether this run would ask it again or in how many days (crawl.recheck). Nothing is written —
list pages are archived in a temporary directory that is removed afterwards, and the database is opened read-only
(or not at all).

The listing goes through the crawl's own context (`PortalCrawl`) with a buffered sink, so the adapter, the
politeness, the host rules and the title filter are exactly the crawl's; only the per-item work is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from govreports.crawl.events import Failed, Sink
from govreports.crawl.recheck import day_number, days_until_due
from govreports.crawl.stats import PortalStats
from govreports.errors import StorageError
from govreports.fetch.policy import url_host_in, url_netloc
from govreports.portals.config import CrawlConfig, PortalConfig
from govreports.portals.titles import title_year
from govreports.store.statuses import ItemStatus

_FILE_TYPES = ("pdf", "docx", "doc", "wps", "ofd", "xlsx", "xls")


class Status:
    NEW = "new"  # the crawl would fetch it and load what it reads
    KNOWN = "known"  # the database has it (loaded, a duplicate, or failed before: see `stored`)
    EXCLUDED = "excluded"  # the title filter (or the year asked for) leaves it out
    OFF_HOST = "off-host"  # on a host the portal's config does not name: the crawl would fail it host_not_allowed


@dataclass(frozen=True)
class PreviewItem:
    title: str
    url: str
    list_date: str | None
    year: int | None
    attachment: str | None  # "pdf", "docx"… when the list links the report file itself
    status: str
    stored: str | None = None  # the database's item status for a known listing (loaded, duplicate, failed…)
    next_check: int | None = None  # a known report under recheck_days > 1: days until it is asked (0: this run)


@dataclass
class Preview:
    portal: str
    items: list[PreviewItem] = field(default_factory=list)
    pages: int = 0  # list pages requested
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (url, kind, message)
    truncated: bool = False  # stopped at `limit` listings
    year: int | None = None  # the year asked for: listings of other years are excluded too

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def rotating(self) -> bool:
        """Whether some known report is asked on its day of the recheck rotation rather than every run."""
        return any(item.next_check is not None for item in self.items)

    @property
    def reached(self) -> bool:
        """False when no list page answered: the portal could not be read at all."""
        return not self.pages or len(self.failures) < self.pages or bool(self.items)

    def row(self) -> dict:
        """A summary row as `runs.verdict.judge` reads it."""
        failures: dict[str, int] = {}
        for _, kind, _ in self.failures:
            failures[kind] = failures.get(kind, 0) + 1
        return {"portal": self.portal, "outcome": "ok" if self.reached else "unreachable", "failures": failures}


def file_type(url: str) -> str | None:
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return ext if ext in _FILE_TYPES else None


async def preview(config: CrawlConfig, portal: PortalConfig, *, limit: int | None = None, db=None,
                  year: int | None = None, fetcher=None, recheck_day: int | None = None) -> Preview:
    """List `portal`'s listings (the first `limit`) as the crawl would see them. `db`: a sqlite_utils Database or
    sqlite3 connection to tell known listings from new ones (read only); `fetcher`: a Fetcher to share;
    `recheck_day`: the day of the recheck rotation (default today, as the crawl's)."""
    from govreports.crawl.portal import PortalCrawl

    if fetcher is None:
        return (await preview_all(config, [portal], limit=limit, db=db, year=year, recheck_day=recheck_day))[0]
    result = Preview(portal.name, year=year)
    known = _known_lookup(db, portal.name)
    every = config.incremental.recheck_days
    day = day_number() if recheck_day is None else recheck_day
    sink = Sink(None, portal.name, PortalStats(portal.name), buffered=True)
    crawl = PortalCrawl(portal, fetcher, sink, year)
    seen: set[str] = set()
    try:
        async with contextlib.aclosing(crawl.adapter.discover(crawl)) as listings:
            async for listing in listings:
                if listing.url in seen:
                    continue
                seen.add(listing.url)
                stored, report_id = known(listing.url)
                status = (Status.EXCLUDED if not crawl.wanted(listing)
                          else Status.OFF_HOST if not url_host_in(portal.hosts, listing.url)  # shown "new" before
                          else Status.KNOWN if stored is not None else Status.NEW)
                # the crawl's own test (PortalCrawl._process): a loaded or duplicate report waits for its day
                rotating = (every > 1 and status == Status.KNOWN and report_id is not None
                            and stored in (ItemStatus.LOADED, ItemStatus.DUPLICATE))
                result.items.append(PreviewItem(listing.title, listing.url, listing.list_date,
                                                title_year(listing.title), file_type(listing.url), status, stored,
                                                days_until_due(listing.url, every, day) if rotating else None))
                if limit is not None and len(result.items) >= limit:
                    result.truncated = True
                    break
    except StorageError:  # the scratch archive's disk is full, as the crawl stops on it
        raise
    except Exception as exc:  # noqa: BLE001 - the crawl records an adapter that chokes the same way
        result.failures.append((portal.start_url, "list",
                                f"the {portal.adapter} adapter failed: {type(exc).__name__}: {exc}"))
    result.pages = sink.stats.pages
    result.failures[:0] = [(e.url, e.kind, e.error) for e in sink.events if isinstance(e, Failed)]
    return result


def run_preview(config: CrawlConfig, portal: PortalConfig, **kwargs) -> Preview:
    return asyncio.run(preview(config, portal, **kwargs))


async def preview_all(config: CrawlConfig, portals: list[PortalConfig], **kwargs) -> list[Preview]:
    """Several portals at once through one Fetcher (each still held to its own hosts), as the crawl runs them."""
    from govreports.crawl.pipeline import policy_for
    from govreports.fetch import Archive, Fetcher

    with tempfile.TemporaryDirectory(prefix="govreports-preview-") as scratch:
        async with Fetcher(policy_for(config, portals), Archive(scratch, batched=True)) as fetcher:  # never synced
            return list(await asyncio.gather(*(preview(config, p, fetcher=fetcher, **kwargs) for p in portals)))


def _known_lookup(db, portal: str) -> Callable[[str], tuple[str | None, int | None]]:
    """The database's (item status, report id) of a listed URL; (None, None) when it does not know it."""
    if db is None:
        return lambda url: (None, None)
    import sqlite3

    def lookup(url: str) -> tuple[str | None, int | None]:
        try:
            row = db.execute("SELECT status, report_id FROM items WHERE portal = ? AND url = ?",
                             [portal, url]).fetchone()
        except sqlite3.Error:  # a database from before the items table: nothing is known
            return None, None
        return (row[0], row[1]) if row else (None, None)

    return lookup


def console():
    """A rich console; piped or redirected output gets wide lines rather than titles and URLs folded at 80."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=220)


def print_preview(result: Preview, console, *, title: str | None = None) -> None:
    """A table of the listings, then one line of counts and one per failure."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title or f"{result.portal}: what a crawl would fetch", title_justify="left")
    for name in ("status", "year", "date", "title", "URL", "file"):
        table.add_column(name, overflow="fold", no_wrap=name in ("status", "year", "date", "file"))
    styles = {Status.NEW: "green", Status.KNOWN: "dim", Status.EXCLUDED: "yellow", Status.OFF_HOST: "red"}
    for item in result.items:
        status = f"{item.status} ({item.stored})" if item.stored and item.status == Status.KNOWN else item.status
        if item.next_check is not None:
            status += (", asked this run" if item.next_check == 0
                       else f", asked in {item.next_check} day{'s' if item.next_check > 1 else ''}")
        table.add_row(f"[{styles[item.status]}]{status}[/]", str(item.year or "—"), item.list_date or "—",
                      escape(item.title), escape(item.url), item.attachment or "page")
    console.print(table)
    more = f" (stopped at {len(result.items)})" if result.truncated else ""
    asked = sum(1 for item in result.items if item.status == Status.KNOWN and not item.next_check)  # None or 0
    rotation = f" ({asked} asked this run, the rest on their day of recheck_days)" if result.rotating else ""
    console.print(f"{result.portal}: {len(result.items)} listing(s){more} on {result.pages} list page(s): "
                  f"{result.count(Status.NEW)} new, {result.count(Status.KNOWN)} known{rotation}, "
                  f"{result.count(Status.EXCLUDED)} excluded by the title filter"
                  f"{f' or as not of {result.year}' if result.year is not None else ''}", highlight=False)
    if off := sorted({url_netloc(item.url) for item in result.items if item.status == Status.OFF_HOST}):
        console.print(f"[red]{result.count(Status.OFF_HOST)} listing(s) on host(s) the config does not name[/]: "
                      f"{', '.join(off)}; the crawl would fail them as host_not_allowed (add them to allowed_hosts)",
                      highlight=False)
    for url, kind, message in result.failures:
        console.print(f"[red]failed[/] {escape(url)}: {escape(message or kind)}", highlight=False)
