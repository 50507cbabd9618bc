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
