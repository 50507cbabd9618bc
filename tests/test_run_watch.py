"""runs.watchdog: a run is bounded whatever Prefect does — its time limit, a Prefect server that stops answering
or dies, a stop signal it does not obey — first by interrupting its main thread, then, if it does not unwind, by
ending the process with the code that says why, its row marked.

Measured before (govreports nightly against the demo portal, Prefect's temporary server SIGSTOPped once the tasks
had finished): the command was still there after 8 minutes, and a SIGTERM did not end it within 90 s (Prefect's
crash report waited on the server); killed, the server cost 150 s of retries, a traceback and exit 1. With the
watch: exit 69 76 s after the SIGSTOP (60 s of silence, 10 s of grace), SIGTERM exit 143 in 10 s.
These tests drive the watch with a fake Prefect (a socket that never answers) and tiny bounds: ~3 s in all."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from govreports.errors import EXIT_TIME_LIMIT, EXIT_UNAVAILABLE
from govreports.lifecycle import RunCutShort
from govreports.runs.watchdog import RunWatch, parse_duration


@pytest.fixture
def silent_api():
    """A 'Prefect API' that accepts connections and never answers, as a SIGSTOPped server does."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/api"


def test_durations():
    assert parse_duration("6h") == 6 * 3600 and parse_duration("90m") == 5400 and parse_duration("45") == 45
    assert parse_duration("1.5h") == 5400 and parse_duration("0") is None and parse_duration("none") is None
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("6 hours")


def test_the_time_limit_interrupts_the_run_where_it_waits():
    """The main thread blocked (here in a sleep, in a run on a socket read) is interrupted at the limit."""
    started = time.monotonic()
    with pytest.raises(RunCutShort) as cut:
        with RunWatch(0.3, grace_s=30, tick_s=0.05):
            time.sleep(20)
    assert time.monotonic() - started < 3
    assert cut.value.ending.code == EXIT_TIME_LIMIT and cut.value.ending.outcome == "stopped"
    assert "time limit of 0.3 s" in cut.value.ending.reason


def test_a_prefect_server_that_stops_answering_stops_the_run(silent_api):
    with pytest.raises(RunCutShort) as cut:
        with RunWatch(None, api_url=silent_api, silence_s=0.5, health_every_s=0.1, grace_s=30, tick_s=0.05):
            time.sleep(20)
    assert cut.value.ending.code == EXIT_UNAVAILABLE and cut.value.ending.outcome == "failed"
    assert f"Prefect server at {silent_api} stopped answering" in cut.value.ending.reason


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


def test_a_temporary_server_that_dies_stops_the_run_at_once(tmp_path):
    """The command's own server exits mid-run (killed, out of memory): the run stops with 69 and says so, where
    Prefect's client retried for 150 s and ended in a traceback, exit 1."""
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    class Server:  # runs.prefect_server.EarlyServer's shape
        api_url = f"http://127.0.0.1:{api.server_address[1]}/api"
        log_path = tmp_path / "server.log"

    Server.process = process
    try:
        with pytest.raises(RunCutShort) as cut:
            with RunWatch(None, server=Server(), health_every_s=0.1, grace_s=30, tick_s=0.05):
                time.sleep(0.5)  # it answered
                process.kill()
                time.sleep(20)
        assert cut.value.ending.code == EXIT_UNAVAILABLE
        assert cut.value.ending.reason == (f"the temporary Prefect server exited with code {-signal.SIGKILL} "
                                           f"during the run (its output: {tmp_path / 'server.log'})")
    finally:
        process.kill()
        api.shutdown()


