"""What a run's exit code and final state say, decided once for `crawl`, `nightly` and `backfill` and their flows.

A scheduler only reads the exit code, so it must not say "success" when the night achieved nothing: a portal that
could not be reached at all (no list page answered: DNS, refused, TLS, robots.txt unreachable, every list page an
error) makes the run partial, and a run where no portal could be reached failed. Failures of single URLs inside a
reached portal do not: they are recorded in the `issues` view and counted in the summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from govreports.runs.health import ERROR, LEVELS
from govreports.store.statuses import PortalOutcome

ERROR_FLAGS = frozenset(name for name, level in LEVELS.items() if level == ERROR)

EXIT_OK = 0
EXIT_PARTIAL = 1  # some portals could not be reached (or a health check failed); the others were crawled
# 2: bad options or configuration, nothing ran (govreports.errors.EXIT_USAGE)
EXIT_NOTHING_FETCHED = 3  # every portal failed
# 75 (EX_TEMPFAIL): another run holds the database — govreports.store.lock.EXIT_BUSY


class RunStatus(StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some portals could not be reached, or failed a health check
    FAILED = "failed"  # no portal could be reached


_EXIT_CODES = {RunStatus.OK: EXIT_OK, RunStatus.PARTIAL: EXIT_PARTIAL, RunStatus.FAILED: EXIT_NOTHING_FETCHED}


@dataclass(frozen=True)
class Verdict:
    status: RunStatus
    line: str | None  # one line for stderr / the flow's state message; None when all is well

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[RunStatus(self.status)]


def _cause(failures: dict) -> str:
    if not failures:
        return "no list page answered"
    kind, count = max(failures.items(), key=lambda kv: kv[1])
    return f"{kind} ×{count}" if count > 1 else kind


def _by_portal(rows: list[dict]) -> dict[str, dict]:
    """A backfill has a row per (portal, year): a portal is unreachable when none of its rows reached it."""
    portals: dict[str, dict] = {}
    for row in rows:
        p = portals.setdefault(row["portal"], {"reached": False, "failures": {}, "errors": set()})
        p["reached"] |= row.get("outcome") != PortalOutcome.UNREACHABLE
        for kind, n in {**(row.get("failures") or {}), **({"blocked": row["blocked"]} if row.get("blocked") else {})
                        }.items():
            p["failures"][kind] = p["failures"].get(kind, 0) + n
        p["errors"] |= {f.strip() for f in (row.get("health") or "").split(",")} & ERROR_FLAGS
    return portals


def judge(rows: Iterable[dict], problems: Iterable[str] = (), unusable: Iterable[tuple[str, str]] | None = ()
          ) -> Verdict:
    """`rows`: summary rows (`portal`, `outcome`, optionally `failures` and `blocked` counts and `health`, the
    names of the portal's health flags); `problems`: more portals with an error-level health flag (a column that
    lists nothing where it listed reports before); `unusable`: config files of the directory that could not be
    used, with why, whose portals were left out (the run is partial however the others went)."""
    portals = _by_portal(list(rows))
    down = {name: p for name, p in portals.items() if not p["reached"]}
    flagged = sorted(({name for name, p in portals.items() if p["errors"]} | set(problems)) - set(down))
    files = [path for path, _ in unusable or ()]
    unused = (f"{len(files)} config file(s) could not be used, so their portals were left out: "
              f"{', '.join(files)}") if files else None
    if portals and len(down) == len(portals):
        names = ", ".join(f"{name} ({_cause(p['failures'])})" for name, p in down.items())
        return Verdict(RunStatus.FAILED, "; ".join(filter(None, (
            f"nothing could be fetched: every portal failed: {names}", unused))))
    parts = []
    if down:
        names = ", ".join(f"{name} ({_cause(p['failures'])})" for name, p in down.items())
        parts.append(f"{len(down)} of {len(portals)} portal(s) could not be reached: {names}")
    if flagged:
        parts.append(f"health check failed for {', '.join(flagged)} (see `govreports status`)")
    if unused:
        parts.append(unused)
    if parts:
        return Verdict(RunStatus.PARTIAL, "; ".join(parts))
    return Verdict(RunStatus.OK, None)


def with_failed_partitions(verdict: Verdict, failed: list[tuple[str, int]], ran: int) -> Verdict:
    """A backfill whose partitions ended `failed` (a URL that failed, a column that listed nothing) is partial: it
    exited 0 with its portals reached, and the next default backfill skipped those partitions, exit 0 again, so
    a scheduler never heard that years were left unloaded. `failed`: (portal, year) of the partitions it ran."""
    if not failed or verdict.status == RunStatus.FAILED:
        return verdict
    names = ", ".join(f"{portal} {year}" for portal, year in failed[:8]) + (" …" if len(failed) > 8 else "")
    line = (f"{len(failed)} of {ran} partition(s) failed: {names} (why: the partitions table's last_error; "
            "`backfill --reprocess failed` runs them again)")
    return Verdict(RunStatus.PARTIAL, "; ".join(filter(None, (verdict.line, line))))
