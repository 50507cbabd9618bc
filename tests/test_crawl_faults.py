"""A crawl of the demo portal with its faults on: transient errors (500, 503, 429, a reset, a truncated body, a
slow answer) are retried and every report loaded; a URL that never recovers and a redirect loop are recorded
against their URLs on a re-crawl that loses nothing; robots.txt is obeyed; anti-bot gates are blocked, never
stored. (Split from test_crawl_demo.py, whose module crawl these tests do not use: each starts its own portal.)"""

from __future__ import annotations

import pytest

from crawlhelp import (crawl_demo, db_records, demo_config, mismatches, portals_serving, read_scans_once, table_counts,
                       truth_of_sites)
from govreports.demo import DemoPortal


TRANSIENT = ["500", "503", "429", "reset", "truncate", "slow"]


@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_faults_are_retried(fault, tmp_path):
    portal = DemoPortal(seed=0, faults=fault).start(port=0)
    try:
        hit = portal.faulted_urls(fault)
        assert hit
        # only the sites the faults touch (four of ten: the others' crawl would test nothing more)
        names = portals_serving(portal, hit)
        assert 0 < len(names) < len(demo_config(portal.base_url).portal)
        # read_timeout below the slow fault's 2 s (so it times out and is retried once), with room for a loaded machine
        db, summary = crawl_demo(portal, tmp_path, portals=names, read_timeout=1.5)
        permanent = set(portal.faulted_urls("500-permanent"))
        assert mismatches(db, truth_of_sites(portal, hit), skip_urls=permanent) == []
        failed = db.execute("SELECT url FROM fetch_log WHERE error IS NOT NULL").fetchall()
        assert {u for (u,) in failed} <= permanent  # only the URL that never recovers is recorded
        retried = [r for r in portal.requests if r.fault == fault]
        assert retried, "the fault was never triggered"
    finally:
        portal.stop()


def test_faulty_recrawl_records_failures_and_loses_nothing(tmp_path):
    faults = "500,503,429,reset,truncate,redirect-loop"
    faulty = DemoPortal(seed=0, faults=faults)  # started below, on the clean one's port
    clean = DemoPortal(seed=0).start(port=0)
    port = int(clean.base_url.rsplit(":", 1)[1])
    # the sites the faults touch (the others' crawls would test nothing more)
    names = portals_serving(clean, [u for kind in (*faults.split(","), "500-permanent")
                                    for u in faulty.faulted_urls(kind)])
    try:
        db, _ = crawl_demo(clean, tmp_path, portals=names)
        loaded = db_records(db)
        counts = table_counts(db)
    finally:
        clean.stop()
    # the same site again, now failing: transient errors, a URL that always answers 500, a redirect loop
    faulty.start(port=port)
    try:
        dead = set(faulty.faulted_urls("500-permanent")) | set(faulty.faulted_urls("redirect-loop"))
        assert len(dead) == 2
        _, summary = crawl_demo(faulty, tmp_path, db=db, portals=names)
        assert summary.total("new") == 0 and summary.total("changed") == 0
        assert summary.total("failed") == 2
        logged = dict(db.execute("SELECT url, error FROM fetch_log WHERE error IS NOT NULL").fetchall())
        assert set(logged) == dead  # recorded against their URLs
        assert any(e.startswith("redirect_loop") for e in logged.values())
        assert table_counts(db) == counts  # nothing lost, nothing duplicated
        assert db_records(db) == loaded
        failed_items = db.execute("SELECT url, report_id FROM items WHERE status = 'failed'").fetchall()
        assert {u for u, _ in failed_items} == dead and all(r is not None for _, r in failed_items)
    finally:
        faulty.stop()


def test_robots_disallow_is_obeyed(tmp_path):
    portal = DemoPortal(seed=0, faults="robots").start(port=0)
    try:
        db, summary = crawl_demo(portal, tmp_path)
        assert not [r for r in portal.requests if r.path.startswith("/gbk/")]
        gbk = next(p for p in summary.portals if p.portal == "demo-gbk")
        assert gbk.failed["robots_disallowed"] >= 1 and gbk.new == 0
        logged = db.execute("SELECT count(*) FROM fetch_log WHERE error LIKE 'robots%'").fetchone()[0]
        assert logged >= 1
    finally:
        portal.stop()


@pytest.mark.parametrize("fault,site", [("antibot-412", "demo-gd"), ("antibot-521", "demo-govcn")])
def test_antibot_gates_are_blocked_not_stored(fault, site, tmp_path):
    portal = DemoPortal(seed=0, faults=fault).start(port=0)
    try:
        db, summary = crawl_demo(portal, tmp_path)
        stats = next(p for p in summary.portals if p.portal == site)
        assert stats.blocked >= 1
        prefix = portal.faulted_urls(fault)[0]
        gated = db.execute("SELECT count(*) FROM documents WHERE url LIKE ? AND sha256 IN"
                           " (SELECT sha256 FROM documents GROUP BY sha256)", [prefix + "%"]).fetchone()[0]
        stored_gate_pages = [p for (p,) in db.execute("SELECT archive_path FROM documents WHERE url LIKE ?",
                                                       [prefix + "%"]).fetchall()
                             if b"<script" in (tmp_path / "archive" / p).read_bytes()[:2000]
                             and len((tmp_path / "archive" / p).read_bytes()) < 3000]
        assert stored_gate_pages == [], gated
        assert db.execute("SELECT count(*) FROM fetch_log WHERE error LIKE 'blocked%'").fetchone()[0] >= 1
    finally:
        portal.stop()


def test_a_hung_host_costs_its_own_site_and_no_other(tmp_path):
    """PORTALS.md §11's "one slow host", now that each demo site is a host of its own: the custom site's host takes
    every connection and never answers (fault hung-host). Its portal fails as `timeout`, after at most
    host_silence_limit unanswered attempts and the requests in flight with them; the other site, crawled at the
    same time, loads whole; the run ends in a bounded time."""
    import time

    portal = DemoPortal(seed=0, faults="hung-host").start(port=0)
    try:
        sites = ("demo-ordos", "demo-custom")
        read_scans_once(portal, sites)  # the session's tool cache filled first: the bound is on the crawl alone
        started = time.monotonic()
        db, summary = crawl_demo(portal, tmp_path, portals=sites, read_timeout=0.5, connect_timeout=0.5,
                                 host_silence_limit=4)
        elapsed = time.monotonic() - started
        assert mismatches(db, truth_of_sites(portal, [portal.url("/ordos/")])) == []
        by_portal = {p.portal: p for p in summary.portals}
        assert by_portal["demo-ordos"].failed_total == 0
        hung = by_portal["demo-custom"]
        assert hung.found == 0 and set(hung.failed) == {"timeout"}, hung.failed
        asked = [r for r in portal.requests if r.fault == "hung-host"]
        assert asked and {r.status for r in asked} == {0} and all(r.path.startswith(("/custom/", "/robots.txt"))
                                                                  for r in asked)
        assert len(asked) <= 4 + 8, len(asked)  # the silence limit, and the requests in flight beside them (FAST)
        assert elapsed < 60, elapsed
        assert portal.faulted_urls("hung-host") == [portal.url("/custom/")]
    finally:
        portal.stop()
