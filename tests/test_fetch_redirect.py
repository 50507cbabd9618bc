"""Redirects are followed by hand: every hop checked against allowed_hosts, robots.txt, loops and the hop limit."""

from __future__ import annotations

import pytest

from httpserver import LocalServer, Reply, fetch_policy, fetch_urls


policy = fetch_policy


def fetch(tmp_path, url, pol=None, **kw):
    (res,), _ = fetch_urls(tmp_path, [((url,), kw)], pol)
    return res


def test_chain_followed_with_relative_locations(srv, tmp_path):
    srv.route("/module/download/downfile.jsp", Reply(302, b"", {"Location": "/attach/0/a.pdf"}))
    srv.route("/attach/0/a.pdf", Reply(301, b"", {"Location": "b/final.pdf"}))
    srv.route("/attach/0/b/final.pdf", Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    start = srv.url("/module/download/downfile.jsp?classid=0&filename=abc.pdf")
    res = fetch(tmp_path, start, expect="binary")
    assert res.ok and res.body == b"%PDF-1.4" and res.final_url == srv.url("/attach/0/b/final.pdf")
    assert res.redirects == [start, srv.url("/attach/0/a.pdf")] and res.attempts == 3 and res.sha256


def test_redirect_loop(srv, tmp_path):
    srv.route("/a", Reply(302, b"", {"Location": "/b"})).route("/b", Reply(302, b"", {"Location": "/a#frag"}))
    res = fetch(tmp_path, srv.url("/a"))
    assert not res.ok and res.error_kind == "redirect_loop" and len(srv.hits("/a")) == 1 and res.status == 302


def test_too_many_redirects(srv, tmp_path):
    for i in range(10):
        srv.route(f"/r{i}", Reply(302, b"", {"Location": f"/r{i + 1}"}))
    res = fetch(tmp_path, srv.url("/r0"), policy(max_redirects=3))
    assert res.error_kind == "too_many_redirects" and len(res.redirects) == 4 and srv.hits("/r4") == []


def test_redirect_to_a_port_out_of_range_is_a_bad_url(srv, tmp_path):
    """httpx parses such a port and the connect would raise OverflowError, which no failure kind names."""
    srv.route("/go", Reply(302, b"", {"Location": "http://127.0.0.1:70000/x"}))
    res = fetch(tmp_path, srv.url("/go"))
    assert not res.ok and res.error_kind == "bad_url" and "port 70000 is out of range" in res.error


def test_redirect_to_host_not_allowed(tmp_path):
    with LocalServer() as a, LocalServer() as b:
        a.route("/go", Reply(302, b"", {"Location": b.url("/elsewhere")}))
        b.route("/elsewhere", Reply(200, b"other site"))
        res = fetch(tmp_path, a.url("/go"), policy(allowed_hosts={a.netloc}))
        assert res.error_kind == "host_not_allowed" and res.final_url == b.url("/elsewhere")
        assert b.requests == [] and not list(tmp_path.rglob("*"))


def test_redirect_target_checked_against_robots(srv, tmp_path):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
    srv.route("/go", Reply(302, b"", {"Location": "/private/x"})).route("/private/x", Reply(200, b"no"))
    res = fetch(tmp_path, srv.url("/go"), policy(respect_robots=True))
    assert res.error_kind == "robots_disallowed" and srv.hits("/private/x") == []


def test_303_after_post_becomes_get(srv, tmp_path):
    srv.route("/form", Reply(303, b"", {"Location": "/done"})).route("/done", Reply(200, b"ok"))
    res = fetch(tmp_path, srv.url("/form"), method="POST", data={"a": "1"})
    assert res.ok and srv.hits("/done")[0].method == "GET" and srv.hits("/done")[0].body == b""


def test_307_keeps_method_and_body(srv, tmp_path):
    srv.route("/form", Reply(307, b"", {"Location": "/form2"})).route("/form2", Reply(200, b"ok"))
    res = fetch(tmp_path, srv.url("/form"), method="POST", data=b"x=1")
    assert res.ok and srv.hits("/form2")[0].method == "POST" and srv.hits("/form2")[0].body == b"x=1"


def test_redirect_without_location_is_an_http_error(srv, tmp_path):
    srv.route("/a", Reply(302, b"moved somewhere"))
    res = fetch(tmp_path, srv.url("/a"))
    assert res.error_kind == "http" and res.status == 302


@pytest.mark.parametrize("location", ["javascript:void(0)", "mailto:xxgk@example.gov.cn", "http:index.html",
                                      "http://[::1", "/ok\tx", "http://xn--a.cn/", "http://xn--/"])
def test_a_location_that_cannot_be_followed_is_a_bad_url_asked_once(srv, tmp_path, location):
    """httpx builds the next request from a redirect even when it does not follow it: a Location it cannot make a
    URL of raised InvalidURL out of fetch (an item's "internal error"; robots.txt so redirected, every page of its
    host), or was "reset" and asked five times over."""
    srv.route("/a", Reply(302, b"", {"Location": location}))
    res = fetch(tmp_path, srv.url("/a"))
    assert not res.ok and res.error_kind == "bad_url" and len(srv.hits("/a")) == 1 and res.attempts == 1


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_location_in_raw_gbk_or_utf8_bytes_is_followed_to_those_bytes(srv, tmp_path, encoding):
    """An old GBK site's download servlet redirects to its file's Chinese name in raw GBK bytes. httpx reads a
    header it cannot read as UTF-8 as Latin-1 and encoded those characters again, as UTF-8 (年报 → %C3%84%C3%AA…),
    a name the server never had: the report failed as HTTP 404. The bytes are sent as they came, percent-escaped,
    as browsers send them; a UTF-8 Location is followed as before."""
    name = "/附件/2023年报.pdf".encode(encoding)
    srv.route("/down.jsp", Reply(302, b"", {"Location": name.decode("latin-1")}))
    escaped = "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in name)
    srv.route(escaped, Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    res = fetch(tmp_path, srv.url("/down.jsp"), expect="binary")
    assert res.ok and res.body == b"%PDF-1.4" and res.final_url == srv.url(escaped)


def test_a_host_written_in_full_width_characters_is_asked_as_browsers_ask_it(srv, tmp_path):
    """A host typed with a Chinese input method (ｗｗｗ．ｘ．ｇｏｖ．ｃｎ, full-width letters, digits and dots, in a page's
    link, a Location or a config): browsers map it to ASCII (UTS #46); httpx refused it as an invalid IDNA name, and
    the crawl's host check did not know it for the portal's host. A full-width colon before the port stays refused,
    as browsers refuse it."""
    from govreports.fetch.policy import url_host_in, url_netloc

    srv.route("/a", Reply(200, b"ok"))
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "localhost")  # ｌｏｃａｌｈｏｓｔ
    pol = policy(allowed_hosts={"127.0.0.1", "localhost"})
    for url in (f"http://{wide}:{srv.port}/a", f"http://{wide.upper()}:{srv.port}/a",
                f"http://127．0．0。1:{srv.port}/a"):
        res = fetch(tmp_path, url, pol)
        assert res.ok and res.body == b"ok" and res.url == url, (url, res.error)
        assert res.final_url in (srv.url("/a", host="localhost"), srv.url("/a"))
    srv.route("/go", Reply(302, b"", {"Location": f"http://{wide}:{srv.port}/a".encode().decode("latin-1")}))
    res = fetch(tmp_path, srv.url("/go"), pol)
    assert res.ok and res.final_url == srv.url("/a", host="localhost"), res.error
    colon = fetch(tmp_path, f"http://localhost：{srv.port}/a", pol)
    assert colon.error_kind == "bad_url"
    gov = "http://ｗｗｗ．ｅｘａｍｐｌｅ．ｇｏｖ．ｃｎ/2023/ｎｂ.html"
    assert url_netloc(gov) == "www.example.gov.cn" and url_host_in(frozenset({"www.example.gov.cn"}), gov)
    # a netloc urlsplit refuses (NFKC makes the full-width colon a colon; an IPv6 bracket left open) is in no
    # config's hosts, named as written: the crawl's host checks raised, and failed the item as an internal error
    for url in ("http://x.gov.cn：80/a", "http://x.gov.cn＃a", "http://[::1/a"):
        assert not url_host_in(frozenset({"x.gov.cn", "[::1]"}), url)
    assert url_netloc("http://x.gov.cn：80/a") == "x.gov.cn：80"


def test_a_location_naming_a_chinese_host_goes_to_its_idna_name(srv, tmp_path):
    """An internationalised host (a .政务 site) in a UTF-8 Location is asked by its IDNA name (xn--…), not by its
    bytes percent-escaped, which no resolver knows."""
    srv.route("/go", Reply(302, b"", {"Location": "http://政府.cn/x".encode().decode("latin-1")}))
    res = fetch(tmp_path, srv.url("/go"), policy(allowed_hosts={"127.0.0.1", "xn--mxtq1m.cn"}))
    assert res.final_url == "http://xn--mxtq1m.cn/x" and res.redirects == [srv.url("/go")]


def test_a_304_for_another_document_than_the_archived_one_is_fetched_whole(srv, tmp_path):
    """One night the report page redirects to a login page, whose body and Last-Modified are stored as the page's
    latest. The next night the redirect is gone: asked with the login page's date, the unchanged report page answers
    304, which speaks of the report page, not of the archived login page, so the page is fetched whole. A 304 from
    where the archived body was answered (a redirect that stays) stands."""
    from govreports.crawl.pipeline import validators_lookup
    from govreports.fetch import Archive
    from govreports.store.db import open_db
    from govreports.store.documents import record_document

    report_date, login_date = "Mon, 01 Jan 2024 00:00:00 GMT", "Tue, 02 Jan 2024 00:00:00 GMT"
    redirect = [True]

    def report(req):
        if redirect[0]:
            return Reply(302, b"", {"Location": "/login.html"})
        if req.headers.get("if-modified-since") in (report_date, login_date):  # "not modified since": by date
            return Reply(304, b"")
        return Reply(200, b"<html>report</html>", {"Last-Modified": report_date})

    def login(req):
        if req.headers.get("if-modified-since") == login_date:
            return Reply(304, b"")
        return Reply(200, b"<html>login</html>", {"Last-Modified": login_date})

    srv.route("/r.html", report).route("/login.html", login)
    srv.route("/moved", Reply(301, b"", {"Location": "/login.html"}))
    db, archive = open_db(tmp_path / "r.db"), Archive(tmp_path / "archive")
    lookup = validators_lookup(db)
    (night,), _ = fetch_urls(archive, [srv.url("/r.html")], validators_lookup=lookup)
    record_document(db, night)
    redirect[0] = False
    (whole,), _ = fetch_urls(archive, [srv.url("/r.html")], validators_lookup=lookup)
    assert [h.headers.get("if-modified-since") for h in srv.hits("/r.html")[1:]] == [login_date, None]
    assert whole.ok and whole.status == 200 and not whole.not_modified and whole.body == b"<html>report</html>"
    assert whole.attempts == 2
    record_document(db, whole)
    (kept,), _ = fetch_urls(archive, [srv.url("/r.html")], validators_lookup=lookup)
    assert kept.not_modified and kept.body == b"<html>report</html>"
    (first,), _ = fetch_urls(archive, [srv.url("/moved")], validators_lookup=lookup)
    record_document(db, first)
    (moved,), _ = fetch_urls(archive, [srv.url("/moved")], validators_lookup=lookup)
    assert moved.not_modified and moved.final_url == srv.url("/login.html") and moved.body == b"<html>login</html>"


def test_a_redirect_added_since_the_page_was_archived_costs_one_whole_fetch_not_every_night(srv, tmp_path):
    """/a.html now moved to /a/index.html (or http → https), its body the same: the 304 comes from the new place,
    which is not where the archived body was answered from, so the page is fetched whole once, and the stored
    row's final_url follows; it stayed, and the page was fetched whole every night after."""
    from govreports.crawl.pipeline import validators_lookup
    from govreports.fetch import Archive
    from govreports.store.db import open_db
    from govreports.store.documents import latest_document, record_document

    body, moved = "<html><body>某区年度报告</body></html>".encode(), [False]
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}
    srv.route("/a.html", lambda req: Reply(301, b"", {"Location": "/a/index.html"}) if moved[0]
              else Reply(200, body, headers))
    srv.route("/a/index.html", lambda req: Reply(304, b"") if req.headers.get("if-none-match") == '"v1"'
              else Reply(200, body, headers))
    db, archive = open_db(tmp_path / "r.db"), Archive(tmp_path / "archive")
    nights = []
    for night in range(3):
        moved[0] = night > 0
        (res,), _ = fetch_urls(archive, [srv.url("/a.html")], validators_lookup=validators_lookup(db))
        record_document(db, res)
        nights.append((res.status, res.attempts))
    assert nights == [(200, 1), (200, 4), (304, 2)]
    assert latest_document(db, srv.url("/a.html")).final_url == srv.url("/a/index.html")


