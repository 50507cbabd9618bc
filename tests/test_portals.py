"""Portal adapters and list pages, on real pages from ../shared/samples/html (no network); the config files
themselves: test_portal_config.py."""

from __future__ import annotations

import asyncio

import pytest

from conftest import SAMPLES, loop_ticks, require_samples
from govreports.portals.adapters import find_attachments
from govreports.portals.adapters.gkmlpt import unescape_percent_u
from govreports.portals.adapters.hanweb import HanwebAdapter, _records
from govreports.portals.adapters.trs import TrsAdapter, pager
from govreports.portals.config import PortalConfig
from govreports.portals.titles import is_report_title, title_year

REAL_TITLES = {  # from the ordos 信息公开年报 column (samples/html/trs_ordos_engebei_xxgknb_list.html) and PORTALS.md
    "鄂尔多斯市2019年政府信息公开工作年度报告": True,
    "鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告": True,
    "鄂尔多斯市2018年政府信息公开年度报告": True,
    "内蒙古自治区2018年政府信息公开工作年度报告": True,
    "宿迁市 2025 年政府信息公开工作年度报告": True,
    "宿州市人民政府2019年政府信息公开工作年度报告（图片版）": True,
    "重庆市大足区人民政府外事办公室政府信息公开工作2022年度报告": True,
    "大路镇人民政府2019年信息公开年度报告": True,
    "恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议": False,
    "一图读懂示范区2017年重点工作": False,
    "2016，恩格贝，精彩继续！": False,
    "2021年度政府网站年度工作报表": False,
    "关于做好2022年政府信息公开工作年度报告编制发布工作的通知": False,
    "政府信息公开情况统计表（ 2018年度）": False,
    "某某区2021年法治政府建设情况报告": False,
    # lists that cut long titles (河北省科学技术厅's column, as a crawler saved it)
    "河北省科学技术厅2022年政府信息公开工作年度报...": True,
    "河北省科学技术厅2019年政府信息公开工作年…": True,
    "河北省科学技术厅2021年政府网站工作年度报...": False,
    "河北省科学技术厅政府信息公开...": False,
}


@pytest.mark.parametrize("title,is_report", REAL_TITLES.items())
def test_title_filter(title, is_report):
    assert is_report_title(title) is is_report


def test_title_year():
    assert title_year("宿迁市 2025 年政府信息公开工作年度报告") == 2025
    assert title_year("政府信息公开工作2022年度报告") == 2022
    assert title_year("政府信息公开工作年度报告") is None


class FakeContext:
    """Serves saved pages by URL, as the crawl context would after fetching them."""

    def __init__(self, pages: dict[str, str]):
        self.pages = pages
        self.requested: list[tuple[str, str]] = []
        self.capped_at: list[str] = []
        self.short_at: list[tuple] = []
        self.unreadable_at: list[tuple[str, str]] = []

    def unreadable(self, url, why):
        self.unreadable_at.append((url, why))

    def capped(self, next_url):
        self.capped_at.append(next_url)

    def short(self, url, read, total, repeated, why=None):
        self.short_at.append((url, read, total, repeated))
        self.short_why = why

    async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, expect="html"):
        self.requested.append((method, url))
        text = self.pages.get(url)

        class Page:
            ok = text is not None
            status = 200 if text is not None else 404
            final_url = url
            body = text.encode() if text else None

        Page.text = text
        return Page()


def _collect(adapter, ctx):
    async def run():
        return [listing async for listing in adapter.discover(ctx)]

    return asyncio.run(run())


def test_trs_adapter_on_the_real_ordos_list():
    require_samples()
    html = (SAMPLES / "html" / "trs_ordos_engebei_xxgknb_list.html").read_text(encoding="utf-8")
    assert pager(html)[0] == 2
    start = "http://www.ordos.gov.cn/engb/xxgk/xxgknb/index.html"
    portal = PortalConfig(name="ordos", adapter="trs", start_url=start)
    ctx = FakeContext({start: html, start.replace("index.html", "index_1.html"): html})
    listings = _collect(TrsAdapter(portal), ctx)
    assert ctx.requested == [("GET", start), ("GET", start.replace("index.html", "index_1.html"))]
    first = listings[0]
    assert first.title == "鄂尔多斯市2019年政府信息公开工作年度报告"
    assert first.url == "http://www.ordos.gov.cn/engb/xxgk/xxgknb/202009/t20200903_2748784.html"
    assert first.list_date == "2020-09-03"
    by_url = {x.url.rsplit("/", 1)[-1]: x for x in listings}
    assert by_url["t20181102_2290635.html"].list_date == "2018-03-26"  # list date ≠ URL date, as on the real page
    reports = [x for x in listings[:10] if is_report_title(x.title)]
    assert len(listings) == 20 and len(reports) == 4 and ctx.capped_at == []


