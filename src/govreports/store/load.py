"""Load canonical records (SCHEMA.md) into the database: one report, one transaction, idempotent.

A report is identified by (normalised agency, year, source key = document URL, else archive path, else '').
Its version is the sha256 of its canonical JSON without volatile keys (`source`, `_…`) and provenance
(`published_source`: which source gave the date; store.version_hash): loading the same record from the same
document again writes nothing at all (not even timestamps), so reloading a whole archive is cheap and leaves the
file unchanged (a new document with identical content adds only its `documents` row); a different record for the
same report becomes a new `report_versions` row and the old cells stay. The cells' rows: store.cell_rows.
`reports.last_seen` is therefore the time the current content was first seen, not the last time it was loaded.

With `dedupe=True` (the crawler) a record whose content is already loaded for the same agency and year from
another source key (a re-post on another page or portal) is not loaded again: the result says `duplicate` and
names that report (and the report its own source held, when that source now holds the copy, is no longer current:
`_withdraw_replaced`). The check and the load share one write transaction and one computation of agency key and hash.

A record is made ready outside the lock by store.prepare; the child rows of a transaction's versions and the sums
that follow them are written by store.children. Here: which report and version a record is, and writing them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlite_utils import Database

from govreports.clock import now_iso
from govreports.store.agency import agency_facts
from govreports.store.children import Children
from govreports.store.db import write_transaction
from govreports.store.prepare import Prepared, prepare
from govreports.store.prepare import document_from_path, path_text  # noqa: F401 - imported from here, as before
from govreports.store.same_report import duplicate_of, mended
from govreports.store.statuses import LoadStatus

DOCUMENT_FIELDS = ("url", "final_url", "fetched_at", "sha256", "archive_path", "media_type")


@dataclass(frozen=True)
class LoadResult:
    report_id: int
    version_id: int
    status: LoadStatus  # new | changed | unchanged, or duplicate (report_id is the report it duplicates)
    cells: int
    withdrawn: tuple[int, ...] = ()  # a duplicate's: the reports its source held that are no longer current


# Statements, written once: sqlite3's statement cache keeps each prepared (a statement is looked up by its text)
_SUMMARY = ("format", "title", "published", "published_source", "document_id", "parser_version")
_INSERT_REPORT = (f"INSERT INTO reports (agency_id, year, source_key, {', '.join(_SUMMARY)}, first_seen, last_seen)"
                  f" VALUES ({', '.join('?' * (len(_SUMMARY) + 5))})")
_VERSION_COLUMNS = ("report_id", "version", "sha256", "agency_written", *_SUMMARY, "loaded_at", "record_keys",
                    "extra_json", "table_cells", "blank_cells", "rules_failed", "rules_ok", "sections_present",
                    "undated_sha")
_INSERT_VERSION = (f"INSERT INTO report_versions ({', '.join(_VERSION_COLUMNS)})"
                   f" VALUES ({', '.join('?' * len(_VERSION_COLUMNS))})")
_UPDATE_REPORT = (f"UPDATE reports SET {', '.join(f'{k} = ?' for k in _SUMMARY)}, current_version_id = ?,"
                  " last_seen = ? WHERE id = ?")
_FIND_REPORT = ("SELECT r.id, v.id, v.sha256, v.published_source FROM reports r"
                " LEFT JOIN report_versions v ON v.id = r.current_version_id"
                " WHERE r.agency_id = ? AND r.year IS ? AND r.source_key = ?")
_FIND_BY_SOURCE = ("SELECT r.id, v.id, v.sha256, v.published_source, r.agency_id, r.year, a.norm_name, d.sha256"
                   " FROM reports r JOIN agencies a ON a.id = r.agency_id"
                   " LEFT JOIN report_versions v ON v.id = r.current_version_id"
                   " LEFT JOIN documents d ON d.id = v.document_id WHERE r.source_key = ?")
_FIND_DOCUMENT = "SELECT id FROM documents WHERE url IS ? AND sha256 IS ? AND archive_path IS ?"
_INSERT_DOCUMENT = (f"INSERT INTO documents ({', '.join(DOCUMENT_FIELDS)})"
                    f" VALUES ({', '.join('?' * len(DOCUMENT_FIELDS))})")


def _document_id(conn, doc: dict) -> int | None:
    if not any(doc.get(k) for k in ("url", "sha256", "archive_path")):
        return None
    row = conn.execute(_FIND_DOCUMENT, [doc.get("url"), doc.get("sha256"), doc.get("archive_path")]).fetchone()
    if row:
        return row[0]
    return conn.execute(_INSERT_DOCUMENT, [doc.get(k) for k in DOCUMENT_FIELDS]).lastrowid


def _agency_id(conn, written: str, norm: str, configured: str | None, changed: set[int]) -> int:
    """The agency's row; a new one with its region and kind. A portal's configured region (`configured`) wins over
    the one the name gives, so it is written whenever given; without one, a row keeps what it has. An agency
    whose region or kind is rewritten joins `changed` (its agency-years carry them)."""
    row = conn.execute("SELECT id, region, kind FROM agencies WHERE norm_name = ?", [norm]).fetchone()
    if row and row[2] is not None and configured is None:
        return row[0]
    facts = agency_facts(norm, configured)
    if row:
        if (row[1], row[2]) != (facts["region"], facts["kind"]):
            conn.execute(f"UPDATE agencies SET {', '.join(f'{k} = ?' for k in facts)} WHERE id = ?",
                         [*facts.values(), row[0]])
            changed.add(row[0])
        return row[0]
    columns = ("name", "norm_name", *facts)
    return conn.execute(f"INSERT INTO agencies ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [written, norm, *facts.values()]).lastrowid


def _fill_published_source(conn, report_id: int, version_id: int, p: Prepared) -> None:
    source = p.record["published_source"]
    conn.execute("UPDATE report_versions SET published_source = ?, record_keys = ? WHERE id = ?",
                 [source, p.keys_json, version_id])
    conn.execute("UPDATE reports SET published_source = ? WHERE id = ?", [source, report_id])


def _load_locked(db: Database, p: Prepared, now: str, dedupe: bool, children: Children) -> LoadResult:
    """Load one prepared record inside the caller's write transaction; its child rows go to `children`."""
    conn = db.conn
    if dedupe:
        duplicate = duplicate_of(db, p.norm, p.year, p.sha, p.source_key, p.undated_sha)
        if duplicate is not None:
            return LoadResult(*duplicate, LoadStatus.DUPLICATE, 0, _withdraw_replaced(conn, p, children))
    record = p.record
    agency_id = _agency_id(conn, p.written, p.norm, p.doc.get("region"), children.agencies)
    document_id = _document_id(conn, p.doc)
    row = conn.execute(_FIND_REPORT, [agency_id, p.year, p.source_key]).fetchone()
    old_year = p.year
    if row is None and p.source_key:
        row, old_year = _rekeyed(conn, p, agency_id, children)
    if row and row[2] == p.sha:
        if row[3] is None and record.get("published_source"):  # loaded before dates had sources: say it
            _fill_published_source(conn, row[0], row[1], p)
        return LoadResult(row[0], row[1], LoadStatus.UNCHANGED, 0)
    if row and row[1] is not None and record.get("ocr_pages") and _read_less_far(conn, row[1], p):
        return LoadResult(row[0], row[1], LoadStatus.UNCHANGED, 0)
    summary = (record.get("format"), record.get("title"), record.get("published"), record.get("published_source"),
               document_id, p.parser_version)
    if row is None:
        report_id = conn.execute(_INSERT_REPORT, [agency_id, p.year, p.source_key, *summary, now, now]).lastrowid
        old = None
    else:
        report_id = row[0]
        old = conn.execute("SELECT id FROM report_versions WHERE report_id = ? AND sha256 = ?",
                           [report_id, p.sha]).fetchone()
    cells = 0
    if old:  # the report went back to content seen before: point at that version again
        version_id = old[0]
    else:
        number = 1 if row is None else conn.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM report_versions WHERE report_id = ?", [report_id]).fetchone()[0]
        version_id = conn.execute(_INSERT_VERSION, [report_id, number, p.sha, record.get("agency"), *summary, now,
                                                    p.keys_json, p.extra_json, p.table_cells,
                                                    p.blank_cells, p.rules_failed, p.rules_ok,
                                                    p.sections_present, p.undated_sha]).lastrowid
        children.add(p, version_id, report_id)
        cells = len(p.cell_keys)
    conn.execute(_UPDATE_REPORT, [*summary, version_id, now, report_id])
    children.move(p.year, row[1] if row else None, version_id, old_year)
    children.agencies.add(agency_id)  # its agency-years (m011) follow the report's new version
    return LoadResult(report_id, version_id, LoadStatus.NEW if row is None else LoadStatus.CHANGED, cells)


