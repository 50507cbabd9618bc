"""The polite fetcher: robots.txt, allowed hosts, per-host pacing, retries, manual redirects, gates, archive.

Modelled on httpx's layered client with explicit errors and zavod's ``context.fetch``: one call per URL, never an
exception for network or HTTP trouble (the run goes on; the FetchResult says what happened), every accepted 2xx body
stored in the content-addressed archive, conditional GETs answered from the archive on 304. Redirects are followed
by hand so each hop is checked against ``allowed_hosts``, the fetch's own ``hosts``, robots.txt and the loop/length
limits. Connections go through ``netguard.GuardedTransport`` (public addresses only, unless the policy allows
private ones); each URL's attempts and backoff sleeps share one time budget (``budget``); the validators asked with
and a 304's archived body are ``conditional``'s. An archive that cannot be written is no URL's trouble: StorageError
(errors), which stops the run.
"""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx

from govreports.clock import now_iso
from govreports.errors import StorageError
from govreports.fetch.archive import Archive
from govreports.fetch.attempt import Attempt, send_once
from govreports.fetch.budget import Budget
from govreports.fetch.conditional import ConditionalGets, ValidatorsLookup
from govreports.fetch.decoding import ACCEPT_ENCODING
from govreports.fetch.gates import detect_gate
from govreports.fetch.netguard import GuardedTransport, warn_about_env_proxies
from govreports.fetch.policy import FetchPolicy, host_in, parse_retry_after
from govreports.fetch.result import RETRY_LIMITS, RETRYABLE_KINDS, FetchResult, decode_text
from govreports.fetch.robots import RobotsAnswer, RobotsCache
from govreports.fetch.stats import FetchStats
from govreports.fetch.throttle import HostErring, HostResting, HostSilent, HostThrottle
from govreports.fetch.urls import (browser_host, browser_location, defragment, fqdn_dropped, location_header,
                                   netloc_of)

