"""A known report on a later night: its page answering 304 and its file asked again (attachment or data file), on
the session's demo portal. What is asked, how often, and what the item becomes."""

from __future__ import annotations

import re

import pytest
from crawlhelp import crawl_demo

from govreports.demo.base import not_found
from govreports.demo.hosts import path_of


@pytest.mark.parametrize("file", ["attachment", "data file"])
def test_a_known_report_whose_file_is_gone_tonight_asks_for_the_file_once(demo_portal, tmp_path, monkeypatch, file):
    """The page answers 304 and the report's PDF (or the JavaScript data file holding its body) 404: a file host
    pruned, a file renamed. The file was asked a second time when the page was read again (and a 5xx's retries and
    waits twice over). Asked once, the item fails for it, and the report stays loaded."""
    from govreports.demo.sites import custom

    db, _ = crawl_demo(demo_portal, tmp_path, portals=("demo-custom",))
    if file == "attachment":
        report = next(r for r in demo_portal.reports if r.site == "custom" and r.attachment_url)
        page, gone = report.url, path_of(report.attachment_url)
    else:
        item = next(it for it in demo_portal.catalog.reports() if it.extra.get("body") == "script")
        page, gone = demo_portal.url(item.path), item.path.rsplit("/", 1)[0] + "/" + custom._data_file_name(item)
        assert db.execute("SELECT attachment_url FROM items WHERE url = ?", [page]).fetchone() == \
            (demo_portal.url(gone),)
    real = custom.handle
    monkeypatch.setattr(custom, "handle", lambda req, portal: not_found() if req.path == gone else real(req, portal))
    demo_portal.clear_requests()
    _, summary = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-custom",))
    assert [r.status for r in demo_portal.requests if r.path == gone] == [404]
    assert summary.total("failed") == 1 and summary.total("changed") == 0
    status, report_id = db.execute("SELECT status, report_id FROM items WHERE url = ?", [page]).fetchone()
    assert status == "failed" and report_id is not None


def test_a_scan_whose_ocr_stopped_short_is_read_again_until_whole(demo_portal, tmp_path, monkeypatch):
    """The scan's second page passes its time bound tonight (a loaded machine, a slow page): the report loads with
    "1/2" pages read. Its page and file answer 304 on every later night, and it stayed half read until a reparse.
    The next night reads it again from the archive, its first page from the tool cache, and loads it whole. So with
    the 图片版 report shown as pictures in its article: its page and both pictures answer 304, read from the archive;
    whole, a later night asks for its page alone (the page names the pictures, each a file of its own)."""
    from crawlhelp import read_scans_once
    from govreports.extract import ocr
    from govreports.store.read import get_record

    read_scans_once(demo_portal)  # the session's OCR of the scan first: the cut below is tonight's crawl's own
    scan = next(r for r in demo_portal.reports if r.kind == "scan")
    shown = next(r for r in demo_portal.reports if r.kind == "pictures")
    pictures = {demo_portal.url(f"{shown._item.extra['pictures']}_{k}.jpg") for k in (1, 2)}
    files = {scan.url, scan.attachment_url, shown.url} | pictures
    real, pages = ocr._page_words, []

    def every_second_page_past_its_time(image, rules, timeout, tesseract):
        pages.append(image.size)  # (parse_workers=0: one document at a time, in this process; two pages each)
        return real(image, rules, timeout, tesseract) if len(pages) % 2 else None

    monkeypatch.setattr(ocr, "_page_words", every_second_page_past_its_time)
    db, _ = crawl_demo(demo_portal, tmp_path, portals=("demo-ordos",), parse_workers=0)
    ids = [db.execute("SELECT report_id FROM items WHERE url = ?", [r.url]).fetchone()[0] for r in (scan, shown)]
    assert [get_record(db, i)["ocr_pages"] for i in ids] == ["1/2", "1/2"] and len(pages) == 4
    monkeypatch.setattr(ocr, "_page_words", real)
    demo_portal.clear_requests()
    _, summary = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-ordos",), parse_workers=0)
    asked = sorted((demo_portal.url(r.path), r.status) for r in demo_portal.requests if demo_portal.url(r.path) in files)
    assert asked == sorted((url, 304) for url in files)  # nothing downloaded again: read from the archive
    assert [get_record(db, i)["ocr_pages"] for i in ids] == ["2/2", "2/2"]
    assert summary.total("changed") == 2 and summary.total("new") == 0
    # whole now: a third night calls them unchanged, as every other report
    demo_portal.clear_requests()
    _, summary = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-ordos",), parse_workers=0)
    assert summary.total("changed") == 0 and summary.total("unchanged") == summary.total("found")
    asked = {demo_portal.url(r.path) for r in demo_portal.requests if demo_portal.url(r.path) in files}
    assert asked == files - pictures


