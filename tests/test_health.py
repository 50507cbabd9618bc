"""Portal health: histories built through `record_run` with hand-made PortalStats raise exactly the flags their
rules promise (empty, list_failing, unreachable, parse_failures_jump, overdue) and nothing on a healthy portal;
the `portal_health` view and `govreports status` show them; and a real crawl of the demo portal whose columns
moved is flagged."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from typer.testing import CliRunner

from govreports.crawl import CrawlSummary, PortalStats, record_run
from govreports.runs.health import Flag, legal_deadline, open_problems, usual_date
from govreports.store.db import connect, open_db
from govreports.store.load import load_record
from storehelp import record

FAR = dt.date(2026, 1, 10)  # a day when no report is overdue under any rule (the latest due year is 2024)


@pytest.fixture
def db(tmp_path):
    with connect(tmp_path / "health.db") as database:
        yield database


def stats(portal: str, listed: int = 40, pages: int = 2, list_failed: int = 0, found: int | None = None,
          report_titles: int | None = None, **failures: int) -> PortalStats:
    found = listed if found is None else found
    return PortalStats(portal, pages=pages, list_failed=list_failed, listed=listed, found=found,
                       report_titles=found if report_titles is None else report_titles, unchanged=listed,
                       failed=Counter(failures))


def run(db, day: str, *portals: PortalStats, today: dt.date = FAR, kind: str = "nightly") -> CrawlSummary:
    summary = CrawlSummary(list(portals))
    summary.run_id = record_run(db, kind, f"{day}T02:30:00+00:00", summary, today=today)
    return summary


def names(summary: CrawlSummary) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for flag in summary.health:
        out.setdefault(flag.portal, []).append(flag.flag)
    return out


def test_a_portal_that_listed_40_and_now_lists_none_is_flagged_empty_until_it_lists_again(db):
    for day in ("2026-11-22", "2026-11-23", "2026-11-24"):
        assert run(db, day, stats("ordos"), stats("healthy")).health == []
    now = run(db, "2026-11-25", stats("ordos", listed=0, pages=1), stats("healthy"))
    assert now.health == [Flag("ordos", "empty", "error", "listed 40 on 2026-11-24, 0 now")]
    # it stays open while the column stays empty, however long: the gap must not become silent again
    for day in ("2026-11-26", "2026-11-27"):
        assert run(db, day, stats("ordos", listed=0, pages=1), stats("healthy")).health[0].detail == \
            "listed 40 on 2026-11-24, 0 now"
    assert run(db, "2026-11-28", stats("ordos", listed=38), stats("healthy")).health == []
    stored = db.execute("SELECT run_id, portal, flag, level FROM health_flags ORDER BY run_id").fetchall()
    assert stored == [(4, "ordos", "empty", "error"), (5, "ordos", "empty", "error"), (6, "ordos", "empty", "error")]


def test_a_portal_whose_lists_never_held_a_report_is_named_until_one_is_found(db):
    """A new portal's config pointing at the wrong column, selector or title filter: before, its runs were all
    healthy, exit 0, with nothing loaded."""
    hint = "in this run or any before: check the portal's config (`govreports crawl --dry-run`)"
    assert run(db, "2026-11-24", stats("fresh", listed=0, pages=1)).health == [
        Flag("fresh", "nothing_found", "warning", f"nothing listed, {hint}")]
    assert run(db, "2026-11-25", stats("fresh", listed=26, found=0)).health == [
        Flag("fresh", "nothing_found", "warning", f"26 items listed, none titled as an annual report, {hint}")]
    assert run(db, "2026-11-26", stats("fresh", listed=26, found=23)).health == []


def test_a_column_that_lists_items_but_no_report_any_more_is_empty(db):
    """The column moved to a look-alike (other documents), or the titles changed past the filter: the lists still
    show items, so `listed` alone never flagged it."""
    run(db, "2026-11-24", stats("ordos", listed=26, found=23))
    db.execute("UPDATE portal_runs SET report_titles = NULL")  # a row written before m018: its `found` counts
    now = run(db, "2026-11-25", stats("ordos", listed=4, found=0))
    assert now.health == [Flag("ordos", "empty", "error", "23 annual reports listed on 2026-11-24; now 4 items listed "
                                                        "and none titled as one")]


def test_a_run_asking_one_year_that_finds_none_of_it_is_healthy(db):
    """A backfill partition (or `crawl --year`) finds only its year's reports: the column's other reports count."""
    run(db, "2026-11-24", stats("ordos", listed=26, found=23))
    assert run(db, "2026-11-25", stats("ordos", listed=26, found=0, report_titles=23), kind="backfill").health == []
    run(db, "2026-11-26", stats("new", listed=26, found=0, report_titles=23), kind="backfill")
    assert run(db, "2026-11-27", stats("new", listed=26, found=0, report_titles=23)).health == []


def test_list_pages_failing_where_they_answered_before(db):
    run(db, "2026-11-24", stats("gd", pages=3))
    now = run(db, "2026-11-25", stats("gd", listed=20, pages=3, list_failed=1, http=1))
    assert now.health == [Flag("gd", "list_failing", "error",
                               "1 of 3 list pages failed now; all 3 answered on 2026-11-24")]
    # a page that never answered is no change: not flagged (its failures are in the issues view)
    run(db, "2026-11-24", stats("flaky", pages=3, list_failed=1, http=1))
    assert run(db, "2026-11-25", stats("flaky", pages=3, list_failed=1, http=1)).health == []


def test_unreachable_is_the_extreme_and_says_when_the_portal_was_last_reached(db):
    assert names(run(db, "2026-11-24", stats("han", listed=0, pages=1, list_failed=1, timeout=1))) == \
        {"han": ["unreachable"]}  # flagged even without history: its lists never answered
    run(db, "2026-11-25", stats("han"))
    now = run(db, "2026-11-26", stats("han", listed=0, pages=2, list_failed=2, timeout=1, dns=1))
    assert now.health == [Flag("han", "unreachable", "error",
                               "no list page answered (2 of 2 failed: dns 1, timeout 1); last reached 2026-11-25")]


def test_unreachable_says_so_when_the_list_pages_answered_but_could_not_be_read(db):
    """A list page that answers, but not with the list its config reads (selectors that match nothing, an API's
    field names not in its answer, a page that is no Hanweb column, an HTML 系统繁忙 page for JSON), leaves the
    portal unreachable with failures of kind `list`: the flag said "no list page answered", sending the user to the
    network and the site's uptime, where the page had answered and the config (or the site's markup) was wrong."""
    now = run(db, "2026-11-24", stats("sel", listed=0, pages=1, list_failed=1, list=1))
    assert now.health == [Flag("sel", "unreachable", "error",
                               "no list page could be read: they answered, but not with the list expected (1 of 1 "
                               "failed: list 1; `govreports crawl --dry-run` says why); never reached")]
    now = run(db, "2026-11-25", stats("sel", listed=0, pages=2, list_failed=2, list=1, timeout=1))
    assert now.health[0].detail.startswith("no list page answered (2 of 2 failed: list 1, timeout 1)")


def test_parse_failures_jump_against_the_previous_maximum(db):
    for day, parse in (("2026-11-20", 1), ("2026-11-21", 2), ("2026-11-22", 1)):
        run(db, day, stats("gbk", parse=parse))
    assert run(db, "2026-11-23", stats("gbk", parse=3)).health == []  # 3 < 2 x 2
    assert run(db, "2026-11-24", stats("gbk", parse=5, timeout=30)).health == []  # timeouts are not parsing
    now = run(db, "2026-11-25", stats("gbk", parse=8, too_slow=1, bomb=1))
    assert now.health == [Flag("gbk", "parse_failures_jump", "warning",
                               "10 parse failures of 40 found; at most 5 in the previous 5 runs")]
    run(db, "2026-11-20", stats("quiet"))
    assert run(db, "2026-11-21", stats("quiet", parse=2)).health == []  # below the minimum of 3


def test_report_data_files_that_cannot_be_read_are_parse_failures(db):
    """A report page whose JavaScript data file no longer holds its report (the site changed how it writes it) is
    the portal answering and the report unread, as a page that is not one: it counts towards the jump."""
    for day in ("2026-11-20", "2026-11-21"):
        run(db, day, stats("kiosk", parse=1))
    now = run(db, "2026-11-22", stats("kiosk", data_file=6))
    assert now.portals[0].parse_failed == 6
    assert names(now) == {"kiosk": ["parse_failures_jump"]}


def _items(db, portal: str, listed: dict[int, str]) -> None:
    for year, day in listed.items():
        db["items"].insert({"portal": portal, "url": f"http://x.gov.cn/{portal}/{year}.html", "year": year,
                            "list_title": f"{year}年政府信息公开工作年度报告", "list_date": day, "status": "loaded",
                            "first_seen": "2026-11-01T00:00:00+00:00", "last_seen": "2026-11-01T00:00:00+00:00"})


def test_overdue_after_the_usual_month_and_never_before(db):
    _items(db, "late", {2021: "2022-05-10", 2022: "2023-05-20", 2023: "2024-05-15", 2024: "2025-05-12"})
    # before its usual month (May) the 2025 report is not late, though the legal deadline (31 March) has passed
    assert run(db, "2026-04-15", stats("late"), today=dt.date(2026, 4, 15)).health == []
    now = run(db, "2026-06-05", stats("late"), today=dt.date(2026, 6, 5))
    assert now.health == [Flag("late", "overdue", "warning", "no report for 2025 yet (usually listed by May, "
                                                             "legal deadline 2026-03-31); latest year 2024")]
    assert db.execute("SELECT problems, flags FROM portal_health WHERE portal = 'late'").fetchone() == (1, "overdue")
    _items(db, "late", {2025: "2026-06-20"})
    assert run(db, "2026-06-21", stats("late"), today=dt.date(2026, 6, 21)).health == []
    assert db.execute("SELECT problems FROM portal_health WHERE portal = 'late'").fetchone() == (0,)


def test_overdue_never_before_the_legal_deadline(db):
    _items(db, "early", {2022: "2023-01-05", 2023: "2024-01-08", 2024: "2025-01-06"})  # usually in January
    assert run(db, "2026-02-15", stats("early"), today=dt.date(2026, 2, 15)).health == []  # 31 March not passed
    assert names(run(db, "2026-04-01", stats("early"), today=dt.date(2026, 4, 1))) == {"early": ["overdue"]}
    # not judged when the lists were not read this run: `empty` / `unreachable` say why instead
    assert names(run(db, "2026-04-02", stats("early", listed=0), today=dt.date(2026, 4, 2))) == {"early": ["empty"]}


def test_departments_are_due_by_31_january(db):
    """A portal whose reports are all departments' is due by 31 January; without known agencies, 31 March."""
    dates = {2022: "2023-01-05", 2023: "2024-01-08"}
    _items(db, "dept", dates)
    for year in dates:
        report = load_record(db, record("某市财政局", year, "2021", {}), document={"url": f"http://x.gov.cn/{year}"})
        db.execute("UPDATE items SET report_id = ? WHERE portal = 'dept' AND year = ?", [report.report_id, year])
    _items(db, "unsure", dates)
    db.conn.commit()
    now = run(db, "2025-02-03", stats("dept"), stats("unsure"), today=dt.date(2025, 2, 3))
    assert now.health == [Flag("dept", "overdue", "warning", "no report for 2024 yet (usually listed by January, "
                                                             "legal deadline 2025-01-31); latest year 2023")]
    assert legal_deadline(2024, government=False) == dt.date(2025, 1, 31)
    assert legal_deadline(2024) == dt.date(2025, 3, 31)
    assert legal_deadline(2018, government=False) == dt.date(2019, 3, 31)  # before the 2019 revision: all 31 March
    from govreports.regions import agency_kind  # the kind both `status` and the scorecard read (agencies.kind)

    assert [agency_kind(n) for n in ("某市人民政府", "某区政府", "某市人民政府办公室")] == [
        "government", "government", "department"]


