"""What a crawl writes, as plain events, and the one function that applies them to the database.

The crawl never writes directly: it emits events into a sink. The direct sink applies each at once (one process);
the buffered sink keeps them so that work done elsewhere (a Dask worker, another machine) is written by the one
process that owns the database — SQLite has one writer, and `apply` is the only code that writes a crawl's
results, whichever way the crawl ran. Events carry no bodies (those are in the content-addressed archive).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite_utils import Database

from govreports import PARSER_VERSION
from govreports.crawl.stats import PortalStats
from govreports.errors import StorageError
from govreports.store.db import (cannot_write, could_not_write, database_file, run_started_at, still_the_same_file,
                                 write_transaction)
from govreports.store.documents import Item, document_row, get_item, latest_document, record_document, save_item
from govreports.store.index_repair import with_search_indexes_mended
from govreports.store.load import LOAD_BATCH, LoadResult, Prepared, batch_loader, load_record, prepare
from govreports.store.same_report import repost_of
from govreports.store.logs import log_fetch, noted_against
from govreports.store.statuses import ItemStatus, LoadStatus


@dataclass(frozen=True)
class Doc:
    """The facts of one successful response (FetchResult without its body)."""

    url: str
    final_url: str
    ok: bool
    not_modified: bool
    status: int | None
    sha256: str | None
    archive_path: str | None
    etag: str | None
    last_modified: str | None
    headers: dict
    content_type: str | None
    encoding: str | None
    fetched_at: str
    refreshed: bool = False  # fetched whole, its copy older than refetch_after_days (FetchResult.refreshed)

    @classmethod
    def of(cls, result) -> "Doc":
        return cls(result.url, result.final_url, result.ok, result.not_modified, result.status, result.sha256,
                   result.archive_path, result.etag, result.last_modified, dict(result.headers or {}),
                   result.content_type, result.encoding, result.fetched_at, result.refreshed)


@dataclass(frozen=True)
class Listed:
    url: str
    title: str
    list_date: str | None
    year: int | None


@dataclass(frozen=True)
class Failed:
    """A request that did not succeed, recorded against its URL; `listing` when it was the report page."""

    url: str
    status: int | str | None
    kind: str
    error: str
    listing: Listed | None = None
    item_status: ItemStatus = ItemStatus.FAILED


def fetch_failed(url: str, result, listing: Listed | None = None) -> Failed:
    """A fetch that did not succeed (a FetchResult), as its failure: a gate's `blocked`, else failed."""
    kind = result.error_kind or "http"
    return Failed(url, result.status if result.status is not None else kind, kind,
                  f"{kind}: {result.error or ''}".strip(), listing=listing,
                  item_status=ItemStatus.BLOCKED if kind == "blocked" else ItemStatus.FAILED)


GONE_KIND = "gone"  # fetch_log.kind of a known article's later page gone that its first page no longer names


@dataclass(frozen=True)
class Noted:
    """Something odd a list page said, which the crawl worked around (a count below the items read): logged against
    its URL and the run (the `issues` view), not counted as a failure. `against`: a page whose stored copy the note
    holds for (fetch_log.document_id, its latest document when written): a known article's later page gone that
    its first page, as stored, no longer names (`status` its answer), not asked again while that copy stands."""

    url: str
    kind: str
    error: str
    status: int | str = "list"
    against: str | None = None


@dataclass(frozen=True)
class Seen:
    """A document fetched (stored once per new body)."""

    doc: Doc


@dataclass(frozen=True)
class Unchanged:
    listing: Listed
    repost: bool = False  # the item is a re-post of a report loaded from another page (a `duplicate` item)


@dataclass(frozen=True)
class NotDue:
    """A known report not asked this run ([incremental] recheck_days: its turn comes on another day)."""

    listing: Listed
    repost: bool = False  # as Unchanged's


@dataclass(frozen=True)
class NotReport:
    listing: Listed
    error: str | None


@dataclass(frozen=True)
class Read:
    """A report read from `source` (the page, or its attachment at `attachment_url`)."""

    listing: Listed
    record: dict
    source: Doc
    page: Doc
    attachment_url: str | None
    region: str | None = None  # the portal's configured region, for the report's agency


