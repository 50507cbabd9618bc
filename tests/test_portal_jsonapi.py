"""The json-api adapter on a chinatax-shaped answer (PORTALS.md §7, config/portals/chinatax.toml): a POST form with
the page number in it, `results.data.{total, results}`, titles as HTML (`titleHtml`), dates as
`publishedTimeStr` "YYYY-MM-DD HH:MM:SS" (no network; the demo portal's /tax/ site is crawled in test_crawl_demo)."""

from __future__ import annotations

import json

from govreports.portals.adapters.jsonapi import JsonApiAdapter
from govreports.portals.config import PortalConfig
from portalhelp import FakeContext, _collect

START = "https://www.chinatax.gov.cn/chinatax/n810214/c102384r/index.html?tab=gknb"
API = "https://www.chinatax.gov.cn/getFileListByCodeId"
PARAMS = {"list_url": API, "method": "POST", "items": "results.data.results", "title_field": "titleHtml",
          "url_field": "url", "date_field": "publishedTimeStr", "total_field": "results.data.total",
          "form": {"channelId": "61eaab3127b040d4950fff177f09e561", "page": "{page}", "size": "20",
                   "relateSubChannels": "true"}}


def _answer(rows: list[dict], total: int) -> str:
    return json.dumps({"results": {"data": {"total": total, "results": rows}}}, ensure_ascii=False)


def _portal() -> JsonApiAdapter:
    return JsonApiAdapter(PortalConfig(name="chinatax", adapter="json-api", start_url=START, params=PARAMS))


def test_title_html_is_read_as_text_its_tags_and_entities_gone():
    """titleHtml is HTML: a search-highlighted word in <font>/<em>, spaces saved as &nbsp;, & as &amp;. Tags were
    stripped but entities kept: "国家税务总局&nbsp;2019&nbsp;年…" had no year, and the record loaded from it named
    the agency "国家税务总局&nbsp;2019&nbsp;年" with no year (the demo's /tax/ site, four reports so)."""
    rows = [{"titleHtml": '国家税务总局&nbsp;2019&nbsp;年政府信息公开工作<font color="red">年度报告</font>',
             "url": "/c1/content.html", "publishedTimeStr": "2020-03-30 10:30:12"},
            {"titleHtml": "国家税务总局2020年政府信息公开工作<em>年度报告</em>（R&amp;D&nbsp;附表）",
             "url": "/c2/content.html", "publishedTimeStr": "2021-03-31 09:30:12"}]
    got = _collect(_portal(), FakeContext({API: _answer(rows, 2)}))
    assert [x.title for x in got] == ["国家税务总局 2019 年政府信息公开工作年度报告",
                                      "国家税务总局2020年政府信息公开工作年度报告（R&D 附表）"]


class _FormContext(FakeContext):
    """Answers the list API by the page number in the POSTed form (one URL for every page), noting each
    request's method, form and referer."""

    def __init__(self, pages: dict[str, str]):
        super().__init__({})
        self.by_page, self.sent = pages, []

    async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, expect="html"):
        self.sent.append((method, url, dict(data or {}), referer, expect))
        answer = self.by_page.get((data or {}).get("page"))
        self.pages = {url: answer} if answer else {}
        return await super().fetch_list(url, method=method, data=data, headers=headers, referer=referer,
                                        expect=expect)


def test_pages_are_posted_with_the_page_in_the_form_until_the_total_and_dates_are_read():
    """Page N is the same URL with page=N in the form; the listing ends once `total` items are read (the last page
    shorter than size=20, no page 3 asked for); every request POSTs as from the column's page (its Referer);
    publishedTimeStr "2024-03-29 16:25:04" is the listing's date; relative and absolute urls are both taken."""
    def row(k: int) -> dict:
        return {"titleHtml": f"国家税务总局某省税务局{2000 + k}年政府信息公开工作<font color=red>年度报告</font>",
                "url": f"/chinatax/c{k}/content.html" if k % 2 else f"http://www.chinatax.gov.cn/chinatax/c{k}/content.html",
                "publishedTimeStr": f"{2001 + k}-03-29 16:25:04"}

    ctx = _FormContext({"1": _answer([row(k) for k in range(1, 21)], 23),
                        "2": _answer([row(k) for k in range(21, 24)], 23)})
    got = _collect(_portal(), ctx)
    assert len(got) == 23 and got[0].list_date == "2002-03-29" and got[-1].list_date == "2024-03-29"
    assert {x.url.split("/chinatax/")[0] for x in got} == {"https://www.chinatax.gov.cn", "http://www.chinatax.gov.cn"}
    assert [(m, u, form["page"], ref, exp) for m, u, form, ref, exp in ctx.sent] == \
        [("POST", API, "1", START, "json"), ("POST", API, "2", START, "json")]
    assert all({k: v for k, v in form.items() if k != "page"} == {"channelId": "61eaab3127b040d4950fff177f09e561",
               "size": "20", "relateSubChannels": "true"} for _, _, form, _, _ in ctx.sent)
    assert ctx.short_at == [] and ctx.capped_at == []


