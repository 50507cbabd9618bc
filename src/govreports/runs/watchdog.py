"""Bounds on a run that hold whatever Prefect does: a wall-clock limit, a Prefect server that stops answering, and
a stop signal that the run does not obey within seconds.

Every Prefect API call blocks while the server does not answer: a server stopped (SIGSTOP, a frozen VM) or dead
under a night's flow held `govreports nightly` for 8 minutes and more per call (60 s a try, five retries), and
a SIGTERM then went into Prefect's own crash report to that server, so the night outlived its scheduler's
patience and the deployment's CANCEL_NEW concurrency cancelled every night after it. Nothing of it depends on
our crawl, which writes to our database, not to Prefect's; so the bound is kept outside Prefect, in a thread:

- a time limit (`--time-limit`, default 6 h for a nightly): the run is stopped when it is reached (exit 124,
  as `timeout(1)` reports it);
- Prefect's health: the server's `/health` is asked every few seconds; a temporary server that exited, or any
  server that did not answer for SILENCE_S, stops the run (exit 69, EX_UNAVAILABLE: a service it needs is down);
- a stop signal (SIGTERM, SIGHUP, Ctrl-C) seen by the thread through the signal wake-up pipe, whoever handles it
  (Prefect swaps its own SIGTERM handler in while a flow runs).

A stop comes in two steps. First the run is interrupted in its main thread (`RunCutShort`, raised there by a
signal of our own, so it also ends a blocking socket read), and unwinds as it does on Ctrl-C: its crawls are
stopped, its row in `runs` marked, Prefect told. If the command has not ended GRACE_S later (Prefect's crash
report waiting on a silent server, say), the thread ends the process itself: the run's row is marked (the
`on_hard_exit` callbacks), the temporary server killed, one line printed, exit with the code. What the run
committed stays: every write is a transaction, and the writer lock is a flock the kernel drops with the process.

A bound reached once the run had completed (its figures recorded, while the flow still talked to Prefect) ends the
command with the run's own summary and exit code, not 124 or 69: the CLI decides it from the run's row
(cli.flows._bounded_run), in the main thread or, when the process must end itself, in its `if_completed`.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

from govreports.errors import EXIT_TIME_LIMIT, EXIT_UNAVAILABLE
from govreports.lifecycle import STOP_SIGNALS, Ending, RunCutShort, cut_delivered, cut_withdrawn, signal_name

NIGHT_LIMIT = "6h"  # a nightly started 02:30 ends by 08:30: far from the next night, whose start it would cancel
GRACE_S = 10.0  # after a stop, how long the run may take to unwind before the process ends itself
SILENCE_S = 60.0  # a Prefect server that answers nothing for this long is down (a health check is one request)
HEALTH_EVERY_S = 5.0
FLOW_LIMIT = "the flow parameter time_limit"  # a deployed run's limit (deployed_run_bounds), as its lines name it
DELIVERY = signal.SIGUSR2  # the signal that carries RunCutShort into the main thread (no one else uses it)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float | None) -> float | None:
    """`6h`, `90m`, `45s`, `1.5h` or plain seconds; `0`, `none` or empty: no limit (None)."""
    if text is None:
        return None
    value = str(text).strip().lower()
    if value in ("", "0", "none", "off"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", value)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: say 6h, 90m, 45s, or 0 for none")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    return seconds or None


def describe(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def healthy(api_url: str, timeout: float = 5.0) -> bool:
    """Whether the Prefect API at `api_url` answers its health check now. A refusal (4xx) is an answer: a server
    behind a proxy or an authentication wall (a Prefect Cloud workspace URL) answers /health 401, 403 or 404, and
    counted as silent it cut every run after SILENCE_S; a 5xx is a server that is there but failing."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (urllib.error.URLError, OSError, ValueError):
        return False


