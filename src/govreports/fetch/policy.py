"""Crawl politeness and robustness settings in one frozen object, plus the small pure computations on them.

Defaults follow STACK.md §3: one request at a time per host, ~1 s jittered delay, exponential backoff with full
jitter, a capped Retry-After, robots.txt on. A polite crawler names itself, so the User-Agent identifies the project.

Time limits that hold: ``total_timeout`` bounds one attempt however slowly a server drips bytes, and each URL gets
``url_budget`` (2 × total_timeout) for all its attempts and backoff sleeps together, so a hostile or broken server
cannot hold a URL longer than that, however many retries are configured.

Where the crawler goes: only to ``allowed_hosts`` (empty means *no* host; ``"*"`` means any), and, after DNS, only
to public addresses unless ``allow_private_addresses`` (see ``netguard``).

How long a 304 is believed: a URL whose archived copy was fetched whole more than ``refetch_after_days`` ago (up to
twice that: each URL its own share, from a hash of it) is asked without its validators once (``refetch_due``), since
a server whose ETag or Last-Modified never changes (a CMS stamping every page alike) answers 304 for good, a
correction posted in place included. The share spreads the refetches over the nights: with one age for all, the
copies a night fetched whole (every one, the first night after an upgrade) came due on one night again, each month.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from govreports.extract.limits import DEFAULT_LIMITS
from govreports.fetch.urls import browser_host, without_root_dot

DEFAULT_USER_AGENT = "govreports/0.1 (+https://github.com/govreports; research crawler)"


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    per_host_concurrency: int = 1
    per_host_delay: float = 1.0
    delay_jitter: float = 0.5  # each delay × uniform(1 - j, 1 + j)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # per socket read (httpx semantics)
    total_timeout: float = 60.0  # whole attempt, so a server dripping bytes cannot hold us forever
    max_body_bytes: int = 40_000_000
    # a textual answer (HTML, XML, JSON, text) larger than this is refused while streaming: list pages are parsed
    # in the crawl process itself (lxml needs ~40× an HTML page's bytes), so they get the parser's HTML cap; one
    # whose first bytes are a document's (a PDF served as text/html) keeps max_body_bytes (attempt.send_once)
    max_text_bytes: int = DEFAULT_LIMITS.html_bytes
    retries: int = 4  # extra attempts after the first
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: float = 120.0
    # attempts in a row a host leaves unanswered (timeouts) before its other URLs this run are not asked (0: never):
    # a host that takes connections and never answers cost each URL its timeout twice over, hours for a portal
    host_silence_limit: int = 6
    # URLs of a host in a row that spent their retries (on retry_statuses but 500: 502-504, 429, 408; resets,
    # refusals, bodies cut short, timeouts) before its other URLs this run are not asked (0: never): a portal down behind its load
    # balancer, or a firewall resetting the crawler, cost each URL every retry, the host's delay risen to max_delay
    # between them, ~5 minutes a URL
    host_error_limit: int = 5
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    # a URL whose archived copy was last fetched whole longer ago than this is fetched whole once, without
    # If-None-Match/If-Modified-Since (0: never): a validator that never changes hides a correction made in place
    refetch_after_days: float = 30.0
    max_redirects: int = 5
    respect_robots: bool = True
    robots_max_bytes: int = 512_000  # 500 KiB, Google's limit: robots.txt is parsed from its first 500 KiB only
    # hosts ("host:port" or "host") whose robots.txt answering 5xx/429 or breaking off is read as "no rules", not
    # RFC 9309's "disallow all" (a portal's robots_unreachable = "allow": its robots.txt broken for good)
    robots_unreachable_allow: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = frozenset()  # "host:port" or "host" (any port); empty = none; "*" = any host
    allow_private_addresses: bool = False  # connect to loopback/private/link-local/… addresses (tests, demo)
    adaptive: bool = True
    max_delay: float = 60.0  # ceiling for adaptive delays and robots Crawl-delay
    blocked_delay: float = 30.0  # a host that showed an anti-bot gate waits at least this long between requests
    max_connections: int = 16  # global cap on requests in flight
    accept_language: str = "zh-CN,zh;q=0.9,en;q=0.5"
    trust_env: bool = True  # proxies/certs from the environment, as httpx does by default
    extra_headers: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        hosts = self.allowed_hosts
        if isinstance(hosts, str):
            raise TypeError("allowed_hosts is a collection of netlocs, not a string")
        object.__setattr__(self, "allowed_hosts", frozenset(h.strip().lower() for h in hosts))
        if isinstance(self.robots_unreachable_allow, str):
            raise TypeError("robots_unreachable_allow is a collection of netlocs, not a string")
        object.__setattr__(self, "robots_unreachable_allow",
                           frozenset(h.strip().lower() for h in self.robots_unreachable_allow))
        object.__setattr__(self, "retry_statuses", frozenset(self.retry_statuses))
        if self.per_host_concurrency < 1 or self.max_connections < 1:
            raise ValueError("concurrency limits must be >= 1")
        if self.total_timeout <= 0 or self.robots_max_bytes < 1:
            raise ValueError("total_timeout and robots_max_bytes must be > 0")
        if min(self.per_host_delay, self.retries, self.max_redirects, self.backoff_base, self.host_silence_limit,
               self.host_error_limit) < 0:
            raise ValueError("delays, retries, max_redirects, host_silence_limit and host_error_limit must be >= 0")
        if not self.refetch_after_days >= 0:  # (NaN too)
            raise ValueError("refetch_after_days must be >= 0 (0: never)")
        if not 0 <= self.delay_jitter <= 1:
            raise ValueError("delay_jitter must be within [0, 1]")
        if not self.user_agent.strip():
            raise ValueError("a polite crawler sends a User-Agent naming itself")

    def host_allowed(self, host: str, netloc: str) -> bool:
        """Is ``host`` (at ``netloc``) in allowed_hosts? An empty set allows nothing; ``"*"`` allows any host."""
        return "*" in self.allowed_hosts or host_in(self.allowed_hosts, host, netloc)

    @property
    def url_budget(self) -> float:
        """Seconds one URL may take in all: attempts plus backoff sleeps (not waiting for the host's turn)."""
        return 2 * self.total_timeout

    def refetch_age(self, url: str) -> float:
        """Days after which ``url``'s copy is fetched whole again: refetch_after_days plus the URL's own share of it
        (0 to 1, a hash of the URL: the same every night, spread evenly over URLs)."""
        share = int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=4).digest(), "big") / 2**32
        return self.refetch_after_days * (1 + share)

    def refetch_due(self, url: str, fetched_at: str | None, now: datetime | None = None) -> bool:
        """Is ``url``'s copy fetched whole at ``fetched_at`` (ISO 8601, as ``clock.now_iso`` writes it) old enough
        (refetch_age) to be fetched whole again, validators left out? No when the time is not known or cannot be
        read."""
        if not self.refetch_after_days or not fetched_at:
            return False
        try:
            when = datetime.fromisoformat(fetched_at)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        age = (now or datetime.now(timezone.utc)) - when
        return age.total_seconds() > self.refetch_age(url) * 86400

    def jittered(self, delay: float, rng: random.Random) -> float:
        if delay <= 0 or not self.delay_jitter:
            return max(delay, 0.0)
        return delay * rng.uniform(1 - self.delay_jitter, 1 + self.delay_jitter)

    def backoff(self, retry_index: int, rng: random.Random) -> float:
        """Full jitter (AWS architecture blog): uniform(0, min(cap, base × 2^n)) for the n-th retry (0-based)."""
        return rng.uniform(0, min(self.backoff_max, self.backoff_base * 2**retry_index))

    def retry_after(self, value: str | None, now: datetime | None = None) -> float | None:
        """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3), capped; None if absent/bad."""
        seconds = parse_retry_after(value, now)
        return None if seconds is None else min(seconds, self.retry_after_max)