def test_field_names_that_are_not_in_the_answer_are_named_not_taken_for_an_empty_column():
    """A user's config names the API's fields; an API whose names differ (`items = "data.list"` where it answers
    `data.records`, `url_field = "url"` where its items say `link`) listed nothing, said nothing: `--dry-run` showed
    "0 listing(s)", the crawl exit 0 (with `total_field`, a `pager` failure blaming the API's pages). The first
    page's answer is where a config is checked against the API: a path it does not hold, or items none of which
    has a link at `url_field`, is named with what the answer holds. An empty list there, or a count of 0, is an
    empty column, as before, and a later page without the items is the column's end."""
    start, api = "https://a.gov.cn/xxgk/nb/index.html", "https://a.gov.cn/api?page={page}"
    rows = [{"title": f"某县{2020 + k}年政府信息公开工作年度报告", "link": f"/r/{k}.html"} for k in (1, 2)]

    def run(params: dict, pages: dict[int, object]) -> FakeContext:
        ctx = FakeContext({api.format(page=n): json.dumps(answer, ensure_ascii=False) for n, answer in pages.items()})
        portal = PortalConfig(name="x", adapter="json-api", start_url=start,
                              params={"list_url": api, "items": "data.records", "url_field": "link", **params})
        ctx.got = [x.url for x in _collect(JsonApiAdapter(portal), ctx)]
        return ctx

    answer = {"code": 200, "data": {"records": rows, "total": 2}}
    for params, said in (({"items": "data.list"}, "no 'list' in data (it holds: records, total)"),
                         ({"items": "result.list", "total_field": "data.total"}, "no 'result' in the answer (it "
                                                                                 "holds: code, data)"),
                         ({"url_field": "url"}, "none of the 2 items has a link at url_field 'url' (an item "
                                                "holds: title, link)")):
        ctx = run(params, {1: answer, 2: {"code": 200, "data": {"records": [], "total": 2}}})
        assert ctx.got == [] and [u for u, _ in ctx.unreadable_at] == [api.format(page=1)], params
        assert said in ctx.unreadable_at[0][1], ctx.unreadable_at[0][1]
    # the right names: read whole; an empty column (an empty or null list, or none beside a count of 0) is no failure
    assert run({}, {1: answer, 2: {"code": 200, "data": {"records": []}}}).got == [
        "https://a.gov.cn/r/1.html", "https://a.gov.cn/r/2.html"]
    for empty in ({"data": {"records": []}}, {"data": {"total": 0}}, {"data": {"records": None}}):
        ctx = run({"total_field": "data.total"}, {1: empty})
        assert ctx.got == [] and ctx.unreadable_at == [] and ctx.short_at == [], empty
    # past the first page, an answer without the list ends the column, as before (an API's "no more" answer)
    ctx = run({}, {1: answer, 2: {"code": 404, "msg": "没有更多数据"}})
    assert len(ctx.got) == 2 and ctx.unreadable_at == []


JPAAS = ("https://www.taizhou.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?webId=1&pageId=2"
         '&tagId=当前栏目list&paramJson={"pageNo":{page},"pageSize":2}')
JPAAS_START = "https://www.taizhou.gov.cn/col/col4785/index.html"


def _jpaas(rows: list[tuple[str, str, str]]) -> str:
    """A jpaas answer (PORTALS.md §4): the list as an HTML fragment in data.html, li.clearfix rows and the pager's
    <div class="pagination" rows count>."""
    lis = "".join(f'<li class="clearfix"><a href="{href}" title="{title}" target="_blank">{title[:12]}...</a>'
                  f"<span>{date}</span></li>" for title, href, date in rows)
    html = f'<ul class="list">{lis}</ul><div class="pagination" rows="2" count="3"></div>'
    return json.dumps({"success": True, "data": {"html": html}}, ensure_ascii=False)


def test_a_list_api_answering_an_html_fragment_lists_its_rows():
    """jpaas (泰州/江苏 集约化) answers `{success, data: {html}}`: the rows are HTML, not a JSON list of items. docs
    name jpaas among json-api's lists, yet `items = "data.html"` failed the column "is no list" on its first page:
    its reports never listed. The fragment's links are its items, titled and dated as list pages' rows are, and
    resolved against the column's page, where the browser puts them."""
    rows = [("泰州市2023年政府信息公开工作年度报告", "/art/2024/1/15/art_4785_11.html", "2024-01-15"),
            ("泰州市2022年政府信息公开工作年度报告", "../../art/2023/1/16/art_4785_12.html", "2023-01-16"),
            ("泰州市2021年政府信息公开工作年度报告", "/art/2022/1/14/art_4785_13.html", "2022-01-14")]
    pages = {JPAAS.replace("{page}", "1"): _jpaas(rows[:2]), JPAAS.replace("{page}", "2"): _jpaas(rows[2:]),
             JPAAS.replace("{page}", "3"): _jpaas([])}
    portal = PortalConfig(name="taizhou", adapter="json-api", start_url=JPAAS_START,
                          params={"list_url": JPAAS, "items": "data.html"})
    ctx = FakeContext(pages)
    got = _collect(JsonApiAdapter(portal), ctx)
    assert [(x.title, x.url, x.list_date) for x in got] == [
        (title, "https://www.taizhou.gov.cn/" + href.lstrip("./"), date) for title, href, date in rows]
    assert ctx.unreadable_at == [] and [u for _, u in ctx.requested] == list(pages)


