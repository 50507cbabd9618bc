"""Hold a database's writer lock from another process, as a concurrent run would (flock is per process)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from conftest import ROOT

_HOLD = """
import sys, time
from govreports.store.lock import writer_lock
with writer_lock(sys.argv[1], command="holder"):
    print("held", flush=True)
    time.sleep(600)
"""


@contextlib.contextmanager
def lock_held_elsewhere(db_path: str | Path) -> Iterator[subprocess.Popen]:
    """A child process holds the lock until the block ends (the child is killed, as a crashed run would be)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(db_path)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()
