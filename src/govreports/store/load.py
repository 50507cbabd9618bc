"""Load canonical records (SCHEMA.md) into the database: one report, one transaction, idempotent.

A report is identified by (normalised agency, year, source key = document URL, else archive path, else '').
Its version is the sha256 of its canonical JSON without volatile keys (`source`, `_…`) and provenance
(`published_source`: which source gave the date): loading the same record from the same document again writes
nothing at all (not even timestamps), so reloading a whole archive is cheap and leaves the file unchanged (a new
document with identical content adds only its `documents` row); a different record for the same report becomes a
new `report_versions` row and the old cells stay.
`reports.last_seen` is therefore the time the current content was first seen, not the last time it was loaded.

With `dedupe=True` (the crawler) a record whose content is already loaded for the same agency and year from
another source key (a re-post on another page or portal) is not loaded again: the result says `duplicate` and
names that report. The check and the load share one write transaction and one computation of agency key and hash.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from govreports import PARSER_VERSION, schema
from govreports.clock import now_iso
from govreports.store.agency import agency_facts, normalise_agency
from govreports.store.db import write_transaction
from govreports.store.statuses import LoadStatus

DOCUMENT_FIELDS = ("url", "final_url", "fetched_at", "sha256", "archive_path", "media_type")
TOTALLED_TABLES = ("applications", "review_litigation")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "text": "text/plain",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class LoadResult:
    report_id: int
    version_id: int
    status: LoadStatus  # new | changed | unchanged, or duplicate (report_id is the report it duplicates)
    cells: int


def canonical(record: dict) -> dict:
    """The record without volatile keys: what a version's hash covers."""
    return {k: v for k, v in record.items() if k != "source" and not k.startswith("_")}


# provenance, not content: where the publication date was read (a re-post of one report on another portal, read
# from its <meta> there and from a label here, is the same report)
UNHASHED_KEYS = frozenset(("published_source",))


def canonical_json(record: dict) -> str:
    """What a version's hash covers: the canonical record without its provenance keys."""
    content = {k: v for k, v in canonical(record).items() if k not in UNHASHED_KEYS}
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_sha256(record: dict) -> str:
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def document_from_path(path: str | Path, kind: str | None = None) -> dict:
    """Document facts for a local file: its content hash, where it is, its media type."""
    path = Path(path)
    media = MEDIA_TYPES.get(kind or "") or mimetypes.guess_type(path.name)[0]
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "archive_path": str(path.resolve()),
            "media_type": media}


def _document_id(db: Database, doc: dict) -> int | None:
    if not any(doc.get(k) for k in ("url", "sha256", "archive_path")):
        return None
    row = db.execute(
        "SELECT id FROM documents WHERE url IS ? AND sha256 IS ? AND archive_path IS ?",
        [doc.get("url"), doc.get("sha256"), doc.get("archive_path")],
    ).fetchone()
    if row:
        return row[0]
    return db["documents"].insert({k: doc.get(k) for k in DOCUMENT_FIELDS}).last_pk


def _agency_id(db: Database, written: str, norm: str, configured: str | None) -> int:
    """The agency's row; a new one with its region and kind. A portal's configured region (`configured`) wins over
    the one the name gives, so it is written whenever given; without one, a row keeps what it has."""
    row = db.execute("SELECT id, region, kind FROM agencies WHERE norm_name = ?", [norm]).fetchone()
    if row and row[2] is not None and configured is None:
        return row[0]
    facts = agency_facts(norm, configured)
    if row:
        if (row[1], row[2]) != (facts["region"], facts["kind"]):
            db.execute(f"UPDATE agencies SET {', '.join(f'{k} = ?' for k in facts)} WHERE id = ?",
                       [*facts.values(), row[0]])
        return row[0]
    return db["agencies"].insert({"name": written, "norm_name": norm, **facts}).last_pk


def duplicate_of(db: Database, agency_norm: str, year: int | None, sha256: str,
                 source_key: str) -> tuple[int, int] | None:
    """A report already loaded from another source key with the very same content (a re-post): its id and
    current version id."""
    row = db.execute(
        "SELECT r.id, r.current_version_id FROM reports r JOIN agencies a ON a.id = r.agency_id"
        " JOIN report_versions v ON v.id = r.current_version_id"
        " WHERE a.norm_name = ? AND r.year IS ? AND v.sha256 = ? AND r.source_key != ? LIMIT 1",
        [agency_norm, year, sha256, source_key]).fetchone()
    return (row[0], row[1]) if row else None


# record keys stored in columns of their own besides schema.RECORD_KEYS
COLUMN_KEYS = frozenset((*schema.RECORD_KEYS, "published_source"))


def _extra_json(record: dict) -> str | None:
    extra = {k: v for k, v in canonical(record).items() if k not in COLUMN_KEYS}
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None


def _insert(db: Database, table: str, columns: tuple[str, ...], rows: list[tuple]) -> int | None:
    """Plain executemany: about 200 cells a report make sqlite-utils' per-value insert_all work the bottleneck."""
    if not rows:
        return None
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    if len(rows) == 1:
        return db.execute(sql, rows[0]).lastrowid
    db.conn.executemany(sql, rows)
    return None


