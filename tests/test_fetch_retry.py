"""Retries: transient statuses and transport failures are retried with capped full-jitter backoff or Retry-After;
permanent trouble comes back as a FetchResult, never an exception."""

from __future__ import annotations

import random
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from govreports.fetch import Archive, FetchPolicy, parse_retry_after
from httpserver import FakeTime, Reply, fetch_policy, fetch_urls


def policy(**kw) -> FetchPolicy:
    return fetch_policy(**{"backoff_base": 0.5, "retries": 4, **kw})


def run(archive, url, pol=None, faketime=True, **kw):
    ft = FakeTime()
    if faketime:
        kw.update(sleep=ft.sleep, clock=ft.clock)

    (res,), f = fetch_urls(archive, [url], pol or policy(), rng=random.Random(7), **kw)
    return res, f, ft


def test_503_then_200(srv, tmp_path):
    srv.route("/p", Reply(503, b"busy"), Reply(200, b"fine"))
    res, f, ft = run(Archive(tmp_path), srv.url("/p"))
    assert res.ok and res.body == b"fine" and res.attempts == 2 and len(srv.hits("/p")) == 2
    assert len(ft.sleeps) == 1 and 0 <= ft.sleeps[0] <= 0.5  # full jitter in [0, base·2^0]
    st = f.stats.as_dict()[srv.netloc]
    assert st["retries"] == 1 and st["by_status"] == {"200": 1, "503": 1} and st["errors"] == {}


def test_429_retry_after_seconds_is_honoured(srv, tmp_path):
    srv.route("/p", Reply(429, b"slow down", {"Retry-After": "1"}), Reply(200, b"ok"))
    res, f, ft = run(Archive(tmp_path), srv.url("/p"))
    assert res.ok and res.attempts == 2 and ft.sleeps[0] == 1.0


def test_retry_after_http_date_and_cap(srv, tmp_path):
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    srv.route("/p", Reply(503, b"", {"Retry-After": when}), Reply(503, b"", {"Retry-After": "86400"}), Reply(200, b"ok"))
    # 30 s + 120 s of waiting fits only in a URL budget over 150 s (2 × total_timeout)
    res, f, ft = run(Archive(tmp_path), srv.url("/p"), policy(retry_after_max=120, total_timeout=100))
    assert res.ok and res.attempts == 3
    assert 25 <= ft.sleeps[0] <= 30 and ft.sleeps[1] == 120


def test_retry_after_beyond_the_url_budget_gives_up(srv, tmp_path):
    srv.route("/p", Reply(503, b"", {"Retry-After": "90"}), Reply(200, b"ok"))
    res, f, ft = run(Archive(tmp_path), srv.url("/p"), policy(retry_after_max=120, total_timeout=40))
    assert not res.ok and res.status == 503 and res.attempts == 1 and ft.sleeps == []  # 90 s > 2 × 40 s
    assert f._throttle._host(srv.netloc).next_start >= ft.now + 89  # the host still gets its pause
    # named for what it is: the host asked to be left alone for a while (a bare "HTTP 503" read as a server error)
    assert res.error_kind == "http" and res.error.startswith("HTTP 503: the host asked for a pause of 90 s "
                                                             "(Retry-After), longer than this URL may wait"), res.error


def test_an_absurd_retry_after_is_named_as_the_host_sent_it(srv, tmp_path):
    """A day asked (as seconds or as a date), capped at retry_after_max for the host's pause; the message says
    what the host asked. Retries spent on a short pause are no pause too long to wait for."""
    when = format_datetime(datetime.now(timezone.utc) + timedelta(days=2), usegmt=True)
    srv.route("/day", Reply(429, b"", {"Retry-After": "86400"}))
    srv.route("/date", Reply(503, b"", {"Retry-After": when}))
    srv.route("/short", Reply(503, b"", {"Retry-After": "1"}))
    pol = policy(retry_after_max=120, total_timeout=40, retries=1)
    day, f, ft = run(Archive(tmp_path), srv.url("/day"), pol)
    date, _, _ = run(Archive(tmp_path), srv.url("/date"), pol)
    short, _, _ = run(Archive(tmp_path), srv.url("/short"), pol)
    assert "a pause of 86400 s (Retry-After)" in day.error and day.attempts == 1 and ft.sleeps == []
    assert "a pause of 17279" in date.error or "a pause of 172800 s" in date.error, date.error
    assert short.error == "HTTP 503" and short.attempts == 2