def test_a_host_written_with_the_root_dot_is_the_same_host(srv, tmp_path):
    """A fully qualified name with its trailing root dot (`localhost.`, `www.example.gov.cn.`, in a page's link or a
    Location) names the same host as the config's: it was refused as host_not_allowed. Nothing else is let in:
    two dots, or another name ending in the config's, stay refused."""
    from govreports.fetch.policy import url_host_in, url_netloc

    srv.route("/a", Reply(200, b"ok"))
    pol = policy(allowed_hosts={"127.0.0.1", "localhost"})
    res = fetch(tmp_path, f"http://localhost.:{srv.port}/a", pol)
    assert res.ok and res.body == b"ok", res.error
    assert res.final_url == srv.url("/a", host="localhost")
    srv.route("/go", Reply(302, b"", {"Location": f"http://localhost.:{srv.port}/a"}))
    res = fetch(tmp_path, srv.url("/go"), pol)
    assert res.ok and res.final_url == srv.url("/a", host="localhost"), res.error
    scoped = fetch(tmp_path, f"http://localhost.:{srv.port}/a", pol, hosts={"localhost"})
    assert scoped.ok, scoped.error
    for bad in (f"http://localhost..:{srv.port}/a", f"http://evil.localhost.:{srv.port}/a"):
        assert fetch(tmp_path, bad, pol).error_kind == "host_not_allowed", bad
    hosts = frozenset({"www.example.gov.cn", "files.example.gov.cn:8080"})
    for url in ("http://www.example.gov.cn./nb/1.html", "https://WWW.example.gov.cn.:443/x",
                "http://files.example.gov.cn.:8080/a.pdf"):
        assert url_host_in(hosts, url), url
    assert url_netloc("http://www.example.gov.cn./x") == "www.example.gov.cn"
    assert url_netloc("http://files.example.gov.cn.:8080/a.pdf") == "files.example.gov.cn:8080"
    for url in ("http://example.gov.cn../x", "http://www.example.gov.cn../x", "http://evil.example.gov.cn./x",
                "http://evil.www.example.gov.cn./x", "http://files.example.gov.cn.:8081/a.pdf", "http://./x"):
        assert not url_host_in(hosts, url), url
