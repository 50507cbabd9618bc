"""robots.txt per origin, fetched once per Fetcher and shared by concurrent requests.

RFC 9309 §2.3.1: a 4xx robots.txt means "no rules" (allow all); a 5xx or an unreachable server means "assume
complete disallow" for this run, because the site may be down or throttling us and guessing would be impolite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protego import Protego

#: (status or None when unreachable, body or None, error kind or None) for GET {origin}/robots.txt
RobotsFetch = Callable[[str], Awaitable[tuple[int | None, bytes | None, str | None]]]
_UNREACHABLE = frozenset({"timeout", "connect", "reset", "truncated"})


@dataclass
class RobotsRules:
    mode: str  # "parsed" | "allow_all" | "disallow_all"
    reason: str
    parser: Protego | None = None

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if self.mode == "parsed" and self.parser is not None:
            return bool(self.parser.can_fetch(url, user_agent))
        return self.mode == "allow_all"

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        if delay is None:
            rate = self.parser.request_rate(user_agent)
            if rate is not None and rate.requests:
                delay = rate.seconds / rate.requests
        return float(delay) if delay is not None else None


def rules_from_response(status: int | None, body: bytes | None, error_kind: str | None, max_bytes: int) -> RobotsRules:
    if status is None or error_kind in _UNREACHABLE:
        return RobotsRules("disallow_all", f"robots.txt unreachable ({error_kind or 'no answer'})")
    if 500 <= status < 600:
        return RobotsRules("disallow_all", f"robots.txt answered {status}")
    if 200 <= status < 300 and body is not None:
        text = body[:max_bytes].decode("utf-8", errors="replace").lstrip("\ufeff")
        return RobotsRules("parsed", f"robots.txt {status}", Protego.parse(text))
    return RobotsRules("allow_all", f"robots.txt answered {status} ({error_kind or 'no rules'})")


class RobotsCache:
    """One robots.txt lookup per origin; concurrent callers await the same task."""

    def __init__(self, fetch: RobotsFetch, max_bytes: int = 512_000):
        self._fetch = fetch
        self._max_bytes = max_bytes
        self._tasks: dict[str, asyncio.Task[RobotsRules]] = {}

    async def _load(self, origin: str) -> RobotsRules:
        status, body, kind = await self._fetch(origin)
        return rules_from_response(status, body, kind, self._max_bytes)

    async def rules(self, origin: str) -> RobotsRules:
        task = self._tasks.get(origin)
        if task is None:
            task = self._tasks[origin] = asyncio.ensure_future(self._load(origin))
        return await asyncio.shield(task)