@pytest.mark.parametrize("adapter", ["trs", "generic"])
def test_a_listing_cut_short_by_max_pages_names_the_first_page_it_did_not_read(adapter):
    """A column longer than max_pages (or an endless pager) ended "ok" with its later pages never read."""
    from govreports.portals.adapters.generic import GenericAdapter

    if adapter == "trs":
        require_samples()
        start = "http://www.ordos.gov.cn/engb/xxgk/xxgknb/index.html"
        html = (SAMPLES / "html" / "trs_ordos_engebei_xxgknb_list.html").read_text(encoding="utf-8")
        ctx = FakeContext({start: html})
        _collect(TrsAdapter(PortalConfig(name="ordos", adapter="trs", start_url=start, max_pages=1)), ctx)
        assert ctx.capped_at == [start.replace("index.html", "index_1.html")]
        return
    base = "https://czj.yanan.gov.cn/zfxxgk/zfxxgknb/"
    params = {"item_selector": "div.m-lst36 ul li", "date_selector": "span", "page_template": "{page}.html"}
    ctx = FakeContext({f"{base}{k}.html": _yanan_page(k, 3) for k in (1, 2, 3)})
    got = _collect(GenericAdapter(PortalConfig(name="yanan", adapter="generic", start_url=f"{base}1.html",
                                               params=params, max_pages=2)), ctx)
    assert len(got) == 4 and ctx.capped_at == [f"{base}3.html"]


def test_hanweb_records_and_form_from_the_real_datastore():
    require_samples()
    xml = (SAMPLES / "html" / "hanweb_dingxi_datastore_excerpt.xml").read_text(encoding="utf-8")
    records = list(_records(xml, "http://www.dingxi.gov.cn/col/col12377/index.html"))
    assert len(records) == 6
    assert records[0].url == "http://www.dingxi.gov.cn/art/2022/1/20/art_12377_1486865.html"
    assert records[0].list_date == "2022-01-20"
    assert any(r.url.startswith("http://zwgk.dingxi.gov.cn/art/2021/11/4/") for r in records)
    truncated = next(r for r in records if "整改" in r.title)
    assert not truncated.title.endswith("...")  # the full title comes from title=, not the cut text
    assert not any(is_report_title(r.title) for r in records if "网站" in r.title)
    form = HanwebAdapter._form(xml, "http://www.dingxi.gov.cn/col/col12377/index.html")
    assert form["columnid"] == "12377" and form["unitid"] == "38486" and form["webid"] == "110"
    assert form["webname"] == "定西市政府信息公开平台"  # double percent-encoded in the template


def _hanweb_column(ids, total: int, nextgroup: bool = True) -> str:
    """A Hanweb column page: records `ids` in its <datastore> island, jpage's totalRecord `total`."""
    records = "".join(f'<record><![CDATA[<li><a href="/art/2023/1/{k}/art_100_{k}.html">某局2022年政府信息公开'
                      f'工作年度报告{k}</a><span>2023-01-{k:02d}</span></li>]]></record>' for k in ids)
    link = ('<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=100&unitid=555">'
            '</a>]]></nextgroup>') if nextgroup else ""
    return (f'<div id="555"><script type="text/xml"><datastore>{link}<recordset>{records}</recordset></datastore>'
            f"</script></div><script>$('#555').jpage({{totalRecord:{total},perPage:3,groupSize:1,"
            "proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script>")


@pytest.mark.parametrize("case", ["empty-recordset", "no-nextgroup", "whole"])
def test_a_hanweb_listing_that_ends_before_its_total_record_is_named(case):
    """dataproxy.jsp answering an empty recordset (a request it rejects), or a page with no <nextgroup> to build
    the request from, ended the listing after the island's 3 of 12 records, nothing recorded, every night."""
    start = "http://a.gov.cn/col/col100/index.html"
    proxy = "http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=12&perpage=3"
    rest = _hanweb_column(range(4, 13), 12) if case == "whole" else "<datastore><totalrecord>12</totalrecord>" \
        "<recordset></recordset></datastore>"
    ctx = FakeContext({start: _hanweb_column(range(1, 4), 12, nextgroup=case != "no-nextgroup"), proxy: rest})
    got = _collect(HanwebAdapter(PortalConfig(name="hw", adapter="hanweb", start_url=start)), ctx)
    if case == "whole":
        assert len(got) == 12 and ctx.short_at == [] and ctx.capped_at == []
    elif case == "empty-recordset":
        assert len(got) == 3 and ctx.short_at == [(proxy, 3, 12, False)]
    else:
        assert len(got) == 3 and ctx.short_at == [(start, 3, 12, False)] and "no <nextgroup>" in ctx.short_why
        assert ctx.requested == [("GET", start)]


