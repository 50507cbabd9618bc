"""A canonical record made ready to load, outside the write lock: its identity (normalised agency, year, source
key), its version hashes and the rows it becomes (store.load writes them). Pure Python, no database: the crawl
prepares one report while another is being written. Also the facts of a local file (`document_from_path`).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from govreports import PARSER_VERSION, schema
from govreports.store.agency import normalise_agency
from govreports.store.cell_rows import PLAIN_TABLES, record_cells, storable
from govreports.store.version_hash import canonical, version_shas

TOTALLED_TABLES = ("applications", "review_litigation")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "text": "text/plain",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "doc": "application/msword", "ofd": "application/ofd", "rtf": "application/rtf",
               "xls": "application/vnd.ms-excel",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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
    # sections and checks as rows where they are an object and a list of objects, as a table is read (record_cells):
    # a record loaded from a file may hold anything there, kept in its hash and JSON, never a crash of the load
    sections = record.get("sections") if isinstance(record.get("sections"), dict) else {}
    listed = record.get("checks") if isinstance(record.get("checks"), list) else []
    checks = [(i, ck.get("rule"), ck.get("where"), None if ck.get("ok") is None else int(bool(ck["ok"])),
               ck.get("detail")) for i, ck in enumerate(listed) if isinstance(ck, dict)]
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
