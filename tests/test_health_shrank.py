"""Portal health's `list_shrank`: a column whose lists answered without a failed page but listed far fewer items
than its usual (a TRS page 1 that lost its pager script, read as a one-page column; an API that ignores its page
parameter; a site that caps its list) is named, and the nights that must stay quiet stay quiet: a normal night, a
column that lost a report or two, a small column, a first run, a backfill (whose row adds up one listing per
partition), and nights that other rules already name (a failed list page, an empty column)."""

from __future__ import annotations

import pytest

from govreports.runs.health import SHRINK_MIN, Flag
from govreports.store.db import connect
from test_health import names, run, stats

HINT = "a lost pager, an ignored page parameter or a capped list? (`govreports crawl --dry-run` lists its pages)"


@pytest.fixture
def db(tmp_path):
    with connect(tmp_path / "shrank.db") as database:
        yield database


def test_a_column_read_as_one_page_of_five_is_named_until_it_lists_its_usual_again(db):
    """The TRS column whose page 1 lost its pager: 5 pages of 20 read as one, a fifth of the items, no failure."""
    for day, listed in (("2026-11-20", 96), ("2026-11-21", 97), ("2026-11-22", 97), ("2026-11-23", 98)):
        assert run(db, day, stats("ordos", listed=listed, pages=5, found=30)).health == []
    now = run(db, "2026-11-24", stats("ordos", listed=20, pages=1, found=6))
    assert now.health == [Flag("ordos", "list_shrank", "warning",
                               "listed 20 items on 1 list page now; usually 97 (the median of the previous 4 runs; "
                               f"98 on 5 pages on 2026-11-23): {HINT}")]
    # it stays open while the column stays short, however long: the nights it was named are not its usual
    for day in ("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"):
        assert names(run(db, day, stats("ordos", listed=20, pages=1, found=6))) == {"ordos": ["list_shrank"]}
    assert run(db, "2026-12-01", stats("ordos", listed=99, pages=5, found=30)).health == []
    stored = db.execute("SELECT DISTINCT flag, level FROM health_flags").fetchall()
    assert stored == [("list_shrank", "warning")]


def test_an_api_that_ignores_its_page_parameter_is_named_beside_the_pager_failure(db):
    """The JSON API serving page 1 for every page: the listing ends at the repeat (a `pager` failure on its URL,
    no failed list page), 15 items of 150. The failure was in the issues view only; the portal was healthy."""
    run(db, "2026-11-23", stats("api", listed=150, pages=10))
    now = run(db, "2026-11-24", stats("api", listed=15, pages=2, pager=1))
    assert names(now) == {"api": ["list_shrank"]}
    assert now.health[0].detail.startswith("listed 15 items on 2 list pages now; usually 150 (on 10 pages on "
                                           "2026-11-23, the previous run)")


def test_normal_nights_and_a_column_that_lost_a_report_or_two_stay_quiet(db):
    for day, listed in (("2026-11-20", 41), ("2026-11-21", 40), ("2026-11-22", 42), ("2026-11-23", 40)):
        assert run(db, day, stats("gd", listed=listed, pages=3)).health == []
    # a report taken down: 40 → 39; and one on the last page: 3 pages → 2, with the items nearly all there
    assert run(db, "2026-11-24", stats("gd", listed=39, pages=3)).health == []
    assert run(db, "2026-11-25", stats("gd", listed=38, pages=2)).health == []
    # a column that grew a lot, one night, does not make the next normal night look short
    assert run(db, "2026-11-26", stats("gd", listed=400, pages=20)).health == []
    assert run(db, "2026-11-27", stats("gd", listed=39, pages=3)).health == []


def test_a_first_run_and_a_small_column_stay_quiet(db):
    assert run(db, "2026-11-24", stats("new", listed=20, pages=1)).health == []  # nothing to compare with
    small = SHRINK_MIN + 1  # most of it gone, but fewer than SHRINK_MIN items: a site tidying a one-page column
    run(db, "2026-11-24", stats("small", listed=small, pages=1))
    assert run(db, "2026-11-25", stats("small", listed=2, pages=1)).health == []