def host_in(hosts: frozenset[str], host: str, netloc: str) -> bool:
    """``netloc`` ("host:port") or its bare ``host`` (meaning any port) is listed in ``hosts`` (lower-case); a
    host written with the root dot (`x.gov.cn.`) is the host (urls.without_root_dot)."""
    return without_root_dot(netloc.lower()) in hosts or without_root_dot(host.lower()) in hosts


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def normal_netloc(netloc: str, scheme: str | None = None) -> str:
    """A netloc as the fetcher sees it: lower-case, without its scheme's default port (either, when the scheme is
    not known). httpx drops a default port, so a config's "host:80" matched no URL: its start page failed as
    host_not_allowed, after `crawl --check` had passed it. Without a root dot (`x.gov.cn.` is x.gov.cn)."""
    netloc = without_root_dot(netloc.lower())
    for port in [_DEFAULT_PORTS[scheme]] if scheme in _DEFAULT_PORTS else _DEFAULT_PORTS.values():
        if netloc.endswith(port):
            return netloc[: -len(port)]
    return netloc


def url_netloc(url: str) -> str:
    """The URL's host (and port, unless its scheme's default) as a config names it in allowed_hosts (a host written
    in full-width characters as the fetcher reads it: urls.browser_host)."""
    try:
        parts = urlsplit(browser_host(url))
    except ValueError:  # a netloc urlsplit refuses (x.gov.cn：80, [::1): its text as written, in no config's hosts
        return url.partition("://")[2].split("/", 1)[0]
    return normal_netloc(parts.netloc.rpartition("@")[2], parts.scheme)


def url_host_in(hosts: frozenset[str], url: str) -> bool:
    """The URL's host is listed in ``hosts`` (normal netlocs), as ``host_in`` decides it for the fetcher; never a
    URL whose netloc cannot be read (a full-width colon before the port, as browsers refuse it): one such link on
    a report page had failed its item as an internal error."""
    try:
        host = urlsplit(browser_host(url)).hostname or ""
    except ValueError:
        return False
    return host_in(hosts, host, url_netloc(url))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
