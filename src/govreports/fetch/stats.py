"""Run statistics per host (Scrapy stats / zavod statistics.json) for the end-of-run report and the stats table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HostStats:
    requests: int = 0  # requests sent, robots.txt, retries and redirect hops included
    fetches: int = 0  # calls to Fetcher.fetch for this host
    by_status: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    not_modified: int = 0
    bytes: int = 0  # body bytes received (decompressed)
    archived: int = 0  # bodies newly written to the archive
    errors: Counter[str] = field(default_factory=Counter)  # fetch outcomes by error_kind
    blocked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "fetches": self.fetches,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "retries": self.retries, "not_modified": self.not_modified, "bytes": self.bytes,
            "archived": self.archived, "errors": dict(sorted(self.errors.items())), "blocked": self.blocked,
        }


class FetchStats:
    def __init__(self) -> None:
        self.hosts: dict[str, HostStats] = {}

    def host(self, netloc: str) -> HostStats:
        return self.hosts.setdefault(netloc, HostStats())

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {netloc: s.as_dict() for netloc, s in sorted(self.hosts.items())}

    def totals(self) -> dict[str, Any]:
        total = HostStats()
        for s in self.hosts.values():
            for name in ("requests", "fetches", "retries", "not_modified", "bytes", "archived", "blocked"):
                setattr(total, name, getattr(total, name) + getattr(s, name))
            total.by_status.update(s.by_status)
            total.errors.update(s.errors)
        return total.as_dict()