def _write_children(db: Database, record: dict, version_id: int, report_id: int) -> int:
    ids = (version_id, report_id)
    sections = [(*ids, key, schema.SECTION_HEADINGS.get(key), text)
                for key, text in (record.get("sections") or {}).items()]
    cells = sorted((*ids, t, r, c, None, v) if isinstance(v, str) else (*ids, t, r, c, v, None)
                   for t, r, c, v in schema.iter_cells(record))  # primary-key order: appends, no page splits
    checks = [(*ids, i, ck.get("rule"), ck.get("where"), None if ck.get("ok") is None else int(bool(ck["ok"])),
               ck.get("detail")) for i, ck in enumerate(record.get("checks") or [])]
    _insert(db, "sections", ("version_id", "report_id", "section", "heading", "body"), sections)
    _insert(db, "cells", ("version_id", "report_id", "table_name", "row_key", "col_key", "value", "raw"), cells)
    _insert(db, "checks", ("version_id", "report_id", "seq", "rule", "location", "ok", "detail"), checks)
    _insert(db, "row_totals", ("version_id", "report_id", "table_name", "row_key", "n"),
            [(*ids, t, r, n) for t, r, n in row_totals(record)])
    return len(cells)


def row_totals(record: dict):
    """Yield (table, row, n) for rows of tables 三 and 四: the 总计 cell, else the sum of the row's numbers.

    Real reports often leave 总计 blank; analyses need one number per row and read it here instead of
    re-aggregating every cell (that keeps each analysis far under 200 ms on 10,000 reports).
    """
    for table in TOTALLED_TABLES:
        for row, cols in (record.get(table) or {}).items():
            n = cols.get("total")
            if n is None:
                parts = [v for k, v in cols.items() if k != "total" and isinstance(v, (int, float))]
                n = sum(parts) if parts else None
            yield table, row, n


def _fill_published_source(db: Database, report_id: int, version_id: int, record: dict) -> None:
    source = record["published_source"]
    keys = json.dumps(list(canonical(record)), ensure_ascii=False)
    db.execute("UPDATE report_versions SET published_source = ?, record_keys = ? WHERE id = ?",
               [source, keys, version_id])
    db.execute("UPDATE reports SET published_source = ? WHERE id = ?", [source, report_id])


def load_record(db: Database, record: dict, document: dict | None = None, *,
                parser_version: str | None = None, now: str | None = None,
                source_key: str | None = None, dedupe: bool = False) -> LoadResult:
    """Load one canonical record in one write transaction; see the module docstring for identity rules.
    `source_key` overrides the document's URL as the report's identity (the crawler keys a report by its page
    even when the record was read from the page's attachment). `dedupe`: a re-post of a loaded report is not
    loaded; the result is `duplicate` with that report's ids."""
    doc = {**(record.get("source") or {}), **(document or {})}
    parser_version = parser_version or doc.get("parser_version") or PARSER_VERSION
    sha = record_sha256(record)
    written = record.get("agency") or ""
    norm = normalise_agency(written)
    source_key = source_key or doc.get("url") or doc.get("archive_path") or ""
    year = record.get("year")
    with write_transaction(db):
        if dedupe:
            duplicate = duplicate_of(db, norm, year, sha, source_key)
            if duplicate is not None:
                return LoadResult(*duplicate, LoadStatus.DUPLICATE, 0)
        now = now or now_iso()
        agency_id = _agency_id(db, written, norm, doc.get("region"))
        document_id = _document_id(db, doc)
        row = db.execute(
            "SELECT r.id, v.id, v.sha256, v.published_source FROM reports r"
            " LEFT JOIN report_versions v ON v.id = r.current_version_id"
            " WHERE r.agency_id = ? AND r.year IS ? AND r.source_key = ?", [agency_id, year, source_key],
        ).fetchone()
        if row and row[2] == sha:
            if row[3] is None and record.get("published_source"):  # loaded before dates had sources: say it
                _fill_published_source(db, row[0], row[1], record)
            return LoadResult(row[0], row[1], LoadStatus.UNCHANGED, 0)
        summary = {"format": record.get("format"), "title": record.get("title"),
                   "published": record.get("published"), "published_source": record.get("published_source"),
                   "document_id": document_id,
                   "parser_version": parser_version}
        if row is None:
            report = {"agency_id": agency_id, "year": year, "source_key": source_key, **summary,
                      "first_seen": now, "last_seen": now}
            report_id = _insert(db, "reports", tuple(report), [tuple(report.values())])
        else:
            report_id = row[0]
        old = db.execute("SELECT id FROM report_versions WHERE report_id = ? AND sha256 = ?",
                         [report_id, sha]).fetchone()
        cells = 0
        if old:  # the report went back to content seen before: point at that version again
            version_id = old[0]
        else:
            number = db.execute("SELECT coalesce(max(version), 0) + 1 FROM report_versions WHERE report_id = ?",
                                [report_id]).fetchone()[0]
            keys = json.dumps(list(canonical(record)), ensure_ascii=False)
            version = {"report_id": report_id, "version": number, "sha256": sha, "agency_written": record.get("agency"),
                       **summary, "loaded_at": now, "record_keys": keys, "extra_json": _extra_json(record)}
            version_id = _insert(db, "report_versions", tuple(version), [tuple(version.values())])
            cells = _write_children(db, record, version_id, report_id)
        update = {**summary, "current_version_id": version_id, "last_seen": now}
        db.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in update)} WHERE id = ?",
                   [*update.values(), report_id])
        return LoadResult(report_id, version_id, LoadStatus.NEW if row is None else LoadStatus.CHANGED, cells)