def _error_answering_column(answers: dict[int, object], counted: bool):
    """A json-api column of two reports a page, its answers by page number (a list of rows, or what it answers
    instead), with the column's count of items (`counted`: data.total) or none; (listed URLs, unreadable pages)."""
    start, api = "https://a.gov.cn/xxgk/nb/index.html", "https://a.gov.cn/api?page={page}"
    params = {"list_url": api, "items": "data.records", "url_field": "link"}
    portal = PortalConfig(name="x", adapter="json-api", start_url=start,
                          params={**params, "total_field": "data.total"} if counted else params)
    total = sum(len(a) for a in answers.values() if isinstance(a, list)) + 2  # a later page's two, unread
    rows = lambda n, k: {"title": f"某县{2000 + 10 * n + k}年政府信息公开工作年度报告",  # noqa: E731
                         "link": f"/r/{n}-{k}.html"}
    listed = lambda n, a: {"code": 200, "data": {"records": [rows(n, k) for k in a], "total": total}}  # noqa: E731
    pages = {api.format(page=n): json.dumps(listed(n, a) if isinstance(a, list) else a, ensure_ascii=False)
             for n, a in answers.items()}
    ctx = FakeContext(pages)
    got = [x.url for x in _collect(JsonApiAdapter(portal), ctx)]
    return got, [(u.rsplit("=", 1)[1], why) for u, why in ctx.unreadable_at]


_ERRORS = (({"code": 500, "msg": "系统繁忙"}, "系统繁忙"), ({"success": False, "message": "请求过于频繁"}, "请求过于频繁"),
           ({"errcode": "E01", "errmsg": "服务异常"}, "服务异常"),
           ({"status": 503, "error": "Service Unavailable"}, "Service Unavailable"))


def test_a_page_answering_an_error_where_the_column_goes_on_is_a_failure_not_the_end():
    """A page answering the API's error object (系统繁忙, success: false) where the column has more — before its
    count, or after two full pages — ended the listing quietly; it is a failed list page, named for what it said,
    and with a count the pages after it are still read (two errors in a row end it)."""
    for error, said in _ERRORS:
        got, failed = _error_answering_column({1: [1, 2], 2: error, 3: [1, 2], 4: []}, counted=True)
        assert len(got) == 4 and [p for p, _ in failed] == ["2"] and said in failed[0][1], (error, got, failed)
        got, failed = _error_answering_column({1: [1, 2], 2: [1, 2], 3: error, 4: [1, 2]}, counted=False)
        assert len(got) == 4 and [p for p, _ in failed] == ["3"] and said in failed[0][1], (error, got, failed)
    got, failed = _error_answering_column({1: [1, 2], 2: _ERRORS[0][0], 3: _ERRORS[0][0], 4: [1, 2]}, counted=True)
    assert len(got) == 2 and [p for p, _ in failed] == ["2", "3"], failed


def test_an_answer_past_the_end_is_the_end_whatever_it_says():
    """An answer without the list and without an error signal, or a "no more" one, is the column's end, quietly; so
    is an error where nothing says the column goes on (page 2 of a column without a count, or after a short page):
    some APIs answer past the end so (页码超出范围)."""
    for quiet in ({"code": 200, "data": {"records": []}}, {"code": 0, "data": None}, {"success": True},
                  {}, [], {"code": 404, "msg": "没有更多数据"}, {"code": 1, "msg": "暂无数据"}):
        got, failed = _error_answering_column({1: [1, 2], 2: [1, 2], 3: quiet}, counted=False)
        assert len(got) == 4 and failed == [], quiet
    for error, _ in _ERRORS + (({"code": 500, "msg": "页码超出范围"}, ""),):
        assert _error_answering_column({1: [1, 2], 2: error}, counted=False) == ([_r(1, 1), _r(1, 2)], []), error
        got, failed = _error_answering_column({1: [1, 2], 2: [1], 3: error}, counted=False)
        assert len(got) == 3 and failed == [], error


def _r(n: int, k: int) -> str:
    return f"https://a.gov.cn/r/{n}-{k}.html"
