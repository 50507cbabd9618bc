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
                     "t20210108_4.html": "2021-01-08",
                     "": None, "about.html": None}  # the chrome's links: no row, no date


def test_the_generic_adapter_lists_div_rows_with_their_dates():
    portal = PortalConfig(name="t", adapter="generic", start_url=BASE)
    listed = _collect(GenericAdapter(portal), FakeContext({BASE: DIV_ROWS}))
    got = [(x.url.rsplit("/", 1)[1], x.list_date) for x in listed]
    assert got == [("t20240115_1.html", "2024-01-15"), ("t20230112_2.html", "2023-01-12"),
                   ("t20220110_3.html", None), ("t20210108_4.html", "2021-01-08")]


ONE_ROWS = [  # DIV_ROWS' dated row shapes, each alone in its list
    ('<div class="news-item"><a href="./202401/t20240115_1.html" target="_blank">某市财政局2023年政府信息公开工作年度报告'
     '</a>\n <span class="news-date">2024-01-15</span></div>', "2024-01-15"),
    ('<div class="news-item"><div class="news-title"><a href="./202301/t20230112_2.html">某市财政局2022年政府信息公开工作'
     '年度报告</a>\n </div><div class="news-date">2023.01.12</div></div>', "2023-01-12"),
    ('<div class="news-item"><p class="t"><a href="./202101/t20210108_4.html">某市财政局2020年政府信息公开工作年度报告</a>'
     '</p>\n <p class="d">[2021-01-08]</p></div>', "2021-01-08"),
    ('<div class="news-item"><a href="./202201/t20220110_3.html">某市财政局2021年政府信息公开工作年度报告</a></div>', None),
]


@pytest.mark.parametrize(("row", "date"), ONE_ROWS)
@pytest.mark.parametrize("pager", ["", '<div class="page">共1页 <a href="javascript:void(0)">下一页</a></div>',
                                   '<div class="page"><a href="index.html">首页</a> <a href="index.html">尾页</a></div>'])
def test_a_div_list_of_one_row_dates_it(row, date, pager):
    """A column whose list of <div> rows has one row (a new column, or the last page of one) gave its row no date:
    no sibling repeats it. Read from the row as in a list of several; the page's chrome still gives no date."""
    head, _, rest = DIV_ROWS.partition('<div class="list-box">')
    page = f'{head}<div class="list-box">\n{row}\n{pager}</div></div>{rest.rpartition("</div></div>")[2]}'
    dates = {url.rsplit("/", 1)[1]: got for _, url, got in links(soup(page), BASE)}
    [name] = [n for n in dates if n.startswith("t20")]
    assert dates.pop(name) == date
    assert set(dates.values()) == {None}, dates  # 首页 beside the header's date, 网站地图 beside the footer's, the pager
    portal = PortalConfig(name="t", adapter="generic", start_url=BASE)
    assert [x.list_date for x in _collect(GenericAdapter(portal), FakeContext({BASE: page}))] == [date]


# TRS columns numbered from 1 (PORTALS.md §3: 山西住建厅 index.shtml, index_2.shtml…; rsj.km.gov.cn): page k is
# index_k for k >= 2, and there is no index_1. Their pager says so on the first page: its current page is 1.
TRS_ROW = '<li><a href="./202401/t20240115_{n}.html">X{n}局2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>'
VAR_PAGER = ('<div class="page" id="page_div"></div><script>var countPage = 3;//共多少页\n'
             'var currentPage = {current};//所在页\ncreatePageHTML(countPage, currentPage, "index", "html");</script>')
NUM_PAGER = '<script>createPageHTML(3, {current}, "index", "html");</script>'


def _trs_column(pager: str, current: int, one_based: bool) -> dict[str, str]:
    names = ["index.html", "index_2.html", "index_3.html"] if one_based else ["index.html", "index_1.html",
                                                                               "index_2.html"]
    pages = {BASE + name: f'<ul class="list">{TRS_ROW.format(n=k + 1)}</ul>' for k, name in enumerate(names)}
    pages[BASE + "index.html"] += pager.replace("{current}", str(current))
    return pages


def _trs(params=None, max_pages=200):
    from govreports.portals.adapters.trs import TrsAdapter

    return TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=BASE + "index.html", params=params or {},
                                   max_pages=max_pages))


@pytest.mark.parametrize("pager", [VAR_PAGER, NUM_PAGER])
def test_a_one_based_trs_column_without_page_offset_is_read_to_its_last_page(pager):
    """The adapter read page 2 as index_1 whatever the pager said: on a column numbered from 1 without page_offset
    in its config, index_1 was a failed list page every night and the last page (index_3) was never asked for, its
    reports never listed. discover reads the numbering from the pager's current page (1 on a 1-based first page);
    the adapter now does too where the config does not say."""
    pages = _trs_column(pager, current=1, one_based=True)
    ctx = FakeContext(pages)
    got = [x.url.rsplit("_", 1)[1] for x in _collect(_trs(), ctx)]
    assert got == ["1.html", "2.html", "3.html"]
    assert [u for _, u in ctx.requested] == list(pages) and ctx.capped_at == [] and ctx.unreadable_at == []


