"""Where a listing ends, and what it says when that is early: list APIs' counts and pages, Hanweb's totalRecord,
answers that are not the list, links that cannot be made absolute, and template pagers (no network)."""

from __future__ import annotations

import pytest

from govreports.portals.adapters.hanweb import HanwebAdapter
from govreports.portals.adapters.trs import TrsAdapter
from govreports.portals.config import PortalConfig
from portalhelp import FakeContext, _collect


def _hanweb_column(ids, total: int, nextgroup: bool = True, pager: str = "") -> str:
    """A Hanweb column page: records `ids` in its <datastore> island, jpage's totalRecord `total` (`pager`: more
    of the jpage call's fields)."""
    records = "".join(f'<record><![CDATA[<li><a href="/art/2023/1/{k}/art_100_{k}.html">某局2022年政府信息公开'
                      f'工作年度报告{k}</a><span>2023-01-{k:02d}</span></li>]]></record>' for k in ids)
    link = ('<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=100&unitid=555">'
            '</a>]]></nextgroup>') if nextgroup else ""
    return (f'<div id="555"><script type="text/xml"><datastore>{link}<recordset>{records}</recordset></datastore>'
            f"</script></div><script>$('#555').jpage({{totalRecord:{total},perPage:3,groupSize:1,"
            f"proxyUrl:'/module/web/jpage/dataproxy.jsp'{pager}}});</script>")


_AJAX_PARAM = ",ajaxParam:{col:1,appid:1,webid:'7',path:'/',columnid:100,unitid:\"555\",webname:'某局'}"


@pytest.mark.parametrize("case", ["empty-recordset", "page-facts", "ajax-param", "nothing-to-ask", "whole"])
def test_a_hanweb_listing_that_ends_before_its_total_record_is_named(case):
    """dataproxy.jsp answering an empty recordset (a request it rejects), or a page that names no column and unit
    to build the request from, ended the listing after the island's 3 of 12 records, nothing recorded, every
    night. A page without a <nextgroup> template (older ones) is read on: its jpage call's ajaxParam, else the page's
    own column (/col/col100/), unit (the island's div) and site (visit.jsp's i_webid) make the request."""
    start = ("http://a.gov.cn/module/jpage/column.jsp?id=100" if case in ("ajax-param", "nothing-to-ask")
             else "http://a.gov.cn/col/col100/index.html")
    proxy = "http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=12&perpage=3"
    rest = "<datastore><totalrecord>12</totalrecord><recordset></recordset></datastore>" \
        if case == "empty-recordset" else _hanweb_column(range(4, 13), 12)
    page = _hanweb_column(range(1, 4), 12, nextgroup=case in ("whole", "empty-recordset"),
                          pager=_AJAX_PARAM if case == "ajax-param" else "")
    if case == "page-facts":
        page += '<script src="/module/visitcount/visit.jsp?type=1&i_webid=9"></script>'
    elif case == "nothing-to-ask":
        page = page.replace('<div id="555">', "<div>").replace("$('#555')", "$('.list')")
    ctx = FakeContext({start: page, proxy: rest})
    got = _collect(HanwebAdapter(PortalConfig(name="hw", adapter="hanweb", start_url=start)), ctx)
    if case == "empty-recordset":
        assert len(got) == 3 and ctx.short_at == [(proxy, 3, 12, False)]
    elif case == "nothing-to-ask":
        assert len(got) == 3 and ctx.short_at == [(start, 3, 12, False)] and "no <nextgroup>" in ctx.short_why
        assert ctx.requested == [("GET", start)]
    else:
        assert len(got) == 12 and ctx.short_at == [] and ctx.capped_at == []
        assert ctx.requested == [("GET", start), ("POST", proxy)]
        webid = {"whole": "1", "page-facts": "9", "ajax-param": "7"}[case]
        assert {k: ctx.forms[1][k] for k in ("columnid", "unitid", "webid")} == {
            "columnid": "100", "unitid": "555", "webid": webid}
        if case == "ajax-param":
            assert ctx.forms[1]["webname"] == "某局"


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


