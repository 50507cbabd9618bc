"""Prefect settings for plain runs on a laptop or CI: an ephemeral server whose home is under data/, analytics
and telemetry off (nothing may try the network), a first-start timeout long enough to migrate its database.
Must run before prefect is imported; variables already set by the user win."""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from govreports.paths import DEFAULT_PREFECT_HOME


def configure(home: str | Path = DEFAULT_PREFECT_HOME) -> Path:
    home = Path(os.environ.get("PREFECT_HOME") or home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return home


def start_ephemeral_server() -> Callable[[], None]:
    """Launch Prefect's ephemeral API server now and return a function that waits until it answers and hands it
    to Prefect (call it just before the flow). Booting it is a second Python process importing Prefect's server
    and checking its database (3–5 s cold); Prefect launches it only once the flow's client asks, after this
    process has imported Prefect itself (~2.5 s more). Launched first, before any Prefect import, it boots on the
    other core meanwhile. The command and environment are Prefect's own (``SubprocessASGIServer``), which is then
    given the running process, so the flow's client uses it and stops it at exit as its own.

    Nothing is launched when an API URL or a profiles file may name a real server; if the early server does not
    answer, it is stopped and Prefect starts one itself (or says why it cannot) when the flow begins. Call after
    ``configure``."""
    home = Path(os.environ["PREFECT_HOME"]) if os.environ.get("PREFECT_HOME") else None
    if (os.environ.get("PREFECT_API_URL") or os.environ.get("PREFECT_PROFILES_PATH") or home is None
            or (home / "profiles.toml").exists()):
        return lambda: None
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return lambda: None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.submodule_search_locations[0]).parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "error", "--lifespan", "on"],
        env={**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"},
    )
    atexit.register(_stop, process)

    def ready() -> None:
        timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 120)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        else:
            _stop(process)  # it did not come up: Prefect starts its own when the flow begins
            return
        from prefect.server.api.server import SubprocessASGIServer  # what Prefect's client imports for it too

        server = SubprocessASGIServer()
        if server.running:  # one was started meanwhile: ours is not needed
            _stop(process)
            return
        server.port, server.server_process, server.running = port, process, True
        atexit.register(server.stop)

    return ready


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
