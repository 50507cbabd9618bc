"""Prefect settings for plain runs on a laptop or CI: an ephemeral server whose home is under data/, analytics
and telemetry off (nothing may try the network), a first-start timeout long enough to migrate its database.
Must run before prefect is imported; variables already set by the user win."""

from __future__ import annotations

import os
from pathlib import Path

from govreports.errors import StorageError
from govreports.paths import DEFAULT_PREFECT_HOME


def configure(home: str | Path = DEFAULT_PREFECT_HOME) -> Path:
    home = Path(os.environ.get("PREFECT_HOME") or home).resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in its place, a folder this user cannot write: a traceback and exit 1, before
        raise StorageError(f"the Prefect home {home} cannot be made ({exc}): its temporary server keeps its database "
                           "there; set PREFECT_HOME to a folder this user can write") from exc
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