def _read_less_far(conn, version_id: int, p: Prepared) -> bool:
    """Whether this record is OCR's reading of the very file the current version was read from, stopped at its time
    bound sooner (fewer of the scan's pages read: "1/2" after "2/2"). On a busy machine a reparse, or a night
    re-reading the scan, had made such a reading current, half its cells gone, until a later night read it whole."""
    from govreports.extract.ocr import pages_read  # only for a scan's record: the loader's imports stay light

    found = conn.execute("SELECT json_extract(v.extra_json, '$.ocr_pages'), d.sha256 FROM report_versions v"
                         " LEFT JOIN documents d ON d.id = v.document_id WHERE v.id = ?", [version_id]).fetchone()
    if found is None or found[1] is None or found[1] != p.doc.get("sha256"):
        return False
    return pages_read(p.record.get("ocr_pages")) < pages_read(found[0])


def _rekeyed(conn, p: Prepared, agency_id: int, children: Children) -> tuple[tuple | None, int | None]:
    """The report its source already holds, now under this record's agency and year, with the year it had, when
    this record is that report corrected: read again from the very same body (a parser that reads the agency or
    year better, through `reparse`), or of the same year under the same agency's name with a typo mended or words
    dropped (甲市教肓局 → 甲市教育局, …办公厅关于 → …办公厅). Either had become a second report beside the first, both
    current, and every analysis counted it twice. Else (None, year): a fixed address that now serves the next
    year's report, or another agency's, is a report of its own. Of several reports at one source (that address,
    after its next report), the one this record is; none where it could be two."""
    body = p.doc.get("sha256")
    same = [row for row in conn.execute(_FIND_BY_SOURCE, [p.source_key])
            if (row[7] is not None and row[7] == body) or (row[5] == p.year and mended(row[6], p.norm))]
    if len(same) != 1:  # none, or two this record could be (it cannot say which)
        return None, p.year
    report_id, version_id, sha, published_source, old_agency, old_year, _, _ = same[0]
    conn.execute("UPDATE reports SET agency_id = ?, year = ? WHERE id = ?", [agency_id, p.year, report_id])
    children.agencies.add(old_agency)  # its agency-years (m011) lose the report
    return (report_id, version_id, sha, published_source), old_year


