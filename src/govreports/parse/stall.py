"""A parse pool whose workers have stopped taking documents: found, so that the parser replaces it.

A pebble worker takes a job from the pool's pipe and acknowledges it in one step, under a lock that the workers
share. The job starts, and its deadline begins to run, only with the acknowledgement. A worker can die in between:
the system's out-of-memory killer, or a MemoryError while reading the job near its memory cap. Then the job is
taken but never started, and pebble pins the death on no job; beside a running job it ignores the death. The
lock dies held, so every other worker waits 60 s for it (pebble's `channel_lock_timeout`) and then goes on
without it. The job itself never gets an answer, so a crawl or re-parse waiting on it never ended (reproduced: a
job whose arguments end their worker as they are read, beside a worker busy for 4 s; after 30 s nothing had been
answered).

`PoolJobs.stalled` finds such a pool by what it does: a document has waited to start, with a worker of the pool
free, for longer than a start ever takes (`STALLED_AFTER`; a worker replaced after a kill starts in 0.05–1 s).
The parser then replaces the pool as it does a broken one: each of its documents is tried once more in a pool of
its own, where a document that kills its worker again is failed as `crashed`.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

STALLED_AFTER = 10.0  # seconds a document may wait to start while the pool has a worker free


@dataclass
class PoolJobs:
    """One pool's unfinished jobs, its number of workers, and since when a job has waited with a worker free."""

    workers: int
    jobs: set[Future] = field(default_factory=set)
    waiting_since: float | None = None

    def stalled(self, now: float, after: float) -> bool:
        """Whether, as of `now`, a job has waited to start for `after` seconds while a worker was free. Called
        every second or so: what happens between two calls is not seen."""
        jobs = list(self.jobs)  # a copy: done callbacks remove jobs from other threads
        running = sum(1 for job in jobs if job.running())
        if running >= self.workers or all(job.running() or job.done() for job in jobs):
            self.waiting_since = None
            return False
        if self.waiting_since is None:
            self.waiting_since = now
        return now - self.waiting_since >= after