def test_unfinished_is_a_time_bound_short_of_the_pages():
    from govreports.extract.ocr import MAX_PAGES, unfinished

    assert unfinished("1/2") and unfinished("0/3") and unfinished(f"3/{MAX_PAGES + 5}")
    assert not unfinished("2/2") and not unfinished(f"{MAX_PAGES}/{MAX_PAGES + 5}")
    assert not unfinished(None) and not unfinished("") and not unfinished("x/2")


def test_a_known_report_whose_copy_is_older_than_refetch_after_days_is_fetched_whole_once(demo_portal, tmp_path):
    """The documents a crawl stored long ago: the next night asks for them without validators (a server whose
    ETag never changes hides a correction behind 304 for good) and finds them the same; the crawl's events carry
    that to the store, whose rows' fetched_at move on, so the night after asks conditionally again."""
    db, _ = crawl_demo(demo_portal, tmp_path, portals=("demo-custom",))
    report = next(r for r in demo_portal.reports if r.site == "custom" and r.attachment_url)
    files = {path_of(report.url), path_of(report.attachment_url)}
    db.execute("UPDATE documents SET fetched_at = '2000-01-01T00:00:00+00:00'")
    db.conn.commit()
    nights = []
    for _night in range(2):
        demo_portal.clear_requests()
        _, summary = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-custom",))
        asked = [(f"{r.path}?{r.query}" if r.query else r.path, r.conditional, r.status) for r in demo_portal.requests]
        nights.append(sorted(a for a in asked if a[0] in files))
        assert summary.total("failed") == 0 and summary.total("changed") == 0
    assert nights[0] == sorted((path, False, 200) for path in files)
    assert nights[1] == sorted((path, True, 304) for path in files)
    assert db.execute("SELECT count(*) FROM documents WHERE fetched_at < '2001'").fetchone() == (0,)


def test_a_known_report_answered_whole_with_the_same_bodies_is_unchanged_not_read_again(tmp_path, monkeypatch):
    """A server that sends no validators answers 200 every night: the page and its PDF, the very bodies stored,
    were read again (the PDF parsed, a scan's pages drawn and OCR's cache asked) every night. They are unchanged, as
    on a 304; a PDF changed tonight is read."""
    from crawlhelp import answer, crawl_one_listing, demo_config
    from govreports.crawl import portal as crawl_portal
    from govreports.demo.records import make_record
    from govreports.render import to_pdf
    from govreports.store.db import open_db

    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    host = sorted(portal.hosts)[0]
    page_url, pdf_url = f"http://{host}/ordos/r.html", f"http://{host}/ordos/r.pdf"
    page = f'<html><body><p>见附件</p><a href="{pdf_url}">年报.pdf</a></body></html>'.encode()
    pdfs = [to_pdf(make_record(3, "某县教育局", 2020)), to_pdf(make_record(4, "某县教育局", 2020))]
    parsed, real_parse = [], crawl_portal.PortalCrawl._parse

    async def counted(self, data, name, hints, http_charset=None):
        parsed.append(name)
        return await real_parse(self, data, name, hints, http_charset)

    monkeypatch.setattr(crawl_portal.PortalCrawl, "_parse", counted)
    db = open_db(tmp_path / "r.db")

    def night(pdf: bytes):
        parsed.clear()
        return crawl_one_listing(db, portal, "某县教育局2020年政府信息公开工作年度报告", page_url,
                                 lambda url: answer(url, page) if url == page_url else
                                 answer(url, pdf, "application/pdf"), attachments=lambda page: [pdf_url])

    stats, _ = night(pdfs[0])
    assert stats.new == 1 and parsed == [page_url, pdf_url]
    stats, asked = night(pdfs[0])
    assert asked == [page_url, pdf_url] and parsed == [] and stats.unchanged == 1
    stats, asked = night(pdfs[1])
    assert asked == [page_url, pdf_url] and parsed == [page_url, pdf_url] and stats.changed == 1


def _corrected(later_page: str) -> str:
    """A TRS article's later page with table 四 corrected: its first data row's first count one more, and its total."""
    table = later_page.find("</table>", later_page.find("未经复议直接起诉"))
    row = later_page.rfind("<tr", 0, table)
    cells = list(re.finditer(r">(\d+)</span>", later_page[row:table]))
    out = later_page
    for cell in reversed([cells[0], cells[4]]):
        at = row + cell.start(1)
        out = out[:at] + str(int(cell.group(1)) + 1) + out[at + len(cell.group(1)):]
    return out


