"""Re-parse archived documents with the current parser — no network — and load what changed.

Every loaded item points at the document its record was read from (page or attachment); the page goes through its
portal adapter's `report_body` again (gkmlpt keeps the report inside a script), so a re-parse reads exactly what the
crawl read; a report read from the JavaScript data file its page's script loads is read from the archived page and
data file together, as the crawl read it. A record that differs from the stored one becomes a new version; the rest
are unchanged. Documents are parsed under the crawl's limits (parse.bounded: worker processes, a deadline, a memory
cap), so an archived document that would hang or exhaust the parser fails alone, logged with its limit's kind. The
workers, one a core, parse the next documents while this process reads the archive and loads the records before
them, 200 a transaction (BoundedParser.parse_many, store.load.load_records). A re-parse stopped midway has loaded
every batch before the one in hand, and its `runs` row keeps their figures (noted after each batch, and as it
stops: flows.reparse); running it again loads the rest (a record loaded twice is unchanged).

Every archived body is read with its hash checked (the archive is content-addressed): one cut short or overwritten
is `missing`, as one gone is, and so is a report whose other archived part is (a later page of its article, the
page that named its data file): parsed from what is left it became half a report, or another report, loaded as the
current version. Its report keeps the version loaded before, and the lost body is logged against its own URL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path

from sqlite_utils import Database

from govreports import PARSER_VERSION
from govreports.fetch import Archive
from govreports.fetch.archive import DamagedBody
from govreports.extract.toolcache import tool_cache_for
from govreports.errors import StorageError
from govreports.parse import ParseError
from govreports.parse.api import ParseLimitError
from govreports.parse.bounded import BoundedParser
from govreports.portals.adapters import adapter_for
from govreports.portals.adapters.datafile import DataFileError, is_data_file_url
from govreports.portals.config import CrawlConfig
from govreports.runs.reparse_figures import ReparseSummary, not_crawled
from govreports.runs.verdict import RunStatus, Verdict, judge
from govreports.store.db import cannot_write, could_not_write
from govreports.store.documents import LoadedItem, document_versions, latest_document, loaded_items
from govreports.store.index_repair import with_search_indexes_mended
from govreports.store.load import LOAD_BATCH, load_records
from govreports.store.logs import log_fetch


def reparse_verdict(row: dict, archive: str | Path, unusable: list[tuple[str, str]] | None = None) -> Verdict:
    """The re-parse's verdict: partial (exit 1) when documents could not be re-parsed (a parse failure, a body
    missing from the archive), failed (exit 3) when none of those it read could be; it exited 0 either way, also
    when every body was missing (a mistyped --archive). Failed too when the config named none of the portals of
    the loaded documents (every one `skipped`: the default config/portals after a demo crawl): nothing was
    re-parsed, and exit 0 told a scheduler it had been."""
    verdict = judge([], unusable=unusable)
    failed, missing = row.get("failed", 0), row.get("missing", 0)
    read = row.get("documents", 0) - row.get("skipped", 0)
    if row.get("documents", 0) and not read:
        line = f"nothing was re-parsed: the config names none of the portals of the {row['documents']} loaded " \
               "document(s)"
        return Verdict(RunStatus.FAILED, "; ".join(filter(None, (line, verdict.line))))
    if not failed and not missing:
        return verdict
    line = (f"{failed + missing} of {read} document(s) could not be re-parsed: {failed} failed, {missing} missing "
            f"from the archive {archive} (each is in fetch_log, against its URL)")
    if failed + missing >= read:
        return Verdict(RunStatus.FAILED, "; ".join(filter(None, (f"nothing could be re-parsed: {line}", verdict.line))))
    return Verdict(RunStatus.PARTIAL, "; ".join(filter(None, (line, verdict.line))))


class _Lost(Exception):
    """An archived body the report's document needs that cannot be read: gone, damaged, or unreadable."""

    def __init__(self, url: str, sha256: str, exc: Exception, part_of: str | None = None,
                 aside: Path | None = None):
        super().__init__(url)
        self.url = url
        again = f"; set aside as {aside.name}: the next crawl fetches it again" if aside is not None else ""
        if isinstance(exc, DamagedBody):
            why = "is damaged: its bytes no longer match their hash (cut short or overwritten)"
        elif isinstance(exc, (FileNotFoundError, ValueError)):
            why = "not found"
            if aside is not None:  # set aside by an earlier re-parse, and not fetched again since
                why, again = f"was found damaged and set aside as {aside.name}", ": the next crawl fetches it again"
        else:  # its folder unreadable (permissions, a disk error)
            why = f"could not be read: {exc}"
        self.line = f"archived body {sha256} {why}" + (f" ({part_of})" if part_of else "") + again


