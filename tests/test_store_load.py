"""Loading canonical records: round trips, idempotency, versioning, identity, migrations."""

from __future__ import annotations

import copy

import pytest
from sqlite_utils import Database

from govreports import schema
from govreports.store import connect, get_record, load_record, schema_version
from govreports.store.migrations import latest_version, migrations, view_column, wide_columns
from govreports.demo.records import make_record
from storehelp import KNOWN, expected_records

SAMPLES = expected_records()
TABLES = ["agencies", "documents", "reports", "report_versions", "sections", "cells", "row_totals", "checks"]


@pytest.fixture
def db(tmp_path):
    with connect(tmp_path / "t.db") as database:
        yield database


def counts(db) -> dict:
    return {t: db[t].count for t in TABLES}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_expected_sample_round_trips_through_tables(db, name):
    record = SAMPLES[name]
    result = load_record(db, record)
    assert result.status == "new"
    assert result.cells == len(list(schema.iter_cells(record))) == db["cells"].count
    assert get_record(db, result.report_id) == record


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_wide_views_give_back_every_cell(db, name):
    record = SAMPLES[name]
    load_record(db, record)
    columns = wide_columns()
    for table in ("active", "applications", "review_litigation"):
        rows = {r["row_key"]: r for r in db.view(f"{table}_wide").rows}
        assert set(rows) == set(record[table])
        for row_key, cols in record[table].items():
            assert {c: rows[row_key][view_column(c)] for c in cols} == cols  # published: new_published (m007)
            assert all(rows[row_key][view_column(c)] is None for c in columns[table] if c not in cols)
    assert rows["review"]["row_label"] == "行政复议"


def test_full_record_round_trips_with_types_checks_and_unknown_keys(db):
    record = make_record(1, "某市某局", 2020, checks=True)  # format 2019
    record["active"]["fees"]["change"] = -2
    record["active"]["procurement"]["amount"] = 4068.208
    record["active"]["procurement"]["amount_unit"] = "万元"
    record["applications"]["granted"]["research"] = None
    record["checks"][0]["ok"] = False
    record["checks"][1]["ok"] = None
    record["future_key"] = {"x": [1, 2]}
    record["source"] = {"url": "http://example.gov.cn/a.html", "fetched_at": "2024-01-02T03:04:05+00:00"}
    result = load_record(db, record)
    back = get_record(db, result.report_id)
    expected = {k: v for k, v in record.items() if k != "source"}
    assert back == expected
    assert list(back) == list(expected)
    amount = back["active"]["procurement"]["amount"]
    assert isinstance(amount, float) and amount == 4068.208
    assert isinstance(back["applications"]["new"]["total"], int)
    assert [c["ok"] for c in back["checks"][:3]] == [False, None, True]


def test_identical_load_leaves_database_unchanged(db):
    records = list(SAMPLES.values())
    for r in records:
        load_record(db, r)
    before_counts, before_dump = counts(db), list(db.conn.iterdump())
    results = [load_record(db, copy.deepcopy(r), now="2099-01-01T00:00:00+00:00") for r in records]
    assert [r.status for r in results] == ["unchanged"] * len(records)
    assert counts(db) == before_counts
    assert list(db.conn.iterdump()) == before_dump


def test_volatile_keys_do_not_make_a_new_version(db):
    record = SAMPLES["000_dc3a28ed7fcc2bfa"]
    first = load_record(db, record)
    again = load_record(db, {**record, "_notes": "other notes", "source": {"fetched_at": "2030-01-01"}})
    assert again.status == "unchanged" and again.version_id == first.version_id


def test_changed_record_gives_new_version_and_keeps_old(db):
    old = SAMPLES["02_shanghai_szfbgt_2019_fragment"]
    first = load_record(db, old, now="2024-01-01T00:00:00+00:00")
    new = copy.deepcopy(old)
    new["applications"]["new"]["natural_person"] = 822
    new["applications"]["new"]["total"] = 860
    second = load_record(db, new, now="2024-02-01T00:00:00+00:00")
    assert second.status == "changed"
    assert second.report_id == first.report_id and second.version_id != first.version_id
    assert db["reports"].count == 1
    assert [(v["version"], v["loaded_at"]) for v in db["report_versions"].rows] == [
        (1, "2024-01-01T00:00:00+00:00"), (2, "2024-02-01T00:00:00+00:00")]
    report = db["reports"].get(first.report_id)
    assert report["current_version_id"] == second.version_id
    assert (report["first_seen"], report["last_seen"]) == ("2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")
    assert get_record(db, first.report_id) == new
    assert get_record(db, version_id=first.version_id) == old  # old cells kept
    assert db["cells"].count == 2 * first.cells
    wide = {r["row_key"]: r for r in db.view("applications_wide").rows}
    assert wide["new"]["total"] == 860  # views show the current version only

    back = load_record(db, old)  # the portal reverts its edit: current points at version 1 again
    assert (back.status, back.version_id) == ("changed", first.version_id)
    assert db["report_versions"].count == 2


