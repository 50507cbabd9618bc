"""The one clock the package stamps rows and results with: UTC, ISO 8601, to the second.

Every stored time (`documents.fetched_at`, `items.first_seen`, `report_versions.loaded_at`, `runs.started`, …)
comes from `now_iso`, so times written by the fetcher and by the store compare as strings.

The legal deadlines (FORMAT.md §1) are dates in China's time, by Chinese law: `china_today` is the date they are
held against (at 2027-03-31T20:00Z it is already 1 April 2027 in China).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")  # the reports' law's time (UTC+8, no daylight saving since 1991)


def utc_now() -> datetime:
    """Now, in UTC (the one place the package reads the clock's date and time)."""
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """Now, in UTC, as `2025-03-01T02:30:00+00:00`."""
    return utc_now().isoformat(timespec="seconds")


def china_today(now: datetime | None = None) -> date:
    """Today's date in China (Asia/Shanghai), the date a legal deadline is held against; `now`: an aware time."""
    return (now or utc_now()).astimezone(CHINA).date()
