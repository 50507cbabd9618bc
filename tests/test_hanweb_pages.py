"""Hanweb's dataproxy.jsp asked two ways: POST of a record range (most sites) and GET `page=N` of the <nextgroup>
template (PORTALS.md §4: jshrss.jiangsu, dl.gov.cn, wzkj.wenzhou), with the template's quirks kept as the page
gave them; which one a column's server answers is learnt on its first request and kept for the listing."""

from __future__ import annotations

import re

import pytest

from govreports.portals.adapters.hanweb import HanwebAdapter
from govreports.portals.config import PortalConfig
from portalhelp import FakeContext, _collect

START = "http://wzkj.wenzhou.gov.cn/col/col100/index.html"
# as the real template has it (定西, 温州): appid twice, webname percent-encoded twice (温州市科学技术局)
QUERY = ("appid=1&appid=1&webid=1934&path=/&columnid=100&unitid=555&webname=%25E6%25B8%25A9%25E5%25B7%259E%25E5"
         "%25B8%2582%25E7%25A7%2591%25E5%25AD%25A6%25E6%258A%2580%25E6%259C%25AF%25E5%25B1%2580&permissiontype=0")
PROXY = "http://wzkj.wenzhou.gov.cn/module/jpage/dataproxy.jsp"
REJECTED = (400, '<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>0</totalrecord><recordset>'
                 "</recordset></datastore>")


def _record(k: int) -> str:
    return (f'<record><![CDATA[<li><a href="/art/2023/1/{k % 28 + 1}/art_100_{k}.html" title="温州市某局2022年政府'
            f'信息公开工作年度报告{k}">温州市某局...</a><span>2023-01-{k % 28 + 1:02d}</span></li>]]></record>')


def column(inline: range, total: int) -> str:
    """The column page: the island's records `inline`, its <nextgroup> template for page 1, jpage's totalRecord."""
    records = "".join(_record(k) for k in inline)
    return (f'<div id="555"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/jpage/'
            f'dataproxy.jsp?page=1&amp;{QUERY.replace("&", "&amp;")}"></a>]]></nextgroup><recordset>{records}'
            f"</recordset></datastore></script></div><script>$('#555').jpage({{totalRecord:{total},perPage:3,"
            f"groupSize:1,proxyUrl:'/module/jpage/dataproxy.jsp'}});</script>")


def pages_of(total: int, size: int, method: str = "GET") -> dict:
    """GET dataproxy.jsp?page=N as the real servers answer it: `size` records a page from record 1 (the island's
    too), <totalrecord> and <totalpage>; a page past the last is an empty recordset."""
    count = -(-total // size)
    out = {}
    for n in range(1, count + 2):
        rows = "".join(_record(k) for k in range((n - 1) * size + 1, min(total, n * size) + 1))
        out[(method, f"{PROXY}?page={n}&{QUERY}")] = (
            f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
            f"<totalpage>{count}</totalpage><recordset>{rows}</recordset></datastore>")
    return out


def crawl(pages: dict) -> tuple[list, FakeContext]:
    ctx = FakeContext(pages)
    return _collect(HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START)), ctx), ctx


def post_url(first: int, last: int) -> str:
    return f"{PROXY}?startrecord={first}&endrecord={last}&perpage=3"