def test_attachments_plain_insertfile_and_javascript_links():
    html = """<div class="TRS_Editor"><p>见附件</p></div>
    <p class="insertfileTag"><a appendix="true" href="./P020210120123.pdf">年报.pdf</a></p>
    <a href="/module/download/downfile.jsp?classid=0&filename=0a1b2c3d4e5f60718293a4b5c6d7e8f9.pdf">下载</a>
    <a href="./W0202101.jpg">图</a><a href="./P0202101.ofd">OFD</a>
    <script>var rel_appendix = '<a href="./P020210120456.docx">下载文字版</a>'; document.write(rel_appendix);</script>"""
    found = find_attachments(html, "http://x.gov.cn/xxgknb/202101/t20210120_1.html")
    assert found[0] == "http://x.gov.cn/xxgknb/202101/P020210120456.docx"  # DOCX first: exact tables
    assert set(found[1:3]) == {"http://x.gov.cn/xxgknb/202101/P020210120123.pdf",
                               "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename="
                               "0a1b2c3d4e5f60718293a4b5c6d7e8f9.pdf"}
    assert found[3:] == ["http://x.gov.cn/xxgknb/202101/P0202101.ofd"]  # readable now, after PDF; never the .jpg


def test_percent_u_titles():
    assert unescape_percent_u("%u653F%u5E9C2021%u5E74") == "政府2021年"


CUSTOM_LIST = """<html><body><div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
<div class="docs">
<div class="doc-row"><span class="doc-title" title="某某市财政局2023年政府信息公开工作年度报告">某某市财政局2023年政府…</span>
 <a class="doc-open" href="detail?id=7">查看</a> <a class="doc-cat" href="/cat/1">年报</a><em class="doc-time">2024/01/15</em>
<div class="doc-row"><span class="doc-title" title="2023年度政府网站工作年度报表">2023年度政府网站…</span>
 <a class="doc-open" href="detail?id=8">查看</a><em class="doc-time">2024/01/10</em></div>
<div class="doc-row"><span class="doc-title">（无链接的分隔行）</span></div>
</div><div class="pg"><a class="pg-prev" href="list?page=1">‹</a><a class="pg-next" href="list?page={next}">›</a></div>
</body></html>"""


def _custom_portal(**params):
    return PortalConfig(name="custom", adapter="generic", start_url="http://a.gov.cn/nb/list", params=params)


def test_generic_adapter_reads_rows_with_css_selectors():
    from govreports.portals.adapters.generic import GenericAdapter

    pages = {"http://a.gov.cn/nb/list": CUSTOM_LIST.replace("{next}", "2"),
             "http://a.gov.cn/nb/list?page=2": CUSTOM_LIST.replace("id=7", "id=9").replace("2023年政府信息", "2022年政府信息")
             .replace("{next}", "2")}  # the last page's "next" points at itself, as real pagers do
    adapter = GenericAdapter(_custom_portal(item_selector="div.doc-row", title_selector="span.doc-title",
                                            title_attr="title", link_selector="a.doc-open",
                                            date_selector="em.doc-time", next_selector="a.pg-next"))
    ctx = FakeContext(pages)
    got = [(x.title, x.url, x.list_date) for x in _collect(adapter, ctx)]
    assert got == [
        ("某某市财政局2023年政府信息公开工作年度报告", "http://a.gov.cn/nb/detail?id=7", "2024-01-15"),
        ("2023年度政府网站工作年度报表", "http://a.gov.cn/nb/detail?id=8", "2024-01-10"),  # the crawl's filter drops it
        ("某某市财政局2022年政府信息公开工作年度报告", "http://a.gov.cn/nb/detail?id=9", "2024-01-15"),
    ]
    assert [url for _, url in ctx.requested] == list(pages)
    # without the selectors the same page yields nothing: the links say 查看, and nothing says 下一页
    assert _collect(GenericAdapter(_custom_portal()), FakeContext(pages)) == []


def test_generic_adapter_title_defaults_to_the_link():
    from govreports.portals.adapters.generic import GenericAdapter

    page = ('<ul class="list"><li><h4><a href="../202401/content_1.htm" title="甲局2023年政府信息公开工作年度报告">'
            '甲局2023年…</a></h4><span class="date">2024-01-20</span></li>'
            '<li><h4><a href="../202401/content_2.htm">乙局2023年政府信息公开工作年度报告</a></h4>'
            '<span class="date">2024.01.21</span></li></ul>')
    adapter = GenericAdapter(_custom_portal(item_selector="ul.list li", title_selector="h4 a", date_selector="span.date"))
    got = [(x.title, x.url, x.list_date) for x in _collect(adapter, FakeContext({"http://a.gov.cn/nb/list": page}))]
    assert got == [("甲局2023年政府信息公开工作年度报告", "http://a.gov.cn/202401/content_1.htm", "2024-01-20"),
                   ("乙局2023年政府信息公开工作年度报告", "http://a.gov.cn/202401/content_2.htm", "2024-01-21")]


