"""The demo portal's jpaas 集约化 column (demo/sites/taizhou.py, config/demo.toml's demo-jpaas): its list is in no
page, only in the HTML fragments its unitbuild.js unit build API answers. The units on detection and the adapter are
in test_discover_family.py and test_portal_jsonapi.py; here `discover` meets the site, and a crawl of its draft."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import parse_qs

import httpx

from govreports.discover import discover, draft


def test_the_demo_jpaas_column_answers_as_its_servers(demo_portal):
    """The column page lists nothing: two unitbuild.js units (navigation, list) with single-quoted queryData. The
    API, asked with the list unit's fields and paramJson, answers {success, data: {html}}: li.clearfix rows cut short
    (the title in title=), hrefs relative to the column page, <div class="pagination" rows count>; past the last
    page an empty list; a query naming no unit of the page: success false; a POST: 405."""
    from govreports.demo.sites import taizhou

    at = demo_portal.url
    rows = demo_portal.taizhou_items
    with httpx.Client(headers={"User-Agent": "govreports/test"}) as client:
        page = client.get(at(taizhou.START)).text
        assert "/art/" not in page and page.count("unitbuild.js") == 2
        query = re.findall(r'queryData="([^"]+)"', page)[1]
        fields = json.loads(query.replace("'", '"'))
        assert fields["tagId"] == "当前栏目list" and fields["parseType"] == "bulidstatic"

        def ask(number: int, size: int = 15, **change) -> dict:
            params = {**fields, **change, "paramJson": json.dumps({"pageNo": number, "pageSize": size})}
            reply = client.get(at(taizhou.API), params=params, headers={"Referer": at(taizhou.START)})
            assert reply.status_code == 200
            return reply.json()

        first = ask(1)["data"]["html"]
        assert first.count('<li class="clearfix">') == 15 and f'rows="15" count="{len(rows)}"' in first
        assert f'href="../..{rows[0].path.removeprefix("/taizhou")}" title="{rows[0].list_title}"' in first
        pages = -(-len(rows) // 15)
        assert pages >= 3 and ask(pages)["data"]["html"].count("<li") == len(rows) - 15 * (pages - 1)
        assert ask(pages + 1)["data"]["html"].startswith('<ul class="list"></ul>')
        assert ask(1, size=100)["data"]["html"].count("<li") == len(rows)
        assert ask(1, pageId="1")["success"] is False and ask(1, tagId="导航")["data"]["html"].count("<li>") == 3
        assert client.post(at(taizhou.API), data=fields).status_code == 405


def test_discover_drafts_the_jpaas_column_and_its_draft_crawls_it(demo_portal, tmp_path):
    """From the column page, `discover` proposes json-api on the list unit's API (not the navigation unit's), the
    params of config/demo.toml's demo-jpaas; the draft, unedited, crawls every report of the column, cell for cell,
    asking the API page by page to the first empty one and never fetching the notices listed beside the reports."""
    from crawlhelp import FAST as CRAWL_FAST, demo_config, mismatches, site_truth
    from govreports.crawl import run_crawl
    from govreports.demo.sites import taizhou
    from govreports.store.db import open_db

    start = demo_portal.url(taizhou.START)
    found = asyncio.run(discover(start, allow_private_addresses=True, per_host_delay=0.0, preview_limit=15))
    best = found.columns[0]
    assert best.portal.adapter == "json-api" and best.portal.start_url == start
    hand = next(p for p in demo_config(demo_portal.base_url).portal if p.name == "demo-jpaas")
    assert best.portal.params == hand.params and hand.start_url == start
    truth = site_truth(demo_portal, "taizhou")
    assert len(truth) >= 10
    previewed = [item for item in best.preview.items if item.url in truth]  # (the notices: excluded)
    assert previewed and all(item.status == "new" for item in previewed)
    demo_portal.clear_requests()
    config = draft.check(draft.document([best.block], True))
    summary = run_crawl(config, open_db(tmp_path / "reports.db"), tmp_path / "archive", parse_workers=0, **CRAWL_FAST)
    db = open_db(tmp_path / "reports.db")
    assert mismatches(db, truth) == []
    assert summary.total("new") == len(truth) and summary.total("failed") == 0
    pages = -(-len(demo_portal.taizhou_items) // 15)
    asked = [json.loads(parse_qs(r.query)["paramJson"][0])["pageNo"] for r in demo_portal.requests
             if r.path == taizhou.API]
    assert asked == list(range(1, pages + 2))
    fetched = {demo_portal.url(r.path) for r in demo_portal.requests}
    assert not fetched & set(demo_portal.nonreports())
