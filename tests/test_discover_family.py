"""`govreports discover`'s units, with no network: the words of links and breadcrumbs, and the CMS family of a column
told from one page (real pages from ../shared/samples/html, and the shapes PORTALS.md names), with what only the
site can answer given by a fake session."""

from __future__ import annotations

import re
import tomllib

import pytest

from conftest import SAMPLES, require_samples
from govreports.discover import draft
from govreports.discover.family import detect
from govreports.discover.pages import Page
from govreports.discover.signals import BARE, COLUMN, HUB, NONE, crumb_score, link_score


def page(text: str, url: str = "http://www.example.gov.cn/xxgk/xxgknb/index.html") -> Page:
    return Page(url, url, text)


# --- words ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,score", [
    ("政府信息公开年报", COLUMN), ("信息公开年报", COLUMN), ("政府信息公开工作年度报告", COLUMN),
    ("政府信息公开年度报告", COLUMN), ("公开年报", COLUMN), ("年度报告", BARE), ("年报", BARE),
    ("政府信息公开", HUB), ("政务公开", HUB), ("信息公开", HUB), ("信息公开目录", HUB), ("法定主动公开内容", HUB),
    # decoys and other look-alikes: never followed
    ("政府网站工作年度报表", NONE), ("网站工作年度报表", NONE), ("政务公开工作要点", NONE), ("统计年度报告", NONE),
    ("统计年报", NONE), ("政府信息公开指南", NONE), ("依申请公开", NONE),
    # an article, a pager link, news
    ("鄂尔多斯市2019年政府信息公开工作年度报告", NONE), ("2", NONE), ("下一页", NONE), ("市长调研", NONE),
])
def test_link_words(text, score):
    assert link_score(text) == score


def test_breadcrumbs_name_the_column():
    assert crumb_score("您现在的位置是： 首页 >> 信息公开 >> 信息公开年报") == COLUMN
    assert crumb_score("当前位置：首页 > 政府信息公开") == NONE  # a hub, not a column
    assert crumb_score("首页 > 政府信息公开 > 政府网站工作年度报表") == NONE


# --- families on real pages -----------------------------------------------------------------------------------------

def _sample(name: str) -> str:
    require_samples()
    return (SAMPLES / "html" / name).read_text(encoding="utf-8")


def test_trs_sample_is_trs_with_its_pager_script():
    text = _sample("trs_ordos_engebei_xxgknb_list.html")
    found = detect(page(text, "http://www.ordos.gov.cn/engebei/xxgk/xxgknb/index.html"))
    assert found.adapter == "trs" and found.params == {}
    assert "countPage" in found.pager and found.extra["count"] == 2 and found.pending == "trs-offset"
    titles = [item.title for item in found.reports]
    assert "鄂尔多斯市2019年政府信息公开工作年度报告" in titles
    assert not any("会议" in t for t in titles)  # the column's noise is listed but not a report
    assert page(text).column_name() == "信息公开年报"


def test_trs_create_page_html_call_gives_names_and_numbering():
    text = ('<table class="gl_list"><tr><td><a href="./202401/t20240115_1.shtml">某局2023年政府信息公开工作年度报告</a>'
            '</td><td>2024-01-15</td></tr></table><script>createPageHTML(3, 1, "index", "shtml");</script>')
    found = detect(page(text, "http://a.gov.cn/zwgk/xxgknb/index.shtml"))
    assert found.adapter == "trs" and found.params == {"page_ext": "shtml"}
    assert found.extra == {"count": 3, "name": "index", "ext": "shtml", "offset": 1,
                           "pages_at": "http://a.gov.cn/zwgk/xxgknb/index.shtml"}  # no <base href>: the page itself