@pytest.mark.parametrize("post", ["400", "empty", "error-page", "range-ignored"])
def test_a_server_that_answers_only_get_page_is_read_to_its_total(post):
    """A server taking only GET page=N answered the adapter's POST with an error or an empty datastore: the listing
    ended after the island's 3 of 12 records (an error status: a failed list page every night, the other 9 never
    listed). Now the POST's answer sends the adapter to the template's GET pages, from page 1 (which holds the
    island's records too), its other parameters as the page gave them, and it stays on GET for the listing."""
    answers = {"400": REJECTED, "empty": REJECTED[1], "error-page": (200, "<html><body>系统错误</body></html>"),
               # a server that reads only page= answers a POST with page 1, whatever the range asked
               "range-ignored": pages_of(12, 5)[("GET", f"{PROXY}?page=1&{QUERY}")]}
    pages = {START: column(range(1, 4), 12), ("POST", post_url(4, 12)): answers[post], **pages_of(12, 5)}
    got, ctx = crawl(pages)
    assert [x.url.rsplit("_", 1)[1] for x in got] == [f"{k}.html" for k in range(1, 13)]
    assert ctx.short_at == [] and ctx.capped_at == []
    gets = [f"{PROXY}?page={n}&{QUERY}" for n in (1, 2, 3)]
    assert ctx.requested == [("GET", START), ("POST", post_url(4, 12))] + [("GET", u) for u in gets]
    assert ctx.probes == [("POST", post_url(4, 12)), ("GET", gets[0])]  # neither recorded as a failed list page
    assert all("appid=1&appid=1&" in u and "webname=%25E6%25B8%25A9" in u for u in gets)  # not "fixed"


def test_a_server_that_answers_the_post_stays_on_post():
    """A POST server: the ranges as before, no GET asked, no request a probe past the first."""
    rest = {("POST", post_url(k, k + 2)): "<datastore><totalrecord>12</totalrecord><recordset>"
            + "".join(_record(j) for j in range(k, k + 3)) + "</recordset></datastore>" for k in (4, 7, 10)}
    adapter = HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START, params={"per_request": 3}))
    ctx = FakeContext({START: column(range(1, 4), 12), **rest})
    got = _collect(adapter, ctx)
    assert len(got) == 12 and ctx.short_at == []
    assert ctx.requested == [("GET", START)] + [("POST", post_url(k, k + 2)) for k in (4, 7, 10)]
    assert ctx.probes == [("POST", post_url(4, 6))]


def test_a_server_that_rejects_both_is_named_with_both_answers():
    """Neither the POST nor GET page=1 answers records: the listing ends after the island's records, named once
    against the POST, saying what each way answered."""
    got, ctx = crawl({START: column(range(1, 4), 12), ("POST", post_url(4, 12)): REJECTED,
                      ("GET", f"{PROXY}?page=1&{QUERY}"): (404, "<html>404 Not Found</html>")})
    assert len(got) == 3 and ctx.short_at == [(post_url(4, 12), 3, 12, False)]
    assert re.search(r"POST .*HTTP 400.*GET page=1 .*HTTP 404", ctx.short_why), ctx.short_why
    _, ctx = crawl({START: column(range(1, 4), 12), ("POST", post_url(4, 12)): (None, "timeout"),
                    ("GET", f"{PROXY}?page=1&{QUERY}"): (None, "reset")})
    assert re.search(r"POST .*\(timeout\).*GET page=1 .*\(reset\)", ctx.short_why), ctx.short_why  # not "no answer"


def test_get_pages_end_at_the_total_record_and_name_a_short_end():
    """The GET pages end at <totalrecord> (no page asked past it), and an empty page before it is named."""
    pages = {START: column(range(1, 4), 12), ("POST", post_url(4, 12)): REJECTED, **pages_of(12, 4)}
    got, ctx = crawl(pages)
    assert len(got) == 12 and ctx.requested[-1] == ("GET", f"{PROXY}?page=3&{QUERY}")
    pages[("GET", f"{PROXY}?page=3&{QUERY}")] = pages[("GET", f"{PROXY}?page=4&{QUERY}")]  # empty
    got, ctx = crawl(pages)
    assert len(got) == 8 and ctx.short_at == [(f"{PROXY}?page=3&{QUERY}", 8, 12, False)]


# --- the demo portal's GET-only column (demo/sites/wenzhou.py, config/demo.toml's demo-hanweb-get) -------------------