def test_a_backfill_is_neither_judged_nor_the_usual_of_a_night(db):
    """A backfill's row adds up one listing per partition (how many is not in the row): 7 years of a column of
    40 are 280 listed. Neither is a night's 40 short against it, nor a backfill of 2 years short against 7."""
    run(db, "2026-11-20", stats("gd", listed=280, pages=21), kind="backfill")
    assert run(db, "2026-11-21", stats("gd", listed=40, pages=3)).health == []
    assert run(db, "2026-11-22", stats("gd", listed=80, pages=6), kind="backfill").health == []
    assert run(db, "2026-11-23", stats("gd", listed=40, pages=3)).health == []


def test_a_crawl_for_one_year_lists_what_a_night_lists(db):
    """`crawl --year` filters what it found, not what it listed: its runs and the nights are one history."""
    run(db, "2026-11-22", stats("gd", listed=100, pages=5, found=3, report_titles=30), kind="crawl")
    now = run(db, "2026-11-23", stats("gd", listed=20, pages=1, found=6))
    assert names(now) == {"gd": ["list_shrank"]}


def test_nights_other_rules_name_are_not_also_shrunk(db):
    run(db, "2026-11-23", stats("gd", listed=100, pages=5))
    # a list page failed: list_failing says so (the items of that page are the ones missing)
    now = run(db, "2026-11-24", stats("gd", listed=20, pages=5, list_failed=4, http=4))
    assert names(now) == {"gd": ["list_failing"]}
    # nothing listed: empty
    assert names(run(db, "2026-11-25", stats("gd", listed=0, pages=1))) == {"gd": ["empty"]}
    # fewer items and none titled as a report: the column moved to a look-alike, `empty` (an error) says so
    assert names(run(db, "2026-11-26", stats("gd", listed=4, pages=1, found=0))) == {"gd": ["empty"]}
    # none of these nights is the column's usual: the next short night is still measured against 100
    assert names(run(db, "2026-11-27", stats("gd", listed=20, pages=1))) == {"gd": ["list_shrank"]}


# --- end to end on the demo portal ---------------------------------------------------------------------------------

SCALE = 300  # the demo grown until the GBK TRS column has 55 items, 6 pages of 10 (its default 15 are 2 pages)


def test_demo_trs_column_whose_pager_vanished_is_named(tmp_path):
    """The demo's GBK TRS column (tobacco.gov.cn's createPageHTML) served with its pager script gone (fault
    `no-pager`): the crawl reads page 1 as the whole column, no page fails, and before this rule the portal was
    healthy with most of its reports unseen. Two portals of the same seed and scale, the second with the fault: the
    session's demo portal has too few items for it (2 pages; losing the second is not `far fewer`). The crawls ask
    for a year no report covers: the listing is what is judged, and no report page need be read. `overdue` is left
    out: the demo's latest year is not today's."""
    from crawlhelp import FAST, demo_config
    from govreports.crawl import run_crawl
    from govreports.demo import DemoPortal
    from govreports.store.db import open_db

    db = open_db(tmp_path / "reports.db")

    def night(faults: str | None):
        portal = DemoPortal(seed=0, scale=SCALE, faults=faults).start(port=0)
        try:
            config = demo_config(portal.base_url)
            config = config.model_copy(update={"portal": [p for p in config.portal if p.name == "demo-gbk"]})
            summary = run_crawl(config, db, tmp_path / "archive", year=2000, kind="crawl", **FAST)
        finally:
            portal.stop()
        return summary, [(f.portal, f.flag, f.level) for f in summary.health if f.flag != "overdue"]

    first, flags = night(None)
    usual = first.portals[0]
    assert (usual.pages, usual.listed, usual.list_failed) == (6, 55, 0) and flags == [], first.health
    second, flags = night("no-pager")
    now = second.portals[0]
    assert (now.pages, now.listed, now.list_failed, now.failed_total) == (1, 10, 0, 0)
    assert flags == [("demo-gbk", "list_shrank", "warning")]
    assert next(f for f in second.health if f.flag == "list_shrank").detail.startswith(
        "listed 10 items on 1 list page now; usually 55 (on 6 pages on ")
    assert "list_shrank" in db.execute("SELECT flags FROM portal_health WHERE portal = 'demo-gbk'").fetchone()[0]