def _yanan_page(k: int, last: int) -> str:
    rows = "".join(f'<li><a href="/zfxxgk/zfxxgknb/{k}{i}.html" title="延安市财政局{2000 + 10 * k + i}年政府信息公开工作年度报告">'
                   f'延安市财政局…</a><span>2024-01-0{i + 1}</span></li>' for i in range(2))
    return (f'<div class="m-lst36"><ul>{rows}</ul></div><div id="page"></div>'
            f"<script>var maxPage = parseInt('{last}'); createPage(maxPage, {k});</script>")


@pytest.mark.parametrize("count_pattern,requested", [
    (r"maxPage = parseInt\('(\d+)'\)", 3),  # the count read from the first page: pages 2 and 3, no more
    (None, 4),  # no count: page after page until one lists nothing (here: page 4 does not exist)
])
def test_generic_adapter_follows_a_script_only_pager(count_pattern, requested):
    from govreports.portals.adapters.generic import GenericAdapter

    base = "https://czj.yanan.gov.cn/zfxxgk/zfxxgknb/"
    pages = {f"{base}{k}.html": _yanan_page(k, 3) for k in (1, 2, 3)}
    params = {"item_selector": "div.m-lst36 ul li", "date_selector": "span", "page_template": "{page}.html"}
    if count_pattern:
        params["page_count_pattern"] = count_pattern
    portal = PortalConfig(name="yanan", adapter="generic", start_url=f"{base}1.html", params=params)
    ctx = FakeContext(pages)
    got = _collect(GenericAdapter(portal), ctx)
    assert len(got) == 6 and got[0].title == "延安市财政局2010年政府信息公开工作年度报告"
    assert got[0].list_date == "2024-01-01"
    assert [url for _, url in ctx.requested] == [f"{base}{k}.html" for k in range(1, requested + 1)]
    assert ctx.capped_at == []  # the pager's end, not max_pages


def test_list_page_links_read_as_beautifulsoup_s_general_matcher_reads_them():
    """listpage.anchors and the row lookup are find_all("a", href=True) and find_parent of the row tags without
    BeautifulSoup's general matcher: the same links, in order, with the same rows, on real list pages and on markup
    that tries the edges (an empty href, an <a> with none, nested rows, a link in no row, upper-case tags)."""
    from govreports.portals.adapters import listpage

    require_samples()
    pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted((SAMPLES / "html").glob("*.html"))]
    pages.append('<ul><li>2024-01-02 <a href="">空</a><a name="x">无</a><table><tr><td><p>2023-05-06'
                 '<a href="/a.html" title="某区2023年政府信息公开工作年度报告">某区…</a></p></td></tr></table></li>'
                 '<DD><A HREF="b.html">二 2022-3-4</A></DD></ul><div><a href="c.html">无行</a>'
                 '<a href="javascript:;">下一页</a><a href="p2.html">下一页</a></div>')
    for html in pages:
        page = listpage.soup(html)
        general = page.find_all("a", href=True)
        assert listpage.anchors(page) == general
        assert [listpage._row_of(a) for a in general] == [a.find_parent(listpage._ROW_TAGS) for a in general]
    crafted = listpage.soup(pages[-1])
    assert [(t, u) for t, u, _ in listpage.links(crafted, "http://x.gov.cn/l/")] == [
        ("某区2023年政府信息公开工作年度报告", "http://x.gov.cn/a.html"), ("二 2022-3-4", "http://x.gov.cn/l/b.html"),
        ("无行", "http://x.gov.cn/l/c.html"), ("下一页", "http://x.gov.cn/l/p2.html")]
    assert [d for *_, d in listpage.links(crafted, "http://x.gov.cn/l/")][:2] == ["2023-05-06", "2022-03-04"]
    assert listpage.next_links(crafted, "http://x.gov.cn/l/") == ["http://x.gov.cn/l/p2.html"]


