"""`reparse` over an archive that lost or damaged a body: the report is left as it was loaded, the body is named
against its URL, and the run goes on. One crawl of the demo's TRS site (demo-ordos: HTML pages, PDF and DOCX
attachments, an article split over two pages) on the session's demo portal; each test re-parses a copy of it."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from crawlhelp import crawl_demo, demo_config, mismatches, truth_of_sites
from govreports.store.db import open_db


@pytest.fixture(scope="module")
def crawled(demo_portal, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ordos")
    db, summary = crawl_demo(demo_portal, workdir, portals=("demo-ordos",))
    assert summary.total("failed") == 0
    return workdir, db


def _copy(crawled, tmp_path):
    """A copy of the crawl's database and archive (and tool cache: the scan is not read by Tesseract again)."""
    workdir, db = crawled
    copy = open_db(tmp_path / "reports.db")
    db.conn.backup(copy.conn)
    for folder in ("archive", "toolcache"):
        if (workdir / folder).is_dir():
            shutil.copytree(workdir / folder, tmp_path / folder)
    return copy


def _counts(db) -> tuple[int, int, int]:
    return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("reports", "report_versions", "cell_values"))


def _ordos_truth(portal) -> dict[str, dict]:
    return truth_of_sites(portal, [portal.url("/ordos/")])


def test_a_truncated_or_overwritten_archived_body_is_named_and_its_report_kept(demo_portal, crawled, tmp_path):
    """The archive is content-addressed: a body whose bytes no longer hash to its name was cut short (a disk
    filled, a copy interrupted) or overwritten. The re-parse read it as it was: a report page cut at 85 % parsed
    into a record with sections and cells missing, loaded as the report's new current version, exit 0, nothing
    logged. Now such a body is `missing` from the archive, logged against its URL as damaged, and its report keeps
    the version the crawl loaded."""
    from govreports.runs.reparse import reparse

    copy = _copy(crawled, tmp_path)
    pages = copy.execute("SELECT d.url, d.archive_path FROM items i JOIN documents d ON d.id = i.document_id"
                         " WHERE i.status = 'loaded' AND i.attachment_url IS NULL AND d.media_type = 'text/html'"
                         " AND i.url NOT LIKE '%\\_1.html' ESCAPE '\\' ORDER BY i.url LIMIT 3").fetchall()
    (cut_url, cut), (over_url, over), (_, other) = pages
    body = (tmp_path / "archive" / cut).read_bytes()
    (tmp_path / "archive" / cut).write_bytes(body[:len(body) * 85 // 100])
    shutil.copyfile(tmp_path / "archive" / other, tmp_path / "archive" / over)  # another report's page in its place
    before = _counts(copy)
    summary = reparse(copy, tmp_path / "archive", demo_config(demo_portal.base_url))
    row = summary.row()
    assert (row["missing"], row["changed"], row["failed"]) == (2, 0, 0), row
    assert _counts(copy) == before
    logged = {url: error for url, error in copy.execute(
        "SELECT url, error FROM fetch_log WHERE kind = 'archive_missing'")}
    assert logged == {url: f"archived body {name} is damaged: its bytes no longer match their hash (cut short or "
                           f"overwritten); set aside as {name}.damaged: the next crawl fetches it again"
                      for url, name in ((cut_url, cut.rsplit('/', 1)[-1]), (over_url, over.rsplit('/', 1)[-1]))}
    assert mismatches(copy, _ordos_truth(demo_portal)) == []


@pytest.mark.parametrize("damage", ["gone", "cut short"])
def test_a_report_article_whose_later_page_the_archive_lost_is_kept_as_loaded(demo_portal, crawled, tmp_path,
                                                                              damage):
    """A TRS article split over two pages (t…_1.html) was loaded from both. With the second page's body gone from
    the archive (or cut short), the re-parse read the first page alone and loaded half the report (sections 四–六
    and table 四 missing) as its new current version, exit 0, nothing said: the crawl never loads half a report
    (crawl.portal's _later_pages). Now the report is `missing`, the lost page named against its own URL."""
    from govreports.runs.reparse import reparse

    copy = _copy(crawled, tmp_path)
    (later_url, later), = copy.execute("SELECT url, archive_path FROM documents WHERE url LIKE '%\\_1.html'"
                                       " ESCAPE '\\'").fetchall()
    path = tmp_path / "archive" / later
    if damage == "gone":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:-200])
    before = _counts(copy)
    summary = reparse(copy, tmp_path / "archive", demo_config(demo_portal.base_url))
    row = summary.row()
    assert (row["missing"], row["changed"], row["failed"]) == (1, 0, 0), row
    assert _counts(copy) == before
    ((url, error),) = copy.execute("SELECT url, error FROM fetch_log WHERE kind = 'archive_missing'").fetchall()
    sha = later.rsplit("/", 1)[-1]
    why = "not found" if damage == "gone" else "is damaged: its bytes no longer match their hash (cut short or " \
                                               "overwritten)"
    again = "" if damage == "gone" else f"; set aside as {sha}.damaged: the next crawl fetches it again"
    assert url == later_url and error == f"archived body {sha} {why} (a later page of {later_url[:-7]}.html){again}"
    assert mismatches(copy, _ordos_truth(demo_portal)) == []


