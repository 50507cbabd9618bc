"""A crawl stopped while it parses a corrected report: the next run reads the correction. The documents an item
fetched are written after what was made of them; written before, a stop left the new validators without the new
report, and every later run got 304 and called the unread correction unchanged."""

from __future__ import annotations

import asyncio

import pytest

from crawlhelp import FAST, crawl_demo, demo_config, mismatches
from govreports.crawl import pipeline
from govreports.crawl.portal import PortalCrawl
from govreports.demo import DemoPortal


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=5).start(port=0)
    yield p
    p.stop()


def _stop_while_parsing(portal, workdir, db, url: str, monkeypatch) -> None:
    """A crawl cancelled (as a SIGTERM cancels it) while it parses the document at `url`; the pending events are
    written on the way out, as the crawl's finally writes them."""
    parse = PortalCrawl._parse

    async def stalled(self, data, name, hints, http_charset=None):
        if name == url:
            parsing.set()
            await asyncio.sleep(3600)
        return await parse(self, data, name, hints, http_charset)

    async def run():
        crawl = asyncio.ensure_future(pipeline.crawl(demo_config(portal.base_url), db, workdir / "archive",
                                                     parse_workers=0, **FAST))
        await asyncio.wait([crawl, asyncio.ensure_future(parsing.wait())], return_when=asyncio.FIRST_COMPLETED)
        assert not crawl.done(), "the crawl ended before it parsed the corrected document"
        crawl.cancel()
        with pytest.raises(asyncio.CancelledError):
            await crawl

    parsing = asyncio.Event()
    with monkeypatch.context() as patch:
        patch.setattr(PortalCrawl, "_parse", stalled)
        asyncio.run(run())


def _versions(db, url: str) -> int:
    return db.execute("SELECT count(*) FROM report_versions v JOIN reports r ON r.id = v.report_id"
                      " WHERE r.source_key = ?", [url]).fetchone()[0]


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_a_correction_whose_parse_was_stopped_is_read_by_the_next_run(portal, tmp_path, monkeypatch, kind):
    """The page corrected, or the PDF attachment under an unchanged page; each case crawls afresh (its own
    database), so the module's portal keeps the other case's edit."""
    db, _ = crawl_demo(portal, tmp_path)
    report = next(r for r in portal.reports if r.kind == kind and r.record["format"] in ("2019", "2021")
                  and (kind == "html" or r.attachment_url))
    portal.edit(report.id)
    _stop_while_parsing(portal, tmp_path, db, report.url if kind == "html" else report.attachment_url, monkeypatch)
    assert _versions(db, report.url) == 1  # the stop came before the correction was loaded
    _, summary = crawl_demo(portal, tmp_path, db=db)
    assert summary.total("changed") == 1 and summary.total("failed") == 0
    assert _versions(db, report.url) == 2
    assert mismatches(db, portal.ground_truth()) == []
