"""Fetcher basics against a local server: archive on 2xx, conditional GET from the archive, decoding, body cap,
anti-bot gates, HTTP errors, bad URLs — and never an exception for network or HTTP trouble."""

from __future__ import annotations

import asyncio
import json

import pytest

from govreports.fetch import Archive, Fetcher, FetchPolicy, Validators, detect_gate
from httpserver import FakeTime, LocalServer, Reply, fetch_policy, fetch_urls


policy = fetch_policy


fetch_all = fetch_urls


def archived_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_200_is_archived_once_by_sha256(srv, tmp_path):
    body = "<html><body>某某区2023年政府信息公开工作年度报告</body></html>".encode()
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    srv.route("/a.html", Reply(200, body, headers)).route("/b.html", Reply(200, body, headers))
    archive = Archive(tmp_path / "archive")
    (a, b), f = fetch_all(archive, [srv.url("/a.html"), srv.url("/b.html")])
    assert a.ok and a.status == 200 and a.error_kind is None and a.attempts == 1
    assert a.body == body and archive.get(a.sha256) == body
    assert a.archive_path == f"{a.sha256[:2]}/{a.sha256[2:4]}/{a.sha256}"
    assert (tmp_path / "archive" / a.archive_path).read_bytes() == body
    assert a.text.endswith("年度报告</body></html>") and a.encoding == "utf-8"
    assert a.etag == '"v1"' and a.last_modified.startswith("Mon, 01 Jan 2024")
    assert a.headers["content-type"] == "text/html; charset=utf-8" and a.content_type.startswith("text/html")
    assert a.fetched_at.endswith("+00:00") and a.final_url == a.url and a.redirects == []
    assert b.sha256 == a.sha256 and b.archive_path == a.archive_path
    assert archived_files(tmp_path / "archive") == [tmp_path / "archive" / a.archive_path]
    st = f.stats.as_dict()[srv.netloc]
    assert st["requests"] == 2 and st["by_status"] == {"200": 2} and st["archived"] == 1 and st["bytes"] == 2 * len(body)
    seen = srv.hits("/a.html")[0]
    assert seen.headers["user-agent"].startswith("govreports/") and "text/html" in seen.headers["accept"]
    assert a.validators() == Validators('"v1"', a.last_modified, a.sha256, "utf-8", a.final_url, a.fetched_at)


