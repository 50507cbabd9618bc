"""Politeness: per-host pacing and concurrency, hosts in parallel, robots.txt (RFC 9309), adaptive slow-down."""

from __future__ import annotations

import asyncio

import pytest

from conftest import loop_stalled, loop_ticks
from govreports.fetch import Archive, Fetcher
from httpserver import FakeTime, LocalServer, Reply, fetch_policy


policy = fetch_policy


def gaps(sends, path, netloc=None):
    """The gaps between the requests for `path` (any query), of `netloc` if given, in the order they were sent."""
    times = [t for n, p, t in sends if p == path and netloc in (None, n)]
    return [b - a for a, b in zip(times, times[1:])]


def test_sequential_requests_respect_host_delay(srv, tmp_path, sends):
    srv.route("/p", Reply(200, b"ok"))

    async def go():
        async with Fetcher(policy(per_host_delay=0.3), Archive(tmp_path)) as f:
            await f.fetch(srv.url("/warm-up"))  # the first request pays one-time client set-up; measure the rest
            return [await f.fetch(srv.url(f"/p?i={i}")) for i in range(4)]

    results = asyncio.run(go())
    assert all(r.ok for r in results) and len(srv.hits("/p")) == 4
    found = gaps(sends, "/p")
    assert len(found) == 3 and all(g >= 0.299 for g in found), found  # (stamped by the client: conftest's `sends`)


def test_the_delay_counts_from_when_a_request_went_out_not_from_its_slot(srv, tmp_path, sends):
    """The event loop can be busy between a request taking its slot and its bytes going out (a batch of rows
    written, the archive synced): the next request still reaches the host no sooner than the delay after it."""
    import time

    srv.route("/p", Reply(200, b"ok"))

    async def go():
        async with Fetcher(policy(per_host_delay=0.3), Archive(tmp_path)) as f:
            await f.fetch(srv.url("/warm-up"))
            real_send, stalled = f._client.send, []

            async def send_after_a_stall(request, **kwargs):
                if not stalled:  # the first /p: its slot is taken, the loop is held before anything is written
                    stalled.append(1)
                    time.sleep(0.2)
                return await real_send(request, **kwargs)

            f._client.send = send_after_a_stall
            return [await f.fetch(srv.url(f"/p?i={i}")) for i in range(3)]

    assert all(r.ok for r in asyncio.run(go())) and len(srv.hits("/p")) == 3
    found = gaps(sends, "/p")  # each stamped after its stall, as it is handed to httpx
    assert len(found) == 2 and all(g >= 0.299 for g in found), found


def test_jitter_stays_within_bounds(srv, tmp_path, sends):
    srv.route("/p", Reply(200, b"ok"))

    async def go():
        async with Fetcher(policy(per_host_delay=0.2, delay_jitter=0.5), Archive(tmp_path)) as f:
            await asyncio.gather(*(f.fetch(srv.url(f"/p?i={i}")) for i in range(4)))

    asyncio.run(go())
    found = gaps(sends, "/p")
    assert len(found) == 3 and all(0.099 <= g for g in found), found  # 0.2 × [0.5, 1.5]


def test_concurrent_fetches_to_one_host_are_serialised(srv, tmp_path, sends):
    srv.route("/slow", Reply(200, b"ok", delay=0.2))

    async def go():
        async with Fetcher(policy(per_host_delay=0.05), Archive(tmp_path)) as f:
            return await asyncio.gather(*(f.fetch(srv.url(f"/slow?i={i}")) for i in range(3)))

    assert all(r.ok for r in asyncio.run(go()))
    found = gaps(sends, "/slow")
    assert len(found) == 2 and all(g >= 0.2 for g in found), found  # the next starts only after the previous ended


def test_two_hosts_proceed_in_parallel(tmp_path, sends):
    with LocalServer() as a, LocalServer() as b:
        a.route("/p", Reply(200, b"a"))
        b.route("/p", Reply(200, b"b"))

        async def go():
            # three at a time a host: each request waits for the host's delay alone, not for the answer before it
            # too (the local server's answers, late on a loaded machine, stretched ~0.6 s to 1.7 s)
            async with Fetcher(policy(per_host_delay=0.3, per_host_concurrency=3), Archive(tmp_path)) as f:
                await asyncio.gather(f.fetch(a.url("/warm-up")), f.fetch(b.url("/warm-up")))
                urls = [s.url(f"/p?i={i}") for i in range(3) for s in (a, b)]
                async with loop_ticks(0.02) as ticks:
                    return await asyncio.gather(*(f.fetch(u) for u in urls)), list(ticks)

        results, ticks = asyncio.run(go())
        assert all(r.ok for r in results) and len(a.hits("/p")) == len(b.hits("/p")) == 3
        ha, hb = ([t for n, p, t in sends if (n, p) == (s.netloc, "/p")] for s in (a, b))
        assert all(g >= 0.299 for g in gaps(sends, "/p", a.netloc) + gaps(sends, "/p", b.netloc))
        assert hb[0] < ha[1] and ha[0] < hb[1]  # interleaved, not one host after the other
        # ~0.6 s, not ~1.5 s; the time the loop could not run is not the pacing's
        span = max(ha[-1], hb[-1]) - min(ha[0], hb[0])
        assert span < 1.0 + loop_stalled(ticks, 0.02), (span, loop_stalled(ticks, 0.02))


