"""Durable renames: a file published with `os.replace` survives a crash only once its directory is synced too.

Shared by the two writers whose output must be whole or absent: the raw archive and `govreports export`. A crawl's
archive writes are synced in batches instead (`sync_filesystem`), before the database commit that refers to them.
Both write a temp file made by `tempfile.mkstemp`, which is 0600 whatever the umask: `new_file_mode` is what the
published file gets instead.
"""

from __future__ import annotations

import ctypes
import functools
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


def sync_filesystem(directory: str | os.PathLike[str]) -> None:
    """Persist everything written so far to the filesystem holding `directory`, in one call.

    For a batch of new files this replaces an fsync of each file and of each directory: every fsync waits for a
    journal commit of its own (0.4–0.7 ms of CPU and wall a file on ext4, measured), where one syncfs(2) over a
    thousand just-written files took 20–25 ms. Linux has syncfs; elsewhere `os.sync()` (every filesystem) stands in.
    An error the kernel reports for the writeback (EIO, ENOSPC on some filesystems) is raised as OSError.
    """
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    fd = os.open(Path(directory), os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}", str(directory))
    finally:
        os.close(fd)


@functools.cache
def _syncfs():
    """libc's syncfs(2), or None where there is none (not Linux, or a libc without it)."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    except OSError:
        return None


def new_file_mode() -> int:
    """The mode `open()` gives a new file under this process's umask (0644 under 022). Read from /proc where Linux
    shows it: setting the umask to read it back (the portable way) changes it for a moment for every thread, and
    the archive is written from several."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
