"""Discovery stays on the host it is given; a hub or column linked on another host is named when nothing is found.

Real portals often keep their 政府信息公开 hub on a host of its own (www.… linking xxgk.…): the walk does not follow
it (one host, a visitor's page budget), and it had ended "no annual-report column found" without a word of the
link it had passed over.
"""

from __future__ import annotations

import asyncio

import pytest

from govreports.discover import DiscoverError, discover
from httpserver import Reply


def html(body: str) -> Reply:
    return Reply(200, f'<html><head><meta charset="utf-8"><title>某市人民政府</title></head><body>{body}</body></html>',
                 {"Content-Type": "text/html; charset=utf-8"})


def run(url: str):
    return asyncio.run(discover(url, allow_private_addresses=True, per_host_delay=0.0, preview_limit=0))


def test_a_hub_on_another_host_is_named_when_no_column_is_found(srv):
    hub = srv.url("/xxgk/", host="localhost")
    srv.route("/home/", html(f'<a href="/home/about">关于我们</a><a href="{hub}">政府信息公开</a>'
                             f'<a href="{srv.url("/news/", host="localhost")}">新闻中心</a>'))
    srv.route("/xxgk/", html('<a href="/xxgk/nb/">政府信息公开年报</a>'))
    srv.route("/xxgk/nb/", html("<ul>" + "".join(
        f'<li><a href="/xxgk/nb/t{i}.html">某市{2024 - i}年政府信息公开工作年度报告</a><span>{2025 - i}-03-01</span></li>'
        for i in range(3)) + "</ul>"))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/home/"))
    said = str(nothing.value)
    assert "no annual-report column found" in said
    assert f'"政府信息公开" → {hub}' in said and "run discover on that URL" in said
    assert "新闻中心" not in said  # only links whose words name a hub or a column
    assert not any(seen.path.startswith("/xxgk") for seen in srv.requests)  # named, not visited
    found = run(hub)  # and the URL named is where the column is
    assert found.columns[0].portal.start_url == srv.url("/xxgk/nb/", host="localhost")


def test_nothing_elsewhere_says_nothing_more(srv):
    srv.route("/plain/", html('<a href="/plain/about">关于我们</a>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/plain/"))
    assert "another host" not in str(nothing.value) and "run discover on" not in str(nothing.value)
