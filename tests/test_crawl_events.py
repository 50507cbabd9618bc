"""Applying crawl events: a re-post read by two portals crawled at once is loaded once, counted once as duplicate."""

from __future__ import annotations

import threading

import pytest

from storehelp import record

from govreports.crawl import events
from govreports.crawl.events import Doc, Listed, Read, apply
from govreports.crawl.stats import PortalStats
from govreports.errors import StorageError
from govreports.runs.reparse_figures import not_crawled
from govreports.store import load
from govreports.store.db import connect, open_db


def _doc(url: str) -> Doc:
    return Doc(url=url, final_url=url, ok=True, not_modified=False, status=200, sha256=url.encode().hex()[:64],
               archive_path=None, etag=None, last_modified=None, headers={}, content_type="text/html",
               encoding="utf-8", fetched_at="2026-12-01T00:00:00+00:00")


def _read(url: str, rec: dict) -> Read:
    return Read(listing=Listed(url=url, title=rec["title"], list_date=None, year=rec["year"]), record=rec,
                source=_doc(url), page=_doc(url), attachment_url=None)


def _reader(db, stats: PortalStats, batched: bool):
    """read(portal, url, record): the record read at url by that portal's crawl, written as a batch or at once."""
    def read(portal: str, url: str, rec: dict) -> None:
        if batched:
            events.apply_events(db, portal, [_read(url, rec)], stats)
        else:
            apply(db, portal, _read(url, rec), stats)

    return read


def test_same_report_from_two_portals_at_once_is_loaded_once(tmp_path, monkeypatch):
    """Neither applier may load before both have checked for a duplicate (a barrier holds them). Without one
    write lock around check-and-load both see no report and load two; with it the second waits for the lock, the
    barrier times out, and the second then sees the first one's report."""
    path = tmp_path / "g.db"
    with connect(path):
        pass
    rec = record("鄂尔多斯市人民政府办公室", 2019, "2019", {"applications.new.total": 3})
    barrier = threading.Barrier(2, timeout=2)
    real = load.duplicate_of

    def duplicate_of_at_the_same_moment(*args):
        found = real(*args)
        try:  # neither goes on to load until both have looked
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other applier is waiting for the write lock: the race cannot happen
        return found

    monkeypatch.setattr(load, "duplicate_of", duplicate_of_at_the_same_moment)
    stats = {name: PortalStats(name) for name in ("a", "b")}
    errors = []

    def crawl(portal: str, url: str) -> None:
        try:
            with connect(path) as db:
                apply(db, portal, _read(url, rec), stats[portal])
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=crawl, args=(p, f"http://{p}.example/report.html")) for p in stats]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
    assert sorted((s.new, s.duplicate) for s in stats.values()) == [(0, 1), (1, 0)]
    items = db.execute("SELECT status, report_id FROM items ORDER BY status").fetchall()
    assert [s for s, _ in items] == ["duplicate", "loaded"]
    assert items[0][1] == items[1][1]  # the duplicate points at the loaded report


