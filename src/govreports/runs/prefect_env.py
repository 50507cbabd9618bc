"""Prefect settings for plain runs on a laptop or CI: an ephemeral server whose home is under data/, analytics
and telemetry off (nothing may try the network), a first-start timeout long enough to migrate its database.
Must run before prefect is imported; variables already set by the user win."""

from __future__ import annotations

import os
import threading
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
    """Start Prefect's ephemeral API server now and return a function that waits until it answers (call it before
    the flow). Booting it is a second Python process importing Prefect's server and checking its database (3–5 s
    cold): started first, it boots on the other core while this process imports the flow, instead of after.
    Prefect's own client then finds the same server (one per process). With an API URL configured nothing is
    started; if the early start fails, Prefect starts it (or says why not) itself when the flow begins. Call after
    ``configure``.

    Only the start and the wait run in the thread: Prefect's modules are imported here first, because importing
    them from two threads at once deadlocks on their circular imports."""
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:  # a real server: nothing to start
        return lambda: None
    from prefect.server.api.server import SubprocessASGIServer  # what Prefect's client imports for it too

    def boot() -> None:
        try:
            SubprocessASGIServer().start()
        except Exception:  # noqa: BLE001 - the flow's own start of the server will say what is wrong
            return

    thread = threading.Thread(target=boot, name="prefect-ephemeral-server", daemon=True)
    thread.start()
    return thread.join
