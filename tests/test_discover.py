"""`govreports discover`: from a home page to a config that crawls the annual reports with no edits.

The units on words and families are in test_discover_family.py; here the walk's manners (robots, one host,
the page cap, the address guard) on small local sites; and every demo site from its home page: the right column
first, never a decoy, the same params as config/demo.toml, and a crawl of the drafted config loading the same
reports as the ground truth.
"""

from __future__ import annotations

import asyncio
import re
import tomllib
from urllib.parse import urlsplit

import pytest

from govreports.discover import DiscoverError, discover, draft
from govreports.discover.family import detect
from govreports.discover.pages import Page
from govreports.discover.signals import BARE
from govreports.errors import EXIT_USAGE
from govreports.demo.hosts import path_of
from httpserver import Reply

FAST = {"per_host_delay": 0.0}


def run(url: str, **kw):
    return asyncio.run(discover(url, **{"allow_private_addresses": True, **FAST, **kw}))


def html(body: str, title: str = "景德镇市人民政府") -> Reply:
    return Reply(200, f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>',
                 {"Content-Type": "text/html; charset=utf-8"})


def _reports_list(folder: str, reports: int = 3) -> str:
    """A column page's list of `reports` annual reports (2024 first, under `folder`), each with its date."""
    return "<ul>" + "".join(
        f'<li><a href="{folder}t{i}.html">某市{2024 - i}年政府信息公开工作年度报告</a><span>{2025 - i}-03-01</span></li>'
        for i in range(reports)) + "</ul>"


def page(text: str, url: str = "http://www.example.gov.cn/xxgk/xxgknb/index.html") -> Page:
    return Page(url, url, text)


# --- the walk's manners on small local sites ------------------------------------------------------------------------

def _rows(first: int, n: int) -> str:
    return "".join(
        f'<div class="doc-row"><span class="doc-title" title="景德镇市第{i}局{2024 - i % 7}年政府信息公开工作年度报告">'
        f'景德镇市第{i}局…</span><a class="doc-open" href="/s/nb/doc/{i}">查看</a>'
        f'<em class="doc-time">{2025 - i % 7}-01-{10 + i % 20:02d}</em></div>' for i in range(first, first + n))


@pytest.fixture
def site(srv):
    """A home page → 政府信息公开 hub → report column (CSS-selector rows, a › pager), a 统计 年度报告 column, a
    website-report decoy, a hub under a robots.txt Disallow and a column link to another host."""
    srv.route("/robots.txt", Reply(200, "User-agent: *\nDisallow: /s/secret/\n"))
    srv.route("/s/", html('<ul class="nav"><li><a href="/s/">首页</a></li><li><a href="/s/xxgk/">政府信息公开</a></li>'
                          '<li><a href="/s/secret/">政务公开</a></li>'
                          f'<li><a href="{srv.url("/elsewhere/xxgknb/", host="localhost")}">信息公开年报</a></li>'
                          '</ul><div class="news"><a href="/s/news/1">市长调研</a></div>'))
    srv.route("/s/xxgk/", html('<div class="pos">当前位置：<a href="/s/">首页</a> &gt; 政府信息公开</div><ul>'
                               '<li><a href="/s/xxgk/zn">政府信息公开指南</a></li>'
                               '<li><a href="/s/nb/list">政府信息公开年报</a></li>'
                               '<li><a href="/s/wzbb/list">政府网站工作年度报表</a></li>'
                               '<li><a href="/s/tj/list">年度报告</a></li></ul>'))
    srv.route("/s/nb/list", html('<div class="pos">当前位置：首页 &gt; 政府信息公开 &gt; 信息公开年报</div>'
                                 f'<div class="doc-list">{_rows(0, 10)}</div>'
                                 '<div class="pager"><a class="pg-next" href="/s/nb/list?page=2">›</a></div>'))
    srv.route("/s/nb/list?page=2", html(f'<div class="doc-list">{_rows(10, 5)}</div>'))
    srv.route("/s/tj/list", html('<ul class="list"><li><a href="/s/tj/1">2023年统计年度报告</a> 2024-02-01</li>'
                                 '<li><a href="/s/tj/2">2022年统计年度报告</a> 2023-02-01</li></ul>'))
    return srv


def _paths(server) -> list[str]:
    return [r.path for r in server.requests]


