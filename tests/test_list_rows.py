"""How a list page's rows are read (listpage): a link's title (its text or its title= attribute), its row's date,
and TRS pagers' numbering, on markup as real columns write it."""

from __future__ import annotations

import pytest

from govreports.portals.adapters.generic import GenericAdapter
from govreports.portals.adapters.listpage import Selectors, links, soup
from govreports.portals.config import PortalConfig
from govreports.portals.titles import is_report_title
from portalhelp import FakeContext, _collect

BASE = "http://x.gov.cn/zwgk/xxgknb/"
FULL = "某市财政局2023年政府信息公开工作年度报告"


def _title(a: str) -> str:
    [(title, _, _)] = links(soup(f"<ul><li>{a}<span>2024-01-15</span></li></ul>"), BASE)
    return title


@pytest.mark.parametrize("attr", ["点击查看", "详情", "_blank", "查看详细", "某市财政局2023年政府信息公开工作年度…",
                                  "某市财政局2023年政府信息公开工作年度报...", "某市财政局2023年政府信息公开",
                                  "   "])
def test_a_title_attribute_that_is_no_better_title_leaves_the_link_text(attr):
    """Real rows carry title="点击查看", "详情", a target's "_blank" in the wrong attribute, or a title cut shorter than
    the text: taken over the link's whole text, the row's title lost 年度报告 and the crawl's filter dropped the
    report."""
    title = _title(f'<a href="./202401/t20240115_1.html" title="{attr}">{FULL}</a>')
    assert title == FULL and is_report_title(title)


@pytest.mark.parametrize("text", [
    "某市财政局2023年政府信息公开工作年…",  # cut with an ellipsis
    "某市财政局2023年政府信息公开工作年度...",
    "某市财政局2023年政府信息 公开工作年 。。。",
    "某市财政局2023年",  # a short label the title contains
    '某市财政局2023年政府信息公开工…<span class="date">2024-01-15</span>',  # mva.gov.cn: the date inside the link
    f'{FULL}<span class="date">2024-01-15</span>',  # the whole title, the date inside the link
    "查看",  # a bare 查看: the attribute is the report's title, the text is not
    '<img src="icon.png">',  # no text at all
])
def test_a_title_attribute_that_is_the_whole_title_is_taken(text):
    assert _title(f'<a href="./202401/t20240115_1.html" title="{FULL}">{text}</a>') == FULL


def test_the_same_rule_for_css_selector_rows_and_an_explicit_title_attr_still_wins():
    page = soup(f'<div class="r"><a href="a.html" title="点击查看">{FULL}</a></div>'
                f'<div class="r"><a href="b.html" title="{FULL}">某市财政局2023年政府…</a></div>')
    assert [t for t, _, _ in Selectors("div.r").rows(page, BASE)] == [FULL, FULL]
    # a config's title_attr names where the title is: read as it says
    assert [t for t, _, _ in Selectors("div.r", title_attr="title").rows(page, BASE)] == ["点击查看", FULL]


def test_a_report_whose_link_says_click_to_view_in_its_title_is_listed():
    rows = (f'<ul class="list"><li><a href="./202401/t20240115_1.html" title="点击查看" target="_blank">{FULL}</a>'
            '<span>2024-01-15</span></li>'
            '<li><a href="./202301/t20230115_2.html" title="详情">某市财政局2022年政府信息公开工作年度报告</a>'
            '<span>2023-01-15</span></li></ul>')
    portal = PortalConfig(name="t", adapter="generic", start_url=BASE)
    got = [(x.title, x.url) for x in _collect(GenericAdapter(portal), FakeContext({BASE: rows}))]
    assert got == [(FULL, BASE + "202401/t20240115_1.html"),
                   ("某市财政局2022年政府信息公开工作年度报告", BASE + "202301/t20230115_2.html")]


# a column whose rows are <div>s (no <li>, <tr>): the date in a sibling <span>, or in a <div> of its own beside the
# title's; one row with no date, between dated ones, and a page's chrome around the list
DIV_ROWS = """<html><body><div class="header"><div class="today">2026年12月07日 星期一</div><a href="/">首页</a></div>
<div class="main"><div class="list-box">
<div class="news-item"><a href="./202401/t20240115_1.html" target="_blank">某市财政局2023年政府信息公开工作年度报告</a>
 <span class="news-date">2024-01-15</span></div>
<div class="news-item"><div class="news-title"><a href="./202301/t20230112_2.html">某市财政局2022年政府信息公开工作年度报告</a>
 </div><div class="news-date">2023.01.12</div></div>
<div class="news-item"><a href="./202201/t20220110_3.html">某市财政局2021年政府信息公开工作年度报告</a></div>
<div class="news-item"><p class="t"><a href="./202101/t20210108_4.html">某市财政局2020年政府信息公开工作年度报告</a></p>
 <p class="d">[2021-01-08]</p></div>
</div></div><div class="footer"><a href="/about.html">网站地图</a> 2026-12-07</div></body></html>"""


def test_a_div_row_s_date_is_read_as_an_li_row_s_is():
    dates = {url.rsplit("/", 1)[1]: date for _, url, date in links(soup(DIV_ROWS), BASE)}
    assert dates == {"t20240115_1.html": "2024-01-15", "t20230112_2.html": "2023-01-12",
                     "t20220110_3.html": None,  # a row with no date takes none of its neighbours'
                     "t20210108_4.html": "2021-01-08", "": None, "about.html": None}  # the chrome's links: no row, no date


def test_the_generic_adapter_lists_div_rows_with_their_dates():
    portal = PortalConfig(name="t", adapter="generic", start_url=BASE)
    got = [(x.url.rsplit("/", 1)[1], x.list_date) for x in _collect(GenericAdapter(portal), FakeContext({BASE: DIV_ROWS}))]
    assert got == [("t20240115_1.html", "2024-01-15"), ("t20230112_2.html", "2023-01-12"),
                   ("t20220110_3.html", None), ("t20210108_4.html", "2021-01-08")]