def test_trs_page_two_is_probed_where_the_pager_links_resolve_its_base_href():
    """The pager script writes index_1.html into the page, which a browser resolves against the page's <base href>
    (as the adapter now pages it): discover asked page 2 in the page's own folder, where such a template has none,
    and said "page 2 did not answer", a 1-based column's page_offset never found."""
    import asyncio

    from govreports.discover.family import complete

    start, column = "http://a.gov.cn/preview/nb/index.shtml", "http://a.gov.cn/zwgk/xxgknb/"
    row = ('<tr><td><a href="./202401/t20240115_{n}.shtml">某局2023年政府信息公开工作年度报告{n}</a></td>'
           '<td>2024-01-15</td></tr>')
    head = f'<html><head><base href="{column}"></head><body><table class="gl_list">'
    text = head + row.format(n=1) + '</table><script>createPageHTML(3, 0, "index", "shtml");</script></body></html>'
    asked = []

    class Session:
        async def page(self, url, **kwargs):
            asked.append(url)
            if url != column + "index_2.shtml":  # a 1-based column: index_1 is not there
                return None
            return Page(url, url, head + row.format(n=2) + "</table></body></html>")

    found = asyncio.run(complete(detect(page(text, start)), Session()))
    assert asked == [column + "index_1.shtml", column + "index_2.shtml"]
    assert found.params == {"page_offset": 1, "page_ext": "shtml"} and "1-based" in found.pager


def test_trs_create_page_html_with_its_div_first_is_trs():
    """tobacco.gov.cn's call names the pager's <div> first: `createPageHTML("page_div", 50, 1, "szywlist", "shtml",
    1000)` (PORTALS.md §3), which the adapter reads; discover looked for a number as the first argument, found no
    TRS pager and offered the column as a generic one without its 49 later pages."""
    text = ('<ul class="list"><li><a href="./202401/t20240115_1.shtml">某局2023年政府信息公开工作年度报告</a>'
            '<span>2024-01-15</span></li></ul>'
            '<script>createPageHTML("page_div", 50, 1, "szywlist", "shtml", 1000);</script>')
    found = detect(page(text, "http://www.tobacco.gov.cn/html/27/szywlist.shtml"))
    assert found.adapter == "trs" and found.params == {"page_name": "szywlist", "page_ext": "shtml"}
    assert found.extra["count"] == 50 and found.extra["offset"] == 1 and found.pending == "trs-offset"


def test_trs_create_page_html_with_variables_of_other_names_is_trs():
    """`var pageCount = 3; var curPage = 1; createPageHTML(pageCount, curPage, "index", "html")`: the adapter reads
    the variables' values, discover looked for a number (or countPage) and offered the column as a generic one with
    a script page template."""
    text = ('<ul class="list"><li><a href="./202401/t20240115_1.html">某局2023年政府信息公开工作年度报告</a>'
            '<span>2024-01-15</span></li></ul><script>var pageCount = 3; var curPage = 1;'
            'createPageHTML(pageCount, curPage, "index", "html");</script>')
    found = detect(page(text, "http://a.gov.cn/zwgk/xxgknb/index.html"))
    assert found.adapter == "trs" and "createPageHTML" in found.pager
    assert (found.extra["count"], found.extra["offset"], found.pending) == (3, 1, "trs-offset")


def test_hanweb_sample_is_hanweb():
    column = "http://www.dingxi.gov.cn/col/col12377/index.html"
    found = detect(page(_sample("hanweb_dingxi_datastore_excerpt.xml"), column))
    assert found.adapter == "hanweb" and found.params == {}
    assert len(found.listings) == 6 and found.reports == []  # the excerpt's records are news and a 网站年度报表


def test_gkmlpt_category_from_the_tree():
    text = ("<script>window._CONFIG = {SID: '662021', TREE: [{id: 722, name: '政府网站工作年度报表'}, "
            "{id: 725, name: '信息公开年度报告'}, {id: 720, name: '政策文件'}]};</script>")
    found = detect(page(text, "http://www.sg.gov.cn/gkmlpt/index"), fragment="722")  # a decoy's fragment is ignored
    assert found.adapter == "gkmlpt" and found.params == {"category": 725} and found.pending == "gkmlpt"
    text = text.replace("信息公开年度报告", "政府信息公开年报")
    assert detect(page(text, "http://www.sg.gov.cn/gkmlpt/index")).params == {}  # the adapter finds it by name