def _withdraw_replaced(conn, p: Prepared, children: Children) -> tuple[int, ...]:
    """The reports this source held that a copy of another source's report now replaces, made no longer current
    (their versions stay; the source holding one again makes it current again): those that this record is by
    `_rekeyed`'s rules (read from the very same body, or of its year under its agency's name or that name mended).
    A file or page that held one edition of an agency's year (b.html) and now holds a copy of another, loaded from
    elsewhere (a.html), was named a duplicate while its old edition stayed current, and that year was counted twice
    by every sum (`analyze doubled` listed it). A report of another agency or year stays: a reused path, or a fixed
    address serving the next year's report, keeps what it served before, as when it serves a report of its own."""
    body = p.doc.get("sha256")
    replaced = [row for row in conn.execute(_FIND_BY_SOURCE, [p.source_key]) if row[1] is not None and (
        (row[7] is not None and row[7] == body) or (row[5] == p.year and mended(row[6], p.norm)))] \
        if p.source_key else []
    for report_id, version_id, _, _, agency_id, year, _, _ in replaced:
        conn.execute("UPDATE reports SET current_version_id = NULL WHERE id = ?", [report_id])
        children.moves.append((version_id, year, -1))  # current_sums (m009) lose it
        children.agencies.add(agency_id)  # and its agency-year (m011) its report
    return tuple(row[0] for row in replaced)


