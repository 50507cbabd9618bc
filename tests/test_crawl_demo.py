"""Crawl the demo portal end to end: the database equals the portal's ground truth, re-crawls are conditional and
rewrite nothing, an edited report gives a new version (the portal's faults: test_crawl_faults.py)."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from functools import partial

import pytest

from crawlhelp import (FAST, crawl_demo, crawl_failures, demo_config, mismatches, portals_serving, served_instead,
                       table_counts, truth_of_sites)
from govreports.demo import DemoPortal
from govreports.fetch import Archive
from govreports.parse.worker import parse_job
from govreports.crawl import run_crawl
from govreports.store.db import open_db
from govreports.demo.hosts import path_of


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=0).start(port=0)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("crawl")
    portal.clear_requests()
    db, summary = crawl_demo(portal, workdir)
    return workdir, db, summary


def test_crawl_equals_ground_truth(portal, crawled):
    _, db, summary = crawled
    # a report missing is shown with what the crawl logged (a too_slow .doc or scan on a loaded machine, say): the
    # failure was named only by the tests after this one, and there as the re-crawl's reading, not the crawl's
    assert mismatches(db, portal.ground_truth()) == [], crawl_failures(db, summary.run_id)
    assert summary.total("new") + summary.total("duplicate") == len(portal.ground_truth()) + len(portal.reposts())
    assert summary.total("failed") == 0 and summary.total("blocked") == 0
    # a （超链版） PDF listed beside the plain one is that report again (whichever is read first): one report
    edition = next(it for it in portal.catalog.items["ordos"] if "edition" in it.extra)
    urls = [portal.url(it.path) for it in (edition, portal.catalog.by_id[edition.canonical])]
    items = db.execute("SELECT status, report_id FROM items WHERE url IN (?, ?) ORDER BY status", urls).fetchall()
    assert [status for status, _ in items] == ["duplicate", "loaded"] and items[0][1] == items[1][1]
    # non-reports in the columns (news, 网站年度报表, notices) are never fetched as reports, never loaded
    nonreports = set(portal.nonreports())
    assert len(nonreports) > 10 and summary.total("skipped") >= 40
    sources = {k for (k,) in db.execute("SELECT source_key FROM reports")}
    assert not sources & nonreports
    fetched = {portal.url(r.path) for r in portal.requests}
    assert not fetched & nonreports


def test_every_response_is_archived_with_its_facts(crawled):
    workdir, db, _ = crawled
    rows = db.execute("SELECT url, final_url, status, sha256, archive_path, etag, fetched_at FROM documents").fetchall()
    assert rows
    made = []  # a document the crawl made of responses (a 图片版 report's pictures as one zip), no response itself
    for url, final_url, status, sha, path, etag, fetched_at in rows:
        if url.endswith("#images"):
            made.append(url)
            assert status is None and etag is None and final_url == url and fetched_at
        else:
            assert status == 200 and final_url and fetched_at and etag
        assert (workdir / "archive" / path).is_file() and path.endswith(sha)
    assert len(made) == 1
    attachments = [r for r in rows if r[1] != r[0]]  # downfile.jsp → 302 → /attach/
    assert attachments and all("/attach/" in r[1] for r in attachments)


def test_polite_client(portal, crawled):
    requests = portal.requests
    assert requests and all(r.headers.get("User-Agent", "").startswith("govreports/") for r in requests)
    assert not [r for r in requests if r.path.startswith("/ordos/private/")]  # robots.txt Disallow obeyed
    # once per host per run: each site is a host of its own (demo/hosts.py)
    robots = Counter(r.host for r in requests if r.path == "/robots.txt")
    assert set(robots.values()) == {1} and set(robots) == {r.host for r in requests} and len(robots) >= 8


def test_recrawl_is_conditional_and_rewrites_nothing(portal, crawled, monkeypatch):
    from govreports.runs.partitions import loaded

    workdir, db, first = crawled
    before = table_counts(db)
    dump_before = [line for line in db.conn.iterdump() if not _run_bookkeeping(line)]
    portal.clear_requests()
    reads, real_get = [], Archive.get  # an unchanged document's archived copy is not read: the 304 is all a
    # no-change run needs. A copy read is still returned: returned as None, the page of a report the crawl had failed
    # (too_slow on a loaded machine) parsed as "empty file", logged as such for the tests after this one to show
    monkeypatch.setattr(Archive, "get", lambda self, sha256, **kw: reads.append(sha256) or real_get(self, sha256, **kw))
    _, summary = crawl_demo(portal, workdir, db=db)
    assert reads == [], db.execute(f"SELECT url FROM documents WHERE sha256 IN ({', '.join('?' * len(reads))})",
                                   reads).fetchall()
    assert summary.total("unchanged") == summary.total("found") and summary.total("new") == 0
    assert summary.total("changed") == 0
    # the reports a partition holds (runs.partitions.loaded), re-posts left out on both nights: a re-post was a
    # `duplicate` the first night and counted among them as `unchanged` on the next
    assert {p.portal: loaded(p) for p in summary.portals} == {p.portal: loaded(p) for p in first.portals}
    reports = {r.url for r in portal.reports} | set(portal.reposts())
    attachments = {r.attachment_url for r in portal.reports if r.attachment_url}
    for r in portal.requests:
        url = portal.url(r.path + (f"?{r.query}" if r.query else ""))
        if url in reports or url in attachments:
            assert r.conditional, url  # every known document is asked "has it changed?"
            assert r.status in (304, 302), url
    assert table_counts(db) == before
    assert [line for line in db.conn.iterdump() if not _run_bookkeeping(line)] == dump_before


def _run_bookkeeping(line: str) -> bool:
    """Rows every run adds about itself (its summary, per-portal figures, health flags), not about reports."""
    return line.startswith(tuple(f'INSERT INTO "{t}"' for t in ("runs", "portal_runs", "health_flags")))


def test_edited_report_gives_a_new_version(tmp_path):
    portal = DemoPortal(seed=5).start(port=0)
    try:
        report = next(r for r in portal.reports if r.kind == "html" and r.record["format"] in ("2019", "2021"))
        names = portals_serving(portal, [report.url])  # its site's portal: the others' would test nothing more
        db, _ = crawl_demo(portal, tmp_path, portals=names)
        old_value = report.record["applications"]["new"]["natural_person"]
        versions_before = db.execute("SELECT count(*) FROM report_versions").fetchone()[0]
        portal.edit(report.id)
        _, summary = crawl_demo(portal, tmp_path, db=db, portals=names)
        assert summary.total("changed") == 1 and summary.total("new") == 0
        assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions_before + 1
        assert mismatches(db, truth_of_sites(portal, [report.url])) == []
        old = db.execute(
            "SELECT c.value FROM cells c JOIN report_versions v ON v.id = c.version_id JOIN reports r"
            " ON r.id = v.report_id WHERE r.source_key = ? AND v.version = 1 AND c.table_name = 'applications'"
            " AND c.row_key = 'new' AND c.col_key = 'natural_person'", [report.url]).fetchone()
        assert old == (old_value,)  # the first version is kept
    finally:
        portal.stop()


def test_an_edited_attachment_under_an_unchanged_page_gives_a_new_version(tmp_path):
    """The page answers 304 and its attachment 200: the page's archived copy is read then (for its links), and the
    attachment's new record is loaded."""
    portal = DemoPortal(seed=5).start(port=0)
    try:
        reposted = set(portal.reposts().values())  # not the plain PDF of a （超链版）: either may be the report's source
        report = next(r for r in portal.reports if r.kind == "pdf" and r.attachment_url and r.url not in reposted)
        names = portals_serving(portal, [report.url])  # its site's portal: the others' would test nothing more
        db, _ = crawl_demo(portal, tmp_path, portals=names)
        portal.edit(report.id)
        portal.clear_requests()
        _, summary = crawl_demo(portal, tmp_path, db=db, portals=names)
        page = [r.status for r in portal.requests if portal.url(r.path) == report.url]
        assert page and set(page) == {304}
        attachment = [r for r in portal.requests if portal.url(r.path + (f"?{r.query}" if r.query else ""))
                      == report.attachment_url]
        assert len(attachment) == 1, attachment  # the changed file is downloaded once, and read from that answer
        assert attachment[0].headers.get("Referer") == report.url  # asked as from its page, as portals expect
        assert summary.total("changed") == 1 and summary.total("new") == 0 and summary.total("failed") == 0
        assert mismatches(db, truth_of_sites(portal, [report.url])) == []
        assert db.execute("SELECT count(*) FROM report_versions v JOIN reports r ON r.id = v.report_id"
                          " WHERE r.source_key = ?", [report.url]).fetchone()[0] == 2
    finally:
        portal.stop()


