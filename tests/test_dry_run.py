"""`crawl --dry-run` and the preview under it: list pages only, every listing marked new / known / excluded,
nothing written."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from crawlhelp import crawl_demo, demo_config, run_cli, site, table_counts
from govreports.crawl.preview import Status, file_type, preview_all


@pytest.fixture(scope="module")
def portal(demo_portal):
    return demo_portal


@pytest.fixture(scope="module")
def previews(portal):
    portal.clear_requests()
    config = demo_config(portal.base_url)
    results = asyncio.run(preview_all(config, config.portal))
    return {r.portal: r for r in results}, portal.requests


def test_every_report_is_listed_as_new_and_the_noise_excluded(portal, previews):
    results, _ = previews
    listed_new = {item.url for r in results.values() for item in r.items if item.status == Status.NEW}
    excluded = {item.url for r in results.values() for item in r.items if item.status == Status.EXCLUDED}
    truth = set(portal.ground_truth())
    assert truth <= listed_new
    assert listed_new - truth <= set(portal.reposts())  # re-posts are report-titled: the crawl fetches them too
    assert excluded and excluded <= set(portal.nonreports())
    for r in results.values():
        assert r.failures == [] and r.reached and r.pages >= 1
        assert all(item.year for item in r.items if item.status == Status.NEW)


def test_only_list_pages_are_fetched(portal, previews):
    results, requests = previews
    listed = {urlsplit(item.url).path for r in results.values() for item in r.items}
    fetched = {entry.path for entry in requests if entry.path != "/robots.txt"}
    assert fetched and not fetched & listed
    assert len([e for e in requests if e.path != "/robots.txt"]) == sum(r.pages for r in results.values())


def test_limit_stops_the_listing_early(portal):
    config = demo_config(portal.base_url)
    [result] = asyncio.run(preview_all(config, config.select("demo-ordos"), limit=3))
    assert len(result.items) == 3 and result.truncated and result.pages == 1


def test_file_type_of_a_listed_url():
    assert file_type("http://a.gov.cn/P020240131.pdf") == "pdf"
    assert file_type("http://a.gov.cn/x/REPORT.DOCX?v=1") == "docx"
    assert file_type("http://a.gov.cn/t20240131_1.html") is None
    assert file_type("http://a.gov.cn/") is None


def test_cli_dry_run_marks_known_reports_and_writes_nothing(portal, tmp_path):
    db, _ = crawl_demo(portal, tmp_path)
    counts = table_counts(db)
    db.close()
    files = sorted(p.name for p in tmp_path.rglob("*"))
    done = run_cli("crawl", "--config", "config/demo.toml", "--portal", "demo-gbk", "--dry-run",
                   "--db", str(tmp_path / "reports.db"), portal=portal)
    assert done.returncode == 0, done.stderr
    assert "0 new" in done.stdout and "known (loaded)" in done.stdout and "excluded" in done.stdout
    assert "nothing was written" in done.stdout
    from govreports.store.db import open_db

    again = open_db(tmp_path / "reports.db", migrate=False)
    assert table_counts(again) == counts
    again.close()
    assert sorted(p.name for p in tmp_path.rglob("*")) == files


def test_cli_dry_run_without_a_database_lists_all_as_new(portal, tmp_path):
    done = run_cli("crawl", "--config", "config/demo.toml", "--portal", "demo-govcn", "--dry-run",
                   "--db", str(tmp_path / "none.db"), portal=portal)
    assert done.returncode == 0, done.stderr
    truth = [url for url in portal.ground_truth() if site(url) == "govcn"]
    assert truth and all(url in done.stdout for url in truth)
    assert f"{len(truth)} new" in done.stdout or "new, 0 known" in done.stdout
    assert not (tmp_path / "none.db").exists()


def test_cli_dry_run_of_an_unreachable_portal_exits_3(tmp_path):
    config = tmp_path / "dead.toml"
    config.write_text('[safety]\nallow_private_addresses = true\n[politeness]\nretries = 0\nconnect_timeout = 2\n'
                      '[[portal]]\nname = "dead"\nadapter = "trs"\nstart_url = "http://127.0.0.1:9/nb/index.html"\n',
                      encoding="utf-8")
    done = run_cli("crawl", "--config", str(config), "--dry-run", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "failed" in done.stdout and "refused" in done.stderr


def test_the_preview_says_when_a_known_report_is_asked_under_recheck_days():
    """recheck_days > 1: a known report shows whether this run asks it or in how many days; the count line says how
    many known ones this run asks (a failed item is asked every run)."""
    from rich.console import Console

    from govreports.crawl.preview import Preview, PreviewItem, print_preview

    result = Preview("p", pages=1, items=[
        PreviewItem("2023年报告", "http://a.gov.cn/1.html", None, 2023, None, Status.KNOWN, "loaded", 0),
        PreviewItem("2022年报告", "http://a.gov.cn/2.html", None, 2022, None, Status.KNOWN, "duplicate", 2),
        PreviewItem("2021年报告", "http://a.gov.cn/3.html", None, 2021, None, Status.KNOWN, "failed", None),
        PreviewItem("2024年报告", "http://a.gov.cn/4.html", None, 2024, None, Status.NEW)])
    out = Console(width=220, record=True)
    print_preview(result, out)
    text = out.export_text()
    assert "known (loaded), asked this run" in text and "known (duplicate), asked in 2 days" in text
    assert "known (failed)" in text and "known (failed)," not in text
    assert "1 new, 3 known (2 asked this run, the rest on their day of recheck_days)" in text
    result.items = [i for i in result.items if i.next_check is None]
    out = Console(width=220, record=True)
    print_preview(result, out)
    assert "1 new, 1 known, 0 excluded" in out.export_text()


def test_a_scratch_archive_that_cannot_be_written_stops_the_preview(portal, monkeypatch):
    """A full disk under the preview's scratch archive is the disk's failure, as in the crawl (StorageError, exit
    74), not the adapter's ("list": the portal looked unreachable)."""
    import os

    from govreports.errors import StorageError
    from govreports.fetch import archive

    def full(self, name, data, whole=False):
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(archive.Archive, "_publish", full)
    config = demo_config(portal.base_url)
    with pytest.raises(StorageError, match=r"could not write the archive .*No space left on device"):
        asyncio.run(preview_all(config, config.select("demo-ordos")))