def test_conditional_get_304_answers_from_archive(srv, tmp_path):
    body = b"<html>report v1</html>"
    archive = Archive(tmp_path)
    sha = archive.put(body)

    def handler(req):
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, b"changed")

    srv.route("/r.html", handler)
    lookups = []

    def lookup(url):
        lookups.append(url)
        return Validators(etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", sha256=sha)

    before = archived_files(tmp_path)
    (res,), f = fetch_all(archive, [srv.url("/r.html")], validators_lookup=lookup)
    assert lookups == [srv.url("/r.html")]
    sent = srv.hits("/r.html")[0].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert res.ok and res.status == 304 and res.not_modified and res.body == body and res.sha256 == sha
    assert res.text == "<html>report v1</html>" and res.etag == '"v1"' and res.last_modified.startswith("Mon")
    assert archived_files(tmp_path) == before
    assert f.stats.as_dict()[srv.netloc]["not_modified"] == 1


def test_304_without_its_body_until_it_is_wanted(srv, tmp_path):
    """body_if_unchanged=False: the 304 is the answer (its archive facts and the stored encoding), the archived file
    is not read; unchanged_body reads and decodes it as a plain 304 would have, or fetches the URL whole when the
    archive lost the file."""
    body = "<html><meta charset=gbk><p>某区年度报告</p></html>".encode("gbk")
    archive = Archive(tmp_path)
    sha = archive.put(body)
    srv.route("/r.html", lambda req: Reply(304, b"") if req.headers.get("if-none-match") == '"v1"'
              else Reply(200, b"<html>whole</html>", {"Content-Type": "text/html; charset=utf-8"}))
    reads = []
    real_get = archive.get
    archive.get = lambda *a, **k: reads.append(a) or real_get(*a, **k)

    async def run():
        policy = fetch_policy()
        async with Fetcher(policy, archive, validators_lookup=lambda u: Validators('"v1"', None, sha, "gb18030")) as f:
            lazy = await f.fetch(srv.url("/r.html"), body_if_unchanged=False)
            facts = (lazy.ok, lazy.not_modified, lazy.body, lazy.text, lazy.sha256, lazy.archive_path, lazy.encoding)
            reads_lazy = len(reads)
            filled = await f.unchanged_body(lazy)
            reads_filled = len(reads)
            plain = await f.fetch(srv.url("/r.html"))
            binary = await f.fetch(srv.url("/r.html"), expect="binary", body_if_unchanged=False)
            lost = await f.fetch(srv.url("/r.html"), body_if_unchanged=False)
            archive.path_for(sha).unlink()
            whole = await f.unchanged_body(lost)
            return facts, (reads_lazy, reads_filled), filled, plain, binary, whole, f.stats.as_dict()[srv.netloc]

    facts, read, filled, plain, binary, whole, stats = asyncio.run(run())
    assert facts == (True, True, None, None, sha, archive.relpath(sha), "gb18030") and read == (0, 1)
    assert filled.body == body == plain.body and filled.text == plain.text and "某区年度报告" in filled.text
    assert filled.encoding == plain.encoding == "gb18030" and filled.not_modified
    assert binary.not_modified and binary.body is None and binary.encoding is None
    assert whole.status == 200 and not whole.not_modified and whole.body == b"<html>whole</html>"
    assert whole.text == "<html>whole</html>" and whole.attempts == 2
    assert stats["not_modified"] == 4 and stats["by_status"] == {"304": 4, "200": 1}


@pytest.mark.parametrize("damage", ["cut short", "zeroes at its own size"])
def test_a_304_whose_archived_file_was_damaged_is_fetched_whole_and_archived_again(srv, tmp_path, damage):
    """A 304 whose body is wanted read the archived file as it was: cut short (a full disk, a copy interrupted),
    it was parsed as the page, half a report loaded as the current version (reparse checks the hash; h4). The file
    is now checked against its name, and a damaged one is fetched whole, which writes it whole again. So with a
    file of the right size and the wrong bytes (zeroes where a crash lost the data, as XFS leaves them; a flipped
    bit): refetched whole, the store took it as there by its size, left damaged, the page fetched whole every
    night and every reparse calling its report damaged."""
    body = b"<html><p>" + "某区政府信息公开工作年度报告".encode() * 200 + b"</p></html>"
    archive = Archive(tmp_path)
    sha = archive.put(body)
    srv.route("/r.html", lambda req: Reply(304, b"") if req.headers.get("if-none-match") == '"v1"'
              else Reply(200, body, {"Content-Type": "text/html; charset=utf-8"}))
    path = archive.path_for(sha)
    path.write_bytes(body[: len(body) // 2] if damage == "cut short" else bytes(len(body)))
    (res,), _ = fetch_all(archive, [srv.url("/r.html")], validators_lookup=lambda u: Validators('"v1"', None, sha))
    assert res.ok and res.status == 200 and not res.not_modified and res.body == body and res.sha256 == sha
    assert path.read_bytes() == body and [h.headers.get("if-none-match") for h in srv.hits("/r.html")] == ['"v1"', None]


def test_conditional_skipped_when_body_missing_or_disabled(srv, tmp_path):
    srv.route("/r.html", Reply(200, b"fresh"))
    archive = Archive(tmp_path)

    async def lookup(url):  # async lookups work too
        return Validators(etag='"v1"', sha256="0" * 64)  # not in the archive: a 304 would be useless

    (res,), _ = fetch_all(archive, [srv.url("/r.html")], validators_lookup=lookup)
    assert res.ok and res.body == b"fresh" and "if-none-match" not in srv.hits("/r.html")[0].headers
    sha = archive.put(b"old")
    (res,), _ = fetch_all(archive, [((srv.url("/r.html"),), {"conditional": False})],
                          validators_lookup=lambda u: Validators(etag='"v1"', sha256=sha))
    assert res.body == b"fresh" and "if-none-match" not in srv.hits("/r.html")[1].headers


def test_gbk_charset_only_in_meta(srv, tmp_path):
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>' \
           "<body>朱镕基 政府信息公开工作年度报告</body></html>"
    srv.route("/gbk.html", Reply(200, html.encode("gbk"), {"Content-Type": "text/html"}))
    srv.route("/hdr.html", Reply(200, "<p>朱镕基 年度报告</p>".encode("gbk"), {"Content-Type": "text/html; charset=gb2312"}))
    # these UTF-8 bytes also decode "successfully" as gb18030, into mojibake
    srv.route("/utf8.html", Reply(200, "政府信息公开工作年度报告".encode(), {"Content-Type": "text/html; charset=GBK"}))
    (a, b, c), _ = fetch_all(Archive(tmp_path), [srv.url("/gbk.html"), srv.url("/hdr.html"), srv.url("/utf8.html")])
    assert "朱镕基 政府信息公开工作年度报告" in a.text and a.encoding == "gb18030"
    assert b.text == "<p>朱镕基 年度报告</p>" and b.encoding == "gb18030"
    assert c.text == "政府信息公开工作年度报告" and c.encoding == "utf-8"  # mislabelled UTF-8 (STACK.md §4)


def test_a_western_server_default_label_does_not_turn_chinese_text_to_mojibake(srv, tmp_path):
    """Tomcat and Spring label answers `charset=ISO-8859-1` unless told otherwise; Latin-1 decodes any bytes, so the
    label never failed over: a JSON list's every title became mojibake and failed the title filter (found 0, exit
    0). On text that is not ASCII such a label gives way to the page's meta charset, UTF-8 or detection."""
    title = "国家数据局2024年政府信息公开工作年度报告"
    meta = f'<html><head><meta charset="gbk"></head><body><a href="r.html">{title}</a></body></html>'
    srv.route("/api", Reply(200, json.dumps({"articles": [{"title": title}]}, ensure_ascii=False).encode(),
                            {"Content-Type": "application/json;charset=ISO-8859-1"}))
    srv.route("/gbk.html", Reply(200, meta.encode("gbk"), {"Content-Type": "text/html; charset=ISO-8859-1"}))
    srv.route("/a.html", Reply(200, b"<p>plain</p>", {"Content-Type": "text/html; charset=ISO-8859-1"}))
    (api, gbk, ascii_), _ = fetch_all(Archive(tmp_path), [((srv.url("/api"),), {"expect": "json"}),
                                                          srv.url("/gbk.html"), srv.url("/a.html")])
    assert json.loads(api.text)["articles"][0]["title"] == title and api.encoding == "utf-8"
    assert title in gbk.text and gbk.encoding == "gb18030"
    assert ascii_.text == "<p>plain</p>" and ascii_.encoding == "iso8859-1"


def test_binary_expect_has_no_text(srv, tmp_path):
    srv.route("/f.pdf", Reply(200, b"%PDF-1.7 fake", {"Content-Type": "application/pdf"}))
    (res,), _ = fetch_all(Archive(tmp_path), [((srv.url("/f.pdf"),), {"expect": "binary"})])
    assert res.ok and res.text is None and res.encoding is None and res.sha256


def test_textual_answers_have_a_lower_cap_than_documents(srv, tmp_path):
    """List pages are parsed in the crawl process itself: an HTML answer past max_text_bytes is refused while
    streaming; a PDF of the same size is not (documents are parsed in bounded workers)."""
    srv.route("/big.html", Reply(200, b"<p>" + b"x" * 5000, {"Content-Type": "text/html; charset=utf-8"}))
    srv.route("/big.json", Reply(200, b"[" + b"1," * 2500 + b"1]", {"Content-Type": "application/json"},
                                 action="chunked"))
    srv.route("/big.pdf", Reply(200, b"%PDF-1.7 " + b"x" * 5000, {"Content-Type": "application/pdf"}))
    pol = fetch_policy(max_text_bytes=1000, max_body_bytes=10_000)
    (html, js, pdf), _ = fetch_all(Archive(tmp_path), [srv.url("/big.html"), srv.url("/big.json"),
                                                       srv.url("/big.pdf")], pol)
    assert html.error_kind == "body_too_large" and "1000" in html.error
    assert js.error_kind == "body_too_large" and pdf.ok


def test_content_decides_over_a_wrong_binary_content_type(srv, tmp_path):
    """A page labelled application/octet-stream is still read as HTML (its attachments are linked in its text);
    a PDF labelled the same way, or expected as HTML, is not decoded."""
    page = '<html><body><p>附件：<a href="./P0.pdf">年度报告.pdf</a></p></body></html>'
    srv.route("/a.html", Reply(200, page.encode("utf-8"), {"Content-Type": "application/octet-stream"}))
    srv.route("/b.html", Reply(200, b"%PDF-1.7 fake", {"Content-Type": "application/octet-stream"}))
    (a, b), _ = fetch_all(Archive(tmp_path), [srv.url("/a.html"), srv.url("/b.html")])
    assert a.text == page and a.encoding == "utf-8"
    assert b.ok and b.text is None


@pytest.mark.parametrize("action", [None, "chunked"])
def test_body_cap(srv, tmp_path, action):
    srv.route("/big", Reply(200, b"x" * 200_000, action=action))
    (res,), f = fetch_all(Archive(tmp_path), [srv.url("/big")], policy(max_body_bytes=100_000))
    assert not res.ok and res.error_kind == "body_too_large" and res.attempts == 1
    assert archived_files(tmp_path) == [] and f.stats.as_dict()[srv.netloc]["errors"] == {"body_too_large": 1}


RUISHU = (
    b'<html><head><meta id="9DhefwqGPrzGxEp9hPaoag" content="x3Fa9..."><script>$_ts=window["$_ts"];'
    b"if(!$_ts)$_ts={};$_ts.nsd=12345;</script><script src=/abc.js></script></head></html>"
)
JSL = b"<script>document.cookie=('__jsl_clearance_s=1692000000.1|0|abc');location.href=location.pathname+location.search</script>"
WZWS = "<html><script>var x=1;</script><noscript>请开启JavaScript并刷新该页</noscript></html>".encode()
# Aliyun's challenge, as a list page answered it with 200 (a review's probe): read as a list with nothing on it
ACW = b'<script>var arg1="3F0A6C";document.cookie="acw_sc__v2="+arg1+"; path=/";location.reload();</script>'


@pytest.mark.parametrize(
    "reply, gate",
    [
        (Reply(412, RUISHU, [("Set-Cookie", "FSSBBIl1UgzbN7N80S=abc; Path=/")]), "ruishu"),
        (Reply(202, RUISHU), "ruishu"),
        (Reply(521, JSL, [("Set-Cookie", "__jsluid_s=abc; path=/")]), "jiasule"),
        (Reply(307, b"", [("Set-Cookie", "wzws_cid=abc; path=/"), ("Location", "/other")]), "wzws"),
        (Reply(200, WZWS, [("Set-Cookie", "wzws_cid=abc")]), "wzws"),
        (Reply(200, ACW), "cookie"),
    ],
)
def test_antibot_gates_blocked_not_archived_not_retried(srv, tmp_path, reply, gate):
    srv.route("/p.html", reply).route("/other", Reply(200, b"should not be reached"))
    (res,), f = fetch_all(Archive(tmp_path), [srv.url("/p.html")])
    assert not res.ok and res.error_kind == "blocked" and res.gate == gate
    assert res.attempts == 1 and res.sha256 is None and res.archive_path is None and res.status == reply.status
    assert archived_files(tmp_path) == [] and srv.hits("/other") == []
    st = f.stats.as_dict()[srv.netloc]
    assert st["blocked"] == 1 and st["errors"] == {"blocked": 1}
    assert f._throttle.delay(srv.netloc) >= f.policy.blocked_delay  # the host is slowed down


def test_detect_gate_negatives():
    assert detect_gate(200, b"<html><script>var a=1</script>report</html>") is None
    assert detect_gate(412, b"Precondition Failed") is None
    assert detect_gate(521, b"Web server is down") is None
    assert detect_gate(202, b"<html><script>accepted</script></html>") is None
    assert detect_gate(200, b"<html>" + b"x" * 100_000 + b"</html>", ["wzws_cid"]) is None
    # a page that keeps a reader's font size in a cookie and reloads, with its text: a page, not a gate
    page = ("<html><script>function big(){document.cookie='fs=18';location.reload();}</script><body><h1>"
            "某县2023年政府信息公开工作年度报告</h1><p>一、总体情况 本年度共主动公开政府信息……</p></body></html>")
    assert detect_gate(200, page.encode()) is None
    assert detect_gate(404, ACW) is None
    # a mobile/PC entrance that sends the reader elsewhere is a redirect, not a reload of the same page
    entrance = "<title>某县人民政府</title><script>if(document.cookie.indexOf('pc')<0){window.location.href='/m/'}</script>"
    assert detect_gate(200, entrance.encode()) is None
    # a Hanweb column served bare: its records are a data island, content, beside a pager that sets a cookie
    island = ('<script type="text/xml"><datastore><record><![CDATA[<li><a href="/a.html">某县2023年报告</a></li>]]>'
              '</record></datastore></script><script>function go(p){document.cookie="p="+p;location.reload();}'
              "</script>")
    assert detect_gate(200, island.encode()) is None


def test_http_errors_not_retried(srv, tmp_path):
    srv.route("/gone", Reply(404, b"no such page", {"Content-Type": "text/html"}))
    (res,), f = fetch_all(Archive(tmp_path), [srv.url("/gone")])
    assert not res.ok and res.error_kind == "http" and res.status == 404 and res.attempts == 1
    assert res.body == b"no such page" and res.sha256 is None and archived_files(tmp_path) == []
    assert res.error == "HTTP 404"


def test_bad_urls_and_disallowed_hosts_make_no_request(srv, tmp_path):
    pol = policy(allowed_hosts={"example.invalid"})
    urls = ["ftp://x/y", "not a url", "http://", "http://127.0.0.1:99999/x", srv.url("/x")]
    results, _ = fetch_all(Archive(tmp_path), urls, pol)
    assert [r.error_kind for r in results] == ["bad_url", "bad_url", "bad_url", "bad_url", "host_not_allowed"]
    assert results[3].error == "port 99999 is out of range (1-65535): http://127.0.0.1:99999/x"
    assert not any(r.ok for r in results) and srv.requests == []


def test_allowed_hosts_by_netloc_or_host(srv, tmp_path):
    srv.route("/x", Reply(200, b"ok"))
    for allowed in ({srv.netloc}, {"127.0.0.1"}, {srv.netloc.upper()}):
        (res,), _ = fetch_all(Archive(tmp_path), [srv.url("/x")], policy(allowed_hosts=allowed))
        assert res.ok, allowed
    (res,), _ = fetch_all(Archive(tmp_path), [srv.url("/x")], policy(allowed_hosts={"127.0.0.1:1"}))
    assert res.error_kind == "host_not_allowed"


def test_post_form_and_headers(srv, tmp_path):
    srv.route("/module/web/jpage/dataproxy.jsp", Reply(200, b"<datastore><totalrecord>1</totalrecord></datastore>",
                                                         {"Content-Type": "text/xml;charset=UTF-8"}))
    url = srv.url("/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=10&perpage=10")
    call = ((url,), {"method": "post", "data": {"columnid": "282", "webname": "江苏省发展和改革委员会"},
                     "headers": {"X-Requested-With": "XMLHttpRequest"}, "referer": srv.url("/col/col282/index.html"),
                     "expect": "xml"})
    (res,), _ = fetch_all(Archive(tmp_path), [call])
    assert res.ok and res.method == "POST" and "<totalrecord>1" in res.text
    seen = srv.hits("/module/web/jpage/dataproxy.jsp")[0]
    assert seen.method == "POST" and seen.path.endswith("perpage=10")
    assert b"columnid=282" in seen.body and seen.headers["x-requested-with"] == "XMLHttpRequest"
    assert seen.headers["referer"].endswith("/col/col282/index.html") and "xml" in seen.headers["accept"]


def test_unreachable_host_never_raises(tmp_path):
    with LocalServer() as s:
        url = s.url("/x")
    ft = FakeTime()
    (res,), f = fetch_all(Archive(tmp_path), [url], policy(retries=2), sleep=ft.sleep, clock=ft.clock)
    # a closed port is "refused", and retried once only, however many retries the policy allows
    assert not res.ok and res.error_kind == "refused" and res.attempts == 2 and res.status is None
    assert len(ft.sleeps) == 1 and "refused" in res.error


def test_programming_errors_raise(tmp_path):
    async def go():
        async with Fetcher(policy(), Archive(tmp_path)) as f:
            await f.fetch("http://127.0.0.1:1/", expect="pdf")
    with pytest.raises(ValueError):
        asyncio.run(go())
    with pytest.raises(TypeError):
        Fetcher(policy(), None)
    with pytest.raises(ValueError):
        FetchPolicy(per_host_concurrency=0)


def test_an_archive_folder_that_cannot_be_read_means_a_whole_fetch_not_a_failure(srv, tmp_path):
    """A known body whose folder cannot be read (its permissions, a disk error) is not the URL's failure: no
    conditional GET is sent for it (its 304 would stand for a body that cannot be had), and a 304 whose body cannot
    be read any more is fetched whole, as a lost file is."""
    body = b"<html>report v1</html>"
    archive = Archive(tmp_path)
    sha = archive.put(body)
    srv.route("/r.html", lambda req: Reply(304, b"") if req.headers.get("if-none-match") == '"v1"'
              else Reply(200, b"<html>whole</html>", {"Content-Type": "text/html; charset=utf-8"}))

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(archive.path_for(sha)))

    async def run():
        lookup = lambda u: Validators('"v1"', None, sha, "utf-8")  # noqa: E731
        async with Fetcher(fetch_policy(), archive, validators_lookup=lookup) as f:
            lazy = await f.fetch(srv.url("/r.html"), body_if_unchanged=False)  # asked while the folder was readable
            archive.exists = archive.get = unreadable
            unasked = await f.fetch(srv.url("/r.html"))
            whole = await f.unchanged_body(lazy)
            return lazy, unasked, whole

    lazy, unasked, whole = asyncio.run(run())
    assert lazy.not_modified and [h.headers.get("if-none-match") for h in srv.hits("/r.html")] == ['"v1"', None, None]
    assert unasked.ok and unasked.status == 200 and unasked.body == b"<html>whole</html>"
    assert whole.ok and whole.status == 200 and whole.body == b"<html>whole</html>" and not whole.not_modified


def _days_ago(days: float) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")


@pytest.mark.parametrize("corrected", [True, False], ids=["corrected", "same body"])
def test_a_copy_older_than_refetch_after_days_is_fetched_whole_once_and_its_record_refreshed(srv, tmp_path, corrected):
    """A server whose ETag never changes (a CMS that stamps every page "v1") answers 304 to If-None-Match for
    good, a correction posted in place included. A copy fetched whole more than refetch_after_days ago is asked
    without validators once; the document row is then refreshed (a new row for a corrected body, its fetched_at
    for the same one), so the next run asks conditionally again, and is answered 304."""
    from govreports.crawl.pipeline import validators_lookup
    from govreports.store.db import open_db
    from govreports.store.documents import latest_document, record_document

    served = [b"<html>report v1</html>"]
    srv.route("/r.html", lambda req: Reply(304, b"") if req.headers.get("if-none-match") == '"v1"'
              else Reply(200, served[0], {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}))
    db, archive = open_db(tmp_path / "r.db"), Archive(tmp_path / "archive")
    lookup = validators_lookup(db)
    (first,), _ = fetch_all(archive, [srv.url("/r.html")], validators_lookup=lookup)
    record_document(db, first)
    old = _days_ago(70)  # past twice 30 days: due whatever the URL's share
    db.execute("UPDATE documents SET fetched_at = ?", [old])
    db.conn.commit()
    if corrected:
        served[0] = b"<html>report v1, corrected</html>"
    (kept,), _ = fetch_all(archive, [srv.url("/r.html")], policy(refetch_after_days=0), validators_lookup=lookup)
    (fresh,), _ = fetch_all(archive, [srv.url("/r.html")], policy(refetch_after_days=75), validators_lookup=lookup)
    assert kept.not_modified and fresh.not_modified  # 0: never; 75 days: not due yet
    (whole,), _ = fetch_all(archive, [srv.url("/r.html")], policy(refetch_after_days=30), validators_lookup=lookup)
    assert [h.headers.get("if-none-match") for h in srv.hits("/r.html")] == [None, '"v1"', '"v1"', None]
    assert whole.ok and whole.status == 200 and not whole.not_modified and whole.body == served[0]
    assert whole.refreshed
    record_document(db, whole)
    db.conn.commit()
    row = latest_document(db, srv.url("/r.html"))
    assert row.sha256 == whole.sha256 and row.fetched_at == whole.fetched_at > old
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == (2 if corrected else 1)
    (after,), _ = fetch_all(archive, [srv.url("/r.html")], policy(refetch_after_days=30), validators_lookup=lookup)
    assert after.not_modified and after.body == served[0] and not after.refreshed
    assert srv.hits("/r.html")[-1].headers.get("if-none-match") == '"v1"'


def test_refetch_ages_are_spread_over_the_urls_so_refreshes_do_not_come_due_on_one_night():
    """Every copy a night fetched whole (all of them, the first night after an upgrade) came due again on one
    night 30 days on, each month: each URL's age is now 30 days plus its own share of 30, the same every night."""
    from datetime import datetime, timedelta, timezone

    pol, now = FetchPolicy(), datetime(2026, 12, 7, tzinfo=timezone.utc)
    urls = [f"http://www.a.gov.cn/xxgk/ndbg/t2025{i:04d}_{i}.html" for i in range(1000)]
    ages = [pol.refetch_age(u) for u in urls]
    assert ages == [pol.refetch_age(u) for u in urls] and all(30 <= a < 60 for a in ages)
    assert len({int(a) for a in ages}) == 30  # every night of the month takes its share
    due = [sum(pol.refetch_due(u, (now - timedelta(days=d)).isoformat(), now) for u in urls) for d in (29, 45, 61)]
    assert due[0] == 0 and 400 < due[1] < 600 and due[2] == 1000


def test_refetch_after_days_is_checked():
    assert FetchPolicy().refetch_after_days == 30
    with pytest.raises(ValueError, match="refetch_after_days"):
        FetchPolicy(refetch_after_days=-1)
