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


def test_the_gate_guards_its_own_host_s_robots_txt_only(gated):
    """The gate site's challenge stands before its host's robots.txt; every other site is a host of its own
    (demo/hosts.py), whose robots.txt answers without a cookie. All on one host, the gate guarded every site's
    robots.txt, and config/demo.toml had to turn blocked_delay off for the ungated sites."""
    def robots(site: str) -> httpx.Response:
        return httpx.get(gated.url(f"/{site}/").replace(f"/{site}/", "/robots.txt"), headers={"User-Agent": BROWSER_UA})

    assert robots("gate").status_code == 412
    assert [robots(site).status_code for site in ("ordos", "gbk", "hanweb", "gd", "govcn", "custom", "tax")] == [200] * 7


def _navigations(portal) -> list:
    """Requests Chromium made (it sends Sec-Fetch-Mode; httpx does not)."""
    return [r for r in portal.requests if "Sec-Fetch-Mode" in r.headers]


def test_a_plain_client_gets_the_412_gate_and_the_script_computes_the_cookie(gated):
    url = gated.url(gate.START)
    answer = httpx.get(url, headers={"User-Agent": BROWSER_UA})
    assert answer.status_code == 412 and b"$_ts" in answer.content
    assert detect_gate(412, answer.content, [gate.COOKIE_S]) == "ruishu"
    report = httpx.get(gated.url(gated.gate_reports[0].path), headers={"User-Agent": BROWSER_UA})
    assert report.status_code == 412  # the reports too, not only the list
    assert len(gated.gate_reports) >= 15 and set(site_truth(gated, "gate")) == {
        gated.url(it.path) for it in gated.gate_reports}
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
    # the favicon Chromium itself may ask for after a plain-text page (a 404 here) is no navigation of ours
    browser = [r for r in _navigations(gated) if r.path != "/favicon.ico"]
    # one browser visit (the gate page, then the reload its script made), at robots.txt only: the gate stands in
    # front of robots.txt too, and it is passed there before any page is asked for
    assert [r.status for r in browser] == [412, 200] and {r.path for r in browser} == {"/robots.txt"}
    assert browser[0].headers["User-Agent"] == browser[1].headers["User-Agent"] != BROWSER_UA  # the crawler's own
    by_httpx = [r for r in gated.requests if "Sec-Fetch-Mode" not in r.headers]
    # robots.txt asked by httpx (the gate), then again with the cookie; every report page by httpx, with the cookie
    assert [r.status for r in by_httpx if r.path == "/robots.txt"] == [412, 200]
    assert {r.path for r in by_httpx if r.status == 200} >= {it.path for it in gated.gate_reports}
    assert not [r for r in by_httpx if r.path.startswith(gate.COLUMN) and r.status == 412]
    assert {Path(r.path).suffix for r in browser} == {".txt"}  # no images, styles or other hosts fetched


@needs_chromium
def test_robots_txt_behind_the_gate_is_read_and_obeyed(gated, tmp_path):
    """Before, a gated robots.txt read as "no rules". Now the browser passes the gate on robots.txt, the rules come
    by httpx with the cookie, and the path they disallow is never asked for, by httpx or by the browser."""
    import asyncio

    from govreports.fetch import Archive, Fetcher, FetchPolicy
    from govreports.fetch import browser as browser_mode

    gated.clear_requests()
    host = httpx.URL(gated.url(gate.START)).netloc.decode()  # the gate site's host (demo/hosts.py)
    private, allowed = gated.url(gate.PRIVATE + "index.html"), gated.url(gate.START)

    async def crawl():
        policy = FetchPolicy(allowed_hosts={host}, allow_private_addresses=True, per_host_delay=0, delay_jitter=0)
        async with Fetcher(policy, Archive(tmp_path / "archive")) as fetcher:
            refused = await browser_mode.fetch(fetcher, private, [host], "browser")
            listed = await browser_mode.fetch(fetcher, allowed, [host], "browser")
            rules = await fetcher._robots.rules(gated.url(gate.START).removesuffix(gate.START))
            slowed = fetcher._throttle._host(host).base  # a gate passed is no block: no blocked_delay (30 s)
        return refused, listed, rules, slowed

    refused, listed, rules, slowed = asyncio.run(crawl())
    assert slowed == 0
    assert refused.error_kind == "robots_disallowed" and gate.PRIVATE in refused.error
    assert listed.ok and b"gl_list" in listed.body
    assert rules.mode == "parsed" and not rules.gated
    assert not [r for r in gated.requests if r.path.startswith(gate.PRIVATE)]
    assert {r.path for r in _navigations(gated)} - {"/favicon.ico"} == {"/robots.txt"}


def test_a_gated_robots_txt_without_a_browser_reads_as_no_rules_until_a_gate_is_passed():
    """No gate passer (an http portal, or no browser yet): "no rules", marked gated; a gate passed later on a page of
    that origin drops it, and the next lookup fetches robots.txt again."""
    import asyncio

    from govreports.fetch.robots import RobotsAnswer, RobotsCache

    answers = [RobotsAnswer(403, None, "blocked", "anti-bot gate (ruishu), HTTP 412"),
               RobotsAnswer(200, b"User-agent: *\nDisallow: /private/\n")]
    asked = []

    async def fetch(origin):
        asked.append(origin)
        return answers[len(asked) - 1]

    async def run():
        cache = RobotsCache(fetch)
        first = await cache.rules("http://a.example")
        cache.forget_gated("http://a.example")
        second = await cache.rules("http://a.example")
        cache.forget_gated("http://a.example")  # parsed rules are kept
        return first, second, await cache.rules("http://a.example")

    first, second, third = asyncio.run(run())
    assert first.gated and first.can_fetch("http://a.example/private/x", "bot") and "gate" in first.reason
    assert not second.gated and not second.can_fetch("http://a.example/private/x", "bot") and third is second
    assert len(asked) == 2


def test_a_gate_passer_is_asked_for_robots_txt_and_the_rules_fetched_again():
    import asyncio

    from govreports.fetch.robots import RobotsAnswer, RobotsCache

    answers = [RobotsAnswer(403, None, "blocked", "anti-bot gate (jiasule), HTTP 521"),
               RobotsAnswer(200, b"User-agent: *\nDisallow: /private/\n")]
    asked, passed = [], []

    async def fetch(origin):
        asked.append(origin)
        return answers[len(asked) - 1]

    async def passer(url, gate_name):
        passed.append((url, gate_name))
        return True

    async def run():
        cache = RobotsCache(fetch)
        cache.gate_passer = passer
        return await cache.rules("http://a.example")

    rules = asyncio.run(run())
    assert passed == [("http://a.example/robots.txt", "jiasule")] and len(asked) == 2
    assert rules.mode == "parsed" and not rules.can_fetch("http://a.example/private/x", "bot")


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