def test_a_large_list_page_is_read_off_the_event_loop(monkeypatch):
    """A list page of 10 MB took 12 s of CPU to read on the loop that serves every portal: the others' requests
    waited (a crawl of two portals, one serving such pages: 437 s against 12). Large pages are read in a thread;
    pages of ordinary size stay on the loop, where a thread would cost more than the read."""
    import threading
    import time

    from govreports.portals.adapters import listpage

    monkeypatch.setattr(listpage, "LARGE", 10_000)
    page = "<ul>" + "".join(f'<li><a href="/r/{k}.html">第{k}号</a></li>' for k in range(1000)) + "</ul>"
    readers = []

    def read(tree):
        readers.append(threading.get_ident())
        time.sleep(0.3)  # a long read: the loop must go on meanwhile
        return listpage.links(tree, "http://a.gov.cn/")

    async def main():
        async with loop_ticks(0.01) as ticks:
            large = await listpage.read_page(page, read)
            during = len(ticks)
            small = await listpage.read_page('<a href="/x.html">x</a>', read)
            return large, small, during, len(ticks) - during

    large, small, during, after_small = asyncio.run(main())
    assert len(large) == 1000 and large[0] == ("第0号", "http://a.gov.cn/r/0.html", None)
    assert small == [("x", "http://a.gov.cn/x.html", None)]
    assert readers[0] != threading.get_ident() and readers[1] == threading.get_ident()
    assert during >= 10 and after_small <= 2  # the loop ticked through the large read, not through the small one


def test_what_a_large_list_page_left_is_collected_before_the_next_is_read(monkeypatch):
    """A page's tree is reference cycles, which the crawl's collector settings (gcpolicy) leave for its seldom
    full collections: four large pages held 496 MB where one needs 164. The collector is off here, so that only
    read_page's own collection can free the first page's tree."""
    import gc
    import weakref

    from govreports.portals.adapters import listpage

    monkeypatch.setattr(listpage, "LARGE", 10_000)
    page = "<ul>" + "".join(f'<li><a href="/r/{k}.html">第{k}号</a></li>' for k in range(1000)) + "</ul>"
    trees, alive_at_second = [], []

    def read(tree):
        alive_at_second.extend(t() is not None for t in trees)
        trees.append(weakref.ref(tree))
        return len(listpage.links(tree, "http://a.gov.cn/"))

    gc.disable()
    try:
        assert asyncio.run(listpage.read_page(page, read)) == 1000
        assert trees[0]() is not None  # garbage, but cycles: nothing has freed it yet
        assert asyncio.run(listpage.read_page(page, read)) == 1000
    finally:
        gc.enable()
    assert alive_at_second == [False]


def test_two_portals_large_list_pages_are_read_one_at_a_time(monkeypatch):
    """Two portals serving 10 MB list pages at once built two trees of ~360 MB side by side, in two threads; a
    nightly's portal tasks each run an event loop of their own, so the large pages of every loop of the process
    now wait their turn for one reader."""
    import threading
    import time

    from govreports.portals.adapters import listpage

    monkeypatch.setattr(listpage, "LARGE", 10_000)
    page = "<ul>" + "".join(f'<li><a href="/r/{k}.html">第{k}号</a></li>' for k in range(1000)) + "</ul>"
    reading, most, counted = [0], [0], threading.Lock()

    def read(tree):
        with counted:
            reading[0] += 1
            most[0] = max(most[0], reading[0])
        time.sleep(0.2)  # long enough for the other loop's page to arrive meanwhile
        with counted:
            reading[0] -= 1
        return len(listpage.links(tree, "http://a.gov.cn/"))

    results = []
    loops = [threading.Thread(target=lambda: results.append(asyncio.run(listpage.read_page(page, read))))
             for _ in range(3)]
    for t in loops:
        t.start()
    for t in loops:
        t.join()
    assert results == [1000, 1000, 1000] and most == [1]


