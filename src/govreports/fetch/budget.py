"""One URL's time budget: its attempts and backoff sleeps together may not exceed ``FetchPolicy.url_budget``.

A per-attempt deadline alone does not bound a URL: a server that drips a byte a second hits the deadline every
time, and five attempts with backoff then hold the URL for half an hour. So each fetch gets 2 × total_timeout in
all; every attempt's deadline shrinks to what is left, and a retry whose wait would leave too little for a useful
attempt is not made. Waiting for the host's politeness slot is not charged: that is the crawl being polite, not
the server being slow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Budget:
    total: float
    spent: float = 0.0

    @property
    def left(self) -> float:
        return max(self.total - self.spent, 0.0)

    def spend(self, seconds: float) -> None:
        self.spent += max(seconds, 0.0)

    def deadline(self, total_timeout: float) -> float:
        """The next attempt's total deadline: the policy's, or what is left of the budget if that is less."""
        return min(total_timeout, self.left)

    def affords(self, wait: float, min_attempt: float) -> bool:
        """Is there still ``min_attempt`` seconds for an attempt after sleeping ``wait``?"""
        return self.left - wait >= min_attempt
