"""The demo sites' navigation: every home page reaches its report column in one or two clicks (through a
政府信息公开 hub on most sites), the look-alike columns beside it are real lists of look-alike items, the custom
site's list markup pages as designed, and crawling demo-custom through CSS selectors loads its ground truth."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from crawlhelp import crawl_demo, mismatches, site_truth
from govreports.demo.catalog import SITES
from govreports.demo.sitemap import GKMLPT_DECOYS, SITEMAPS
from govreports.portals.titles import is_report_title, title_year

UA = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"}
DECOY_WORDS = {"wzbb": "政府网站工作年度报表", "gzyd": "政务公开工作要点", "tjnb": "统计年度报告"}


@pytest.fixture(scope="module")
def portal(demo_portal):
    return demo_portal


@pytest.fixture(scope="module")
def client():
    with httpx.Client(headers=UA, timeout=10) as c:
        yield c


def get_text(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return r.content.decode("gb18030" if "/gbk/" in url else "utf-8")


def anchors(text: str, base: str) -> dict[str, str]:
    """Absolute URL (fragment kept) -> link text, for same-host links."""
    out = {}
    for href, label in re.findall(r'<a [^>]*?href="([^"#][^"]*|#[^"]*)"[^>]*>(.*?)</a>', text, re.S):
        url = urljoin(base, unescape(href))
        if urlsplit(url).netloc == urlsplit(base).netloc:
            out.setdefault(url, re.sub(r"<[^>]+>", "", label).strip())
    return out


def visible(text: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", text)))


@pytest.mark.parametrize("site", SITES)
def test_home_reaches_the_column_through_the_hub(portal, client, site):
    nav = portal.navigation()[site]
    sm = SITEMAPS[site]
    home = anchors(get_text(client, nav["home"]), nav["home"])
    for alias in sm.homes:
        assert client.get(portal.url(alias)).status_code == 200, alias
    assert home.get(nav["hub"]) == sm.hub.label  # the top navigation and the 政务公开 block link the hub
    hub = anchors(get_text(client, nav["hub"]), nav["hub"])
    assert hub[nav["column"]] == nav["column_label"]
    if nav["clicks"] == 1:
        assert home[nav["column"]] == nav["column_label"]
    else:
        assert nav["column"] not in home
    # the column itself answers, with a breadcrumb 首页 > 政府信息公开 > 信息公开年报 (gkmlpt: its catalogue page)
    column = get_text(client, nav["start_url"])
    crumb = f"您现在的位置：首页 > {sm.hub.label} > "
    assert crumb in visible(column)
    if site != "gd":
        assert f"{crumb}{nav['column_label']}" in visible(column)
    # look-alikes sit beside it in the hub, each under its own URL
    for label, url in nav["decoys"].items():
        assert hub[url] == label and url != nav["column"]


def test_one_site_links_the_column_from_its_home_page(portal):
    clicks = {site: nav["clicks"] for site, nav in portal.navigation().items()}
    assert clicks["gbk"] == 1 and sorted(clicks.values()).count(2) == len(SITES) - 1


def test_left_menus_and_hubs_keep_the_column_reachable(portal, client):
    """Column and article pages carry the 信息公开 menu: the hub, the report column, on some sites a look-alike."""
    # the catalog's sites (the /wenzhou/ GET-pages column is a bare column, without home page or hub, as /gate/ is)
    for report in [r for r in portal.reports if r.site in SITEMAPS][::9]:
        nav = portal.navigation()[report.site]
        links = anchors(get_text(client, report.url), report.url)
        assert nav["hub"] in links and nav["column"] in links, report
    menus_with_decoys = {site for site, sm in SITEMAPS.items() if set(sm.menu) & set(DECOY_WORDS)}
    assert len(menus_with_decoys) >= 3 and "govcn" not in menus_with_decoys


@pytest.mark.parametrize("site", SITES)
def test_decoy_columns_list_lookalike_items(portal, client, site):
    decoys = portal.catalog.decoys[site]
    assert set(decoys) == set(DECOY_WORDS)
    truth = set(portal.ground_truth())
    for key, items in decoys.items():
        assert len(items) >= 3
        link = SITEMAPS[site].decoy(key)
        assert DECOY_WORDS[key][-4:] in link.label
        if site == "gd":  # a category of the gkmlpt tree, listed by the JSON API
            index = get_text(client, portal.url("/gd/gkmlpt/index"))
            assert re.search(r"\{id: %d, name: '%s'" % (GKMLPT_DECOYS[key], link.label), index)
            data = client.get(portal.url(f"/gd/gkmlpt/api/all/{GKMLPT_DECOYS[key]}"),
                              params={"page": 1, "sid": "662021"}).json()
            listed = {a["url"]: a["title"] for a in data["articles"]}
        elif site == "tax":  # a tab of the column page, another channel of its POST list API
            text = get_text(client, portal.url(link.url))
            channel = re.search(r"var channelId = '(\w+)'", text).group(1)
            data = client.post(portal.url("/tax/getFileListByCodeId"),
                               data={"channelId": channel, "page": 1, "size": 20}).json()["results"]["data"]
            listed = {urljoin(portal.url(link.url), x["url"]): visible(x["titleHtml"]).strip() for x in data["results"]}
        else:
            page_url = portal.url(link.url)
            text = get_text(client, page_url)
            listed = {url: title for url, title in anchors(text, page_url).items()}
            listed |= {urljoin(page_url, h): t for h, t in re.findall(r'href="([^"]+)" title="([^"]+)"', text)}
        for it in items:
            url = portal.url(it.path)
            assert url in listed, (site, key, url)
            assert not is_report_title(it.list_title), it.list_title
            assert url not in truth
            page = client.get(url)
            assert page.status_code == 200 and it.list_title in page.content.decode(
                "gb18030" if site == "gbk" else "utf-8"), url


def test_navigation_served_out_of_process(portal, client):
    served = client.get(portal.url("/_demo/navigation.json")).json()
    assert served == json.loads(json.dumps(portal.navigation()))
    assert set(served) == set(SITES)


def test_home_pages_have_ordinary_links_and_gbk_is_gbk(portal, client):
    for site in SITES:
        nav = portal.navigation()[site]
        links = anchors(get_text(client, nav["home"]), nav["home"])
        news = [url for url in links if any(url == portal.url(it.path) for it in portal.catalog.news[site])]
        assert len(news) >= 4, site
        assert all(client.get(url).status_code == 200 for url in news[:2])
        assert not [label for label in links.values() if is_report_title(label) and title_year(label)]  # no report
    r = client.get(portal.url("/gbk/"))
    assert r.headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert "charset=gb2312" in r.content.decode("gb18030")
    assert "/ordos/private/index.html" in client.get(portal.url("/ordos/")).text  # robots.txt forbids it


# --- the custom site --------------------------------------------------------------------------------------------------

ROW = re.compile(r'<div class="doc-row"><i class="doc-icon"></i>'
                 r'<span class="doc-title" title="([^"]+)">([^<]*)</span> '
                 r'<a class="doc-open" href="([^"]+)" target="_blank">([^<]*)</a> '
                 r'<em class="doc-time">([^<]+)</em></div>')


def test_custom_list_markup_pages(portal, client):
    base = portal.url("/custom/xxgk/nb/list")
    items = portal.catalog.items["custom"]
    seen, url, pages = [], base, 0
    while url:
        text = get_text(client, url)
        pages += 1
        assert "下一页" not in text and "page=" not in re.sub(r'<div class="pg">.*?</div>', "", text, flags=re.S)
        rows = ROW.findall(text)
        assert rows
        for title, shown, href, label, day in rows:
            assert label == "查看" and not is_report_title(label)
            assert shown == title or (shown.endswith("…") and title.startswith(shown[:-1]))
            assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", day)
            seen.append((title, urljoin(url, href)))
        nxt = re.search(r'<a class="pg-next" href="([^"]+)">›</a>', text)
        url = urljoin(url, nxt.group(1)) if nxt else None
    assert 2 <= pages <= 3
    assert seen == [(it.list_title, portal.url(it.path)) for it in items]
    assert any(len(t) > 16 for t, _ in seen)  # some titles are only whole in the attribute
    assert client.get(base, params={"page": pages + 1}).status_code == 404
    assert get_text(client, base + "?page=1") == get_text(client, base)
    roles = [it.role for it in items]
    assert 10 <= roles.count("report") <= 16 and 2 <= roles.count("nonreport") <= 3


def test_custom_column_matches_ground_truth(portal):
    truth = site_truth(portal, "custom")
    reports = [it for it in portal.catalog.items["custom"] if it.role == "report"]
    assert set(truth) == {portal.url(it.path) for it in reports}
    assert {it.kind for it in reports} >= {"html"}


def test_crawling_demo_custom_through_selectors(portal, tmp_path):
    db, summary = crawl_demo(portal, tmp_path, portals=("demo-custom",))
    truth = site_truth(portal, "custom")
    assert mismatches(db, truth) == []
    [stats] = summary.portals
    assert stats.new == len(truth) and stats.failed == {} and stats.pages == 3
    assert stats.skipped == sum(it.role == "nonreport" for it in portal.catalog.items["custom"])