def test_a_report_article_reached_through_a_redirect_is_read_with_its_later_pages(demo_portal, crawled, tmp_path):
    """The list links the article at an old address that redirects to where it is now (a column moved, http →
    https): the crawl resolves its later pages (t…_1.html) against the address the redirect ended at, its
    `documents` row's final_url. The re-parse resolved them against the old address, found no such page, and
    loaded the first page alone as the report's new current version (sections 6 → 3), exit 0. The rows are those
    a crawl of such a list writes: the item, the page's document and the report's key at the old address, the
    document's final_url the new one."""
    from govreports.runs.reparse import reparse

    copy = _copy(crawled, tmp_path)
    ((later_url,),) = copy.execute("SELECT url FROM documents WHERE url LIKE '%\\_1.html' ESCAPE '\\'").fetchall()
    now = later_url[:-len("_1.html")] + ".html"
    old = now.replace("/xxgknb/", "/xxgknb_old/")
    with copy.conn:
        copy.execute("UPDATE documents SET url = ?, final_url = ? WHERE url = ?", [old, now, now])
        copy.execute("UPDATE items SET url = ? WHERE url = ?", [old, now])
        copy.execute("UPDATE reports SET source_key = ? WHERE source_key = ?", [old, now])
    before = _counts(copy)
    summary = reparse(copy, tmp_path / "archive", demo_config(demo_portal.base_url))
    row = summary.row()
    assert (row["changed"], row["missing"], row["failed"]) == (0, 0, 0), row
    assert _counts(copy) == before


