"""One portal's crawl: its listing through the adapter, then each report's page, later pages, attachments and data
file, fetched (conditionally) and parsed; what happened to each item is emitted to the portal's sink. The crawl
of many portals around these (one Fetcher, one parser pool, the run's row) is crawl.pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urldefrag, urlsplit

from govreports import schema
from govreports.clock import now_iso
from govreports.crawl.events import Doc, Failed, Listed, NotDue, NotReport, Read, Seen, Sink, fetch_failed
from govreports.crawl.known import KnownReports
from govreports.crawl.listcontext import ListContext
from govreports.crawl.stats import PortalStats
from govreports.errors import StorageError
from govreports.extract import limits, ocr
from govreports.extract.images import bundle, decoration, fitted, image_name, is_image
from govreports.fetch import Fetcher
from govreports.fetch import browser
from govreports.fetch.result import FetchResult
from govreports.fetch.policy import url_host_in, url_netloc
from govreports.parse import ParseError, parse_bytes
from govreports.parse.api import MissingToolError, ParseLimitError
from govreports.parse.bounded import BoundedParser
from govreports.portals.adapters import Adapter, Listing, adapter_for
from govreports.portals.adapters.datafile import DataFileError
from govreports.portals.config import PortalConfig
from govreports.portals.titles import is_report_title, title_year
from govreports.store.statuses import ItemStatus

Progress = Callable[[str, PortalStats], None]  # (event, stats): "listed", "done"
# the URL a report read from the pictures of its article is archived under: its page's, with this fragment
PICTURES = "#images"
MAX_PICTURES = 100  # pictures of one article fetched as its pages (OCR reads ocr.MAX_PAGES of them)


class PortalFetcher:
    """The crawl's one Fetcher as one portal sees it: every fetch, and every redirect it follows, stays on the
    portal's own hosts (the Fetcher allows the union of all portals' hosts; a hop into another portal's is refused)."""

    def __init__(self, fetcher: Fetcher, hosts: frozenset[str], mode: str = "http"):
        self._fetcher, self.hosts, self.mode = fetcher, hosts, mode

    async def fetch(self, url: str, **kwargs):
        if self.mode != "http":  # fetch = "browser" / "auto": a gate is passed in the host's headless browser
            return await browser.fetch(self._fetcher, url, self.hosts, self.mode, **kwargs)
        return await self._fetcher.fetch(url, hosts=self.hosts, **kwargs)

    async def keep(self, url: str, body: bytes, content_type: str) -> FetchResult:
        """A document the crawl made of fetched ones (a report's pictures as one zip: PortalCrawl._pictured),
        archived as a fetched body is and answered as a fetch, so that its record names it and a re-parse reads it
        from the archive, without the network."""
        sha256, _created = await self._fetcher.archive_body(body, url)
        return FetchResult(url, url, "GET", ok=True, body=body, sha256=sha256,
                           archive_path=self._fetcher.archive.relpath(sha256), content_type=content_type,
                           fetched_at=now_iso())

    async def unchanged_body(self, res, expect: str = "html"):
        """A 304 fetched without its body (``body_if_unchanged=False``), with it; fetched whole through this portal's
        fetch when the archive has lost the file."""
        return await self._fetcher.unchanged_body(
            res, expect, refetch=lambda: self.fetch(res.url, conditional=False, expect=expect))


