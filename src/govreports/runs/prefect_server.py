"""Prefect's temporary API server for a plain run, started at the command's entry instead of at its first API call.

Without a PREFECT_API_URL, Prefect starts a temporary server (SubprocessASGIServer) when the flow first talks to
the API, and the calling process first imports `prefect.server.api.server` (about 3 s of CPU) just to launch it.
A cold `govreports nightly` then spent its first seconds importing, and only after that began the server's boot
(the server then imports the same modules again, in its own process). Here the command launches the same server
process, with the same command line and environment Prefect uses (uvicorn over `create_app`, UI off, ephemeral
mode: no services), before Prefect is even imported, and points PREFECT_API_URL at it: the boot overlaps the CLI's
imports and the early crawls, and this process never imports the server module. The run waits for /api/health
before the flow starts, and the server is stopped when the command ends, as Prefect stops its own. It runs in a
process group of its own, so Ctrl-C in the terminal reaches only the command, which still reports its stopped
flow run to the server (with the server stopped first, Prefect's client retried for two minutes); if the command
is killed (SIGKILL: no cleanup runs), the kernel stops the server (`lifecycle.die_with_parent`).

Only when it can take effect: not when the user set PREFECT_API_URL (their server is used), and not once prefect
is imported in this process (its settings are read at import; tests that run flows in-process keep Prefect's own).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

from govreports.errors import EXIT_UNAVAILABLE, GovreportsError, StorageError
from govreports.lifecycle import die_with_parent


class PrefectServerError(GovreportsError):
    """The temporary Prefect server did not come up (its exit code, the cause its output names, and where that
    output is, are in the message): exit 69, EX_UNAVAILABLE, a service the run needs is not there. It was exit 1,
    which says "some portals could not be reached", with the server's traceback (230 lines for a damaged
    prefect.db) on stderr every night."""

    exit_code = EXIT_UNAVAILABLE


LOG_NAME = "server.log"  # the server's output, in its home: a failed start is read from it, and named
DAMAGED = ("file is not a database", "database disk image is malformed", "malformed database schema")


def _cause(log: Path, home: str) -> str:
    """What the server's output says stopped it, in one clause with its remedy; '' when nothing is recognised."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    database = Path(home) / "prefect.db"
    for marker in DAMAGED:
        if marker in text:
            return (f": its database {database} is damaged ({marker}); it holds only Prefect's history of runs, "
                    f"not the reports: move it aside (mv {database} {database}.damaged) and run again")
    errors = [line.strip() for line in text.splitlines() if re.match(r"^\w[\w.]*(Error|Exception)\b", line.strip())]
    return f": {errors[-1][:300]}" if errors else ""


POLL_S = 0.02  # between health checks: a refused connection costs microseconds, and the run starts sooner
FULL_BYTES = 1 << 20  # less free space than this under the Prefect home: the server's SQLite cannot start


def _home() -> str:
    """The Prefect home (runs.prefect_env sets it; Prefect's own default otherwise)."""
    return os.environ.get("PREFECT_HOME") or str(Path.home() / ".prefect")


def _home_space() -> tuple[str, int | None]:
    """The Prefect home and the free bytes on its disk (None when it cannot be read)."""
    home = _home()
    try:
        return home, shutil.disk_usage(home).free
    except OSError:
        return home, None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EarlyServer:
    """The server process; `wait()` before the first API call. It is stopped at exit (atexit): Prefect's log and
    event workers, registered after it, drain to it first (stopped any earlier, they retried for 80 s)."""

    def __init__(self, process: subprocess.Popen, port: int, previous_url: str | None, log_path: Path | None = None,
                 unwritable: OSError | None = None):
        self.process, self.port, self._previous_url, self.log_path = process, port, previous_url, log_path
        self.unwritable = unwritable  # why its log could not be made in its home, if it could not

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                exited = (f"the temporary Prefect server exited with code {self.process.returncode} before it answered"
                          f" on port {self.port}")
                home, free = _home_space()
                if free is not None and free < FULL_BYTES:  # its database (beside ours, by default) cannot grow
                    raise StorageError(f"{exited}: the disk holding its home {home} is full ({free // 1024} KB"
                                       " free)")
                if self.unwritable is not None:  # a read-only home: its database cannot be made there either
                    raise StorageError(f"{exited}: its home {home} cannot be written ({self.unwritable})")
                cause = _cause(self.log_path, home) if self.log_path is not None else ""
                raise PrefectServerError(f"{exited}{cause}{self._output()}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(POLL_S)
        self.stop()
        raise PrefectServerError(f"the temporary Prefect server did not answer within {timeout:g} s{self._output()}")

    def _output(self) -> str:
        """Where the server's output is, for an error's end."""
        return f" (its output: {self.log_path})" if self.log_path is not None else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if os.environ.get("PREFECT_API_URL") == self.api_url:  # leave the environment as it was found
            if self._previous_url is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = self._previous_url


def _command(site: Path, port: int) -> list[str]:
    """The server's command line, as Prefect's SubprocessASGIServer has it."""
    return [sys.executable, "-m", "uvicorn", "--app-dir", str(site), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port), "--log-level",
            "error", "--lifespan", "on"]