def test_a_scan_read_less_far_does_not_replace_a_fuller_reading_of_the_same_file(db):
    """OCR stops at its time bound on a busy machine: a reparse (or a night's crawl re-reading a scan) read 1 of 2
    pages of a file read whole before, and that reading, with half its cells, became the current version until a
    later night read the file whole again. A reading of the same file that got less far now leaves the current
    version as it is; one that gets further, or of a new file, is loaded as before."""
    whole = copy.deepcopy(SAMPLES["02_shanghai_szfbgt_2019_fragment"])
    whole["ocr_pages"] = "2/2"
    scan = {"url": "http://a.gov.cn/scan.pdf", "sha256": "ab" * 32, "media_type": "application/pdf"}
    first = load_record(db, whole, document=scan)
    half = copy.deepcopy(whole)
    half["ocr_pages"] = "1/2"
    del half["review_litigation"]  # the page OCR did not reach
    kept = load_record(db, half, document=scan)
    assert (kept.status, kept.version_id) == ("unchanged", first.version_id)
    assert db["reports"].get(first.report_id)["current_version_id"] == first.version_id
    assert db["report_versions"].count == 1
    new_file = load_record(db, half, document={**scan, "sha256": "cd" * 32})  # the portal replaced the scan
    assert new_file.status == "changed" and new_file.version_id != first.version_id
    further = copy.deepcopy(whole)
    further["ocr_pages"] = "2/2"
    assert load_record(db, further, document={**scan, "sha256": "cd" * 32}).status == "changed"


def test_agency_spellings_share_one_row_and_region(db):
    r1 = load_record(db, {**SAMPLES["02_shanghai_szfbgt_2019_fragment"]})
    r2 = load_record(db, {**SAMPLES["02_shanghai_szfbgt_2019_fragment"], "agency": "上海市人民政府 辦公廳", "year": 2020})
    assert db["agencies"].count == 1
    agency = next(db["agencies"].rows)
    assert (agency["name"], agency["region"]) == ("上海市人民政府办公厅", "上海市")
    assert get_record(db, r2.report_id)["agency"] == "上海市人民政府 辦公廳"  # as written, per version
    assert r1.report_id != r2.report_id
    load_record(db, SAMPLES["000_dc3a28ed7fcc2bfa"])
    mudanjiang = db["agencies"].get(2)  # 牡丹江市科学技术局: the city's province comes from the gazetteer
    assert (mudanjiang["region"], mudanjiang["province"], mudanjiang["kind"]) == ("黑龙江省/牡丹江市", "黑龙江省",
                                                                                 "department")


def test_source_document_is_part_of_identity(db):
    record = SAMPLES["000_dc3a28ed7fcc2bfa"]
    doc = {"url": "http://a.gov.cn/1.html", "sha256": "ab" * 32, "media_type": "text/html"}
    first = load_record(db, record, document=doc)
    assert load_record(db, record, document=doc).status == "unchanged"
    other = load_record(db, record, document={**doc, "url": "http://mirror.example/1.html"})
    assert other.status == "new" and other.report_id != first.report_id
    assert db["documents"].count == 2
    report = db["reports"].get(first.report_id)
    assert report["source_key"] == "http://a.gov.cn/1.html"
    assert db["documents"].get(report["document_id"])["media_type"] == "text/html"