def test_a_gkmlpt_start_page_without_the_category_is_named_not_listed_as_empty():
    """A wrong category_name (or a start page that is no gkmlpt page) ended the listing without a word: the
    portal was "ok" with nothing found. The adapter now says which; the crawl records it against the start page."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter

    start = "http://www.gd.gov.cn/gkmlpt/index"
    page = ("<script>var SID: 'gd001'; var nodes = [{id: 2001, name: '政府信息公开年报'}, {id: 2002, name: '通知'}]"
            "</script>")
    ctx = FakeContext({start: page})
    portal = PortalConfig(name="gd", adapter="gkmlpt", start_url=start, params={"category_name": "年度报告专栏"})
    with pytest.raises(LookupError, match="no category named like '年度报告专栏' on the start page"):
        _collect(GkmlptAdapter(portal), ctx)
    with pytest.raises(LookupError, match="no gkmlpt site id"):
        _collect(GkmlptAdapter(PortalConfig(name="gd", adapter="gkmlpt", start_url=start)),
                 FakeContext({start: "<html>another site</html>"}))
    found = FakeContext({start: page, f"http://www.gd.gov.cn/gkmlpt/api/all/2001?page=1&sid=gd001": '{"articles": []}'})
    assert _collect(GkmlptAdapter(PortalConfig(name="gd", adapter="gkmlpt", start_url=start)), found) == []


@pytest.mark.parametrize("adapter", ["json-api", "gkmlpt"])
def test_a_numbered_list_ends_at_a_page_of_nothing_new_and_is_capped_only_when_it_goes_on(adapter):
    """A list API read as pages 1, 2, 3…: an API that clamps the page number serves its last page again for every
    page past the end, and was read to max_pages (200 requests a night) and then called cut short; a column of
    exactly max_pages pages was called cut short too. Now the listing ends at the first page that lists nothing
    new, and `max_pages` is recorded only when the page after it lists something new."""
    import json

    from govreports.portals.adapters.gkmlpt import GkmlptAdapter
    from govreports.portals.adapters.jsonapi import JsonApiAdapter

    start = "http://a.gov.cn/gkmlpt/index"

    def page(*ids):
        return json.dumps({"articles": [{"title": f"某县{k}年政府信息公开工作年度报告", "url": f"/r/{k}.html"}
                                        for k in ids]})

    if adapter == "gkmlpt":
        def url(n):
            return f"http://a.gov.cn/gkmlpt/api/all/7?page={n}&sid=a1"
        entry = {start: "<script>SID: 'a1', TREE: [{id: 7, name: '政府信息公开年报'}]</script>"}
        make = GkmlptAdapter
    else:
        def url(n):
            return f"http://a.gov.cn/gkmlpt/api?p={n}"
        entry = {}
        make = JsonApiAdapter

    def run(pages: dict[int, str]) -> tuple[list[str], FakeContext]:
        ctx = FakeContext({**entry, **{url(n): text for n, text in pages.items()}})
        portal = PortalConfig(name="x", adapter=adapter, start_url=start, max_pages=3,
                              params={"list_url": "api?p={page}"} if adapter == "json-api" else {})
        return [x.url.rsplit("/", 1)[-1] for x in _collect(make(portal), ctx)], ctx

    got, ctx = run({1: page(1, 2), 2: page(3, 4), 3: page(5), 4: page(5), 5: page(5)})  # clamped past page 3
    assert got == ["1.html", "2.html", "3.html", "4.html", "5.html"] and ctx.capped_at == []
    assert url(5) not in {u for _, u in ctx.requested}
    got, ctx = run({1: page(1, 2), 2: page(3, 4), 3: page(5, 6), 4: page()})  # exactly max_pages pages
    assert len(got) == 6 and ctx.capped_at == [] and url(4) in {u for _, u in ctx.requested}
    got, ctx = run({1: page(1), 2: page(2), 3: page(3), 4: page(4), 5: page(5)})  # the column goes on
    assert got == ["1.html", "2.html", "3.html"] and ctx.capped_at == [url(4)]
    assert url(5) not in {u for _, u in ctx.requested}
    got, ctx = run({1: page(1, 2), 2: page(2, 3)})  # a page that repeats some of the last: its new ones count
    assert got == ["1.html", "2.html", "3.html"] and ctx.capped_at == []
    linkless = json.dumps({"articles": [{"title": "通知"}, {"title": "公告"}]})
    got, ctx = run({1: page(1), 2: linkless, 3: page(3)})  # items with no link: passed over, not the end
    assert got == ["1.html", "3.html"] and ctx.capped_at == [] and ctx.short_at == []


API_START = "http://a.gov.cn/gkmlpt/index"


def _list_api(adapter: str, **params):
    """For a list API test: the adapter's class, its params, page n's URL, and the entry page it reads first
    (gkmlpt finds its category and SID there)."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter
    from govreports.portals.adapters.jsonapi import JsonApiAdapter

    if adapter == "gkmlpt":
        return (GkmlptAdapter, {}, lambda n: f"http://a.gov.cn/gkmlpt/api/all/7?page={n}&sid=a1",
                {API_START: "<script>SID: 'a1', TREE: [{id: 7, name: '政府信息公开年报'}]</script>"})
    return JsonApiAdapter, {"list_url": "api?p={page}", **params}, lambda n: f"http://a.gov.cn/gkmlpt/api?p={n}", {}