def _archived(archive: Archive, url: str, sha256: str, part_of: str | None = None) -> bytes:
    """The archived body of `url`, its hash checked; _Lost when it cannot be had as it was stored."""
    try:
        return archive.get(sha256, verify=True)
    except (OSError, ValueError) as exc:
        aside = _set_aside(archive, sha256) if isinstance(exc, DamagedBody) else _set_aside_before(archive, sha256)
        raise _Lost(url, sha256, exc, part_of, aside) from exc


def _set_aside(archive: Archive, sha256: str) -> Path | None:
    """A damaged body moved off its name, to `<hash>.damaged` beside it (kept, for who wants to see it), so that the
    next crawl finds no body there and fetches the document whole: left in place, it stayed damaged for good (each
    crawl's conditional GET got a 304, for which the damaged file stood; and a full fetch keeps a file of the
    body's size). None when it cannot be moved (a read-only archive: it stays as it is)."""
    path = archive.path_for(sha256)
    aside = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, aside)
    except OSError:
        return None
    return aside


def _set_aside_before(archive: Archive, sha256: str) -> Path | None:
    """The damaged body an earlier re-parse set aside for a body not found now, if any."""
    aside = archive.path_for(sha256)
    aside = aside.with_name(aside.name + ".damaged")
    try:
        return aside if aside.is_file() else None
    except (OSError, ValueError):
        return None


class _Page:
    """The archived page as the adapters see a fetched one."""

    def __init__(self, url: str, body: bytes, encoding: str | None, final_url: str | None = None):
        self.url, self.final_url = url, final_url or url
        self.body = body
        self.ok, self.status, self.encoding = True, 200, encoding
        self.text = body.decode(encoding or "utf-8", errors="replace")


def _later_pages(db: Database, archive: Archive, adapter, page: _Page) -> list[_Page]:
    """The archived later pages of a report article split over pages (TRS t…_1.html), as the crawl joined them to
    the first. _Lost when one the crawl fetched cannot be read: the first page alone is half the report, which the
    crawl never loads (crawl.portal). A page never fetched (on another host, which the crawl does not ask) is
    left out, as the crawl left it."""
    pages = []
    for url in adapter.later_pages(page):
        known = latest_document(db, url)
        if known is None:
            continue
        body = _archived(archive, url, known.sha256, f"a later page of {page.url}")
        pages.append(_Page(url, body, known.encoding))
    return pages


def _from_data_file(db: Database, archive: Archive, adapter, item: LoadedItem, body: bytes):
    """(document, encoding) of a report the crawl read from its page's JavaScript data file (its `attachment_url`):
    the archived page's head over the data file's HTML, as the crawl parsed it; None when no copy of the page in the
    archive names this data file (then the document is parsed as it is). DataFileError as in the crawl.

    The newest copy of the page that names the data file: a page that answered a 系统维护 page on a later night (the
    item failed and kept its report) was read as the newest copy alone, and the bare script parsed under it changed
    the report to another record. A copy that cannot be read before the one that names the data file is _Lost: it
    may be the copy the crawl read, and the bare script parsed alone is another record."""
    for known in document_versions(db, item.url):
        page = _Page(item.url, _archived(archive, item.url, known.sha256, f"the page of {item.attachment_url}"),
                     known.encoding, known.final_url)
        if adapter.data_file(page) == item.attachment_url:
            return adapter.document(page, _later_pages(db, archive, adapter, page),
                                    _Page(item.attachment_url, body, None))
    return None