def test_schema_version_recorded_and_old_database_upgraded(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_search_labels_views")
    assert "sections_fts" not in old.table_names() and "labels" not in old.table_names()
    old.close()
    with connect(path) as db:
        assert schema_version(db) == latest_version() == 31
        assert [m.name for m in migrations.applied(db)] == ["m001_tables", "m002_search_labels_views", "m003_crawl",
                                                            "m004_failure_kinds_and_portal_runs", "m005_portal_health",
                                                            "m006_published_source_regions_scorecard",
                                                            "m007_unambiguous_names_report_flat",
                                                            "m008_version_facts", "m009_current_sums",
                                                            "m010_cell_keys", "m011_agency_years", "m012_short_words",
                                                            "m013_headings_in_search_index",
                                                            "m014_current_sums_recounted", "m015_check_keys",
                                                            "m016_streamed_views", "m017_run_outcome",
                                                            "m018_report_titles", "m019_left_out",
                                                            "m020_known_reports_of_failed_items", "m021_reports_by_source",
                                                            "m022_undated_version_hash",
                                                            "m023_doubled_reports_merged", "m024_blanks_over_the_form",
                                                            "m025_years_due_by_their_deadline",
                                                            "m026_listing_order_index_holds_kind",
                                                            "m027_undated_hash_of_older_versions",
                                                            "m028_late_missing_counts",
                                                            "m029_partition_counts", "m030_kept_counts",
                                                            "m031_due_in_china_time"]
        assert {"sections_fts", "labels"} <= set(db.table_names())
        assert "applications_wide" in db.view_names()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {"items", "runs"} <= set(db.table_names()) and "etag" in db["documents"].columns_dict
    with connect(path) as db:
        assert schema_version(db) == latest_version()  # reopening applies nothing


def test_document_media_type_comes_from_the_kind_the_parser_read(tmp_path):
    from govreports.store.load import document_from_path

    path = tmp_path / "report.doc"  # RTF is often served as .doc: the kind read names it, not the suffix
    path.write_bytes(b"{\\rtf1 }")
    assert document_from_path(path, "rtf")["media_type"] == "application/rtf"
    assert document_from_path(path, "doc")["media_type"] == "application/msword"
    assert document_from_path(path)["media_type"] == "application/msword"


def test_m010_moves_every_cell_and_the_loader_adds_keys_it_has_not_seen(tmp_path):
    """cells (m010) reads back what was stored before it as a table, and a cell key no format has is stored too."""
    record = make_record(2, "某市某局", 2022, checks=True)
    record["applications"]["new"]["future_column"] = 7  # a key the schema does not know
    with connect(tmp_path / "new.db") as db:
        result = load_record(db, copy.deepcopy(record))
        assert get_record(db, result.report_id) == record
        rows = db.execute("SELECT * FROM cells ORDER BY version_id, table_name, row_key, col_key").fetchall()
        assert ("applications", "new", "future_column") in {r[2:5] for r in rows}
    old = Database(tmp_path / "old.db")
    migrations.apply(old, stop_before="m010_cell_keys")
    old.execute("PRAGMA foreign_keys = OFF")
    old.conn.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    old.conn.execute("INSERT INTO report_versions (id, report_id, version, sha256, loaded_at, record_keys)"
                     " VALUES (1, 1, 1, 'x', 'now', '[]')")
    old.conn.commit()
    old.close()
    with connect(tmp_path / "old.db") as db:
        assert db.execute("SELECT * FROM cells ORDER BY version_id, table_name, row_key, col_key").fetchall() == rows
        assert "cells" in db.view_names() and "cell_values" in db.table_names()


def test_m015_moves_every_check_and_the_loader_adds_keys_it_has_not_seen(tmp_path):
    """checks (m015) reads back what was stored before it as a table, a location-less check and a rule no report
    had included; the failed-check index holds the failed checks only."""
    record = make_record(2, "某市某局", 2022, checks=True)
    record["checks"] += [{"rule": "R9", "where": None, "ok": False, "detail": "a check of a later parser"},
                         {"rule": "R1", "where": "applications.unheard_of", "ok": None, "detail": "null = null"}]
    with connect(tmp_path / "new.db") as db:
        result = load_record(db, copy.deepcopy(record))
        assert get_record(db, result.report_id) == record
        rows = db.execute("SELECT * FROM checks ORDER BY version_id, seq").fetchall()
        assert rows[-2:] == [(1, 1, len(record["checks"]) - 2, "R9", None, 0, "a check of a later parser"),
                             (1, 1, len(record["checks"]) - 1, "R1", "applications.unheard_of", None, "null = null")]
    old = Database(tmp_path / "old.db")
    migrations.apply(old, stop_before="m015_check_keys")
    old.execute("PRAGMA foreign_keys = OFF")
    old.conn.executemany("INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                         rows + [(2, 1, 0, "R9", None, 1, "the same key again")])
    old.conn.executemany("INSERT INTO report_versions (id, report_id, version, sha256, loaded_at, record_keys)"
                         " VALUES (?, 1, ?, ?, 'now', '[]')", [(1, 1, "x"), (2, 2, "y")])
    old.conn.commit()
    old.close()
    with connect(tmp_path / "old.db") as db:
        assert db.execute("SELECT * FROM checks ORDER BY version_id, seq").fetchall() == \
            rows + [(2, 1, 0, "R9", None, 1, "the same key again")]
        assert "checks" in db.view_names() and "check_values" in db.table_names()
        keys = db.execute("SELECT rule, location FROM check_keys").fetchall()
        assert len(keys) == len(set(keys)) == len({r[3:5] for r in rows})  # one key for R9 without a location
        failed = sum(1 for r in rows if r[5] == 0)
        assert failed and db.execute("SELECT count(*) FROM check_values INDEXED BY check_values_failed"
                                     " WHERE ok = 0").fetchone()[0] == failed
        assert [(r[1], r[4]) for r in db.execute("PRAGMA index_list(check_values)")
                if r[1] == "check_values_failed"] == [("check_values_failed", 1)]  # partial


def test_rule_failures_reads_failed_checks_through_their_index(tmp_path):
    """The analysis seeks a version's failed checks (m015's partial index) rather than reading all of its checks
    or materialising every failed check of the database first (either is seconds at national scale)."""
    from govreports.query.analyses import ANALYSES, run_analysis

    records = [make_record(i, f"测试市第{i}局", 2021, checks=True) for i in range(4)]
    records[1]["checks"][0].update(ok=False)
    records[3]["checks"][5].update(ok=False)
    with connect(tmp_path / "t.db") as db:
        for r in records:
            load_record(db, copy.deepcopy(r))
        plan = " | ".join(row[-1] for row in db.execute(
            "EXPLAIN QUERY PLAN " + ANALYSES["rule_failures"].sql, {"agency": "", "year": "", "rule": ""}))
        expected = {(agency, rules, n, example) for agency, rules, n, example in db.execute(
            "SELECT agency, group_concat(DISTINCT rule), count(*), min(location || ': ' || detail) FROM"
            " (SELECT * FROM current_checks WHERE ok = 0 ORDER BY rule) GROUP BY report_id")}
    assert "check_values_failed (ok=? AND version_id=?)" in plan and "MATERIALIZE" not in plan
    found = run_analysis(tmp_path / "t.db", "rule_failures").rows
    assert {(r[0], r[3], r[4], r[5]) for r in found} == expected
    assert sorted(r[0] for r in found) == ["测试市第1局", "测试市第3局"]


def test_a_re_post_dated_by_its_list_entry_is_a_duplicate(tmp_path):
    """A re-post whose page gives no date takes its list entry's, which differs from portal to portal: its version
    hash differed, and it was loaded as a second report of the agency's year, counted twice by every sum. The
    content, its date aside, decides; a report that differs otherwise is loaded."""
    import copy

    first = copy.deepcopy(KNOWN[0])
    first["published"] = "2021-01-20"
    repost = {**copy.deepcopy(first), "published": "2021-02-03"}
    edited = copy.deepcopy(repost)
    edited["applications"]["new"]["total"] = 99
    with connect(tmp_path / "r.db") as db:
        original = load_record(db, first, source_key="http://city.gov.cn/nb/1.html", dedupe=True)
        again = load_record(db, repost, source_key="http://dept.gov.cn/nb/9.html", dedupe=True)
        assert again.status == "duplicate" and again.report_id == original.report_id
        assert load_record(db, edited, source_key="http://other.gov.cn/nb/3.html", dedupe=True).status == "new"
        assert db.execute("SELECT published FROM reports WHERE id = ?", [original.report_id]).fetchone() == (
            "2021-01-20",)


def test_a_copy_of_a_report_s_earlier_version_is_a_duplicate_once_the_report_was_corrected(tmp_path):
    """The same report saved as two files (a.html, its copy b.html), loaded: b is a duplicate. Then a.html is
    corrected and both are loaded again: a's report gets its new version, and b, still the report as it was, was
    loaded as a second report of the agency's year (only the current version was compared), counted twice by every
    sum from then on. A copy of any version of a report is that report; the report keeps its corrected version."""
    first = copy.deepcopy(KNOWN[0])
    corrected = copy.deepcopy(first)
    corrected["applications"]["new"]["total"] = 13
    with connect(tmp_path / "r.db") as db:
        original = load_record(db, first, source_key="/data/a.html", dedupe=True)
        assert load_record(db, copy.deepcopy(first), source_key="/data/b.html", dedupe=True).status == "duplicate"
        changed = load_record(db, corrected, source_key="/data/a.html", dedupe=True)
        assert changed.status == "changed" and changed.report_id == original.report_id
        again = load_record(db, copy.deepcopy(first), source_key="/data/b.html", dedupe=True)
        assert (again.status, again.report_id, again.version_id) == ("duplicate", original.report_id,
                                                                     changed.version_id)
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (1,)
        assert get_record(db, original.report_id)["applications"]["new"]["total"] == 13
        # a re-post dated by its list entry, of the version before: the same
        repost = {**copy.deepcopy(first), "published": "2021-03-01"}
        assert load_record(db, repost, source_key="http://other.gov.cn/nb/2.html", dedupe=True).status == \
            "duplicate"


def _dump(db) -> list:
    """Every row of every table (the file's content as the loader leaves it)."""
    names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                      " AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%'")]
    return [(n, db.execute(f"SELECT * FROM [{n}]").fetchall()) for n in sorted(names)]