def test_a_chinatax_post_list_api_from_the_column_script():
    """A column whose list only its script fills, POSTing chinatax's getFileListByCodeId (PORTALS.md §7): it was
    read as generic, "names no 信息公开 annual report", and rejected; it is json-api with the chinatax params, the
    list API's URL made absolute and the channelId the script names (not the page's c102384r)."""
    start = "https://www.chinatax.gov.cn/chinatax/n810214/c102384r/index.html?tab=gknb"
    text = ("<style>li {font-size: 14px}</style><input name=\"q\" size=\"30\"><ul id=\"fileList\"></ul>"
            "<script>var channelId = '61eaab3127b040d4950fff177f09e561', size = 20;"
            "fetch('/getFileListByCodeId', {method: 'POST', body: form});</script>")
    found = detect(page(text, start))
    assert found.adapter == "json-api" and found.pending == "json-api" and found.params == {
        "list_url": "https://www.chinatax.gov.cn/getFileListByCodeId", "method": "POST",
        "form": {"channelId": "61eaab3127b040d4950fff177f09e561", "page": "{page}", "size": "20",
                 "relateSubChannels": "true"},
        "items": "results.data.results", "title_field": "titleHtml", "url_field": "url",
        "date_field": "publishedTimeStr", "total_field": "results.data.total"}
    block = draft.block(name="chinatax", adapter=found.adapter, title="t", start_url=start, params=found.params)
    assert tomllib.loads(block)["portal"][0]["params"] == found.params  # the form written as an inline table
    assert detect(page(text.replace("channelId", "channel"), start)).adapter == "generic"  # no channel: not it


def _jpaas_answering(rows: str):
    """A fetch session answering every URL as a jpaas list unit does (its list as an HTML fragment in data.html),
    and the URLs it was asked."""
    import json

    asked = []

    class Session:
        async def fetch(self, url, **kwargs):
            asked.append(url)

            class Reply:
                ok = True
                text = json.dumps({"success": True, "data": {"html": f'<ul class="list">{rows}</ul>'}})
            return Reply()

    return Session(), asked


def test_a_jpaas_column_is_the_json_api_its_unitbuild_script_names():
    """A jpaas 集约化 column page (PORTALS.md §4; 浙江/江苏 sites, mohurd, miit) holds no list: a
    <script src="/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
    queryData="{'webId':…,'pageId':…,'tagId':…}"> asks it, with paramJson={"pageNo":N,"pageSize":15}, and the answer's
    data.html holds the rows (as third-party crawlers of these sites read it). detect had no rule for it: read as
    generic, a column with no report link. It is json-api on that URL, the list unit's queryData (not a nav unit's)
    and the page number in paramJson; complete reads its first page."""
    import asyncio

    from govreports.discover.family import complete

    start = "https://www.taizhou.gov.cn/col/col4785/index.html"
    api = "/api-gateway/jpaas-publish-server/front/page/build/unit"

    def unit(tag: str) -> str:
        query = (f"{{'webId':'a1b2','pageId':'4785','tplSetId':'t9','tagId':'{tag}','parseType':'bulidstatic',"
                 "'pageType':'column','editType':'null'}")
        return f'<script id="u{len(tag)}" src="/AuthorizedRead/unitbuild.js" url="{api}" queryData="{query}"></script>'

    text = f"<div class='nav'>{unit('导航')}</div><div class='main'>{unit('信息列表')}</div>"
    found = detect(page(text, start))
    assert found.adapter == "json-api" and found.pending == "json-api"
    url = found.params["list_url"]
    assert url.startswith("https://www.taizhou.gov.cn" + api + "?") and found.params["items"] == "data.html"
    assert "tagId=%E4%BF%A1%E6%81%AF%E5%88%97%E8%A1%A8" in url and "pageId=4785" in url and "webId=a1b2" in url
    assert url.endswith('&paramJson={"pageNo":{page},"pageSize":15}')
    block = draft.block(name="tz", adapter=found.adapter, title="t", start_url=start, params=found.params)
    assert tomllib.loads(block)["portal"][0]["params"] == found.params
    rows = ('<li class="clearfix"><a href="/art/2024/1/15/art_4785_11.html" title="泰州市2023年政府信息公开工作年度'
            '报告">泰州市2023年...</a><span>2024-01-15</span></li>')
    session, asked = _jpaas_answering(rows)
    done = asyncio.run(complete(found, session))
    assert [x.url for x in done.listings] == ["https://www.taizhou.gov.cn/art/2024/1/15/art_4785_11.html"]
    assert asked == [url.replace("{page}", "1")]
    assert detect(page(text.replace("queryData", "data-x"), start)).adapter == "generic"  # no queryData: not it


