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
from portalhelp import FakeContext, _collect

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


@pytest.mark.parametrize("title,is_report", REAL_TITLES.items())
def test_title_filter_reads_a_traditional_mirror_alike(title, is_report):
    """A portal's 繁體 mirror lists the same titles in traditional characters (信息公開…年度報告): the filter found
    no report in it, while the parser reads such mirrors. Each real title, converted, is judged as written."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert(title)
    assert traditional != title
    assert is_report_title(traditional) is is_report


def test_title_filter_on_traditional_titles_as_mirrors_write_them():
    assert is_report_title("廣東省人民政府辦公廳2019年政府信息公開工作年度報告")
    assert not is_report_title("關於做好2022年政府信息公開工作年度報告編制發佈工作的通知")
    # a portal's own patterns, written in simplified characters, apply to its mirror's titles too
    assert not is_report_title("某某市2019年政府信息公開工作年度報告（圖片版）", exclude="图片版")
    assert is_report_title("某某市2019年政府信息公開年報", include="公开年报")
    assert title_year("廣東省人民政府辦公廳2019年政府信息公開工作年度報告") == 2019


@pytest.mark.parametrize("title", [
    "臺北市政府110年度政府資訊公開工作年度報告",  # Taiwan's term (政府資訊公開法), a 民國 year
    "某某市人民政府2020年政府資訊公開工作年度報告",
    "政府資訊公開年報",
])
def test_title_filter_leaves_out_taiwans_term_unless_the_portal_names_it(title):
    """政府資訊公開 is Taiwan's regulation, not the PRC's 政府信息公开 (t2s keeps 資訊 as 资讯): not an annual report of
    the kind this tool reads, by design. A mirror that rewrote 信息 as 資訊 is taken when its portal says so."""
    assert not is_report_title(title)
    assert is_report_title(title, include="资讯公开") and is_report_title(title, include="資訊公開")


@pytest.mark.parametrize("config", ["s2t", "s2tw", "s2hk"])
def test_title_filter_takes_character_converted_mirrors(config):
    import opencc

    title = opencc.OpenCC(config).convert("广东省人民政府办公厅2019年政府信息公开工作年度报告")
    assert "信息公開" in title and is_report_title(title)


def test_title_year():
    assert title_year("宿迁市 2025 年政府信息公开工作年度报告") == 2025
    assert title_year("政府信息公开工作2022年度报告") == 2022
    assert title_year("政府信息公开工作年度报告") is None


def test_trs_adapter_on_the_real_ordos_list():
    require_samples()
    html = (SAMPLES / "html" / "trs_ordos_engebei_xxgknb_list.html").read_text(encoding="utf-8")
    assert pager(html)[0] == 2
    start = "http://www.ordos.gov.cn/engb/xxgk/xxgknb/index.html"
    portal = PortalConfig(name="ordos", adapter="trs", start_url=start)
    ctx = FakeContext({start: html, start.replace("index.html", "index_1.html"): html})
    listings = _collect(TrsAdapter(portal), ctx)
    # index_1 is served page 1's copy here, which a 1-based column answers as well: index_2 is asked too (a probe)
    assert ctx.requested == [("GET", start), ("GET", start.replace("index.html", "index_1.html")),
                             ("GET", start.replace("index.html", "index_2.html"))]
    assert [u for _, u in ctx.probes] == [start.replace("index.html", f"index_{n}.html") for n in (1, 2)]
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


def test_attachments_shown_in_the_page_through_a_frame_an_embed_or_a_viewer():
    """A report page that only shows its file (pdf.js's viewer in an iframe, an embed, an object, a link to the
    viewer) with no link to download it: the item was "not a report" and the report missed."""
    base = "http://x.gov.cn/xxgk/nb/202301/t20230120_1.html"
    cases = {
        '<iframe src="/pdfjs/web/viewer.html?file=/attach/0/nb2022.pdf" width="100%"></iframe>':
            "http://x.gov.cn/attach/0/nb2022.pdf",
        '<iframe src="/static/pdfjs/web/viewer.html?file=%2Fattach%2F0%2Fnb2022.pdf&amp;page=1"></iframe>':
            "http://x.gov.cn/attach/0/nb2022.pdf",
        '<iframe src="../../../pdfjs/viewer.html?file=../nb/202301/P020230120.pdf"></iframe>':
            "http://x.gov.cn/nb/202301/P020230120.pdf",  # relative to the viewer, as the viewer resolves it
        '<embed src="./P020230120.pdf" type="application/pdf">':
            "http://x.gov.cn/xxgk/nb/202301/P020230120.pdf",
        '<object data="http://files.x.gov.cn/nb.PDF" type="application/pdf"></object>':
            "http://files.x.gov.cn/nb.PDF",
        '<a href="/pdfjs/web/viewer.html?file=http://x.gov.cn/attach/nb.docx" target="_blank">在线阅读</a>':
            "http://x.gov.cn/attach/nb.docx",
    }
    for html, url in cases.items():
        assert find_attachments(f"<html><body><p>年报</p>{html}</body></html>", base) == [url], html
    page = '<iframe src="/video/player.html?file=/v/intro.mp4"></iframe><iframe src="/map.html?src=x"></iframe>'
    assert find_attachments(page, base) == []  # a frame that shows no report file


def test_attachments_and_a_data_file_resolve_against_the_pages_base_href():
    """A template whose links are relative to <base href="http://www.….gov.cn/"> (the list pages read so since h2's
    review): its report page's attachment, written link or data file resolved against the page's own folder was
    a 404 in the crawl, where a browser downloads it; the report was missed."""
    from govreports.portals.adapters.datafile import data_script

    page = "http://x.gov.cn/xxgk/nb/202301/t20230120_1.html"
    head = '<html><head><base href="http://x.gov.cn/site/"><script src="js/content_1.js"></script></head>'
    html = (head + '<body><p>年报</p><a href="files/nb2022.pdf">下载</a><iframe src="view/nb2022.ofd"></iframe>'
            "<script>var att = '<a href=\"files/nb2022.docx\">文字版</a>';</script></body></html>")
    assert find_attachments(html, page) == ["http://x.gov.cn/site/files/nb2022.docx",
                                            "http://x.gov.cn/site/files/nb2022.pdf",
                                            "http://x.gov.cn/site/view/nb2022.ofd"]
    assert data_script(html, page) is None  # outside the page's folder: not its data file (the rule's own test)
    rooted = html.replace('<base href="http://x.gov.cn/site/">', '<base href="/">')
    assert data_script(rooted.replace("js/content_1.js", "xxgk/nb/202301/content_1.js"), page) == \
        "http://x.gov.cn/xxgk/nb/202301/content_1.js"  # not …/202301/xxgk/nb/202301/content_1.js
    odd = html.replace("http://x.gov.cn/site/", "javascript:void(0)")  # no URL: the page's own address counts
    assert find_attachments(odd, page)[0] == "http://x.gov.cn/xxgk/nb/202301/files/nb2022.docx"


def test_attachments_written_by_script_in_any_report_kind():
    """Older TRS templates write the attachment list with JavaScript (`var att = …; document.write(…)`, PORTALS.md
    §3), and ndrc-style sites post OFD files: a script-written .ofd was missed (only PDF and Word were looked for in
    scripts), and the page, with no tables of its own, was "not a report"."""
    html = """<div class="TRS_Editor"><p>全文请见附件。</p></div><div class="fj"><script type="text/javascript">
    var att = '<a href="./P020240111301904164862.ofd" target="_blank">年报.ofd</a>';
    if(att!=''){document.write('附件：<br /><p>' + att + '</p>');}</script></div>"""
    found = find_attachments(html, "http://x.gov.cn/xxgknb/202401/t20240111_1.html")
    assert found == ["http://x.gov.cn/xxgknb/202401/P020240111301904164862.ofd"]
    written = """<script>document.write("<a href=\\"./P0.wps\\">WPS</a><a href=\\"./P0.XLSX\\">表</a>");</script>"""
    # found both; the parser reads spreadsheets now (extract.xls), never a .wps
    assert find_attachments(written, "http://x.gov.cn/a/") == ["http://x.gov.cn/a/P0.XLSX"]


def test_a_report_published_only_as_a_spreadsheet_is_an_attachment_read_after_the_others():
    """A TRS article whose report is only `./P0….xls` (PORTALS.md §3 `needdownload` links): the .xls was never
    fetched (the parser read no spreadsheet), the page was "not a report" and the report lost. Beside a PDF it
    comes after it: an agency's spreadsheet beside its report is more often the data annex."""
    base = "http://x.gov.cn/xxgknb/202401/t20240111_1.html"
    only = '<a appendix="true" data-appendix="true" needdownload="true" href="./P020240111301904164862.xls">附件</a>'
    assert find_attachments(only, base) == ["http://x.gov.cn/xxgknb/202401/P020240111301904164862.xls"]
    both = ('<a href="/module/download/downfile.jsp?classid=0&filename=0a1b2c3d.xlsx">表</a>'
            '<a href="./P0202401.pdf">年报</a>')
    assert find_attachments(both, base) == [
        "http://x.gov.cn/xxgknb/202401/P0202401.pdf",
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=0a1b2c3d.xlsx"]


def test_a_report_published_only_as_rtf_is_an_attachment():
    """PORTALS.md §9 lists .rtf among the report attachments, and the parser reads RTF (extract.rtf); a page whose
    report was only `./P0….rtf` (a plain link, a downfile.jsp one, a script-written one) had it never fetched: the
    page was "not a report" and the report lost. Beside a PDF it comes after it, with .doc."""
    base = "http://x.gov.cn/xxgknb/202401/t20240111_1.html"
    assert find_attachments('<a href="./P020240111301904164862.rtf">附件</a>', base) == [
        "http://x.gov.cn/xxgknb/202401/P020240111301904164862.rtf"]
    assert find_attachments('<a href="/module/download/downfile.jsp?classid=0&filename=0a1b.rtf">附件</a>', base) == [
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=0a1b.rtf"]
    written = """<script>var att = '<a href="./P0.RTF">年报</a><a href="./P0.pdf">年报</a>';</script>"""
    assert find_attachments(written, base) == ["http://x.gov.cn/xxgknb/202401/P0.pdf",
                                               "http://x.gov.cn/xxgknb/202401/P0.RTF"]


_ARTICLE = """<html><head><meta name="ArticleTitle" content="X局2021年政府信息公开工作年度报告"></head><body>
<ul class="nav"><li>首页</li></ul><div class="TRS_Editor">{body}</div>
<div class="page"><script>createPageHTML(3, {k}, "t20211108_2082308", "html");</script></div>
<div class="footer">网站标识码：1506000140</div></body></html>"""


def test_trs_article_split_over_pages_is_read_whole():
    """A long TRS article is split over t…_{id}.html, t…_{id}_1.html, … named by its own createPageHTML (PORTALS.md
    §3): only the first page was read, and half a report loaded as if whole (table 四 and sections 五、六 missing)."""
    from govreports.extract.html import extract_html
    from govreports.portals.adapters.base import join_pages
    from govreports.portals.adapters.trs import article_pages

    url = "http://x.gov.cn/xxgknb/202111/t20211108_2082308.html"
    first = _ARTICLE.format(body="<p>一、总体情况</p><p>甲</p>", k=0)
    assert article_pages(first, url) == ["http://x.gov.cn/xxgknb/202111/t20211108_2082308_1.html",
                                         "http://x.gov.cn/xxgknb/202111/t20211108_2082308_2.html"]
    # a pager naming another file (a list's), or an article without one, has no later pages
    assert article_pages(first.replace('"t20211108_2082308"', '"index"'), url) == []
    assert article_pages("<p>一、总体情况</p>", url) == []
    later = [_ARTICLE.format(body="<p>四、政府信息公开行政复议、行政诉讼情况</p><table><tr><td>1</td></tr></table>", k=1),
             _ARTICLE.format(body="尾<p>六、其他需要报告的事项</p>", k=2)]
    doc = extract_html(join_pages(first, later).decode("utf-8"))
    texts = [b.cells[0] for b in doc.blocks]
    assert texts.index("一、总体情况") < texts.index("四、政府信息公开行政复议、行政诉讼情况") < \
        texts.index("六、其他需要报告的事项")
    assert "尾" in texts and sum("网站标识码" in t for t in texts) <= 1  # later pages' chrome left out


def test_a_moved_column_is_paged_where_its_old_url_redirects():
    """A config names a column's old URL, which redirects to its new home (PORTALS.md §2: 年报 paths moved between
    years); the old folder has no later pages. TRS pages 2… and the gkmlpt list API were built from the configured
    URL: 404s, and only page 1's reports found."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter

    old, new = "http://x.gov.cn/xxgk/nb/index.html", "http://x.gov.cn/zwgk/xxgknb/index.html"
    row = '<li><a href="./202401/t20240115_{n}.html">X{n}局2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>'
    pages = {new: row.format(n=1) + '<script>createPageHTML(2, 0, "index", "html");</script>',
             "http://x.gov.cn/zwgk/xxgknb/index_1.html": row.format(n=2)}
    trs = TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=old))
    ctx = FakeContext(pages, {old: new})
    assert [x.url.rsplit("_", 1)[1] for x in _collect(trs, ctx)] == ["1.html", "2.html"]
    assert ctx.requested[1] == ("GET", "http://x.gov.cn/zwgk/xxgknb/index_1.html")

    old, new = "http://x.gov.cn/zwgk/gkmlpt/index", "http://x.gov.cn/gkmlpt/index"
    api = ('{"total": 1, "articles": [{"title": "Y局2023年政府信息公开工作年度报告", '
           '"url": "http://x.gov.cn/gkmlpt/content/3/3400/post_3400001.html", "created_at": "2024-01-16 16:25:04"}]}')
    pages = {new: "<script>window._CONFIG = {SID: '662021', TREE: [{id: 721, name: '政府信息公开年报'}]};</script>",
             "http://x.gov.cn/gkmlpt/api/all/721?page=1&sid=662021": api}
    gk = GkmlptAdapter(PortalConfig(name="g", adapter="gkmlpt", start_url=old))
    assert [x.url for x in _collect(gk, FakeContext(pages, {old: new}))] == [
        "http://x.gov.cn/gkmlpt/content/3/3400/post_3400001.html"]


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


def test_generic_selectors_that_match_nothing_on_the_first_page_are_named():
    """A selector copied wrong (`div.doc-rows` for `div.doc-row`, a `link_selector` of no element in the rows) listed
    nothing and said nothing: `crawl --dry-run`, where the docs send a new config, printed "0 listing(s) on 1 list
    page(s)", and the crawl exit 0 with a nothing_found warning sending the user back to --dry-run. The first page
    is where the selectors meet the site: one that matches nothing there is a failed list page naming it. A later
    page with no row (a script pager's page past the end) is the column's end, as before."""
    from govreports.portals.adapters.generic import GenericAdapter

    start = "http://a.gov.cn/nb/list"
    right = {"item_selector": "div.doc-row", "title_selector": "span.doc-title", "title_attr": "title",
             "link_selector": "a.doc-open"}
    for wrong, said in (({"item_selector": "div.doc-rows"}, "item_selector 'div.doc-rows' matched nothing"),
                        ({"link_selector": "a.doc-link"}, "item_selector 'div.doc-row' matched 3 row(s), none with "
                                                          "a link (link_selector 'a.doc-link')")):
        ctx = FakeContext({start: CUSTOM_LIST.replace("{next}", "1")})
        assert _collect(GenericAdapter(_custom_portal(**{**right, **wrong})), ctx) == []
        assert [u for u, _ in ctx.unreadable_at] == [start] and said in ctx.unreadable_at[0][1], ctx.unreadable_at
    ctx = FakeContext({start: CUSTOM_LIST.replace("{next}", "1"), "http://a.gov.cn/nb/list_2": "<div class='docs'></div>"})
    got = _collect(GenericAdapter(_custom_portal(**right, page_template="list_{page}")), ctx)
    assert len(got) == 2 and ctx.unreadable_at == [] and ctx.requested[-1] == ("GET", "http://a.gov.cn/nb/list_2")


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


@pytest.mark.parametrize("first_page,names", [(2, ["list", "list_2", "list_3"]), (1, ["list", "list_1", "list_2"]),
                                               (0, ["list", "list_0", "list_1"])])
def test_a_script_s_page_count_ends_the_template_s_pages_whatever_its_first_number(first_page, names):
    """`totalPage = 3` counts the column's pages, the start page among them: read as the number of the last page,
    a template whose page after the start page is list_1 (discover drafts first_page = 1 so) was asked one page
    past its end, list_3.html, a failed list page every night."""
    from govreports.portals.adapters.generic import GenericAdapter

    base = "http://a.gov.cn/nb/"
    pages = {f"{base}{name}.html": "".join(f'<li><a href="/nb/a{k}{i}.html">某局{2024 - i}年政府信息公开工作年度报告</a>'
                                           f'</li>' for i in range(2)) + "<script>var totalPage = 3;</script>"
             for k, name in enumerate(names)}
    params = {"page_template": "list_{page}.html", "first_page": first_page,
              "page_count_pattern": r"""totalPage\s*=\s*(?:parseInt\(\s*)?['"]?(\d+)"""}
    portal = PortalConfig(name="t", adapter="generic", start_url=f"{base}list.html", params=params)
    ctx = FakeContext(pages)
    assert len(_collect(GenericAdapter(portal), ctx)) == 6
    assert [url for _, url in ctx.requested] == list(pages) and ctx.capped_at == []


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


def test_trs_pager_pages_resolve_against_the_pages_base_href():
    """The pager script writes `<a href="index_1.html">` into the page, and a browser resolves it against the page's
    <base href>, as it does the article links (read so since h2's review): the later pages were asked in the page's
    own folder, where a template with <base href> to the column's published folder has none (a 404 each night,
    their reports never listed). The same for a long article's later pages (t…_1.html)."""
    from govreports.portals.adapters.trs import article_pages

    start, column = "http://x.gov.cn/preview/nb/index.html", "http://x.gov.cn/zwgk/xxgknb/"
    head = f'<html><head><base href="{column}"></head><body>'
    row = '<li><a href="./202401/t20240115_{n}.html">X{n}局2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>'
    pages = {start: head + row.format(n=1) + '<script>createPageHTML(3, 0, "index", "html");</script>',
             column + "index_1.html": head + row.format(n=2)}
    trs = TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start, max_pages=2))
    ctx = FakeContext(pages)
    assert [x.url for x in _collect(trs, ctx)] == [column + "202401/t20240115_1.html",
                                                   column + "202401/t20240115_2.html"]
    assert ctx.requested == [("GET", start), ("GET", column + "index_1.html")]
    assert ctx.capped_at == [column + "index_2.html"]

    url = "http://x.gov.cn/preview/nb/202111/t20211108_2082308.html"
    article = ('<html><head><base href="http://x.gov.cn/zwgk/xxgknb/202111/"></head><body><p>一、总体情况</p>'
               '<script>createPageHTML(2, 0, "t20211108_2082308", "html");</script></body></html>')
    assert article_pages(article, url) == ["http://x.gov.cn/zwgk/xxgknb/202111/t20211108_2082308_1.html"]


def test_a_script_link_is_no_listing_whatever_the_case_of_its_scheme():
    """`href="JavaScript:void(0)"` (older templates' spelling; browsers read the scheme in any case) was taken for a
    link: a row titled as a report became a listing whose URL is `JavaScript:void(0)`, failed every night as on a
    host the portal does not name. `javascript:` in lower case was already passed over."""
    from govreports.portals.adapters.listpage import links, next_links, soup

    rows = ('<ul><li><a href="JavaScript:void(0)" onclick="show(1)">某局2023年政府信息公开工作年度报告</a>'
            '<span>2024-01-15</span></li><li><a href="JAVASCRIPT:;">某局2022年政府信息公开工作年度报告</a></li>'
            '<li><a href="MailTo:gk@x.gov.cn">某局2021年政府信息公开工作年度报告</a></li>'
            '<li><a href="./202301/t20230115_1.html">某局2022年政府信息公开年报</a></li></ul>'
            '<a href="JavaScript:next()">下一页</a>')
    page = soup(rows)
    assert [url for _, url, _ in links(page, "http://x.gov.cn/nb/")] == ["http://x.gov.cn/nb/202301/t20230115_1.html"]
    assert next_links(page, "http://x.gov.cn/nb/") == []


def test_a_countpage_pager_names_its_pages_as_its_script_writes_them():
    """The `var countPage = N` pager (the ordos form) writes its links itself: `"index"+"_" + i + "."+"shtml"`.
    Without a createPageHTML call the name and extension were guessed from the start URL, and a column configured
    by its folder (…/xxgknb/, as most configs are) was paged index_1.html, index_2.html…: a 404 a page every night
    where the site has index_1.shtml, unless its config said page_ext."""
    start = "http://x.gov.cn/xxgk/xxgknb/"
    row = '<li><a href="./202401/t20240115_{n}.shtml">X{n}局2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>'
    script = ('<script>var currentPage = 0;//所在页从0开始\nvar nextPage = currentPage+1//下一页\n'
              'var countPage = 3//共多少页\nfor(var i=0; i<countPage; i++){\nif(i>0) document.write("&nbsp;<a href=\\"'
              'list"+"_" + i + "."+"shtml\\">"+(i+1)+"</a>&nbsp;|");}\n'
              'document.write("<a href=\\"list_" + nextPage + ".shtml\\">下一页</a>");</script>')
    pages = {start: row.format(n=1) + script, start + "list_1.shtml": row.format(n=2),
             start + "list_2.shtml": row.format(n=3)}
    ctx = FakeContext(pages)
    got = _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx)
    assert len(got) == 3 and [u for _, u in ctx.requested] == list(pages)
    assert pager(pages[start]) == (3, "list", "shtml")


@pytest.mark.parametrize("label", ["下一页", "下一页&gt;", "下一页 &gt;&gt;", "[下一页]", "【下一页】", "下一页»", "下页 ›",
                                   "&lt;&lt;后一页&gt;&gt;"])
def test_a_next_page_link_dressed_with_arrows_or_brackets_is_followed(label):
    """Pagers dress the word: 下一页&gt;, 下一页 &gt;&gt;, [下一页], 下一页». Only the bare word was a next page: the generic
    adapter read a column's first page and ended there, unsaid, its later reports never listed."""
    from govreports.portals.adapters.listpage import next_links, soup

    page = soup(f'<a href="home_1.htm">{label}</a><a href="home_9.htm">下一页的内容</a><a href="x.htm">&gt;</a>')
    assert next_links(page, "http://x.gov.cn/a/home.htm") == ["http://x.gov.cn/a/home_1.htm"]


def test_a_report_packed_in_a_zip_is_an_attachment_read_after_the_others():
    """PORTALS.md §3 lists .zip among the attachments, and the parser reads the report packed in one
    (extract.packed): a page whose report was only `./P0….zip` had it never fetched, the page "not a report". Beside
    the report's own file it comes last: a zip beside a PDF is more often the annexes."""
    base = "http://x.gov.cn/xxgknb/202401/t20240111_1.html"
    assert find_attachments('<a href="./P020240111301904164862.zip">附件</a>', base) == [
        "http://x.gov.cn/xxgknb/202401/P020240111301904164862.zip"]
    both = '<a href="./P0202401.zip">附件</a><a href="./P0202401.xls">表</a><a href="./P0202401.pdf">年报</a>'
    assert find_attachments(both, base) == [f"http://x.gov.cn/xxgknb/202401/P0202401.{k}" for k in ("pdf", "xls", "zip")]
    assert find_attachments('<a href="/module/download/downfile.jsp?classid=0&filename=nb.zip">附件</a>', base) == [
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=nb.zip"]