EXPECT = frozenset({"html", "xml", "json", "binary"})
_ACCEPT = {
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "xml": "application/xml,text/xml;q=0.9,*/*;q=0.8",
    "json": "application/json,text/javascript;q=0.9,*/*;q=0.8",
    "binary": "*/*",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
GateHook = Callable[[str, str], Awaitable[bool]]
_INLINE_ARCHIVE_BYTES = 1 << 20  # hashing and writing 1 MB to the page cache: under a millisecond
_MIN_ATTEMPT_SHARE = 0.1  # a retry needs at least this share of total_timeout left in the URL's budget
# Connections the pool may keep, per request in flight: a night crawls many hosts by turns, each paced (per_host_delay);
# 64 for 16 in flight keep theirs between turns (an idle one closes after httpx's keepalive_expiry, 5 s).
KEPT_ALIVE_PER_CONNECTION = 4

class Fetcher(ConditionalGets):
    """``async with Fetcher(policy, archive) as f: res = await f.fetch(url)``.

    ``sleep``/``clock``/``rng`` are injectable so tests need not wait; ``transport`` lets tests swap the network
    (it then replaces the guarded transport, address check included). ``verify`` is httpx's: an ``ssl.SSLContext``
    trusting an extra CA, say; certificates are always checked against the URL's host name.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        archive: Archive | None = None,
        validators_lookup: ValidatorsLookup | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        verify: ssl.SSLContext | bool = True,
    ):
        if archive is None:
            raise TypeError("Fetcher needs an Archive: every accepted body is archived")
        self.policy = policy or FetchPolicy()
        self.archive = archive
        self.validators_lookup = validators_lookup
        self.sleep = sleep or asyncio.sleep
        self.clock = clock or time.monotonic
        self.rng = rng or random.Random()
        self.stats = FetchStats()
        self._transport = transport
        self._verify = verify
        self._client: httpx.AsyncClient | None = None
        self._throttle = HostThrottle(self.policy, self.clock, self.sleep, self.rng)
        self._global = asyncio.Semaphore(self.policy.max_connections)
        self._robots = RobotsCache(self._fetch_robots, self.policy.robots_max_bytes)
        self.browsers = None  # fetch.browser.BrowserPool: headless browsers of browser-mode portals, closed with us

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        # the semaphore caps what is in flight; a pool that small closed one host's connection for another's request
        kept = p.max_connections * KEPT_ALIVE_PER_CONNECTION
        limits = httpx.Limits(max_connections=kept, max_keepalive_connections=kept)
        transport = self._transport or GuardedTransport(
            allow_private_addresses=p.allow_private_addresses, verify=self._verify, trust_env=p.trust_env,
            limits=limits,
        )
        if p.trust_env and self._transport is None:
            warn_about_env_proxies()
        # With a transport of ours httpx mounts no environment proxies (see netguard): the address check holds.
        self._client = httpx.AsyncClient(
            headers={"User-Agent": p.user_agent, "Accept-Language": p.accept_language, **p.extra_headers,
                     "Accept-Encoding": ACCEPT_ENCODING},  # what decoding.BodyDecoder reads, whatever else asks
            timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout, pool=None),
            limits=limits, follow_redirects=False, trust_env=p.trust_env, transport=transport,
            event_hooks={"response": [browser_location]},  # a full-width host in a Location, as browsers read it
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self.browsers is not None:
            await self.browsers.aclose()
            self.browsers = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- public -------------------------------------------------------------------------------------------------

    async def fetch(
        self, url: str, method: str = "GET", data: Any = None, headers: dict[str, str] | None = None,
        referer: str | None = None, conditional: bool = True, expect: str = "html",
        hosts: Iterable[str] | None = None, on_gate: GateHook | None = None, body_if_unchanged: bool = True,
    ) -> FetchResult:
        """Fetch ``url``; never raises for network or HTTP trouble (the result's ``error_kind`` says what happened).

        ``hosts``: the netlocs this fetch may visit ("host:port", or "host" for any port) — one portal's own hosts,
        when one Fetcher (whose ``allowed_hosts`` is the union) serves several portals. The URL and every redirect
        hop must be in it as well as in ``allowed_hosts``: a first URL outside it is ``host_not_allowed``, a
        redirect into another allowed host outside it is ``cross_portal_redirect``, a redirect outside all allowed
        hosts stays ``host_not_allowed``. None: any allowed host.

        ``on_gate(url, gate)``: called when an anti-bot gate answers a hop (the browser fetch mode, fetch/browser.py);
        True means it earned the cookies, and the hop is asked once more instead of failing as ``blocked``.

        ``body_if_unchanged=False``: a 304's archived body is not read. ``body`` and ``text`` stay None, ``encoding``
        is the stored one, and ``unchanged_body(result)`` reads them if they turn out to be wanted. A no-change
        night needs only the answer: reading and decoding every unchanged page in a worker thread was a quarter to a
        third of its CPU (2,625 requests, side by side: 4.5–5.3 → 3.2–3.6 s).
        """
        if self._client is None:
            raise RuntimeError("use Fetcher as `async with Fetcher(...) as f:`")
        if expect not in EXPECT:
            raise ValueError(f"expect must be one of {sorted(EXPECT)}, not {expect!r}")
        if isinstance(hosts, str):
            raise TypeError("hosts is a collection of netlocs, not a string")
        scope = None if hosts is None else frozenset(h.strip().lower() for h in hosts)
        method = method.upper()
        t0 = time.monotonic()
        res = FetchResult(url=url, final_url=url, method=method)
        try:
            parsed = httpx.URL(browser_host(url))  # a host typed in full-width characters, as browsers read it
            parsed.host  # noqa: B018 - an xn-- label is decoded here, and a malformed one raises (a UnicodeError)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            return self._fail(res, "bad_url", f"invalid URL: {exc}", t0, None)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return self._fail(res, "bad_url", "only absolute http(s) URLs are fetched", t0, None)
        self.stats.host(netloc_of(parsed)).fetches += 1
        hdrs = httpx.Headers({"Accept": _ACCEPT[expect]})
        hdrs.update(headers or {})  # case-insensitive: the caller's Accept replaces ours
        if referer:
            hdrs["Referer"] = referer
        validators = await self._validators(url) if conditional and method in ("GET", "HEAD") else None
        if validators and self.policy.refetch_due(url, validators.fetched_at):  # a 304 believed long enough
            validators, res.refreshed = None, True
        if validators:
            if validators.etag:
                hdrs["If-None-Match"] = validators.etag
            if validators.last_modified:
                hdrs["If-Modified-Since"] = validators.last_modified
        att = await self._follow(res, method, data, hdrs, check_robots=self.policy.respect_robots, scope=scope,
                                 on_gate=on_gate, start=parsed)
        if res.error_kind:
            return self._fail(res, res.error_kind, res.error or "", t0, att)
        assert att is not None and att.status is not None
        self._fill(res, att)
        if att.status == 304 and validators is not None:
            refetch = functools.partial(self.fetch, url, method, data, headers, referer, conditional=False,
                                        expect=expect, hosts=scope)
            if validators.final_url is not None and validators.final_url != res.final_url:
                return await self._again(res, refetch)  # a 304 for another document than the one archived
            return await self._not_modified(res, validators, t0, expect, refetch, body_if_unchanged, att.netloc)
        if not 200 <= att.status < 300:
            return self._fail(res, "http", att.error or f"HTTP {att.status}", t0, att)
        res.ok = True
        if method != "HEAD" and att.body is not None:
            res.sha256, created = await self.archive_body(att.body, res.final_url)  # one hash, one look-up
            res.archive_path = self.archive.relpath(res.sha256)
            self.stats.host(att.netloc or self._key(res.final_url)).archived += created
        decode_text(res, expect, None)
        res.elapsed = time.monotonic() - t0
        return res

    # ---- steps --------------------------------------------------------------------------------------------------

    async def archive_body(self, body: bytes, url: str) -> tuple[str, bool]:
        """Store `body`: in this thread when the archive syncs in batches and the body is small (without an fsync
        to wait for, a file write costs less than handing it to a thread and back: 1.9 vs 2.3–3.6 ms of CPU a
        request, measured); else in a worker thread, so a large body or an fsync never holds up the event loop.

        An archive that cannot be written (a full disk, a read-only or lost folder) is StorageError, not the URL's
        failure: every later fetch would fail the same way, and recorded against each page it would name portals
        "unreachable" and documents "failed" for what is the disk's doing."""
        try:
            if self.archive.batched and len(body) <= _INLINE_ARCHIVE_BYTES:
                return self.archive.store(body)
            return await asyncio.to_thread(self.archive.store, body)
        except OSError as exc:
            raise StorageError(f"could not write the archive {self.archive.root}: {exc} (storing {url}); nothing "
                               "more can be stored, so the run stops here") from exc

    async def _follow(
        self, res: FetchResult, method: str, data: Any, headers: httpx.Headers, *, check_robots: bool,
        scope: frozenset[str] | None, max_body: int | None = None, cut_body: bool = False,
        on_gate: GateHook | None = None, start: httpx.URL | None = None,
    ) -> Attempt | None:
        """Request ``res.url`` and follow redirects by hand; sets res.final_url/redirects/attempts or res.error_kind.

        All hops share one time budget (FetchPolicy.url_budget); robots.txt lookups are not charged to it.
        ``start``: ``res.url`` already parsed (httpx parsing a URL costs more than the rest of a hop's bookkeeping,
        so each hop's URL is parsed once and handed down).
        """
        p = self.policy
        budget = Budget(p.url_budget)
        current, seen = start if start is not None else httpx.URL(res.url), set()
        while True:
            current = fqdn_dropped(current)  # `x.gov.cn.` (a link's, a Location's) is asked as x.gov.cn
            res.final_url = str(current)
            seen.add(defragment(res.final_url))
            if current.scheme not in ("http", "https") or not current.host:
                res.error_kind, res.error = "bad_url", f"cannot follow to {current}"
                return None
            if current.port is not None and not 0 < current.port < 65536:  # httpx parses it; connect() raises
                res.error_kind, res.error = "bad_url", f"port {current.port} is out of range (1-65535): {current}"
                return None
            netloc = netloc_of(current)
            if not p.host_allowed(current.host, netloc):
                res.error_kind, res.error = "host_not_allowed", f"host {netloc} is not in allowed_hosts"
                return None
            if scope is not None and not host_in(scope, current.host, netloc):
                if res.redirects:
                    res.error_kind = "cross_portal_redirect"
                    res.error = (f"{res.redirects[-1]} redirects to {netloc}, a host outside this fetch's hosts "
                                 f"({', '.join(sorted(scope))})")
                else:
                    res.error_kind = "host_not_allowed"
                    res.error = f"host {netloc} is not among this fetch's hosts ({', '.join(sorted(scope))})"
                return None
            if check_robots:
                refusal = await self._robots_refusal(current)
                if refusal:
                    res.error_kind, res.error = refusal
                    return None
            if res.redirects and not budget.affords(0.0, p.total_timeout * _MIN_ATTEMPT_SHARE):
                res.error_kind = "timeout"
                res.error = f"the URL's {p.url_budget:g} s budget is spent after {len(res.redirects)} redirects"
                return None
            att = await self._with_retries(res, method, current, netloc, headers, data, budget,
                                           max_body if max_body is not None else p.max_body_bytes, cut_body)
            if att.error_kind:
                res.status = att.status
                res.error_kind, res.error = att.error_kind, att.error
                return att
            gate = detect_gate(att.status, att.body, att.cookies)
            if gate and on_gate is not None and await on_gate(str(current), gate):
                continue  # passed: this hop once more, with the cookies earned (on_gate bounds how often)
            if gate:
                self._throttle.penalise(netloc)
                self.stats.host(netloc).blocked += 1
                res.gate, res.error_kind, res.error = gate, "blocked", f"anti-bot gate ({gate}), HTTP {att.status}"
                return att
            location = location_header(att.headers)
            if att.status not in _REDIRECTS or not location:
                return att
            res.redirects.append(str(current))
            try:
                target = current.join(location.strip())
                target.host  # noqa: B018 - a malformed xn-- label raises as it is decoded (a UnicodeError)
            except (httpx.InvalidURL, UnicodeError) as exc:
                res.error_kind, res.error = "bad_url", f"bad Location {location!r}: {exc}"
                return att
            if len(res.redirects) > p.max_redirects:
                res.error_kind, res.error = "too_many_redirects", f"more than {p.max_redirects} redirects"
                return att
            if defragment(str(target)) in seen:
                res.error_kind, res.error = "redirect_loop", f"redirect loop back to {target}"
                return att
            if att.status == 303 or (att.status in (301, 302) and method == "POST"):
                method, data = ("HEAD" if method == "HEAD" else "GET"), None
            current = target

    async def _with_retries(
        self, res: FetchResult, method: str, url: httpx.URL, netloc: str, headers: httpx.Headers, data: Any,
        budget: Budget, max_body: int, cut_body: bool,
    ) -> Attempt:
        """Send, retrying transient failures: each kind at most RETRY_LIMITS/policy.retries times, within budget."""
        p = self.policy
        hs = self.stats.host(netloc)
        retried: Counter[str] = Counter()
        for n in range(p.retries + 1):
            patience = budget.left - p.total_timeout * _MIN_ATTEMPT_SHARE
            try:  # waiting for the slot is not charged to the budget; a host that keeps asking for a pause is
                async with self._throttle.slot(netloc, patience) as sent, self._global:
                    att = await send_once(
                        self._client, method, url, headers=headers, data=data,  # type: ignore[arg-type]
                        max_body=max_body, total_timeout=budget.deadline(p.total_timeout), cut_body=cut_body,
                        max_text_body=None if cut_body else p.max_text_bytes, on_send=sent,
                    )
            except HostResting as resting:  # not requested this run (throttle.slot)
                return Attempt(error_kind="retry_after", error=f"{resting}, longer than this URL may wait "
                                                                f"({max(patience, 0):.0f} s); not requested")
            except HostSilent as silent:  # not requested this run: the host answers nothing (throttle.slot)
                return Attempt(error_kind="timeout", error=str(silent))
            except HostErring as erring:  # not requested this run: the host's URLs keep failing (throttle.slot)
                return Attempt(error_kind=erring.kind, error=str(erring))
            att.netloc = netloc
            budget.spend(att.elapsed)
            res.attempts += 1
            hs.requests += 1
            hs.bytes += len(att.body or b"")
            if att.status is not None:
                hs.by_status[att.status] += 1
            failed = att.error_kind in RETRYABLE_KINDS or att.status in p.retry_statuses or (att.status or 0) >= 500
            good = att.error_kind is None and att.status is not None and att.status < 400
            self._throttle.observe(netloc, att.elapsed, good=good, failed=failed)
            self._throttle.heard(netloc, answered=att.status is not None, timed_out=att.error_kind == "timeout",
                                 failed=att.error_kind in RETRYABLE_KINDS or (
                                     att.error_kind is None and att.status in p.retry_statuses))
            if detect_gate(att.status, att.body, att.cookies):
                return att  # never retried: the caller marks it blocked and slows the host
            if att.error_kind in RETRYABLE_KINDS:
                kind = att.error_kind
            elif att.error_kind is None and att.status in p.retry_statuses:
                kind = f"HTTP {att.status}"
            else:
                return att
            asked = p.retry_after(att.headers.get("retry-after")) if att.status in p.retry_statuses else None
            if asked is not None:  # before the "no more retries" return: on a URL's last attempt (every attempt
                # with retries=0) the host's next URL went out after the usual delay, ignoring the pause it asked for
                self._throttle.push_back(netloc, asked)  # the host asked for the pause, whatever this URL does next
            if n == p.retries or retried[kind] >= RETRY_LIMITS.get(kind, p.retries):
                self._gave_up(netloc, kind)
                return att
            wait = asked if asked is not None else p.backoff(n, self.rng)
            if not budget.affords(wait, p.total_timeout * _MIN_ATTEMPT_SHARE):
                self._gave_up(netloc, kind)
                if asked is not None:  # the host asked to be left alone a while: a bare "HTTP 503" read as its fault
                    sent = parse_retry_after(att.headers.get("retry-after")) or 0.0  # as sent, not capped
                    may = max(budget.left - p.total_timeout * _MIN_ATTEMPT_SHARE, 0.0)
                    att.error = (f"HTTP {att.status}: the host asked for a pause of {sent:.0f} s (Retry-After), "
                                 f"longer than this URL may wait ({may:.0f} s); not asked again this run")
                return att  # another attempt would not fit in the URL's budget
            retried[kind] += 1
            hs.retries += 1
            budget.spend(wait)
            await self.sleep(wait)
        raise AssertionError("unreachable")

    def _gave_up(self, netloc: str, kind: str) -> None:
        """A URL of the host failed after its retries: counted towards host_error_limit, unless on a 500, one URL's
        trouble more often than its host's (a download servlet answering a file long gone with 500: a column's old
        reports in a row had the host's later good URLs left unasked)."""
        if kind != "HTTP 500":
            self._throttle.gave_up(netloc, kind)

    async def _robots_refusal(self, url: httpx.URL) -> tuple[str, str] | None:
        """(error kind, message) when robots.txt keeps us from ``url`` (see robots.py for the kinds), else None."""
        origin = f"{url.scheme}://{netloc_of(url)}"
        rules = await self._robots.rules(origin)
        delay = rules.crawl_delay(self.policy.user_agent)
        if delay:
            self._throttle.set_floor(netloc_of(url), delay)
        refusal = rules.refusal(str(url), self.policy.user_agent)  # a 5xx robots.txt read as no rules where the
        allow = host_in(self.policy.robots_unreachable_allow, url.host, netloc_of(url))  # portal says so
        return None if allow and refusal and refusal[0] == "robots_unreachable" else refusal

    async def _fetch_robots(self, origin: str) -> RobotsAnswer:
        res = FetchResult(url=f"{origin}/robots.txt", final_url=f"{origin}/robots.txt", method="GET")
        # a browser-mode portal's gate passer gets the gate in front of robots.txt as the hop meets it: the hop is
        # asked again with the cookies, and a gate passed does not slow the host down as one not passed does
        att = await self._follow(res, "GET", None, httpx.Headers({"Accept": "text/plain,*/*;q=0.8"}),
                                 check_robots=False, scope=None, max_body=self.policy.robots_max_bytes,
                                 cut_body=True, on_gate=self._robots.gate_passer)
        if res.error_kind == "blocked":  # a gate in front of robots.txt: treat as "no rules"; pages will show it
            return RobotsAnswer(403, None, "blocked", res.error)
        if att is None:
            return RobotsAnswer(None, None, res.error_kind, res.error)
        return RobotsAnswer(att.status, att.body, res.error_kind, res.error, att.cut)

    # ---- for the browser fetch mode (fetch/browser.py) ------------------------------------------------------------

    @property
    def cookies(self) -> httpx.Cookies:
        """The client's cookie jar: cookies a browser earned at a gate are put here for httpx to send."""
        if self._client is None:
            raise RuntimeError("use Fetcher as `async with Fetcher(...) as f:`")
        return self._client.cookies

    def host_slot(self, netloc: str):
        """The host's throttle slot (``async with``): a browser navigation is paced as one request."""
        return self._throttle.slot(netloc)

    # ---- helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _key(url: str) -> str:
        return netloc_of(httpx.URL(url))

    @staticmethod
    def _fill(res: FetchResult, att: Attempt) -> None:
        res.status, res.body = att.status, att.body
        res.headers = {k.lower(): v for k, v in att.headers.items()}
        res.content_type = att.headers.get("content-type")
        res.etag, res.last_modified = att.headers.get("etag"), att.headers.get("last-modified")
        res.fetched_at = now_iso()

    def _fail(self, res: FetchResult, kind: str, message: str, t0: float, att: Attempt | None) -> FetchResult:
        if att is not None and att.status is not None:
            self._fill(res, att)
        res.ok, res.error_kind, res.error = False, kind, message
        res.fetched_at = res.fetched_at or now_iso()
        res.elapsed = time.monotonic() - t0
        try:
            self.stats.host(self._key(res.final_url)).errors[kind] += 1
        except (httpx.InvalidURL, TypeError, ValueError):
            self.stats.host("(invalid)").errors[kind] += 1
        return res
