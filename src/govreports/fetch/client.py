"""The polite fetcher: robots.txt, allowed hosts, per-host pacing, retries, manual redirects, gates, archive.

Modelled on httpx's layered client with explicit errors and zavod's ``context.fetch``: one call per URL, never an
exception for network or HTTP trouble (the run goes on; the FetchResult says what happened), every accepted 2xx body
stored in the content-addressed archive, conditional GETs answered from the archive on 304. Redirects are followed
by hand so each hop is checked against ``allowed_hosts``, robots.txt and the loop/length limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from govreports.fetch.archive import Archive
from govreports.fetch.attempt import Attempt, send_once
from govreports.fetch.gates import detect_gate
from govreports.fetch.policy import FetchPolicy
from govreports.fetch.result import RETRYABLE_KINDS, FetchResult, Validators, decode_text, now_iso
from govreports.fetch.robots import RobotsCache
from govreports.fetch.stats import FetchStats
from govreports.fetch.throttle import HostThrottle

EXPECT = frozenset({"html", "xml", "json", "binary"})
_ACCEPT = {
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "xml": "application/xml,text/xml;q=0.9,*/*;q=0.8",
    "json": "application/json,text/javascript;q=0.9,*/*;q=0.8",
    "binary": "*/*",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
ValidatorsLookup = Callable[[str], "Validators | None | Awaitable[Validators | None]"]


def _netloc(url: httpx.URL) -> str:
    if not url.host:
        return "(no host)"
    return f"{url.host}:{url.port}" if url.port else url.host


class Fetcher:
    """``async with Fetcher(policy, archive) as f: res = await f.fetch(url)``.

    ``sleep``/``clock``/``rng`` are injectable so tests need not wait; ``transport`` lets tests swap the network.
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
        self._client: httpx.AsyncClient | None = None
        self._throttle = HostThrottle(self.policy, self.clock, self.sleep, self.rng)
        self._global = asyncio.Semaphore(self.policy.max_connections)
        self._robots = RobotsCache(self._fetch_robots, self.policy.robots_max_bytes)

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        self._client = httpx.AsyncClient(
            headers={"User-Agent": p.user_agent, "Accept-Language": p.accept_language, **p.extra_headers},
            timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout, pool=None),
            limits=httpx.Limits(max_connections=p.max_connections, max_keepalive_connections=p.max_connections),
            follow_redirects=False, trust_env=p.trust_env, transport=self._transport,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- public -------------------------------------------------------------------------------------------------

    async def fetch(
        self, url: str, method: str = "GET", data: Any = None, headers: dict[str, str] | None = None,
        referer: str | None = None, conditional: bool = True, expect: str = "html",
    ) -> FetchResult:
        if self._client is None:
            raise RuntimeError("use Fetcher as `async with Fetcher(...) as f:`")
        if expect not in EXPECT:
            raise ValueError(f"expect must be one of {sorted(EXPECT)}, not {expect!r}")
        method = method.upper()
        t0 = time.monotonic()
        res = FetchResult(url=url, final_url=url, method=method)
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            return self._fail(res, "bad_url", f"invalid URL: {exc}", t0, None)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return self._fail(res, "bad_url", "only absolute http(s) URLs are fetched", t0, None)
        self.stats.host(_netloc(parsed)).fetches += 1
        hdrs = httpx.Headers({"Accept": _ACCEPT[expect]})
        hdrs.update(headers or {})  # case-insensitive: the caller's Accept replaces ours
        if referer:
            hdrs["Referer"] = referer
        validators = await self._validators(url) if conditional and method in ("GET", "HEAD") else None
        if validators:
            if validators.etag:
                hdrs["If-None-Match"] = validators.etag
            if validators.last_modified:
                hdrs["If-Modified-Since"] = validators.last_modified
        att = await self._follow(res, method, data, hdrs, check_robots=self.policy.respect_robots)
        if res.error_kind:
            return self._fail(res, res.error_kind, res.error or "", t0, att)
        assert att is not None and att.status is not None
        self._fill(res, att)
        if att.status == 304 and validators is not None:
            return await self._not_modified(res, validators, t0, data, headers, referer, expect)
        if not 200 <= att.status < 300:
            return self._fail(res, "http", f"HTTP {att.status}", t0, att)
        res.ok = True
        if method != "HEAD" and att.body is not None:
            existed = self.archive.exists(hashlib.sha256(att.body).hexdigest())
            res.sha256 = await asyncio.to_thread(self.archive.put, att.body)
            res.archive_path = self.archive.relpath(res.sha256)
            self.stats.host(self._key(res.final_url)).archived += 0 if existed else 1
        decode_text(res, expect, None)
        res.elapsed = time.monotonic() - t0
        return res

    # ---- steps --------------------------------------------------------------------------------------------------

    async def _validators(self, url: str) -> Validators | None:
        if self.validators_lookup is None:
            return None
        v = self.validators_lookup(url)
        if inspect.isawaitable(v):
            v = await v
        if v is None or not v.sha256 or not (v.etag or v.last_modified) or not self.archive.exists(v.sha256):
            return None  # a 304 is only useful when the body it stands for is in the archive
        return v

    async def _follow(
        self, res: FetchResult, method: str, data: Any, headers: httpx.Headers, *, check_robots: bool
    ) -> Attempt | None:
        """Request ``res.url`` and follow redirects by hand; sets res.final_url/redirects/attempts or res.error_kind."""
        p = self.policy
        current, seen = httpx.URL(res.url), set()
        while True:
            seen.add(str(current.copy_with(fragment=None)))
            res.final_url = str(current)
            if current.scheme not in ("http", "https") or not current.host:
                res.error_kind, res.error = "bad_url", f"cannot follow to {current}"
                return None
            if not p.host_allowed(current.host, _netloc(current)):
                res.error_kind, res.error = "host_not_allowed", f"host {_netloc(current)} is not in allowed_hosts"
                return None
            if check_robots and not await self._robots_allow(current):
                res.error_kind, res.error = "robots", f"robots.txt disallows {current}"
                return None
            att = await self._with_retries(res, method, str(current), headers, data)
            if att.error_kind:
                res.status = att.status
                res.error_kind, res.error = att.error_kind, att.error
                return att
            gate = detect_gate(att.status, att.body, att.cookies)
            if gate:
                self._throttle.penalise(_netloc(current))
                self.stats.host(_netloc(current)).blocked += 1
                res.gate, res.error_kind, res.error = gate, "blocked", f"anti-bot gate ({gate}), HTTP {att.status}"
                return att
            location = att.headers.get("location")
            if att.status not in _REDIRECTS or not location:
                return att
            res.redirects.append(str(current))
            try:
                target = current.join(location.strip())
            except httpx.InvalidURL as exc:
                res.error_kind, res.error = "bad_url", f"bad Location {location!r}: {exc}"
                return att
            if len(res.redirects) > p.max_redirects:
                res.error_kind, res.error = "too_many_redirects", f"more than {p.max_redirects} redirects"
                return att
            if str(target.copy_with(fragment=None)) in seen:
                res.error_kind, res.error = "redirect_loop", f"redirect loop back to {target}"
                return att
            if att.status == 303 or (att.status in (301, 302) and method == "POST"):
                method, data = ("HEAD" if method == "HEAD" else "GET"), None
            current = target

    async def _with_retries(self, res: FetchResult, method: str, url: str, headers: httpx.Headers, data: Any) -> Attempt:
        p, netloc = self.policy, self._key(url)
        hs = self.stats.host(netloc)
        for n in range(p.retries + 1):
            async with self._throttle.slot(netloc), self._global:
                att = await send_once(
                    self._client, method, url, headers=headers, data=data,  # type: ignore[arg-type]
                    max_body=p.max_body_bytes, total_timeout=p.total_timeout,
                )
            res.attempts += 1
            hs.requests += 1
            hs.bytes += len(att.body or b"")
            if att.status is not None:
                hs.by_status[att.status] += 1
            failed = att.error_kind in RETRYABLE_KINDS or att.status in p.retry_statuses or (att.status or 0) >= 500
            good = att.error_kind is None and att.status is not None and att.status < 400
            self._throttle.observe(netloc, att.elapsed, good=good, failed=failed)
            if detect_gate(att.status, att.body, att.cookies):
                return att  # never retried: the caller marks it blocked and slows the host
            retry = att.error_kind in RETRYABLE_KINDS or (att.error_kind is None and att.status in p.retry_statuses)
            if not retry or n == p.retries:
                return att
            wait = p.retry_after(att.headers.get("retry-after")) if att.status in p.retry_statuses else None
            if wait is not None:
                self._throttle.push_back(netloc, wait)
            else:
                wait = p.backoff(n, self.rng)
            hs.retries += 1
            await self.sleep(wait)
        raise AssertionError("unreachable")

    async def _robots_allow(self, url: httpx.URL) -> bool:
        origin = f"{url.scheme}://{_netloc(url)}"
        rules = await self._robots.rules(origin)
        delay = rules.crawl_delay(self.policy.user_agent)
        if delay:
            self._throttle.set_floor(_netloc(url), delay)
        return rules.can_fetch(str(url), self.policy.user_agent)

    async def _fetch_robots(self, origin: str) -> tuple[int | None, bytes | None, str | None]:
        res = FetchResult(url=f"{origin}/robots.txt", final_url=f"{origin}/robots.txt", method="GET")
        att = await self._follow(res, "GET", None, httpx.Headers({"Accept": "text/plain,*/*;q=0.8"}),
                                 check_robots=False)
        if res.error_kind == "blocked":
            return 403, None, "blocked"  # a gate in front of robots.txt: treat as "no rules"; pages will show the gate
        return (att.status if att else None), (att.body if att else None), res.error_kind

    async def _not_modified(self, res, validators, t0, data, headers, referer, expect) -> FetchResult:
        try:
            body = await asyncio.to_thread(self.archive.get, validators.sha256)
        except FileNotFoundError:  # archive lost the file since the lookup: fetch it whole
            again = await self.fetch(res.url, res.method, data, headers, referer, conditional=False, expect=expect)
            again.attempts += res.attempts
            return again
        res.ok = res.not_modified = True
        res.body, res.sha256 = body, validators.sha256
        res.archive_path = self.archive.relpath(validators.sha256)
        res.etag = res.etag or validators.etag
        res.last_modified = res.last_modified or validators.last_modified
        self.stats.host(self._key(res.final_url)).not_modified += 1
        decode_text(res, expect, validators.encoding)
        res.elapsed = time.monotonic() - t0
        return res

    # ---- helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _key(url: str) -> str:
        return _netloc(httpx.URL(url))

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
