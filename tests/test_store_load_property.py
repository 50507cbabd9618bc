"""The batched loader over random histories: what one-by-one loading writes, and every kept summary exact.

A national load goes through `load_records` (a batch per transaction, child rows written at the batch's end, the
per-year sums of m009 and the agency-years of m011 kept in the same transaction). Its fixed-sequence tests cover
the cases someone thought of; here hypothesis draws the histories: a few reports (agencies under two spellings of
one name, a report without a year, two source pages), each loaded again and again with edited cells (absurd
counts and texts included), sections, dates and formats, going back to old content, several times within one
batch, with and without the crawler's re-post check. After every history:
- the batched database holds exactly the rows the one-by-one loader wrote, and the same results came back;
- each report's current version reads back as the record last loaded for it;
- current_sums, agency_years and each version's counted facts (m008) equal their recount from scratch, and the
  scorecard and late views answer as m008's view computed from the reports; the search index holds the sections.
"""

from __future__ import annotations

import copy
import hashlib
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storehelp import current_sums, record, recounted_sums

from govreports.store import connect, get_record, load_record
from govreports.store.cell_rows import CELL_INT_LIMIT
from govreports.store.load import load_records
from govreports.store.migrations import COUNT_FACTS_SQL, recount_form_blanks
from govreports.store.migrations.agency_years import rebuild_agency_years
from test_agency_years import _assert_same as assert_scorecard_as_m008
from test_store_speed_shape import NOW, _dump

# (agency as written, year, source page): 甲 twice under one normalised name (full-width space), one without a year
IDENTITIES = [("甲市教育局", 2020, "http://a.example/1.html"), ("甲市　教育局", 2020, "http://a.example/1.html"),
              ("甲市教育局", 2021, "http://a.example/2.html"), ("乙县财政局", None, "http://b.example/1.html"),
              ("乙县财政局", 2020, None), ("甲市教育局", 2020, "http://a.example/3.html")]
CELLS = ["applications.new.total", "applications.granted.total", "applications.withheld_state_secret.total",
         "review_litigation.review.upheld", "review_litigation.review.total"]
values = st.one_of(st.none(), st.integers(0, 30), st.sampled_from([10**13, "12件", 2.5]))
any_content = st.fixed_dictionaries({
    "format": st.sampled_from(["2021", "2019"]),
    "cells": st.dictionaries(st.sampled_from(CELLS), values, max_size=3),
    "section": st.sampled_from([None, "本年度开展政务公开培训。", "行政复议案件2件。"]),
    "published": st.sampled_from([None, "2021-01-20", "2021-03-05"]),
})
# a few contents recur, so that a report goes back to content it had and a re-post repeats another's content
_EMPTY = {"format": "2021", "cells": {}, "section": None, "published": None}
POOL = [_EMPTY, {**_EMPTY, "cells": {CELLS[0]: 0, CELLS[3]: 1}, "section": "本年度开展政务公开培训。"},
        {**_EMPTY, "cells": {CELLS[0]: 10**13, CELLS[1]: "12件", CELLS[4]: 2.5}, "published": "2021-01-20"},
        {**_EMPTY, "format": "2019", "cells": {CELLS[1]: 3}, "section": "行政复议案件2件。"}]
contents = st.one_of(st.sampled_from(POOL), st.sampled_from(POOL), any_content)
loads = st.lists(st.tuples(st.integers(0, len(IDENTITIES) - 1), contents), min_size=1, max_size=14)


def _record(identity: int, content: dict) -> tuple[dict, dict | None]:
    agency, year, url = IDENTITIES[identity]
    rec = record(agency, year or 2020, content["format"], content["cells"],
                 sections={"1": content["section"]} if content["section"] else None)
    rec["year"], rec["published"] = year, content["published"]
    rec["published_source"] = "meta" if content["published"] else None
    return rec, ({"url": url} if url else None)


