"""A parse pool whose workers have stopped taking documents: found, so that the parser replaces it.

A pebble worker takes a job from the pool's pipe and acknowledges it in one step, under a lock that the workers
share. The job starts, and its deadline begins to run, only with the acknowledgement. A worker can die in between:
the system's out-of-memory killer, or a MemoryError while reading the job near its memory cap. Then the job is
taken but never started, and pebble pins the death on no job; beside a running job it ignores the death. The
lock dies held, so every other worker waits 60 s for it (pebble's `channel_lock_timeout`) and then goes on
without it. The job itself never gets an answer, so a crawl or re-parse waiting on it never ended (reproduced: a
job whose arguments end their worker as they are read, beside a worker busy for 4 s; after 30 s nothing had been
answered).

`PoolJobs.stalled` finds such a pool by what it does: for `STALLED_AFTER` seconds (a worker replaced after a kill
starts in 0.05–1 s), every look found a document waiting to start with a worker of the pool free, and none of the
documents waiting at one look had started by the next. A pool whose workers die one after another (a night of
documents over the memory cap) still starts documents, and is left alone. The parser then replaces a stalled pool
as it does a broken one: each of its documents is tried once more in a pool of its own, where a document that
kills its worker again is failed as `crashed`.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

STALLED_AFTER = 10.0  # seconds a document may wait to start while the pool has a worker free


@dataclass
class PoolJobs:
    """One pool's unfinished jobs and its number of workers; what waited at the last look, and since when the pool
    has stood still."""

    workers: int
    jobs: set[Future] = field(default_factory=set)
    waiting: set[Future] = field(default_factory=set)
    still_since: float | None = None

    def stalled(self, now: float, after: float) -> bool:
        """Whether, as of `now`, the pool has stood still for `after` seconds: at every look, a job waiting to start
        with a worker free, and every job that waited at one look still waiting at the next. Called every second
        or so: what happens between two looks is not seen."""
        running, waiting = 0, set()
        for job in list(self.jobs):  # a copy: done callbacks remove jobs from other threads
            if job.running():
                running += 1
            elif not job.done():
                waiting.add(job)
        if running >= self.workers or not waiting:
            self.waiting, self.still_since = set(), None
            return False
        if self.still_since is None or not self.waiting <= waiting:  # a job that waited has started: it moves
            self.still_since = now
        self.waiting = waiting
        return now - self.still_since >= after