def test_a_gkmlpt_answer_without_its_articles_is_named_not_listed_as_empty():
    """A first list page answering JSON without `articles` (an error object such as {"code": 500, "msg": "系统繁忙"},
    an API that moved its list under `data`) was taken for an empty column: "0 listing(s)", the crawl exit 0. It
    is now a failed list page naming what the answer holds, as json-api's is. `{"articles": []}`, or a total of 0,
    is still an empty column."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter

    start = "http://www.gd.gov.cn/gkmlpt/index"
    page = "<script>var SID: 'gd001'; var nodes = [{id: 2001, name: '政府信息公开年报'}]</script>"
    api = "http://www.gd.gov.cn/gkmlpt/api/all/2001?page=1&sid=gd001"
    portal = PortalConfig(name="gd", adapter="gkmlpt", start_url=start)
    ctx = FakeContext({start: page, api: '{"code": 500, "msg": "系统繁忙"}'})
    assert _collect(GkmlptAdapter(portal), ctx) == []
    assert [u for u, _ in ctx.unreadable_at] == [api]
    assert "no 'articles' in the answer (it holds: code, msg)" in ctx.unreadable_at[0][1]
    for empty in ('{"articles": []}', '{"articles": null, "total": 0}', '{"total": 0}'):
        ctx = FakeContext({start: page, api: empty})
        assert _collect(GkmlptAdapter(portal), ctx) == [] and ctx.unreadable_at == [], empty


def test_a_hanweb_start_page_that_is_no_column_is_named_not_listed_as_empty():
    """A start_url that is no Hanweb column page (the site's home page pasted for its column, a TRS or jpaas page
    given the hanweb adapter) has no <datastore> island and no jpage totalRecord: the listing ended at once, nothing
    recorded, `--dry-run` "0 listing(s)" and the crawl exit 0, as gkmlpt's did before it named a page without its
    SID. It is now a failed list page saying what the page lacks. An empty column (an island with no record,
    totalRecord:0) lists nothing and is not a failure; nor is an older page whose records are asked for by its jpage
    call alone."""
    start = "http://a.gov.cn/col/col100/index.html"
    home = ('<html><body><ul class="nav"><li><a href="/col/col100/index.html">政府信息公开年报</a></li>'
            '<li><a href="/art/2023/1/2/art_7_1.html">某局召开2023年度工作会议</a></li></ul></body></html>')
    ctx = FakeContext({start: home})
    assert _collect(HanwebAdapter(PortalConfig(name="hw", adapter="hanweb", start_url=start)), ctx) == []
    assert [u for u, _ in ctx.unreadable_at] == [start] and "no Hanweb <datastore>" in ctx.unreadable_at[0][1]
    empty = FakeContext({start: _hanweb_column([], 0)})
    assert _collect(HanwebAdapter(PortalConfig(name="hw", adapter="hanweb", start_url=start)), empty) == []
    assert empty.unreadable_at == [] and empty.short_at == []
    older = _hanweb_column([], 3).replace("<datastore>", "").replace("</datastore>", "").replace("<recordset>", "")
    proxy = "http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=3&perpage=3"
    ctx = FakeContext({start: older, proxy: _hanweb_column([1, 2, 3], 3)})
    assert len(_collect(HanwebAdapter(PortalConfig(name="hw", adapter="hanweb", start_url=start)), ctx)) == 3
    assert ctx.unreadable_at == []


def _trs_column(rows: str) -> str:
    """A TRS column page: a nav menu and a crumb (the column's own entry, titled as reports, no date), `rows`."""
    return (f'<html><body><ul class="nav"><li><a href="/zwgk/xxgknb/index.html">政府信息公开年报</a></li></ul>'
            f'<div class="crumb"><a href="/">首页</a> &gt; <a href="./">政府信息公开年报</a></div>'
            f'<ul class="list">{rows}</ul><script>createPageHTML(1, 0, "index", "html");</script></body></html>')


def test_a_trs_article_pattern_that_matches_no_listed_report_is_named_not_listed_as_empty():
    """A TRS list page that answered with rows of reports, none of whose links `article_pattern` matches (a site
    whose articles are /art/…/art_N.html, a pattern written for .shtml where the site says .html), listed nothing
    and said nothing: `--dry-run` "0 listing(s)", the crawl exit 0 with a nothing_found warning. It is now a failed
    list page naming the pattern and a link it left out, as generic's selectors and json-api's fields are. A column
    that lists no article at all (a menu and a crumb titled 政府信息公开年报, no dated row; the demo's front page
    given for a moved column, which test_health wants `empty`) is an empty column, not a failure."""
    start = "http://a.gov.cn/zwgk/xxgknb/index.html"
    rows = "".join(f'<li><a href="/art/2024/1/{k}/art_100_{k}.html" title="某局{2020 + k}年政府信息公开工作年度报告">'
                   f'某局{2020 + k}年…</a><span>2024-01-{k:02d}</span></li>' for k in (1, 2))
    shtml = {"article_pattern": r"t\d{8}_\d+\.shtml$"}
    for params, link in (({}, "http://a.gov.cn/art/2024/1/1/art_100_1.html"),
                         (shtml, "http://a.gov.cn/zwgk/xxgknb/202401/t20240115_1.html")):
        listed = rows if not params else rows.replace("/art/2024/1/1/art_100_1.html", "./202401/t20240115_1.html")
        page = _trs_column(listed)
        ctx = FakeContext({start: page})
        portal = PortalConfig(name="t", adapter="trs", start_url=start, params=params)
        assert _collect(TrsAdapter(portal), ctx) == []
        assert [u for u, _ in ctx.unreadable_at] == [start], ctx.unreadable_at
        pattern = params.get("article_pattern", TrsAdapter.defaults()["article_pattern"])
        assert f"article_pattern {pattern!r} matched no link" in ctx.unreadable_at[0][1]
        assert "2 dated link(s) titled as annual reports" in ctx.unreadable_at[0][1] and link in ctx.unreadable_at[0][1]
    news = '<li><a href="/art/2024/1/3/art_7_3.html">某局召开2024年度工作会议</a><span>2024-01-03</span></li>'
    for empty in (_trs_column(""), _trs_column(news)):  # no article at all; a dated row that is no report
        ctx = FakeContext({start: empty})
        assert _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx) == []
        assert ctx.unreadable_at == []
    from govreports.demo.chrome import root_index  # the demo's front page: 信息公开年报 links to other columns
    ctx = FakeContext({start: root_index(lambda path: path)})
    assert _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx) == []
    assert ctx.unreadable_at == []
    later = {start: _trs_column(rows.replace("/art/2024/1/1/art_100_1.html", "./202401/t20240115_1.html"))
             .replace("createPageHTML(1,", "createPageHTML(2,"),
             start.replace("index.html", "index_1.html"): _trs_column(rows)}  # a later page: first page only
    ctx = FakeContext(later)
    got = _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx)
    assert [x.url for x in got] == ["http://a.gov.cn/zwgk/xxgknb/202401/t20240115_1.html"] and ctx.unreadable_at == []


