"""The fast load paths write exactly what the one-by-one path writes (issue 12): batched loads, batched crawl
events, and m008's stored cell counts against counting the cells."""

from __future__ import annotations

import copy

import pytest
from sqlite_utils import Database
from storehelp import current_sums, due_by_deadline, expected_records, record, recounted_sums

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
        old = db.execute(f"SELECT * FROM ({due_by_deadline(SCORECARD_SQL)}) ORDER BY agency_id, year").fetchall()
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
                             [f'body : "{word}"']).fetchall()
            like = db.execute("SELECT id FROM sections WHERE body LIKE ? ORDER BY id", [f"%{word}%"]).fetchall()
            assert fts == like
            fts = db.execute("SELECT rowid FROM sections_fts WHERE sections_fts MATCH ? ORDER BY rowid",
                             [f'"{word}"']).fetchall()  # headings too (m013)
            like = db.execute("SELECT id FROM sections WHERE body LIKE ? OR heading LIKE ? ORDER BY id",
                              [f"%{word}%", f"%{word}%"]).fetchall()
            assert fts == like
        assert any(db.execute("SELECT 1 FROM sections_fts WHERE sections_fts MATCH '\"政府信息公开\"'"))
        assert db.execute("SELECT count(*) FROM temp.load_sections").fetchone()[0] == 0




def test_current_sums_follow_new_changed_reverted_and_reloaded_versions(tmp_path):
    """The sums the loader keeps (m009) are the sums of the current versions after every kind of load: new,
    unchanged, changed, back to an old version, a report loaded twice in one batch, a report without a year."""
    records = _records()
    no_year = copy.deepcopy(records[5])
    no_year["year"] = None
    edited = copy.deepcopy(records[3])
    edited["review_litigation"]["review"]["upheld"] = 41
    edited["applications"]["withheld_state_secret"]["total"] = 7
    with connect(tmp_path / "t.db") as db:
        load_records(db, [copy.deepcopy(r) for r in records] + [no_year], now=NOW, batch=4)
        first = current_sums(db)
        assert first == recounted_sums(db) and any(row[0] == 0 for row in first)
        load_records(db, [copy.deepcopy(r) for r in records], now=NOW, batch=5)  # all unchanged
        assert current_sums(db) == first
        load_record(db, copy.deepcopy(edited), now=NOW)
        changed = current_sums(db)
        assert changed != first and changed == recounted_sums(db)
        load_records(db, [copy.deepcopy(records[3]), copy.deepcopy(edited), copy.deepcopy(records[3])], now=NOW)
        assert current_sums(db) == first  # back to the first version, through the edit, within one batch




def test_a_source_that_corrects_its_agency_or_year_gives_its_report_a_new_version(tmp_path):
    """The page at one URL now names its agency right (甲市教育局 for 甲市教肓局), or its body read again gives another
    year (a parser fixed, `reparse`): it became a second report beside the first, both current, and every sum
    counted the page twice. One report, a new version, the sums and agency-years as if loaded right the first time.
    A fixed address that now serves the next year's report, or another agency's, is a report of its own."""
    url, body = "http://a.gov.cn/nb/latest.html", {"url": "http://a.gov.cn/nb/latest.html", "sha256": "b" * 64}
    cells = {"applications.new.total": 5, "review_litigation.review.upheld": 2}
    typo, right = record("甲市教肓局", 2020, "2021", cells), record("甲市教育局", 2020, "2021", cells)
    reread = record("甲市教育局", 2021, "2021", cells)  # the same body, its year read right this time
    other = record("乙县财政局", 2021, "2021", {"applications.new.total": 1})
    with connect(tmp_path / "fixed.db") as db, connect(tmp_path / "right.db") as fresh:
        load_record(db, copy.deepcopy(other), source_key="http://b.gov.cn/nb.html", now=NOW)
        first = load_record(db, copy.deepcopy(typo), body, source_key=url, now=NOW)
        fixed = load_record(db, copy.deepcopy(right), body, source_key=url, now=NOW)
        assert fixed.report_id == first.report_id and fixed.status == "changed"
        again = load_record(db, copy.deepcopy(reread), body, source_key=url, now=NOW)
        assert again.report_id == first.report_id and again.status == "changed"
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
        assert db.execute("SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id"
                          " WHERE r.source_key = ?", [url]).fetchall() == [("甲市教育局", 2021)]
        load_record(fresh, copy.deepcopy(other), source_key="http://b.gov.cn/nb.html", now=NOW)
        load_record(fresh, copy.deepcopy(reread), body, source_key=url, now=NOW)
        assert current_sums(db) == current_sums(fresh) == recounted_sums(db)
        years = "SELECT a.name, y.year FROM agency_years y JOIN agencies a ON a.id = y.agency_id ORDER BY 1, 2"
        assert db.execute(years).fetchall() == fresh.execute(years).fetchall()
        # the address's next report (another body, another year), and another agency's: reports of their own
        following = record("甲市教育局", 2022, "2021", {"applications.new.total": 7})
        assert load_record(db, following, {**body, "sha256": "c" * 64}, source_key=url, now=NOW).status == "new"
        assert load_record(db, copy.deepcopy(typo), now=NOW).status == "new"  # a source without a key
        # the address holds two reports now (2021, 2022); a reading of 2021 under a mended name is the first's
        misspelt = record("甲市教肓局", 2021, "2021", cells)
        later = load_record(db, misspelt, {**body, "sha256": "d" * 64}, source_key=url, now=NOW)
        assert (later.report_id, later.status) == (first.report_id, "changed")
        assert db.execute("SELECT count(*) FROM reports WHERE source_key = ?", [url]).fetchone()[0] == 2
        assert current_sums(db) == recounted_sums(db)