def test_the_demo_get_column_is_strict_as_its_servers(demo_portal):
    """POST: 405; a GET whose query is not the template's (the second appid dropped, webname decoded once): 400;
    the template's own query: 100 records a page from record 1, <totalrecord> and <totalpage> as the real ones."""
    import httpx

    from govreports.demo.sites import wenzhou

    at = demo_portal.url
    with httpx.Client(headers={"User-Agent": "govreports/test"}) as client:
        page = client.get(at(wenzhou.START)).text
        href = re.search(r"<nextgroup><!\[CDATA\[<a href=\"([^\"]+)\"", page).group(1)
        assert "?page=1&appid=1&appid=1&" in href and "&webname=%25E6%25B8%25A9" in href
        assert page.count("<record>") == 45 and f"totalRecord:{len(demo_portal.wenzhou_items)}" in page
        assert client.post(at(wenzhou.PROXY), params={"startrecord": 46, "endrecord": 90, "perpage": 15},
                           data={"columnid": str(wenzhou.COLUMN), "unitid": str(wenzhou.UNIT)}).status_code == 405
        rebuilt = href.replace("appid=1&appid=1&", "appid=1&").replace("%25", "%")
        assert client.get(at(rebuilt)).status_code == 400
        total = len(demo_portal.wenzhou_items)
        for n, size in ((1, 100), (3, total - 200), (4, 0)):
            r = client.get(at(href.replace("page=1&", f"page={n}&")))
            assert r.status_code == 200 and r.text.count("<record>") == size
            assert f"<totalrecord>{total}</totalrecord><totalpage>3</totalpage>" in r.text


def test_the_demo_get_column_is_crawled_whole_by_get_pages(demo_portal, tmp_path):
    """config/demo.toml's demo-hanweb-get, crawled: every report of the column loaded (reports on all three GET
    pages, past the island's 45 records), nothing failed, one POST (the probe, 405, not a failure) and then GET
    page=1..3, each asked once, with the template's query as the page gave it."""
    from crawlhelp import crawl_demo, mismatches, site_truth
    from govreports.demo.sites import wenzhou

    truth = site_truth(demo_portal, "wenzhou")
    rows = demo_portal.wenzhou_items
    assert {it.path for it in rows[45:100] if it.role == "report"} and \
        {it.path for it in rows[200:] if it.role == "report"}  # the island alone cannot reach them all
    demo_portal.clear_requests()
    db, summary = crawl_demo(demo_portal, tmp_path, portals=("demo-hanweb-get",))
    assert mismatches(db, truth) == []
    assert summary.total("failed") == 0 and summary.total("new") == len(truth)
    proxy = [(r.method, r.query, r.status) for r in demo_portal.requests if r.path == wenzhou.PROXY]
    assert proxy[0][0] == "POST" and proxy[0][2] == 405
    assert proxy[1:] == [("GET", f"page={n}&{wenzhou.QUERY}", 200) for n in (1, 2, 3)]
    fetched = {demo_portal.url(r.path) for r in demo_portal.requests}
    assert not fetched & set(demo_portal.nonreports())  # its ~230 notices listed, never fetched


def test_a_record_without_a_link_still_counts_as_read():
    """Junk records occur (PORTALS.md §4: `<li style=<br/>` fragments), and totalRecord counts them: the ranges were
    counted by the listings read, not the records, so each POST began at a record already read, and the listing
    asked once more past the last record and named the column short ("8 of 9") every night."""
    junk = "<record><![CDATA[<li style=<br/>]]></record>"

    def records(first: int, last: int) -> str:
        return "".join(junk if k == 2 else _record(k) for k in range(first, min(last, 9) + 1))

    page = column(range(1, 4), 9).replace(_record(2), junk)
    rest = {("POST", post_url(k, k + 2)): f"<datastore><totalrecord>9</totalrecord><recordset>{records(k, k + 2)}"
            "</recordset></datastore>" for k in (4, 7)}
    adapter = HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START, params={"per_request": 3}))
    ctx = FakeContext({START: page, **rest})
    got = _collect(adapter, ctx)
    assert [x.url.rsplit("_", 1)[1] for x in got] == [f"{k}.html" for k in (1, 3, 4, 5, 6, 7, 8, 9)]
    assert ctx.requested == [("GET", START)] + [("POST", post_url(k, k + 2)) for k in (4, 7)]
    assert ctx.short_at == []


