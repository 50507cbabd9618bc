"""Which known reports a run asks again ([incremental] recheck_days): each on one day in N, by a hash of its URL.

Stateless on purpose: a no-change run writes nothing (crawl tests hold it to that), so no "last checked" time is
kept per item. The day decides instead: report U is due on the days d with d ≡ hash(U) (mod N), which spreads the
known reports evenly over the N days and asks each exactly once in any N consecutive daily runs. A day without a
run delays that day's share by one cycle (N days more), never longer.
"""

from __future__ import annotations

import datetime
import hashlib


def day_number(today: datetime.date | None = None) -> int:
    """The day (UTC) a run's rotation uses; runs of one day agree on it."""
    return (today or datetime.datetime.now(datetime.timezone.utc).date()).toordinal()


def is_due(url: str, every_days: int, day: int) -> bool:
    """Whether the known report at `url` is asked on `day` when each is asked once every `every_days` days."""
    return days_until_due(url, every_days, day) == 0


def days_until_due(url: str, every_days: int, day: int) -> int:
    """How many days after `day` the known report at `url` is next asked: 0 on its own day (`crawl --dry-run`
    shows it)."""
    if every_days <= 1:
        return 0
    slot = int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big") % every_days
    return (slot - day) % every_days