@pytest.mark.parametrize("adapter", ["json-api", "gkmlpt"])
def test_a_list_api_that_ends_before_the_items_it_counts_is_named(adapter):
    """An API that ignores the page number (a misnamed page parameter) serves page 1 for every page: the listing
    ended at page 2, quietly, with one page of a longer column read, every night. Where the API counts the
    column's items (gkmlpt's `total`, json-api's `total_field`), an end before that many is named; a clamping
    API's last page served again after all of them, or a column read whole, is not."""
    import json

    start = API_START

    def page(ids, total):
        articles = [{"title": f"某县{k}年政府信息公开工作年度报告", "url": f"/r/{k}.html"} for k in ids]
        return json.dumps({"articles": articles, "total": total} if adapter == "gkmlpt" else
                          {"data": {"list": articles, "total": str(total)}})

    make, params, url, entry = _list_api(adapter, items="data.list", total_field="data.total")

    def run(pages: dict[int, str]) -> tuple[list[str], FakeContext]:
        ctx = FakeContext({**entry, **{url(n): text for n, text in pages.items()}})
        portal = PortalConfig(name="x", adapter=adapter, start_url=start, max_pages=5, params=params)
        return [x.url.rsplit("/", 1)[-1] for x in _collect(make(portal), ctx)], ctx

    got, ctx = run({n: page([1, 2], 5) for n in range(1, 7)})  # the page number ignored: page 1 every time
    assert got == ["1.html", "2.html"] and ctx.short_at == [(url(2), 2, 5, True)]
    got, ctx = run({1: page([1, 2], 5), 2: page([3, 4], 5), 3: page([], 5)})  # only so many pages served
    assert len(got) == 4 and ctx.short_at == [(url(3), 4, 5, False)]
    got, ctx = run({1: page([1, 2], 3), 2: page([3], 3), 3: page([3], 3)})  # clamped after all of them
    assert len(got) == 3 and ctx.short_at == []
    got, ctx = run({1: page([1, 2], 4), 2: page([3, 4], 4), 3: page([], 4)})  # read whole, then an empty page
    assert len(got) == 4 and ctx.short_at == [] and ctx.capped_at == []
    got, ctx = run({1: page([1, 2, 3], 3)})  # a single-page deployment: page 2+ answer 404 (gkmlpt at 肇庆)
    assert len(got) == 3 and url(2) not in {u for _, u in ctx.requested}, "page 2 asked after all 3 were read"
    if adapter == "json-api":  # without total_field, nothing is counted: as before
        params.pop("total_field")
        got, ctx = run({n: page([1, 2], 5) for n in range(1, 7)})
        assert got == ["1.html", "2.html"] and ctx.short_at == []


@pytest.mark.parametrize("adapter", ["json-api", "gkmlpt"])
@pytest.mark.parametrize("bad", [1, 2], ids=["page-1", "page-2"])
def test_a_list_api_page_that_answers_other_than_json_is_named_not_taken_for_the_end(adapter, bad):
    """A list API page answering 200 with an HTML 系统繁忙 page (or JSON cut short) ended the listing without a
    word: mid-column its later pages vanished; on page 1 the portal read as an empty column."""
    import json

    start = API_START
    make, params, url, entry = _list_api(adapter)
    good = {n: json.dumps({"articles": [{"title": f"某县{n}年政府信息公开工作年度报告", "url": f"/r/{n}.html"}]})
            for n in (1, 2, 3)}
    for answer, said in (("<html><body><p>系统繁忙，请稍后再试</p></body></html>", "'系统繁忙，请稍后再试'"),
                         ('{"articles": [{"title": "某县', "Unterminated string")):
        ctx = FakeContext({**entry, **{url(n): answer if n == bad else good[n] for n in good}})
        got = _collect(make(PortalConfig(name="x", adapter=adapter, start_url=start, params=params)), ctx)
        assert len(got) == bad - 1 and [u for u, _ in ctx.unreadable_at] == [url(bad)]
        assert ctx.unreadable_at[0][1].startswith("the answer is not the JSON list expected (") and said in \
            ctx.unreadable_at[0][1]


def test_one_link_that_cannot_be_made_absolute_is_skipped_not_the_end_of_the_listing():
    """A CMS template's placeholder left in a footer (`http://[站群地址]/`) made urljoin raise ValueError: the
    adapter's whole listing ended there, that page's reports and every later page's never listed."""
    from govreports.portals.adapters.generic import GenericAdapter
    from govreports.portals.adapters.listpage import Selectors, next_links, soup

    base = "http://a.gov.cn/col/"
    bad = '<a href="http://[站群地址]/">网站地图</a>'

    def page(k: int, nxt: str) -> str:
        rows = "".join(f'<li><a href="./{k}{i}.html">某局{2010 + 4 * k + i}年政府信息公开工作年度报告</a>'
                       f"<span>2023-01-15</span></li>" for i in range(2))
        return f"<ul>{rows}<li>{bad}</li></ul><div>{bad}{nxt}</div>"

    pages = {f"{base}home.htm": page(0, '<a href="home_1.htm">下一页</a>'), f"{base}home_1.htm": page(1, "")}
    got = _collect(GenericAdapter(PortalConfig(name="g", adapter="generic", start_url=f"{base}home.htm")),
                   FakeContext(pages))
    assert [x.url.rsplit("/", 1)[-1] for x in got] == ["00.html", "01.html", "10.html", "11.html"]
    rows = Selectors(item="li", next="div a").rows(soup(pages[f"{base}home.htm"]), f"{base}home.htm")
    assert [url for _, url, _ in rows] == [f"{base}00.html", f"{base}01.html"]
    assert next_links(soup(f"<div>{bad}</div>"), base, "div a") == []



