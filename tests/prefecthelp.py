"""Prefect's own database, migrated once per test session instead of once per Prefect server a test starts.

Every Prefect server starts by migrating its SQLite database to Prefect's schema, and a fresh one takes about
9 s of CPU for it (measured: a `govreports reparse` of an empty database, 18–19 s of CPU with a new Prefect home,
10–12 s with a migrated one). A test that runs `govreports nightly`, `backfill` or `reparse` as a user does gets
a new home beside its new database, and the flows' harness a new database too: each paid those seconds again on
the suite's two cores. The first such test of the session migrates one database (`migrated_db`), and each
starts from a copy of it: a second night's server, which finds its schema current, as every night but the first
does. The first night's migration itself is what `make demo` does on a clean clone, and
tests/test_prefect_server.py starts from an empty home.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

ENV = "GOVREPORTS_TEST_PREFECT_DB"  # the migrated database's path, for the session's xdist workers too
_BUILD = """
import asyncio, os, sys
from prefect.server.database import provide_database_interface
asyncio.run(provide_database_interface().create_db())
os.replace(os.path.join(os.environ["PREFECT_HOME"], "prefect.db"), sys.argv[1])
"""


def session_folder() -> str | None:
    """A folder for the session's migrated database, made once by the process that configures the session (an
    xdist worker inherits its controller's through ENV); None when the session already has one."""
    if os.environ.get(ENV):
        return None
    folder = tempfile.mkdtemp(prefix="govreports-prefectdb-")
    os.environ[ENV] = str(Path(folder) / "prefect.db")
    return folder


def migrated_db() -> Path:
    """The session's migrated database, migrated by the first test that asks (the others wait for it: a lock
    that the xdist workers share), in a child process: this one may have imported prefect under other settings."""
    target = Path(os.environ[ENV])
    if target.exists():
        return target
    with open(target.parent / "lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            home = target.parent / "build"
            env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "DO_NOT_TRACK": "1"}
            env.pop("PREFECT_API_URL", None)
            env.pop("PREFECT_SERVER_DATABASE_CONNECTION_URL", None)
            done = subprocess.run([sys.executable, "-c", _BUILD, str(target)], env=env, capture_output=True,
                                  text=True, timeout=300)
            if done.returncode != 0 or not target.exists():
                raise RuntimeError(f"Prefect's database could not be migrated: {done.stderr[-2000:]}")
    return target


def migrated_home(home: Path) -> Path:
    """`home` as a Prefect home whose database is already migrated (the CLI's home is `prefect/` beside its
    database: paths.prefect_home)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_db(), home / "prefect.db")
    return home


@contextlib.contextmanager
def harness(server_startup_timeout: int = 120):
    """prefect_test_harness, its temporary database a copy of the migrated one (the harness makes its database in
    a folder of `mkdtemp`'s, deleted at exit)."""
    from prefect.testing import utilities
    from prefect.testing.utilities import prefect_test_harness

    folder = tempfile.mkdtemp(prefix="prefect-harness-")
    shutil.copyfile(migrated_db(), Path(folder) / "prefect-test.db")
    with mock.patch.object(utilities, "mkdtemp", return_value=folder):
        with prefect_test_harness(server_startup_timeout=server_startup_timeout):
            yield