class RunWatch:
    """The bounds of one run, from `__enter__` (in the main thread: signals are set there) to `__exit__`.

    `server`: the temporary Prefect server the command started (runs.prefect_server.EarlyServer), or None;
    `api_url`: the API to watch (the user's PREFECT_API_URL, or the server's); None: Prefect is not watched;
    `limit_by`: the setting the limit came from, as the stop's line names it (`--time-limit`, the variable
    GOVREPORTS_TIME_LIMIT, a deployed flow's `time_limit` parameter: FLOW_LIMIT)."""

    def __init__(self, limit_s: float | None = None, *, server=None, api_url: str | None = None,
                 grace_s: float = GRACE_S, silence_s: float = SILENCE_S, health_every_s: float = HEALTH_EVERY_S,
                 tick_s: float = 0.5, limit_by: str = "--time-limit"):
        self.limit_s, self.server, self.grace_s, self.silence_s = limit_s, server, grace_s, silence_s
        self.limit_by = limit_by
        self.api_url = api_url or (server.api_url if server is not None else None)
        self.health_every_s, self.tick_s = health_every_s, tick_s
        self.cut: RunCutShort | None = None  # what stopped the run, once it did
        self._hard_exit: list[Callable[[Ending], None]] = []
        self._done = threading.Event()
        self._main = threading.main_thread().ident
        self._prefect_down: Ending | None = None
        self._saved: dict = {}
        self._if_completed: Callable[[Ending], int | None] | None = None

    def on_hard_exit(self, callback: Callable[[Ending], object]) -> None:
        """`callback(ending)` runs before the process ends itself (mark the run's row): it must not wait long."""
        self._hard_exit.append(callback)

    def if_completed(self, callback: Callable[[Ending], int | None]) -> None:
        """`callback(ending)`, after the `on_hard_exit` ones: the exit code of a run that had completed before the
        stop (its figures recorded), once it has said how it ended; the process ends with it instead of the stop's.
        None: it had not, and the stop's ending stands."""
        self._if_completed = callback

    # -- in the main thread ---------------------------------------------------------------------------------
    def __enter__(self) -> RunWatch:
        # exception-safe: a step that fails (the signals set outside the main thread, a thread that cannot start)
        # undoes the ones before it, or the wake-up fd stayed on a pipe no one read and SIGUSR2 on our handler
        with contextlib.ExitStack() as undo:
            self._read, self._write = os.pipe()
            undo.callback(self._close_pipe)
            os.set_blocking(self._write, False)
            self._saved["wakeup"] = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
            undo.callback(signal.set_wakeup_fd, self._saved["wakeup"])
            self._saved["delivery"] = signal.signal(DELIVERY, self._deliver)
            undo.callback(signal.signal, DELIVERY, self._saved["delivery"] or signal.SIG_DFL)
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._watch, name="run-watch", daemon=True)
            self._thread.start()
            undo.callback(self._stop_thread)
            if self.api_url:
                threading.Thread(target=self._watch_prefect, name="prefect-health", daemon=True).start()
            undo.pop_all()
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self._stop_thread()
        signal.set_wakeup_fd(self._saved["wakeup"])
        # a delivery still on its way must not meet SIGUSR2's default action, which ends the process
        previous = self._saved["delivery"]
        signal.signal(DELIVERY, signal.SIG_IGN if previous in (signal.SIG_DFL, None) else previous)
        self._close_pipe()
        if self.cut is not None:
            cut_withdrawn(self.cut)
        if self.cut is not None and exc is not self.cut and not isinstance(exc, RunCutShort):
            # the run swallowed the interruption (or ended another way after it): it still ends as the cut says
            raise self.cut from exc

    def _stop_thread(self) -> None:
        self._done.set()
        with contextlib.suppress(OSError):
            os.write(self._write, b"\0")  # (wakes the thread: 0 is no signal)
        self._thread.join(timeout=2 * self.tick_s + 1)

    def _close_pipe(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _deliver(self, signum, frame) -> None:
        if self.cut is not None and not getattr(self.cut, "_raised", False):
            self.cut._raised = True
            cut_delivered(self.cut)  # recognised however a library wraps it (lifecycle.cut_short_in)
            raise self.cut

    # -- in the watch's threads ------------------------------------------------------------------------------
    def _watch(self) -> None:
        stopping: tuple[float, Ending] | None = None
        while not self._done.is_set():
            signals = self._signals_received(self.tick_s)
            if self._done.is_set():
                return
            now = time.monotonic()
            if stopping is None:
                ending = self._why_stop(signals, now)
                if ending is not None:
                    stopping = (now, ending)
                    if ending.signum is None:  # ours to stop: interrupt the main thread (a signal stops itself)
                        self.cut = RunCutShort(ending)
                        with contextlib.suppress(OSError, ValueError):
                            signal.pthread_kill(self._main, DELIVERY)
            elif now - stopping[0] >= self.grace_s:
                self._end_process(stopping[1])

    def _signals_received(self, timeout: float) -> list[int]:
        try:
            ready, _, _ = select.select([self._read], [], [], timeout)
            return list(os.read(self._read, 64)) if ready else []
        except (OSError, ValueError):  # closed by __exit__
            return []

    def _why_stop(self, signals: list[int], now: float) -> Ending | None:
        for signum in signals:
            if signum in (*STOP_SIGNALS, signal.SIGINT):
                return Ending(128 + signum, f"stopped by {signal_name(signum)}", "stopped", signum)
        if self.limit_s is not None and now - self._started >= self.limit_s:
            return Ending(EXIT_TIME_LIMIT, f"the run reached its time limit of {describe(self.limit_s)} "
                          f"({self.limit_by}) and was stopped", "stopped")
        return self._prefect_down

    def _watch_prefect(self) -> None:
        # the temporary server's startup wait judges one that never answered; the user's must answer from the start
        last_ok: float | None = time.monotonic() if self.server is None else None
        while not self._done.wait(0 if last_ok is None else self.health_every_s):
            exited = self.server.process.poll() if self.server is not None else None
            if exited is not None and last_ok is not None:
                log = getattr(self.server, "log_path", None)
                self._prefect_down = Ending(EXIT_UNAVAILABLE, f"the temporary Prefect server exited with code "
                                            f"{exited} during the run" + (f" (its output: {log})" if log else ""),
                                            "failed")
                return
            now = time.monotonic()
            if healthy(self.api_url, timeout=min(5.0, self.silence_s)):
                last_ok = time.monotonic()
            elif last_ok is not None and now - last_ok >= self.silence_s:
                where = "the temporary Prefect server" if self.server is not None else "the Prefect server"
                self._prefect_down = Ending(EXIT_UNAVAILABLE, f"{where} at {self.api_url} stopped answering (no "
                                            f"answer for {describe(self.silence_s)}): every Prefect call of the "
                                            "run was waiting on it", "failed")
                return
            if last_ok is None:
                self._done.wait(0.5)

    def _end_process(self, ending: Ending) -> None:
        """The run did not unwind in GRACE_S: mark it, stop the server, say why, and end the process."""
        completed: int | None = None
        for callback in self._hard_exit:
            try:
                callback(ending)
            except Exception as err:  # noqa: BLE001 - the process ends anyway; say what could not be done
                print(f"warning: {err}", file=sys.stderr)
        if self._if_completed is not None:
            try:
                completed = self._if_completed(ending)
            except Exception as err:  # noqa: BLE001 - the stop's ending stands
                print(f"warning: {err}", file=sys.stderr)
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.process.kill()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        if completed is not None:  # the run had completed before the stop, and its callback said so
            sys.stderr.flush()
            os._exit(completed)
        late = (f"the run did not end within {describe(self.grace_s)} of it (it was still waiting: on Prefect, or on"
                " its crawls), so the process ended itself")
        line = (f"{ending.reason}: what was stored before it stays; {late}" if ending.signum is not None
                else f"error: {ending.reason}; {late}: what was stored before it stays")
        print(line, file=sys.stderr, flush=True)
        os._exit(ending.code)


@contextlib.contextmanager
def watched(limit_s: float | None, server=None, limit_by: str = "--time-limit") -> Iterator[RunWatch]:
    """A command's run, bounded (see the module): the Prefect API watched is the temporary `server`'s, or the
    user's PREFECT_API_URL; none when Prefect runs its own in this process (tests). `limit_by`: RunWatch's."""
    with RunWatch(limit_s, server=server, api_url=os.environ.get("PREFECT_API_URL") if server is None else None,
                  limit_by=limit_by) as watch:
        yield watch


def flow_time_limit(text: str | float | None) -> float | None:
    """A flow's `time_limit` parameter in seconds, read as the CLI reads its --time-limit (parse_duration); a
    ValueError whose one line names the parameter and the forms it takes. A flow reads it before anything else:
    a deployed run given `6hours` failed inside its bounds with Prefect's traceback, after it had taken the
    database."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"invalid flow parameter time_limit: {exc}") from None


@contextlib.contextmanager
def deployed_run_bounds(limit_s: float | None) -> Iterator[RunWatch | None]:
    """Inside a flow: the same bounds for a run a deployment started (serve-flows, a worker: the flow runs in the
    main thread of a process of its own, and no command watches it), with the flow's `time_limit` (in seconds:
    flow_time_limit); the Prefect API watched is PREFECT_API_URL. None (nothing watched) for a flow run the CLI started, which the command's
    own watch bounds, or one not in the main thread (signals cannot be set there)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    deployed = context is not None and context.flow_run is not None and context.flow_run.deployment_id is not None
    if not deployed or threading.current_thread() is not threading.main_thread():
        yield None
        return
    with watched(limit_s, limit_by=FLOW_LIMIT) as watch:
        yield watch
