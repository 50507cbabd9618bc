"""govreports.lifecycle: stop signals unwind a command as Ctrl-C does; a flow's stop reaches its tasks' threads."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from govreports.lifecycle import (RunStop, StopSignals, Stopped, current_stop, run_stoppable, stop_signal_in,
                                  stopping_with_the_run)


@pytest.fixture
def stop_signals():
    """StopSignals installed in this (the main) thread for one test, as in a command's own process: SIGTERM and
    SIGHUP not ignored (a suite started under nohup inherits SIGHUP ignored, which install rightly keeps) and
    Ctrl-C Python's own (a handler another test of this worker left behind would take the stop for its own). The
    previous handlers put back after."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield StopSignals().install()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test_sigterm_raises_stopped_and_the_cleanup_runs(stop_signals):
    cleaned = []
    with pytest.raises(Stopped) as stopped:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs before this returns
        finally:
            cleaned.append(True)
    assert stopped.value.signum == signal.SIGTERM and stop_signals.received == signal.SIGTERM
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # a second one ends the process (below)


def test_inside_asyncio_run_sigterm_unwinds_the_loop_as_ctrl_c_does(stop_signals):
    """The main task is cancelled and its tasks unwind (their `finally` runs), then KeyboardInterrupt: no task is
    left holding a `Stopped` that nobody retrieves."""
    unwound = []

    async def child():
        try:
            await asyncio.sleep(30)
        finally:
            unwound.append("child")

    async def main():
        task = asyncio.create_task(child())
        await asyncio.sleep(0)
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            await task
        finally:
            unwound.append("main")

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as stopped:
        asyncio.run(main())
    assert time.monotonic() - started < 10
    assert sorted(unwound) == ["child", "main"]
    assert stop_signals.received == signal.SIGHUP and stop_signal_in(stopped.value) == signal.SIGINT


def test_a_second_signal_ends_a_cleanup_that_hangs():
    script = """
import os, signal, sys, time
from govreports.lifecycle import StopSignals, Stopped
StopSignals().install()
try:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
except Stopped:
    print("stopping", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)  # the cleanup hangs; the scheduler sends it again
    time.sleep(30)
print("not reached", flush=True)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM and done.stdout == "stopping\n", done.stderr


def test_an_ignored_signal_stays_ignored():
    script = """
import os, signal, time
from govreports.lifecycle import StopSignals
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
StopSignals().install()
os.kill(os.getpid(), signal.SIGHUP)
time.sleep(0.2)
print("still running", flush=True)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "still running\n", done.stderr


def test_stop_signal_in_follows_the_chain_typer_makes():
    """typer turns Ctrl-C into Exit(130) raised from it, then into SystemExit: the stop is found through both."""
    try:
        try:
            try:
                raise Stopped(signal.SIGTERM)
            except KeyboardInterrupt as exc:
                raise RuntimeError("Exit(130)") from exc
        except RuntimeError:
            raise SystemExit(130)
    except SystemExit as exc:
        exit_exc = exc
    assert stop_signal_in(exit_exc) == signal.SIGTERM
    assert stop_signal_in(SystemExit(0)) is None
    assert stop_signal_in(ValueError("no")) is None


def test_prefects_termination_signal_is_a_stop():
    from prefect.exceptions import TerminationSignal

    assert stop_signal_in(TerminationSignal(signal.SIGTERM)) == signal.SIGTERM


def _in_thread(fn):
    """Run fn in a thread that copies this context (as Prefect's task runner does); its result or exception."""
    import contextvars

    out: dict = {}
    context = contextvars.copy_context()

    def target():
        try:
            out["result"] = context.run(fn)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def test_a_stopped_flow_cancels_the_crawls_its_tasks_run_in_their_threads():
    """The signal is raised in the flow's thread; each task thread's event loop is cancelled (its `finally`
    runs) and the task raises Stopped with the flow's signal, in seconds rather than when its crawl ends."""
    unwound = []
    started = threading.Event()

    async def crawl():
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            unwound.append(True)
        return "finished"

    with pytest.raises(Stopped):
        with stopping_with_the_run():
            thread, out = _in_thread(lambda: run_stoppable(crawl()))
            assert started.wait(10)
            begun = time.monotonic()
            raise Stopped(signal.SIGTERM)  # as the handler raises it in the flow's wait
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - begun < 10
    assert unwound == [True]
    assert isinstance(out.get("error"), Stopped) and out["error"].signum == signal.SIGTERM
    assert current_stop() is None  # the flow's RunStop is gone with its block


def test_without_a_stop_the_flow_and_its_crawls_run_as_before():
    async def crawl():
        await asyncio.sleep(0)
        return "finished"

    assert run_stoppable(crawl()) == "finished"  # no flow: plain asyncio.run
    with stopping_with_the_run():
        thread, out = _in_thread(lambda: run_stoppable(crawl()))
        thread.join(10)
    assert out == {"result": "finished"}
    with pytest.raises(ValueError):  # another error in the flow stops nothing: it is the flow's to handle
        with stopping_with_the_run() as stop:
            raise ValueError("not a stop")
    assert stop.signum is None


def test_what_registers_after_the_stop_is_stopped_at_once():
    stop = RunStop()
    calls = []
    with stop.on_stop(lambda: calls.append("before")):
        stop.stop(signal.SIGINT)
    assert calls == ["before"]
    with stop.on_stop(lambda: calls.append("after")):
        pass
    assert calls == ["before", "after"] and stop.signum == signal.SIGINT


def test_a_block_inside_another_shares_its_stop():
    """The CLI's block around the early crawls and the flow's inside it are one RunStop: a stop raised in the
    inner one stops what registered with the outer (the early crawls' worker)."""
    calls = []
    with pytest.raises(Stopped):
        with stopping_with_the_run() as outer, outer.on_stop(lambda: calls.append("outer's")):
            with stopping_with_the_run() as inner:
                assert inner is outer
                raise Stopped(signal.SIGTERM)
    assert calls == ["outer's"] and outer.signum == signal.SIGTERM
    assert current_stop() is None
