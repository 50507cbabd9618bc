"""How a command and the processes it starts end together, whatever ends it.

A scheduler stops a run with a signal: SIGTERM (systemd, Kubernetes, `kill`, a Prefect cancellation), SIGHUP (a
closed terminal or SSH session), SIGINT (Ctrl-C, or `kill -INT` to the command alone). By default SIGTERM and
SIGHUP end Python at once: no `finally`, no atexit, so the servers a run started (Prefect's temporary API server,
the demo portal) were left running for ever, one more each night, holding their ports. Here:

- `StopSignals().install()`: SIGTERM and SIGHUP unwind the command as Ctrl-C does (`Stopped`, a
  KeyboardInterrupt), so its cleanup runs and its children are stopped; a second signal ends the process at once.
- `stop_signal(exc)`: the signal an exception stands for (Ctrl-C, ours, Prefect's TerminationSignal, which its
  flow engine raises for SIGTERM while a flow runs), so the command can say it was stopped and exit 128 + signal,
  as a shell reports a process the signal killed.
- `stopping_with_the_run()` and `run_stoppable(coro)`: a signal reaches only the main thread, and Prefect ends a
  stopped flow only when its task threads end; so the flow's tasks run their crawls through `run_stoppable`, and
  the flow's wait for them cancels those crawls (and whatever else registered) when the run is stopped there.
- `die_with_parent()`: a child started with it is sent SIGTERM by the kernel when this process dies, even by
  SIGKILL, where no cleanup code can run (Linux).
- `process_alive(pid)` and `remove_orphans(...)`: what a SIGKILLed process left behind (files named after its pid),
  removed by the next one.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class Stopped(KeyboardInterrupt):
    """The command was asked to stop by `signum` (SIGTERM, SIGHUP). A KeyboardInterrupt, so everything that
    already unwinds cleanly on Ctrl-C (asyncio.run, Prefect's engine, the CLI's `with` blocks) does the same."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """The handler of SIGTERM and SIGHUP for a command (`install` from the main thread, as Python requires); the
    signal it got is kept in `received`. The first one unwinds the command: inside `asyncio.run` the way Ctrl-C
    does there (the loop's main task is cancelled, its tasks unwind, then KeyboardInterrupt), elsewhere by raising
    `Stopped`. After it the default action comes back, so a second one ends the process if its cleanup hangs."""

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> StopSignals:
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is signal.SIG_IGN:  # started with it ignored (nohup): keep it so
                continue
            signal.signal(sig, self)
        return self

    def __call__(self, signum, frame) -> None:
        self.received = signum
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        on_interrupt = signal.getsignal(signal.SIGINT)
        if callable(on_interrupt) and on_interrupt is not signal.default_int_handler:
            on_interrupt(signal.SIGINT, frame)  # asyncio.Runner's: raising here would leave a task's error behind
            return
        raise Stopped(signum)


@dataclass(frozen=True)
class Ending:
    """How a run that was cut short ends: the exit code, the line that says why, the outcome its row in `runs`
    gets (crawl.runrecord: `stopped` or `failed`), and the signal when a stop signal was the cause."""

    code: int
    reason: str
    outcome: str
    signum: int | None = None


class RunCutShort(Stopped):
    """The run was stopped by its own bounds (runs.watchdog: its time limit, a Prefect server that stopped
    answering), not by a signal from outside. Raised in the main thread by a signal of the watch's own
    (`signum`), so it unwinds as a stop does: the crawls are stopped, the run's row is marked with `ending`."""

    def __init__(self, ending: Ending, signum: int = int(signal.SIGUSR2)):
        super().__init__(signum)
        self.ending = ending

    def __str__(self) -> str:
        return self.ending.reason


# The RunCutShort a run's watch (runs.watchdog) has raised into the main thread, until that watch ends. Raised
# where a library calls back into Python, it can come out as another exception that does not keep it: pydantic-core
# turns it, raised while Prefect serialised a model, into a PydanticSerializationError with neither cause nor
# context. A night stopped at its time limit was then marked `failed: PydanticSerializationError: … RunCutShort: …`
# (seen in a full test run on a loaded machine). While a cut is delivered, whatever unwinds the run is that cut.
_DELIVERED: list[RunCutShort] = []


def cut_delivered(cut: RunCutShort) -> None:
    """The watch raised `cut` in the main thread (runs.watchdog): the run now unwinds because of it."""
    _DELIVERED.append(cut)


def cut_withdrawn(cut: RunCutShort) -> None:
    """The watch that raised `cut` has ended: exceptions after it are their own."""
    if cut in _DELIVERED:
        _DELIVERED.remove(cut)


def cut_short_in(exc: BaseException | None) -> RunCutShort | None:
    """The RunCutShort `exc` is, or was raised from or while handling (typer wraps Ctrl-C-like exceptions), or,
    for any exception, the cut a watch has delivered and not withdrawn (see _DELIVERED)."""
    seen: set[int] = set()
    first = exc
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, RunCutShort):
            return exc
        exc = exc.__cause__ or exc.__context__
    return _DELIVERED[-1] if first is not None and _DELIVERED else None