def test_a_portal_is_due_when_the_scorecard_says_its_agencies_are(db):
    """`status` took a portal's deadline from its agencies' names ending in 政府, the scorecard from their kind
    (regions.agency_kind: a people's government also when named by its place alone, 北京市, or 国务院): a city
    whose reports name it 北京市 was overdue on 3 February by `status` and due 31 March by the scorecard. Both
    read agencies.kind now."""
    dates = {2022: "2023-01-05", 2023: "2024-01-08"}  # usually listed in January
    _items(db, "city", dates)
    for year in dates:
        report = load_record(db, record("北京市", year, "2021", {}), document={"url": f"http://bj.gov.cn/{year}"})
        db.execute("UPDATE items SET report_id = ? WHERE portal = 'city' AND year = ?", [report.report_id, year])
    db.conn.commit()
    assert db.execute("SELECT deadline FROM scorecard WHERE agency = '北京市' AND year = 2023").fetchone() == (
        "2024-03-31",)
    assert run(db, "2025-02-03", stats("city"), today=dt.date(2025, 2, 3)).health == []
    assert names(run(db, "2025-04-02", stats("city"), today=dt.date(2025, 4, 2))) == {"city": ["overdue"]}


def test_a_report_page_failing_tonight_keeps_its_year_and_its_report_known(db):
    """An item whose page answers 500 tonight is saved `failed` and keeps its report. Health asked only `loaded`
    items: the portal's latest year looked missing (`overdue`, a false alarm on every such night), and the view
    showed one report fewer (none, on a night when every report page failed)."""
    from govreports.crawl.events import Failed, Listed, apply

    dates = {2023: "2024-01-15", 2024: "2025-01-20", 2025: "2026-01-18"}
    _items(db, "flaky", dates)
    for year in dates:
        report = load_record(db, record("某市人民政府", year, "2021", {}), document={"url": f"http://x.gov.cn/{year}"})
        db.execute("UPDATE items SET report_id = ? WHERE portal = 'flaky' AND year = ?", [report.report_id, year])
    db.conn.commit()
    url = "http://x.gov.cn/flaky/2025.html"
    with db.conn:
        apply(db, "flaky", Failed(url, 500, "http", "http: 500", listing=Listed(url, "2025年报告", None, 2025)),
              PortalStats("flaky"))
    assert db.execute("SELECT status, report_id IS NOT NULL FROM items WHERE url = ?", [url]).fetchone() == (
        "failed", 1)
    assert run(db, "2026-11-25", stats("flaky", http=1), today=dt.date(2026, 11, 25)).health == []
    row = dict(zip(*_view(db, "flaky")))
    assert (row["reports_known"], row["latest_year"]) == (3, 2025)