def _one_shot_settings(home: Path) -> dict[str, str]:
    """Prefect server settings that spare a one-run server start-up work it has no use for, each only where it
    changes nothing the run records (its flow run, task runs, logs, artifacts and events are all kept):

    - automations (the triggers and actions services: every event evaluated, and at start an API client of their
      own that sets up Prefect's logging again): off while the server's database holds no automation. A
      database that holds one (made on a long-lived `prefect server start` over the same home) keeps them, and so
      do an unreadable one and a setting of the user's own in the environment;
    - block types registered at start: once registered (Prefect's memo file in its home says so), later starts
      skipped the registration but still imported every installed Prefect collection to check its hash
      (prefect-dask imports dask.distributed). A new home, without the memo file, registers them.

    Measured 2026-12-07, the server booted alone over a nightly's home, three boots each, alternating: its CPU to
    its first answer and the 2 s after (its services starting) 3.39 s, 3.26 without automations, 2.94 without
    both (medians); in cold nightlies, the server's CPU 3.74-4.11 → 3.42-3.56 s."""
    settings: dict[str, str] = {}
    if not _holds_automations(home / "prefect.db"):
        settings["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] = "false"
    if (home / "memo_store.toml").is_file():
        settings["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] = "false"
        settings["PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"] = "false"
    return {k: v for k, v in settings.items() if k not in os.environ}  # the user's own settings win


def _holds_automations(database: Path) -> bool:
    """Whether Prefect's database has an automation (or cannot be read: then as if it had, and Prefect's own
    defaults stand); a database not made yet holds none."""
    if not database.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=1)) as db:
            return db.execute("SELECT count(*) FROM automation").fetchone()[0] > 0
    except sqlite3.Error:
        return True


def start_early_server() -> EarlyServer | None:
    """Launch the server now (after runs.prefect_env.configure, before prefect is imported); None when Prefect
    will use another (the user's PREFECT_API_URL, or prefect already imported here)."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    spec = find_spec("prefect")
    if spec is None or spec.origin is None:
        return None
    port = _free_port()
    home = Path(_home())
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
           **_one_shot_settings(home)}
    # its output goes to a file in its home, not to the command's stderr: a server that cannot start (a damaged
    # prefect.db) printed a 230-line traceback every night, and one stopped at the end of a failed run Starlette's
    # CancelledError, 60 lines under the run's own one-line error; the error names the file
    log_path, unwritable = home / LOG_NAME, None
    try:
        home.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "wb")
    except OSError as exc:  # (a full disk: the server's own start says so; a read-only home: `wait` names it)
        log, log_path, unwritable = subprocess.DEVNULL, None, exc
    try:
        process = subprocess.Popen(_command(Path(spec.origin).parent.parent, port), env=env,
                                   preexec_fn=die_with_parent(), process_group=0, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    finally:
        if log is not subprocess.DEVNULL:
            log.close()
    server = EarlyServer(process, port, os.environ.get("PREFECT_API_URL"), log_path, unwritable)
    os.environ["PREFECT_API_URL"] = server.api_url
    atexit.register(server.stop)
    return server


API_WAIT_S = 10.0  # how long a run waits for the user's Prefect server to answer before it starts


def wait_for_api(api_url: str) -> None:
    """The user's Prefect server (PREFECT_API_URL) answering its health check before a run starts on it, waited
    for API_WAIT_S (a server restarting as the night starts); else PrefectServerError (exit 69). A server that is
    down failed the flow's first call at once: `RuntimeError: Failed to reach API at …`, a 140-line traceback and
    exit 1, the code of unreachable portals. (Well within the run's watch, runs.watchdog, which gives a server that
    stops answering SILENCE_S.)"""
    from govreports.runs.watchdog import describe, healthy

    deadline = time.monotonic() + API_WAIT_S
    while not healthy(api_url, timeout=min(5.0, API_WAIT_S)):
        if time.monotonic() >= deadline:
            raise PrefectServerError(f"the Prefect server at {api_url} (PREFECT_API_URL) did not answer for "
                                     f"{describe(API_WAIT_S)}: start it (`prefect server start`), or unset "
                                     "PREFECT_API_URL to run on a temporary one")
        time.sleep(0.5)


HEARTBEAT_SETTINGS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


@contextlib.contextmanager
def flow_settings(server: EarlyServer | None) -> Iterator[None]:
    """Prefect settings for the flow runs made on this command's temporary server (`server`; None: the user's
    server, whose settings stand): no flow run heartbeats. A heartbeat tells a long-lived server's automations
    that a run's process is alive; this server ends with the process, so nothing can ever miss one. And Prefect's
    heartbeat thread sleeps in one-second steps, which the flow's end waited out (0-1 s, 0.5 on average, every
    run: measured as the last step of a cold nightly, after its summary). A user's own heartbeat setting wins."""
    if server is None or any(name in os.environ for name in HEARTBEAT_SETTINGS):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def startup_timeout() -> float:
    """The wait for the server's first answer: Prefect's own setting (runs.prefect_env sets 120 s: a first start
    migrates the server's database)."""
    try:
        return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    except ValueError:
        return 120.0
