"""robots.txt per origin, fetched once per Fetcher and shared by concurrent requests.

RFC 9309 §2.3.1: a 4xx robots.txt means "no rules" (allow all); a 5xx or an unreachable server means "assume
complete disallow" for this run, because the site may be down or throttling us and guessing would be impolite.
A 429 counts as 5xx here (as Google treats it): the server is asking us to go away for now.

How a page refused for its robots.txt is reported — the most truthful kind, not a blanket "robots":

- the rules forbid the URL → ``robots_disallowed``;
- robots.txt could not be fetched at the transport level (``dns``, ``refused``, ``connect``, ``tls``, ``timeout``,
  ``private_address``) → the page gets that same kind, since the page itself would have failed the same way,
  with the message "robots.txt unreachable (dns: …): host not crawled (RFC 9309)";
- robots.txt answered 5xx/429, broke off mid-answer (``reset``/``truncated``) or came ``malformed`` →
  ``robots_unreachable``, with the cause in the message: the server is there but will not give us its rules, so we
  do not crawl it. A portal whose robots.txt is broken for good says ``robots_unreachable = "allow"``
  (FetchPolicy.robots_unreachable_allow: its hosts read this case as "no rules"; the Fetcher decides, this cache
  being per origin); the message names the key.

Behind a JavaScript gate (瑞数, 加速乐, WZWS: the gate page answers for robots.txt too, ``blocked``): the rules are
hidden, not absent. Where a browser can pass the gate (a portal fetched in the browser or auto mode registers its
``BrowserPool`` as the cache's ``gate_passer``), the gate is passed on robots.txt itself — the browser opens
nothing else — and robots.txt is fetched again with the cookies earned, and obeyed. Where none can (yet), it reads
as "no rules", as a 4xx does (``gated`` says so), and a browser that later passes a gate on a page of that origin
calls ``forget_gated``: the next page asks for robots.txt again, with the cookies.

Size: only the first ``max_bytes`` (500 KiB, Google's limit) are read — the fetch stops there — and parsed up to
their last complete line, so a huge robots.txt is obeyed as far as it goes instead of failing as ``body_too_large``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protego import Protego

from govreports.fetch.result import HOST_UNREACHABLE_KINDS


@dataclass(frozen=True)
class RobotsAnswer:
    """What GET {origin}/robots.txt gave: status (None when nothing answered), body, failure, whether it was cut."""

    status: int | None
    body: bytes | None = None
    error_kind: str | None = None
    error: str | None = None
    cut: bool = False


RobotsFetch = Callable[[str], Awaitable[RobotsAnswer]]


GatePasser = Callable[[str, str], Awaitable[bool]]  # (robots.txt URL, gate) → cookies earned for its origin


@dataclass
class RobotsRules:
    mode: str  # "parsed" | "allow_all" | "disallow_all"
    reason: str
    parser: Protego | None = None
    refusal_kind: str = "robots_disallowed"  # the error kind of a page these rules refuse
    gated: bool = False  # robots.txt was hidden behind an anti-bot gate not passed: "no rules" for now

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if self.mode == "parsed" and self.parser is not None:
            return bool(self.parser.can_fetch(url, user_agent))
        return self.mode == "allow_all"

    def refusal(self, url: str, user_agent: str) -> tuple[str, str] | None:
        """(error kind, message) when ``url`` may not be fetched, else None."""
        if self.can_fetch(url, user_agent):
            return None
        if self.mode == "disallow_all" and self.refusal_kind == "robots_unreachable":
            return self.refusal_kind, (f"{self.reason}: host not crawled (RFC 9309); to crawl it anyway, set "
                                       'robots_unreachable = "allow" in its portal\'s [[portal]] table')
        if self.mode == "disallow_all":
            return self.refusal_kind, f"{self.reason}: host not crawled (RFC 9309)"
        return self.refusal_kind, f"robots.txt disallows {url}"

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        if delay is None:
            rate = self.parser.request_rate(user_agent)
            if rate is not None and rate.requests:
                delay = rate.seconds / rate.requests
        return float(delay) if delay is not None else None


def _whole_lines(body: bytes, max_bytes: int, cut: bool) -> bytes:
    if not cut and len(body) <= max_bytes:
        return body
    body = body[:max_bytes]
    end = body.rfind(b"\n")
    return body[: end + 1] if end >= 0 else b""


# (bad_url: robots.txt's own URL is always good, so only a redirect's Location can be one that cannot be followed)
_REDIRECTED_AWAY = frozenset({"host_not_allowed", "cross_portal_redirect", "redirect_loop", "too_many_redirects",
                              "bad_url"})


def rules_from_response(answer: RobotsAnswer, max_bytes: int) -> RobotsRules:
    kind, status = answer.error_kind, answer.status
    if kind == "blocked":
        return RobotsRules("allow_all", f"robots.txt behind an anti-bot gate not passed ({answer.error}): no rules",
                           gated=True)
    if kind in HOST_UNREACHABLE_KINDS:
        return RobotsRules("disallow_all", f"robots.txt unreachable ({kind}: {answer.error})", refusal_kind=kind)
    if kind in _REDIRECTED_AWAY:  # RFC 9309 §2.3.1.2: rules that redirects keep out of reach are unavailable, not a
        # refusal; x.gov.cn/robots.txt → www.x.gov.cn (a host the config does not name) had shut the portal out
        return RobotsRules("allow_all", f"robots.txt unavailable: its redirect was not followed ({kind}: "
                                        f"{answer.error}); no rules")
    if status is None or kind in ("reset", "truncated", "malformed"):
        cause = f"{kind}: {answer.error}" if kind else "no answer"
        return RobotsRules("disallow_all", f"robots.txt unreachable ({cause})", refusal_kind="robots_unreachable")
    if 500 <= status < 600 or status == 429:
        return RobotsRules("disallow_all", f"robots.txt unreachable (it answered HTTP {status})",
                           refusal_kind="robots_unreachable")
    if 200 <= status < 300 and answer.body is not None:
        text = _whole_lines(answer.body, max_bytes, answer.cut).decode("utf-8", errors="replace").lstrip("\ufeff")
        note = f", first {max_bytes} bytes" if answer.cut or len(answer.body) > max_bytes else ""
        return RobotsRules("parsed", f"robots.txt {status}{note}", Protego.parse(text))
    return RobotsRules("allow_all", f"robots.txt answered {status} ({kind or 'no rules'})")


class RobotsCache:
    """One robots.txt lookup per origin; concurrent callers await the same task. ``gate_passer``: set by the browser
    fetch mode (fetch.browser.BrowserPool), passes a gate in front of robots.txt."""

    def __init__(self, fetch: RobotsFetch, max_bytes: int = 512_000):
        self._fetch = fetch
        self._max_bytes = max_bytes
        self._tasks: dict[str, asyncio.Task[RobotsRules]] = {}
        self.gate_passer: GatePasser | None = None

    async def _load(self, origin: str) -> RobotsRules:
        answer = await self._fetch(origin)
        if answer.error_kind == "blocked" and self.gate_passer is not None:
            gate = (answer.error or "").partition("(")[2].partition(")")[0] or "gate"  # "anti-bot gate (ruishu), …"
            if await self.gate_passer(f"{origin}/robots.txt", gate):
                answer = await self._fetch(origin)  # with the cookies the browser earned
        return rules_from_response(answer, self._max_bytes)

    def forget_gated(self, origin: str) -> None:
        """A gate of ``origin`` was passed: rules read as "no rules" because robots.txt was behind it are dropped,
        so the next lookup fetches robots.txt again, with the cookies."""
        task = self._tasks.get(origin)
        if task is not None and task.done() and not task.cancelled() and task.exception() is None \
                and task.result().gated:
            del self._tasks[origin]

    async def rules(self, origin: str) -> RobotsRules:
        task = self._tasks.get(origin)
        if task is None:
            task = self._tasks[origin] = asyncio.ensure_future(self._load(origin))
        return await asyncio.shield(task)
