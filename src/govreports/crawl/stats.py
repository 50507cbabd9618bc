"""End-of-run figures per portal, printed by the CLI, stored in `runs` and shown as a Prefect artifact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from govreports.extract.limits import KINDS as LIMIT_KINDS
from govreports.store.statuses import LoadStatus, PortalOutcome

if TYPE_CHECKING:  # runs builds on crawl: the flag type is only named here
    from govreports.runs.health import Flag

# Failures that mean "the portal answered but we could not read the report" (not the network's fault): a jump in
# them says the portal changed its report format or markup, or the parser regressed (portal health). `data_file`: the
# JavaScript file a report page writes its body from holds no report the way it did (portals.adapters.datafile).
PARSE_FAILURE_KINDS = frozenset({"parse", "data_file", *LIMIT_KINDS})


@dataclass
class PortalStats:
    portal: str
    pages: int = 0  # list pages requested
    list_failed: int = 0  # list pages that did not answer with a list (their failures are in `failed` too)
    listed: int = 0  # items the lists showed
    skipped: int = 0  # listed items that are not annual reports (or not the requested year)
    found: int = 0  # annual reports found on the lists
    report_titles: int = 0  # listed items titled as annual reports, of any year (found + those of other years)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    not_due: int = 0  # known reports not asked this run: their turn in [incremental] recheck_days comes later
    duplicate: int = 0  # re-posts of a report already loaded from another page
    known_reposts: int = 0  # of unchanged and not_due, those that are such re-posts (counted duplicate when read)
    blocked: int = 0  # anti-bot gates
    failed: Counter = field(default_factory=Counter)  # failures by kind (dns, refused, http, timeout, robots_disallowed, bomb, parse, …)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def parse_failed(self) -> int:
        return sum(n for kind, n in self.failed.items() if kind in PARSE_FAILURE_KINDS)

    @property
    def outcome(self) -> PortalOutcome:
        """ok; partial (some URLs failed); unreachable: no list page answered, so nothing of the portal is known."""
        if self.pages and self.list_failed >= self.pages:
            return PortalOutcome.UNREACHABLE
        return PortalOutcome.PARTIAL if self.failed_total or self.blocked else PortalOutcome.OK

    def count_load(self, status: LoadStatus) -> None:
        """Count what loading a report read from the portal did (new, changed, unchanged or duplicate)."""
        match LoadStatus(status):
            case LoadStatus.NEW:
                self.new += 1
            case LoadStatus.CHANGED:
                self.changed += 1
            case LoadStatus.UNCHANGED:
                self.unchanged += 1
            case LoadStatus.DUPLICATE:
                self.duplicate += 1

    def row(self) -> dict:
        return {"portal": self.portal, "outcome": self.outcome.value, "pages": self.pages,
                "list_failed": self.list_failed, "listed": self.listed, "found": self.found,
                "new": self.new, "changed": self.changed, "unchanged": self.unchanged, "not_due": self.not_due,
                "duplicate": self.duplicate,
                "failed": self.failed_total, "blocked": self.blocked, "skipped": self.skipped,
                "failures": dict(sorted(self.failed.items()))}


@dataclass
class CrawlSummary:
    portals: list[PortalStats]
    requests: dict = field(default_factory=dict)  # the fetcher's counts by host
    seconds: float = 0.0
    run_id: int | None = None
    events: dict | None = None  # a buffered crawl's writes, by portal, until apply_summary writes them
    health: list[Flag] = field(default_factory=list)  # portal health flags, set when the run is recorded

    def total(self, name: str) -> int:
        return sum(getattr(p, name) if name != "failed" else p.failed_total for p in self.portals)

    def rows(self) -> list[dict]:
        return [p.row() for p in self.portals]


def merge_by_portal(portals: list[PortalStats]) -> list[PortalStats]:
    """One PortalStats per portal, counts added: a backfill's summary holds one per (portal, year) partition,
    while a run's history (`portal_runs`) keeps one row per portal."""
    merged: dict[str, PortalStats] = {}
    counts = [f.name for f in fields(PortalStats) if f.name not in ("portal", "failed")]
    for stats in portals:
        into = merged.setdefault(stats.portal, PortalStats(stats.portal))
        for name in counts:
            setattr(into, name, getattr(into, name) + getattr(stats, name))
        into.failed.update(stats.failed)
    return list(merged.values())
