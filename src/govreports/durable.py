"""Durable renames: a file published with `os.replace` survives a crash only once its directory is synced too.

Shared by the two writers whose output must be whole or absent: the raw archive and `govreports export`.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Persist `directory`'s entries (a rename or a new subdirectory), where the OS allows opening a directory."""
    try:
        fd = os.open(Path(directory), os.O_RDONLY)
    except OSError:  # platforms that cannot open a directory (Windows) have no such step
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