def test_a_later_trs_list_page_that_lists_no_article_is_named_not_passed_over():
    """A column whose pager counts 3 pages, its index_1.html answering 200 with the column's template and no row (a
    page regenerated empty, an error page served as 200): its reports were not listed and the listing went on to
    index_2, without a word, the portal "ok". Such a page is a failed list page now, as page 1 lacking its list is.
    A later page of dated rows none of which article_pattern matches (news; reports linked elsewhere, as an older
    system's: the first page's rows matched, the pattern is right) is passed over as before."""
    start = "http://a.gov.cn/zwgk/xxgknb/index.html"

    def rows(*ks, href="./202401/t2024011{k}_{k}.html"):
        return "".join(f'<li><a href="{href.format(k=k)}">某局{2010 + k}年政府信息公开工作年度报告</a>'
                       f"<span>2024-01-1{k}</span></li>" for k in ks)

    def column(listed: str) -> str:
        return _trs_column(listed).replace("createPageHTML(1,", "createPageHTML(3,")

    news = '<li><a href="/xw/1.html">某局召开2024年度工作会议</a><span>2024-01-03</span></li>'
    for later, named in ((column(""), "lists no article"), (column(rows(4, href="/art/2024/1/{k}/art_1_{k}.html")),
                                                              None), (column(news), None)):
        pages = {start: column(rows(1, 2)), start.replace("index", "index_1"): later,
                 start.replace("index", "index_2"): column(rows(3))}
        ctx = FakeContext(pages)
        portal = PortalConfig(name="t", adapter="trs", start_url=start, params={"page_offset": 0})
        got = _collect(TrsAdapter(portal), ctx)
        assert [x.url.rsplit("_", 1)[-1] for x in got] == ["1.html", "2.html", "3.html"], named
        if named is None:
            assert ctx.unreadable_at == []
        else:
            assert [u for u, _ in ctx.unreadable_at] == [start.replace("index", "index_1")], named
            assert named in ctx.unreadable_at[0][1]
    # the first page so served, of a column whose pager counts 3: its reports lost, the later pages listed, and the
    # portal's health saw items listed (`empty` names a column that lists nothing at all): named, the rest read
    pages = {start: column(""), start.replace("index", "index_1"): column(rows(1, 2)),
             start.replace("index", "index_2"): column(rows(3))}
    ctx = FakeContext(pages)
    got = _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start, params={"page_offset": 0})), ctx)
    assert [x.url.rsplit("_", 1)[-1] for x in got] == ["1.html", "2.html", "3.html"]
    assert [u for u, _ in ctx.unreadable_at] == [start] and "page 1 of the 3" in ctx.unreadable_at[0][1]


