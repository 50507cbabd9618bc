"""Reports whose body is only in a JavaScript data file (`let content = "…"`: PORTALS.md §9, the source of the
Shanghai sample; the demo's custom site serves two so, sites/custom.py): crawled, archived, re-parsed, re-checked,
and failed by name when the data file is not one. One crawl of the custom site on the session's demo portal; the
tests that break or edit a data file replace the site's `data_file` for their own crawl only (monkeypatch, undone
after it), never the portal's reports or faults."""

from __future__ import annotations

import shutil

import pytest

from crawlhelp import answer, crawl_demo, crawl_one_listing, demo_config, mismatches, served_instead, site_truth
from govreports.store.db import open_db
from govreports.demo.hosts import path_of


@pytest.fixture(scope="module")
def portal(demo_portal):
    return demo_portal


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("custom")
    db, summary = crawl_demo(portal, workdir, portals=("demo-custom",))
    assert summary.total("failed") == 0 and mismatches(db, site_truth(portal, "custom")) == []
    return workdir, db, summary

def _scripted(portal) -> dict[str, str]:
    """Report page URL -> its data file's URL, for the demo's reports served so."""
    from govreports.demo.sites.custom import _data_file_name

    return {portal.url(it.path): portal.url(it.path.rsplit("/", 1)[0] + "/" + _data_file_name(it))
            for it in portal.catalog.reports() if it.extra.get("body") == "script"}


def test_a_report_whose_body_is_in_a_javascript_data_file_is_loaded_with_its_cells(portal, crawled):
    """The page has an empty div and scripts; the report is `let content = "…"` in js/content_{id}.js beside it
    (the Shanghai sample's real shape). The crawl found "no annual report" on the page: now the data file is read,
    archived and parsed, and the report loads cell for cell; the page's other scripts (its libraries, util.js)
    are never fetched."""
    from govreports import schema
    from govreports.store.read import get_record

    _, db, _ = crawled
    scripted = _scripted(portal)
    truth = portal.ground_truth()
    assert len(scripted) == 2 and {truth[url]["format"] for url in scripted} == {"2019", "2021"}
    for url, data_url in scripted.items():
        report_id, document_url = db.execute("SELECT r.id, d.url FROM reports r JOIN documents d ON d.id ="
                                             " r.document_id WHERE r.source_key = ?", [url]).fetchone()
        assert document_url == data_url
        assert db.execute("SELECT status, attachment_url FROM items WHERE url = ?", [url]).fetchone() == \
            ("loaded", data_url)
        record = get_record(db, report_id)
        cells = list(schema.iter_cells(truth[url]))
        assert len(cells) > 50
        assert [(t, r, c, (record.get(t) or {}).get(r, {}).get(c)) for t, r, c, _ in cells] == cells
        assert (record["title"], record["published"]) == (truth[url]["title"], truth[url]["published"])
    asked = {u for (u,) in db.execute("SELECT url FROM documents UNION SELECT url FROM fetch_log")}
    assert not [u for u in asked if u.endswith("/js/util.js") or "/libs/" in u]