def test_numbered_pages_and_next_links_are_generic():
    rows = "".join(f'<li><h4><a href="../content/{i}.htm">某部{2024 - i}年政府信息公开工作年度报告</a></h4>'
                   f'<span class="date">{2025 - i}-01-20</span></li>' for i in range(5))
    govcn = detect(page(f'<ul>{rows}</ul><div class="pages"><a href="home_1.htm">2</a><a href="home_1.htm">下一页</a>'
                        "</div>", "http://www.gov.cn/zhengce/xxgknb/home.htm"))
    assert govcn.adapter == "generic"
    pattern = govcn.params["page_pattern"]
    assert re.search(pattern, "http://www.gov.cn/zhengce/xxgknb/home_12.htm")
    assert not re.search(pattern, "http://www.gov.cn/zhengce/other/home_1.htm")
    plain = detect(page(f'<ul>{rows}</ul><a href="list?p=2">下一页</a>', "http://a.gov.cn/nb/list"))
    assert plain.adapter == "generic" and plain.params == {} and "下一页" in plain.pager
    assert len(plain.reports) == 5 and plain.reports[0].list_date == "2025-01-20"


def test_rows_without_report_links_get_css_selectors():
    rows = "".join(f'<div class="doc-row"><span class="doc-title" title="某局{2024 - i}年政府信息公开工作年度报告">'
                   f'某局{2024 - i}年政府信息…</span><a class="doc-open" href="/doc/{i}">查看</a>'
                   f'<em class="doc-time">{2025 - i}-01-0{i + 1}</em></div>' for i in range(4))
    found = detect(page(f'<div class="doc-list">{rows}</div><a class="pg-next" href="?page=2">›</a>',
                        "http://a.gov.cn/xxgk/nb/list"))
    assert found.adapter == "generic"
    assert found.params == {"item_selector": "div.doc-row", "title_selector": "span.doc-title", "title_attr": "title",
                            "link_selector": "a.doc-open", "date_selector": "em.doc-time",
                            "next_selector": "a.pg-next"}
    assert [item.title for item in found.reports][:1] == ["某局2024年政府信息公开工作年度报告"]
    assert found.reports[0].url == "http://a.gov.cn/doc/0" and found.reports[0].list_date == "2025-01-01"