class PortalCrawl(ListContext, KnownReports):
    """The context adapters fetch through (list pages: ListContext), and the per-item work for one portal."""

    def __init__(self, portal: PortalConfig, fetcher: Fetcher, sink: Sink, year: int | None = None,
                 progress: Progress | None = None, concurrency: int = 32, parser: BoundedParser | None = None,
                 due: Callable[[str], bool] | None = None):
        self.portal = portal
        self.due = due or (lambda url: True)  # whether a known report is asked this run (crawl.recheck)
        self.fetcher = PortalFetcher(fetcher, portal.hosts, portal.fetch)
        self.sink = sink
        self.year = year
        self.progress = progress
        self.stats = sink.stats
        self.adapter: Adapter = adapter_for(portal)
        self._slots = asyncio.Semaphore(concurrency)
        self._parser = parser
        self._listing: asyncio.Future | None = None  # the listing's task, while run() lists
        self._storage_failed: StorageError | None = None  # the first report that could not be stored

    async def _parse(self, data: bytes, name: str, hints: dict, http_charset: str | None = None) -> dict:
        """Parse off the event loop, in the crawl's bounded parser (worker processes with a deadline and a memory
        cap: PDFs cost ~0.3 s of CPU each, and a hostile one far more); in-process when there is none."""
        if self._parser is None:
            return parse_bytes(data, name, hints=hints, http_charset=http_charset)
        return await self._parser.parse_async(data, name, hints, http_charset)

    # --- the run -------------------------------------------------------------------------------------------------
    async def run(self) -> PortalStats:
        tasks: list[asyncio.Task] = []
        try:
            # the listing runs as a task of its own, so that a report that cannot be stored stops it (_item)
            self._listing = asyncio.ensure_future(self._discover(tasks))
            try:
                await self._listing
            except StorageError:  # a list page that could not be archived: the disk's failure, not the adapter's
                raise
            except asyncio.CancelledError:
                if self._storage_failed is not None:  # stopped by a report's: that is the run's error
                    raise self._storage_failed from None
                raise
            except Exception as exc:  # noqa: BLE001 - an adapter that chokes on a page ends this portal's listing
                self.stats.pages += 1  # one more list page, failed: after pages that answered the portal is
                self.stats.list_failed += 1  # partial, not "unreachable — no list page answered"
                self.sink.emit(Failed(self.portal.start_url, "list", "list",
                                      f"list: the {self.portal.adapter} adapter failed: {type(exc).__name__}: {exc}"))
            for task in asyncio.as_completed(tasks):
                await task
                if self.progress:
                    self.progress("done", self.stats)
        except BaseException:  # the database cannot be written, or the run is cancelled (while listing, too): the
            await _cancel(tasks)  # items already started stop here, and none is left running on its own
            raise
        finally:
            self.sink.flush()  # the portal's last batch: its counts are final when run() returns
        if self.progress and tasks:
            self.progress("done", self.stats)
        return self.stats

    async def _discover(self, tasks: list[asyncio.Task]) -> None:
        seen: set[str] = set()
        async for listing in self.adapter.discover(self):
            self.stats.listed += 1
            if listing.url in seen:
                continue
            seen.add(listing.url)
            titled = self.titled(listing)
            self.stats.report_titles += titled
            if not (titled and self.of_the_year(listing)):
                self.stats.skipped += 1
                continue
            self.stats.found += 1
            tasks.append(asyncio.create_task(self._item(listing)))
            if self.progress:
                self.progress("listed", self.stats)

    def wanted(self, listing: Listing) -> bool:
        """The title filter (the portal's include/exclude, else the annual-report test) and the year asked for."""
        return self.titled(listing) and self.of_the_year(listing)

    def titled(self, listing: Listing) -> bool:
        """Titled as an annual report (the portal's include/exclude, else the annual-report test), of any year:
        counted apart (`report_titles`), so that portal health tells a column with no report in it from one
        with none of the year asked."""
        return is_report_title(listing.title, self.portal.title_include, self.portal.title_exclude)

    def of_the_year(self, listing: Listing) -> bool:
        year = title_year(listing.title)
        return self.year is None or year is None or year == self.year

    async def _item(self, listing: Listing) -> None:
        listed = Listed(listing.url, listing.title, listing.list_date, title_year(listing.title))
        seen: list[Doc] = []  # the documents this item fetched: written once the item's outcome is emitted
        async with self._slots:
            try:
                await self._process(listed, seen)
            except StorageError as exc:  # not the item's fault: the database or the archive cannot be written, so
                if self._storage_failed is None:  # the run stops, now: a listing left to go on (its pages unchanged
                    self._storage_failed = exc  # since the last run need no write) would start and fetch every
                    if self._listing is not None:  # report it lists, to store none of them
                        self._listing.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - one bad item must not end the run; it is recorded
                self.sink.emit(Failed(listed.url, "internal", "internal",
                                      f"internal error: {type(exc).__name__}: {exc}", listing=listed))
            # after what was made of them, never before: a run stopped while it parsed a corrected report (SIGTERM,
            # or SIGKILL after a batch was written) had stored the new page's validators without its report, and
            # every later run got 304 and called the unread correction unchanged. A Read writes its own documents;
            # these rows give the next conditional GET its validators and reparse its files.
            for doc in seen:
                self.sink.emit(Seen(doc))

    async def _process(self, listing: Listed, seen: list[Doc]) -> None:
        if not url_host_in(self.portal.hosts, listing.url):
            self.sink.emit(Failed(listing.url, "host_not_allowed", "host_not_allowed",
                                  "host not allowed by the portal configuration", listing=listing))
            return
        item = self.sink.item(listing.url)
        known = item is not None and item.status in (ItemStatus.LOADED, ItemStatus.DUPLICATE) and item.report_id
        # a scan whose OCR stopped at a time bound (a night's load, a slow page) is read again each night, its
        # documents unchanged or not, until it is whole: its earlier pages come from the tool cache, so each
        # reading gets further. Called unchanged on its 304s, it had stayed at "1/2" pages until a reparse.
        if known and ocr.unfinished(item.ocr_pages):
            known = False
        repost = item is not None and item.status == ItemStatus.DUPLICATE  # not counted among the reports loaded
        if known and not self.due(listing.url):
            self.sink.emit(NotDue(listing, repost))
            return
        # a known report's page (and attachment) answering 304 is unchanged without its archived body being read
        page = await self.fetcher.fetch(listing.url, conditional=True, expect="html", body_if_unchanged=not known)
        fetched: dict = {}  # attachment URL -> its answer already in hand
        if not page.ok:
            self.sink.emit(fetch_failed(listing.url, page, listing))
            return
        seen.append(Doc.of(page))
        if known and self._unchanged(page):  # a 304, or the body stored answered whole (a server without validators)
            # a report read from its article's pictures: they are named by the page, each a file of its own (TRS's
            # W0….jpg), so the page unchanged is the report unchanged, unless a later page of its article changed
            if item.attachment_url is None or item.attachment_url.endswith(PICTURES):
                page = await self._later_changed(listing, page, seen, fetched, repost)
            else:
                page = await self._attachment_changed(listing, item.attachment_url, page, seen, fetched, repost)
            if page is None:  # unchanged (or failed): said
                return
        found = await self._read(listing, page, seen, fetched)
        if found is None:
            return
        record, source, attachment_url = found
        if self.year is not None and record.get("year") not in (None, self.year):
            self.stats.skipped += 1
            return
        self.sink.emit(Read(listing, record, Doc.of(source), Doc.of(page), attachment_url, self.portal.region))

    async def _later_pages(self, listing: Listed, page, seen: list[Doc], fetched: dict | None = None) -> list | None:
        """The report article's later pages (a TRS article split over t…_1.html, …), each archived; None when one
        could not be fetched: the item fails on that page and is read whole on a later run, never loaded as half
        a report (the first page alone had loaded tables 一–三 with 四 and sections 五–六 missing, quietly)."""
        pages = []
        for url in self.adapter.later_pages(page):
            if not url_host_in(self.portal.hosts, url):
                continue
            later = (fetched or {}).get(url) or await self.fetcher.fetch(url, conditional=True, expect="html",
                                                                         referer=page.final_url)
            later = await self.fetcher.unchanged_body(later)  # one asked by _later_changed, without its body
            if not later.ok:
                self.sink.emit(fetch_failed(url, later, listing))
                return None
            seen.append(Doc.of(later))
            pages.append(later)
        return pages

    async def _read(self, listing: Listed, page, seen: list[Doc], fetched: dict | None = None):
        """The record from the page, else from its attachments (a page without tables links the real report).

        A document past a parse limit (too_large, bomb, too_slow, out_of_memory, crashed) is recorded with that
        kind: a page against its item, saved as failed; an attachment against its URL, and against the item too
        when no other document of the page held the report. So is an attachment that could not be fetched. Its
        bytes stay in the archive (fetched before).
        `seen`: the attachments fetched are added to it (written by _item after the outcome). `fetched`: answers
        already in hand for some of its attachments (an unchanged page's attachment, changed or failed), read
        instead of asking for them again."""
        # the list entry's date is the record's publication date when the page itself gives none (parse.published
        # ranks it below the page's metadata and labels, above the report's own closing date)
        hints = {"title": listing.title, "published": listing.list_date}
        record, error = None, None
        later = await self._later_pages(listing, page, seen, fetched)
        if later is None:
            return None
        body, encoding = self.adapter.document(page, later)
        try:
            record = await self._parse(body or b"", listing.url, hints, encoding)
        except (ParseLimitError, MissingToolError) as exc:
            self.sink.emit(_limit_failed(listing.url, exc, listing))
            return None
        except ParseError as exc:
            error = str(exc)
        if record is not None and _has_tables(record):
            return record, page, None
        # attachments that could not be fetched, or past a limit: emitted once we know whether the item failed
        limited: list[Failed] = []
        # files on hosts the config does not name: the item's failure when nothing else held its report (it was
        # "not a report", the host never named); beside a report read, nothing (a form template on www.gov.cn)
        off_host: list[Failed] = []
        for url in self.adapter.attachments(page):
            if not url_host_in(self.portal.hosts, url):
                off_host.append(Failed(url, "host_not_allowed", "host_not_allowed",
                                       f"host_not_allowed: {url_netloc(url)} is not among the portal's hosts; "
                                       "add it to attachment_hosts in the portal's config to read this file"))
                continue
            attachment = (fetched or {}).get(url) or await self.fetcher.fetch(url, conditional=True, expect="binary",
                                                                           referer=page.final_url)
            if not attachment.ok:
                limited.append(fetch_failed(url, attachment))
                continue
            seen.append(Doc.of(attachment))  # its bytes are archived: say where, whatever the parse says
            try:
                found = await self._parse(attachment.body or b"", url, hints)
            except (ParseLimitError, MissingToolError) as exc:
                limited.append(_limit_failed(url, exc))
                continue
            except ParseError as exc:
                self.sink.emit(Failed(url, "parse_error", "parse", str(exc)))
                continue
            if record is None or _has_tables(found) or found.get("format") != "unknown":
                _emit_all(self.sink, limited)
                return found, attachment, url
        # the data file only for a page that held no report of its own: a pre-2019 report in prose beside its own
        # js/detail.js had failed as data_file, its report lost. Its failure is the item's only when no attachment
        # failed: a PDF whose host was down had failed the item as data_file (a parse kind: a false
        # parse_failures_jump), not for the PDF
        if record is None or record.get("format") == "unknown":
            scripted = await self._data_document(listing, page, later, seen, fetched or {}, hints, failed=not limited)
            if scripted is None:  # nor in a data file: in the pictures the article shows (a 图片版 report)?
                scripted = await self._pictured(listing, page, later, seen, fetched or {}, hints, off_host,
                                                failed=not limited)
            if scripted:  # read from the data file, or the pictures
                _emit_all(self.sink, limited)
                return scripted
            if scripted is False and not limited:  # failed on it (recorded there)
                return None
        if record is not None:
            _emit_all(self.sink, limited)
            return record, page, None
        if limited := limited + off_host:  # the report was in an attachment not fetched, or refused: the item
            # failed for that reason (it was also called a `parse` failure, "no annual report found", and a file
            # host down one night raised a false parse_failures_jump)
            _emit_all(self.sink, limited[:-1] + [replace(limited[-1], listing=listing)])
            return None
        self.sink.emit(NotReport(listing, error))
        return None

    async def _data_document(self, listing: Listed, page, later: list, seen: list[Doc], fetched: dict, hints: dict,
                             failed: bool = True):
        """The report from the JavaScript data file the page's script writes its body from (adapters.datafile), asked
        only when neither the page nor an attachment held a report: (record, the data file, its URL); None when the
        page names none or it holds no report; False when it failed, recorded against the data file and the item
        unless not `failed` (the item fails for an attachment that did not answer): not fetched, no data file (an
        HTML page), cut short, past a parse limit. Never half a report, and no longer "not a report" for a page
        whose report is in its data file (the page alone was)."""
        url = self.adapter.data_file(page)
        if url is None or not url_host_in(self.portal.hosts, url):
            return None
        data = await self._named_file(url, page, listing, seen, fetched, failed)
        if data is None:
            return False
        try:
            body, encoding = self.adapter.document(page, later, data)
            record = await self._parse(body or b"", listing.url, hints, encoding)
        except DataFileError as exc:
            if failed:
                self.sink.emit(Failed(url, "data_file", "data_file", f"data_file: {exc}", listing=listing))
            return False
        except (ParseLimitError, MissingToolError) as exc:
            if failed:
                self.sink.emit(_limit_failed(url, exc, listing))
            return False
        except ParseError:
            return None
        return record, data, url

    async def _named_file(self, url: str, page, listing: Listed, seen: list[Doc], fetched: dict, failed: bool):
        """A file the report page names for its body (its data file, a picture of it): the answer in hand, else
        fetched (conditionally, as bytes); None when it could not be had, recorded against it, and against the item
        unless not `failed`. Its bytes are archived (a re-parse reads them without the network): `seen` says where."""
        got = fetched.get(url) or await self.fetcher.fetch(url, conditional=True, expect="binary",
                                                           referer=page.final_url)
        if not got.ok:
            if failed:
                self.sink.emit(fetch_failed(url, got, listing))
            return None
        seen.append(Doc.of(got))
        return got

    async def _pictured(self, listing: Listed, page, later: list, seen: list[Doc], fetched: dict, hints: dict,
                        off_host: list[Failed], failed: bool = True):
        """The report from the pictures its article shows (a 图片版 report, each page a picture:
        adapters.base.find_images; on each of its pages, `later` those after the first), asked only when neither
        the page, a file it links nor a data file held a report: (record, the pictures as one zip, archived
        under the page's URL + PICTURES, and that URL). None when the page shows no picture on its hosts, or OCR
        found no report in them; False when a picture could not be fetched or read, or the reading passed a
        limit, recorded against it, and against the item unless not `failed`: never a report read from some of
        its pages unsaid (OCR reads ocr.MAX_PAGES of them; `ocr_pages` says of how many). A picture named as one
        (….jpg) answered with something else (a 404 page served as 200) could not be fetched; one named
        otherwise (a counter's script) is no page. Pictures on hosts the config does not name are added to
        `off_host` (the item's failure when nothing held its report, as such attachments are) when none is on
        its hosts (an image server's address: named, not "not a report"); beside some on its hosts, they fail it,
        unless they are the site's decoration (images.decoration: a logo, a banner above or below the pages, passed
        over). A lone one drawn to fit the column (100 % wide: images.fitted), as pages and an editor's every
        picture are, is passed over only where the pages on its hosts make the report (its tables read); else it
        fails the item as host_not_allowed, named: it may be one of its pages."""
        found = [self.adapter.images(shows) for shows in [page, *later]]
        shown = list(dict.fromkeys(url for urls in found for url in urls))
        drawn = {url: size for urls in reversed(found) for url, size in getattr(urls, "drawn", {}).items()}
        # every picture fetched (to MAX_PICTURES): OCR reads ocr.MAX_PAGES of them and says how many of how many
        urls = [url for url in shown if url_host_in(self.portal.hosts, url)][:MAX_PICTURES]
        # beside pictures on its hosts, only one named as a picture (….jpg) is a page: a counter's is not
        off = [url for url in shown if not url_host_in(self.portal.hosts, url)
               and (not urls or image_name(urlsplit(url).path))]
        doubted = []  # passed over, drawn as wide as a page: the report must be read from the pages without it
        if urls and decoration(shown, urls, off, drawn):  # a CDN's logo, banner above or below the pages: no page
            off, doubted = [], fitted(off, drawn)
        if off:
            refused = _off_host_pictures(off[0])
            if not urls:
                off_host.append(refused)
            else:  # some of its pages there: never the report read from the others
                if failed:
                    self.sink.emit(replace(refused, listing=listing))
                return False
        pictures, size, cap = [], 0, limits.DEFAULT_LIMITS.images_bytes
        for number, url in enumerate(urls, 1):
            got = await self._named_file(url, page, listing, seen, fetched, failed)
            if got is None:
                return False
            if is_image((got.body or b"")[:16]):
                pictures.append(got.body)
                size += len(got.body)
                if size > cap:  # each within the body cap; together, the bundle's: told before
                    if failed:  # the rest are fetched and held
                        self.sink.emit(Failed(url, "too_large", "too_large", f"too_large: the article's pictures pass "
                                              f"{cap / limits.MB:.0f} MB together at this one, {number} of its "
                                              f"{len(urls)}", listing=listing))
                    return False
            elif image_name(urlsplit(url).path):  # a page's picture answered with a page: missing (a soft 404)
                if failed:
                    self.sink.emit(Failed(url, got.status, "http", f"http: the picture {url} answered with "
                                          f"{got.content_type or 'something else'}, not a picture (a missing file "
                                          "served as a page?)", listing=listing))
                return False
        if not pictures:
            return None
        kept = await self.fetcher.keep(urldefrag(page.url).url + PICTURES, bundle(pictures), "application/zip")
        try:
            record = await self._parse(kept.body, listing.url, hints)
        except (ParseLimitError, MissingToolError) as exc:
            if failed:
                self.sink.emit(_limit_failed(kept.url, exc, listing))
            return False
        except ParseError as exc:  # pictures that cannot be read (cut short): named, not "no report" unsaid
            if failed:
                self.sink.emit(Failed(kept.url, "parse_error", "parse", str(exc), listing=listing))
            return False
        if doubted and not _has_tables(record):  # no report without it: it may be one of its pages, named
            if failed:
                self.sink.emit(replace(_off_host_pictures(doubted[0], "without it the pages on the portal's hosts "
                                                                      "make no report; "), listing=listing))
            return False
        return record, kept, kept.url


def _limit_failed(url: str, exc: ParseLimitError | MissingToolError, listing: Listed | None = None) -> Failed:
    """A document past a limit, or whose reader is not installed (`missing_tool`): failed with its own kind, not
    as `parse` (a damaged file)."""
    return Failed(url, exc.kind, exc.kind, exc.line, listing=listing)


def _emit_all(sink: Sink, events: list[Failed]) -> None:
    for event in events:
        sink.emit(event)


def _off_host_pictures(url: str, why: str = "") -> Failed:
    return Failed(url, "host_not_allowed", "host_not_allowed",
                  f"host_not_allowed: the report's pictures are on {url_netloc(url)}, not among the portal's hosts; "
                  f"{why}add it to attachment_hosts in the portal's config to read them")


def _has_tables(record: dict) -> bool:
    return record.get("format") in schema.TABLE_FORMATS and any(
        record.get(t) for t in ("active", "applications", "review_litigation"))


async def _cancel(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks not done and wait until they have ended, so none runs on (or logs at shutdown) after the
    crawl has stopped."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
