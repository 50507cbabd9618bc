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
names that report. The check and the load share one write transaction and one computation of agency key and hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from govreports import PARSER_VERSION, schema
from govreports.clock import now_iso
from govreports.store.agency import agency_facts, normalise_agency
from govreports.store.cell_rows import CELLS_FROM_JSON, PLAIN_TABLES, encode_cells, record_cells, storable
from govreports.store.db import write_transaction
from govreports.store.migrations import CURRENT_SUMS_ADD, CURRENT_SUMS_PRUNE, refresh_agency_years
from govreports.store.same_report import duplicate_of, mended
from govreports.store.statuses import LoadStatus
from govreports.store.version_hash import canonical, version_shas

DOCUMENT_FIELDS = ("url", "final_url", "fetched_at", "sha256", "archive_path", "media_type")
TOTALLED_TABLES = ("applications", "review_litigation")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "text": "text/plain",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "doc": "application/msword", "ofd": "application/ofd", "rtf": "application/rtf",
               "xls": "application/vnd.ms-excel",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class LoadResult:
    report_id: int
    version_id: int
    status: LoadStatus  # new | changed | unchanged, or duplicate (report_id is the report it duplicates)
    cells: int
    withdrawn: tuple[int, ...] = ()  # a duplicate's: the reports its source held that are no longer current


def document_from_path(path: str | Path, kind: str | None = None) -> dict:
    """Document facts for a local file: its content hash, where it is (path_text), its media type."""
    path = Path(path)
    media = MEDIA_TYPES.get(kind or "") or mimetypes.guess_type(path.name)[0]
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "archive_path": path_text(path.resolve()),
            "media_type": media}


def path_text(path: str | Path) -> str:
    """A file's path as text that can be stored and printed: a name that is not UTF-8 (a GBK name kept as bytes by
    unzip, from an archive made on Chinese Windows) with its undecodable bytes as \\xNN. Python names such a file
    with lone surrogates, which SQLite (and a UTF-8 terminal) refuse: `load` ended in a traceback at the first."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# record keys stored in columns of their own besides schema.RECORD_KEYS
COLUMN_KEYS = frozenset((*schema.RECORD_KEYS, "published_source"))




def row_totals(record: dict):
    """Yield (table, row, n) for rows of tables 三 and 四: the 总计 cell, else the sum of the row's numbers.

    Real reports often leave 总计 blank; analyses need one number per row and read it here instead of
    re-aggregating every cell (that keeps each analysis far under 200 ms on 10,000 reports).
    """
    for table in TOTALLED_TABLES:
        for row, cols in (record.get(table) or {}).items():
            n = cols.get("total")
            if n is None or not storable(n):
                parts = [v for k, v in cols.items() if k != "total" and isinstance(v, (int, float)) and storable(v)]
                n = sum(parts) if parts else None
            yield table, row, n





@dataclass
class Prepared:
    """Everything a load needs from one record, computed once and outside the write lock: identity (normalised
    agency, year, source key), the version hash, and the child rows without their ids."""

    record: dict
    doc: dict
    parser_version: str
    sha: str
    undated_sha: str  # the hash without `published`: a re-post dated by its list entry is the same report
    written: str
    norm: str
    source_key: str
    year: int | None
    keys_json: str
    extra_json: str | None
    cell_keys: list[tuple]  # (table, row, col), primary-key order
    cell_values: list       # a number, None, or the text of a text cell (stored in raw)
    plain_cells: bool       # every value an int, a string or None, every table and row a plain dict (the hash)
    bound_cells: bool       # some value is not an int or None: bound one by one (see CELLS_FROM_JSON)
    sections: list[tuple]   # (section, heading, body)
    checks: list[tuple]     # (seq, rule, location, ok, detail)
    totals: list[tuple]     # (table, row, n)
    table_cells: int        # cells of the form of its format, amount units not counted (m008; m024: the form's)
    blank_cells: int        # of those, the blank ones or absent (schema.form_blanks)
    rules_failed: str | None  # the rules its checks fail, "R1,R3" (m008)
    rules_ok: int | None    # 0: a check fails; 1: one passes and none fails; else None
    sections_present: int   # how many of the sections 1–6 it has


def prepare(record: dict, document: dict | None = None, *, parser_version: str | None = None,
            source_key: str | None = None) -> Prepared:
    """A record ready to load: see `Prepared`. Pure Python, no database: the crawl can prepare while another
    report is being written."""
    doc = {**(record.get("source") or {}), **(document or {})}
    content = canonical(record)
    cell_keys, cell_values, plain_cells, bound_cells = record_cells(record)
    table_cells, blank_cells = schema.form_blanks(record)
    plain = PLAIN_TABLES if plain_cells else frozenset()
    sha, undated_sha = version_shas(content, plain, without="published")
    extra = {k: v for k, v in content.items() if k not in COLUMN_KEYS}
    written = record.get("agency") or ""
    sections = record.get("sections") or {}
    checks = [(i, ck.get("rule"), ck.get("where"), None if ck.get("ok") is None else int(bool(ck["ok"])),
               ck.get("detail")) for i, ck in enumerate(record.get("checks") or [])]
    return Prepared(
        record=record, doc=doc, parser_version=parser_version or doc.get("parser_version") or PARSER_VERSION,
        sha=sha, undated_sha=undated_sha, written=written, norm=normalise_agency(written),
        source_key=source_key or doc.get("url") or doc.get("archive_path") or "", year=record.get("year"),
        keys_json=json.dumps(list(content), ensure_ascii=False),
        extra_json=json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
        cell_keys=cell_keys, cell_values=cell_values, plain_cells=plain_cells, bound_cells=bound_cells,
        sections=[(key, schema.SECTION_HEADINGS.get(key), _searchable(text)) for key, text in sections.items()],
        checks=checks,
        totals=list(row_totals(record)), table_cells=table_cells, blank_cells=blank_cells,
        **_check_facts(checks), sections_present=len(_SECTION_KEYS.intersection(sections)))


_SECTION_KEYS = frozenset("123456")


def _searchable(text):
    """A section's text as stored: a NUL (a text file's, a PDF's text) as U+FFFD, as an HTML page's &#0; reads.
    SQLite's LIKE and length() and the trigram tokenizer end a text at a NUL: nothing after one was ever found by
    `search`. The version hash is the record's own, so a record loaded again is unchanged."""
    return text.replace("\x00", "\ufffd") if type(text) is str and "\x00" in text else text