def test_usual_date_is_the_median_delay_and_ignores_reposts():
    years = {2020: dt.date(2021, 2, 3), 2021: dt.date(2022, 3, 1), 2022: dt.date(2023, 2, 20),
             2019: dt.date(2024, 6, 1)}  # 2019 re-posted years later: not a publication date
    assert usual_date(years, 2025) == dt.date(2026, 2, 28)
    assert usual_date({}, 2025) is None


def test_a_healthy_portal_raises_nothing_and_the_view_shows_how_it_stands(db):
    _items(db, "fine", {2023: "2024-01-15", 2024: "2025-01-20", 2025: "2026-01-18"})
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        assert run(db, day, stats("fine", parse=1), today=dt.date(2026, 11, 25)).health == []
    row = dict(zip(*_view(db, "fine")))
    assert row["last_run_id"] == 3 and row["last_outcome"] == "partial" and row["last_success_run_id"] == 3
    assert row["problems"] == 0 and row["flags"] is None


def _view(db, portal: str):
    cursor = db.execute("SELECT * FROM portal_health WHERE portal = ?", [portal])
    return [d[0] for d in cursor.description], cursor.fetchone()


def test_portal_health_view_rows(db):
    report = load_record(db, record("某市财政局", 2024, "2021", {}), document={"url": "http://x.gov.cn/o/1.html"})
    _items(db, "ordos", {2024: "2025-01-10"})
    db.execute("UPDATE items SET report_id = ? WHERE portal = 'ordos'", [report.report_id])
    _items(db, "itemsonly", {2023: "2024-01-10"})  # crawled before portal runs were recorded
    db.conn.commit()
    run(db, "2026-11-24", stats("ordos"))
    run(db, "2026-11-25", stats("ordos", listed=0, pages=2, list_failed=2, http=2))
    rows = {r[0]: r for r in db.execute(
        "SELECT portal, last_run_id, last_run_kind, last_outcome, last_listed, last_success_run_id, reports_known,"
        " latest_year, problems, errors, flags, details FROM portal_health").fetchall()}
    assert rows["ordos"] == (
        "ordos", 2, "nightly", "unreachable", 0, 1, 1, 2024, 1, 1, "unreachable",
        "error unreachable: no list page answered (2 of 2 failed: http 2); last reached 2026-11-24")
    assert rows["itemsonly"][1:] == (None, None, None, None, None, 0, None, 0, 0, None, None)
    assert [f.flag for f in open_problems(db)] == ["unreachable"]


