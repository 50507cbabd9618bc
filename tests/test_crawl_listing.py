"""What a listing that ends early tells the crawl: the page it stopped at is recorded as a failure, and the portal is
partial, whether the listing hit max_pages or a list API stopped short of the count it gives."""

from __future__ import annotations

import asyncio

import pytest

from crawlhelp import demo_config
from govreports.crawl import events
from govreports.crawl.portal import PortalCrawl
from govreports.crawl.stats import PortalOutcome, PortalStats
from govreports.store.db import open_db


def _crawl_with(tmp_path, name: str, say):
    """Crawl demo portal `name` with an adapter whose listing only calls `say(ctx, portal)`; its stats and
    fetch_log."""
    portal = demo_config("http://127.0.0.1:9").select(name)[0]

    class Saying:
        async def discover(self, ctx):
            say(ctx, portal)
            return
            yield  # pragma: no cover

    db = open_db(tmp_path / "r.db")
    crawl = PortalCrawl(portal, None, events.Sink(db, portal.name, PortalStats(portal.name)))
    crawl.adapter = Saying()
    stats = asyncio.run(crawl.run())
    return portal, stats, db.execute("SELECT url, kind, error FROM fetch_log").fetchall()


def test_a_listing_cut_short_by_max_pages_is_recorded_against_the_page_not_read(tmp_path):
    portal, stats, logged = _crawl_with(tmp_path, "demo-ordos",
                                        lambda ctx, portal: ctx.capped(f"{portal.start_url}?page=5001"))
    assert stats.failed == {"max_pages": 1} and stats.outcome == PortalOutcome.PARTIAL
    assert logged == [
        (f"{portal.start_url}?page=5001", "max_pages", "max_pages: the listing stopped after 5000 list pages; this "
         "page and any after it were not read (raise max_pages in the portal's config)")]


def test_a_list_api_that_ends_short_of_its_count_makes_the_portal_partial_and_names_the_page(tmp_path):
    portal, stats, logged = _crawl_with(
        tmp_path, "demo-gd", lambda ctx, portal: ctx.short(f"{portal.start_url}?page=2", 10, 37, repeated=True))
    assert stats.failed == {"pager": 1} and stats.outcome == PortalOutcome.PARTIAL
    assert logged == [
        (f"{portal.start_url}?page=2", "pager", "pager: the listing ended at this page after 10 of the 37 items the "
         "list API counts; it repeated the pages before it: the API may ignore the page number (check the page "
         "parameter in the portal's config)")]


def test_an_adapter_s_own_reason_for_a_short_listing_is_the_one_recorded(tmp_path):
    """A Hanweb page with no <nextgroup> template is neither an empty page nor a repeated one: its reason is said."""
    portal, stats, logged = _crawl_with(tmp_path, "demo-hanweb", lambda ctx, portal: ctx.short(
        portal.start_url, 3, 12, repeated=False, why="the page has no <nextgroup> link"))
    assert stats.failed == {"pager": 1} and stats.outcome == PortalOutcome.PARTIAL
    assert logged == [(portal.start_url, "pager", "pager: the listing ended at this page after 3 of the 12 items "
                       "the list API counts; the page has no <nextgroup> link")]


def test_a_count_below_the_items_read_is_logged_against_the_run_and_fails_nothing(tmp_path):
    """A list API whose count is below the items it served (Hanweb's <totalrecord>): the adapter reads on, and the
    run's log names the page and the count; the portal is not failed for a site's wrong count."""
    def say(ctx, portal):
        ctx.stats.pages += 1
        ctx.miscounted(f"{portal.start_url}?startrecord=46", 90, 40, "the listing read on")

    portal, stats, logged = _crawl_with(tmp_path, "demo-hanweb", say)
    assert stats.failed == {} and stats.outcome == PortalOutcome.OK
    assert logged == [(f"{portal.start_url}?startrecord=46", "miscount", "miscount: the list API counts 40 items in "
                       "the column after 90 were read; the listing read on")]


@pytest.mark.parametrize("pages", [1, 2])
def test_a_list_page_that_answered_other_than_a_list_is_a_failed_list_page(tmp_path, pages):
    """An API page answering an HTML 系统繁忙 page instead of its JSON: counted as a failed list page against its
    URL; the portal partial after a page that answered, unreachable when it was the only one (not an empty column)."""
    def say(ctx, portal):
        ctx.stats.pages += pages  # as fetch_list counts the pages it asked for
        ctx.unreadable(f"{portal.start_url}?page={pages}", "the answer is not the JSON list expected (X)")

    portal, stats, logged = _crawl_with(tmp_path, "demo-gd", say)
    assert stats.failed == {"list": 1} and stats.list_failed == 1
    assert stats.outcome == (PortalOutcome.UNREACHABLE if pages == 1 else PortalOutcome.PARTIAL)
    assert logged == [(f"{portal.start_url}?page={pages}", "list",
                       "list: the answer is not the JSON list expected (X)")]