@pytest.mark.parametrize("served,kind", [("404", "http"), ("html", "data_file"), ("cut", "data_file")])
def test_a_data_file_that_fails_fails_its_report_never_half_of_it(portal, tmp_path, monkeypatch, served, kind):
    """A data file that answers 404, an HTML page instead of the script, or a script cut short mid-string: each of
    the two reports fails, named against its data file, and none is loaded (neither half a report nor "not a
    report"); the site's other reports load as before."""
    from govreports.demo.base import Response, not_found
    from govreports.demo.sites import custom

    real = custom.data_file

    def broken(portal_, it):
        answer = real(portal_, it)
        if served == "404":
            return not_found()
        if served == "html":
            return Response(200, "<html><body><p>系统繁忙，请稍后再试</p></body></html>".encode(), "text/html")
        return Response(200, answer.body[:len(answer.body) * 2 // 3], answer.content_type)

    monkeypatch.setattr(custom, "data_file", broken)
    scripted = _scripted(portal)
    db, summary = crawl_demo(portal, tmp_path, portals=("demo-custom",))
    assert summary.total("failed") == 2 and dict(summary.portals[0].failed) == {kind: 2}
    stored = {k for (k,) in db.execute("SELECT source_key FROM reports")}
    assert not stored & set(scripted)
    truth = {url: r for url, r in site_truth(portal, "custom").items() if url not in scripted}
    assert mismatches(db, truth) == []
    failures = dict(db.execute("SELECT url, error FROM fetch_log WHERE kind = ?", [kind]).fetchall())
    assert set(failures) == set(scripted.values())
    if kind == "data_file":
        expected = "not JavaScript" if served == "html" else "cut short"
        assert all(error.startswith(f"data_file: {expected}") for error in failures.values()), failures
    assert {s for (s,) in db.execute("SELECT status FROM items WHERE url IN (?, ?)", list(scripted))} == {"failed"}


def test_reparse_reads_a_data_file_report_from_the_archive_and_names_a_broken_one(portal, crawled, tmp_path,
                                                                                 monkeypatch):
    """`reparse` rebuilds the report from the archived page and data file, without the network, as the crawl read
    it (it had parsed the bare script: a parse failure); a data file that is cut short in the archive fails by
    name, its report kept as loaded."""
    import httpx

    from govreports.runs.reparse import reparse

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    shutil.copytree(workdir / "archive", tmp_path / "archive")
    monkeypatch.setattr(httpx.AsyncClient, "send", lambda *a, **k: pytest.fail("reparse used the network"))
    scripted = _scripted(portal)
    config = demo_config(portal.base_url)
    summary = reparse(copy, tmp_path / "archive", config)
    assert summary.row()["failed"] == 0 and summary.row()["changed"] == 0
    assert summary.row()["unchanged"] == summary.documents > len(scripted)
    data_url = sorted(scripted.values())[0]
    (path,) = copy.execute("SELECT archive_path FROM documents WHERE url = ?", [data_url]).fetchone()
    script = (tmp_path / "archive" / path).read_bytes()
    served_instead(copy, tmp_path / "archive", data_url, script[:len(script) // 2])  # served cut short
    versions = copy.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    summary = reparse(copy, tmp_path / "archive", config)
    assert summary.row()["failed"] == 1 and summary.row()["changed"] == 0
    (error,) = copy.execute("SELECT error FROM fetch_log WHERE kind = 'data_file' AND url = ?", [data_url]).fetchone()
    assert error.startswith("data_file: cut short")
    assert copy.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions


def test_an_edited_data_file_under_an_unchanged_page_gives_a_new_version(portal, crawled, tmp_path, monkeypatch):
    """The page is a static shell: an edit to the report changes only its data file. The known page answers 304 and
    its data file (the item's attachment_url) is asked too: changed, it is read with the page's archived copy and
    the new record is loaded; unchanged, the report is unchanged without anything read from the archive."""
    from govreports.demo.base import Response
    from govreports.demo.sites import custom

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    shutil.copytree(workdir / "archive", tmp_path / "archive")
    url, data_url = sorted(_scripted(portal).items())[0]
    real = custom.data_file

    def edited(portal_, it):
        answer = real(portal_, it)
        if portal_.url(it.path) != url:
            return answer
        assert answer.body.endswith(b'</p>"\n')  # a paragraph added at the end of the report (section 六)
        return Response(200, answer.body[:-2] + "<p>本报告于次年修订。</p>".encode() + b'"\n', answer.content_type,
                        last_modified=answer.last_modified + 86400)

    monkeypatch.setattr(custom, "data_file", edited)
    portal.clear_requests()
    _, summary = crawl_demo(portal, tmp_path, db=copy, portals=("demo-custom",))
    assert summary.total("changed") == 1 and summary.total("failed") == 0
    page_path, data_path = path_of(url), path_of(data_url)
    asked = {(r.path + (f"?{r.query}" if r.query else "")): r.status for r in portal.requests}
    assert asked[page_path] == 304 and asked[data_path] == 200
    (versions,) = copy.execute("SELECT count(*) FROM report_versions v JOIN reports r ON r.id = v.report_id"
                               " WHERE r.source_key = ?", [url]).fetchone()
    assert versions == 2


def test_a_prose_report_on_its_page_beside_a_script_named_like_a_data_file_loads_from_its_page(tmp_path):
    """A pre-2019 report (prose, no tables) held by its page, whose folder also serves an ordinary script named
    like a data file (js/detail.js: the page's own code, no `content = "…"`). The page held the report: it loads
    from the page, as before data files were read, with no request for the script; the item had failed as
    `data_file` ("no `content = "…"` string"), its report lost."""
    portal = demo_config("http://127.0.0.1:9").select("demo-custom")[0]
    host = sorted(portal.hosts)[0]
    page_url, script_url = f"http://{host}/content.html", f"http://{host}/js/detail.js"
    title = "某县教育局2016年政府信息公开工作年度报告"
    page = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            "<p>一、概述</p><p>2016年，我局认真贯彻落实《政府信息公开条例》，主动公开政府信息120条。</p>"
            "<p>二、主动公开政府信息情况</p><p>全年主动公开政府信息120条，其中通过网站公开98条。</p>"
            "<p>三、依申请公开政府信息情况</p><p>全年收到政府信息公开申请5件，均已按时答复。</p>"
            "<p>四、政府信息公开的收费及减免情况</p><p>未收取任何费用。</p>"
            "<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p><p>无。</p>"
            f'<script src="js/detail.js"></script></body></html>').encode()
    script = b"$(function () { $('.share').hide(); });\n"

    def answers(url):
        return answer(url, page) if url == page_url else answer(url, script, "application/javascript")

    db = open_db(tmp_path / "r.db")
    stats, asked = crawl_one_listing(db, portal, title, page_url, answers)
    assert dict(stats.failed) == {} and stats.new == 1
    assert db.execute("SELECT status, attachment_url FROM items").fetchall() == [("loaded", None)]
    assert db.execute("SELECT format FROM reports").fetchall() == [("pre2019",)]
    assert asked == [page_url] and script_url not in asked


def test_reparse_reads_a_data_file_report_with_the_page_that_named_it_after_the_page_changed(portal, crawled,
                                                                                            tmp_path, monkeypatch):
    """A later night the report's page answered a 系统维护 page (200, no data file named): the item failed and keeps
    its report, the maintenance page archived as the page's newest copy. `reparse` reads the report from the page
    copy that named its data file, as the crawl did: it had parsed the bare script under the maintenance page and
    changed the report to another record (or failed it)."""
    from govreports.demo.base import html
    from govreports.demo.sites import custom
    from govreports.runs.reparse import reparse

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    shutil.copytree(workdir / "archive", tmp_path / "archive")
    url = sorted(_scripted(portal))[0]
    real = custom.detail_page

    def maintenance(portal_, it):
        if portal_.url(it.path) != url:
            return real(portal_, it)
        return html("<html><head><title>系统维护</title></head><body><p>系统维护中，请稍后访问。</p></body></html>",
                    last_modified=portal_.modified(it) + 86400)

    monkeypatch.setattr(custom, "detail_page", maintenance)
    _, summary = crawl_demo(portal, tmp_path, db=copy, portals=("demo-custom",))
    assert copy.execute("SELECT status FROM items WHERE url = ?", [url]).fetchone() != ("loaded",)
    versions = copy.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    summary = reparse(copy, tmp_path / "archive", demo_config(portal.base_url))
    assert summary.row()["changed"] == 0 and summary.row()["failed"] == 0, summary.row()
    assert copy.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions


@pytest.mark.parametrize("script", ["own code", "data file"])
def test_a_page_whose_attachment_did_not_answer_fails_for_that_unless_its_data_file_holds_the_report(tmp_path,
                                                                                                     script):
    """A page that links a PDF whose host is down tonight (404), beside a script in its folder named like a data
    file. Its own code (js/detail.js, no `content = "…"`): the item fails for the PDF (http), as before data files
    were read; it failed as `data_file`, a parse kind beside the http one (a file host down for a night raised a
    false parse_failures_jump again). A real data file: the report is read from it, the PDF's failure named against
    the PDF alone."""
    from govreports.demo.records import make_record
    from govreports.render import to_html

    portal = demo_config("http://127.0.0.1:9").select("demo-custom")[0]
    host = sorted(portal.hosts)[0]
    page_url, pdf_url = f"http://{host}/content.html", f"http://{host}/files/r.pdf"
    title = "某县教育局2022年政府信息公开工作年度报告"
    page = (f"<html><head><title>{title}</title></head><body><div id='detail'></div>"
            f'<a href="files/r.pdf">办事指南.pdf</a><script src="js/detail.js"></script></body></html>').encode()
    if script == "data file":
        report = to_html(make_record(3, "某县教育局", 2022))
        body = report[report.index("<body>") + 6:report.rindex("</body>")]
        code = ("let content = " + __import__("json").dumps(body, ensure_ascii=False) + "\n").encode()
    else:
        code = b"$(function () { $('.share').hide(); });\n"

    def answers(url):
        if url == pdf_url:
            return answer(url, status=404)
        return answer(url, page) if url == page_url else answer(url, code, "application/javascript")

    db = open_db(tmp_path / "r.db")
    stats, asked = crawl_one_listing(db, portal, title, page_url, answers)
    assert dict(stats.failed) == {"http": 1}
    assert db.execute("SELECT url, kind FROM fetch_log WHERE error IS NOT NULL").fetchall() == [(pdf_url, "http")]
    if script == "data file":
        assert stats.new == 1 and db.execute("SELECT status, attachment_url FROM items").fetchall() == [
            ("loaded", f"http://{host}/js/detail.js")]
    else:
        assert db.execute("SELECT status, error FROM items").fetchall() == [("failed", "http: 404 Not Found")]


def test_reparse_of_a_data_file_report_whose_page_the_archive_lost_keeps_its_report(portal, crawled, tmp_path):
    """The report is the data file's HTML under its archived page's head (its title, its PubDate meta). With the
    page's body gone from the archive the re-parse parsed the bare script and loaded it as a new version (its date
    then read from the page text, `published_source` meta → page), exit 0, nothing said. Now it is `missing`,
    named against the page's URL, and its report kept as the crawl loaded it."""
    from govreports.runs.reparse import reparse

    workdir, db, _ = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    shutil.copytree(workdir / "archive", tmp_path / "archive")
    url, data_url = sorted(_scripted(portal).items())[0]
    (sha,) = copy.execute("SELECT sha256 FROM documents WHERE url = ?", [url]).fetchone()
    (tmp_path / "archive" / sha[:2] / sha[2:4] / sha).unlink()
    versions = copy.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    summary = reparse(copy, tmp_path / "archive", demo_config(portal.base_url))
    assert summary.row()["missing"] == 1 and summary.row()["changed"] == 0, summary.row()
    assert copy.execute("SELECT url, error FROM fetch_log WHERE kind = 'archive_missing'").fetchall() == [
        (url, f"archived body {sha} not found (the page of {data_url})")]
    assert copy.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions
    assert mismatches(copy, site_truth(portal, "custom")) == []