def test_a_site_without_a_known_family(site):
    found = run(site.url("/s/"), preview_limit=20)
    [column] = found.columns
    assert column.portal.start_url == site.url("/s/nb/list") and column.portal.adapter == "generic"
    assert column.portal.params["item_selector"] == "div.doc-row"
    assert "政府信息公开 › 政府信息公开年报" in column.reason
    assert [c.page.url for c in found.rejected if c.score >= BARE] == [site.url("/s/tj/list")]  # 统计年度报告
    items = column.preview.items
    assert len(items) == 15 and all(item.status == "new" and item.year for item in items)  # both pages
    paths = _paths(site)
    assert "/s/wzbb/list" not in paths and "/s/xxgk/zn" not in paths and "/s/news/1" not in paths  # decoys, others
    assert not any(p.startswith("/s/secret/") for p in paths)  # robots.txt
    assert not any(p.startswith("/elsewhere/") for p in paths)  # another host (localhost:port)


def test_the_walk_keeps_to_its_page_cap(srv):
    def hub(n: int) -> Reply:
        return html("".join(f'<a href="/h/{n * 3 + k}/">政务公开</a>' for k in range(1, 4)))

    for n in range(200):
        srv.route(f"/h/{n}/", hub(n))
    with pytest.raises(DiscoverError) as failed:
        run(srv.url("/h/0/"), max_pages=12)
    assert failed.value.exit_code == 1 and "within 12 page(s)" in str(failed.value)
    assert len([p for p in _paths(srv) if p != "/robots.txt"]) == 12


def test_pages_are_asked_for_one_at_a_time_with_the_delay(site, sends):
    run(site.url("/s/"), preview_limit=0, per_host_delay=0.2, delay_jitter=0)
    times = [t for _, path, t in sends if path != "/robots.txt"]  # as sent: arrival times jitter on a busy machine
    assert len(times) >= 4 and len(times) == len([r for r in site.requests if r.path != "/robots.txt"])
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.199


def test_a_private_address_needs_the_flag(site):
    with pytest.raises(DiscoverError) as refused:
        run(site.url("/s/"), allow_private_addresses=False)
    assert refused.value.exit_code == EXIT_USAGE
    assert "private_address" in str(refused.value) and "--allow-private-addresses" in str(refused.value)
    assert [p for p in _paths(site)] == []  # nothing was sent