def test_a_known_split_article_whose_later_page_changed_is_read_again(tmp_path):
    """A TRS article split over t…_{id}.html and t…_{id}_1.html (the demo's ordos report), its later page corrected
    (table 四) and its first the very page stored: the report was called unchanged on its first page alone, every
    night, the correction never loaded. Its later pages are asked too; where one changed, the report is read."""
    from crawlhelp import answer, crawl_one_listing, demo_config
    from govreports.demo import DemoPortal
    from govreports.demo.sites import trs
    from govreports.portals.adapters.trs import TrsAdapter
    from govreports.store.db import open_db
    from govreports.store.read import get_record

    demo = DemoPortal(seed=0)
    split = next(it for it in demo.catalog.reports() if it.extra.get("pages", 1) > 1)
    first, later = (trs.article(trs.ORDOS, demo, split, k).body.decode() for k in (0, 1))
    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    page_url = f"http://{sorted(portal.hosts)[0]}{split.path}"
    later_url = page_url.replace(".html", "_1.html")
    db = open_db(tmp_path / "r.db")

    def night(later_text: str):
        bodies = {page_url: first.encode(), later_url: later_text.encode()}
        return crawl_one_listing(db, portal, split.list_title, page_url, lambda url: answer(url, bodies.get(url)),
                                 kind=TrsAdapter)

    def review() -> dict:
        (report_id,) = db.execute("SELECT id FROM reports").fetchone()
        return get_record(db, report_id)["review_litigation"]["review"]

    stats, asked = night(later)
    assert stats.new == 1 and asked == [page_url, later_url]
    before = review()
    stats, asked = night(later)
    assert stats.unchanged == 1 and stats.changed == 0 and later_url in asked
    stats, asked = night(_corrected(later))
    assert stats.changed == 1 and asked.count(later_url) == 1
    assert review() == {**before, "upheld": before["upheld"] + 1, "total": before["total"] + 1}


def test_a_known_split_article_that_shrank_is_not_read_again_every_night(tmp_path, monkeypatch):
    """A TRS article of two pages (the demo's ordos report) that became one: its first page no longer names
    t…_{id}_1.html, which answers 404, the archive still holding it. Read again the night it shrank, it was read
    again every night after, on that 404. A later page gone (404, 410) that the first page, as stored, does not name
    is no part of the article: the report is unchanged, not read. It was still asked every night, one 404 a night
    for good: it is noted gone (fetch_log, against the first page's stored copy) and not asked again while that copy
    stands; the first page changed, its later pages are asked again."""
    from crawlhelp import answer, crawl_one_listing, demo_config
    from govreports.crawl.portal import PortalCrawl
    from govreports.demo import DemoPortal
    from govreports.demo.sites import trs
    from govreports.portals.adapters.trs import TrsAdapter
    from govreports.store.db import open_db

    demo = DemoPortal(seed=0)
    split = next(it for it in demo.catalog.reports() if it.extra.get("pages", 1) > 1)
    first, later = (trs.article(trs.ORDOS, demo, split, k).body.decode() for k in (0, 1))
    name = split.path.rsplit("/", 1)[1].removesuffix(".html")
    shrunk = first.replace(f'createPageHTML(2, 0, "{name}"', f'createPageHTML(1, 0, "{name}"')
    assert shrunk != first
    portal = demo_config("http://127.0.0.1:9").select("demo-ordos")[0]
    page_url = f"http://{sorted(portal.hosts)[0]}{split.path}"
    later_url = page_url.replace(".html", "_1.html")
    db = open_db(tmp_path / "r.db")
    real, reads = PortalCrawl._read, []

    def counted(self, listing, *args, **kwargs):
        reads.append(listing.url)
        return real(self, listing, *args, **kwargs)

    monkeypatch.setattr(PortalCrawl, "_read", counted)

    def night(first_text: str, gone: int | None = None):
        reads.clear()

        def reply(url):
            if url == later_url and gone:
                return answer(url, status=gone)
            return answer(url, {page_url: first_text.encode(), later_url: later.encode()}.get(url))
        return crawl_one_listing(db, portal, split.list_title, page_url, reply, kind=TrsAdapter)

    stats, asked = night(first)
    assert stats.new == 1 and asked == [page_url, later_url]
    stats, asked = night(shrunk, gone=404)  # the night it shrank: its first page changed, read again
    assert stats.changed == 1 and asked == [page_url] and reads == [page_url]
    for gone in (404, 410):
        stats, asked = night(shrunk, gone=gone)
        assert stats.unchanged == 1 and stats.failed == {} and reads == [], gone
        # asked the first night it is found gone, and noted; not asked again while the page stored stands
        assert asked == ([page_url, later_url] if gone == 404 else [page_url]), gone
    noted = db.execute("SELECT url, status, kind FROM fetch_log WHERE kind = 'gone'").fetchall()
    assert noted == [(later_url, "404", "gone")]
    stats, asked = night(first)  # two pages again
    assert reads == [page_url] and asked == [page_url, later_url]
    stats, asked = night(first, gone=404)  # a later page gone that the first page names: read again, it fails
    assert reads == [page_url] and asked == [page_url, later_url] and sum(stats.failed.values()) == 1