def test_a_cut_a_library_wrapped_is_still_the_run_s_ending():
    """RunCutShort raised while pydantic-core ran a serializer (Prefect serialising a model in the main thread)
    came out as a PydanticSerializationError with neither cause nor context: a night stopped at its time limit was
    marked `failed: PydanticSerializationError: … RunCutShort: …` (a full run on a loaded machine). Whatever
    unwinds a run while its watch's cut is delivered is that cut; after the watch, an exception is its own."""
    from pydantic import BaseModel, model_serializer

    from govreports.crawl.runrecord import ending

    class Slow(BaseModel):
        @model_serializer(mode="wrap")
        def _slowly(self, handler):
            time.sleep(20)  # the cut arrives in here
            return handler(self)

    caught: list[tuple[BaseException, tuple]] = []
    with pytest.raises(RunCutShort):  # (the watch's exit raises its cut whatever the block raised)
        with RunWatch(0.3, grace_s=30, tick_s=0.05):
            try:
                Slow().model_dump_json()
            except BaseException as exc:  # noqa: BLE001 - what a library turned the cut into
                caught.append((exc, ending(exc)))  # as recorded_run marks the run's row, inside the watch
                raise
    ((exc, (outcome, why)),) = caught
    assert not isinstance(exc, RunCutShort) and exc.__cause__ is None and exc.__context__ is None
    assert outcome.value == "stopped" and "time limit of 0.3 s" in why, (outcome, why)
    assert ending(ValueError("later, its own"))[0].value == "failed"


def test_nothing_happens_within_the_bounds():
    with RunWatch(5, grace_s=30, tick_s=0.05) as watch:
        time.sleep(0.2)
    assert watch.cut is None


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