def test_a_backfill_summary_with_one_stats_per_year_gives_one_portal_row(db):
    by_year = [stats("gd", listed=15, pages=1, found=2, parse=1), stats("gd", listed=15, pages=1, found=3)]
    run(db, "2026-11-25", *by_year, kind="backfill")
    assert db.execute("SELECT kind, pages, listed, found, unchanged, failed, parse_failed, failures_json"
                      " FROM portal_runs").fetchall() == [("backfill", 2, 30, 5, 30, 1, 1, '{"parse": 1}')]


def test_status_shows_every_portal_on_one_screen(db, tmp_path):
    from govreports.cli import app

    for day in ("2026-11-23", "2026-11-24"):
        run(db, day, stats("demo-ordos"), stats("demo-gd"))
    run(db, "2026-11-25", stats("demo-ordos", listed=0, pages=1), stats("demo-gd", listed=41))
    result = CliRunner().invoke(app, ["status", "--db", str(tmp_path / "health.db")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 120 for line in lines)
    assert "✗ demo-ordos: empty — listed 40 on 2026-11-24, 0 now" in lines
    ordos = next(line for line in lines if line.strip().startswith("demo-ordos"))
    gd = next(line for line in lines if line.strip().startswith("demo-gd"))
    assert "#3 nightly" in ordos and "empty" in ordos and " 0 " in ordos
    assert "this run" in gd and "none" in gd
    assert lines[-1] == "2 portals: 1 healthy, 1 with errors, 0 with warnings only"


def test_status_says_what_the_backfill_partitions_found_and_lists_each(db, tmp_path):
    """The partitions were shown nowhere but in SQL, and there a done partition whose lists held no report of its
    year looked like one that loaded five. `status` sums them up in a line, naming the done ones that found
    nothing of their year, and `status --partitions` lists each with what it found, loaded and failed."""
    from govreports.cli import app
    from govreports.runs import partitions

    path = tmp_path / "health.db"
    run(db, "2026-11-24", stats("demo-gd"))
    listed = {"pages": 2, "listed": 30, "report_titles": 6}
    partitions.finish(path, "demo-gd", 2019, CrawlSummary([PortalStats("demo-gd", **listed, found=0)]))
    partitions.finish(path, "demo-gd", 2020, CrawlSummary([PortalStats("demo-gd", **listed, found=5, new=4,
                                                                        unchanged=1)]))
    partitions.fail(path, "demo-gd", 2021, "RuntimeError: boom")
    result = CliRunner().invoke(app, ["status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert ("backfill partitions: 2 done, 1 failed; 5 report(s) loaded; 1 done found no report of their year "
            "(demo-gd 2019); `govreports status --partitions` lists each") in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["status", "--partitions", "--db", str(path)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.strip().startswith("demo-gd")]
    assert [row[:6] for row in rows] == [["demo-gd", "2019", "done", "0", "0", "0"],
                                         ["demo-gd", "2020", "done", "5", "5", "0"],
                                         ["demo-gd", "2021", "failed", "—", "—", "—"]]
    assert rows[2][-2:] == ["RuntimeError:", "boom"]


def test_status_of_reports_loaded_from_files_says_how_many(tmp_path):
    """`status` on a database `govreports load` filled, with no crawl, said only "no portal has been crawled yet",
    as of an empty one: it now says how many reports the database holds and that they came from files, in the
    words the re-parse uses of them; beside crawled portals, the table counts only the crawled ones."""
    from govreports.cli import app

    path = tmp_path / "loaded.db"
    with connect(path) as conn:
        for year in (2020, 2021):
            load_record(conn, record("甲市教育局", year, "2021", {}))
    result = CliRunner().invoke(app, ["status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()) == (  # (a long path wraps)
        f"{path}: no portal has been crawled yet (`govreports crawl` or `govreports nightly`) "
        "2 report(s) were loaded from files (govreports load), not crawled")
    with connect(path) as db:
        run(db, "2026-11-24", stats("demo-gd"))
    result = CliRunner().invoke(app, ["status", "--db", str(path)])
    assert result.exit_code == 0 and "2 report(s) were loaded from files" in result.output, result.output
    empty = tmp_path / "empty.db"
    with connect(empty):
        pass
    result = CliRunner().invoke(app, ["status", "--db", str(empty)])
    assert result.exit_code == 0 and "loaded from files" not in result.output, result.output


def test_status_without_a_database_says_so(tmp_path):
    from govreports.cli import app

    result = CliRunner().invoke(app, ["status", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no database" in result.output
    assert not (tmp_path / "none.db").exists()


# --- end to end on the demo portal ---------------------------------------------------------------------------------

def test_demo_portal_whose_columns_moved_is_flagged(tmp_path, capsys):
    from crawlhelp import FAST, demo_config
    from govreports.query.output import print_summary
    from govreports.crawl import run_crawl
    from govreports.demo import DemoPortal

    portal = DemoPortal(seed=0).start(port=0)
    try:
        config = demo_config(portal.base_url)  # three of its sites keep the test quick
        config = config.model_copy(update={"portal": [p for p in config.portal
                                                      if p.name in ("demo-ordos", "demo-gbk", "demo-govcn")]})
        db = open_db(tmp_path / "reports.db")
        first = run_crawl(config, db, tmp_path / "archive", **FAST)
        assert first.total("new") > 0 and not [f for f in first.health if f.level == "error"]
        moved = {"demo-ordos": config.portal[0].start_url.replace("/xxgknb/", "/xxgknb-new/"),  # now a 404
                 "demo-gbk": portal.url("/")}  # now a page that lists nothing (a new CMS's front page)
        config = config.model_copy(update={"portal": [
            p.model_copy(update={"start_url": moved[p.name]}) if p.name in moved else p for p in config.portal]})
        second = run_crawl(config, db, tmp_path / "archive", **FAST)
    finally:
        portal.stop()
    errors = {(f.portal, f.flag) for f in second.health if f.level == "error"}
    assert errors == {("demo-ordos", "unreachable"), ("demo-gbk", "empty")}
    lines: list[str] = []
    print_summary(second, echo=lines.append)
    listed = next(p.listed for p in first.portals if p.portal == "demo-gbk")  # the last run's list
    assert listed > 10 and any(line.startswith(f"✗ demo-gbk: empty — listed {listed} on ") for line in lines)
    rows = dict(db.execute("SELECT portal, flags FROM portal_health").fetchall())
    assert "unreachable" in rows["demo-ordos"] and "empty" in rows["demo-gbk"]
    assert "empty" not in (rows["demo-govcn"] or "") and "unreachable" not in (rows["demo-govcn"] or "")
