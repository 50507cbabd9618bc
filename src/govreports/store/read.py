"""Rebuild a canonical record from the normalised tables (not from the stored JSON copy).

This is what proves the tables hold every fact: tests load a record, rebuild it with `get_record` and compare.
Only the top-level key list and keys this schema does not model come from `report_versions` as JSON.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

_TABLES = ("active", "applications", "review_litigation")  # the keys schema.iter_cells walks


def get_record(db: Database, report_id: int | None = None, *, version_id: int | None = None) -> dict | None:
    """The record of a version (default: the report's current version), or None if there is none."""
    if version_id is None:
        row = db.execute("SELECT current_version_id FROM reports WHERE id = ?", [report_id]).fetchone()
        if not row or row[0] is None:
            return None
        version_id = row[0]
    v = db.execute(
        "SELECT v.title, v.agency_written, r.year, v.format, v.published, v.published_source, v.record_keys,"
        " v.extra_json"
        " FROM report_versions v JOIN reports r ON r.id = v.report_id WHERE v.id = ?", [version_id]).fetchone()
    if v is None:
        return None
    title, agency, year, fmt, published, published_source, keys_json, extra_json = v
    keys = json.loads(keys_json)
    known: dict = {"title": title, "agency": agency, "year": year, "format": fmt, "published": published,
                   "published_source": published_source}
    known["sections"] = {s: body for s, body in db.execute(
        "SELECT section, body FROM sections WHERE version_id = ? ORDER BY id", [version_id])}
    tables: dict = {}
    for t, r, c, value, raw in db.execute(
            "SELECT table_name, row_key, col_key, value, raw FROM cells WHERE version_id = ?", [version_id]):
        tables.setdefault(t, {}).setdefault(r, {})[c] = raw if raw is not None else value
    for t in _TABLES:
        known[t] = tables.get(t, {})
    known["checks"] = [
        {"rule": rule, "where": where, "ok": None if ok is None else bool(ok), "detail": detail}
        for rule, where, ok, detail in db.execute(
            "SELECT rule, location, ok, detail FROM checks WHERE version_id = ? ORDER BY seq", [version_id])]
    extra = json.loads(extra_json) if extra_json else {}
    return {k: known[k] if k in known else extra[k] for k in keys}


def current_records(db: Database):
    """Yield every report's current record (for exports and checks)."""
    for (report_id,) in db.execute("SELECT id FROM reports ORDER BY id").fetchall():
        yield get_record(db, report_id)