@contextlib.contextmanager
def batch_loader(db: Database, *, now: str | None = None, check_keys: bool = True):
    """One write transaction (a savepoint when the caller holds one) in which `load(prepared, dedupe=False)`
    loads records by the rules of `load_record`, in order; every child table is written by one executemany when
    the block ends. Other writes may go between loads (the crawl's documents and items). `check_keys=False`:
    foreign keys unchecked for the block (only for blocks that write nothing but loads)."""
    children = Children(db.conn)
    keys = contextlib.nullcontext() if check_keys else _loader_keys(db)
    with keys, write_transaction(db):
        stamp = now or now_iso()
        yield lambda p, dedupe=False: _load_locked(db, p, stamp, dedupe, children)
        children.flush(db.conn)


def load_prepared(db: Database, prepared: list[Prepared], *, now: str | None = None,
                  dedupe: bool = False) -> list[LoadResult]:
    """Load prepared records in one write transaction (a savepoint when the caller holds one): the rules of
    `load_record` for each, in order, with every child table written by one executemany at the end."""
    with batch_loader(db, now=now, check_keys=False) as load:
        return [load(p, dedupe) for p in prepared]


@contextlib.contextmanager
def _loader_keys(db: Database):
    """Foreign keys unchecked while the loader's own transaction runs (a tenth of its time: two parent lookups
    per cell): every id it writes it has just read or inserted in that transaction. Every other writer stays
    checked. Inside a caller's transaction the pragma cannot change, so nothing changes there."""
    conn = db.conn
    if conn.in_transaction or not conn.execute("PRAGMA foreign_keys").fetchone()[0]:
        yield
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


LOAD_BATCH = 200  # reports per transaction: commits, FTS flushes and index right edges paid once per batch


def load_records(db: Database, records, *, parser_version: str | None = None, now: str | None = None,
                 dedupe: bool = False, batch: int = LOAD_BATCH) -> list[LoadResult]:
    """Load many records, `batch` per write transaction. `records`: records, or (record, document) pairs, or
    (record, document, source_key) triples. The same results as `load_record` one by one (a report given twice
    is loaded once, then unchanged), at a fraction of the cost: a bulk load, a re-parse, a buffered crawl."""
    results: list[LoadResult] = []
    pending: list[Prepared] = []
    for item in records:
        record, document, source_key = (item, None, None) if isinstance(item, dict) else (*item, None, None)[:3]
        pending.append(prepare(record, document, parser_version=parser_version, source_key=source_key))
        if len(pending) >= batch:
            results += load_prepared(db, pending, now=now, dedupe=dedupe)
            pending = []
    if pending:
        results += load_prepared(db, pending, now=now, dedupe=dedupe)
    return results


def load_record(db: Database, record: dict, document: dict | None = None, *,
                parser_version: str | None = None, now: str | None = None,
                source_key: str | None = None, dedupe: bool = False) -> LoadResult:
    """Load one canonical record in one write transaction; see the module docstring for identity rules.
    `source_key` overrides the document's URL as the report's identity (the crawler keys a report by its page
    even when the record was read from the page's attachment). `dedupe`: a re-post of a loaded report is not
    loaded; the result is `duplicate` with that report's ids. Many records: `load_records` (batched)."""
    prepared = prepare(record, document, parser_version=parser_version, source_key=source_key)
    return load_prepared(db, [prepared], now=now, dedupe=dedupe)[0]
