"""The browser fetch mode: headless Chromium passes a JavaScript challenge, httpx reuses the cookies it earned.

Portals behind 瑞数, 加速乐 or WZWS (PORTALS.md §2.2) answer a plain client with a gate page: a script that computes a
cookie and reloads. A portal with ``fetch = "browser"`` (or ``"auto"``) gets, when a gate answers one of its fetches,
a headless Chromium for that host (Debian's ``chromium`` driven by Playwright's async API in the crawl's own event
loop): the browser opens the gated URL, lets the challenge run until a page that is no gate arrives, and its cookies
are copied into the Fetcher's httpx cookie jar (with their expiry). The fetch then retries the URL through httpx, and
so do all later fetches to that host, until the cookies expire or the server stops taking them: the next gate is
solved again (one solve at a time per host; a host whose browser failed twice running is given up for the run).

One browser per host, never per page, and the same rules as httpx:
- politeness: a navigation takes the host's throttle slot like any request (the Fetcher's ``host_slot``); robots.txt
  was checked for the URL before the gate answered; a robots.txt itself behind the gate is passed in the browser
  first (the browser opens robots.txt, nothing else) and then fetched again with the cookies and obeyed
  (fetch.robots: the pool is the robots cache's ``gate_passer``); a page's gate passed before robots.txt was read
  drops the "no rules" reading, so robots.txt is asked again before the page is;
- safety: every request the browser makes goes through ``_route``: only the host it was opened for, no images,
  fonts, media or style sheets; its name is resolved and checked once by the crawler (``netguard``: public addresses
  only unless ``allow_private_addresses``) and pinned with ``--host-resolver-rules`` (every other name resolves to
  nothing), so Chromium never resolves the name itself and DNS cannot change under the check; no proxy, no
  downloads, no service workers; the User-Agent and Accept-Language are the crawler's own.

No Chromium (``GOVREPORTS_CHROMIUM``, /usr/lib/chromium/chromium, ``chromium`` or ``chromium-browser`` on PATH) or no
Playwright: with ``fetch = "browser"`` a gated fetch fails as ``browser_unavailable``, with ``"auto"`` it stays
``blocked``; both messages name the package to install.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from govreports.fetch.gates import detect_gate
from govreports.fetch.netguard import GuardedBackend

MODES = ("http", "browser", "auto")
INSTALL = "install Debian package `chromium` (apt-get install chromium)"
MAX_FAILURES = 2  # solves failing in a row before a host's browser is given up for the run
MAX_SOLVES = 50  # solves per host and run (cookies that expire every few seconds must not turn into a browser crawl)
RENEW_EARLY = 0.5  # seconds before the earned cookies expire that they are earned again
MAX_PASSES = 3  # gates one fetch may pass (its cookies can run out again while it waits for the host's turn)
MAX_ROUNDS = 4  # gate pages one solve may see (加速乐 takes two rounds) before it gives up
SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})
log = logging.getLogger(__name__)


class BrowserUnavailable(RuntimeError):
    """No Chromium (or no Playwright) to run a challenge in; the message says what to install."""


def find_chromium() -> str:
    """The Chromium executable: GOVREPORTS_CHROMIUM when set, else Debian's paths; BrowserUnavailable if none."""
    named = os.environ.get("GOVREPORTS_CHROMIUM")
    if named:
        if Path(named).is_file() and os.access(named, os.X_OK):
            return named
        raise BrowserUnavailable(f"GOVREPORTS_CHROMIUM={named} is not an executable file: {INSTALL}, or point "
                                 "GOVREPORTS_CHROMIUM at a Chromium binary")
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserUnavailable(f"no headless Chromium found (GOVREPORTS_CHROMIUM, /usr/lib/chromium/chromium, "
                             f"chromium on PATH): {INSTALL}")