def _check_facts(checks: list[tuple]) -> dict:
    """rules_failed and rules_ok of a version from its check rows (as m008's COUNT_FACTS_SQL counts them)."""
    failed = sorted({rule for _, rule, _, ok, _ in checks if ok == 0})
    return {"rules_failed": ",".join(failed) if failed else None,
            "rules_ok": 0 if failed else 1 if any(ok == 1 for *_, ok, _ in checks) else None}


# Statements, written once: sqlite3's statement cache keeps each prepared (a statement is looked up by its text)
_CHILD_SQL = {
    "sections": "INSERT INTO sections (version_id, report_id, section, heading, body) VALUES (?, ?, ?, ?, ?)",
    "cells": "INSERT INTO cell_values (version_id, key_id, value, raw) VALUES (?, ?, ?, ?)",  # m010
    "checks": "INSERT INTO check_values (version_id, seq, key_id, ok, detail) VALUES (?, ?, ?, ?, ?)",  # m015
    "row_totals": "INSERT INTO row_totals (version_id, report_id, table_name, row_key, n) VALUES (?, ?, ?, ?, ?)",
}
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


class _KeyIds:
    """Ids of the keys a table names once (cell_keys m010, check_keys m015): read at first use, a key this
    database has not seen inserted, within the loader's transaction."""

    def __init__(self, conn, table: str, columns: tuple[str, ...]) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self._ids: dict[tuple, int] | None = None

    def ids(self, keys: list[tuple]) -> list[int]:
        if self._ids is None:
            self._ids = {tuple(row[1:]): row[0] for row in self.conn.execute(
                f"SELECT id, {', '.join(self.columns)} FROM {self.table}")}
        try:
            return list(map(self._ids.__getitem__, keys))
        except KeyError:  # a key this database has not seen yet
            insert = (f"INSERT INTO {self.table} ({', '.join(self.columns)})"
                      f" VALUES ({', '.join('?' * len(self.columns))})")
            for key in keys:
                if key not in self._ids:
                    self._ids[key] = self.conn.execute(insert, key).lastrowid
            return list(map(self._ids.__getitem__, keys))