def test_the_count_line_says_a_listing_of_another_year_is_excluded_for_its_year(tmp_path):
    """With --year, most exclusions are reports of other years: "excluded by the title filter" alone misled."""
    from rich.console import Console

    from govreports.crawl.preview import Preview, PreviewItem, print_preview

    items = [PreviewItem("2023年报告", "http://a.gov.cn/1.html", None, 2023, None, Status.EXCLUDED),
             PreviewItem("2020年报告", "http://a.gov.cn/2.html", None, 2020, None, Status.NEW)]
    for year, said in ((2020, "1 new, 0 known, 1 excluded by the title filter or as not of 2020"),
                       (None, "1 new, 0 known, 1 excluded by the title filter\n")):
        out = Console(width=220, record=True)
        print_preview(Preview("p", pages=1, items=items, year=year), out)
        assert said in out.export_text()
    done = run_cli("crawl", "--config", "config/demo.toml", "--year", "1990", "--dry-run", "--db",
                   str(tmp_path / "x.db"))
    assert done.returncode == 2 and "--year" in done.stderr  # a year no report covers: a usage error, not "0 new"


def test_a_backfill_dry_run_neither_creates_nor_upgrades_the_database(tmp_path):
    """`backfill --dry-run` says "nothing changed (dry run)", and it takes no writer lock; it opened the database
    to read the partitions the way a writer does: a mistyped --db became a new database with every table, and an
    older database was migrated to today's schema, under whatever run of an older govreports was writing it.
    Now it reads the file read-only, and plans every partition missing where there is none."""
    from sqlite_utils import Database

    from govreports.store.migrations import migrations

    old = tmp_path / "old.db"
    db = Database(old)
    migrations.apply(db, stop_before="m023_doubled_reports_merged")
    db.execute("INSERT INTO partitions (portal, year, status) VALUES ('demo-ordos', 2023, 'done')")
    db.conn.commit()
    db.close()
    before = old.read_bytes()
    args = ("backfill", "--dry-run", "--years", "2022-2023", "--portal", "demo-ordos", "--config", "config/demo.toml",
            "--archive", str(tmp_path / "archive"), "--no-progress")
    done = run_cli(*args, "--db", str(old))
    assert done.returncode == 0, done.stderr
    assert "would run demo-ordos 2022" in done.stdout and "would run demo-ordos 2023" not in done.stdout
    assert old.read_bytes() == before
    none = tmp_path / "typo.db"
    done = run_cli(*args, "--db", str(none))
    assert done.returncode == 0, done.stderr
    assert "would run demo-ordos 2022" in done.stdout and "would run demo-ordos 2023" in done.stdout
    assert not none.exists()
    assert not (tmp_path / "prefect").exists()  # nor Prefect's home: the plan is read without starting a server


def test_a_backfill_whose_warnings_meet_a_gone_reader_ends_with_its_own_code(tmp_path):
    """`govreports backfill … 2>&1 >plan.txt | head -0`: the warnings written before a run's verdict (failed
    partitions left as they are, a config file left out) met stderr's gone reader, and a plan that ends 1 (a file
    of the config left out) ended 141, as if the reader had only stopped early. They go nowhere, as the error lines
    do (cli.say); the plan is written whole."""
    import os
    import shutil
    import subprocess
    import sys

    from sqlite_utils import Database

    from crawlhelp import ROOT
    from govreports.store.migrations import migrations

    db_path = tmp_path / "r.db"
    db = Database(db_path)
    migrations.apply(db)
    db.execute("INSERT INTO partitions (portal, year, status) VALUES ('demo-ordos', 2022, 'failed')")
    db.conn.commit()
    db.close()
    configs = tmp_path / "config"
    configs.mkdir()
    shutil.copy(ROOT / "config" / "demo.toml", configs / "demo.toml")
    (configs / "broken.toml").write_text("[[portal]\n", encoding="utf-8")
    args = ("backfill", "--dry-run", "--years", "2022-2023", "--config", str(configs),  # all its portals: a file
            "--archive", str(tmp_path / "archive"), "--no-progress", "--db", str(db_path))  # left out makes it 1
    said = run_cli(*args)
    assert said.returncode == 1 and "1 partition(s) failed before" in said.stderr, said.stderr
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PYTHONUNBUFFERED": ""}
    gone = subprocess.run([sys.executable, "-m", "govreports", *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=write, text=True, timeout=120)
    os.close(write)
    assert gone.returncode == 1
    assert gone.stdout == said.stdout and "would run demo-ordos 2023" in gone.stdout