@dataclass
class Sink:
    """Where a crawl's events go. `buffered=True`: kept in `events` (written elsewhere, by apply_events).
    `buffered=False`: written to `db` by this process, in batches — one write transaction per `batch` events or
    per `max_age` seconds, whichever comes first (a transaction per event cost the crawl two commits and a dozen
    statements per report); `flush()` writes what is pending, and the crawl calls it when a portal ends, however
    it ends. An event waits at most `max_age` seconds for its batch while events keep coming. `before_write`: called
    before each write (the crawl's archive sync: the files the events refer to are durable before the rows are).
    `run_id`: the run in `runs` its failures are logged against."""

    db: Database | None
    portal: str
    stats: PortalStats
    buffered: bool = False
    events: list = field(default_factory=list)
    batch: int = LOAD_BATCH
    max_age: float = 1.0
    before_write: Callable[[], None] | None = None
    run_id: int | None = None
    _pending: list = field(default_factory=list, repr=False)
    _since: float | None = field(default=None, repr=False)
    _gone: set[tuple[str, int]] | None = field(default=None, repr=False)

    def emit(self, event) -> None:
        if self.buffered:
            self.events.append(event)
            return
        self._pending.append(event)
        now = time.monotonic()
        if self._since is None:
            self._since = now
            self._flush_later()
        if len(self._pending) >= self.batch or now - self._since >= self.max_age:
            self.flush()

    def flush(self) -> None:
        """Write the pending events (direct sinks); a buffered sink keeps its events for apply_events. Events a
        failed write did not store stay pending (the next flush tries them again) and the error is raised: a
        database that cannot be written (a full disk) as StorageError, which names it and what is not stored."""
        if self._pending and self.db is not None:
            still_the_same_file(self.db)
            if self.run_id is not None:  # this connection may have opened after the file was replaced
                run_started_at(self.db, self.run_id)
        if self._pending and self.before_write is not None:
            try:
                self.before_write()
            except OSError as exc:
                raise StorageError(f"could not make the fetched files durable before writing the database "
                                   f"{database_file(self.db)}: {exc}; {self.portal}: {len(self._pending)} crawl "
                                   "events not stored (their reports are fetched again by the next run); the run "
                                   "stops here") from exc
        while self._pending:  # a batch a transaction: one that fails stored none of its events, and they stay
            chunk = self._pending[: self.batch]
            try:
                apply_events(self.db, self.portal, chunk, self.stats, batch=self.batch, run_id=self.run_id)
            except (OSError, sqlite3.Error) as exc:
                if not cannot_write(exc):
                    raise  # another writer (the CLI says so: exit 75), or a statement's own error
                raise StorageError(f"{could_not_write(exc, self.db)}; {self.portal}: {len(self._pending)} crawl "
                                   "events not stored (their reports are fetched again by the next run); the run "
                                   "stops here") from exc
            del self._pending[: len(chunk)]
        self._since = None

    def _flush_later(self) -> None:
        """Inside a crawl, the first pending event also asks the event loop to flush after `max_age`: a portal
        that goes quiet (a long Retry-After) must not sit on what it has read."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(self.max_age, self._flush_if_due)

    def _flush_if_due(self) -> None:
        if self._since is not None and time.monotonic() - self._since >= self.max_age * 0.99:
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - kept pending: the next emit or the portal's end raises it
                pass

    def item(self, url: str) -> Item | None:
        return get_item(self.db, self.portal, url) if self.db is not None else None

    def archived(self, url: str) -> str | None:
        """The hash of the body last stored for `url` (the copy its next conditional GET is validated against)."""
        known = latest_document(self.db, url) if self.db is not None else None
        return known.sha256 if known else None

    def gone(self, url: str, page: str) -> bool:
        """Whether `url`, a later page of `page`'s article, was noted gone (GONE_KIND) against `page`'s stored copy,
        the one stored now: not named by it, and answering 404 or 410. The notes are read once a portal."""
        known = latest_document(self.db, page) if self.db is not None else None
        if known is None:
            return False
        if self._gone is None:
            self._gone = noted_against(self.db, GONE_KIND)
        return (url, known.id) in self._gone


def apply(db: Database, portal: str, event, stats: PortalStats, run_id: int | None = None) -> None:
    """Write one event and count it in `stats` once it is written."""
    if isinstance(event, Read):
        _read(db, portal, event, stats)
        return
    _write(db, portal, event, run_id)
    count(event, stats)


def _write(db: Database, portal: str, event, run_id: int | None = None) -> None:
    """What an event other than a read writes (a read: _read_locked); failures are logged against `run_id`."""
    if isinstance(event, Seen):
        record_document(db, event.doc, portal)
    elif isinstance(event, Failed):
        log_fetch(db, event.url, event.status, event.error, kind=event.kind, portal=portal, run_id=run_id)
        if event.listing is not None:
            keep = get_item(db, portal, event.listing.url) if event.item_status != ItemStatus.NOT_REPORT else None
            _save(db, portal, event.listing, event.item_status, error=event.error, **_links(keep))
    elif isinstance(event, NotReport):
        log_fetch(db, event.listing.url, "parse_error", event.error, kind="parse", portal=portal, run_id=run_id)
        keep = get_item(db, portal, event.listing.url)
        if keep is not None and keep.report_id is not None:
            # a page that held a report holds none now (an empty answer, a challenge, maintenance): a failure of
            # this fetch, tried again next run, its report still linked; it was made `not_report`, unlinked
            _save(db, portal, event.listing, ItemStatus.FAILED, error=event.error, **_links(keep))
        else:
            _save(db, portal, event.listing, ItemStatus.NOT_REPORT, error=event.error)
    elif isinstance(event, Noted):
        copy = latest_document(db, event.against) if event.against else None
        log_fetch(db, event.url, event.status, event.error, kind=event.kind, portal=portal, run_id=run_id,
                  document_id=copy.id if copy else None)
    elif not isinstance(event, (Unchanged, NotDue)):  # pragma: no cover - a programming error
        raise TypeError(f"unknown crawl event {event!r}")


def _links(item) -> dict:
    """What a failed fetch keeps of the item it failed for: its report, document and attachment."""
    if item is None:
        return {}
    return {"report_id": item.report_id, "document_id": item.document_id, "attachment_url": item.attachment_url}


def count(event, stats: PortalStats) -> None:
    """What an event other than a read adds to the run's figures (a read counts its load status)."""
    if isinstance(event, Failed):
        if event.kind == "blocked":
            stats.blocked += 1
        else:
            stats.failed[event.kind] += 1
    elif isinstance(event, Unchanged):
        stats.unchanged += 1
        stats.known_reposts += event.repost
    elif isinstance(event, NotDue):
        stats.not_due += 1
        stats.known_reposts += event.repost
    elif isinstance(event, NotReport):
        stats.failed["parse"] += 1