class _Children:
    """Child rows of the versions written in one transaction, inserted with one executemany per table at the end
    (version ids only grow, so the cells arrive in primary-key order), and the versions that became or stopped
    being current (`moves`: version_id, year, +1/-1), added to `current_sums` (m009) once their rows are in, and
    the agencies whose reports or region were written (`agencies`), whose agency-years (m011) are rewritten."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.rows: dict[str, list[tuple]] = {t: [] for t in _CHILD_SQL}
        self.moves: list[tuple] = []
        self.agencies: set[int] = set()
        self.cell_keys = _KeyIds(conn, "cell_keys", ("table_name", "row_key", "col_key"))  # (table, row, col)
        self.check_keys = _KeyIds(conn, "check_keys", ("rule", "location"))
        self.cell_objects: list[tuple[int, str]] = []  # (version_id, {key id: int or null}): see CELLS_FROM_JSON

    def move(self, year: int | None, old_version: int | None, new_version: int, old_year: int | None = None
             ) -> None:
        """`old_year`: the year the old version was counted under (a report whose year was corrected)."""
        if old_version is not None:
            self.moves.append((old_version, year if old_year is None else old_year, -1))
        self.moves.append((new_version, year, 1))

    def add(self, p: Prepared, version_id: int, report_id: int) -> None:
        ids = (version_id, report_id)
        for table, rows in (("sections", p.sections), ("row_totals", p.totals)):
            self.rows[table] += map(ids.__add__, rows)
        if p.checks:
            key_ids = self.check_keys.ids([(rule, where) for _, rule, where, _, _ in p.checks])
            self.rows["checks"] += [(version_id, seq, key_id, ok, detail)
                                    for (seq, _, _, ok, detail), key_id in zip(p.checks, key_ids)]
        cells, bound = encode_cells(version_id, self.cell_keys.ids(p.cell_keys), p.cell_values, p.bound_cells)
        self.cell_objects.append((version_id, cells))
        self.rows["cells"] += bound

    def flush(self, conn) -> None:
        if self.cell_objects:
            conn.executemany(CELLS_FROM_JSON, self.cell_objects)
            self.cell_objects.clear()
        for table, rows in self.rows.items():
            if not rows:
                continue
            if table == "sections":
                _insert_sections(conn, rows)
            else:
                conn.executemany(_CHILD_SQL[table], rows)
            rows.clear()
        if self.moves:
            _add_current_sums(conn, self.moves)
            self.moves.clear()
        if self.agencies:
            refresh_agency_years(conn, self.agencies)
            self.agencies.clear()


_STAGE_MOVES = "CREATE TEMP TABLE IF NOT EXISTS load_moves (version_id INTEGER, year INTEGER, sign INTEGER)"


def _add_current_sums(conn, moves: list[tuple]) -> None:
    """current_sums (m009) follows the batch's changes of current version: one statement for the batch."""
    conn.execute(_STAGE_MOVES)
    conn.execute("DELETE FROM temp.load_moves")
    conn.executemany("INSERT INTO temp.load_moves VALUES (?, ?, ?)", _net(moves))
    conn.execute(_CURRENT_SUMS_FROM_STAGE)
    conn.execute(CURRENT_SUMS_PRUNE)
    conn.execute("DELETE FROM temp.load_moves")


_CURRENT_SUMS_FROM_STAGE = CURRENT_SUMS_ADD.format(moves="temp.load_moves")


def _net(moves: list[tuple]) -> list[tuple]:
    """Each version once, with the sum of its signs, those that cancel out left out. A batch can make a version
    current, replace it and make it current again (a report edited back and forth, a bulk load of its versions);
    the statement counts a version's rows once per (version, sign), so twice +1 counted once, and numbers added
    and taken away again left a total of 0 where no report gave a number."""
    net: dict[int, list] = {}
    for version_id, year, sign in moves:
        net.setdefault(version_id, [year, 0])[1] += sign
    return [(version_id, year, sign) for version_id, (year, sign) in net.items() if sign]


# Sections reach the table (and, through its trigger, the trigram index) in one INSERT … SELECT per batch from a
# staging table of the connection's own: FTS5 flushes its pending terms to a new segment at every statement that
# writes to it, so an executemany of N sections wrote N one-row segments and then merged them (a quarter of a
# bulk load's time); one statement writes one segment per batch. The trigger stays: every writer is indexed.
_STAGE_SECTIONS = ("CREATE TEMP TABLE IF NOT EXISTS load_sections"
                   " (version_id INTEGER, report_id INTEGER, section TEXT, heading TEXT, body TEXT)")
_SECTIONS_FROM_STAGE = ("INSERT INTO sections (version_id, report_id, section, heading, body)"
                        " SELECT version_id, report_id, section, heading, body FROM temp.load_sections ORDER BY rowid")


def _insert_sections(conn, rows: list[tuple]) -> None:
    conn.execute(_STAGE_SECTIONS)
    conn.execute("DELETE FROM temp.load_sections")
    conn.executemany("INSERT INTO temp.load_sections VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute(_SECTIONS_FROM_STAGE)
    conn.execute("DELETE FROM temp.load_sections")


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


def _load_locked(db: Database, p: Prepared, now: str, dedupe: bool, children: _Children) -> LoadResult:
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


def _rekeyed(conn, p: Prepared, agency_id: int, children: _Children) -> tuple[tuple | None, int | None]:
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


def _withdraw_replaced(conn, p: Prepared, children: _Children) -> tuple[int, ...]:
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
    children = _Children(db.conn)
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