def test_a_chinatax_list_with_one_broken_item_url_still_names_its_reports():
    """The first page of a json-api column read by discover, one of its items a CMS placeholder link
    (`http://[站群地址]/…`, which makes urljoin raise ValueError; base.absolute's real case): the column was rejected
    ("its family could not be told: ValueError") though the adapter lists it, passing that one item over."""
    import asyncio
    import json

    from govreports.discover.family import complete

    start = "https://www.chinatax.gov.cn/chinatax/n810214/c102384r/index.html?tab=gknb"
    text = ("<ul id=\"fileList\"></ul><script>var channelId = '61eaab3127b040d4950fff177f09e561', size = 20;"
            "fetch('/getFileListByCodeId', {method: 'POST', body: form});</script>")
    items = [{"titleHtml": "国家税务总局<font color='red'>2022年</font>政府信息公开工作年度报告", "url": "/n810214/c5182.html",
              "publishedTimeStr": "2023-01-18 10:00:00"},
             {"titleHtml": "国家税务总局2021年政府信息公开工作年度报告", "url": "http://[站群地址]/n810214/c5100.html",
              "publishedTimeStr": "2022-01-20 10:00:00"}]

    class Session:
        async def fetch(self, url, **kwargs):
            class Reply:
                ok = True
                text = json.dumps({"results": {"data": {"results": items, "total": 2}}})
            return Reply()

    found = asyncio.run(complete(detect(page(text, start)), Session()))
    assert [(x.title, x.url) for x in found.listings] == [
        ("国家税务总局2022年政府信息公开工作年度报告", "https://www.chinatax.gov.cn/n810214/c5182.html")]


def test_a_json_api_column_answering_an_html_fragment_names_its_reports():
    """discover reads a json-api column's first page as the adapter does (test_portal_jsonapi): a jpaas answer's list
    is an HTML fragment (`data.html`), its links the items, resolved against the column's page. `_json_list` took
    only a JSON list: the fragment listed nothing, and its {page} and a relative list_url were asked as written."""
    import asyncio

    from govreports.discover.family import Family, complete

    start = "https://www.taizhou.gov.cn/col/col4785/index.html"
    api = '/api-gateway/jpaas-publish-server/front/page/build/unit?webId=1&paramJson={"pageNo":{page},"pageSize":15}'
    rows = ('<li class="clearfix"><a href="../../art/2024/1/15/art_4785_11.html" title="泰州市2023年政府信息公开工作年度'
            '报告">泰州市2023年...</a><span>2024-01-15</span></li>')
    session, asked = _jpaas_answering(rows)
    family = Family("json-api", start, {"list_url": api, "items": "data.html"}, pending="json-api")  # defaults left out
    found = asyncio.run(complete(family, session))
    assert [(x.title, x.url, x.list_date) for x in found.listings] == [
        ("泰州市2023年政府信息公开工作年度报告", "https://www.taizhou.gov.cn/art/2024/1/15/art_4785_11.html", "2024-01-15")]
    assert asked == ["https://www.taizhou.gov.cn" + api.replace("{page}", "1")]


def test_a_link_cut_short_is_read_by_its_title_attribute():
    """Menus cut long labels (政府信息公开工作年...) and keep the whole one in title=, as list rows do (PORTALS.md
    §4): the walk read the cut text, saw no column's words and never followed the link."""
    links = page('<a href="/xxgk/" title="政府信息公开">政府信息...</a>'
                 '<a href="nb/" title="政府信息公开工作年度报告">政府信息公开工作年…</a>'
                 '<a href="zn/" title="点击进入">政府信息公开指南</a>').links
    assert [(link.text, link_score(link.text)) for link in links] == [
        ("政府信息公开", HUB), ("政府信息公开工作年度报告", COLUMN), ("政府信息公开指南", NONE)]


def test_a_link_that_opens_its_page_by_script_is_followed_there():
    """<a href="javascript:void(0)" onclick="window.open('/xxgk/')">: older menus open pages by script; the walk
    skipped every javascript: link, and such a menu led nowhere."""
    links = page('<a href="javascript:void(0)" onclick="window.open(\'/xxgk/\')">政府信息公开</a>'
                 '<a href="javascript:location.href=\'nb/\'">信息公开年报</a>'
                 '<a href="javascript:void(0)" onclick="search()">搜索</a>'
                 '<a href="#" onclick="window.location.href = \'/zn/\'; return false;">政府信息公开指南</a>').links
    assert [(link.text, link.url) for link in links] == [
        ("政府信息公开", "http://www.example.gov.cn/xxgk/"), ("信息公开年报", "http://www.example.gov.cn/xxgk/xxgknb/nb/"),
        ("政府信息公开指南", "http://www.example.gov.cn/zn/")]