def test_an_empty_trs_column_whose_crumb_row_shows_the_date_is_empty_not_a_failed_pattern():
    """Table-layout portals put the crumb and today's date in one row ('当前位置：首页 > 信息公开年报 | 2026年12月7日
    星期一'), and a menu may do the same: the column's own link, and a sibling column's, then stood in a dated row
    titled as annual reports. An empty column (no article yet) was a failed list page telling the user to change
    article_pattern, naming the column itself as the report it missed. A link to a column (a folder, an index page)
    is no article."""
    start = "http://a.gov.cn/zwgk/xxgknb/index.html"
    crumb = ('<table><tr><td>当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="./">'
             '信息公开年报</a></td><td>2026年12月7日 星期一</td></tr>'
             '<tr><td><a href="/zwgk/xxgknb/index.html">政府信息公开年报</a> <a href="/bm/nb/index.shtml">部门信息公开年报'
             '</a></td><td>2026-12-07</td></tr></table>')
    page = _trs_column("").replace("<body>", "<body>" + crumb, 1)
    ctx = FakeContext({start: page})
    assert _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx) == []
    assert ctx.unreadable_at == []
    rows = '<li><a href="/art/2024/1/1/art_100_1.html">某局2023年政府信息公开工作年度报告</a><span>2024-01-01</span></li>'
    ctx = FakeContext({start: _trs_column(rows).replace("<body>", "<body>" + crumb, 1)})  # a report it misses: named
    assert _collect(TrsAdapter(PortalConfig(name="t", adapter="trs", start_url=start)), ctx) == []
    assert "1 dated link(s)" in ctx.unreadable_at[0][1] and "art_100_1.html" in ctx.unreadable_at[0][1]


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
    # a count below the items already read is not the column's (gov.cn's search API: totalCount 0 beside its
    # items): the listing stopped after page 1, whole as far as that count said, every night; the pages decide
    # A count of 0 beside items is "not counted" (gov.cn's always is): not named
    got, ctx = run({1: page([1, 2], 0), 2: page([3, 4], 0), 3: page([5], 0), 4: page([], 0)})
    assert len(got) == 5 and ctx.short_at == [] and ctx.capped_at == [] and ctx.miscounted_at == []
    got, ctx = run({1: page([1, 2], 1), 2: page([3], 1), 3: page([3], 1)})  # a stale count, then clamped
    assert len(got) == 3 and ctx.short_at == []
    # a count of 1 beside 2 items (a gkmlpt page whose "total": 1 sits beside 20 articles) was dropped unsaid: named
    # once, against the page that gave it, as Hanweb's <totalrecord> is
    assert ctx.miscounted_at == [(url(1), 2, 1)]
    got, ctx = run({1: page([1, 2], 3), 2: page([3, 4], 3), 3: page([5], 3), 4: page([], 3)})  # below on page 2
    assert len(got) == 5 and ctx.short_at == [] and ctx.miscounted_at == [(url(2), 4, 3)]
    if adapter == "json-api":  # without total_field, nothing is counted: as before
        params.pop("total_field")
        got, ctx = run({n: page([1, 2], 5) for n in range(1, 7)})
        assert got == ["1.html", "2.html"] and ctx.short_at == []