@pytest.mark.parametrize("adapter", ["json-api", "gkmlpt"])
def test_a_list_api_item_whose_link_cannot_be_made_absolute_is_skipped(adapter):
    """One item of an API's answer with a placeholder for its URL ended the listing (urljoin's ValueError), the
    items after it and every later page never listed; in a report page, such a link failed the report."""
    import json

    from govreports.portals.adapters.base import find_attachments

    items = [{"title": f"某县{2018 + i}年政府信息公开工作年度报告", "url": u}
             for i, u in enumerate(["/r/1.html", "http://[站群地址]/r.html", "/r/3.html"])]
    make, params, url, entry = _list_api(adapter)
    pages = {**entry, url(1): json.dumps({"articles": items, "total": 3})}
    got = _collect(make(PortalConfig(name="x", adapter=adapter, start_url=API_START, params=params)),
                   FakeContext(pages))
    assert [x.url for x in got] == ["http://a.gov.cn/r/1.html", "http://a.gov.cn/r/3.html"]
    page = '<a href="http://[站群地址]/a.pdf">附件</a><a href="/files/report.pdf">年报.pdf</a>'
    assert find_attachments(page, "http://a.gov.cn/nb/1.html") == ["http://a.gov.cn/files/report.pdf"]

def test_a_template_pager_goes_on_past_a_page_of_look_alike_titles_only():
    """Pages by `page_template` without a count went on while a page listed a report title: a page holding only
    look-alikes (网站工作年度报表, 通知) ended the listing, the reports on the pages after it never requested, nothing
    recorded. They go on while a page shows a link no page before it did; a page that repeats them ends it."""
    from govreports.portals.adapters.generic import GenericAdapter

    base = "http://a.gov.cn/nb/"

    def page(*items):
        return "<ul>" + "".join(f'<li><a href="/nb/{h}.html">{t}</a><span>2023-01-15</span></li>' for h, t in items) \
            + '</ul><a href="/">首页</a><script>createPage(3)</script>'

    first = page(*((f"a{i}", f"某局{2020 + i}年政府信息公开工作年度报告") for i in range(2)))
    pages = {f"{base}index.html": first,
             f"{base}index_2.html": page(("n0", "2021年度政府网站工作年度报表"),
                                         ("n1", "关于做好2021年政府信息公开工作年度报告编制发布工作的通知")),
             f"{base}index_3.html": page(*((f"b{i}", f"某局{2014 + i}年政府信息公开工作年度报告") for i in range(2))),
             f"{base}index_4.html": first}  # past the end, a site that serves its first page for any number
    ctx = FakeContext(pages)
    portal = PortalConfig(name="t", adapter="generic", start_url=f"{base}index.html",
                          params={"page_template": "index_{page}.html"})
    got = _collect(GenericAdapter(portal), ctx)
    assert [x.url.rsplit("/", 1)[-1] for x in got] == ["a0.html", "a1.html", "b0.html", "b1.html"]
    assert [u for _, u in ctx.requested] == [f"{base}index.html"] + [f"{base}index_{k}.html" for k in (2, 3, 4)]
    assert ctx.capped_at == []


def test_a_template_pager_ends_at_a_page_past_the_end_that_links_only_itself():
    """A site answering a page number past the end with 200 页面不存在 and a link to that page (重新加载): a link
    no page before showed, so the pages went on to max_pages, a false max_pages failure. Only links titled as a
    column's entries keep the pages going."""
    from govreports.portals.adapters.generic import GenericAdapter

    base = "http://a.gov.cn/nb/"
    first = ('<ul><li><a href="/nb/a0.html">某局2022年政府信息公开工作年度报告</a><span>2023-01-15</span></li>'
             '</ul><a href="/">首页</a>')

    class SoftContext(FakeContext):
        async def fetch_list(self, url, **kw):
            self.pages.setdefault(url, f'<p>页面不存在</p><a href="{url}">重新加载</a><a href="/">返回首页</a>')
            return await super().fetch_list(url, **kw)

    ctx = SoftContext({f"{base}index.html": first})
    portal = PortalConfig(name="t", adapter="generic", start_url=f"{base}index.html", max_pages=40,
                          params={"page_template": "index_{page}.html"})
    assert [x.url for x in _collect(GenericAdapter(portal), ctx)] == [f"{base}a0.html"]
    assert [u for _, u in ctx.requested] == [f"{base}index.html", f"{base}index_2.html"] and ctx.capped_at == []
