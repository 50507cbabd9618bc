"""The demo's chinatax-like site (/tax/, demo.sites.tax): a column whose list is only in a POST API's JSON, the
API's answers to what a browser's script would not send, and demo-chinatax (json-api) crawled to its ground truth."""

from __future__ import annotations

import re

import httpx
import pytest

from crawlhelp import crawl_demo, mismatches, site_truth
from govreports.demo.sites.tax import API, REPORT_CHANNEL

UA = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"}
FORM = {"channelId": REPORT_CHANNEL, "page": "1", "size": "20", "relateSubChannels": "true"}


@pytest.fixture(scope="module")
def client():
    with httpx.Client(headers=UA, timeout=10) as c:
        yield c


def _post(client, portal, **form):
    return client.post(portal.url(API), data={**FORM, **form})


def test_the_column_page_lists_nothing_without_its_script(demo_portal, client):
    page = client.get(demo_portal.url("/tax/n810214/c102384r/index.html"), params={"tab": "gknb"})
    assert page.status_code == 200 and "您现在的位置：" in page.text
    assert f"var channelId = '{REPORT_CHANNEL}'" in page.text and "getFileListByCodeId" in page.text
    assert not [it for it in demo_portal.catalog.items["tax"] if it.path in page.text or it.list_title in page.text]


def test_the_api_pages_the_column_twenty_at_a_time_with_html_titles(demo_portal, client):
    items = demo_portal.catalog.items["tax"]
    pages = [_post(client, demo_portal, page=str(n)) for n in (1, 2, 3)]
    assert all(p.status_code == 200 and p.headers["content-type"].startswith("application/json") for p in pages)
    data = [p.json()["results"]["data"] for p in pages]
    assert [d["total"] for d in data] == [len(items)] * 3
    assert [len(d["results"]) for d in data] == [20, len(items) - 20, 0]  # the last page short, then nothing
    rows = data[0]["results"] + data[1]["results"]
    assert [demo_portal.url(r["url"]) if r["url"].startswith("/") else r["url"] for r in rows] == \
        [demo_portal.url(it.path) for it in items]
    assert any(r["url"].startswith("/") for r in rows) and any(r["url"].startswith("http") for r in rows)
    assert any('<font color="red">年度报告</font>' in r["titleHtml"] for r in rows)
    assert any("<em>" in r["titleHtml"] for r in rows) and any("&nbsp;" in r["titleHtml"] for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", r["publishedTimeStr"]) for r in rows)
    assert [r["publishedTimeStr"][:10] for r in rows] == [it.list_date for it in items]
    assert {it.role for it in items} == {"report", "nonreport"}  # column noise: a 网站报表, a notice


def test_the_api_answers_what_a_script_would_not_send_as_a_post_only_controller_would(demo_portal, client):
    get = client.get(demo_portal.url(API), params=FORM)
    assert get.status_code == 405 and get.json()["error"] == "Method Not Allowed"
    missing = client.post(demo_portal.url(API), data={"page": "1", "size": "20"})
    assert missing.status_code == 400 and "channelId" in missing.json()["message"]
    unknown = _post(client, demo_portal, channelId="0" * 32)
    assert unknown.status_code == 200 and unknown.json()["results"]["data"] == {"total": 0, "page": 1, "size": 20,
                                                                                 "results": []}
    assert "etag" not in _post(client, demo_portal).headers  # a dynamic answer: nothing to ask "has it changed?"


def test_crawling_demo_chinatax_loads_its_ground_truth(demo_portal, tmp_path):
    demo_portal.clear_requests()
    db, summary = crawl_demo(demo_portal, tmp_path, portals=("demo-chinatax",))
    truth = site_truth(demo_portal, "tax")
    assert truth and mismatches(db, truth) == []
    [stats] = summary.portals
    items = demo_portal.catalog.items["tax"]
    assert stats.new == len(truth) and stats.failed == {} and stats.list_failed == 0
    assert stats.pages == -(-len(items) // 20) and stats.skipped == sum(it.role == "nonreport" for it in items)
    titles = dict(db.execute("SELECT url, list_title FROM items WHERE portal = 'demo-chinatax'").fetchall())
    reports = {demo_portal.url(it.path): it.list_title for it in items if it.role == "report"}
    assert titles == reports  # no tag and no &nbsp; left in a title; the noise skipped, never stored
    posts = [r for r in demo_portal.requests if r.path == API]
    assert [r.method for r in posts] == ["POST"] * stats.pages
    assert all(r.headers.get("Referer", "").endswith("/c102384r/index.html?tab=gknb") for r in posts)
    # the next night: the list pages are POSTed again (a POST is not cached, and the API sends no validators: the
    # only way to see a new item), the reports are asked "has it changed?" and answer 304, nothing is re-read
    demo_portal.clear_requests()
    _, again = crawl_demo(demo_portal, tmp_path, db=db, portals=("demo-chinatax",))
    [stats] = again.portals
    assert stats.unchanged == stats.found == len(truth) and stats.new == 0 and stats.changed == 0
    assert [r.method for r in demo_portal.requests if r.path == API] == ["POST"] * stats.pages
    reports = [r for r in demo_portal.requests if demo_portal.url(r.path) in truth]
    assert len(reports) == len(truth) and all(r.conditional and r.status == 304 for r in reports)


def test_a_wrong_channel_is_an_empty_column_that_health_names(demo_portal, tmp_path):
    """The API answers an unknown channelId with total 0 and no results, as it would a channel with nothing in it:
    no list page failed, so the crawl cannot call it a failure; the portal's health does (`nothing_found` on a
    new portal, `empty` where it listed items before)."""
    from crawlhelp import FAST, demo_config
    from govreports.crawl import run_crawl
    from govreports.store.db import open_db

    config = demo_config(demo_portal.base_url)
    [tax] = [p for p in config.portal if p.name == "demo-chinatax"]
    form = {**tax.params["form"], "channelId": "c102384r"}  # the page's id, which is not the API's channel
    wrong = tax.model_copy(update={"params": {**tax.params, "form": form}})
    summary = run_crawl(config.model_copy(update={"portal": [wrong]}), open_db(tmp_path / "r.db"),
                        tmp_path / "archive", **FAST)
    [stats] = summary.portals
    assert stats.pages == 1 and stats.listed == 0 and stats.list_failed == 0 and stats.failed == {}
    assert [(f.portal, f.flag) for f in summary.health] == [("demo-chinatax", "nothing_found")]