def _readable(rec: dict) -> dict:
    """What the store gives back for a record: a count past CELL_INT_LIMIT as written."""
    out = copy.deepcopy(rec)
    for table in ("active", "applications", "review_litigation"):
        for cols in out[table].values():
            for col, value in cols.items():
                if type(value) is int and abs(value) > CELL_INT_LIMIT:
                    cols[col] = str(value)
    return out


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """An empty database with every migration applied, copied for each history (migrating costs more than it)."""
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    with connect(path):
        pass
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=loads, batch=st.integers(1, 5), dedupe=st.booleans())
def test_batches_write_what_one_by_one_loading_writes(tmp_path_factory, empty, history, batch, dedupe):
    tmp = tmp_path_factory.mktemp("hist")
    pairs = [_record(i, c) for i, c in history]
    shutil.copy(empty, tmp / "one.db")
    shutil.copy(empty, tmp / "many.db")
    with connect(tmp / "one.db") as one, connect(tmp / "many.db") as many:
        singles = [load_record(one, copy.deepcopy(r), d, now=NOW, dedupe=dedupe) for r, d in pairs]
        batched = load_records(many, [(copy.deepcopy(r), d) for r, d in pairs], now=NOW, batch=batch, dedupe=dedupe)
        assert batched == singles
        assert _dump(many) == _dump(one)
        for table in ("current_sums", "agency_years", "cell_values", "cell_keys"):
            assert many.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() == \
                one.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall(), table

        last, withdrawn = {}, set()
        for (rec, _), result in zip(pairs, batched):
            if result.status != "duplicate":
                last[result.report_id] = rec
                withdrawn.discard(result.report_id)  # its source holds it again
            for report_id in result.withdrawn:  # its source now holds a copy of another report
                last.pop(report_id, None)
                withdrawn.add(report_id)
        for report_id in withdrawn:
            assert get_record(many, report_id) is None, report_id
        for report_id, rec in last.items():
            back = get_record(many, report_id)
            want = _readable(rec)
            for key in ("title", "year", "format", "published", "sections", "active", "applications",
                        "review_litigation"):
                assert back[key] == want[key], (report_id, key)

        assert current_sums(many) == recounted_sums(many)
        assert_scorecard_as_m008(many)  # the views over agency_years answer as m008's view computed from reports
        kept = many.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall()
        facts = ("SELECT id, table_cells, blank_cells, rules_failed, rules_ok, sections_present FROM report_versions"
                 " ORDER BY id")
        stored = many.execute(facts).fetchall()
        many.conn.execute("SAVEPOINT rebuild")
        rebuild_agency_years(many.conn)
        assert many.execute("SELECT * FROM agency_years ORDER BY agency_id, year").fetchall() == kept
        many.execute("UPDATE report_versions SET table_cells = NULL, blank_cells = NULL, rules_failed = NULL,"
                     " rules_ok = NULL, sections_present = NULL")
        recount_form_blanks(many.conn)  # m024's count of each version's blanks over its form, from its rows
        many.execute(COUNT_FACTS_SQL)  # m008's count of its other facts
        assert many.execute(facts).fetchall() == stored
        many.conn.execute("ROLLBACK TO rebuild")
        many.conn.execute("RELEASE rebuild")
        many.execute("INSERT INTO sections_fts(sections_fts) VALUES ('integrity-check')")
        for word in ("政务公开培训", "行政复议案件"):
            fts = {r[0] for r in many.execute("SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?",
                                              [f'body : "{word}"'])}
            like = {r[0] for r in many.execute("SELECT id FROM sections WHERE body LIKE ?", [f"%{word}%"])}
            assert fts == like, word


def _doc(url: str, body: str) -> "Doc":
    from govreports.crawl.events import Doc

    digest = hashlib.sha256(f"{url}\0{body}".encode()).hexdigest()
    return Doc(url=url, final_url=url, ok=True, not_modified=False, status=200, sha256=digest, archive_path=None,
               etag=None, last_modified=None, headers={}, content_type="text/html", encoding="utf-8", fetched_at=NOW)


