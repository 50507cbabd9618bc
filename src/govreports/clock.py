"""The one clock the package stamps rows and results with: UTC, ISO 8601, to the second.

Every stored time (`documents.fetched_at`, `items.first_seen`, `report_versions.loaded_at`, `runs.started`, …)
comes from `now_iso`, so times written by the fetcher and by the store compare as strings.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """Now, in UTC, as `2025-03-01T02:30:00+00:00`."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