def _netloc(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


async def fetch(fetcher, url: str, hosts: Iterable[str], mode: str, **kwargs: Any):
    """``fetcher.fetch(url, hosts=…)`` with gates passed by the host's browser (the PortalFetcher of a portal whose
    ``fetch`` is "browser" or "auto")."""
    pool = BrowserPool.of(fetcher)
    gates = _Gates(pool)
    await gates.renew(url)
    res = await fetcher.fetch(url, hosts=hosts, on_gate=gates, **kwargs)
    if res.error_kind == "blocked":
        problem, unavailable = pool.problem(res.final_url)
        if unavailable and mode == "browser":
            res.error_kind, res.error = "browser_unavailable", f"{res.error}; no browser to pass it: {problem}"
        elif problem:
            res.error = f"{res.error}; the browser did not pass it: {problem}"
    return res


class _Gates:
    """One fetch's gate hook: at most MAX_PASSES gates passed per fetch; a host's cookies renewed since the fetch
    began (or since its last pass) are just used, not earned again."""

    def __init__(self, pool: BrowserPool):
        self.pool, self.seen, self.passes = pool, pool.generations(), 0

    async def __call__(self, url: str, gate: str) -> bool:
        self.passes += 1
        return self.passes <= MAX_PASSES and await self.pool.on_gate(self.seen, url, gate)

    async def renew(self, url: str) -> None:
        """Cookies a browser earned for the URL's host that have run out are earned again before the fetch, rather
        than after a gate answered it (a host's cookies all expire at once: every fetch in flight would meet it)."""
        try:
            session = self.pool._sessions.get(_netloc(httpx.URL(url)))
        except (httpx.InvalidURL, TypeError, ValueError):
            return
        if session is not None and session.expired():
            await self(url, "renewal")


class BrowserPool:
    """The headless browsers of one Fetcher, one per host, launched on the host's first gate; closed with it."""

    def __init__(self, fetcher):
        self.fetcher = fetcher
        self._sessions: dict[str, HostBrowser] = {}
        self._playwright = None
        self._start_lock = asyncio.Lock()
        self.unavailable: str | None = None
        robots = getattr(fetcher, "_robots", None)
        if robots is not None:
            robots.gate_passer = self.pass_robots_gate

    @classmethod
    def of(cls, fetcher) -> BrowserPool:
        if fetcher.browsers is None:
            fetcher.browsers = cls(fetcher)
        return fetcher.browsers

    def generations(self) -> dict[str, int]:
        return {netloc: s.generation for netloc, s in self._sessions.items()}

    def session(self, netloc: str, host: str, port: int) -> HostBrowser:
        if netloc not in self._sessions:
            self._sessions[netloc] = HostBrowser(self, netloc, host, port)
        return self._sessions[netloc]

    def problem(self, url: str) -> tuple[str | None, bool]:
        """(why the browser could not pass this URL's gate, whether because there is no browser)."""
        if self.unavailable:
            return self.unavailable, True
        s = self._sessions.get(_netloc(httpx.URL(url)))
        return (s.problem, False) if s else (None, False)

    async def pass_robots_gate(self, url: str, gate: str) -> bool:
        """The robots cache's hook: a gate answered robots.txt at ``url``; pass it there, in the browser."""
        return await self.on_gate(self.generations(), url, gate)

    async def on_gate(self, seen: dict[str, int], url: str, gate: str) -> bool:
        """The Fetcher's hook: a gate answered ``url``; True when the host's cookies are fresh and the URL may be
        asked again. Never raises."""
        u = httpx.URL(url)
        session = self.session(_netloc(u), u.host, u.port or (443 if u.scheme == "https" else 80))
        try:
            passed = await session.solve(url, gate, seen.get(session.netloc, 0))
            seen[session.netloc] = session.generation
            robots = getattr(self.fetcher, "_robots", None)
            if passed and robots is not None:
                robots.forget_gated(f"{u.scheme}://{session.netloc}")
            return passed
        except BrowserUnavailable as exc:
            self.unavailable = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - a browser that breaks fails this host's gate, not the crawl
            session.problem = f"{type(exc).__name__}: {exc}"
            log.warning("browser for %s failed: %s", session.netloc, session.problem)
            return False

    async def playwright(self):
        async with self._start_lock:
            if self.unavailable:
                raise BrowserUnavailable(self.unavailable)
            if self._playwright is None:
                try:
                    from playwright.async_api import async_playwright
                except ImportError as exc:
                    raise BrowserUnavailable(f"the Python package playwright is not installed (pip install "
                                             f"playwright; no browser download needed), and {INSTALL}") from exc
                self._playwright = await async_playwright().start()
            return self._playwright

    async def aclose(self) -> None:
        for session in list(self._sessions.values()):
            await session.close()
        self._sessions.clear()
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None


class HostBrowser:
    """One host's Chromium: solves the host's challenge and hands its cookies to httpx."""

    def __init__(self, pool: BrowserPool, netloc: str, host: str, port: int):
        self.pool, self.netloc, self.host, self.port = pool, netloc, host, port
        self.generation = 0  # solves that succeeded: a fetch that began before the last one just asks again
        self.solves = self.failures = 0
        self.problem: str | None = None
        self.expires: float | None = None  # when the first of the cookies earned runs out (epoch seconds)
        self._lock = asyncio.Lock()
        self._browser = self._context = None

    async def solve(self, url: str, gate: str, seen_generation: int) -> bool:
        async with self._lock:
            if self.generation != seen_generation:
                return True  # another fetch renewed the cookies while this one was under way
            if self.failures >= MAX_FAILURES:
                return False
            if self.solves >= MAX_SOLVES:
                self.problem = f"{MAX_SOLVES} challenges solved for {self.netloc} in this run: given up"
                return False
            self.solves += 1
            fetcher = self.pool.fetcher
            timeout = min(fetcher.policy.total_timeout, 60.0)
            try:
                await self._open()
                async with fetcher.host_slot(self.netloc):  # the navigation is a request to the host, paced as one
                    cookies = await asyncio.wait_for(self._navigate(url), timeout)
            except BrowserUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded on the session; the fetch stays blocked
                self.failures += 1
                self.problem = (f"the {gate} challenge did not pass in the browser within {timeout:g} s"
                                if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}")
                return False
            self._store(cookies)
            self.failures, self.problem = 0, None
            self.generation += 1
            log.info("browser passed the %s gate of %s (%d cookies)", gate, self.netloc, len(cookies))
            return True

    def expired(self) -> bool:
        return self.expires is not None and time.time() >= self.expires - RENEW_EARLY and self.failures == 0

    async def _open(self) -> None:
        if self._context is not None:
            return
        policy = self.pool.fetcher.policy
        # a name is resolved and checked here, once, and Chromium is pinned to the address checked; every other
        # name (and IP literal: the rules apply to them too) resolves to nothing
        guard = GuardedBackend(allow_private_addresses=policy.allow_private_addresses)
        try:
            addresses = await guard.resolve(self.host, self.port, policy.connect_timeout)
        finally:
            guard.close()
        guard.check(self.host, addresses)
        pinned = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
        rules = f"MAP {self.host} {pinned}, MAP * ~NOTFOUND"
        executable = find_chromium()
        args = ["--no-proxy-server", f"--host-resolver-rules={rules}", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-features=Translate,OptimizationHints,MediaRouter"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root (containers)
        playwright = await self.pool.playwright()
        self._browser = await playwright.chromium.launch(executable_path=executable, headless=True, args=args,
                                                         timeout=30_000)
        headers = {"Accept-Language": policy.accept_language, **policy.extra_headers}
        self._context = await self._browser.new_context(
            user_agent=policy.user_agent, locale="zh-CN", accept_downloads=False, service_workers="block",
            extra_http_headers=headers)
        await self._context.route("**/*", self._route)

    async def _route(self, route) -> None:
        """Every request the browser makes: its own host only, documents and scripts only."""
        request = route.request
        try:
            target = httpx.URL(request.url)
            allowed = target.scheme in ("http", "https") and target.host == self.host and (
                (target.port or (443 if target.scheme == "https" else 80)) == self.port)
        except (httpx.InvalidURL, TypeError, ValueError):
            allowed = False
        if not allowed or request.resource_type in SKIPPED_RESOURCES:
            await route.abort("blockedbyclient")
        else:
            await route.continue_()

    async def _navigate(self, url: str) -> list[dict]:
        """Open ``url`` and wait for a main-frame answer that is no gate; the context's cookies for ``url``."""
        page = await self._context.new_page()
        answers: asyncio.Queue = asyncio.Queue()

        def on_response(response) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                answers.put_nowait(response)

        page.on("response", on_response)
        try:
            try:
                await page.goto(url, wait_until="commit")
            except Exception:  # noqa: BLE001 - the challenge's reload interrupts the first navigation: expected
                pass
            for _ in range(MAX_ROUNDS):
                response = await answers.get()
                try:
                    body = await asyncio.wait_for(response.body(), 5)
                except Exception:  # noqa: BLE001 - a gate page replaced by its reload has no body to read
                    continue
                if not detect_gate(response.status, body, _cookie_names(await response.all_headers())):
                    return await self._context.cookies([url])
            raise RuntimeError(f"still a gate page after {MAX_ROUNDS} rounds of its challenge")
        finally:
            await page.close()

    def _store(self, cookies: list[dict]) -> None:
        """Copy the browser's cookies into the Fetcher's httpx jar, expiry included (httpx drops them when due)."""
        jar = self.pool.fetcher.cookies.jar
        now = time.time()
        self.expires = min((c["expires"] for c in cookies if (c.get("expires") or 0) > now), default=None)
        for c in cookies:
            domain = c.get("domain") or self.host
            dotted = domain.startswith(".")
            if "." not in domain.strip("."):
                domain += ".local"  # http.cookiejar's name for a dotless host (localhost)
            expires = c.get("expires")
            expires = int(expires + 0.999) if expires is not None and expires > 0 else None
            if expires is not None and expires <= now:
                continue
            rest = {"HttpOnly": None} if c.get("httpOnly") else {}
            jar.set_cookie(http.cookiejar.Cookie(
                0, c["name"], c["value"], None, False, domain, dotted, dotted, c.get("path") or "/", True,
                bool(c.get("secure")), expires, expires is None, None, None, rest))

    async def close(self) -> None:
        if self._browser is not None:
            try:
                await self._browser.close()
            except Exception:  # noqa: BLE001 - a browser that already died is closed enough
                pass
        self._browser = self._context = None


def _cookie_names(headers: dict[str, str]) -> list[str]:
    value = headers.get("set-cookie", "")
    return [line.split("=", 1)[0].strip() for line in value.split("\n") if "=" in line]