def test_per_host_delay_holds(tmp_path, monkeypatch):
    """Measured where the pacing is done, as each request is sent: at the server (in this process, its threads
    sharing the GIL with the crawl), a request handled late and the next on time landed 11 ms apart on a busy
    machine, a false failure. A loop running late sends late, never early, so the client's gaps hold exactly."""
    import time

    import httpx

    sent: list[tuple[str, float]] = []
    real_send = httpx.AsyncClient.send

    async def send(self, request, **kwargs):
        sent.append((request.url.host, time.monotonic()))
        return await real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    portal = DemoPortal(seed=0).start(port=0)
    try:
        # three of the sites (about 75 requests, three hosts): enough gaps, without pacing the whole portal at 0.1 s
        crawl_demo(portal, tmp_path, portals=("demo-ordos", "demo-hanweb", "demo-gbk"), per_host_delay=0.1,
                   delay_jitter=0.0, per_host_concurrency=1)
        assert len(sent) == len(portal.requests)  # every request the server saw was timed as it was sent
        hosts = {host for host, _ in sent}
        assert len(hosts) == 3  # each site a host of its own, each paced on its own
        gaps = []
        for host in hosts:
            times = [t for h, t in sent if h == host]
            gaps += [b - a for a, b in zip(times, times[1:])]
        assert len(gaps) > 50
        assert min(gaps) >= 0.099, min(gaps)
    finally:
        portal.stop()


