"""Redirects are followed by hand: every hop checked against allowed_hosts, robots.txt, loops and the hop limit."""

from __future__ import annotations

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