def test_a_refresh_for_browsers_without_javascript_is_not_where_the_page_goes():
    """<noscript><meta http-equiv="refresh" content="0;url=/nojs.html"></noscript> sends only a browser without
    JavaScript on; a person's browser stays on the page, and so does the walk."""
    noscript = page('<html><head><noscript><meta http-equiv="refresh" content="0;url=/nojs.html"></noscript></head>'
                    '<body><a href="/xxgk/">政府信息公开</a></body></html>')
    assert noscript.redirect is None
    assert page('<html><head><meta http-equiv="refresh" content="0;url=/portal/"></head></html>').redirect == \
        "http://www.example.gov.cn/portal/"


@pytest.mark.parametrize("text,score", [
    ("【政务公开】", HUB), ("·政务公开", HUB), ("» 政务公开", HUB), ("政务公开>>", HUB), ("[信息公开]", HUB),
    ("政务公开(12)", HUB), ("1.政务公开", HUB), ("年报>>", BARE), ("【年度报告】", BARE), ("年度报告(5)", BARE),
    ("◆信息公开年报", COLUMN),
    # still not followed: a pager's link, a decoy in brackets
    (">>", NONE), ("【政府网站工作年度报表】", NONE), ("·统计年报", NONE),
])
def test_link_words_in_a_menus_decoration(text, score):
    """Menus wrap their labels in bullets, brackets, arrows and counts (【政务公开】, ·政务公开, 年报>>, 政务公开(12)):
    a hub or a bare 年报 so dressed scored as no link at all, and the walk never followed it."""
    assert link_score(text) == score


def test_an_image_link_without_words_on_a_report_column_path_is_followed():
    """`<a href="/xxgk/xxgknb/"><img src="nb.png"></a>`, an image button with no alt text: the words check came
    first and an empty label was no link, though a terse one on the same path was (BARE)."""
    [link] = page('<a href="/xxgk/xxgknb/"><img src="nb.png"></a>').links
    assert link.text == "" and link_score(link.text, link.url) == BARE
    assert link_score("", "http://www.example.gov.cn/xxgk/wzndbb/") == NONE  # a decoy's path
    assert link_score("", "http://www.example.gov.cn/news/") == NONE


def test_a_more_link_is_read_by_its_boxs_heading():
    """A hub shows each column as a box: a heading (信息公开年报), the latest few items, and 更多>> to the column.
    The 更多 link scored as no link (its path /col/col12377/ says nothing), so the walk never reached the column,
    and started from the hub it drafted the hub itself, whose box lists only the latest reports."""
    hub = page('<div class="box"><div class="box-hd"><h3>信息公开年报</h3><a class="more" href="/col/col12377/">'
               '更多&gt;&gt;</a></div><ul><li><a href="/art/1.html">某市2023年政府信息公开工作年度报告</a></li></ul></div>'
               '<div class="box"><span class="tit">政策文件</span><a href="/col/col5/">MORE+</a></div>'
               '<table><tr><td class="lm_title">政务公开</td><td><a href="/col/col7/">查看更多</a></td></tr></table>'
               '<a href="/col/col9/">更多</a>')
    words = {link.url.rsplit("/", 2)[-2]: link.text for link in hub.links}
    assert words == {"col12377": "信息公开年报", "art": "某市2023年政府信息公开工作年度报告", "col5": "政策文件",
                     "col7": "政务公开", "col9": "更多"}
    assert [link_score(words[k]) for k in ("col12377", "col5", "col7", "col9")] == [COLUMN, NONE, HUB, NONE]