def reparse(db: Database, archive_root: str | Path, config: CrawlConfig | None = None,
            parser: BoundedParser | None = None, run_id: int | None = None, summary: ReparseSummary | None = None,
            on_loaded: Callable[[ReparseSummary], None] | None = None) -> ReparseSummary:
    """Re-parse every loaded item's document; `parser` defaults to one worker a core with the config's deadline
    and memory cap (the crawl's own), or the default limits without a config. The workers keep this process's
    CPU priority: `parse_nice` is for the crawl, whose one process every report passes through; here this
    process only loads (measured: no faster with the workers at nice 10).

    With a config, a document of a portal the config does not name is skipped (`skipped`, `unconfigured`): its
    adapter is unknown, and a page read without it (gkmlpt keeps the report in a script) failed as `parse`, a
    false failure left in the issues, or would load a record that differs for no reason.

    `run_id`: the run in `runs` its failures are logged against (the flow's `reparse` row). `summary`: the
    caller's, filled as the re-parse goes, so that one stopped midway (a signal, its bounds) still holds what was
    done; `on_loaded(summary)` is called after each batch is written (the flow notes the figures in the run's row)."""
    if parser is None:
        limits = {"deadline": config.limits.parse_deadline, "memory_mb": config.limits.parse_memory_mb} if config \
            else {}
        with BoundedParser(tools=tool_cache_for(archive_root), **limits) as own:
            return reparse(db, archive_root, config, own, run_id, summary, on_loaded)
    archive = Archive(archive_root)
    adapters = {p.name: adapter_for(p) for p in (config.portal if config else [])}
    summary = ReparseSummary() if summary is None else summary

    def documents() -> Iterator[tuple[LoadedItem, tuple]]:
        """Each item's archived document as the parser takes it; a missing body is counted and logged here."""
        for item in loaded_items(db):
            if config is not None and item.portal not in adapters:
                summary.counts["skipped"] += 1
                summary.unconfigured[item.portal] += 1
                continue
            doc_url = item.document["url"]
            try:
                body, encoding = _document(item, adapters.get(item.portal))
            except _Lost as lost:  # gone, damaged, or its folder unreadable (permissions, a disk error)
                summary.counts["missing"] += 1
                log_fetch(db, lost.url, "archive_missing", lost.line, kind="archive_missing", portal=item.portal,
                          run_id=run_id)
                continue
            except DataFileError as exc:
                summary.counts["failed"] += 1
                log_fetch(db, doc_url, "data_file", f"data_file: {exc}", kind="data_file", portal=item.portal,
                          run_id=run_id)
                continue
            yield item, (body, doc_url, {"title": item.list_title, "published": item.list_date}, encoding)

    def _document(item: LoadedItem, adapter) -> tuple[bytes, str | None]:
        """(body, encoding) of the item's document as the crawl parsed it, from the archive; _Lost, DataFileError."""
        doc_url, encoding = item.document["url"], item.document["encoding"]
        body = _archived(archive, doc_url, item.document["sha256"])
        if item.attachment_url is None and adapter is not None:  # resolved from where a redirect ended, as crawled
            page = _Page(doc_url, body, encoding, item.document["final_url"])
            document, encoding = adapter.document(page, _later_pages(db, archive, adapter, page))
            return document or body, encoding
        if adapter is not None and is_data_file_url(item.attachment_url):
            return _from_data_file(db, archive, adapter, item, body) or (body, encoding)
        return body, encoding

    def records() -> Iterator[tuple[dict, dict, str]]:
        """Each parsed record with its document and report key; a document that fails is counted and logged."""
        for item, answer in parser.parse_many(documents()):
            url = item.document["url"]
            if isinstance(answer, ParseLimitError):
                summary.counts["failed"] += 1
                log_fetch(db, url, answer.kind, answer.line, kind=answer.kind, portal=item.portal, run_id=run_id)
            elif isinstance(answer, ParseError):
                summary.counts["failed"] += 1
                log_fetch(db, url, "parse_error", str(answer), kind="parse", portal=item.portal, run_id=run_id)
            elif isinstance(answer, Exception):  # a parser bug: this document's, as in the crawl
                summary.counts["failed"] += 1
                log_fetch(db, url, "internal", f"internal error: {type(answer).__name__}: {answer}", kind="internal",
                          portal=item.portal, run_id=run_id)
            else:
                yield answer, item.document, item.url

    with closing(records()) as parsed:  # closed on any error: the documents read ahead stop being parsed
        while batch := list(islice(parsed, LOAD_BATCH)):
            try:
                loaded = with_search_indexes_mended(db, lambda: load_records(db, batch,
                                                                             parser_version=PARSER_VERSION))
            except (OSError, sqlite3.Error) as exc:
                if not cannot_write(exc):
                    raise
                raise StorageError(f"{could_not_write(exc, db)}; the re-parse stops here, and the batches it "
                                   "wrote stay") from exc
            summary.counts.update(item.status for item in loaded)
            if on_loaded is not None:
                on_loaded(summary)
    summary.not_crawled = not_crawled(db)
    return summary