def apply_events(db: Database, portal: str, events, stats: PortalStats, *, batch: int = LOAD_BATCH,
                 run_id: int | None = None) -> None:
    """Apply a buffered crawl's events in order, as `apply` would one by one, in one write transaction per `batch`
    events: each report read is prepared (hash, agency key, child rows) before the lock is taken, and the reports
    of a transaction have their cells, sections and checks written together (store.load.batch_loader). Every
    event is counted in `stats` once its transaction has committed: a batch whose write failed stored nothing,
    and is written and counted once when it is applied again (Sink.flush keeps it pending)."""
    events = list(events)
    for start in range(0, len(events), batch):
        chunk = events[start:start + batch]
        prepared = {i: _prepare(event) for i, event in enumerate(chunk) if isinstance(event, Read)}
        loaded = with_search_indexes_mended(db, lambda: _write_chunk(db, portal, chunk, prepared, run_id))
        for status in loaded:
            stats.count_load(status)
        for i, event in enumerate(chunk):
            if i not in prepared:
                count(event, stats)


def _write_chunk(db: Database, portal: str, chunk: list, prepared: dict[int, Prepared],
                 run_id: int | None) -> list[LoadStatus]:
    """One batch of events in one write transaction; what each of its reads loaded."""
    loaded: list[LoadStatus] = []
    # the documents the batch's reads recorded, by URL: an item's Seen events follow its Read (crawl.portal._item),
    # and the Read's page and source, recorded again, were only looked up to be found stored. Until another answer
    # for the URL is written in between: then a Seen is written as it comes, as before
    recorded: dict[str, Doc] = {}
    with batch_loader(db) as load:
        for i, event in enumerate(chunk):
            if i in prepared:
                loaded.append(_read_locked(db, portal, event, lambda p=prepared[i]: load(p, True)))
                recorded.update({event.page.url: event.page, event.source.url: event.source})
                continue
            if isinstance(event, Seen):
                if recorded.get(event.doc.url) == event.doc:
                    continue
                recorded.pop(event.doc.url, None)
            _write(db, portal, event, run_id)
    return loaded


def _prepare(event: Read) -> Prepared:
    return prepare(event.record, {**document_row(event.source), "region": event.region},
                   parser_version=PARSER_VERSION, source_key=event.listing.url)


def _read(db: Database, portal: str, event: Read, stats: PortalStats) -> None:
    """Decide duplicate-or-load and write it in one write transaction: two portals crawled at once (each with its
    own connection) can read the same re-posted report, and a duplicate check outside the lock lets both load it."""
    with write_transaction(db):
        status = _read_locked(db, portal, event)
    stats.count_load(status)


def _read_locked(db: Database, portal: str, event: Read, load=None) -> LoadStatus:
    """Documents, report and item of one read, in the caller's write transaction; `load()` loads the record
    when the caller has prepared it (apply_events), else `load_record` does."""
    page_id = record_document(db, event.page, portal)
    doc_id = record_document(db, event.source, portal) if event.attachment_url else page_id
    item = get_item(db, portal, event.listing.url)
    if item is not None and item.report_id is not None and (
            repost := repost_of(db, item.report_id, event.listing.url, event.record)) is not None:
        loaded = LoadResult(*repost, LoadStatus.DUPLICATE, 0)  # a re-post edited on its own page: still a re-post
    elif load is not None:
        loaded = load()
    else:
        document = {**document_row(event.source, portal), "region": event.region}
        loaded = load_record(db, event.record, document, parser_version=PARSER_VERSION,
                             source_key=event.listing.url, dedupe=True)
    item_status = ItemStatus.DUPLICATE if loaded.status == LoadStatus.DUPLICATE else ItemStatus.LOADED
    _save(db, portal, event.listing, item_status, report_id=loaded.report_id, document_id=doc_id,
          attachment_url=event.attachment_url)
    return loaded.status


def _save(db: Database, portal: str, listing: Listed, status: ItemStatus, **facts) -> None:
    save_item(db, portal, listing.url, list_title=listing.title, list_date=listing.list_date, year=listing.year,
              status=status, **facts)
