"""`govreports discover` on a site behind a JavaScript gate (issue 13): the walk passes the gate in headless Chromium,
the drafted block says `fetch = "browser"`, and a crawl of that block loads every report behind the gate.

The demo portal's /gate/ column answers a plain client with 412 and an obfuscated cookie script (demo.sites.gate).
"""

from __future__ import annotations

import asyncio

import pytest

from crawlhelp import FAST as CRAWL_FAST
from crawlhelp import mismatches, site_truth
from govreports.crawl import run_crawl
from govreports.demo import DemoPortal
from govreports.demo.sites import gate
from govreports.discover import DiscoverError, discover
from govreports.fetch.browser import BrowserUnavailable, find_chromium
from govreports.portals.config import load_config
from govreports.store.db import open_db

try:
    find_chromium()
    HAVE_CHROMIUM = True
except BrowserUnavailable:
    HAVE_CHROMIUM = False

FAST = {"per_host_delay": 0.0, "blocked_delay": 0.0, "allow_private_addresses": True}


@pytest.fixture(scope="module")
def gated():
    portal = DemoPortal(seed=0, gate=True).start(port=0)
    yield portal
    portal.stop()


def test_without_a_browser_mode_the_gate_is_named_and_the_way_past_it_given(gated):
    with pytest.raises(DiscoverError) as err:
        asyncio.run(discover(gated.url(gate.START), fetch="http", preview_limit=0, **FAST))
    message = str(err.value)
    assert "blocked" in message and "--fetch auto" in message


def test_an_unknown_fetch_mode_is_a_usage_error(gated):
    with pytest.raises(DiscoverError) as err:
        asyncio.run(discover(gated.url(gate.START), fetch="chrome", **FAST))
    assert err.value.exit_code == 2 and "auto" in str(err.value)


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no chromium (apt-get install chromium)")
def test_discover_passes_the_gate_and_its_block_crawls_every_report(gated, tmp_path):
    found = asyncio.run(discover(gated.url(gate.START), preview_limit=10, **FAST))
    assert found.gated
    best = found.columns[0]
    assert best.portal.start_url == gated.url(gate.START)
    assert best.portal.fetch == "browser" and 'fetch = "browser"' in best.block
    assert "JavaScript gate" in best.reason
    listed = [item for item in best.preview.items if item.status == "new"]
    truth = set(site_truth(gated, "gate"))
    assert len(listed) == 10 and {item.url for item in listed} <= truth

    config = tmp_path / "discovered.toml"
    config.write_text(found.document, encoding="utf-8")
    db = open_db(tmp_path / "reports.db")
    summary = run_crawl(load_config(config), db, tmp_path / "archive", parse_workers=0, **CRAWL_FAST)
    assert summary.total("new") == len(truth)
    assert mismatches(db, site_truth(gated, "gate")) == []