def _event(kind: str, identity: int, content: dict, attachment: bool):
    """A crawl event about one listed report: read (from its page or its attachment; `repost`: the same report
    listed at another address), failed (report page or its attachment), not a report, unchanged, not due, or a
    document seen."""
    from govreports.crawl.events import Failed, Listed, NotDue, NotReport, Read, Seen, Unchanged

    rec, document = _record(identity, content)
    url = (document or {}).get("url") or "http://b.example/none.html"
    if kind == "repost":
        kind, url = "read", url.replace(".html", "-copy.html")
    listing = Listed(url=url, title=rec["title"], list_date=content["published"], year=rec["year"])
    body = repr(sorted(content["cells"].items())) + str(content["section"]) + content["format"]
    if kind == "read":
        source = _doc(url + ".pdf", body) if attachment else _doc(url, body)
        return Read(listing, rec, source, _doc(url, body), url + ".pdf" if attachment else None)
    if kind == "failed":
        return Failed(url + ".pdf" if attachment else url, 500, "http", "http 500", None if attachment else listing)
    if kind == "not_report":
        return NotReport(listing, "no report here")
    if kind == "seen":
        return Seen(_doc(url, body))
    return (Unchanged if kind == "unchanged" else NotDue)(listing)


events = st.lists(st.tuples(st.sampled_from(["read"] * 4 + ["repost", "repost", "failed", "not_report", "unchanged",
                                              "not_due", "seen"]),
                            st.integers(0, len(IDENTITIES) - 1), contents, st.booleans()), min_size=1, max_size=16)


def _reposting(history: list[tuple]) -> list[tuple]:
    """A repost carries the report last read (its identity and content): the crawler's re-post check must find
    it loaded under the other address."""
    out, last = [], None
    for kind, identity, content, attachment in history:
        if kind == "repost" and last is not None:
            identity, content = last
        elif kind == "read":
            last = identity, content
        out.append((kind, identity, content, attachment))
    return out


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=events, batch=st.integers(1, 6))
def test_batched_crawl_events_write_and_count_what_one_by_one_does(tmp_path_factory, empty, history, batch):
    import govreports.clock
    import govreports.store.documents
    import govreports.store.load
    import govreports.store.logs
    from govreports.crawl.events import apply, apply_events
    from govreports.crawl.stats import PortalStats

    history = _reposting(history)
    tmp = tmp_path_factory.mktemp("events")
    shutil.copy(empty, tmp / "one.db")
    shutil.copy(empty, tmp / "many.db")
    one_stats, many_stats = PortalStats("a"), PortalStats("a")
    with pytest.MonkeyPatch.context() as patched:
        for module in (govreports.clock, govreports.store.documents, govreports.store.load,
                       govreports.store.logs):
            if hasattr(module, "now_iso"):
                patched.setattr(module, "now_iso", lambda: NOW)
        with connect(tmp / "one.db") as one, connect(tmp / "many.db") as many:
            for event in [_event(*e) for e in history]:
                apply(one, "a", event, one_stats)
            apply_events(many, "a", [_event(*e) for e in history], many_stats, batch=batch)
            assert _dump(many) == _dump(one)
            assert current_sums(many) == current_sums(one) == recounted_sums(many)
            assert many.execute("SELECT * FROM agency_years ORDER BY 1, 2").fetchall() == \
                one.execute("SELECT * FROM agency_years ORDER BY 1, 2").fetchall()
    assert many_stats == one_stats


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=loads, batch=st.integers(1, 5))
def test_analyses_read_from_the_kept_sums_as_from_the_reports(tmp_path_factory, empty, history, batch):
    """Over every agency `refusals` and `outcomes` read current_sums; for one agency, the reports' rows. With every
    report under one agency (two spellings of its name) both give the same rows, for every year and for none."""
    from govreports.query.analyses import NoReports, run_analysis

    tmp = tmp_path_factory.mktemp("sums")
    path = tmp / "t.db"
    shutil.copy(empty, path)
    pairs = []
    for identity, content in history:
        rec, document = _record(identity, content)
        written = "甲市　教育局" if "　" in rec["agency"] else "甲市教育局"
        rec["title"] = rec["title"].replace(rec["agency"], written)
        rec["agency"] = written
        pairs.append((rec, document))
    with connect(path) as db:
        load_records(db, pairs, now=NOW, batch=batch)
    def rows(name: str, **kw):
        try:
            return run_analysis(path, name, **kw).rows
        except NoReports:  # a year no report is for: both ways must say so
            return "no reports"

    for name in ("refusals", "outcomes"):
        for year in (None, 2020, 2021):
            assert rows(name, year=year) == rows(name, agency="甲市教育局", year=year), (name, year)
