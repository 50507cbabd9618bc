"""The fast load paths write exactly what the one-by-one path writes (issue 12): batched loads, batched crawl
events, and m008's stored cell counts against counting the cells."""

from __future__ import annotations

import copy

from sqlite_utils import Database
from storehelp import expected_records, record

from govreports.crawl.events import Doc, Failed, Listed, Read, Unchanged, apply, apply_events
from govreports.crawl.stats import PortalStats
from govreports.demo.records import make_record
from govreports.store import connect, load_record
from govreports.store.load import load_records
from govreports.store.migrations import COUNT_CELLS_SQL, COUNT_FACTS_SQL, SCORECARD_SQL

NOW = "2026-01-01T00:00:00+00:00"
TABLES = ("agencies", "documents", "reports", "report_versions", "sections", "cells", "row_totals", "checks", "items",
          "fetch_log")


def _records() -> list[dict]:
    records = list(expected_records().values())
    records += [make_record(3, f"测试市第{i}局", 2019 + i % 5, checks=True) for i in range(12)]
    changed = copy.deepcopy(records[-1])
    changed["applications"]["new"]["total"] = 12345
    return records + [records[0], changed, records[-1]]  # unchanged, changed, and back to version 1


def _dump(db: Database) -> dict:
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def test_batched_load_writes_what_one_by_one_writes(tmp_path):
    records = _records()
    with connect(tmp_path / "one.db") as one, connect(tmp_path / "many.db") as many:
        singles = [load_record(one, copy.deepcopy(r), now=NOW) for r in records]
        batched = load_records(many, [copy.deepcopy(r) for r in records], now=NOW, batch=4)
        assert batched == singles
        assert [r.status for r in batched[-3:]] == ["unchanged", "changed", "changed"]
        assert _dump(many) == _dump(one)
        assert many.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # checked again after the loader's batch
        assert many.execute("PRAGMA foreign_key_check").fetchall() == []


def _doc(url: str) -> Doc:
    return Doc(url=url, final_url=url, ok=True, not_modified=False, status=200, sha256=url.encode().hex()[-64:],
               archive_path=None, etag=None, last_modified=None, headers={}, content_type="text/html",
               encoding="utf-8", fetched_at=NOW)


def _events() -> list:
    out: list = []
    for i, rec in enumerate(_records()):
        url = f"http://a.example/{i}.html"
        listing = Listed(url=url, title=rec.get("title") or "", list_date=None, year=rec.get("year"))
        out.append(Read(listing=listing, record=rec, source=_doc(url), page=_doc(url), attachment_url=None))
        if i % 5 == 0:
            out.append(Failed(f"http://a.example/{i}.pdf", 404, "http", "http 404"))
        if i % 7 == 0:
            out.append(Unchanged(listing))
    repost = record("乙县财政局", 2020, "2021", {"applications.new.total": 3})
    for url in ("http://a.example/x.html", "http://a.example/y.html"):  # the second is a duplicate of the first
        out.append(Read(Listed(url, repost["title"], None, 2020), repost, _doc(url), _doc(url), None))
    return out


def test_batched_events_write_and_count_what_one_by_one_does(tmp_path, monkeypatch):
    import govreports.clock
    import govreports.store.documents
    import govreports.store.load
    import govreports.store.logs

    for module in (govreports.clock, govreports.store.documents, govreports.store.load, govreports.store.logs):
        if hasattr(module, "now_iso"):
            monkeypatch.setattr(module, "now_iso", lambda: NOW)
    one_stats, many_stats = PortalStats("a"), PortalStats("a")
    with connect(tmp_path / "one.db") as one, connect(tmp_path / "many.db") as many:
        for event in _events():
            apply(one, "a", event, one_stats)
        apply_events(many, "a", _events(), many_stats, batch=6)
        assert _dump(many) == _dump(one)
    assert many_stats == one_stats
    assert many_stats.duplicate >= 1 and many_stats.new > 0


def test_m008_counts_match_the_cells_and_the_scorecard_is_unchanged(tmp_path):
    records = _records()[:10] + [make_record(4, "丁县财政局", 2021, checks=True)]
    records[0]["applications"]["new"]["total"] = None
    records[-1]["checks"][0].update(ok=False)
    records[-1]["checks"][2].update(ok=False)
    with connect(tmp_path / "t.db") as db:
        load_records(db, records)
        counted = db.execute(
            "SELECT v.id, count(*), sum(c.value IS NULL AND c.raw IS NULL) FROM report_versions v"
            " JOIN cells c ON c.version_id = v.id AND c.col_key != 'amount_unit' GROUP BY v.id").fetchall()
        stored = "SELECT id, table_cells, blank_cells FROM report_versions WHERE table_cells > 0 ORDER BY id"
        assert db.execute(stored).fetchall() == counted
        facts = "SELECT id, rules_failed, rules_ok, sections_present FROM report_versions ORDER BY id"
        loaded = db.execute(facts).fetchall()
        assert {r[1] for r in loaded} > {None} and {r[2] for r in loaded} >= {0, 1}
        db.execute("UPDATE report_versions SET table_cells = NULL, blank_cells = NULL, rules_failed = NULL,"
                   " rules_ok = NULL, sections_present = NULL")
        db.execute(COUNT_CELLS_SQL)  # what m008 runs on a database loaded before it
        db.execute(COUNT_FACTS_SQL)
        assert db.execute(stored).fetchall() == counted
        assert db.execute(facts).fetchall() == loaded
        view = db.execute("SELECT * FROM scorecard ORDER BY agency_id, year").fetchall()
        old = db.execute(f"SELECT * FROM ({SCORECARD_SQL}) ORDER BY agency_id, year").fetchall()
        assert view == old and any(row[-2] for row in view)  # as m006 computed it, blank_share and all


def test_batched_sections_are_all_indexed_for_search(tmp_path):
    """Sections go in through a staging table, one statement per batch: the trigram index still holds every one
    (FTS5's integrity check compares it with the sections table) and finds what LIKE finds."""
    records = _records()
    with connect(tmp_path / "t.db") as db:
        load_records(db, [copy.deepcopy(r) for r in records], now=NOW, batch=4)
        db.execute("INSERT INTO sections_fts(sections_fts, rank) VALUES ('integrity-check', 1)")
        for word in ("政府信息公开", "行政复议", "依申请公开"):
            fts = db.execute("SELECT rowid FROM sections_fts WHERE sections_fts MATCH ? ORDER BY rowid",
                             [f'"{word}"']).fetchall()
            like = db.execute("SELECT id FROM sections WHERE body LIKE ? ORDER BY id", [f"%{word}%"]).fetchall()
            assert fts == like
        assert any(db.execute("SELECT 1 FROM sections_fts WHERE sections_fts MATCH '\"政府信息公开\"'"))
        assert db.execute("SELECT count(*) FROM temp.load_sections").fetchone()[0] == 0
