"""Where the crawler may connect: public addresses only (checked where the connection is made), allowed hosts only
(an empty set allows none), and one portal's fetch never redirected into another portal's hosts."""

from __future__ import annotations

import asyncio

import pytest

from govreports.fetch import Fetcher
from govreports.fetch.addresses import address_problem
from govreports.fetch.netguard import GuardedBackend
from httpserver import LocalServer, Reply, fetch_policy, fetch_urls

policy = fetch_policy


def fetch(tmp_path, urls, pol=None, **kw):
    return fetch_urls(tmp_path, [((u,), kw) for u in urls], pol)


# ---- private addresses -------------------------------------------------------------------------------------------

def test_private_address_refused_by_default_and_nothing_reaches_the_server(srv, tmp_path):
    srv.route("/x", Reply(200, b"internal"))
    pol = policy(allow_private_addresses=False, allowed_hosts={"127.0.0.1", "localhost"}, retries=3)
    (by_ip, by_name), f = fetch(tmp_path, [srv.url("/x"), srv.url("/x", host="localhost")], pol)
    assert by_ip.error_kind == "private_address" and by_ip.attempts == 1  # never retried
    assert "127.0.0.1 is a loopback address" in by_ip.error
    assert "localhost resolves to 127.0.0.1" in by_name.error and by_name.error_kind == "private_address"
    assert "[safety] allow_private_addresses = true" in by_ip.error
    assert srv.requests == [] and not list(tmp_path.rglob("*"))


def test_private_address_refused_before_robots_txt_is_requested(srv, tmp_path):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n")).route("/x", Reply(200, b"internal"))
    (res,), _ = fetch(tmp_path, [srv.url("/x")], policy(allow_private_addresses=False, respect_robots=True))
    assert res.error_kind == "private_address" and res.error.startswith("robots.txt unreachable (private_address: ")
    assert srv.requests == []


def test_private_address_allowed_with_the_flag(srv, tmp_path):
    srv.route("/x", Reply(200, b"internal"))
    (res,), _ = fetch(tmp_path, [srv.url("/x")], policy(allow_private_addresses=True))
    assert res.ok and res.body == b"internal" and len(srv.requests) == 1


def test_every_resolved_address_is_checked_at_connect_time():
    """A name answering one public and one private address is refused: the connection never picks the bad one."""
    backend = GuardedBackend(allow_private_addresses=False)

    async def resolve(host, port, timeout):
        return ["93.184.216.34", "10.0.0.5"]

    backend.resolve = resolve  # type: ignore[method-assign]
    import httpcore

    from govreports.fetch.errors import PrivateAddressError

    with pytest.raises(PrivateAddressError, match=r"rebind\.example resolves to 10\.0\.0\.5, a private address"):
        asyncio.run(backend.connect_tcp("rebind.example", 80, timeout=1))
    assert issubclass(PrivateAddressError, httpcore.ConnectError)  # so httpx maps it to ConnectError


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("100.64.0.1", "not globally routable"), ("::1", "loopback"), ("::", "unspecified"), ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"), ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"), ("2002:c0a8:0101::", "private"),
    ("8.8.8.8", None), ("202.108.22.5", None), ("::ffff:8.8.8.8", None), ("2400:3200::1", None),
])
def test_address_problem(address, problem):
    assert address_problem(address) == problem


# ---- allowed hosts -----------------------------------------------------------------------------------------------

def test_empty_allowed_hosts_allows_none(srv, tmp_path):
    srv.route("/x", Reply(200, b"ok"))
    (res,), _ = fetch(tmp_path, [srv.url("/x")], policy(allowed_hosts=set()))
    assert res.error_kind == "host_not_allowed" and srv.requests == []
    (res,), _ = fetch(tmp_path, [srv.url("/x")], policy(allowed_hosts={"*"}))
    assert res.ok


# ---- one portal's hosts per fetch ------------------------------------------------------------------------------

def test_cross_portal_redirect_refused(tmp_path):
    with LocalServer() as a, LocalServer() as b, LocalServer() as c:
        a.route("/to-b", Reply(302, b"", {"Location": b.url("/page")}))
        a.route("/to-c", Reply(302, b"", {"Location": c.url("/page")}))
        a.route("/to-a", Reply(302, b"", {"Location": "/page"})).route("/page", Reply(200, b"a page"))
        b.route("/page", Reply(200, b"b page"))
        c.route("/page", Reply(200, b"c page"))
        pol = policy(allowed_hosts={a.netloc, b.netloc})  # one Fetcher for two portals: a and b
        (to_b, to_c, to_a, first_b), _ = fetch(tmp_path, [a.url("/to-b"), a.url("/to-c"), a.url("/to-a"),
                                                          b.url("/page")], pol, hosts=frozenset({a.netloc}))
        assert to_b.error_kind == "cross_portal_redirect" and to_b.final_url == b.url("/page")
        assert a.url("/to-b") in to_b.error and b.netloc in to_b.error
        assert to_c.error_kind == "host_not_allowed"  # outside every portal: as before
        assert to_a.ok and to_a.body == b"a page"  # within the portal's own hosts
        assert first_b.error_kind == "host_not_allowed" and "this fetch's hosts" in first_b.error
        assert b.requests == [] and c.requests == []
        (unscoped,), _ = fetch(tmp_path, [a.url("/to-b")], pol)  # no hosts=: any allowed host, as before
        assert unscoped.ok and unscoped.body == b"b page"


def test_hosts_must_be_a_collection(srv, tmp_path):
    with pytest.raises(TypeError):
        fetch(tmp_path, [srv.url("/x")], hosts=srv.netloc)