@pytest.mark.parametrize("adapter", ["json-api", "gkmlpt"])
@pytest.mark.parametrize("end", ["empty", "repeated"])
def test_a_list_api_past_a_count_not_believed_that_ends_at_an_empty_or_repeated_page_after_a_full_one_names_it(
        adapter, end):
    """Past a count not believed (1, beside 2 items), the pages say where the column ends: it read on while pages
    came and ended at an empty page, or one of items listed before (an API that ignores the page number), without a
    word: the column's end or a request the server stopped answering, a run's log could not tell. Named (noted, not
    failed) against that page, as Hanweb's dataproxy answers are, when the page before it was full; after a short
    page (the column's last) or beside a count of 0 (gov.cn's, never a count) the end is the pages' own, unsaid."""
    import json

    make, params, url, entry = _list_api(adapter, items="data.list", total_field="data.total")

    def page(ids, total):
        articles = [{"title": f"某县{k}年政府信息公开工作年度报告", "url": f"/r/{k}.html"} for k in ids]
        return json.dumps({"articles": articles, "total": total} if adapter == "gkmlpt" else
                          {"data": {"list": articles, "total": total}})

    def run(pages: dict[int, str]) -> tuple[list[str], FakeContext]:
        ctx = FakeContext({**entry, **{url(n): text for n, text in pages.items()}})
        portal = PortalConfig(name="x", adapter=adapter, start_url=API_START, max_pages=5, params=params)
        return [x.url.rsplit("/", 1)[-1] for x in _collect(make(portal), ctx)], ctx

    last = page([], 1) if end == "empty" else page([3, 4], 1)
    got, ctx = run({1: page([1, 2], 1), 2: page([3, 4], 1), 3: last})
    assert got == [f"{k}.html" for k in range(1, 5)] and ctx.short_at == [] and ctx.capped_at == []
    assert ctx.miscounted_at == [(url(1), 2, 1), (url(3), 4, 1)]
    assert ("empty" if end == "empty" else "listed before") in ctx.miscounted_why
    last = page([], 1) if end == "empty" else page([5], 1)
    got, ctx = run({1: page([1, 2], 1), 2: page([3, 4], 1), 3: page([5], 1), 4: last})  # after a short page
    assert len(got) == 5 and ctx.miscounted_at == [(url(1), 2, 1)]
    last = page([], 0) if end == "empty" else page([3, 4], 0)
    got, ctx = run({1: page([1, 2], 0), 2: page([3, 4], 0), 3: last})  # no count (0): the pages' own end
    assert len(got) == 4 and ctx.miscounted_at == [] and ctx.short_at == []


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


@pytest.mark.parametrize("params", [{}, {"item_selector": "ul li"}], ids=["links", "selectors"])
def test_a_counted_template_page_that_shows_nothing_new_is_named_not_passed_over(params):
    """Pages by `page_template` up to the count `page_count_pattern` reads (createPage(4): four pages): one of them
    answering 200 with the column's template and no row, or with page 1's rows again (a server that ignored the
    number that night), was passed over without a word, its reports not listed, the portal "ok". Within the count
    such a page is no page past the end: it is a failed list page now, and the pages after it are still read."""
    from govreports.portals.adapters.generic import GenericAdapter

    base = "http://a.gov.cn/nb/"

    def page(*items):
        return "<ul>" + "".join(f'<li><a href="/nb/{h}.html">{t}</a><span>2023-01-15</span></li>' for h, t in items) \
            + '</ul><a href="/">首页</a><script>createPage(4)</script>'

    def reports(tag):
        return page(*((f"{tag}{i}", f"某局{2014 + i}年政府信息公开工作年度报告") for i in range(2)))

    for nothing in (page(), reports("a")):
        pages = {f"{base}index.html": reports("a"), f"{base}index_2.html": nothing,
                 f"{base}index_3.html": reports("b"), f"{base}index_4.html": reports("c")}
        ctx = FakeContext(pages)
        counted = {"page_template": "index_{page}.html", "page_count_pattern": r"createPage\((\d+)\)"}
        portal = PortalConfig(name="t", adapter="generic", start_url=f"{base}index.html", params={**counted, **params})
        got = _collect(GenericAdapter(portal), ctx)
        assert [x.url.rsplit("/", 1)[-1] for x in got] == [f"{t}{i}.html" for t in "abc" for i in range(2)]
        assert [u for u, _ in ctx.unreadable_at] == [f"{base}index_2.html"]
        assert "page 2 of the 4" in ctx.unreadable_at[0][1] and ctx.capped_at == []


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


@pytest.mark.parametrize("params", [{"item_selector": "ul.l li", "next_selector": "a.next"}, {}],
                         ids=["selectors", "links"])
