"""A Hanweb column page with more than one <datastore> island: a sidebar unit (通知公告, 最新信息) beside the
column's own, each with its <div id="{unitid}">, <nextgroup> template and `$('#{unitid}').jpage({totalRecord…})`
call, as the demo writes an island (demo.sites.hanweb.island). The adapter reads the column's island only: its
records, its totalRecord and its template."""

from __future__ import annotations

import pytest

from govreports.demo.sites.hanweb import island
from govreports.portals.adapters.hanweb import HanwebAdapter
from govreports.portals.config import PortalConfig
from portalhelp import FakeContext, _collect

HOST = "http://www.dingxi.gov.cn"
START = f"{HOST}/col/col100/index.html"
PROXY = "/module/web/jpage/dataproxy.jsp"
COLUMN, SIDEBAR = ("100", "555"), ("200", "900")  # (columnid, unitid)


def _nextgroup(column: str, unit: str) -> str:
    return (f"{PROXY}?page=1&appid=1&appid=1&webid=110&path=/&columnid={column}&unitid={unit}&webname=x"
            "&permissiontype=0")


def _report(k: int) -> str:
    return (f'<record><![CDATA[<li class="clearfix"><a href="/art/2023/1/{k % 28 + 1}/art_100_{k}.html" '
            f'title="某局{2000 + k}年政府信息公开工作年度报告">某局...</a> <b>2023-01-{k % 28 + 1:02d}</b></li>]]></record>')


def _notice(k: int) -> str:
    return (f'<record><![CDATA[<li><a href="/art/2024/3/{k % 28 + 1}/art_200_{k}.html" title="通知公告{k}">'
            f"通知公告{k}</a><span>2024-03-{k % 28 + 1:02d}</span></li>]]></record>")


def page(sidebar_first: bool) -> str:
    own = island(COLUMN[1], _nextgroup(*COLUMN), list(range(1, 51)), _report, PROXY)  # 45 inline of 50
    side = island(SIDEBAR[1], _nextgroup(*SIDEBAR), list(range(1, 71)), _notice, PROXY)  # 45 inline of 70
    parts = [f'<div class="side">{side}</div>', f'<div class="main">{own}</div>']
    return "<html><body>" + "".join(parts if sidebar_first else parts[::-1]) + "</body></html>"


def _rest(first: int, last: int, total: int, record) -> str:
    return (f"<datastore><totalrecord>{total}</totalrecord><recordset>"
            + "".join(record(k) for k in range(first, last + 1)) + "</recordset></datastore>")


@pytest.mark.parametrize("sidebar_first", [True, False])
@pytest.mark.parametrize("start", [START, f"{HOST}/xxgk/nb/index.html"])  # the column named by its URL, or not
def test_the_column_s_own_island_is_read_not_a_sidebar_unit_s(sidebar_first, start):
    """The first jpage call's totalRecord was taken, every island's records counted as read and the first template's
    column asked: with the sidebar first, its 45 notices were listed, its 70 taken for the column's count and the
    column's 5 records past its island never asked; with it second, the column's range began past records 46-90 of
    its own (45 + 45 counted as read), those reports lost, with no error either way."""
    post = f"{HOST}{PROXY}?startrecord=46&endrecord=50&perpage=15"
    ctx = FakeContext({start: page(sidebar_first), ("POST", post): _rest(46, 50, 50, _report)})
    got = _collect(HanwebAdapter(PortalConfig(name="dx", adapter="hanweb", start_url=start)), ctx)
    assert [x.url for x in got] == [f"{HOST}/art/2023/1/{k % 28 + 1}/art_100_{k}.html" for k in range(1, 51)]
    assert ctx.requested == [("GET", start), ("POST", post)]
    assert (ctx.forms[1]["columnid"], ctx.forms[1]["unitid"]) == COLUMN
    assert ctx.short_at == [] and ctx.unreadable_at == []


def test_the_unit_the_config_names_is_read():
    """`unitid` in the config picks the island where a page's own signs would not (a column of notices, no report
    title in it yet, on a page whose URL names no column)."""
    start = f"{HOST}/xxgk/tz/index.html"
    post = f"{HOST}{PROXY}?startrecord=46&endrecord=70&perpage=15"
    ctx = FakeContext({start: page(False), ("POST", post): _rest(46, 70, 70, _notice)})
    portal = PortalConfig(name="dx", adapter="hanweb", start_url=start, params={"unitid": SIDEBAR[1]},
                          title_include="通知公告")
    got = _collect(HanwebAdapter(portal), ctx)
    assert [x.title for x in got] == [f"通知公告{k}" for k in range(1, 71)]
    assert (ctx.forms[1]["columnid"], ctx.forms[1]["unitid"]) == SIDEBAR


def test_discover_names_the_column_s_island_and_count():
    """`discover` reads the column's page as the adapter does: its island's records and totalRecord, not the
    sidebar's notices nor its count."""
    from govreports.discover.family import detect
    from govreports.discover.pages import Page

    found = detect(Page(START, START, page(sidebar_first=True)))
    assert found.adapter == "hanweb" and len(found.listings) == len(found.reports) == 45
    assert "(45 records)" in found.pager and "50 records in all" in found.pager