def stop_signal(exc: BaseException) -> int | None:
    """The signal number `exc` stands for, or None when it is no stop: Ctrl-C is SIGINT, `Stopped` and Prefect's
    TerminationSignal carry theirs (prefect is not imported for it: without prefect loaded there is none)."""
    if isinstance(exc, Stopped):
        return exc.signum
    if isinstance(exc, KeyboardInterrupt):
        return int(signal.SIGINT)
    prefect_exceptions = sys.modules.get("prefect.exceptions")
    if prefect_exceptions is not None and isinstance(exc, prefect_exceptions.TerminationSignal):
        return int(exc.signal)
    return None


def stop_signal_in(exc: BaseException) -> int | None:
    """`stop_signal` of `exc` or of an exception it was raised from or while handling: typer turns Ctrl-C (and so
    `Stopped`) into its Exit(130) and that into SystemExit, each raised from the one before."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        signum = stop_signal(exc)
        if signum is not None:
            return signum
        exc = exc.__cause__ or exc.__context__
    return None


class RunStop:
    """What a run's tasks have running in their threads, stopped together when the run is stopped: callbacks
    registered by `on_stop` (a crawl's asyncio task cancelled, the early crawls' worker killed). One that
    registers after the stop is called at once."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._lock = threading.Lock()
        self._callbacks: set[Callable[[], None]] = set()

    @contextmanager
    def on_stop(self, callback: Callable[[], None]) -> Iterator[None]:
        with self._lock:
            stopped = self.signum is not None
            if not stopped:
                self._callbacks.add(callback)
        if stopped:
            callback()
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.discard(callback)

    def stop(self, signum: int) -> None:
        with self._lock:
            self.signum = self.signum or signum
            callbacks = list(self._callbacks)
            self._callbacks.clear()
        for callback in callbacks:
            callback()


_RUN_STOP: ContextVar[RunStop | None] = ContextVar("govreports_run_stop", default=None)


def current_stop() -> RunStop | None:
    """The RunStop of the flow whose task this thread runs (Prefect copies the submitting context into it)."""
    return _RUN_STOP.get()


@contextmanager
def stopping_with_the_run() -> Iterator[RunStop]:
    """Around a flow's submission of its tasks and its wait for them: the tasks see the RunStop, and a stop
    signal raised in the wait (Ctrl-C, SIGTERM, Prefect's TerminationSignal) stops what they run. A block inside
    another (the CLI's around the early crawls, the flow's in it) shares its RunStop: a stop at either level stops
    all that registered."""
    stop, token = _RUN_STOP.get(), None
    if stop is None:
        stop = RunStop()
        token = _RUN_STOP.set(stop)
    try:
        yield stop
    except BaseException as exc:
        signum = stop_signal_in(exc)
        if signum is not None:
            stop.stop(signum)
        raise
    finally:
        if token is not None:
            _RUN_STOP.reset(token)


def run_stoppable(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, cancelled when the run this thread works for is stopped (`stopping_with_the_run`): the
    coroutine unwinds as it does on Ctrl-C under asyncio.run, then `Stopped` is raised here."""
    stop = current_stop()
    if stop is None:
        return asyncio.run(coro)

    async def main() -> T:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        with stop.on_stop(lambda: loop.call_soon_threadsafe(task.cancel)):
            return await coro

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if stop.signum is not None:
            raise Stopped(stop.signum) from None
        raise


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child receive SIGTERM when this process dies, even by SIGKILL (Linux).

    libc is looked up here, before the fork, so the child only makes one foreign call. The signal fires when
    the *thread* that started the child ends: start servers from the main thread (the CLI does).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (a dead process its parent has not reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def remove_orphans(directory: str | os.PathLike[str], name: re.Pattern[str], remove: Callable[[Path], bool]) -> int:
    """Remove, with `remove`, the entries of `directory` whose name `name` matches in full with the pid of a process
    that no longer runs as its first group (a SIGKILL runs no cleanup); returns how many `remove` removed."""
    try:
        entries = list(Path(directory).iterdir())
    except FileNotFoundError:  # nothing was left there
        return 0
    removed = 0
    for path in entries:
        match = name.fullmatch(path.name)
        if match is not None and not process_alive(int(match.group(1))):
            removed += remove(path)
    return removed