def test_a_zero_based_trs_column_is_read_as_before():
    pages = _trs_column(VAR_PAGER, current=0, one_based=False)
    ctx = FakeContext(pages)
    assert len(_collect(_trs(), ctx)) == 3 and [u for _, u in ctx.requested] == list(pages)
    ctx = FakeContext(pages)  # capped where the numbering puts the next page
    assert len(_collect(_trs(max_pages=2), ctx)) == 2 and ctx.capped_at == [BASE + "index_2.html"]
    ctx = FakeContext(_trs_column(VAR_PAGER, current=1, one_based=True))
    assert len(_collect(_trs(max_pages=2), ctx)) == 2 and ctx.capped_at == [BASE + "index_3.html"]


def test_a_one_based_column_whose_pager_says_page_0_is_found_by_page_two():
    """A 1-based column whose first page calls the pager with 0 (discover's probe found such one): page 2 is asked
    as index_1 as a probe, and when it is not there, as index_2; the failed guess is no failed list page."""
    pages = _trs_column(NUM_PAGER, current=0, one_based=True)
    ctx = FakeContext(pages)
    assert len(_collect(_trs(), ctx)) == 3
    assert [u for _, u in ctx.requested] == [BASE + "index.html", BASE + "index_1.html", *list(pages)[1:]]
    assert [u for _, u in ctx.probes] == [BASE + "index_1.html", BASE + "index_2.html"]


@pytest.mark.parametrize("pager", [VAR_PAGER, NUM_PAGER])
def test_a_one_based_column_whose_index_1_copies_page_one_is_read_to_its_last_page(pager):
    """A 1-based column whose pager says page 0 and whose server answers index_1 with a copy of page 1 (TRS
    publishes one beside index_2): index_1 answered, so it was taken for page 2, page 1 listed twice and the last
    page (index_3) never asked. discover keeps the guess whose page 2 lists something page 1 does not; so now
    does the adapter."""
    pages = _trs_column(pager, current=0, one_based=True)
    pages[BASE + "index_1.html"] = pages[BASE + "index.html"]
    ctx = FakeContext(pages)
    got = [x.url.rsplit("_", 1)[1] for x in _collect(_trs(), ctx)]
    assert got == ["1.html", "2.html", "3.html"]
    assert [u for _, u in ctx.probes] == [BASE + "index_1.html", BASE + "index_2.html"]
    assert ctx.capped_at == [] and ctx.unreadable_at == []
    ctx = FakeContext(pages)  # capped where the numbering found puts the next page
    assert len(_collect(_trs(max_pages=2), ctx)) == 2 and ctx.capped_at == [BASE + "index_3.html"]
    # a 0-based column whose page 2 is a real one is read with one probe, as before
    pages = _trs_column(pager, current=0, one_based=False)
    ctx = FakeContext(pages)
    assert len(_collect(_trs(), ctx)) == 3 and [u for _, u in ctx.probes] == [BASE + "index_1.html"]


def test_a_configured_page_offset_is_followed_and_a_page_two_that_never_answers_is_failed():
    pages = _trs_column(NUM_PAGER, current=1, one_based=True)
    ctx = FakeContext(pages)  # the config says 0: asked so, its failures recorded, no probing
    assert len(_collect(_trs({"page_offset": 0}), ctx)) == 2
    assert [u for _, u in ctx.requested] == [BASE + "index.html", BASE + "index_1.html", BASE + "index_2.html"]
    assert ctx.probes == []
    del pages[BASE + "index_2.html"]
    ctx = FakeContext(pages)  # neither index_2 nor index_1: the pager's numbering asked again, as a list page
    assert len(_collect(_trs(), ctx)) == 2
    assert [u for _, u in ctx.requested] == [BASE + "index.html", BASE + "index_2.html", BASE + "index_1.html",
                                             BASE + "index_2.html", BASE + "index_3.html"]
    assert [u for _, u in ctx.probes] == [BASE + "index_2.html", BASE + "index_1.html"]


def test_the_pager_s_current_page_as_the_real_pagers_write_it():
    from govreports.portals.adapters.trs import pager, pager_index

    assert pager_index('createPageHTML(9, 0, "index", "html");') == 0
    assert pager_index('createPageHTML("page_div", 50, 1, "szywlist", "shtml", 1000);') == 1
    assert pager_index(VAR_PAGER.replace("{current}", "1")) == 1
    assert pager(VAR_PAGER.replace("{current}", "0").replace('"html"', '"shtml"')) == (3, "index", "shtml")
    # the function's own definition is no call: its arguments are names, none a number or a quoted string
    definition = "function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){ var _nCurrIndex = 1; }"
    assert pager(definition + NUM_PAGER.replace("{current}", "0")) == (3, "index", "html")
    assert pager_index(definition + NUM_PAGER.replace("{current}", "0")) == 0
    assert pager_index("<p>no pager</p>") is None