@pytest.mark.parametrize("first, then, same", [
    ("甲市教肓局", "甲市教育局", True), ("甲市人民政府办公厅关于", "甲市人民政府办公厅", True),
    ("甲市人民政府办公室", "甲市政府办公室", True), ("北京市东城区财政局", "北京市西城区财政局", False),
    ("某市第一中学", "某市第二中学", False), ("甲市教育局", "乙市教育局", False), ("某市教育局", "某市财政局", False)])
def test_a_file_path_loaded_again_is_the_same_report_only_under_a_mended_name(tmp_path, first, then, same):
    """A path `load` reads again (a file overwritten) holding a report of the same year: a new version when the
    agency's name is mended, another agency's report when it names a neighbour, alike in all but the character
    that tells them apart (东城区/西城区, 第一/第二中学, 甲市/乙市): that was taken for a typo, and the first
    agency's report became the second's."""
    path = str(tmp_path / "nb.pdf")
    with connect(tmp_path / "r.db") as db:
        a = load_record(db, record(first, 2020, "2021", {"applications.new.total": 5}), {"sha256": "a" * 64},
                        source_key=path, now=NOW)
        b = load_record(db, record(then, 2020, "2021", {"applications.new.total": 6}), {"sha256": "b" * 64},
                        source_key=path, now=NOW)
        assert (b.report_id == a.report_id, b.status) == ((True, "changed") if same else (False, "new"))
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == (1 if same else 2)


def _back_and_forth() -> list[dict]:
    """One report three times in one batch, back to its first content (its version current twice), and another
    whose cell goes from 0 to blank: the histories the property test (test_store_load_property) found the
    batched sums wrong on."""
    first = record("往返市教育局", 2020, "2021", {"applications.granted.total": 1, "review_litigation.review.upheld": 1})
    blank = record("往返市教育局", 2020, "2021", {})
    zero = record("归零县财政局", 2021, "2021", {"applications.new.total": 0})
    return [first, blank, copy.deepcopy(first), zero, record("归零县财政局", 2021, "2021", {})]


def test_current_sums_when_a_batch_makes_a_version_current_twice_or_takes_a_number_back(tmp_path):
    with connect(tmp_path / "one.db") as one, connect(tmp_path / "many.db") as many:
        for rec in _back_and_forth():
            load_record(one, copy.deepcopy(rec), now=NOW)
        load_records(many, _back_and_forth(), now=NOW)
        assert current_sums(many) == current_sums(one) == recounted_sums(many)
        rows = {(r[0], r[2], r[3]): r for r in current_sums(many) if r[1] == "review_litigation" or r[2] == "new"}
        assert rows[2020, "review", "*"][4] == 1  # the report's row counted once, as current once
        assert rows[2021, "new", ""][5:7] == (0, None)  # no number: no total, not 0


def test_m014_recounts_the_sums_an_older_loader_got_wrong(tmp_path, monkeypatch):
    """The loader before m014 (moves not netted) is reproduced on a database stopped before m014; opening it
    recounts the sums."""
    from govreports.store import children
    from govreports.store.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m014_current_sums_recounted")
    old.execute("ALTER TABLE report_versions ADD COLUMN undated_sha TEXT")  # today's loader writes it (m022)
    with monkeypatch.context() as patched:
        patched.setattr(children, "net_moves", lambda moves: moves)
        load_records(old, _back_and_forth(), now=NOW)
    assert current_sums(old) != recounted_sums(old)  # what the old loader wrote
    old.close()
    with connect(path) as db:
        assert current_sums(db) == recounted_sums(db)
        assert "m014_current_sums_recounted" in [m.name for m in migrations.applied(db)]

def test_refusals_and_outcomes_over_every_agency_match_the_per_report_figures(tmp_path):
    """Over every agency the two analyses read current_sums; for one agency they read the reports' rows. With
    every report under one agency both must give the same rows, for every year and for none."""
    from govreports.query.analyses import run_analysis

    records = []
    for i, r in enumerate(_records()):
        r = copy.deepcopy(r)
        r["agency"] = "丁县财政局"
        r.setdefault("source", {})["url"] = f"http://d.example/{i}.html"
        records.append(r)
    with connect(tmp_path / "t.db") as db:
        load_records(db, records, now=NOW, batch=4)
    path = tmp_path / "t.db"
    for name in ("refusals", "outcomes"):
        for year in (None, 2019, 2020, 2021):
            every = run_analysis(path, name, year=year).rows
            one = run_analysis(path, name, agency="丁县财政局", year=year).rows
            assert every == one, (name, year)
        assert any(row[4] for row in run_analysis(path, name).rows)  # not all zeros and nulls
