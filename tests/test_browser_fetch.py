"""The browser fetch mode (issue 13): a portal behind a 瑞数-like JavaScript gate is crawled through headless Chromium.

The demo portal's /gate/ site answers 412 with an obfuscated script until a request carries the cookie that script
computes; config/demo.toml's demo-gate (fetch = "browser") must load every report of it, cell for cell, with httpx
doing the fetching once the browser has earned the cookie, and solve the gate again when the cookie expires.
Chromium is the system's (Debian `chromium`; .ci/system-packages installs it); Playwright's async API runs inside
each crawl's own event loop, so nothing is left running between tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from crawlhelp import crawl_demo, mismatches, site_truth
from govreports.demo import DemoPortal
from govreports.demo.sites import gate
from govreports.fetch import detect_gate
from govreports.fetch.browser import BrowserUnavailable, find_chromium

try:
    CHROMIUM: str | None = find_chromium()
except BrowserUnavailable:
    CHROMIUM = None
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"


@pytest.fixture(scope="module")
def gated():
    portal = DemoPortal(seed=0, gate=True).start(port=0)
    yield portal
    portal.stop()


def _navigations(portal) -> list:
    """Requests Chromium made (it sends Sec-Fetch-Mode; httpx does not)."""
    return [r for r in portal.requests if "Sec-Fetch-Mode" in r.headers]


def test_a_plain_client_gets_the_412_gate_and_the_script_computes_the_cookie(gated):
    url = gated.base_url + gate.START
    answer = httpx.get(url, headers={"User-Agent": BROWSER_UA})
    assert answer.status_code == 412 and b"$_ts" in answer.content
    assert detect_gate(412, answer.content, [gate.COOKIE_S]) == "ruishu"
    report = httpx.get(gated.base_url + gated.gate_reports[0].path, headers={"User-Agent": BROWSER_UA})
    assert report.status_code == 412  # the reports too, not only the list
    assert len(gated.gate_reports) >= 15 and set(site_truth(gated, "gate")) == {
        gated.base_url + it.path for it in gated.gate_reports}
    seed = answer.text.split(f'id="{gate.META_ID}" content="')[1].split('"')[0]
    forged = httpx.get(url, headers={"User-Agent": BROWSER_UA}, cookies={gate.COOKIE_T: f"{seed}.0"})
    assert forged.status_code == 412  # a cookie the script did not compute is refused
    good = httpx.get(url, headers={"User-Agent": BROWSER_UA}, cookies={gate.COOKIE_T: f"{seed}.{gate.answer(seed)}"})
    assert good.status_code == 200 and "gl_list" in good.text


def test_the_gate_site_is_off_by_default_and_demo_gate_then_crawls_nothing(demo_portal, tmp_path):
    assert demo_portal.gate_reports == [] and not site_truth(demo_portal, "gate")
    db, summary = crawl_demo(demo_portal, tmp_path, portals=("demo-gate",), parse_workers=0)
    assert summary.total("failed") == 0 and summary.total("blocked") == 0 and summary.total("new") == 0
    assert not [r for r in _navigations(demo_portal) if r.path.startswith(gate.PREFIX)]  # no gate: no browser


@needs_chromium
def test_the_browser_mode_loads_every_report_behind_the_gate(gated, tmp_path):
    gated.clear_requests()
    db, summary = crawl_demo(gated, tmp_path, portals=("demo-gate",), parse_workers=0)
    assert mismatches(db, site_truth(gated, "gate")) == []
    assert summary.total("new") == len(gated.gate_reports)
    assert summary.total("failed") == 0 and summary.total("blocked") == 0
    browser = _navigations(gated)
    # one browser visit (the gate page, then the reload its script made), at the list's URL only
    assert [r.status for r in browser] == [412, 200] and {r.path for r in browser} == {gate.START}
    assert browser[0].headers["User-Agent"] == browser[1].headers["User-Agent"] != BROWSER_UA  # the crawler's own
    by_httpx = [r for r in gated.requests if r not in browser and r.path.startswith(gate.COLUMN)]
    # every report page came by httpx, with the cookie the browser earned
    assert {r.path for r in by_httpx if r.status == 200} >= {it.path for it in gated.gate_reports}
    assert sum(r.status == 412 for r in by_httpx) == 1  # the first request, before any browser
    assert {Path(r.path).suffix for r in browser} == {".html"}  # no images, styles or other hosts fetched


@needs_chromium
def test_expired_cookies_are_earned_again(tmp_path):
    """Cookies that live 2 s on a crawl paced to last longer: the gate is solved again when they run out."""
    with DemoPortal(seed=0, gate=True, gate_ttl=2) as portal:
        db, summary = crawl_demo(portal, tmp_path, portals=("demo-gate",), parse_workers=0,
                                 per_host_delay=0.1, delay_jitter=0, per_host_concurrency=1)
        assert mismatches(db, site_truth(portal, "gate")) == []
        assert summary.total("failed") == 0 and summary.total("blocked") == 0
        solves = [r for r in _navigations(portal) if r.status == 200]
        assert len(solves) >= 2, [(r.path, r.status) for r in portal.requests]


def test_without_chromium_the_failures_name_the_package(gated, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVREPORTS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    db, summary = crawl_demo(gated, tmp_path, portals=("demo-gate",), parse_workers=0)
    assert summary.total("new") == 0 and summary.portals[0].list_failed == 1
    (error,) = db.execute("SELECT error FROM fetch_log WHERE error IS NOT NULL").fetchone()
    assert error.startswith("browser_unavailable: anti-bot gate (ruishu), HTTP 412"), error
    assert "install Debian package `chromium`" in error and "no-such-chromium" in error


def test_auto_mode_without_chromium_stays_blocked_and_says_what_to_install(gated, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVREPORTS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    from crawlhelp import demo_config
    from govreports.crawl import run_crawl
    from govreports.store.db import open_db

    config = demo_config(gated.base_url)
    config = config.model_copy(update={"portal": [p.model_copy(update={"fetch": "auto"})
                                                  for p in config.portal if p.name == "demo-gate"]})
    db = open_db(tmp_path / "auto.db")
    summary = run_crawl(config, db, tmp_path / "archive", per_host_delay=0, blocked_delay=0, parse_workers=0)
    assert summary.portals[0].list_failed == 1
    (error,) = db.execute("SELECT error FROM fetch_log WHERE error IS NOT NULL").fetchone()
    assert error.startswith("blocked: anti-bot gate (ruishu)") and "install Debian package `chromium`" in error


def test_find_chromium_prefers_the_named_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVREPORTS_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(BrowserUnavailable, match="chromium"):
        find_chromium()
    if CHROMIUM:
        monkeypatch.setenv("GOVREPORTS_CHROMIUM", CHROMIUM)
        assert find_chromium() == CHROMIUM
    monkeypatch.delenv("GOVREPORTS_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    if not Path("/usr/lib/chromium/chromium").exists():
        with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
            find_chromium()
    assert shutil.which("chromium") is None


def test_the_browser_keeps_the_safety_rules(tmp_path):
    """A host at a private address is refused before any Chromium starts, unless [safety] allows it."""
    import asyncio

    from govreports.fetch import Archive, Fetcher, FetchPolicy
    from govreports.fetch.browser import BrowserPool
    from govreports.fetch.errors import PrivateAddressError

    async def open_browser():
        policy = FetchPolicy(allowed_hosts={"127.0.0.1"}, allow_private_addresses=False)
        async with Fetcher(policy, Archive(tmp_path / "archive")) as fetcher:
            session = BrowserPool.of(fetcher).session("127.0.0.1:9", "127.0.0.1", 9)
            with pytest.raises(PrivateAddressError, match="allow_private_addresses"):
                await session._open()
            assert session._browser is None
            assert await BrowserPool.of(fetcher).on_gate({}, "http://127.0.0.1:9/x.html", "ruishu") is False
            assert "private" in session.problem
        assert fetcher.browsers is None  # closed with the Fetcher

    asyncio.run(open_browser())