def _answer(first: int, last: int, count: int) -> str:
    return (f"<datastore><totalrecord>{count}</totalrecord><recordset>"
            + "".join(_record(k) for k in range(first, last + 1)) + "</recordset></datastore>")


def test_a_total_record_below_the_records_read_is_not_believed():
    """A POST answer whose <totalrecord> (2) is below the records already read (6): the listing ended there, a full
    page in hand, records 7-11 never asked, unsaid. Now such a count is not the column's: the ranges go on, each
    asked whole, while pages come full, to the first one short of its range; the anomaly is named once."""
    rest = {("POST", post_url(4, 6)): _answer(4, 6, 2), ("POST", post_url(7, 9)): _answer(7, 9, 2),
            ("POST", post_url(10, 12)): _answer(10, 11, 2)}
    adapter = HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START, params={"per_request": 3}))
    ctx = FakeContext({START: column(range(1, 4), 12), **rest})
    got = _collect(adapter, ctx)
    assert [x.url.rsplit("_", 1)[1] for x in got] == [f"{k}.html" for k in range(1, 12)]
    assert ctx.requested == [("GET", START)] + [("POST", u) for _, u in rest]
    assert ctx.miscounted_at == [(post_url(4, 6), 6, 2)] and ctx.short_at == [] and ctx.capped_at == []


def test_a_column_whose_count_is_not_believed_ends_at_max_pages():
    """Pages that keep coming full past a count not believed are read to max_pages, no further, and named capped."""
    pages = {START: column(range(1, 4), 12)}
    pages.update({("POST", post_url(k, k + 2)): _answer(k, k + 2, 1) for k in range(4, 100, 3)})
    adapter = HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START, max_pages=5,
                                         params={"per_request": 3}))
    ctx = FakeContext(pages)
    got = _collect(adapter, ctx)
    assert len(got) == 3 + 5 * 3 and len(ctx.requested) == 1 + 5
    assert ctx.capped_at == [post_url(19, 21)] and len(ctx.miscounted_at) == 1


@pytest.mark.parametrize("end", ["empty", "repeated"])
def test_a_listing_past_a_count_not_believed_that_ends_at_an_empty_or_repeated_answer_names_it(end):
    """Past a <totalrecord> not believed (2, after 6 read), the pages say where the column ends: the first short of
    its range. An answer empty, or of records listed before (a server that ignores the range), ended the listing
    too, without a word: the column's end, or a request rejected, a run's log could not tell. Named (not failed)
    against that answer's range."""
    last = "<datastore><totalrecord>2</totalrecord><recordset></recordset></datastore>" if end == "empty" \
        else _answer(7, 9, 2)
    rest = {("POST", post_url(4, 6)): _answer(4, 6, 2), ("POST", post_url(7, 9)): _answer(7, 9, 2),
            ("POST", post_url(10, 12)): last}
    adapter = HanwebAdapter(PortalConfig(name="wz", adapter="hanweb", start_url=START, params={"per_request": 3}))
    ctx = FakeContext({START: column(range(1, 4), 12), **rest})
    got = _collect(adapter, ctx)
    assert [x.url.rsplit("_", 1)[1] for x in got] == [f"{k}.html" for k in range(1, 10)]
    assert ctx.requested == [("GET", START)] + [("POST", u) for _, u in rest]
    assert ctx.miscounted_at == [(post_url(4, 6), 6, 2), (post_url(10, 12), 9, 2)]
    assert ("empty" if end == "empty" else "listed before") in ctx.miscounted_why
    assert ctx.short_at == [] and ctx.capped_at == []