def test_429_retry_after_real_wait(srv, tmp_path):
    srv.route("/p", Reply(429, b"", {"Retry-After": "1"}), Reply(200, b"ok"))
    t0 = time.monotonic()
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), faketime=False)
    hits = srv.hits("/p")
    assert res.ok and hits[1].at - hits[0].at >= 0.95 and time.monotonic() - t0 < 10


def test_500_forever_gives_up(srv, tmp_path):
    srv.route("/p", Reply(500, b"oops"))
    res, f, ft = run(Archive(tmp_path), srv.url("/p"), policy(retries=4, backoff_base=1, backoff_max=3))
    assert not res.ok and res.error_kind == "http" and res.status == 500 and res.attempts == 5
    assert len(srv.hits("/p")) == 5 and len(ft.sleeps) == 4
    assert all(0 <= s <= cap for s, cap in zip(ft.sleeps, [1, 2, 3, 3]))  # min(backoff_max, base·2^n)
    st = f.stats.as_dict()[srv.netloc]
    assert st["retries"] == 4 and st["errors"] == {"http": 1} and st["archived"] == 0
    assert not list(tmp_path.rglob("*"))


def test_timeout_then_success(srv, tmp_path):
    srv.route("/p", Reply(200, b"late", delay=1.5), Reply(200, b"quick"))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), policy(read_timeout=0.3))
    assert res.ok and res.body == b"quick" and res.attempts == 2


def test_timeout_forever(srv, tmp_path):
    srv.route("/p", Reply(200, b"late", delay=1.0))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), policy(read_timeout=0.2, retries=1))
    assert not res.ok and res.error_kind == "timeout" and res.attempts == 2 and res.status is None


def test_total_timeout_bounds_an_attempt(srv, tmp_path):
    srv.route("/p", Reply(200, b"late", delay=2.0), Reply(200, b"ok"))  # slack for a loaded machine's late timer
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), policy(read_timeout=5, total_timeout=0.6))
    assert res.ok and res.attempts == 2


def test_connection_reset_then_success(srv, tmp_path):
    srv.route("/p", Reply(action="reset"), Reply(200, b"ok"))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"))
    assert res.ok and res.body == b"ok" and res.attempts == 2


def test_connection_reset_forever(srv, tmp_path):
    srv.route("/p", Reply(action="reset"))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), policy(retries=1))
    assert not res.ok and res.error_kind == "reset" and res.attempts == 2


def test_truncated_body_then_success(srv, tmp_path):
    srv.route("/p", Reply(200, b"partial", action="truncate"), Reply(200, b"complete body"))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"))
    assert res.ok and res.body == b"complete body" and res.attempts == 2
    assert [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()] == [b"complete body"]


def test_truncated_forever_not_archived(srv, tmp_path):
    srv.route("/p", Reply(200, b"partial", action="truncate"))
    res, f, _ = run(Archive(tmp_path), srv.url("/p"), policy(retries=2))
    assert not res.ok and res.error_kind == "truncated" and res.attempts == 3 and res.sha256 is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