def test_a_next_link_pager_ends_at_a_page_that_shows_nothing_new(params):
    """A pager whose 下一页 link always names the page after (`list?page=N+1`) on a server that clamps a number past
    the end to its last page: every page past the end repeated the last one, with a next link to one more, so the
    listing read to max_pages — 200 requests a night for a column of 3 pages — and then recorded a false
    max_pages failure, the portal partial every night (as list APIs did before they ended at a page of nothing
    new). A page reached by a link that shows no row no page before it did leads nowhere."""
    from govreports.portals.adapters.generic import GenericAdapter

    def page(n: int) -> str:
        k = min(n, 3)  # the server's clamp
        rows = "".join(f'<li><a href="/r/{k}_{i}.html">某县{2010 + k * 3 + i}年政府信息公开工作年度报告</a></li>'
                       for i in range(3))
        return f'<ul class="l">{rows}</ul><a class="next" href="list?page={n + 1}">下一页</a>'

    class Clamping(FakeContext):
        async def fetch_list(self, url, **kw):
            self.pages[url] = page(int(url.rsplit("=", 1)[1]) if "=" in url else 1)
            return await super().fetch_list(url, **kw)

    ctx = Clamping({})
    got = _collect(GenericAdapter(PortalConfig(name="x", adapter="generic", start_url="http://a.gov.cn/nb/list",
                                               params=params)), ctx)
    assert len(got) == 9 and ctx.capped_at == []
    assert [u for _, u in ctx.requested] == ["http://a.gov.cn/nb/list"] + [
        f"http://a.gov.cn/nb/list?page={n}" for n in (2, 3, 4)]


def test_a_gkmlpt_start_url_names_its_category_in_its_fragment():
    """`…/gkmlpt/index#725` is how a gkmlpt category is linked and copied from the browser (PORTALS.md §5: the
    #catId picks it). The fragment was ignored: the category was looked for by name, and a column named otherwise
    (年度报告) was "no category named like '政府信息公开年报'", the portal failed with its category in its URL."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter

    start = "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/index#725"
    page = "<script>window._CONFIG = {SID: 'yj01', TREE: [{id: 721, name: '政策文件'}, {id: 725, name: '年度报告'}]};</script>"
    api = ('{"total": 1, "articles": [{"title": "某局2023年政府信息公开工作年度报告", '
           '"url": "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/content/3/3400/post_3400001.html", '
           '"created_at": "2024-01-16 16:25:04"}]}')
    ctx = FakeContext({start: page, "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/api/all/725?page=1&sid=yj01": api})
    got = _collect(GkmlptAdapter(PortalConfig(name="yj", adapter="gkmlpt", start_url=start)), ctx)
    assert [x.url.rsplit("/", 1)[1] for x in got] == ["post_3400001.html"]
    # the category param, when given, is the config's word
    ctx = FakeContext({start: page, "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/api/all/721?page=1&sid=yj01": api})
    _collect(GkmlptAdapter(PortalConfig(name="yj", adapter="gkmlpt", start_url=start, params={"category": 721})), ctx)
    assert ctx.requested[-1][1].endswith("/api/all/721?page=1&sid=yj01")


def test_a_gkmlpt_page_answering_an_error_after_full_pages_is_a_failure_not_the_end():
    """gkmlpt page 3, after two pages as full, answering {"code": 500, "msg": "系统繁忙"} (no total) ended the column
    quietly; it is a failed list page naming 系统繁忙. One of `{"articles": []}` or without an error signal is still
    the end (and page 2 answering an error, which nothing says exists: json-api's test)."""
    from govreports.portals.adapters.gkmlpt import GkmlptAdapter

    start = "http://www.gd.gov.cn/gkmlpt/index"
    page = "<script>var SID: 'gd001'; var nodes = [{id: 2001, name: '政府信息公开年报'}]</script>"
    api = "http://www.gd.gov.cn/gkmlpt/api/all/2001?page={n}&sid=gd001"
    articles = lambda n: ('{"articles": [{"title": "%d年报", "url": "/gkmlpt/content/1/1/post_%d.html"}]}'  # noqa: E731
                          % (2000 + n, n))
    portal = PortalConfig(name="gd", adapter="gkmlpt", start_url=start)
    ctx = FakeContext({start: page, api.format(n=1): articles(1), api.format(n=2): articles(2),
                       api.format(n=3): '{"code": 500, "msg": "系统繁忙"}'})
    assert len(_collect(GkmlptAdapter(portal), ctx)) == 2
    assert [u for u, _ in ctx.unreadable_at] == [api.format(n=3)] and "系统繁忙" in ctx.unreadable_at[0][1]
    for end in ('{"articles": []}', '{}', '{"code": 0}', '{"success": true}'):
        ctx = FakeContext({start: page, api.format(n=1): articles(1), api.format(n=2): articles(2),
                           api.format(n=3): end})
        assert len(_collect(GkmlptAdapter(portal), ctx)) == 2 and ctx.unreadable_at == [], end