def test_a_file_that_now_holds_a_copy_of_another_report_no_longer_counts_its_old_one(tmp_path):
    """a.html holds report X, b.html another report Y of the same agency-year (two editions: `doubled` lists them).
    b.html is then overwritten with a.html's bytes: b is a duplicate of X, but Y stayed current, and the agency's
    year was still counted twice by every sum and listed by `doubled`. Y is no longer current (its versions are
    kept: b.html holding Y again makes it current again); loading again changes nothing."""
    from govreports.query.analyses import run_analysis
    from storehelp import recounted_sums

    x = copy.deepcopy(KNOWN[0])
    y = copy.deepcopy(KNOWN[0])
    y["applications"]["new"]["total"] = 40
    with connect(tmp_path / "r.db") as db:
        first = load_record(db, x, source_key="/data/a.html", dedupe=True)
        second = load_record(db, y, source_key="/data/b.html", dedupe=True)
        assert second.status == "new" and len(run_analysis(tmp_path / "r.db", "doubled").rows) == 2
        copied = load_record(db, copy.deepcopy(x), source_key="/data/b.html", dedupe=True)
        assert (copied.status, copied.report_id) == ("duplicate", first.report_id)
        assert db.execute("SELECT current_version_id FROM reports WHERE id = ?", [second.report_id]
                          ).fetchone() == (None,)
        assert db.execute("SELECT count(*) FROM report_versions WHERE report_id = ?", [second.report_id]
                          ).fetchone() == (1,)
        assert run_analysis(tmp_path / "r.db", "doubled").rows == []
        assert db.execute("SELECT reports, total FROM current_sums WHERE table_name = 'applications' AND row_key = 'new'"
                          " AND col_key = '' AND year = 2020").fetchone() == (1, 12)
        assert current_sums_match(db, recounted_sums(db))
        assert db.execute("SELECT report_id FROM agency_years WHERE year = 2020").fetchall() == [(first.report_id,)]
        before = _dump(db)
        again = load_record(db, copy.deepcopy(x), source_key="/data/b.html", dedupe=True)
        assert (again.status, again.report_id) == ("duplicate", first.report_id) and _dump(db) == before
        restored = load_record(db, copy.deepcopy(y), source_key="/data/b.html", dedupe=True)
        assert (restored.status, restored.report_id, restored.version_id) == ("changed", second.report_id,
                                                                             second.version_id)
        assert len(run_analysis(tmp_path / "r.db", "doubled").rows) == 2
        assert current_sums_match(db, recounted_sums(db))


def test_a_reused_path_that_now_holds_a_copy_of_another_agency_s_report_keeps_its_old_report(tmp_path):
    """A path that served one agency's report and now a copy of another agency's (or another year's): the old
    report is a report of its own, as when the path serves a report loaded nowhere else; it stays current."""
    with connect(tmp_path / "r.db") as db:
        first = load_record(db, copy.deepcopy(KNOWN[0]), source_key="/data/a.html", dedupe=True)
        other = load_record(db, copy.deepcopy(KNOWN[2]), source_key="/data/b.html", dedupe=True)
        assert load_record(db, copy.deepcopy(KNOWN[0]), source_key="/data/b.html", dedupe=True).report_id == \
            first.report_id
        assert db.execute("SELECT current_version_id FROM reports WHERE id = ?", [other.report_id]).fetchone() == (
            other.version_id,)


def current_sums_match(db, recounted) -> bool:
    from storehelp import current_sums

    return current_sums(db) == recounted