def robots_run(srv, tmp_path, urls, **kw):
    async def go():
        async with Fetcher(policy(respect_robots=True, **kw), Archive(tmp_path)) as f:
            return [await f.fetch(u) for u in urls], f
    return asyncio.run(go())


def test_robots_disallowed_path_never_requested(srv, tmp_path):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}))
    srv.route("/private/a.html", Reply(200, b"secret")).route("/public.html", Reply(200, b"hello"))
    (bad, good, again), f = robots_run(srv, tmp_path, [srv.url("/private/a.html"), srv.url("/public.html"),
                                                        srv.url("/private/a.html")])
    assert not bad.ok and bad.error_kind == "robots_disallowed" and bad.attempts == 0 and srv.hits("/private/a.html") == []
    assert good.ok and again.error_kind == "robots_disallowed"
    assert len(srv.hits("/robots.txt")) == 1  # cached per origin
    assert srv.hits("/robots.txt")[0].headers["user-agent"].startswith("govreports/")
    assert f.stats.as_dict()[srv.netloc]["errors"] == {"robots_disallowed": 2}


def test_robots_agent_specific_group(srv, tmp_path):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n\nUser-agent: govreports\nDisallow: /x/\n"))
    srv.route("/a", Reply(200, b"ok"))
    (a, x), _ = robots_run(srv, tmp_path, [srv.url("/a"), srv.url("/x/1")])
    assert a.ok and x.error_kind == "robots_disallowed"


def test_robots_404_allows_all(srv, tmp_path):
    srv.route("/a", Reply(200, b"ok"))  # /robots.txt unrouted → 404
    (a,), _ = robots_run(srv, tmp_path, [srv.url("/a")])
    assert a.ok and len(srv.hits("/robots.txt")) == 1


@pytest.mark.parametrize("reply", [Reply(500, b"err"), Reply(503, b"down")])
def test_robots_5xx_disallows_all(srv, tmp_path, reply):
    srv.route("/robots.txt", reply).route("/a", Reply(200, b"ok"))
    (a,), _ = robots_run(srv, tmp_path, [srv.url("/a")], retries=1)
    assert a.error_kind == "robots_unreachable" and srv.hits("/a") == []
    assert f"HTTP {reply.status}" in a.error and "host not crawled (RFC 9309)" in a.error
    assert len(srv.hits("/robots.txt")) == 2  # retried once like any request, then disallow for the run
    assert 'robots_unreachable = "allow"' in a.error  # the key that lets a user crawl it anyway


def test_a_host_set_to_crawl_despite_an_unreachable_robots_txt_is_crawled(srv, tmp_path):
    """robots_unreachable = "allow" (a portal whose robots.txt is a broken 5xx for good): its hosts are crawled
    as with no rules; a host not named keeps RFC 9309's disallow, and the rules still bind where they answer."""
    srv.route("/robots.txt", Reply(503, b"down")).route("/a", Reply(200, b"ok"))
    (a,), _ = robots_run(srv, tmp_path, [srv.url("/a")], retries=0, robots_unreachable_allow={srv.netloc})
    assert a.ok and len(srv.hits("/a")) == 1
    (b,), _ = robots_run(srv, tmp_path, [srv.url("/a")], retries=0, robots_unreachable_allow={"other.gov.cn"})
    assert b.error_kind == "robots_unreachable" and len(srv.hits("/a")) == 1
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /a\n"))
    (c,), _ = robots_run(srv, tmp_path, [srv.url("/a")], robots_unreachable_allow={"127.0.0.1"})
    assert c.error_kind == "robots_disallowed" and len(srv.hits("/a")) == 1


def test_robots_unreachable_disallows_all(tmp_path):
    with LocalServer() as s:
        url = s.url("/a")
    ft = FakeTime()

    async def go():
        async with Fetcher(policy(respect_robots=True, retries=1), Archive(tmp_path), sleep=ft.sleep, clock=ft.clock) as f:
            return await f.fetch(url)

    res = asyncio.run(go())  # a closed port: the page is reported as the host's failure, not as a robots rule
    assert res.error_kind == "refused" and res.attempts == 0
    assert res.error.startswith("robots.txt unreachable (refused: ") and "host not crawled (RFC 9309)" in res.error


def test_robots_crawl_delay_raises_host_delay(srv, tmp_path, sends):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 0.3\n")).route("/p", Reply(200, b"ok"))
    results, f = robots_run(srv, tmp_path, [srv.url(f"/p?i={i}") for i in range(3)], per_host_delay=0.01)
    found = gaps(sends, "/p")
    assert all(r.ok for r in results) and len(found) == 2 and all(g >= 0.299 for g in found), found
    assert f._throttle.delay(srv.netloc) == pytest.approx(0.3)


