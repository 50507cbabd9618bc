"""Backfill planning over the `partitions` table (portal × year): what to run for missing | failed | all.

A partition left `running` by a killed run counts as missing: it never reached `done`, and re-crawling it is
harmless (loading is idempotent and known documents answer 304).
"""

from __future__ import annotations

from typing import Literal

from sqlite_utils import Database

Reprocess = Literal["missing", "failed", "all"]
REPROCESS = ("missing", "failed", "all")


def parse_years(text: str) -> list[int]:
    """'2019-2024' or '2019,2021' or '2020' → years."""
    years: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
            if lo > hi:
                raise ValueError(f"empty year range {part!r}")
            years.extend(range(lo, hi + 1))
        else:
            years.append(int(part))
    if not years or any(y < 2000 or y > 2100 for y in years):
        raise ValueError(f"years must be between 2000 and 2100: {text!r}")
    return sorted(set(years))


def statuses(db: Database) -> dict[tuple[str, int], str]:
    return {(p, y): s for p, y, s in db.execute("SELECT portal, year, status FROM partitions")}


def plan(db: Database, portals: list[str], years: list[int], reprocess: Reprocess) -> list[tuple[str, int]]:
    if reprocess not in REPROCESS:
        raise ValueError(f"reprocess must be one of {REPROCESS}, not {reprocess!r}")
    known = statuses(db)
    todo = []
    for portal in portals:
        for year in years:
            status = known.get((portal, year))
            if (reprocess == "all"
                    or (reprocess == "missing" and status in (None, "pending", "running"))
                    or (reprocess == "failed" and status == "failed")):
                todo.append((portal, year))
    return todo
