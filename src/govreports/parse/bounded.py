"""Parse in worker processes with a deadline per document (CPU time, bounded on the clock too) and a memory cap
per worker.

The static limits (extract.limits) refuse what a document's own counts give away; what they cannot see — a PDF
whose pages are each just under the limits, a content stream that inflates to gigabytes, an extractor bug that
loops — is bounded here. Each document is parsed in a worker process (a pebble ProcessPool); one that takes more
CPU time than the deadline, or more than limits.WALL_FACTOR times it on the clock, is killed and reported
`too_slow`, a worker that dies (the memory cap, a crash in C) is reported `out_of_memory` or `crashed`, and in
both cases the pool starts a fresh worker: no later document fails because of it. Workers start from a fork
server, never by forking the caller: the crawl runs inside threaded hosts (Prefect), and a child forked while
another thread holds a lock can wait on it forever.

    with BoundedParser(workers=2, deadline=20, memory_mb=1024) as parser:
        record = parser.parse(data, "report.pdf")               # sync callers
        record = await parser.parse_async(data, url, hints)     # the crawler
        outcome = parser.parse_path(path)                       # commands: never raises for bad input
        for outcome in parser.parse_paths(paths): ...           # many files, every worker busy (parse, load)
        for key, answer in parser.parse_many((key, (data, name, hints, charset)) for …):  # a stream (the re-parse)
            ...                                                 # answer: the record, or the exception

parse and parse_async raise ParseError for bad input and ParseLimitError (a ParseError with `.kind`) for a limit;
parse_many and parse_paths give the error in the record's place and go on. `workers=0`, or a
daemonic caller (a Dask worker, which may not have children), parses in the calling process: the static limits
still hold there, the deadline and the memory cap do not. What runs inside a worker is in parse.worker; how a
document over 64 KiB reaches it (a file, not pebble's pipe), in parse.spool; how a pool that stopped taking documents
is found, in parse.stall.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TypeVar

from pebble import ProcessExpired, ProcessPool

from govreports.errors import GovreportsError
from govreports.extract.limits import DEFAULT_DEADLINE, DEFAULT_MEMORY_MB, OCR_SHARE, WALL_FACTOR
from govreports.extract.toolcache import ToolCache
from govreports.extract.sniff import sniff
from govreports.parse.api import (ParseError, ParseLimitError, ParseOutcome, failed_outcome, parse_bytes,
                                  parse_path, read_path)
from govreports.parse import stall
from govreports.parse.spool import SPOOL_BYTES, Spool, Spooled
from govreports.parse.worker import OUT_OF_MEMORY_EXIT, PRELOAD, Job, parse_job, run_job, start_worker

T = TypeVar("T")
log = logging.getLogger(__name__)


class BoundedParser:
    """Parse documents in `workers` processes (default: one per core), each document within `deadline` seconds
    of CPU time (None: no deadline), and `wall_factor` times that on the clock, and each worker within `memory_mb`
    of address space (None: no cap). `job` is the function a worker runs (parse_job; tests pass one that dies);
    `tools`, the cache of OCR's and LibreOffice's answers that parse_job reads through (extract.toolcache; None:
    none); `nice`, how much lower than the fork server's (the caller's) the workers' CPU priority is (`os.nice`; 0:
    the same); `spool_bytes`, the size over which a document reaches its worker in a file, not down the pool's pipe
    (parse.spool; None: never). Use it as a context manager, or call close()."""

    def __init__(self, workers: int | None = None, *, deadline: float | None = DEFAULT_DEADLINE,
                 memory_mb: int | None = DEFAULT_MEMORY_MB, job: Job = parse_job, tools: ToolCache | None = None,
                 nice: int = 0, spool_bytes: int | None = SPOOL_BYTES, wall_factor: float = WALL_FACTOR):
        self.workers = (os.cpu_count() or 1) if workers is None else max(workers, 0)
        if self.workers and multiprocessing.current_process().daemon:
            self.workers = 0  # daemonic processes may not have children
        if self.workers and _started_by_main_at_import():
            raise GovreportsError(
                f"{getattr(sys.modules['__main__'], '__file__', '__main__')}: the parse workers import this script "
                "again (Python's forkserver does), so its top level would start them again in each one: start the "
                "crawl or parser under `if __name__ == \"__main__\":`")
        self.deadline = deadline
        self.wall_deadline = None if deadline is None else deadline * wall_factor
        self.memory_mb = memory_mb
        self.nice = nice
        # OCR stops in time for the deadline (limits.OCR_SHARE): a scan's pages read so far make a record
        ocr_budget = None if deadline is None else deadline * OCR_SHARE
        self._job = partial(job, tools=tools, ocr_budget=ocr_budget) if job is parse_job else job
        self.tools = tools
        self._spool = Spool(spool_bytes)
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._jobs: dict[ProcessPool, stall.PoolJobs] = {}  # each live pool's unfinished jobs (see _retire)
        self._alone = threading.BoundedSemaphore(max(self.workers, 1))  # second tries' own pools (_after_break)
        self._retry_threads: ThreadPoolExecutor | None = None  # where parse_async waits on a second try
        self._stopping: dict[ProcessPool, threading.Event] = {}  # pools being stopped, set when they are
        self._watch: threading.Thread | None = None  # replaces a stalled pool (_replace_stalled)
        self._closing = threading.Event()  # set by close(): the watch ends, and no document is taken any more

    @property
    def in_process(self) -> bool:
        return self.workers == 0

    def __enter__(self) -> BoundedParser:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (a document still being parsed is abandoned)."""
        with self._lock:
            self._closing.set()
            watch = self._watch
            # the shared pool, any second try's own, and those another thread is stopping (_retire waits for them):
            # none of their workers outlives close()
            pools = [*self._jobs, *self._stopping]
            self._pool = None
            threads, self._retry_threads = self._retry_threads, None
        for pool in pools:
            self._retire(pool)
        self._spool.close()  # no worker is left to read a file
        if threads is not None:
            threads.shutdown(wait=False)  # what waits for a thread then hears the parser is closed
        if watch is not None:
            watch.join()

    # --- parsing -----------------------------------------------------------------------------------------------
    def parse(self, data: bytes, name: str = "", hints: dict | None = None, http_charset: str | None = None) -> dict:
        """The record, or ParseError / ParseLimitError; blocks until the worker answers or the deadline passes."""
        if self.in_process:
            return _in_process(data, name, hints, http_charset, self.tools)
        args = (data, name, hints, http_charset)
        return self._answer(args, *self._schedule(args))

    def parse_many(self, documents: Iterable[tuple[T, tuple]], window: int | None = None
                   ) -> Iterator[tuple[T, dict | Exception]]:
        """parse() over a stream of documents, all workers busy at once: ``(key, (data, name, hints,
        http_charset))`` in, ``(key, record or the exception parsing raised)`` out, in the order given: a
        ParseError for bad input or a limit, another exception for a parser bug. At most `window`
        documents (default: two a worker, so that each worker has the next one queued) are read ahead of the one
        answered, which bounds the memory. A caller that stops early leaves no job behind."""
        answer: dict | Exception
        if self.in_process:
            for key, args in documents:
                try:
                    answer = _in_process(*args, self.tools)
                except Exception as exc:  # noqa: BLE001 - one document's error, even a parser bug's, is its own
                    answer = exc
                yield key, answer
            return
        window = max(1, window or 2 * self.workers)
        pending: deque[tuple[T, tuple, ProcessPool, Future]] = deque()
        todo = iter(documents)
        try:
            while True:
                while len(pending) < window and (nxt := next(todo, None)) is not None:
                    key, args = nxt
                    try:
                        pending.append((key, args, *self._schedule(args)))
                    except ParseLimitError as exc:  # the workers could not be started: this document's error
                        pending.append((key, args, None, _failed_future(exc)))
                if not pending:
                    return
                key, args, pool, future = pending.popleft()
                try:
                    answer = self._answer(args, pool, future)
                except Exception as exc:  # noqa: BLE001 - one document's error, even a parser bug's, is its own
                    answer = exc
                yield key, answer
        finally:
            for *_, future in pending:
                future.cancel()

    async def parse_async(self, data: bytes, name: str = "", hints: dict | None = None,
                          http_charset: str | None = None) -> dict:
        """parse() for the event loop: the loop waits on the worker without blocking (in-process mode parses on the
        loop, as a single-process crawl always has)."""
        if self.in_process:
            return _in_process(data, name, hints, http_charset, self.tools)
        args = (data, name, hints, http_charset)
        pool, future = self._schedule(args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            pass
        except (TimeoutError, ProcessExpired) as exc:
            raise self._limit_error(exc) from None
        # stopping the broken pool and the second try block: in a thread, so that the other documents go on, and
        # in threads of the parser's own (the loop's default ones write the crawl's archive: asyncio.to_thread)
        with self._lock:
            if self._closing.is_set():
                raise RuntimeError("the parser is closed")
            if self._retry_threads is None:
                self._retry_threads = ThreadPoolExecutor(max(self.workers, 1), thread_name_prefix="parse-retry")
            threads = self._retry_threads
        try:
            second = asyncio.get_running_loop().run_in_executor(threads, self._after_break, pool, args)
        except RuntimeError:  # closed since: its threads take no more work
            raise RuntimeError("the parser is closed") from None
        return await second

    def parse_path(self, path: str | Path, hints: dict | None = None) -> ParseOutcome:
        """api.parse_path through the workers: never raises for bad input; a limit reads `kind: message`."""
        return parse_path(path, hints, parse=self.parse)

    def parse_paths(self, paths: Iterable[str | Path], hints: dict | None = None) -> Iterator[ParseOutcome]:
        """parse_path over many files with every worker busy (parse_many), the outcomes in the paths' order;
        never raises for a file: one that cannot be read, or that a parser bug fails, has its error."""
        unread: dict[int, ParseOutcome] = {}  # by position: files that failed before reaching a worker

        def documents() -> Iterator[tuple[tuple[int, Path, str | None], tuple]]:
            for position, path in enumerate(map(Path, paths)):
                try:
                    data = read_path(path)
                except (ParseError, OSError) as exc:
                    unread[position] = failed_outcome(path, exc)
                    continue
                yield (position, path, sniff(data) if data else None), (data, path.name, hints, None)

        for (position, path, kind), answer in self.parse_many(documents()):
            # every file before this one has been read by now: those that failed there come first
            yield from (unread.pop(p) for p in sorted(p for p in unread if p < position))
            yield (ParseOutcome(str(path), kind, answer, None) if isinstance(answer, dict)
                   else failed_outcome(path, answer))
        yield from (unread.pop(p) for p in sorted(unread))

    # --- the pool ----------------------------------------------------------------------------------------------
    def _answer(self, args: tuple, pool: ProcessPool, future: Future) -> dict:
        """A scheduled job's record (blocking); a limit's ParseLimitError; a job whose pool broke under it runs
        once more, alone (see _after_break)."""
        try:
            return future.result()
        except BrokenProcessPool:
            pass
        except (TimeoutError, ProcessExpired) as exc:
            raise self._limit_error(exc) from None
        return self._after_break(pool, args)

    def _after_break(self, broken: ProcessPool, args: tuple) -> dict:
        """A pool that broke (pebble gives up when a worker dies in a way it cannot pin on one task, or sends back
        what cannot be read) aborts every job it held, and does not say which one broke it: replace it, and try
        the document once more in a pool of its own, where a second break can only be its own. Tried again side
        by side, every document that shared the pool with a bad one would break again with it, and be failed as
        crashed (a crawl of 16 documents with one such: 14 failed)."""
        with self._lock:
            if self._pool is broken:
                self._pool = None
        self._retire(broken)
        pool = future = None
        with self._alone:  # at most `workers` such pools at once
            sent = self._spool.put(args[0])
            try:
                with self._lock:
                    if self._closing.is_set():
                        raise RuntimeError("the parser is closed")
                    pool = self._new_pool(1)
                    future = self._submit(pool, sent, args)
                return future.result()
            except BrokenProcessPool:
                if self._closing.is_set():
                    raise RuntimeError("the parser is closed") from None
                raise ParseLimitError("crashed", "the parse worker died (twice) while reading this document") from None
            except (TimeoutError, ProcessExpired) as exc:
                raise self._limit_error(exc) from None
            finally:
                if future is None:  # not sent: its file is left to nobody else
                    self._spool.discard(sent)
                if pool is not None:
                    self._retire(pool)

    def _schedule(self, args: tuple) -> tuple[ProcessPool, Future]:
        retired = []
        sent = self._spool.put(args[0])  # before the lock: a large document's file takes milliseconds to write
        try:
            with self._lock:
                if self._closing.is_set():
                    raise RuntimeError("the parser is closed")
                for _ in range(2):
                    if self._pool is None or not self._pool.active:
                        if self._pool is not None:
                            retired.append(self._pool)
                        self._pool = self._new_pool(self.workers)
                    pool = self._pool
                    try:
                        future = self._submit(pool, sent, args)
                    except ParseLimitError:  # the next document tries again, on a new pool
                        retired.append(pool)
                        self._pool = None
                        raise
                    except RuntimeError:
                        if pool.active:
                            raise
                        continue  # it broke since the check above ("Unexpected error within the Pool"): a new one
                    return pool, future
                raise RuntimeError("the parse workers could not be started")
        except BaseException:
            self._spool.discard(sent)
            raise
        finally:
            for old in retired:  # stopped off the caller's thread, which may be the crawl's event loop: a worker
                threading.Thread(target=self._retire, args=(old,), name="parse-pool-stop", daemon=True).start()

    def _new_pool(self, workers: int) -> ProcessPool:
        """A pool of `workers`, registered so that close() stops it and the watch sees it stall (the caller holds
        the lock)."""
        pool = ProcessPool(max_workers=workers, initializer=start_worker, initargs=(self.memory_mb, self.nice),
                           context=_fork_server())
        self._jobs[pool] = stall.PoolJobs(workers)
        if self._watch is None:  # it holds the parser weakly: one never closed is still collected, and the watch ends
            self._watch = threading.Thread(target=_watch, args=(weakref.ref(self), self._closing),
                                           name="parse-pool-watch", daemon=True)
            self._watch.start()
        return pool

    def _submit(self, pool: ProcessPool, sent: bytes | Spooled, args: tuple) -> Future:
        """The document's job in `pool`, `sent` standing for its data (the caller holds the lock); ParseLimitError
        when the pool's workers or their pipes could not be started (pebble's BrokenProcessPool, a RuntimeError, or
        its OSError). A spooled document's file goes when the job is done, however it ends."""
        try:
            future = pool.schedule(run_job, args=(self._job, sent, *args[1:]), kwargs={"cpu_deadline": self.deadline},
                                   timeout=self.wall_deadline)
        except (BrokenProcessPool, OSError) as exc:
            raise _not_started(exc) from None
        jobs = self._jobs[pool].jobs
        jobs.add(future)
        future.add_done_callback(jobs.discard)
        future.add_done_callback(partial(self._spool.discard, sent))
        return future

    def _replace_stalled(self) -> None:
        """What the watch does every second: a pool that has stood still, a document waiting to start with a
        worker free and none starting, for longer than a start takes, is replaced as a broken one is (parse.stall):
        most likely a worker died between taking a document and starting it, and pebble would leave that document
        waiting for ever."""
        now = time.monotonic()
        with self._lock:
            stalled = [pool for pool, held in self._jobs.items() if held.stalled(now, stall.STALLED_AFTER)]
            if self._pool in stalled:
                self._pool = None
        for pool in stalled:
            log.warning("parse workers: no document started for %g s with a worker free (most likely a worker died "
                        "taking one); the pool is replaced and its documents are tried again", stall.STALLED_AFTER)
            self._retire(pool)

    def _retire(self, pool: ProcessPool) -> None:
        """Stop a pool, and fail with BrokenProcessPool every job it left unfinished, so that its waiter tries
        again. pebble aborts only the jobs it had taken from its queue when the pool broke; the rest, queued
        behind a large document still being written to a worker, would otherwise never finish, and with several
        documents in flight (parse_many, the crawl) a wait on one of them would never end."""
        with self._lock:
            left = self._jobs.pop(pool, None)
            if left is not None:
                stopped = self._stopping[pool] = threading.Event()
            else:
                stopped = self._stopping.get(pool)
        if left is None:  # retired already: each of its waiters retires it, and it is stopped once (closing its
            if stopped is not None:  # pipes twice, from two threads, could close another pool's pipe that took
                stopped.wait()       # the number); wait until it is
            return
        try:
            _stop(pool)
            for future in list(left.jobs):
                if not future.done():
                    try:
                        future.set_exception(
                            BrokenProcessPool("the parse workers stopped before this document was read"))
                    except InvalidStateError:  # finished meanwhile
                        pass
        finally:
            with self._lock:
                del self._stopping[pool]
            stopped.set()

    def _limit_error(self, exc: BaseException) -> ParseLimitError:
        if isinstance(exc, TimeoutError):
            return ParseLimitError("too_slow", f"parsing took longer than {self.wall_deadline:g} s on the clock "
                                               f"(its deadline is {self.deadline:g} s of CPU time: it waited, on a "
                                               "converter or for a machine too busy to run it)")
        code = getattr(exc, "exitcode", None)
        if code == -signal.SIGPROF and self.deadline:
            return ParseLimitError("too_slow", f"parsing took more than {self.deadline:g} s of CPU time")
        if code == OUT_OF_MEMORY_EXIT:
            return ParseLimitError("out_of_memory", f"parsing needed more than {self.memory_mb} MB of memory")
        if isinstance(code, int) and code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
        else:
            how = f"exit code {code}"
        return ParseLimitError("crashed", f"the parse worker died ({how}) while reading this document")


def _watch(parser: weakref.ref[BoundedParser], closing: threading.Event) -> None:
    """The parser's watch thread: _replace_stalled every second, until the parser is closed or gone."""
    while not closing.wait(1.0):
        alive = parser()
        if alive is None:
            return
        alive._replace_stalled()
        del alive


def _started_by_main_at_import() -> bool:
    """Whether this runs in the top-level code of a __main__ that multiprocessing imports again in every worker (a
    script, or a module run with -m other than a package's __main__). Without this check each worker died with
    multiprocessing's "bootstrapping phase" error and every document failed as `crashed`, a minute later."""
    from multiprocessing import spawn

    data = spawn.get_preparation_data("govreports")
    name = data.get("init_main_from_name")
    if not (data.get("init_main_from_path") or (name and not name.endswith(".__main__"))):
        return False
    main = vars(sys.modules["__main__"])
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is main:
            return not _under_main_guard(main.get("__file__"), frame.f_lineno)
        frame = frame.f_back
    return False


def _under_main_guard(path: str | None, line: int) -> bool:
    """Whether `line` of the script at `path` is inside a top-level `if __name__ == "__main__":` (code the workers'
    import of it skips); True when the script cannot be read, so that doubt never stops a run."""
    import ast

    if not path:
        return True
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return True
    for node in tree.body:
        if isinstance(node, ast.If) and node.lineno <= line <= (node.end_lineno or node.lineno):
            test = node.test
            sides = [test.left, *test.comparators] if isinstance(test, ast.Compare) else []
            names = {s.id for s in sides if isinstance(s, ast.Name)}
            values = {s.value for s in sides if isinstance(s, ast.Constant)}
            if names == {"__name__"} and values == {"__main__"}:
                return True
    return False


def _fork_server():
    """The forkserver context, its server preloading the caller's __main__ (as multiprocessing does by default)
    and the parser: a worker, and its replacement after a kill, then starts in milliseconds. Without __main__ in
    the server, every worker would import it again on start (for the CLI that is Typer, Rich and every command:
    0.7 s per worker). The preload list is the fork server's, one per process, and applies when the server starts:
    a server some other code started first keeps its own (workers then import the parser in start_worker).
    PDFium is not preloaded: it initialises a library state that is best not shared across forks."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *PRELOAD])
    return context


def _in_process(data: bytes, name: str, hints: dict | None, http_charset: str | None,
                tools: ToolCache | None) -> dict:
    try:
        return parse_bytes(data, name, hints=hints, http_charset=http_charset, tools=tools)
    except MemoryError:
        raise ParseLimitError("out_of_memory", "parsing ran out of memory") from None


def _not_started(exc: Exception) -> ParseLimitError:
    """The error of a document whose workers could not be started: pebble's BrokenProcessPool, without a message,
    over the OSError of a refused fork (too many processes, no memory), or the OSError itself (no file descriptors
    left for the pool's pipes)."""
    cause = exc if isinstance(exc, OSError) else exc.__cause__ or exc.__context__
    why = (str(cause) if isinstance(cause, OSError) else f"{type(cause).__name__}: {cause}") if cause else "no reason"
    return ParseLimitError("crashed", f"the parse workers could not be started ({why})")


def _failed_future(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    try:
        pool.join(timeout=10)
    except Exception:  # noqa: BLE001 - a worker that will not stop is the operating system's to reap
        pass
