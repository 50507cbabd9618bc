"""The crawler's rows: archived documents with their response facts, and the items each portal lists.

A document row is written when a URL gives a body not seen before for it; a 304 or an identical body writes
nothing (a re-crawl with no changes rewrites nothing). The latest row of a URL holds the validators for the next
conditional GET, and its `fetched_at` when its body was last fetched whole: an identical body fetched whole because
the copy was older than FetchPolicy.refetch_after_days (`result.refreshed`) moves it on, or the URL was asked
without validators every run after.

`document_row` is the one place a response becomes a `documents` row: `record_document` stores it, and the crawl
hands it to `load_record` as the document a record was read from. `loaded_items` is the re-parse's question
(every loaded item with the document its record came from), asked here so that no SQL lives outside the store.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from govreports.clock import now_iso
from govreports.store.db import one_write
from govreports.store.statuses import ItemStatus

_KEEP_HEADERS = ("content-type", "content-length", "etag", "last-modified", "server", "date", "location",
                 "content-disposition", "retry-after")


@dataclass(frozen=True)
class KnownDocument:
    id: int
    url: str
    sha256: str | None
    archive_path: str | None
    etag: str | None
    last_modified: str | None
    encoding: str | None
    media_type: str | None
    final_url: str | None = None
    fetched_at: str | None = None


_COPIES = ("SELECT id, url, sha256, archive_path, etag, last_modified, encoding, media_type, final_url, fetched_at"
           " FROM documents WHERE url = ? AND sha256 IS NOT NULL ORDER BY id DESC")  # the archived copies of a URL, newest first


def latest_document(db: Database, url: str) -> KnownDocument | None:
    row = db.execute(_COPIES + " LIMIT 1", [url]).fetchone()
    return KnownDocument(*row) if row else None


def document_versions(db: Database, url: str) -> Iterator[KnownDocument]:
    """Every archived copy of `url`, newest first (latest_document's, then the ones before it)."""
    return (KnownDocument(*row) for row in db.execute(_COPIES, [url]).fetchall())


def _new_validators(known: KnownDocument, result) -> bool:
    return bool(result.etag or result.last_modified) and \
        (known.etag, known.last_modified) != (result.etag, result.last_modified)


def _moved(known: KnownDocument, result) -> bool:
    """The same body answered from another URL (a redirect added since, http → https): the row's final_url follows,
    or every later 304 from there was taken for another document's and the page fetched whole, every night."""
    return bool(result.final_url) and known.final_url != result.final_url


def document_row(result, portal: str | None = None) -> dict:
    """The `documents` row of a fetched response (a FetchResult, or a crawl event's Doc)."""
    headers = {k: v for k, v in (result.headers or {}).items() if k in _KEEP_HEADERS}
    return {
        "url": result.url, "final_url": result.final_url, "fetched_at": result.fetched_at or now_iso(),
        "sha256": result.sha256, "archive_path": result.archive_path,
        "media_type": (result.content_type or "").split(";")[0].strip() or None,
        "status": result.status, "etag": result.etag, "last_modified": result.last_modified,
        "headers_json": json.dumps(headers, ensure_ascii=False, sort_keys=True), "encoding": result.encoding,
        "portal": portal,
    }


@functools.lru_cache(maxsize=8)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """One prepared INSERT per table and column list (sqlite-utils' insert reads the schema twice per row: six
    queries per crawled report)."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def record_document(db: Database, result, portal: str | None = None) -> int | None:
    """Store the facts of a successful fetch; return the document id (existing or new).

    The lookup is repeated under the write lock before writing when this call takes the lock: portals crawled at
    once (one connection each) can fetch the same URL (a shared attachment host), and a check outside the lock
    would store it twice. Inside the caller's transaction (the crawl's batches) the first lookup already saw what
    the write will be made against (store.db.one_write)."""
    if not result.ok or not result.sha256:
        return None
    known = latest_document(db, result.url)
    if result.not_modified:
        return known.id if known else None
    refreshed = bool(getattr(result, "refreshed", False))
    if known and known.sha256 == result.sha256 and not _new_validators(known, result) \
            and not _moved(known, result) and not refreshed:
        return known.id
    row = document_row(result, portal)
    with one_write(db) as locked_now:
        if locked_now:
            known = latest_document(db, result.url)
        if known and known.sha256 == result.sha256:
            if _new_validators(known, result) or _moved(known, result) or refreshed:
                fresh = _new_validators(known, result)
                db.execute("UPDATE documents SET etag = ?, last_modified = ?, final_url = ?, fetched_at = ?"
                           " WHERE id = ?",
                           [result.etag if fresh else known.etag,
                            result.last_modified if fresh else known.last_modified, result.final_url,
                            row["fetched_at"] if refreshed else known.fetched_at, known.id])
            return known.id
        return db.conn.execute(_insert_sql("documents", tuple(row)), list(row.values())).lastrowid


@dataclass(frozen=True)
class Item:
    portal: str
    url: str
    attachment_url: str | None
    document_id: int | None
    report_id: int | None
    status: str | None
    ocr_pages: str | None = None  # its report's current version read by OCR: "read/total" pages (extract.ocr)


def get_item(db: Database, portal: str, url: str) -> Item | None:
    row = db.execute("SELECT i.portal, i.url, i.attachment_url, i.document_id, i.report_id, i.status,"
                     " json_extract(v.extra_json, '$.ocr_pages') FROM items i"
                     " LEFT JOIN reports r ON r.id = i.report_id LEFT JOIN report_versions v"
                     " ON v.id = r.current_version_id WHERE i.portal = ? AND i.url = ?", [portal, url]).fetchone()
    return Item(*row) if row else None


def save_item(db: Database, portal: str, url: str, *, list_title: str | None, list_date: str | None,
              year: int | None, status: ItemStatus | str, error: str | None = None,
              attachment_url: str | None = None, document_id: int | None = None,
              report_id: int | None = None) -> None:
    """Insert or update an item; an item whose facts are unchanged is not rewritten. `status` is stored as its
    plain string (an unknown one is refused)."""
    values = {"list_title": list_title, "list_date": list_date, "year": year, "status": ItemStatus(status).value,
              "error": error, "attachment_url": attachment_url, "document_id": document_id, "report_id": report_id}
    row = db.execute(f"SELECT {', '.join(values)} FROM items WHERE portal = ? AND url = ?", [portal, url]).fetchone()
    if row is not None and tuple(row) == tuple(values.values()):
        return
    now = now_iso()
    with one_write(db):
        if row is None:
            row = {"portal": portal, "url": url, **values, "first_seen": now, "last_seen": now}
            db.conn.execute(_insert_sql("items", tuple(row)), list(row.values()))
        else:
            db.execute(f"UPDATE items SET {', '.join(f'{k} = ?' for k in values)}, last_seen = ?"
                       " WHERE portal = ? AND url = ?", [*values.values(), now, portal, url])


@dataclass(frozen=True)
class LoadedItem:
    """A listed item whose report was loaded, with the `documents` row its record was read from."""

    portal: str
    url: str
    list_title: str | None
    list_date: str | None  # the list's date: a report whose page has none is dated from it (published_source "list")
    attachment_url: str | None
    document: dict  # url, final_url, fetched_at, sha256, archive_path, media_type, encoding


_LOADED_DOCUMENT = ("url", "final_url", "fetched_at", "sha256", "archive_path", "media_type", "encoding")


def loaded_items(db: Database, *, page: int = 1000) -> Iterator[LoadedItem]:
    """Every item whose report was loaded from it, with its document, by portal and URL, read `page` items at a
    time: each page starts after the last item read (the items' key), so the caller may write between pages, and
    a re-parse of 300,000 reports does not hold them all (1.6 KB an item).

    Also an item whose last fetch failed (a 500, a page that held no report tonight, a gate): it keeps its report
    and the document it was read from, and the re-parse had passed over it, leaving that report as an older parser
    read it. Not an item that failed after it was found a re-post of another's report (its report's key is the
    other item's URL): read under its own URL it would load that report a second time."""
    select = ("SELECT i.portal, i.url, i.list_title, i.list_date, i.attachment_url, "
              + ", ".join(f"d.{c}" for c in _LOADED_DOCUMENT)
              + " FROM items i JOIN documents d ON d.id = i.document_id WHERE (i.status = ? OR (i.status IN (?, ?)"
              " AND EXISTS (SELECT 1 FROM reports r WHERE r.id = i.report_id AND r.source_key = i.url)))")
    statuses = [ItemStatus.LOADED.value, ItemStatus.FAILED.value, ItemStatus.BLOCKED.value]
    order = " ORDER BY i.portal, i.url LIMIT ?"
    rows = db.execute(select + order, [*statuses, page]).fetchall()
    while rows:
        yield from (LoadedItem(*row[:5], dict(zip(_LOADED_DOCUMENT, row[5:]))) for row in rows)
        rows = db.execute(select + " AND (i.portal, i.url) > (?, ?)" + order, [*statuses, *rows[-1][:2], page]
                          ).fetchall()