MALFORMED = {
    "conflicting Content-Length": (Reply(200, b"hello world", [("Content-Length", "11"), ("Content-Length", "5")]),
                                   "conflicting Content-Length headers"),
    "two lengths in one header": (Reply(200, b"hello world", [("Content-Length", "11, 5")]),
                                  "conflicting Content-Length headers"),
    "plain body labelled gzip": (Reply(200, b"<html>plain</html>", {"Content-Encoding": "gzip"}),
                                 "labelled Content-Encoding: gzip"),
    "plain body labelled deflate": (Reply(200, b"<html>plain</html>", {"Content-Encoding": "deflate"}),
                                    "labelled Content-Encoding: deflate"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_answer_fails_after_one_attempt(srv, tmp_path, case):
    """Headers that contradict themselves, a plain page labelled gzip: the server's answer is built wrong, and
    was asked five times over (reset, truncated), each retry's backoff spent, the host's error count raised."""
    reply, says = MALFORMED[case]
    srv.route("/p", reply)
    res, f, ft = run(Archive(tmp_path), srv.url("/p"))
    assert not res.ok and res.error_kind == "malformed" and res.attempts == 1, (res.error_kind, res.error)
    assert says in res.error and ft.sleeps == [] and res.sha256 is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_malformed_robots_txt_is_unreachable(srv, tmp_path):
    srv.route("/robots.txt", MALFORMED["plain body labelled gzip"][0]).route("/a", Reply(200, b"ok"))
    res, _, _ = run(Archive(tmp_path), srv.url("/a"), policy(respect_robots=True))
    assert res.error_kind == "robots_unreachable" and "malformed" in res.error and srv.hits("/a") == []
    assert len(srv.hits("/robots.txt")) == 1


def test_parse_retry_after():
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("-5") is None


def test_a_retry_after_heard_while_another_request_waits_for_its_turn_holds_that_one_too():
    """With two requests to a host at a time, the second waits for its turn in the host's slot; a Retry-After
    heard meanwhile must hold it too. Before, it went out at its old time and overwrote the host's later start, so
    with `per_host_concurrency = 2` every queued request reached a server that had asked for 5 minutes' peace."""
    import asyncio

    from govreports.fetch.throttle import HostThrottle

    ft = FakeTime()
    throttle = HostThrottle(fetch_policy(per_host_delay=1, per_host_concurrency=2), ft.clock, ft.sleep,
                            random.Random(1))
    starts = []

    async def request(answers_retry_after: bool):
        async with throttle.slot("h") as sent:
            starts.append(ft.clock())
            sent()
            await asyncio.sleep(0)  # the answer comes while the other request waits for its turn
            if answers_retry_after:
                throttle.push_back("h", 300)

    async def main():
        await asyncio.gather(request(True), request(False), request(False))

    asyncio.run(main())
    assert starts == [1000.0, 1301.0, 1302.0]  # the Retry-After came at 1001, when the clock had moved on


@pytest.mark.parametrize("persistent", [True, False], ids=["asks-again", "asks-once"])
def test_a_host_that_asks_twice_in_a_row_for_a_longer_pause_than_a_url_may_wait_is_not_asked_meanwhile(
        srv, tmp_path, persistent):
    """`Retry-After: 86400` (capped at retry_after_max, 120 s) on every answer: each URL of the host waited out the
    pause in the host's slot, uncharged to its budget (8 s), and heard it again: 120 s a URL, 6.7 hours for a
    portal of 200 reports. After the second pause in a row the rest fail at once as `retry_after`, unsent. A host
    that asks once (a brief rate limit) is waited for, and every URL is fetched, as before."""
    later = [Reply(503, b"", {"Retry-After": "86400"})] * 3 if persistent else [Reply(200, b"ok")]
    srv.route("/r0", Reply(503, b"", {"Retry-After": "86400"}), *later)
    for k in range(1, 4):
        srv.route(f"/r{k}", *([Reply(503, b"", {"Retry-After": "86400"})] * 3 if persistent else []),
                  Reply(200, b"ok"))
    ft = FakeTime()
    pol = policy(retry_after_max=120, total_timeout=4, per_host_concurrency=1)
    results, f = fetch_urls(Archive(tmp_path), [srv.url(f"/r{k}") for k in range(4)], pol, rng=random.Random(7),
                            sleep=ft.sleep, clock=ft.clock)
    if persistent:
        assert [r.status for r in results] == [503, 503, None, None]
        assert [r.error_kind for r in results[2:]] == ["retry_after"] * 2
        assert results[2].error.startswith("the host asked for a pause (Retry-After) again, which ends in 120 s")
        assert [len(srv.hits(f"/r{k}")) for k in range(4)] == [1, 1, 0, 0] and 120 <= ft.now - 1000 < 121
    else:
        assert [r.status for r in results] == [503, 200, 200, 200] and 120 <= ft.now - 1000 < 122


@pytest.mark.parametrize("retries", [0, 1])
def test_a_retry_after_on_a_urls_last_attempt_still_holds_the_host(srv, tmp_path, retries):
    """The URL gives up on its last attempt (every attempt with retries=0), but the host asked for 30 s: its next
    URL waits them out. The pause was read only when another attempt followed, so the next URL went out after the
    usual per-host delay, straight into another 429."""
    srv.route("/a", *[Reply(429, b"slow down", {"Retry-After": "1"})] * retries,
              Reply(429, b"slow down", {"Retry-After": "30"}))
    srv.route("/b", Reply(200, b"ok"))
    ft = FakeTime()
    (a, b), f = fetch_urls(Archive(tmp_path), [srv.url("/a"), srv.url("/b")], policy(retries=retries,
                           total_timeout=100), rng=random.Random(7), sleep=ft.sleep, clock=ft.clock)
    assert a.status == 429 and a.attempts == retries + 1 and b.ok
    assert ft.now - 1000 >= retries + 30  # /b waited for the pause the last 429 asked for


def test_a_host_that_leaves_request_after_request_unanswered_is_not_asked_again_this_run(srv, tmp_path):
    """A host that takes connections and never answers (a file server hung behind its load balancer) cost every
    one of its URLs its whole timeout, twice (the retry): ~2 minutes a URL with the defaults, hours for a portal's
    200 attachments, one slot at a time, and the night reached its time limit. After `host_silence_limit` attempts
    in a row without an answer its other URLs fail at once, as timeouts, saying why; another host is asked as
    before, and an answer between timeouts starts the count again."""
    for k in range(6):
        srv.route(f"/hung/{k}", Reply(200, b"late", delay=1.0))
    srv.route("/ok", Reply(200, b"fine"))
    other = srv.url("/ok", host="localhost")
    urls = [srv.url("/hung/0"), srv.url("/ok"), srv.url("/hung/1"), srv.url("/hung/2"), srv.url("/hung/3"),
            srv.url("/hung/4"), other, srv.url("/hung/5")]
    pol = policy(read_timeout=0.2, retries=1, host_silence_limit=4, allowed_hosts={"127.0.0.1", "localhost"})
    results, _ = fetch_urls(Archive(tmp_path), urls, pol, rng=random.Random(7))
    by_url = dict(zip(urls, results))
    assert by_url[srv.url("/ok")].ok and by_url[other].ok
    # /hung/0's two timeouts, then an answer: the count starts again; /hung/1 and /hung/2 reach the limit of 4
    for k in range(3):
        assert len(srv.hits(f"/hung/{k}")) == 2 and by_url[srv.url(f"/hung/{k}")].error_kind == "timeout"
    for k in (3, 4, 5):
        res = by_url[srv.url(f"/hung/{k}")]
        assert srv.hits(f"/hung/{k}") == [] and not res.ok and res.error_kind == "timeout" and res.attempts == 0
        assert "4 requests in a row" in res.error and "not asked again this run" in res.error


def test_a_host_that_answers_url_after_url_with_server_errors_is_not_asked_again_this_run(srv, tmp_path):
    """A portal down behind its load balancer (503 to everything, no Retry-After) cost each of its URLs every retry,
    the host's delay risen to max_delay between them: ~5 minutes a URL with the defaults, 4 hours for 50 URLs,
    the night's time limit for a portal's 200 attachments. After `host_error_limit` URLs in a row have spent their
    retries on server errors its other URLs fail at once, saying why; another host is asked as before, and an
    answer that is no server error, between them, starts the count again."""
    for k in range(6):
        srv.route(f"/down/{k}", Reply(503, b"Service Unavailable"))
    srv.route("/ok", Reply(200, b"fine"))
    other = srv.url("/ok", host="localhost")
    urls = [srv.url("/down/0"), srv.url("/ok"), srv.url("/down/1"), srv.url("/down/2"), srv.url("/down/3"),
            srv.url("/down/4"), other, srv.url("/down/5")]
    ft = FakeTime()
    pol = policy(retries=2, host_error_limit=3, allowed_hosts={"127.0.0.1", "localhost"})
    results, _ = fetch_urls(Archive(tmp_path), urls, pol, rng=random.Random(7), sleep=ft.sleep, clock=ft.clock)
    by_url = dict(zip(urls, results))
    assert by_url[srv.url("/ok")].ok and by_url[other].ok
    # /down/0's three 503s, then an answer: the count starts again; /down/1, /down/2 and /down/3 reach the limit
    for k in range(4):
        assert len(srv.hits(f"/down/{k}")) == 3 and by_url[srv.url(f"/down/{k}")].status == 503
    for k in (4, 5):
        res = by_url[srv.url(f"/down/{k}")]
        assert srv.hits(f"/down/{k}") == [] and not res.ok and res.error_kind == "http" and res.attempts == 0
        assert "the last 3 URLs of the host failed in a row (HTTP 503), each after its retries" in res.error
        assert "not asked again this run" in res.error


@pytest.mark.parametrize("action", ["reset", "truncate"])
def test_a_host_that_breaks_off_url_after_url_is_not_asked_again_this_run(srv, tmp_path, action):
    """A firewall that resets every connection from the crawler (or a host that cuts every body short) cost each
    URL every retry, as a 503 does: 4 hours for 50 URLs. It counts towards `host_error_limit` as server errors do,
    and the URLs not asked fail with its kind."""
    for k in range(5):
        srv.route(f"/p/{k}", Reply(200, b"x" * 100, action=action))
    ft = FakeTime()
    pol = policy(retries=2, host_error_limit=3)
    results, _ = fetch_urls(Archive(tmp_path), [srv.url(f"/p/{k}") for k in range(5)], pol, rng=random.Random(7),
                            sleep=ft.sleep, clock=ft.clock)
    kind = "reset" if action == "reset" else "truncated"
    assert [len(srv.hits(f"/p/{k}")) for k in range(5)] == [3, 3, 3, 0, 0]
    assert [r.error_kind for r in results[:3]] == [kind] * 3
    for res in results[3:]:
        assert res.error_kind == kind and res.attempts == 0
        assert f"the last 3 URLs of the host failed in a row ({kind}), each after its retries" in res.error


def test_urls_that_answer_500_do_not_count_against_their_host(srv, tmp_path):
    """A 500 is one URL's trouble more often than its host's (a download servlet answering a file long gone): a
    column's old reports, each with its dead file, must not have the host's later good URLs left unasked."""
    for k in range(4):
        srv.route(f"/gone/{k}", Reply(500, b"java.io.FileNotFoundException"))
    srv.route("/new", Reply(200, b"%PDF-1.4"))
    ft = FakeTime()
    urls = [srv.url(f"/gone/{k}") for k in range(4)] + [srv.url("/new")]
    results, _ = fetch_urls(Archive(tmp_path), urls, policy(retries=1, host_error_limit=2), rng=random.Random(7),
                            sleep=ft.sleep, clock=ft.clock)
    assert [r.status for r in results] == [500, 500, 500, 500, 200] and results[-1].ok
