"""A nightly's portal crawls started before Prefect is up, for the flow's tasks to take over.

A cold `govreports nightly` spends seconds before its first task runs: importing Prefect (and its server module,
which the client imports to launch the ephemeral server), booting that server in a subprocess, creating the flow
run. The crawl needs none of it (it writes to our database, not to Prefect's), so the CLI starts the portals'
crawls at once, in a worker process, while Prefect starts; each `crawl-portal` task then takes its portal's result
and waits for it instead of crawling. A process, not threads: crawl threads would hold the GIL that the imports
need (measured: start-up to server launch went from 2.4 s to 7.4 s with the crawl in threads, and the run gained
nothing). Inside the worker the portals are crawled as the threads task runner crawls them: each in its own
thread with its own connection, `runs.jobs.crawl_portal`, at most TASK_WORKERS at once, writing directly.

The task runs, retries, summary, artifacts and exit codes are those of a run without it: a crawl that raised
re-raises in its task, whose retry crawls the portal afresh; a task with other arguments than the early crawl's
(another policy, a buffered runner) finds nothing to take and crawls as before.

The hand-over is a context variable, set by the CLI around its flow call: Prefect runs a sync flow in the calling
thread and each task in a copy of the submitting context (ThreadPoolTaskRunner), so the tasks of that flow run
see it, and nothing else does. This module imports no Prefect: it runs before Prefect is imported.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from govreports import gcpolicy
from govreports.crawl import CrawlSummary
from govreports.lifecycle import Stopped, stop_signal_in, stopping_with_the_run
from govreports.runs import jobs

_STARTED: ContextVar["EarlyCrawls | None"] = ContextVar("govreports_early_crawls", default=None)


@dataclass(frozen=True)
class CrawlArgs:
    """What one portal's crawl was started with: a task takes it only when it would have crawled the same."""

    config: str
    portal: str
    db: str
    archive: str
    buffered: bool
    parse_workers: int | None
    policy: tuple
    run_id: int | None = None  # the run the crawl's failures are logged against


def crawl_portals(config: str, names: list[str], db: str, archive: str, mode: jobs.Mode,
                  workers: int, run_id: int | None = None) -> dict[str, CrawlSummary | BaseException]:
    """In the worker process: each portal crawled in its own thread, at most `workers` at once, as the threads
    task runner runs `runs.jobs.crawl_portal`; its summary, or the exception it raised, per portal."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(names), workers)), thread_name_prefix="crawl") as pool:
        futures = {name: pool.submit(jobs.crawl_portal, config, name, db, archive, buffered=mode.buffered,
                                     parse_workers=mode.parse_workers, run_id=run_id) for name in names}
    return {name: future.exception() or future.result() for name, future in futures.items()}


def _start_worker(parent: int) -> None:
    """The worker's initializer: the collector's settings for a crawl (gcpolicy; the crawl's modules are imported
    by now, with this one) and its end with the CLI's."""
    gcpolicy.for_document_batches()
    _exit_with_parent(parent)


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """The worker's initializer: end it when the CLI that started it is gone (killed, say), from its start on.
    The CLI holds the writer lock, and a crawl that outlived it would go on writing without it; and a worker the
    CLI left before it took its work waits for it for ever (it holds its own queue's write end). `parent` is the
    CLI's pid as the CLI gave it: a worker that asked after the CLI died would get init's."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class EarlyCrawls:
    """The portals' crawls running in one worker process (spawned: a fresh interpreter, no lock or thread of
    ours copied into it), each handed out once to the task that would have run it."""

    def __init__(self, config: str, names: list[str], db: str, archive: str, mode: jobs.Mode, workers: int,
                 run_id: int | None = None):
        self.mode = mode
        self._process = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(os.getpid(),))
        self._all = self._process.submit(crawl_portals, config, names, db, archive, mode, workers, run_id)
        self._waiting = {CrawlArgs(config, name, db, archive, mode.buffered, mode.parse_workers, (), run_id): name
                         for name in names}
        self._stopped_by: int | None = None  # the signal that stopped the run (`stop`)

    def take(self, args: CrawlArgs) -> Callable[[], CrawlSummary] | None:
        """A wait for the crawl started with exactly these arguments, once (a retry of the task crawls afresh)."""
        name = self._waiting.pop(args, None)
        return None if name is None else (lambda: self._result(name))

    def _result(self, name: str) -> CrawlSummary:
        try:
            outcome = self._all.result()[name]  # the worker's own failure (it died, say) is raised here
        except BaseException:
            if self._stopped_by is not None:  # killed by `stop`: the task ends as the run does, not retried
                raise Stopped(self._stopped_by) from None
            raise
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def close(self) -> None:
        """Wait for the crawls, taken or not: none may still write once the caller lets go of the writer lock."""
        self._process.shutdown(wait=True)

    def stop(self, signum: int | None) -> None:
        """End the crawls now (the run is stopping: Ctrl-C, SIGTERM): the worker is killed, and waited for, so it
        writes nothing once the caller lets go of the writer lock. Its open transaction rolls back; what it
        committed stays, and the next run fetches the rest. Its parse workers end with it. Tasks waiting for
        its crawls raise `Stopped`."""
        self._stopped_by = self._stopped_by or signum
        for process in list((getattr(self._process, "_processes", None) or {}).values()):  # 3.14: terminate_workers()
            process.kill()
            process.join()
        self._process.shutdown(wait=True, cancel_futures=True)


@contextmanager
def early_crawls(config: str, names: list[str], db: str, archive: str, runner: str,
                 run_id: int | None = None) -> Iterator[EarlyCrawls | None]:
    """Start the portal crawls of a nightly run (`run_id`, begun by the CLI: crawl.runrecord) now (threads runner
    only: its tasks write directly) and make them visible to the flow's tasks for the block; on leaving, wait for
    all of them, or stop them when the run is stopped (Ctrl-C, SIGTERM: lifecycle) or ends on an error."""
    if runner != "threads" or not names:
        yield None
        return
    workers = jobs.TASK_WORKERS
    crawls = EarlyCrawls(config, names, db, archive, jobs.mode(runner, concurrent_tasks=min(len(names), workers)),
                         workers, run_id)
    token = _STARTED.set(crawls)
    try:
        # stopped (Ctrl-C, SIGTERM) here or in the flow's wait, which shares this RunStop: waiting for the crawls
        # could take all night
        with stopping_with_the_run() as run, run.on_stop(lambda: crawls.stop(run.signum)):
            yield crawls
    except BaseException as exc:
        # the run ends on an error (Prefect's server could not start, a full disk) or is stopped before a task
        # took the crawls (a stop signal or its time limit while Prefect starts): no task will take them, and
        # waiting for them kept the night going for as long as its whole crawl; they are stopped (what they
        # committed stays). The stop registered above is gone by now: `on_stop` unregisters on the way out,
        # before `stopping_with_the_run` sees the signal
        crawls.stop(stop_signal_in(exc))
        raise
    finally:
        _STARTED.reset(token)
        crawls.close()


def take(args: CrawlArgs) -> CrawlSummary | None:
    """The summary of the early crawl started with `args` (waiting for it; its exception raised), or None when
    none was: the task then crawls itself."""
    crawls = _STARTED.get()
    wait = crawls.take(args) if crawls is not None else None
    return None if wait is None else wait()
