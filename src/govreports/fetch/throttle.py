"""Per-host politeness: a concurrency slot, a minimum jittered gap between request starts, adaptive slow-down.

httpx ``Limits`` are per pool, not per host (STACK.md §3), so each netloc gets its own semaphore, lock and
next-allowed start time. The adaptive delay follows Scrapy's AutoThrottle: next = mean(previous, observed latency),
errors and non-2xx answers may only raise it, clamped to [base, max_delay]; a detected anti-bot gate jumps it up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from govreports.fetch.policy import FetchPolicy


class HostResting(Exception):
    """The host asked again for a pause longer than the request may wait (see HostThrottle.slot)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the host asked for a pause (Retry-After) again, which ends in {seconds:.0f} s")
        self.seconds = seconds


class HostSilent(Exception):
    """The host left the last `host_silence_limit` requests in a row unanswered (see HostThrottle.slot)."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"not asked: the host left {attempts} requests in a row unanswered (each timed out); its "
                         "other URLs are not asked again this run")
        self.attempts = attempts


class HostErring(Exception):
    """The last `host_error_limit` URLs of the host failed in a row, each after its retries (see HostThrottle.slot)."""

    def __init__(self, urls: int, failure: str | None) -> None:
        super().__init__(f"not asked: the last {urls} URLs of the host failed in a row ({failure}), each after its "
                         "retries; its other URLs are not asked again this run")
        self.urls = urls
        # the error kind of a URL not asked: the failure's own ("reset", …), or "http" for a status
        self.kind = "http" if failure is None or failure.startswith("HTTP ") else failure


@dataclass
class _Host:
    sem: asyncio.Semaphore
    base: float  # max(per_host_delay, robots Crawl-delay)
    delay: float
    next_start: float = 0.0
    rest_until: float = 0.0  # the end of the pause the host asked for (Retry-After)
    refusals: int = 0  # pauses asked in a row, each after the last one ended, with no good answer between
    silent: int = 0  # attempts in a row that timed out, with no answer between (heard)
    erring: int = 0  # URLs in a row given up on a failure worth retrying, with no good answer between (gave_up)
    last_failure: str | None = None  # what the last of them failed on ("HTTP 503", "reset", …)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class HostThrottle:
    def __init__(
        self,
        policy: FetchPolicy,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[object]],
        rng: random.Random,
    ):
        self.policy, self.clock, self.sleep, self.rng = policy, clock, sleep, rng
        self._hosts: dict[str, _Host] = {}

    def _host(self, netloc: str) -> _Host:
        h = self._hosts.get(netloc)
        if h is None:
            base = self.policy.per_host_delay
            h = self._hosts[netloc] = _Host(asyncio.Semaphore(self.policy.per_host_concurrency), base, base)
        return h

    def delay(self, netloc: str) -> float:
        return self._host(netloc).delay

    @asynccontextmanager
    async def slot(self, netloc: str, patience: float | None = None) -> AsyncIterator[Callable[[], None]]:
        """Hold one of the host's concurrency slots, started no sooner than the host's next allowed time.

        `patience`: how long the request may wait. When the host has asked for a pause twice in a row (the second
        time right after the first ended: it means it) and what is left of it is longer, HostResting is raised
        instead of waiting. A host answering `Retry-After: 86400` otherwise had each URL of a portal wait out the
        whole pause in turn (120 s a URL, 6.7 hours for 200 reports); one asking once (a brief rate limit) is
        waited for, as before.

        Yields `sent`, to call when the request actually goes out: the gap to the next start is counted from then
        as well. Between taking the slot and writing the request the event loop may be busy elsewhere (a batch of
        rows written, the archive synced: tens of milliseconds on a slow machine), and counted from the slot
        alone the next request could reach the host that much sooner than the delay."""
        h = self._host(netloc)
        async with h.sem:
            self._check_heard(h)
            async with h.lock:
                # again after each sleep: a Retry-After (push_back) or a gate (penalise) heard while this request
                # waited for its turn holds it too, where it went out at its old time and overwrote the later one
                while (wait := h.next_start - self.clock()) > 0:
                    resting = h.rest_until - self.clock()
                    if patience is not None and h.refusals >= 2 and resting > patience:
                        raise HostResting(resting)
                    await self.sleep(wait)
                gap = self.policy.jittered(h.delay, self.rng)
                h.next_start = max(h.next_start, self.clock() + gap)

            def sent() -> None:
                h.next_start = max(h.next_start, self.clock() + gap)

            yield sent

    def heard(self, netloc: str, *, answered: bool, timed_out: bool, failed: bool = False) -> None:
        """Count the attempts in a row the host left unanswered: an answer (any status) starts again; a timeout
        adds one; another failure (a reset, a refusal: quick) neither. An attempt that did not fail in a way worth
        retrying (`failed`: a server error, a reset, a body cut short, …) starts the count of URLs given up
        (gave_up) again."""
        h = self._host(netloc)
        if answered:
            h.silent = 0
        elif timed_out:
            h.silent += 1
        if not failed:
            h.erring = 0

    def gave_up(self, netloc: str, failure: str) -> None:
        """A URL of the host gave up on a failure worth retrying (`failure`: "HTTP 503", "reset", …), its retries
        or its budget spent."""
        h = self._host(netloc)
        h.erring += 1
        h.last_failure = failure

    def _check_heard(self, h: _Host) -> None:
        """HostSilent once the host has left `host_silence_limit` attempts in a row unanswered: every other URL of
        the host (queued for its slot meanwhile too) would wait its whole timeout, twice, for the same silence.
        HostErring once `host_error_limit` URLs in a row have spent their retries (server errors, resets, bodies cut
        short, …): every other URL would spend its own on the same outage, or the same firewall."""
        limit = self.policy.host_silence_limit
        if limit and h.silent >= limit:
            raise HostSilent(h.silent)
        limit = self.policy.host_error_limit
        if limit and h.erring >= limit:
            raise HostErring(h.erring, h.last_failure)

    def set_floor(self, netloc: str, seconds: float) -> None:
        """Raise the host's base delay (robots.txt Crawl-delay), never above max_delay."""
        h = self._host(netloc)
        base = min(max(self.policy.per_host_delay, seconds), self.policy.max_delay)
        if base > h.base:
            h.base, h.delay = base, max(h.delay, base)

    def push_back(self, netloc: str, seconds: float) -> None:
        """No request to this host before ``seconds`` from now (the server's Retry-After)."""
        h = self._host(netloc)
        if self.clock() >= h.rest_until:  # a new pause, not another answer of the same moment's requests
            h.refusals += 1
        h.next_start = max(h.next_start, self.clock() + seconds)
        h.rest_until = max(h.rest_until, self.clock() + seconds)

    def observe(self, netloc: str, latency: float, *, good: bool, failed: bool) -> None:
        """AutoThrottle step after an answer; ``failed`` (network error, 5xx, 429) slows the host by half again."""
        h = self._host(netloc)
        if good:
            h.refusals = 0
        if not self.policy.adaptive:
            return
        new = (h.delay + latency) / 2
        if not good:
            new = max(new, h.delay)
        if failed:
            new = max(new, h.delay * 1.5)
        h.delay = min(max(new, h.base), max(self.policy.max_delay, h.base))

    def penalise(self, netloc: str) -> None:
        """An anti-bot gate answered: slow the host right down (regardless of ``adaptive``)."""
        h = self._host(netloc)
        h.delay = min(max(h.delay * 4, self.policy.blocked_delay, h.base), max(self.policy.max_delay, h.base))
        h.base = max(h.base, min(self.policy.blocked_delay, self.policy.max_delay))
        h.next_start = max(h.next_start, self.clock() + h.delay)
