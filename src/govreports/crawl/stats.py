"""End-of-run figures per portal, printed by the CLI, stored in `runs` and shown as a Prefect artifact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class PortalStats:
    portal: str
    pages: int = 0  # list pages requested
    list_failed: int = 0  # list pages that did not answer with a list (their failures are in `failed` too)
    listed: int = 0  # items the lists showed
    skipped: int = 0  # listed items that are not annual reports (or not the requested year)
    found: int = 0  # annual reports found on the lists
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicate: int = 0  # re-posts of a report already loaded from another page
    blocked: int = 0  # anti-bot gates
    failed: Counter = field(default_factory=Counter)  # failures by kind (http, timeout, robots, parse, …)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def outcome(self) -> str:
        """ok; partial (some URLs failed); unreachable: no list page answered, so nothing of the portal is known."""
        if self.pages and self.list_failed >= self.pages:
            return "unreachable"
        return "partial" if self.failed_total or self.blocked else "ok"

    def row(self) -> dict:
        return {"portal": self.portal, "outcome": self.outcome, "pages": self.pages,
                "list_failed": self.list_failed, "listed": self.listed, "found": self.found,
                "new": self.new, "changed": self.changed, "unchanged": self.unchanged, "duplicate": self.duplicate,
                "failed": self.failed_total, "blocked": self.blocked, "skipped": self.skipped,
                "failures": dict(sorted(self.failed.items()))}


@dataclass
class CrawlSummary:
    portals: list[PortalStats]
    requests: dict = field(default_factory=dict)  # the fetcher's counts by host
    seconds: float = 0.0
    run_id: int | None = None
    events: dict | None = None  # a buffered crawl's writes, by portal, until apply_summary writes them

    def total(self, name: str) -> int:
        return sum(getattr(p, name) if name != "failed" else p.failed_total for p in self.portals)

    def rows(self) -> list[dict]:
        return [p.row() for p in self.portals]