def test_a_reparse_stopped_midway_records_the_figures_of_what_it_did(demo_portal, crawled, tmp_path, monkeypatch):
    """A re-parse stopped midway (SIGTERM, Ctrl-C, its bounds) has loaded every batch before the one in hand, and
    logged each body it found missing. Its row in `runs` said `stopped` with no figures (summary_json NULL), and
    `status` said only that it stopped: how far it got, what changed and what failed could be read nowhere but in
    fetch_log. Now the row keeps the figures of what it did, as a finished one's (documents re-parsed, changed,
    unchanged, failed, missing), and `status` says them. Stopped here in its third batch's load."""
    import json
    import signal

    from typer.testing import CliRunner

    from govreports.cli import app
    from govreports.flows.reparse import reparse as flow
    from govreports.lifecycle import Stopped
    from govreports.runs import reparse as runs_reparse
    from govreports.store.documents import loaded_items

    copy = _copy(crawled, tmp_path)
    first = next(loaded_items(copy))
    (tmp_path / "archive" / first.document["archive_path"]).unlink()  # read first: `missing` before the stop
    real, loads, noted = runs_reparse.load_records, [], []

    def stopped_in_the_third(db, batch, **kwargs):
        loads.append(len(batch))
        if len(loads) == 3:  # the two batches' figures are in the row already, for a run killed where no code runs
            noted.extend(json.loads(row or "null") for row, in copy.execute(
                "SELECT summary_json FROM runs WHERE kind = 'reparse'"))
            raise Stopped(signal.SIGTERM)
        return real(db, batch, **kwargs)

    monkeypatch.setattr(runs_reparse, "LOAD_BATCH", 4)
    monkeypatch.setattr(runs_reparse, "load_records", stopped_in_the_third)
    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", str(demo_portal.port))
    paths = {"config": str(ROOT / "config" / "demo.toml"), "db": str(tmp_path / "reports.db"),
             "archive": str(tmp_path / "archive")}
    with pytest.raises(Stopped):
        flow.fn(**paths)
    ((outcome, error, summary),) = copy.execute("SELECT outcome, error, summary_json FROM runs WHERE kind = 'reparse'")
    assert (outcome, error) == ("stopped", "stopped by SIGTERM")
    did = [{"documents": 9, "changed": 0, "new": 0, "unchanged": 8, "failed": 0, "missing": 1, "skipped": 0}]
    assert json.loads(summary or "null") == did and noted == [did]
    said = CliRunner().invoke(app, ["status", "--db", paths["db"]]).output
    assert "stopped by SIGTERM at" in said and "; what it stored stays (re-parsed 9 document(s): 0 record(s) " \
        "changed, 8 unchanged, 0 failed, 1 missing from the archive)" in " ".join(said.split()), said


def test_a_damaged_body_is_fetched_again_by_the_next_crawl(demo_portal, crawled, tmp_path):
    """A body damaged in the archive stayed damaged for good: each crawl asked its URL with a conditional GET, the
    portal answered 304 and the damaged file stood for the document; a full fetch would not have replaced it either
    when its size was right (a flipped byte: the archive keeps a file of the body's size). Every re-parse named it
    `missing`, exit 1, night after night. The re-parse that finds it sets it aside (`<hash>.damaged`, kept for who
    wants to see it), so the next crawl finds no body, fetches the document whole and archives it again."""
    import hashlib

    from govreports.runs.reparse import reparse

    copy = _copy(crawled, tmp_path)
    (url, rel), = copy.execute("SELECT d.url, d.archive_path FROM items i JOIN documents d ON d.id = i.document_id"
                               " WHERE i.status = 'loaded' AND d.media_type = 'text/html' ORDER BY i.url"
                               " LIMIT 1").fetchall()
    path = tmp_path / "archive" / rel
    body = bytearray(path.read_bytes())
    body[len(body) // 2] ^= 0x01  # one bit flipped: the same size
    path.write_bytes(bytes(body))
    config = demo_config(demo_portal.base_url)
    first = reparse(copy, tmp_path / "archive", config).row()
    assert first["missing"] == 1, first
    logged, = (error for (error,) in copy.execute("SELECT error FROM fetch_log WHERE kind = 'archive_missing'"))
    assert logged.endswith(f"; set aside as {path.name}.damaged: the next crawl fetches it again")
    assert path.with_name(path.name + ".damaged").read_bytes() == bytes(body)
    before = reparse(copy, tmp_path / "archive", config).row()  # again, before any crawl: it says where it went
    assert before["missing"] == 1, before
    last, = copy.execute("SELECT error FROM fetch_log WHERE kind = 'archive_missing' ORDER BY id DESC LIMIT 1")
    assert last[0] == (f"archived body {path.name} was found damaged and set aside as {path.name}.damaged: the next "
                       "crawl fetches it again")
    crawl_demo(demo_portal, tmp_path, db=copy, portals=("demo-ordos",))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    again = reparse(copy, tmp_path / "archive", config).row()
    assert (again["missing"], again["changed"], again["failed"]) == (0, 0, 0), again
    assert mismatches(copy, _ordos_truth(demo_portal)) == []
