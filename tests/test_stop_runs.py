"""A run stopped as a scheduler stops it: SIGTERM or SIGINT to the command alone (not its process group), or
SIGKILL; and Ctrl-C in a terminal. It ends in seconds with 128 + the signal and one line, whatever its crawls were waiting for; nothing it
started keeps running (the temporary Prefect server, the early crawls' worker, the parse workers); the writer lock
is free for the next run; its row in `runs` says it was stopped, and by which signal.

Against a demo portal where a third of the report pages answer after two minutes: its crawl outlasts the test, so
a run that ends in seconds was stopped, not finished."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from govreports.demo import DemoPortal
from govreports.demo.faults import FaultConfig
from govreports.store.db import connect
from govreports.store.lock import writer_lock

CONFIG = str(ROOT / "config" / "demo.toml")
SLOW_S = 120.0


@pytest.fixture
def slow_portal():
    portal = DemoPortal(seed=0, faults=FaultConfig(frozenset({"slow"}), slow_seconds=SLOW_S, rate=0.3)).start(port=0)
    yield portal
    portal.stop()


def _alive_in_session(sid: int) -> list[str]:
    """The processes of session `sid` still running (zombies are dead: only their parent has not reaped them)."""
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(f"{pid} {cmd}")
    return alive


def _as_from_a_terminal() -> None:
    """Ctrl-C handled as in a terminal: a test run started in the background (CI) inherits SIGINT ignored, as a
    shell sets it for background jobs, and Python keeps an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """`govreports ARGS…` in a session of its own (so that what it leaves behind can be found), its stderr read
    as it comes."""

    def __init__(self, tmp_path, portal, *args: str):
        self.db = tmp_path / "r.db"
        env = {**os.environ, **portal.environ(), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
               "PREFECT_HOME": str(tmp_path / "prefect")}
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "govreports", *args, "--config", CONFIG, "--db", str(self.db),
             "--archive", str(tmp_path / "archive")],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=_as_from_a_terminal)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stderr), daemon=True).start()

    def wait_for(self, text: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None, f"ended before {text!r}: {''.join(self.lines)[-2000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout:g} s"
            time.sleep(0.1)

    def stop(self, signum: int, group: bool = False, timeout: float = 60) -> tuple[int, float]:
        """Send `signum` to the command alone, or to its process group as a terminal's Ctrl-C does; its exit code
        and how long it took to end."""
        started = time.monotonic()
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {timeout:g} s after {signal.Signals(signum).name}; its stderr ends:\n"
                        + "".join(self.lines[-40:]))
        return code, time.monotonic() - started

    def left_behind(self, grace: float = 30) -> list[str]:
        deadline = time.monotonic() + grace
        while (alive := _alive_in_session(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return alive

    def kill_all(self) -> None:
        for line in _alive_in_session(self.process.pid):
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _run_begun(db) -> bool:
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM runs").fetchone()[0] > 0
    except sqlite3.Error:  # not created, or not migrated yet
        return False


def status_of(db) -> str:
    """What `govreports status` prints for the database."""
    from typer.testing import CliRunner

    from govreports.cli import app

    result = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command, signum, group", [("nightly", signal.SIGTERM, False),
                                                    ("backfill", signal.SIGINT, True)])
def test_a_run_stopped_in_its_flow_ends_in_seconds(tmp_path, prefect_home, slow_portal, command, signum, group):
    """Stopped while its tasks wait: the nightly's for the crawls it began before Prefect was up (flows.early),
    the backfill's for the crawls of its partitions in their threads (with its progress bar: the flow ran in a
    thread of its own, and a stopped backfill let go of the writer lock while its crawls went on). Before, Prefect waited for those crawls to
    end (the nightly's SIGINT and SIGTERM took as long as the whole crawl, the backfill's its partitions'). Ctrl-C
    in a terminal reaches the whole process group, but not the temporary Prefect server (a group of its own):
    the stopped run still reports to it (with the server gone first, Prefect's client retried for minutes)."""
    run = Run(tmp_path, slow_portal, command)  # the backfill with its progress bar, as by default
    try:
        run.wait_for("Beginning flow run")
        time.sleep(1.5)  # the tasks are running, and waiting for the slow pages
        assert f"still running (pid {run.process.pid} holds the database)" in status_of(run.db)
        code, took = run.stop(signum, group)
        name = signal.Signals(signum).name
        assert code == 128 + signum, "".join(run.lines)[-3000:]
        assert took < 30, f"took {took:.1f} s"  # a slow page alone answers after SLOW_S
        assert any(line.startswith(f"stopped by {name}: what was stored before it stays") for line in run.lines)
        assert run.left_behind() == []
        with writer_lock(run.db, wait=0, command="test"):  # free for the next run
            pass
        # the run's row says it was stopped and by what; no portal figures from it enter portal health
        with connect(run.db) as db:
            assert db.execute("SELECT kind, outcome, error, finished_at IS NOT NULL FROM runs").fetchall() == [
                (command, "stopped", f"stopped by {name}", 1)]
            assert db.execute("SELECT count(*) FROM portal_runs").fetchone() == (0,)
    finally:
        run.kill_all()


def test_a_killed_nightly_leaves_no_server_running(tmp_path, prefect_home, slow_portal):
    """SIGKILL: no cleanup code runs, so the children must end by themselves: the temporary Prefect server (the
    kernel signals it: lifecycle.die_with_parent), the early crawls' worker and its parse workers (they watch
    their parent). The server used to run on, one more each killed night."""
    run = Run(tmp_path, slow_portal, "nightly")
    try:
        deadline = time.monotonic() + 120
        while not any("prefect.server.api.server:create_app" in p for p in _alive_in_session(run.process.pid)):
            assert time.monotonic() < deadline and run.process.poll() is None, "the server did not start"
            time.sleep(0.1)
        while not _run_begun(run.db):  # its row in `runs` written (status reads it below)
            assert time.monotonic() < deadline and run.process.poll() is None, "the run did not begin"
            time.sleep(0.1)
        code, _ = run.stop(signal.SIGKILL)
        assert code == -signal.SIGKILL
        assert run.left_behind() == []
        # the row it wrote at its start has no outcome, and nothing holds the writer lock any more
        assert "nightly, started" in (line := status_of(run.db).splitlines()[-1])
        assert line.endswith(": killed (it no longer holds the database); what it stored stays")
    finally:
        run.kill_all()
