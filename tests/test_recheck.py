"""crawl.recheck: the rotation that asks each known report once in N days ([incremental] recheck_days)."""

from __future__ import annotations

import datetime

from govreports.crawl.recheck import day_number, is_due

URLS = [f"http://portal.example/zwgk/xxgknb/2024/t2024_{i}.html" for i in range(3000)]


def test_every_report_is_due_once_in_any_n_consecutive_days():
    for every in (2, 7, 30):
        for start in (0, 738_000):
            due_days = {u: [d for d in range(start, start + every) if is_due(u, every, d)] for u in URLS[:500]}
            assert all(len(days) == 1 for days in due_days.values()), every


def test_the_days_share_the_reports_evenly():
    every = 7
    per_day = [sum(is_due(u, every, d) for u in URLS) for d in range(every)]
    assert sum(per_day) == len(URLS)
    assert max(per_day) - min(per_day) < len(URLS) / every * 0.25, per_day  # about 429 a day


def test_one_day_means_every_run():
    assert all(is_due(u, 1, d) for u in URLS[:50] for d in range(3))


def test_runs_of_one_day_agree():
    day = datetime.date(2026, 12, 4)
    assert day_number(day) == day.toordinal() and day_number(day) + 1 == day_number(day + datetime.timedelta(1))