@pytest.mark.parametrize("fails", ["delivery", "health-thread"])
def test_a_watch_that_cannot_start_leaves_nothing_of_it_behind(monkeypatch, fails):
    """`__enter__` failing halfway (the delivery signal cannot be set, a thread cannot be started) raised with its
    pipe open, the signal wake-up fd pointing at it and its SIGUSR2 handler installed: every later signal wrote
    to a pipe no one read, and the next watch found the fd of a dead one. It undoes what it did."""
    from govreports.runs import watchdog

    before = (_open_fds(), signal.getsignal(watchdog.DELIVERY), signal.set_wakeup_fd(-1))
    signal.set_wakeup_fd(before[2])
    if fails == "delivery":
        real = signal.signal

        def refuse(signum, handler):
            if signum == watchdog.DELIVERY and handler is not before[1]:
                raise ValueError("signal only works in main thread of the main interpreter")
            return real(signum, handler)

        monkeypatch.setattr(watchdog.signal, "signal", refuse)
        raised = ValueError
    else:
        class NoHealthThread(threading.Thread):
            def start(self):
                if self.name == "prefect-health":
                    raise RuntimeError("can't start new thread")
                super().start()

        monkeypatch.setattr(watchdog.threading, "Thread", NoHealthThread)
        raised = RuntimeError
    with pytest.raises(raised):
        with RunWatch(5, api_url="http://127.0.0.1:9/api", tick_s=0.05):
            pytest.fail("the watch started")
    monkeypatch.undo()
    assert signal.set_wakeup_fd(-1) == before[2]
    signal.set_wakeup_fd(before[2])
    assert signal.getsignal(watchdog.DELIVERY) is before[1]
    # none of its fds left open (an fd of another test's object, closed meanwhile by the collector, is not its)
    assert _open_fds() <= before[0]
    deadline = time.monotonic() + 2
    while any(t.name == "run-watch" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(t.name == "run-watch" for t in threading.enumerate())


HANGS_AFTER_THE_STOP = """
import signal, sys, time
from govreports.lifecycle import StopSignals
from govreports.runs.watchdog import RunWatch
StopSignals().install()
watch = RunWatch({limit}, grace_s=1, tick_s=0.05)
watch.on_hard_exit(lambda ending: open({marker!r}, "w").write(ending.outcome + ": " + ending.reason))
with watch:
    try:
        print("ready", flush=True)
        time.sleep(30)
    except BaseException:  # as Prefect's crash report to a silent server: the run does not unwind
        time.sleep(30)
"""


def _run(tmp_path, limit) -> subprocess.Popen:
    script = HANGS_AFTER_THE_STOP.format(limit=limit, marker=str(tmp_path / "marked"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_run_that_does_not_unwind_at_its_limit_is_ended_with_its_row_marked(tmp_path):
    process = _run(tmp_path, 0.3)
    started = time.monotonic()
    _, err = process.communicate(timeout=20)
    assert process.returncode == EXIT_TIME_LIMIT and time.monotonic() - started < 5
    assert (tmp_path / "marked").read_text().startswith("stopped: the run reached its time limit of 0.3 s")
    assert err.strip().splitlines()[-1].startswith("error: the run reached its time limit of 0.3 s")
    assert "what was stored before it stays" in err and "Traceback" not in err


def test_a_sigterm_the_run_does_not_obey_ends_it_in_seconds(tmp_path):
    """Prefect swaps its own SIGTERM handler in while a flow runs, then reports the crash to its server: the
    watch sees the signal through the wake-up pipe whoever handles it."""
    process = _run(tmp_path, None)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 128 + signal.SIGTERM and time.monotonic() - started < 5
    assert (tmp_path / "marked").read_text() == "stopped: stopped by SIGTERM"
    assert err.strip().splitlines()[-1].startswith("stopped by SIGTERM: what was stored before it stays")


@pytest.mark.parametrize("setting", ["--time-limit", "GOVREPORTS_TIME_LIMIT"])
def test_a_nightly_past_its_time_limit_ends_with_124_and_its_row_says_why(tmp_path, silent_api, setting):
    """The command wired to the watch: the night (here on a Prefect server that never answers, so it is still
    creating its flow run) is stopped at --time-limit, its row in `runs` says why, and the exit code is 124. The
    line names the setting the limit came from: the night's timer sets the variable, and "(--time-limit)" sent
    its reader looking for an option no one gave."""
    from conftest import ROOT
    from govreports.store.db import connect

    db = tmp_path / "r.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PREFECT_API_URL": silent_api,
           "PREFECT_HOME": str(tmp_path / "prefect"), "GOVREPORTS_DEMO_PORT": "9"}
    limit = ["--time-limit", "2s"] if setting == "--time-limit" else []
    if not limit:
        env["GOVREPORTS_TIME_LIMIT"] = "2s"
    started = time.monotonic()
    config = str(ROOT / "config" / "demo.toml")
    done = subprocess.run([sys.executable, "-m", "govreports", "nightly", "--config", config, "--portal", "demo-ordos",
                           "--db", str(db), "--archive", str(tmp_path / "archive"), *limit],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_TIME_LIMIT, done.stderr[-3000:]
    assert time.monotonic() - started < 30
    reason = f"the run reached its time limit of 2 s ({setting}) and was stopped"
    assert done.stderr.strip().splitlines()[-1] == f"error: {reason}; what was stored before it stays"
    with connect(db) as database:
        assert database.execute("SELECT kind, outcome, error FROM runs").fetchall() == [("nightly", "stopped", reason)]


def test_a_deployed_flow_run_is_bounded_as_a_command_is(monkeypatch):
    """serve-flows and workers run the flow in a process no command watches: the flow keeps the same bounds when a
    deployment started it (the night's time_limit, 6 h by default; the backfill's none), and none when the CLI
    did (the command's own watch bounds it)."""
    from types import SimpleNamespace

    from prefect.context import FlowRunContext

    from govreports.flows.backfill import backfill
    from govreports.flows.nightly import nightly
    from govreports.flows.reparse import reparse
    from govreports.runs.watchdog import deployed_run_bounds

    assert nightly.parameters.properties["time_limit"]["default"] == "6h"
    # a deployed re-parse had no bounds at all: a Prefect server gone left it running, its row open, for good
    assert backfill.parameters.properties["time_limit"]["default"] is None
    assert reparse.parameters.properties["time_limit"]["default"] is None
    run_of = {"deployment_id": None}
    monkeypatch.setattr(FlowRunContext, "get", classmethod(
        lambda cls: SimpleNamespace(flow_run=SimpleNamespace(deployment_id=run_of["deployment_id"]))))
    with deployed_run_bounds(0.2) as watch:  # started by the CLI
        time.sleep(0.5)
    assert watch is None
    run_of["deployment_id"] = "5f1c…"
    with pytest.raises(RunCutShort) as cut:
        with deployed_run_bounds(0.2):
            time.sleep(20)
    # named as it was set: a deployment has no --time-limit
    assert cut.value.ending.reason == ("the run reached its time limit of 0.2 s (the flow parameter time_limit) "
                                       "and was stopped")


def test_a_deployed_reparse_past_its_time_limit_is_stopped_and_its_row_says_why(tmp_path, monkeypatch):
    """The re-parse flow wired to the bounds: deployed (serve-flows, a worker), given time_limit, a re-parse still
    going then is stopped and its `runs` row says why. It had no time_limit, and no health watch either."""
    from types import SimpleNamespace

    from prefect.context import FlowRunContext

    from conftest import ROOT
    from govreports.flows import reparse as flow_module
    from govreports.store.db import connect

    db = tmp_path / "r.db"
    with connect(db):  # a database a crawl made
        pass
    monkeypatch.setattr(FlowRunContext, "get", classmethod(
        lambda cls: SimpleNamespace(flow_run=SimpleNamespace(deployment_id="5f1c…"))))
    monkeypatch.setattr(flow_module, "reparse_archive", lambda *a, **k: time.sleep(20))
    started = time.monotonic()
    with pytest.raises(RunCutShort):
        flow_module.reparse.fn(config=str(ROOT / "config" / "demo.toml"), db=str(db),
                               archive=str(tmp_path / "archive"), time_limit="0.3s")
    assert time.monotonic() - started < 10
    reason = "the run reached its time limit of 0.3 s (the flow parameter time_limit) and was stopped"
    with connect(db) as database:
        assert database.execute("SELECT kind, outcome, error FROM runs").fetchall() == [("reparse", "stopped", reason)]


def test_the_nightly_s_time_limit_variable_leaves_a_backfill_unbounded(tmp_path):
    """GOVREPORTS_TIME_LIMIT is the nightly's (README): a backfill, which may take days, has none unless its own
    --time-limit says so. It read the variable too: set for the nightly's timer in an environment both share
    (GOVREPORTS_TIME_LIMIT=3s here), a backfill of the demo's ordos portal ended with 124 after 3 s."""
    from typer.testing import CliRunner

    from conftest import ROOT
    from govreports.cli import app

    env = {"GOVREPORTS_TIME_LIMIT": "bogus"}  # read, it would be a usage error
    common = ["--config", str(ROOT / "config" / "demo.toml"), "--db", str(tmp_path / "r.db"),
              "--archive", str(tmp_path / "archive")]
    done = CliRunner().invoke(app, ["backfill", "--dry-run", "--years", "2023", "--portal", "demo-ordos",
                                    "--no-progress", *common], env=env)
    assert done.exit_code == 0, done.output
    assert "would run demo-ordos 2023" in done.output
    done = CliRunner().invoke(app, ["nightly", "--portal", "demo-ordos", *common], env=env)
    assert done.exit_code == 2 and "'bogus' is not a duration" in done.output
    # the variable is named, not an option that was not given
    assert "Invalid value for GOVREPORTS_TIME_LIMIT" in done.output and "--time-limit" not in done.output
    done = CliRunner().invoke(app, ["nightly", "--portal", "demo-ordos", "--time-limit", "6hours", *common], env=env)
    assert done.exit_code == 2 and "Invalid value for --time-limit: '6hours' is not a duration" in done.output


@pytest.mark.parametrize("status, answering", [(200, True), (401, True), (404, True), (500, False), (503, False)])
def test_a_prefect_api_that_answers_its_health_check_with_a_refusal_is_answering(srv, status, answering):
    """The watch stops a run whose Prefect server is silent for 60 s (exit 69). A server behind a proxy or an
    authentication wall (a Prefect Cloud workspace URL) answers /health 401, 403 or 404: it is there and answering,
    and every run was cut after a minute as if it were down. A 5xx is a server that is there but failing."""
    from httpserver import Reply

    from govreports.runs.watchdog import healthy

    srv.route("/api/health", Reply(status, b"{}"))
    assert healthy(srv.url("/api")) is answering