def test_buffered_crawl_writes_only_when_applied(portal, tmp_path):
    """The one-writer mode for distributed runs: the crawl only emits events; applying them loads everything."""
    from govreports.crawl import apply_summary

    db, summary = crawl_demo(portal, tmp_path, buffered=True)
    assert table_counts(db)["reports"] == 0 and table_counts(db)["documents"] == 0
    assert sum(len(e) for e in summary.events.values()) > len(portal.ground_truth())
    apply_summary(db, summary)
    assert mismatches(db, portal.ground_truth()) == []
    assert summary.total("new") + summary.total("duplicate") == len(portal.ground_truth()) + len(portal.reposts())


def test_crawl_command(portal, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from conftest import ROOT
    from govreports.cli import app

    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", str(portal.port))
    runner = CliRunner()
    args = ["crawl", "--config", str(ROOT / "config" / "demo.toml"), "--portal", "demo-govcn",
            "--db", str(tmp_path / "c.db"), "--archive", str(tmp_path / "archive"), "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "demo-govcn" in result.stdout and "unchanged" in result.stdout
    govcn = {u for u in portal.ground_truth() if "/govcn/" in u}
    assert open_db(tmp_path / "c.db").execute("SELECT count(*) FROM reports").fetchone()[0] == len(govcn)
    bad = runner.invoke(app, [*args[:3], "--portal", "nope", "--db", str(tmp_path / "c.db")])
    assert bad.exit_code == 2 and "no portal named 'nope'" in bad.stderr
    check = runner.invoke(app, ["crawl", "--config", str(ROOT / "config" / "portals"), "--check"])
    real = len(list((ROOT / "config" / "portals").glob("*.toml")))
    assert real >= 30 and check.exit_code == 0 and f"{real} portal(s), valid" in check.stdout



def test_every_command_the_demo_suggests_works_on_its_database(crawled, tmp_path, monkeypatch):
    """`make demo` ends with commands to try; each must run (exit 0, some output) on the database it built."""
    import shlex

    from typer.testing import CliRunner

    from govreports.cli import app
    from govreports.demo.run import EXAMPLES

    workdir, db, _ = crawled
    monkeypatch.chdir(tmp_path)  # commands that write a file (chart, export) write it here
    runner = CliRunner()
    for what, command in EXAMPLES:
        args = shlex.split(command)[1:] + ["--db", str(workdir / "reports.db")]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (what, command, result.output)
        assert result.output.strip(), (what, command)


def bug_on_marker(data: bytes, name: str, hints, http_charset, tools=None) -> dict:
    """A parse worker's job for the tests: a parser bug on the document b"bug", else the real parse."""
    if data == b"bug":
        raise RuntimeError("a parser bug")
    return parse_job(data, name, hints, http_charset, tools=tools)


def test_reparse_with_a_config_lacking_a_portal_leaves_its_documents_and_says_so(portal, crawled, tmp_path):
    """A re-parse given another config (the default config/portals after a crawl of config/demo.toml) read the
    missing portal's pages without its adapter: gkmlpt keeps its report in a script, so each was a false `parse`
    failure left in the issues. They are now skipped, counted by portal, and nothing is logged against them."""
    from govreports.runs.reparse import reparse

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    config = demo_config(portal.base_url)
    config.portal = [p for p in config.portal if p.name != "demo-gd"]
    issues = copy.execute("SELECT count(*) FROM fetch_log WHERE error IS NOT NULL").fetchone()[0]
    gd = copy.execute("SELECT count(*) FROM items WHERE status = 'loaded' AND portal = 'demo-gd'").fetchone()[0]
    summary = reparse(copy, workdir / "archive", config)
    assert gd > 10 and summary.row()["skipped"] == gd and summary.unconfigured == {"demo-gd": gd}
    assert summary.row()["failed"] == 0 and summary.row()["unchanged"] == summary.documents - gd
    assert copy.execute("SELECT count(*) FROM fetch_log WHERE error IS NOT NULL").fetchone()[0] == issues
    assert summary.skipped_line("config/portals") == (
        f"{gd} document(s) left as they are: their portals are not in config/portals: demo-gd ({gd}); re-parse "
        "them with the config they were crawled with (--config)")


def test_reparse_of_the_crawl_changes_nothing_and_counts_what_fails(portal, crawled, tmp_path, monkeypatch):
    """`reparse` over a copy of the crawl (its workers parse side by side, BoundedParser.parse_many): every record
    as it was; a body gone from the archive, or that cannot be read (its folder's permissions, a disk error), is
    `missing`; one that no longer parses, or that a parser bug fails,
    is `failed`; each is logged against its URL, and none stops the documents after it or loses the record
    already loaded."""
    from govreports.extract.toolcache import tool_cache_for
    from govreports.parse.bounded import BoundedParser
    from govreports.runs.reparse import reparse

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    for folder in ("archive", "toolcache"):
        if (workdir / folder).is_dir():
            shutil.copytree(workdir / folder, tmp_path / folder)
    pages = copy.execute("SELECT i.url, d.url, d.archive_path FROM items i JOIN documents d ON d.id = i.document_id"
                         " WHERE i.status = 'loaded' AND i.attachment_url IS NULL AND d.url LIKE '%/ordos/%'"
                         " ORDER BY i.url LIMIT 4").fetchall()
    (_, gone_url, gone), (_, broken_url, _), (_, bug_url, _), (_, locked_url, locked) = pages
    (tmp_path / "archive" / gone).unlink()
    served_instead(copy, tmp_path / "archive", broken_url, b"<html><body><p>nothing here</p></body></html>")
    served_instead(copy, tmp_path / "archive", bug_url, b"bug")
    real_get, locked_sha = Archive.get, locked.rsplit("/", 1)[-1]

    def get(self, sha256, **kwargs):  # root reads any folder: the permission error stands in
        if sha256 == locked_sha:
            raise PermissionError(13, "Permission denied", str(self.path_for(sha256)))
        return real_get(self, sha256, **kwargs)

    monkeypatch.setattr(Archive, "get", get)
    versions = copy.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    job = partial(bug_on_marker, tools=tool_cache_for(tmp_path / "archive"))
    with BoundedParser(workers=2, job=job) as parser:
        summary = reparse(copy, tmp_path / "archive", demo_config(portal.base_url), parser)
    documents = copy.execute("SELECT count(*) FROM items WHERE status = 'loaded'").fetchone()[0]
    assert summary.row() == {"documents": documents, "changed": 0, "new": 0, "unchanged": documents - 4,
                             "failed": 2, "missing": 2, "skipped": 0}
    logged = {url: (kind, error) for url, kind, error in copy.execute(
        "SELECT url, kind, error FROM fetch_log WHERE kind IN ('archive_missing', 'parse', 'internal')")}
    assert logged == {gone_url: ("archive_missing", f"archived body {gone.rsplit('/', 1)[-1]} not found"),
                      broken_url: ("parse", "no annual report found in this html document"),
                      bug_url: ("internal", "internal error: RuntimeError: a parser bug"),
                      locked_url: ("archive_missing", f"archived body {locked_sha} could not be read: [Errno 13] "
                                                      f"Permission denied: '{tmp_path / 'archive' / locked}'")}
    assert copy.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions
    assert mismatches(copy, portal.ground_truth()) == []


def test_loaded_items_are_read_a_page_at_a_time_the_same_while_the_caller_writes(crawled, tmp_path):
    """The re-parse's walk over loaded items (store.documents.loaded_items) holds one page, not 300,000 items;
    any page size gives the same items in the same order, also when each item is written while walking."""
    from govreports.store.documents import loaded_items

    _, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    whole = list(loaded_items(copy, page=10**6))
    assert [i.url for i in whole] == [u for (u,) in copy.execute(
        "SELECT url FROM items WHERE status = 'loaded' ORDER BY portal, url")]
    walked = []
    for item in loaded_items(copy, page=3):
        walked.append(item)
        with copy.conn:  # as a load between two pages: the walk neither repeats nor skips an item
            copy.execute("UPDATE items SET last_seen = 'x' WHERE portal = ? AND url = ?", [item.portal, item.url])
    assert walked == whole and len(whole) > 50


def test_doc_ofd_and_scanned_reports_are_loaded_from_their_files(portal, crawled):
    """Issue 13: the .doc (where LibreOffice made one), OFD and scanned reports load from the file the page links;
    the scan is read by OCR, both of its pages, and its record says so."""
    from govreports.store.read import get_record

    _, db, _ = crawled
    legacy = [r for r in portal.reports if r.kind in ("doc", "ofd", "scan")]
    assert {r.kind for r in legacy} >= {"ofd", "scan"}
    loaded = dict(db.execute("SELECT r.source_key, d.url FROM reports r JOIN documents d ON d.id = r.document_id"))
    assert {r.url: loaded.get(r.url) for r in legacy} == {r.url: r.attachment_url for r in legacy}
    scan = next(r for r in legacy if r.kind == "scan")
    (report_id,) = db.execute("SELECT id FROM reports WHERE source_key = ?", [scan.url]).fetchone()
    record = get_record(db, report_id)
    assert record["ocr"] is True and record["ocr_pages"] == "2/2" and record["ocr_cells"] >= 0.5


def test_a_report_shown_as_pictures_in_its_article_is_loaded_from_them_by_ocr(portal, crawled):
    """A 图片版 report whose article shows its pages as pictures (./W0…_N.jpg) and links no file: the page held no
    report, so the pictures are fetched (each archived), read by OCR as one document, archived too, under the page's
    URL + #images: its record's document, so a re-parse reads it without the network. Not "not a report"."""
    from govreports.extract.images import page_images
    from govreports.fetch import Archive
    from govreports.store.read import get_record

    workdir, db, _ = crawled
    (pictured,) = [r for r in portal.reports if r.kind == "pictures"]
    row = db.execute("SELECT r.id, d.url, d.media_type, d.sha256 FROM reports r JOIN documents d ON"
                     " d.id = r.document_id WHERE r.source_key = ?", [pictured.url]).fetchone()
    assert row is not None
    report_id, url, media, sha256 = row
    assert (url, media) == (pictured.url + "#images", "application/zip")
    assert db.execute("SELECT status, attachment_url FROM items WHERE url = ?", [pictured.url]).fetchone() == \
        ("loaded", url)
    pictures = portal.pictures(pictured._item)
    assert page_images(Archive(workdir / "archive").get(sha256, verify=True), "images") == pictures
    shown = [u for (u,) in db.execute("SELECT url FROM documents WHERE url LIKE ? ORDER BY url",
                                      [pictured.url.rsplit("/", 1)[0] + "/W0%.jpg"])]
    assert len(shown) == len(pictures) == 2
    record = get_record(db, report_id)
    assert record["ocr"] is True and record["ocr_pages"] == "2/2" and record["ocr_cells"] >= 0.5


def test_spreadsheet_reports_are_loaded_from_their_files_every_cell(portal, crawled):
    """A report published only as a .xlsx or .xls (the article a stub linking it): the crawl takes the workbook as the
    report's source, its document is the file with its spreadsheet media type, the record says source_format, and
    every cell equals the ground truth (test_crawl_equals_ground_truth compares them among all; here by name)."""
    from govreports import schema
    from govreports.store.read import get_record

    _, db, _ = crawled
    sheets = [r for r in portal.reports if r.kind in ("xlsx", "xls")]
    assert sorted(r.kind for r in sheets) == ["xls", "xlsx"]
    truth = portal.ground_truth()
    for r in sheets:
        row = db.execute("SELECT r.id, d.url, d.media_type FROM reports r JOIN documents d ON d.id = r.document_id "
                         "WHERE r.source_key = ?", [r.url]).fetchone()
        assert row is not None, r
        report_id, url, media = row
        assert url == r.attachment_url and media.endswith("sheet" if r.kind == "xlsx" else "ms-excel"), row
        record = get_record(db, report_id)
        assert record["source_format"] == r.kind
        want = truth[r.url]
        cells = list(schema.iter_cells(want))
        assert len(cells) >= 199
        assert [(t, row_, c, (record.get(t) or {}).get(row_, {}).get(c)) for t, row_, c, _ in cells] == cells
        assert record["sections"] == want["sections"] and record["published"] == want["published"]


def test_recheck_days_asks_each_known_report_once_in_n_days(portal, crawled):
    """[incremental] recheck_days = 3: each known report page (and attachment) is asked on exactly one of three
    consecutive days, each day asks some and leaves the rest `not_due`, list pages are read every day, and nothing
    is written (a no-change run, as before)."""
    from govreports.crawl import run_crawl
    from govreports.crawl.preview import preview_all
    from govreports.portals.config import Incremental

    from govreports.runs.partitions import loaded

    from crawlhelp import FAST, demo_config

    workdir, db, first = crawled
    dump_before = [line for line in db.conn.iterdump() if not _run_bookkeeping(line)]
    config = demo_config(portal.base_url).model_copy(update={"incremental": Incremental(recheck_days=3)})
    reports = {r.url for r in portal.reports} | set(portal.reposts())
    asked: dict[str, int] = {}
    for day in (30, 31, 32):
        # `crawl --dry-run` marks, of the known reports, exactly those the crawl then asks
        previews = asyncio.run(preview_all(config, config.portal, db=db, recheck_day=day))
        marked = {i.url for p in previews for i in p.items if i.next_check == 0}
        waiting = [i.next_check for p in previews for i in p.items if i.next_check]
        assert waiting and set(waiting) <= {1, 2}
        portal.clear_requests()
        summary = run_crawl(config, db, workdir / "archive", recheck_day=day, **FAST)
        pages = [portal.url(r.path + (f"?{r.query}" if r.query else "")) for r in portal.requests]
        today = [u for u in pages if u in reports]
        assert marked == set(today)
        for url in today:
            asked[url] = asked.get(url, 0) + 1
        assert 0 < summary.total("not_due") < summary.total("found")
        assert summary.total("unchanged") + summary.total("not_due") == summary.total("found")
        assert summary.total("new") == summary.total("changed") == 0
        assert {p.portal: loaded(p) for p in summary.portals} == {p.portal: loaded(p) for p in first.portals}
        assert len(today) == summary.total("unchanged")
        assert any(u not in reports for u in pages)  # the list pages
    assert set(asked) == reports and set(asked.values()) == {1}
    assert [line for line in db.conn.iterdump() if not _run_bookkeeping(line)] == dump_before


def test_an_edit_is_seen_on_the_report_s_recheck_day(tmp_path):
    from govreports.crawl import run_crawl
    from govreports.crawl.recheck import is_due
    from govreports.portals.config import Incremental

    from crawlhelp import FAST, demo_config

    portal = DemoPortal(seed=5).start(port=0)
    try:
        db, _ = crawl_demo(portal, tmp_path)
        report = next(r for r in portal.reports if r.kind == "html" and r.record["format"] in ("2019", "2021"))
        portal.edit(report.id)
        config = demo_config(portal.base_url).model_copy(update={"incremental": Incremental(recheck_days=7)})
        other = next(d for d in range(7) if not is_due(report.url, 7, d))
        due = next(d for d in range(7) if is_due(report.url, 7, d))
        summary = run_crawl(config, db, tmp_path / "archive", recheck_day=other, **FAST)
        assert summary.total("changed") == 0  # not its day: the edit waits
        summary = run_crawl(config, db, tmp_path / "archive", recheck_day=due, **FAST)
        assert summary.total("changed") == 1
        assert mismatches(db, portal.ground_truth()) == []
    finally:
        portal.stop()


@pytest.mark.parametrize("buffered", [False, True])
def test_each_row_refers_to_archive_files_synced_before_it_was_written(portal, tmp_path, monkeypatch, buffered):
    """The crawl's archive syncs in batches (no fsync per file): each batch of rows is written only after the
    files it refers to were made durable, and a buffered crawl syncs before it hands its events over."""
    from govreports.crawl import apply_summary, events, pipeline
    from govreports.fetch import archive as archive_module

    archive, synced, checked = tmp_path / "archive", set(), []
    monkeypatch.setattr(archive_module, "sync_filesystem", lambda root: synced.update(
        str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file()))
    real_apply = events.apply_events

    def apply_then_check(db, *args, **kwargs):
        out = real_apply(db, *args, **kwargs)
        paths = {path for (path,) in db.execute("SELECT archive_path FROM documents WHERE archive_path IS NOT NULL")}
        assert paths <= synced, sorted(paths - synced)[:3]
        checked.append(len(paths))
        return out

    monkeypatch.setattr(events, "apply_events", apply_then_check)  # the sink's writes
    monkeypatch.setattr(pipeline, "apply_events", apply_then_check)  # apply_summary's
    db, summary = crawl_demo(portal, tmp_path, portals=("demo-govcn",), buffered=buffered)
    if buffered:
        apply_summary(db, summary)
    assert checked and checked[-1] == db.execute("SELECT count(*) FROM documents").fetchone()[0] > 0


def test_a_report_split_over_article_pages_loads_whole_or_not_at_all(tmp_path, monkeypatch):
    """A TRS article split over t…_{id}.html and t…_{id}_1.html (PORTALS.md §3; the demo splits one ordos report):
    the crawl read only the first page and loaded half a report (table 四, sections 五、六 missing) as "new". Now
    the later page is read and archived, a re-parse joins it again, and when a later page cannot be fetched the
    item fails (to be read whole on a later run) instead of loading half."""
    from crawlhelp import site_truth
    from govreports.demo.sites import trs
    from govreports.runs.reparse import reparse

    portal = DemoPortal(seed=0).start(port=0)
    try:
        split = next(it for it in portal.catalog.reports() if it.extra.get("pages", 1) > 1)
        later = portal.url(split.path.replace(".html", "_1.html"))
        truth = site_truth(portal, "ordos") | {url: portal.ground_truth()[url] for url in portal.reposts().values()}
        db, summary = crawl_demo(portal, tmp_path / "whole", portals=("demo-ordos",))
        assert mismatches(db, truth) == [] and summary.total("failed") == 0
        # re-post → original: a （超链版） or its plain PDF, whichever is read first, is the report's source
        original = portal.reposts()
        whole = {original.get(k, k) for (k,) in db.execute("SELECT source_key FROM reports")}
        assert db.execute("SELECT count(*) FROM documents WHERE url = ?", [later]).fetchone()[0] == 1
        assert reparse(db, tmp_path / "whole" / "archive", demo_config(portal.base_url)).counts["changed"] == 0
        # the article claims a third page, which answers 404: no half report is loaded
        pager = trs._article_pager
        monkeypatch.setattr(trs, "_article_pager", lambda it, count, k: pager(it, count + 1, k))
        db, summary = crawl_demo(portal, tmp_path / "short", portals=("demo-ordos",))
        assert summary.total("failed") == 1
        stored = {original.get(k, k) for (k,) in db.execute("SELECT source_key FROM reports")}
        assert stored == whole - {portal.url(split.path)}
    finally:
        portal.stop()


def test_a_column_that_moved_is_read_where_its_old_url_redirects(portal, tmp_path):
    """A config written before a site moved its column names the old entry URL, which answers 301 to the new home
    (PORTALS.md §2, §11; the demo's gbk TRS and gd gkmlpt columns): page 2… and the list API were built from the
    configured URL, in the old folder, where they are gone (404): only page 1's reports were found."""
    from crawlhelp import site_truth
    from govreports.demo.server import MOVED

    config = demo_config(portal.base_url)
    old = {new: old for old, new in MOVED.items()}
    portals = []
    for p in config.portal:
        path = path_of(p.start_url).split("#")[0]
        if p.name in ("demo-gbk", "demo-gd"):
            assert path in old, (p.name, path)
            p = p.model_copy(update={"start_url": p.start_url.replace(path, old[path], 1)})
            portals.append(p)
    config = config.model_copy(update={"portal": portals})
    db = open_db(tmp_path / "reports.db")
    summary = run_crawl(config, db, tmp_path / "archive", **FAST)
    truth = site_truth(portal, "gbk") | site_truth(portal, "gd")
    assert mismatches(db, truth) == [] and summary.total("failed") == 0