def test_robots_redirect_is_followed(srv, tmp_path):
    srv.route("/robots.txt", Reply(301, b"", {"Location": "/real-robots.txt"}))
    srv.route("/real-robots.txt", Reply(200, b"User-agent: *\nDisallow: /no\n")).route("/yes", Reply(200, b"ok"))
    (yes, no), _ = robots_run(srv, tmp_path, [srv.url("/yes"), srv.url("/no")])
    assert yes.ok and no.error_kind == "robots_disallowed"


def test_a_robots_redirect_to_a_host_not_crawled_leaves_the_rules_unavailable_not_a_refusal(srv, tmp_path):
    """x.gov.cn/robots.txt redirecting to www.x.gov.cn, a host the portal's config does not name: RFC 9309 calls
    rules out of reach unavailable (allow), and the crawler had taken them for a refusal: every page of the portal
    robots_unreachable, exit 3."""
    away = srv.url("/robots.txt", host="localhost")
    srv.route("/robots.txt", Reply(301, b"", {"Location": away})).route("/a", Reply(200, b"ok"))
    (a,), _ = robots_run(srv, tmp_path, [srv.url("/a")], allowed_hosts=frozenset({srv.netloc}))
    assert a.ok and len(srv.hits("/a")) == 1


def test_a_robots_redirect_that_cannot_be_followed_leaves_the_rules_unavailable_not_a_refusal(srv, tmp_path):
    """robots.txt redirecting to a Location that is no URL (javascript:, a tab in it): unavailable rules (RFC 9309
    §2.3.1.2), as a redirect to a host not crawled is; it had read as unreachable, every page of the host refused."""
    srv.route("/robots.txt", Reply(302, b"", {"Location": "javascript:void(0)"})).route("/a", Reply(200, b"ok"))
    (a,), _ = robots_run(srv, tmp_path, [srv.url("/a")])
    assert a.ok and len(srv.hits("/a")) == 1


def test_adaptive_delay_rises_on_errors_and_recovers(srv, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from govreports.fetch import attempt

    srv.route("/bad", Reply(503, b"busy")).route("/good", Reply(200, b"ok"))
    ft = FakeTime()
    # each answer's latency read off the fake clock too: none. Timed for real, the local server's answers took
    # 0.18 s on a loaded machine, and the delay, which follows the latency, stayed that high
    monkeypatch.setattr(attempt, "time", SimpleNamespace(monotonic=ft.clock))

    async def go():
        pol = policy(adaptive=True, per_host_delay=0.1, retries=3, max_delay=5)
        async with Fetcher(pol, Archive(tmp_path), sleep=ft.sleep, clock=ft.clock) as f:
            await f.fetch(srv.url("/bad"))
            raised = f._throttle.delay(srv.netloc)
            for i in range(12):
                await f.fetch(srv.url(f"/good?i={i}"))
            return raised, f._throttle.delay(srv.netloc)

    raised, recovered = asyncio.run(go())
    assert raised >= 0.1 * 1.5**4 * 0.99  # four failed answers, each ×1.5 at least
    assert 0.1 <= recovered < 0.12  # back down to the floor (answers that take no time), never below it


def test_adaptive_off_keeps_fixed_delay(srv, tmp_path):
    srv.route("/bad", Reply(503, b"busy"))
    ft = FakeTime()

    async def go():
        async with Fetcher(policy(per_host_delay=0.1, retries=2), Archive(tmp_path), sleep=ft.sleep, clock=ft.clock) as f:
            await f.fetch(srv.url("/bad"))
            return f._throttle.delay(srv.netloc)

    assert asyncio.run(go()) == 0.1


def test_concurrent_first_requests_share_one_robots_fetch(srv, tmp_path):
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /no\n", delay=0.2)).route("/p", Reply(200, b"ok"))

    async def go():
        async with Fetcher(policy(respect_robots=True), Archive(tmp_path)) as f:
            urls = [srv.url(f"/p?i={i}") for i in range(4)] + [srv.url("/no")]
            return await asyncio.gather(*(f.fetch(u) for u in urls)), f

    results, f = asyncio.run(go())
    assert [r.ok for r in results] == [True] * 4 + [False] and len(srv.hits("/robots.txt")) == 1
    totals = f.stats.totals()
    assert totals["requests"] == 5 and totals["fetches"] == 5 and totals["errors"] == {"robots_disallowed": 1}


def test_user_agent_and_caller_headers(srv, tmp_path):
    srv.route("/p", Reply(200, b"{}", {"Content-Type": "application/json"}))

    async def go():
        async with Fetcher(policy(user_agent="govreports-test/1 (+https://example.invalid)"), Archive(tmp_path)) as f:
            return await f.fetch(srv.url("/p"), headers={"accept": "application/json"}, expect="json")

    res = asyncio.run(go())
    seen = srv.hits("/p")[0].headers
    assert res.ok and res.text == "{}" and seen["user-agent"] == "govreports-test/1 (+https://example.invalid)"
    assert seen["accept"] == "application/json" and seen["accept-language"].startswith("zh-CN")