def test_a_read_that_fails_to_load_leaves_no_half_written_item(tmp_path, monkeypatch):
    """Documents, report and item of one read commit together or not at all."""
    db = open_db(tmp_path / "g.db")
    rec = record("乙县财政局", 2020, "2021", {})

    def broken_load(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(events, "load_record", broken_load)
    try:
        apply(db, "a", _read("http://a.example/r.html", rec), PortalStats("a"))
    except RuntimeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the load error was swallowed")
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_same_url_fetched_by_two_portals_at_once_is_stored_once(tmp_path, monkeypatch):
    """A shared attachment fetched by two crawls at once: both look it up before either stores it (a barrier
    holds them after the first lookup); the lookup repeated under the write lock keeps it to one row."""
    from govreports.store import documents

    path = tmp_path / "g.db"
    with connect(path):
        pass
    barrier = threading.Barrier(2, timeout=2)
    real = documents.latest_document
    calls = threading.local()

    def lookup_together(db, url):
        found = real(db, url)
        if not getattr(calls, "n", 0):
            calls.n = 1
            try:
                barrier.wait()
            except threading.BrokenBarrierError:  # pragma: no cover - only when one thread is very late
                pass
        return found

    monkeypatch.setattr(documents, "latest_document", lookup_together)
    ids, errors = [], []

    def store(portal: str) -> None:
        try:
            with connect(path) as db:
                ids.append(documents.record_document(db, _doc("http://files.example/a.pdf"), portal))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=store, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert open_db(path).execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert len(set(ids)) == 1 and ids[0] is not None


def _reports(path) -> int:
    with connect(path) as db:
        return db.execute("SELECT count(*) FROM reports").fetchone()[0]


def test_a_direct_sink_writes_in_batches_and_keeps_what_a_failed_write_did_not_store(tmp_path, monkeypatch):
    path = tmp_path / "g.db"
    db = open_db(path)
    stats = PortalStats("a")
    sink = events.Sink(db, "a", stats, batch=3, max_age=3600)
    reads = [_read(f"http://a.example/{i}.html", record(f"测试市第{i}局", 2020, "2019", {})) for i in range(5)]
    sink.emit(reads[0])
    sink.emit(reads[1])
    assert _reports(path) == 0 and stats.new == 0  # waiting for its batch
    sink.emit(reads[2])
    assert _reports(path) == 3 and stats.new == 3  # the batch is full: one transaction
    sink.emit(reads[3])
    real = events.apply_events
    monkeypatch.setattr(events, "apply_events", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    sink.emit(reads[4])
    with pytest.raises(StorageError, match="disk full; a: 2 crawl events not stored"):
        sink.flush()  # the write failed: the error is raised, naming the database, and the two reads stay pending
    assert _reports(path) == 3
    monkeypatch.setattr(events, "apply_events", real)
    sink.flush()
    assert _reports(path) == 5 and stats.new == 5



def test_a_batch_writes_documents_and_items_without_savepoints_or_a_second_lookup(tmp_path):
    """In a batch's transaction the lock is held: a document is looked up once before its write (not again), and no
    savepoint wraps a document's or an item's one statement (store.db.one_write). Alone, record_document still
    takes the lock and looks again under it. The rows are what a write per event gives."""
    from govreports.store.documents import record_document

    db = open_db(tmp_path / "b.db")
    reads = [_read(f"http://a.example/{i}.html", record(f"测试市第{i}局", 2020, "2019", {})) for i in range(3)]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    events.apply_events(db, "a", [e for r in reads for e in (events.Seen(r.page), r)], PortalStats("a"))

    def lookups() -> int:
        return sum(s.startswith("SELECT id, url, sha256") for s in statements)

    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE"))]
    assert lookups() == 6  # each page once for its Seen, once for its Read (which finds it stored)
    statements.clear()
    assert record_document(db, _doc("http://a.example/alone.html")) is not None
    assert "BEGIN IMMEDIATE" in statements and lookups() == 2
    db.conn.set_trace_callback(None)
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 4
    assert db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall() == [("loaded", 3)]
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 3


def test_a_batch_whose_write_failed_is_counted_once_when_written_again(tmp_path, monkeypatch):
    """The write fails inside the batch's transaction, after a failure, an unchanged report and a not-due one were
    written into it: nothing is stored or counted, and the next flush writes and counts each event once (it
    counted them twice before: a night's figures showed failures that happened once as twice)."""
    db = open_db(tmp_path / "f.db")
    stats = PortalStats("a")
    sink = events.Sink(db, "a", stats, batch=10, max_age=3600)
    listing = Listed("http://a.example/1.html", "t", None, 2020)
    for event in (events.Failed("http://a.example/9.pdf", 500, "http", "http 500"), events.Unchanged(listing),
                  events.NotDue(listing), events.Failed("http://a.example/8.html", 403, "blocked", "gate"),
                  _read("http://a.example/2.html", record("测试市第2局", 2020, "2019", {}))):
        sink.emit(event)
    real, calls = load.Children.flush, []

    def full_once(self, conn):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(self, conn)

    monkeypatch.setattr(load.Children, "flush", full_once)
    with pytest.raises(StorageError):
        sink.flush()
    assert (stats.failed_total, stats.unchanged, stats.not_due, stats.blocked, stats.new) == (0, 0, 0, 0, 0)
    assert db.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 0
    sink.flush()
    assert (dict(stats.failed), stats.unchanged, stats.not_due, stats.blocked, stats.new) == ({"http": 1}, 1, 1, 1, 1)
    assert db.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 2

def test_a_direct_sink_in_a_quiet_crawl_writes_after_max_age(tmp_path):
    """A portal that goes quiet (a long Retry-After) does not sit on what it has read: the event loop flushes it."""
    import asyncio

    path = tmp_path / "g.db"
    sink = events.Sink(open_db(path), "a", PortalStats("a"), max_age=0.05)

    async def crawl() -> tuple[int, int]:
        sink.emit(_read("http://a.example/1.html", record("测试市第1局", 2020, "2019", {})))
        before = _reports(path)
        await asyncio.sleep(0.3)  # no more events arrive
        return before, _reports(path)

    assert asyncio.run(crawl()) == (0, 1)


def test_a_direct_sink_syncs_the_archive_before_it_writes_and_keeps_its_events_when_that_fails(tmp_path):
    """`before_write` (the crawl's archive sync) runs before the rows that refer to the files are written; when
    the files cannot be made durable nothing is written, the events stay pending and the run stops (exit 74)."""
    path = tmp_path / "g.db"
    calls, fail = [], [True]

    def sync():
        calls.append(_reports(path))
        if fail[0]:
            raise OSError(5, "Input/output error")

    sink = events.Sink(open_db(path), "a", PortalStats("a"), batch=2, max_age=3600, before_write=sync)
    sink.flush()
    assert calls == []  # nothing pending: no sync
    sink.emit(_read("http://a.example/1.html", record("测试市第1局", 2020, "2019", {})))
    with pytest.raises(StorageError, match="could not make the fetched files durable.*Input/output error; a: 2 crawl"):
        sink.emit(_read("http://a.example/2.html", record("测试市第2局", 2020, "2019", {})))
    assert calls == [0] and _reports(path) == 0
    fail[0] = False
    sink.flush()
    assert calls == [0, 0] and _reports(path) == 2  # synced while the rows were not yet there


def test_a_portal_stopped_while_it_lists_stops_the_items_it_had_started(tmp_path):
    """A portal's crawl cancelled during its listing (another portal met a full disk, or the run was stopped)
    cancels the reports it had already set going: none runs on alone, to fail unobserved at shutdown ("Task
    exception was never retrieved") or fetch after the crawl has ended."""
    import asyncio

    from crawlhelp import demo_config
    from govreports.crawl.portal import PortalCrawl
    from govreports.portals.adapters.base import Listing

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    url = f"http://{sorted(portal.hosts)[0]}/ordos/t20240101_1.html"

    class Forever:
        def __init__(self):
            self.started, self.ended = [], []

        async def fetch(self, url, **kwargs):
            self.started.append(url)
            try:
                await asyncio.Event().wait()
            finally:
                self.ended.append(url)

    class ListsThenHangs:
        async def discover(self, ctx):
            yield Listing("2023年政府信息公开工作年度报告", url)
            await asyncio.Event().wait()

    async def main():
        fetcher = Forever()
        crawl = PortalCrawl(portal, fetcher, events.Sink(open_db(tmp_path / "r.db"), portal.name,
                                                         PortalStats(portal.name)))
        crawl.adapter = ListsThenHangs()
        run = asyncio.ensure_future(crawl.run())
        while not fetcher.started:
            await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return fetcher, left

    fetcher, left = asyncio.run(main())
    assert fetcher.started == [url] and fetcher.ended == [url] and left == []


def test_a_report_that_cannot_be_stored_stops_the_listing_at_once(tmp_path):
    """A report that meets a full disk stops its portal's listing there and then: list pages unchanged since the
    last run need no write, so a listing left to go on would start and fetch every report it lists, to store none.
    The run ends with that report's StorageError."""
    import asyncio

    from crawlhelp import demo_config
    from govreports.crawl.portal import PortalCrawl
    from govreports.portals.adapters.base import Listing

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    host = sorted(portal.hosts)[0]

    class FullDisk:
        def __init__(self):
            self.fetched = []

        async def fetch(self, url, **kwargs):
            self.fetched.append(url)
            raise StorageError(f"could not write the archive /full: [Errno 28] No space left on device ({url})")

    class FiftyPages:  # a list page each 10 ms
        def __init__(self):
            self.listed = 0

        async def discover(self, ctx):
            for n in range(50):
                await asyncio.sleep(0.01)
                self.listed += 1
                yield Listing(f"{2000 + n}年政府信息公开工作年度报告", f"http://{host}/ordos/t{n}.html")

    fetcher, adapter = FullDisk(), FiftyPages()
    crawl = PortalCrawl(portal, fetcher, events.Sink(open_db(tmp_path / "r.db"), portal.name,
                                                     PortalStats(portal.name)))
    crawl.adapter = adapter
    with pytest.raises(StorageError, match="No space left on device .*/ordos/t0.html"):
        asyncio.run(crawl.run())
    assert adapter.listed <= 3 and len(fetcher.fetched) <= 3, (adapter.listed, fetcher.fetched)


@pytest.mark.parametrize("answered", [0, 2])
def test_an_adapter_that_fails_is_one_failed_list_page_after_those_that_answered(tmp_path, answered):
    """An adapter that chokes on a page after list pages answered leaves its portal partial: its list was
    reached, and what it listed was crawled. Before, the crash made the portal "unreachable — no list page
    answered" (and the run exit 3 when it was the only one). With no page answered first it is unreachable."""
    import asyncio
    from types import SimpleNamespace

    from crawlhelp import demo_config
    from govreports.crawl.portal import PortalCrawl
    from govreports.crawl.stats import PortalOutcome

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]

    class Answers:
        async def fetch(self, url, **kwargs):
            return SimpleNamespace(ok=True)

    class Chokes:
        async def discover(self, ctx):
            for n in range(answered):
                await ctx.fetch_list(f"{portal.start_url}?page={n}")
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
            yield  # pragma: no cover

    db = open_db(tmp_path / "r.db")
    crawl = PortalCrawl(portal, Answers(), events.Sink(db, portal.name, PortalStats(portal.name)))
    crawl.adapter = Chokes()
    stats = asyncio.run(crawl.run())
    assert (stats.pages, stats.list_failed) == (answered + 1, 1)
    assert stats.outcome == (PortalOutcome.PARTIAL if answered else PortalOutcome.UNREACHABLE)
    [(kind, error)] = db.execute("SELECT kind, error FROM fetch_log WHERE error IS NOT NULL").fetchall()
    assert kind == "list" and error == "list: the trs adapter failed: TypeError: unsupported operand type(s) for " \
                                      "+: 'int' and 'str'"


def test_a_known_report_page_that_holds_no_report_tonight_keeps_its_report_linked(tmp_path):
    """An empty 200 or a challenge page where a loaded report was: the item was made `not_report` and unlinked
    from its report (`status` then showed the portal with no report known). It is now a failure of tonight's
    fetch, tried again next run, still linked; a page that never held a report is `not_report`, as before."""
    from govreports.crawl.events import NotReport

    db = open_db(tmp_path / "g.db")
    url, other = "http://a.example/report.html", "http://a.example/news.html"
    stats = PortalStats("a")
    apply(db, "a", _read(url, record("乙县财政局", 2020, "2021", {})), stats)
    before = db.execute("SELECT report_id, document_id FROM items WHERE url = ?", [url]).fetchone()
    apply(db, "a", NotReport(Listed(url=url, title="乙县财政局2020年政府信息公开工作年度报告", list_date=None,
                                    year=2020), "empty file"), stats)
    apply(db, "a", NotReport(Listed(url=other, title="通知", list_date=None, year=None), "no annual report"), stats)
    rows = {u: r for u, *r in db.execute("SELECT url, status, report_id, document_id, error FROM items")}
    assert rows[url] == ["failed", *before, "empty file"] and before[0] is not None
    assert rows[other] == ["not_report", None, None, "no annual report"]
    assert stats.failed["parse"] == 2


@pytest.mark.parametrize("where", ["404", "off-host", "off-host beside the report"])
def test_a_report_whose_attachment_cannot_be_fetched_fails_for_that_reason_alone(tmp_path, where):
    """A page without tables whose attachment answers 404 (or a file host down for the night): the item was a
    `parse` failure too, "no annual report found", beside the attachment's http one; a file host down raised a false
    parse_failures_jump. The item now fails with the attachment's failure, counted once. An attachment on a host
    the config does not name was skipped without a word, and the item called "not a report"."""
    from crawlhelp import answer, crawl_one_listing, demo_config
    from govreports.demo.records import make_record
    from govreports.render import to_pdf

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    host = sorted(portal.hosts)[0]
    page_url, pdf_url = f"http://{host}/ordos/r.html", f"http://{host}/ordos/r.pdf"
    template = None
    if where.startswith("off-host"):
        pdf_url = "http://Files.Example.ORG:80/ordos/r.pdf"
    if where == "off-host beside the report":  # a form template on another host, the report on the portal's
        template, pdf_url = pdf_url.replace(".pdf", ".docx"), f"http://{host}/ordos/r.pdf"
    page = f'<html><body><p>见附件</p><a href="{pdf_url}">年报.pdf</a></body></html>'.encode()

    def answers(url):
        if url == page_url:
            return answer(url, page)
        if template is not None:  # the report, read from the portal's own host
            return answer(url, to_pdf(make_record(3, "某县教育局", 2020)), "application/pdf")
        return answer(url, status=404)

    db = open_db(tmp_path / "r.db")
    stats, asked = crawl_one_listing(db, portal, "某县2020年政府信息公开工作年度报告", page_url, answers,
                                     attachments=lambda page: [template, pdf_url] if template else [pdf_url])
    if template is not None:  # read from its own host: the template elsewhere is no failure of the item's
        assert dict(stats.failed) == {} and stats.new == 1 and asked == [page_url, pdf_url]
        assert db.execute("SELECT status FROM items").fetchall() == [("loaded",)]
        assert db.execute("SELECT count(*) FROM fetch_log WHERE error IS NOT NULL").fetchone() == (0,)
        return
    kind, error = ("http", "http: 404 Not Found") if where == "404" else (
        "host_not_allowed", "host_not_allowed: files.example.org is not among the portal's hosts; add it to "
        "attachment_hosts in the portal's config to read this file")
    assert dict(stats.failed) == {kind: 1}
    assert db.execute("SELECT status, error FROM items").fetchall() == [("failed", error)]
    assert db.execute("SELECT url, kind FROM fetch_log WHERE error IS NOT NULL").fetchall() == [(pdf_url, kind)]
    assert asked == [page_url, pdf_url] if where == "404" else asked == [page_url]


def test_a_listing_counts_titles_of_reports_of_any_year_apart_from_those_it_crawls(tmp_path):
    """`report_titles` (portal health: a column that holds reports, whatever the year asked) against `found`
    (what this run crawls: the year asked for) and `listed` (everything the lists showed)."""
    import asyncio

    from crawlhelp import demo_config
    from govreports.crawl.portal import PortalCrawl
    from govreports.portals.adapters.base import Listing

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    host = sorted(portal.hosts)[0]

    class ThreeItems:
        async def discover(self, ctx):
            for k, title in enumerate(("某县2020年政府信息公开工作年度报告", "某县2021年政府信息公开工作年度报告",
                                       "关于做好政务公开工作的通知")):
                yield Listing(title, f"http://{host}/ordos/t{k}.html")

    crawl = PortalCrawl(portal, None, events.Sink(open_db(tmp_path / "r.db"), portal.name, PortalStats(portal.name)),
                        2020)
    crawl.adapter = ThreeItems()
    crawl._item = lambda listing: asyncio.sleep(0)  # nothing fetched: only the listing's counts
    stats = asyncio.run(crawl.run())
    assert (stats.listed, stats.report_titles, stats.found, stats.skipped) == (3, 2, 1, 2)


@pytest.mark.parametrize("batched", [False, True])
def test_a_re_post_edited_on_its_own_page_stays_a_re_post(tmp_path, batched):
    """Portal b re-posts portal a's report; then b's page alone is edited (a line added, an agency typo mended):
    it became a second report of the agency's year beside the first, both current, counted twice by every sum. It
    stays a re-post of a's report. The same address serving another year's report is a report of its own."""
    db = open_db(tmp_path / "g.db")
    stats = PortalStats("b")
    read = _reader(db, stats, batched)

    original = record("甲市教育局", 2020, "2019", {"applications.new.total": 3})
    read("a", "http://a.example/r.html", original)
    read("b", "http://b.example/r.html", original)
    read("b", "http://b.example/r.html", {**original, "agency": "甲市教肓局", "sections": {"6": "（转载）"}})
    read("b", "http://b.example/r.html", {**original, "sections": {"6": "（转载）"}})
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM report_versions").fetchone() == (1,)
    [report_id] = db.execute("SELECT id FROM reports").fetchone()
    assert db.execute("SELECT status, report_id FROM items WHERE portal = 'b'").fetchall() == [("duplicate", report_id)]
    assert (stats.new, stats.duplicate) == (1, 3)
    read("b", "http://b.example/r.html", {**original, "year": 2021})
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (2,)
    assert db.execute("SELECT status FROM items WHERE portal = 'b'").fetchall() == [("loaded",)]


@pytest.mark.parametrize("where", ["page", "attachment"])
def test_a_document_whose_reader_is_not_installed_fails_as_missing_tool(tmp_path, monkeypatch, where):
    """README: a .doc with neither LibreOffice nor catdoc is recorded as `missing_tool` (the Debian package named).
    `parse` said so, but the crawl caught the error as any ParseError: the attachment was logged as `parse` and
    the item failed "no annual report found in this html document", a damaged file, not a machine to fix."""
    from crawlhelp import answer, crawl_one_listing, demo_config
    from govreports.crawl import portal as portal_crawl
    from govreports.parse.api import MissingToolError

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    host = sorted(portal.hosts)[0]
    page_url, doc_url = f"http://{host}/ordos/r.html", f"http://{host}/ordos/r.doc"
    page = f'<html><body><p>见附件</p><a href="{doc_url}">年报.doc</a></body></html>'.encode()
    word = b"\xd0\xcf\x11\xe0" + b"\x00" * 600
    missing = ("reading Word .doc files needs soffice: install the Debian package libreoffice-writer-nogui "
               "(or catdoc, for text and most cells)")
    real_parse = portal_crawl.parse_bytes

    def parse_bytes(data, *args, **kwargs):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise MissingToolError(missing, "libreoffice-writer-nogui")
        return real_parse(data, *args, **kwargs)

    monkeypatch.setattr(portal_crawl, "parse_bytes", parse_bytes)
    if where == "page":
        answers = {page_url: answer(page_url, word, "application/msword")}
    else:
        answers = {page_url: answer(page_url, page), doc_url: answer(doc_url, word, "application/msword")}
    db = open_db(tmp_path / "r.db")
    stats, _ = crawl_one_listing(db, portal, "某县2020年政府信息公开工作年度报告", page_url, answers.__getitem__,
                                 attachments=None if where == "page" else lambda page: [doc_url])
    failed_url = page_url if where == "page" else doc_url
    assert dict(stats.failed) == {"missing_tool": 1}
    assert db.execute("SELECT url, kind FROM fetch_log WHERE error IS NOT NULL").fetchall() == [
        (failed_url, "missing_tool")]
    assert db.execute("SELECT status, error FROM items").fetchall() == [("failed", f"missing_tool: {missing}")]


@pytest.mark.parametrize("batched", [False, True])
def test_a_page_that_now_holds_a_copy_of_another_page_s_report_no_longer_counts_its_own(tmp_path, batched):
    """Page b held one edition of an agency's year, page a another; then b's page serves a copy of a's report: b
    is a re-post of a's report, and the edition b held is no longer current (its version is kept), so the year is
    no longer counted twice. Read again, nothing changes."""
    db = open_db(tmp_path / "g.db")
    stats = PortalStats("b")
    read = _reader(db, stats, batched)

    final = record("甲市教育局", 2020, "2019", {"applications.new.total": 3})
    draft = record("甲市教育局", 2020, "2019", {"applications.new.total": 30})
    read("a", "http://a.example/r.html", final)
    read("b", "http://b.example/r.html", draft)
    [(kept, _), (old, old_version)] = db.execute("SELECT id, current_version_id FROM reports ORDER BY id").fetchall()
    read("b", "http://b.example/r.html", final)
    assert db.execute("SELECT id, current_version_id FROM reports ORDER BY id").fetchall() == [
        (kept, kept), (old, None)]
    assert db.execute("SELECT report_id FROM report_versions WHERE id = ?", [old_version]).fetchone() == (old,)
    assert db.execute("SELECT status, report_id FROM items WHERE portal = 'b'").fetchall() == [("duplicate", kept)]
    assert db.execute("SELECT report_id FROM agency_years WHERE year = 2020").fetchall() == [(kept,)]
    assert not_crawled(db) == 0  # (`status` named the edition no item holds now a report loaded from a file)
    read("b", "http://b.example/r.html", final)
    assert db.execute("SELECT id, current_version_id FROM reports ORDER BY id").fetchall() == [
        (kept, kept), (old, None)]


def test_a_batch_does_not_record_again_the_documents_its_reads_recorded(tmp_path):
    """A crawled item emits its Read, then a Seen for each document it fetched (crawl.portal._item): the page and
    the attachment read are the Read's own, which wrote them; their Seen looked each up again to find it stored. A
    Seen of another document, or of the same URL with other facts (a later answer), is still written."""
    db = open_db(tmp_path / "b.db")
    reads = [_read(f"http://a.example/{i}.html", record(f"测试市第{i}局", 2020, "2019", {})) for i in range(3)]
    other = _doc("http://a.example/other.pdf")
    newer = Doc(**{**reads[2].page.__dict__, "sha256": "f" * 64, "fetched_at": "2026-12-02T00:00:00+00:00"})
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    batch = [e for r in reads for e in (r, events.Seen(r.page), events.Seen(r.source))]
    again = events.Seen(reads[2].page)  # after a newer answer for its URL: written as it comes (a row again)
    events.apply_events(db, "a", [*batch, events.Seen(other), events.Seen(newer), again], PortalStats("a"))
    db.conn.set_trace_callback(None)
    assert sum(s.startswith("SELECT id, url, sha256") for s in statements) == 3 + 3
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 6
    assert db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall() == [("loaded", 3)]