def test_a_column_named_right_but_listing_look_alikes_is_rejected(srv):
    srv.route("/w/", html('<a href="/w/nb/">信息公开年报</a>'))
    srv.route("/w/nb/", html('<ul><li><a href="/w/nb/1.html">2023年度政府网站工作年度报表</a></li>'
                             '<li><a href="/w/nb/2.html">关于做好2023年政府信息公开工作年度报告编制工作的通知</a></li></ul>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/w/"))
    assert f'{srv.url("/w/nb/")} (link "信息公开年报"): its list (read as generic) names no 信息公开 annual report' \
        in str(nothing.value)


def test_nothing_found_and_a_bad_start(srv):
    srv.route("/n/", html('<a href="/n/about">关于我们</a>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/n/"))
    assert nothing.value.exit_code == 1 and "no annual-report column found" in str(nothing.value)
    with pytest.raises(DiscoverError) as missing:
        run(srv.url("/missing/"))
    assert missing.value.exit_code == 1 and "HTTP 404" in str(missing.value)
    with pytest.raises(DiscoverError) as usage:
        run("ftp://example.gov.cn/")
    assert usage.value.exit_code == EXIT_USAGE


def test_several_columns_one_block_each_best_first(srv):
    def li(path: str, n: int) -> str:
        return "".join(f'<li><a href="{path}{i}.html">某{"局" if "bm" in path else "市"}{2024 - i}年政府信息公开工作年度报告'
                       f"</a><span>{2025 - i}-03-01</span></li>" for i in range(n))

    srv.route("/m/", html('<a href="/m/bmnb/">部门信息公开年报</a> <a href="/m/nb/">政府信息公开年报</a>'))
    srv.route("/m/nb/", html(f'<ul>{li("/m/nb/t", 6)}</ul><a href="/m/nb/?p=2">下一页</a>'))
    srv.route("/m/bmnb/", html(f"<ul>{li('/m/bmnb/t', 2)}</ul>"))
    found = run(srv.url("/m/"))
    assert [c.portal.start_url for c in found.columns] == [srv.url("/m/nb/"), srv.url("/m/bmnb/")]
    assert [c.name for c in found.columns] == ["m", "m-2"]
    assert found.columns[0].reason.startswith("1 of 2: generic — 下一页 links")
    assert found.columns[1].reason.startswith("2 of 2: generic — one page")
    assert [len(c.preview.items) for c in found.columns] == [6, 2]


def test_a_column_split_by_year_gives_a_block_per_year(srv):
    def li(year: int) -> str:
        return "".join(f'<li><a href="/y/nb/{year}n/t{i}.html">某街道{year}年政府信息公开工作年度报告</a></li>'
                       for i in range(3))

    srv.route("/y/", html('<a href="/y/nb/">政府信息公开年报</a>'))
    srv.route("/y/nb/", html('<div class="pos">首页 &gt; 政府信息公开年报</div>'
                             '<a href="/y/nb/2023n/">2023年</a> <a href="/y/nb/2022n/">2022年度</a>'
                             '<a href="/y/nb/t9.html">2023年政府信息公开工作年度报告</a>'))
    for year in (2023, 2022):
        srv.route(f"/y/nb/{year}n/", html(f"<ul>{li(year)}</ul>"))
    found = run(srv.url("/y/"), preview_limit=0)
    assert [c.portal.start_url for c in found.columns] == [srv.url(f"/y/nb/{p}") for p in ("2023n/", "2022n/", "")]
    assert [c.portal.title for c in found.columns][:2] == ["景德镇市人民政府 政府信息公开年报 2023年",
                                                          "景德镇市人民政府 政府信息公开年报 2022年度"]
    assert "/y/nb/t9.html" not in _paths(srv)  # a report, not a year's column


def test_a_pager_only_in_a_script_gets_a_page_template(srv):
    def li(k: int) -> str:
        return "".join(f'<li><a href="/p/nb/a{k}{i}.html">某局{2024 - i}年政府信息公开工作年度报告</a></li>' for i in range(3))

    script = "<script>var totalPage = 3; /* pages list_2.html, list_3.html: written by the script only */</script>"
    srv.route("/p/", html('<a href="/p/nb/list.html">信息公开年报</a>'))
    srv.route("/p/nb/list.html", html(f"<ul>{li(1)}</ul>{script}"))
    for k in (2, 3):
        srv.route(f"/p/nb/list_{k}.html", html(f"<ul>{li(k)}</ul>{script}"))
    [column] = run(srv.url("/p/"), preview_limit=20).columns
    assert column.portal.params == {"page_template": "list_{page}.html",
                                    "page_count_pattern": r"""totalPage\s*=\s*(?:parseInt\(\s*)?['"]?(\d+)"""}
    assert "3 page(s) named in a script (totalPage)" in column.reason
    assert len(column.preview.items) == 9 and column.preview.pages == 3
    script = "<script>var maxPage = parseInt('4');</script>"
    numbered = detect(page(f"<ul>{li(1)}</ul>{script}", "http://a.gov.cn/nb/1.html"))
    assert numbered.params["page_template"] == "{page}.html" and numbered.pending is None


def test_a_start_page_redirecting_to_another_host_is_named(srv):
    srv.route("/r/", Reply(302, "", {"Location": srv.url("/s/", host="localhost")}))
    with pytest.raises(DiscoverError) as moved:
        run(srv.url("/r/"))
    assert moved.value.exit_code == 1 and f"redirects to {srv.url('/s/', host='localhost')}" in str(moved.value)
    assert _paths(srv) == ["/robots.txt", "/r/"]


# --- the command ----------------------------------------------------------------------------------------------------

def test_command_prints_a_config_and_writes_it(site, tmp_path):
    from crawlhelp import run_cli
    from govreports.portals.config import load_config

    out = tmp_path / "found.toml"
    done = run_cli("discover", site.url("/s/"), "--allow-private-addresses", "--delay", "0", "--write", str(out))
    assert done.returncode == 0, done.stderr
    printed = tomllib.loads(done.stdout)  # stdout is one TOML document; the preview is in comments
    assert printed["safety"] == {"allow_private_addresses": True}
    assert [p["start_url"] for p in printed["portal"]] == [site.url("/s/nb/list")]
    assert "# │ new" in done.stdout and "景德镇市第0局2024年政府信息公开工作年度报告" in done.stdout
    assert "统计" not in done.stdout.split("not used")[0].split("[[portal]]")[0]
    config = load_config(out)
    assert config.safety.allow_private_addresses and [p.name for p in config.portal] == ["s"]
    assert f"to {out}" in done.stderr
    again = run_cli("discover", site.url("/s/"), "--allow-private-addresses", "--delay", "0", "--preview", "0",
                    "--write", str(out))
    assert again.returncode == 0, again.stderr
    assert [p.name for p in load_config(out).portal] == ["s", "s-2"]  # appended under a free name


def test_command_writes_into_a_pipe_in_place(site, tmp_path):
    """`--write PIPE` (or /dev/stdout): the blocks went to a temp file renamed over the name, so the pipe became a
    regular file its reader never saw (run as root, /dev/null or /dev/stdout's link the same), and before that the
    pipe was read as a config to append to, which waited for ever for a writer. A target that is no regular file
    is written in place, as `export -o` writes it (query.atomic_output), and holds no config to append to."""
    import os
    import stat

    from crawlhelp import run_cli

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting, as `cat pipe` would
    try:
        done = run_cli("discover", site.url("/s/"), "--allow-private-addresses", "--delay", "0", "--preview", "0",
                       "--write", str(fifo), timeout=60)
        assert done.returncode == 0, done.stderr
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        received = os.read(reader, 1 << 16).decode("utf-8")
    finally:
        os.close(reader)
    assert [p["start_url"] for p in tomllib.loads(received)["portal"]] == [site.url("/s/nb/list")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_command_refuses_a_private_address_without_the_flag(site, tmp_path):
    from typer.testing import CliRunner

    from govreports.cli import app

    out = tmp_path / "found.toml"
    done = CliRunner().invoke(app, ["discover", site.url("/s/"), "--delay", "0", "--write", str(out)])
    assert done.exit_code == EXIT_USAGE and done.stdout == ""
    assert "private_address" in done.stderr and "--allow-private-addresses" in done.stderr
    assert not out.exists() and site.requests == []


# --- the demo portal: every site from its home page -----------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_portal):
    return demo_portal


@pytest.fixture(scope="module")
def discovered(demo):
    """Each demo site discovered from its home page: (Discovery, the paths it asked the portal for)."""
    out = {}
    for site, where in demo.navigation().items():
        demo.clear_requests()
        found = run(where["home"], preview_limit=10)
        out[site] = found, [(r.path, r.query) for r in demo.requests]
    return out


def _hand_written(demo):
    from crawlhelp import demo_config

    return {p.start_url: p for p in demo_config(demo.base_url).portal}


def test_every_demo_site_gets_its_column_first_and_no_decoy(demo, discovered):
    for site, where in demo.navigation().items():
        found, asked = discovered[site]
        best = found.columns[0].portal
        assert best.start_url == where["start_url"], site
        starts = {c.portal.start_url for c in found.columns}
        decoys = {url.split("#")[0] for url in where["decoys"].values()} - {where["start_url"]}
        assert not starts & decoys, site
        paths = {path for path, _ in asked}
        visited = {f"{path}?{query}" if query else path for path, query in asked}  # the /tax/ tabs: ?tab=wzbb …
        assert not visited & {path_of(url).split("#")[0] for url in decoys}, site  # never even visited
        categories = {url.split("#")[1] for url in where["decoys"].values() if "#" in url}
        assert not any(f"/api/all/{c}" in path for path, _ in asked for c in categories), site
        assert "/ordos/private/index.html" not in paths  # robots.txt
        assert found.pages <= 30 and len([p for p in paths if p != "/robots.txt"]) <= 30 + 5  # walk + preview
        items = found.columns[0].preview.items
        assert items and all(item.status == "new" for item in items if item.url in demo.ground_truth()), site


def test_the_drafted_params_are_the_hand_written_ones(demo, discovered):
    hand = _hand_written(demo)
    for site, (found, _) in discovered.items():
        best = found.columns[0].portal
        mine = hand[best.start_url]
        assert best.adapter == mine.adapter, site
        if "page_pattern" in mine.params:  # ours names the column's directory; the same pages either way
            pages = [f"{best.start_url.rsplit('/', 1)[0]}/home{s}.htm" for s in ("", "_1", "_12")]
            assert all(re.search(best.params["page_pattern"], u) for u in pages)
            assert all(re.search(mine.params["page_pattern"], u) for u in pages)
            assert not re.search(best.params["page_pattern"], demo.url("/govcn/zhengce/wzndbb/home.htm"))
            assert {k: v for k, v in best.params.items() if k != "page_pattern"} == {
                k: v for k, v in mine.params.items() if k != "page_pattern"}
        else:
            assert best.params == mine.params, site


@pytest.mark.parametrize("start", ["hub", "column"])
def test_starting_from_the_hub_or_the_column_itself(demo, start):
    for site, where in demo.navigation().items():
        found = run(where[start], preview_limit=0)
        assert found.columns[0].portal.start_url == where["start_url"], (site, start)


def test_crawling_the_drafted_configs_loads_every_report(demo, discovered, tmp_path):
    """The done-when: each site's drafted block, unedited, crawls that site's reports — all of them, cell for cell."""
    from crawlhelp import FAST as CRAWL_FAST, mismatches
    from govreports.crawl import run_crawl
    from govreports.store.db import open_db

    blocks = [found.columns[0].block for found, _ in discovered.values()]
    config = draft.check(draft.document(blocks, True))
    db = open_db(tmp_path / "reports.db")
    # parsed in this process, so that two portals re-posting one report load it one after the other (with worker
    # processes one run here loaded such a report twice: a race in the crawl, not something of the config)
    summary = run_crawl(config, db, tmp_path / "archive", parse_workers=0, **CRAWL_FAST)
    # the sites with a home page to start from (the /wenzhou/ GET-pages column is a bare column, as /gate/ is)
    truth = {url: r for url, r in demo.ground_truth().items() if urlsplit(url).path.split("/")[1] in demo.navigation()}
    assert {urlsplit(url).path.split("/")[1] for url in truth} == set(discovered)
    assert summary.total("new") + summary.total("duplicate") == len(truth) + len(demo.reposts())
    assert mismatches(db, truth) == []  # every report, cell for cell, and nothing else


def test_a_scratch_archive_that_cannot_be_written_stops_the_walk(site, monkeypatch):
    """A full disk under discover's scratch archive stops it with StorageError (exit 74), naming the archive: not
    a site whose every page "failed"."""
    import os

    from govreports.errors import StorageError
    from govreports.fetch import archive

    def full(self, name, data, whole=False):
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(archive.Archive, "_publish", full)
    with pytest.raises(StorageError, match=r"could not write the archive .*govreports-discover-.*No space left"):
        run(site.url("/s/"), preview_limit=20)


def test_an_archive_that_fills_while_a_column_is_judged_stops_the_walk(demo, monkeypatch):
    """The disk fills while a candidate column's family is being told (gkmlpt's list API, a TRS pager's pages are
    fetched then): StorageError, not a column "rejected" for it and "no annual-report column found" (exit 1)."""
    import contextvars
    import os

    from govreports.discover import navigate
    from govreports.errors import StorageError
    from govreports.fetch import archive

    judging = contextvars.ContextVar("judging", default=False)
    real_judge, real_publish = navigate._judge, archive.Archive._publish

    async def judge(*args, **kwargs):
        token = judging.set(True)
        try:
            return await real_judge(*args, **kwargs)
        finally:
            judging.reset(token)

    def publish(self, name, data, whole=False):
        if judging.get():
            raise OSError(28, os.strerror(28))
        return real_publish(self, name, data, whole)

    monkeypatch.setattr(navigate, "_judge", judge)
    monkeypatch.setattr(archive.Archive, "_publish", publish)
    with pytest.raises(StorageError, match="could not write the archive .*No space left on device"):
        run(demo.navigation()["gd"]["home"], preview_limit=10)


def test_a_column_whose_reports_are_on_another_host_names_it_in_allowed_hosts(srv):
    """A list on www.… linking its reports on zwgk.… (PORTALS.md): the preview called them new and the block left
    the host out, so the crawl failed every report host_not_allowed, exit 0. The block now names the host; a
    dry run of a config without it marks them off-host."""
    import io

    from rich.console import Console

    from govreports.crawl.preview import Status, print_preview, run_preview

    elsewhere = srv.url("/zwgk/", host="localhost")
    srv.route("/w/", html('<a href="/w/nb/">政府信息公开年报</a>'))
    srv.route("/w/nb/", html(_reports_list(elsewhere, 4)))
    found = run(srv.url("/w/"))
    host = urlsplit(elsewhere).netloc
    assert found.columns[0].portal.allowed_hosts == [host]
    assert f'allowed_hosts = ["{host}"]' in found.columns[0].block
    assert {item.status for item in found.columns[0].preview.items} == {Status.NEW}
    without = found.columns[0].block.replace(f'allowed_hosts = ["{host}"]', "")
    config = draft.check(draft.document([without], True))
    shown = run_preview(config, config.portal[0])
    assert {item.status for item in shown.items} == {Status.OFF_HOST}
    out = io.StringIO()
    print_preview(shown, Console(file=out, width=300, color_system=None))
    assert f"4 listing(s) on host(s) the config does not name: {host}; the crawl would fail them" in out.getvalue()


@pytest.mark.parametrize("stub", [
    '<meta http-equiv="Refresh" content="0; URL=\'/portal/index.html\'">',
    "<script>window.location.href = '/portal/index.html';</script>",
    '<script language="javascript">location.replace("portal/index.html")</script>',
])
def test_a_home_page_that_redirects_by_meta_refresh_or_script_is_followed(srv, stub):
    """Many portals' roots are a stub that sends the browser on (a meta refresh, `location.href = …`): the walk
    stopped there, "no annual-report column found … within 1 page(s) (… no page named like one)", exit 1."""
    srv.route("/", Reply(200, f"<html><head>{stub}<title></title></head><body></body></html>",
                         {"Content-Type": "text/html; charset=utf-8"}))
    srv.route("/portal/index.html", html('<a href="/r/nb/">信息公开年报</a>'))
    srv.route("/r/nb/", html(_reports_list("/r/nb/")))
    found = run(srv.url("/"), preview_limit=0)
    assert [c.portal.start_url for c in found.columns] == [srv.url("/r/nb/")]
    assert found.columns[0].portal.title == "景德镇市人民政府 信息公开年报"  # the site's name from the page it led to


def test_a_home_page_that_redirects_by_meta_refresh_to_another_host_is_named(srv):
    elsewhere = srv.url("/portal/", host="localhost")
    srv.route("/", Reply(200, f'<html><head><meta http-equiv="refresh" content="0;url={elsewhere}"></head></html>',
                         {"Content-Type": "text/html; charset=utf-8"}))
    with pytest.raises(DiscoverError) as moved:
        run(srv.url("/"))
    assert moved.value.exit_code == 1 and f"redirects to {elsewhere}" in str(moved.value)
    assert "/portal/" not in _paths(srv)


def test_a_column_that_robots_txt_or_the_server_refuses_is_named_when_nothing_is_found(srv):
    """The hub links 信息公开年报, but robots.txt disallows it (or it answers 404): the message said "no page named
    like one", as if the site had no such link, and the user had no clue that robots.txt was the cause."""
    srv.route("/robots.txt", Reply(200, "User-agent: *\nDisallow: /q/nb/\n"))
    srv.route("/q/", html('<a href="/q/nb/">信息公开年报</a> <a href="/q/gone/">年度报告</a> <a href="/q/x/">政府信息公开</a>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/q/"))
    message = str(nothing.value)
    assert nothing.value.exit_code == 1 and "no annual-report column found" in message
    assert f'{srv.url("/q/nb/")} (link "信息公开年报"): robots_disallowed' in message
    assert f'{srv.url("/q/gone/")} (link "年度报告"): http: HTTP 404' in message
    assert "/q/x/" not in message  # a hub that did not answer is no column
    assert "/q/nb/" not in _paths(srv)


def test_links_resolve_against_the_pages_base_href(srv):
    """A portal whose templates say <base href="…/b/"> and write every link relative to it (the browser resolves
    them so): discover resolved them against the page's own URL, found no hub (…/b/xxgk/ became …/xxgk/), and
    said "no annual-report column found"; the crawl's list pages made every report's URL a 404."""
    base = f'<base href="{srv.url("/b/")}">'

    def page(body: str) -> Reply:
        return Reply(200, f'<html><head><meta charset="utf-8">{base}<title>某市人民政府</title></head><body>{body}'
                          "</body></html>", {"Content-Type": "text/html; charset=utf-8"})

    srv.route("/", page('<a href="xxgk/">政府信息公开</a>'))
    srv.route("/b/xxgk/", page('<a href="nb/list.html">信息公开年报</a>'))
    srv.route("/b/nb/list.html", page("<ul>" + "".join(
        f'<li><a href="nb/t{i}.html">某市{2024 - i}年政府信息公开工作年度报告</a><span>{2025 - i}-03-01</span></li>'
        for i in range(3)) + '</ul><a href="nb/list_2.html">下一页</a>'))
    srv.route("/b/nb/list_2.html", page('<ul><li><a href="nb/t9.html">某市2020年政府信息公开工作年度报告</a></li></ul>'))
    [column] = run(srv.url("/"), preview_limit=10).columns
    assert column.portal.start_url == srv.url("/b/nb/list.html")
    assert [item.url for item in column.preview.items] == [srv.url(f"/b/nb/t{i}.html") for i in (0, 1, 2, 9)]


@pytest.mark.parametrize("home", [
    '<frameset rows="90,*"><frame src="top.html"><frame src="main.html"></frameset>',
    '<body><iframe src="/weather.html"></iframe><iframe src="main.html" width="100%"></iframe></body>',
])
def test_a_home_page_made_of_frames_is_read_through_them(srv, home):
    """An older portal's root is a <frameset> (or a page that is one <iframe>) whose navigation is in a frame:
    the walk saw no link and said "no annual-report column found … within 1 page(s)", exit 1."""
    srv.route("/", Reply(200, f"<html><head><title>某市人民政府</title></head>{home}</html>",
                         {"Content-Type": "text/html; charset=utf-8"}))
    srv.route("/main.html", html('<a href="/f/nb/">信息公开年报</a>'))
    srv.route("/f/nb/", html(_reports_list("/f/nb/")))
    found = run(srv.url("/"), preview_limit=0)
    assert [c.portal.start_url for c in found.columns] == [srv.url("/f/nb/")]


def test_command_names_a_write_file_it_cannot_create(site, tmp_path, monkeypatch):
    """`--write a/x.toml` where `a` is a file: a FileExistsError traceback after the whole walk, exit 1. It is
    refused before any request, one line naming the file, exit 2 (a --write FILE that cannot take the blocks).
    A write that fails after the walk (a read-only folder) is one line too, the blocks on stdout, no temporary
    file left beside the config."""
    import errno
    import os

    from typer.testing import CliRunner

    from govreports.cli import app

    (tmp_path / "a").write_text("")
    args = ["discover", site.url("/s/"), "--allow-private-addresses", "--delay", "0", "--preview", "0", "--write"]
    done = CliRunner().invoke(app, [*args, str(tmp_path / "a" / "x.toml")])
    assert done.exit_code == EXIT_USAGE, done.output
    where = tmp_path / "a"
    assert done.stderr == f"error: --write: cannot write {where / 'x.toml'}: {where} is not a folder\n"
    assert site.requests == []

    def read_only(src, dst):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), dst)

    from types import SimpleNamespace

    from govreports.query import export

    # the write's rename fails (export.atomic_path, which draft.write shares); the walk's scratch archive's does not
    monkeypatch.setattr(export, "os", SimpleNamespace(**{**vars(os), "replace": read_only}))
    done = CliRunner().invoke(app, [*args, str(tmp_path / "b" / "x.toml")])
    assert done.exit_code == EXIT_USAGE, done.output
    assert done.stderr == f"error: --write: cannot write {tmp_path / 'b' / 'x.toml'}: Read-only file system\n"
    assert "[[portal]]" in done.stdout and list((tmp_path / "b").iterdir()) == []


def test_a_frameset_whose_script_sends_phones_elsewhere_is_not_called_moved(srv):
    srv.route("/", Reply(200, "<html><head><script>if (/iPhone|Android/i.test(navigator.userAgent)) "
                              f"location.href = '{srv.url('/m/', host='localhost')}';</script></head>"
                              '<frameset><frame src="main.html"></frameset></html>',
                         {"Content-Type": "text/html; charset=utf-8"}))
    srv.route("/main.html", html('<a href="/about/">关于我们</a>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/"))
    assert "no annual-report column found" in str(nothing.value) and "redirects" not in str(nothing.value)


@pytest.mark.parametrize("preview_limit", [0, 10])
def test_report_hosts_are_named_from_the_whole_first_page_with_or_without_a_preview(srv, preview_limit):
    """allowed_hosts was drafted from the preview alone: with --preview 0, or when the first ten listings are on
    the column's host and the eleventh on zwgk.…, the block left the host out and the crawl failed those reports
    host_not_allowed."""
    elsewhere = srv.url("/zwgk/", host="localhost")
    srv.route("/w/", html('<a href="/w/nb/">政府信息公开年报</a>'))
    srv.route("/w/nb/", html("<ul>" + "".join(
        f'<li><a href="{elsewhere if i >= 10 else "/w/nb/"}t{i}.html">某市第{i}局2023年政府信息公开工作年度报告</a>'
        f"<span>2024-03-{i + 1:02d}</span></li>" for i in range(12)) + "</ul>"))
    [column] = run(srv.url("/w/"), preview_limit=preview_limit).columns
    assert column.portal.allowed_hosts == [urlsplit(elsewhere).netloc]


def test_the_start_host_is_named_as_the_fetcher_names_it(site):
    """The walk kept to the start URL's netloc as typed: `https://www.x.gov.cn:443/` (a default port) was refused
    by the Fetcher as `https://www.x.gov.cn/`, and discover said the start page "redirects to … another host";
    `http://user@host/` was "not in allowed_hosts" before anything was asked."""
    from govreports.discover.run import check_url

    assert check_url("https://WWW.x.gov.cn:443/") == "www.x.gov.cn"
    netloc = urlsplit(site.url("/")).netloc
    [column] = run(site.url("/s/").replace(netloc, f"user@{netloc}"), preview_limit=0).columns
    assert column.portal.start_url.endswith("/s/nb/list")


def test_a_frame_that_does_not_answer_is_not_named_as_a_column_link(srv):
    srv.route("/c/", html('<a href="/c/nb/">信息公开年报</a>'))
    srv.route("/c/nb/", html('<p>暂无信息</p><iframe src="/c/nb/counter.jsp"></iframe>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/c/"))
    assert "/c/nb/counter.jsp" in _paths(srv) and "counter.jsp" not in str(nothing.value)


def test_a_column_or_hub_on_another_host_is_named_when_nothing_is_found(srv):
    """A home page on www.… linking its 政府信息公开 hub on xxgk.… (as many portals do): discovery stays on its
    host, and said only "no page named like one", leaving the user no clue where to run it instead."""
    elsewhere = srv.url("/xxgk/", host="localhost")
    srv.route("/o/", html(f'<a href="{elsewhere}">政府信息公开</a> <a href="{elsewhere}nb/">信息公开年报</a>'
                          f'<a href="{elsewhere}news/">新闻</a>'))
    with pytest.raises(DiscoverError) as nothing:
        run(srv.url("/o/"))
    message = str(nothing.value)
    assert nothing.value.exit_code == 1
    assert (f'on another host (discovery stays on {urlsplit(srv.url("/")).netloc}; run it on that page): '
            f'{elsewhere}nb/ (link "信息公开年报"); {elsewhere} (link "政府信息公开")') in message
    assert "news" not in message and _paths(srv) == ["/robots.txt", "/o/"]


def test_links_robots_txt_forbids_do_not_spend_the_page_budget(srv):
    """A URL robots.txt forbids is never asked for, but it counted as one of --max-pages: five forbidden hubs
    spent a budget of 4 before the allowed one, and the column was "not found within 4 page(s)" with 2 asked."""
    srv.route("/robots.txt", Reply(200, "User-agent: *\nDisallow: /k/no\n"))
    srv.route("/k/", html("".join(f'<a href="/k/no{i}/">政府信息公开</a>' for i in range(5)) + '<a href="/k/gk/">政务公开</a>'))
    srv.route("/k/gk/", html('<a href="/k/nb/">信息公开年报</a>'))
    srv.route("/k/nb/", html(_reports_list("/k/nb/")))
    found = run(srv.url("/k/"), max_pages=4, preview_limit=0)
    assert [c.portal.start_url for c in found.columns] == [srv.url("/k/nb/")]
    assert found.pages == len([p for p in _paths(srv) if p != "/robots.txt"]) == 3


def test_the_walk_tells_each_page_as_it_asks_for_it(srv):
    """A walk of 30 pages at the host's delay (a Crawl-delay of 3 s) was a silent minute or more: `progress` is told
    of each page before it is asked for, and of each preview (the command prints them on a terminal's stderr)."""
    srv.route("/p/", html('<a href="/p/nb/">政府信息公开年报</a>'))
    srv.route("/p/nb/", html(_reports_list("/p/nb/")))
    told: list[str] = []
    found = run(srv.url("/p/"), progress=told.append, max_pages=5)
    assert told[:2] == [f"page 1 of at most 5: {srv.url('/p/')}", f"page 2 of at most 5: {srv.url('/p/nb/')}"]
    assert told[2:] == [f"previewing {found.columns[0].name}: its first 10 listing(s)"]
    assert found.pages == 2
