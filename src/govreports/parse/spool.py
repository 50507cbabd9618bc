"""Documents handed to a parse worker in a file instead of through pebble's pipe.

pebble sends a job's arguments, pickled, down one pipe that the pool's workers share. For a document larger than
the pipe's buffer (64 KiB on Linux) that has two costs:
- the pool's scheduling thread blocks until a worker has read the whole document, and the jobs behind it wait;
- the worker allocates the document while it receives it. That happens before the job starts, outside its
  deadline and its out-of-memory handling. A worker that dies there (a MemoryError under the memory cap) dies
  before it has told pebble which job it took, and pebble cannot pin the death on any job. Alone in the pool, the
  death broke the pool, and the document failed as `crashed` instead of `out_of_memory`. Beside a busy worker,
  pebble ignored the death: the job never started, its deadline never ran, and a wait on it never ended.

So a document over `SPOOL_BYTES` is written to a file in a directory of the parser's own. The worker is sent the
file's path (`Spooled`) and reads it inside the job (parse.worker.run_job), where the deadline and the memory cap
apply as they do to the parse. Smaller documents still go down the pipe: there a file costs more than it saves
(measured per 2 KB document: 0.07–0.10 ms of the caller's CPU by pipe, 0.20 ms by file).

A file is removed when its job is done. The directory is removed when the parser closes. It is named after the
parser's host and process (`govreports-parse-<host>-<pid>-…`), and the next parser on the host removes those of
processes that are gone: a SIGKILL runs no cleanup. (The host, because containers that share a temporary directory
do not see each other's processes.) When a file cannot be written (no space left), the document goes down the pipe
as before.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from govreports.lifecycle import remove_orphans

log = logging.getLogger(__name__)

SPOOL_BYTES = 64 * 1024  # Linux's pipe buffer: a larger document blocks pebble's pipe until a worker reads it
PREFIX = "govreports-parse-"


@dataclass(frozen=True)
class Spooled:
    """A document waiting in a file for the worker that reads it."""

    path: str

    def read(self) -> bytes:
        try:
            with open(self.path, "rb") as file:
                return file.read()
        except FileNotFoundError:
            raise RuntimeError(f"the document's file for the parse worker was removed before it was read "
                               f"({self.path})") from None


class Spool:
    """The files of one parser's documents in flight, in a directory under `root` (default: the system's
    temporary directory) made on the first document that needs one. Thread-safe: a crawl's event loop, a re-parse's
    thread and the second tries' threads all send documents."""

    def __init__(self, threshold: int | None = SPOOL_BYTES, root: str | os.PathLike[str] | None = None):
        self.threshold = threshold
        self.root = Path(root or tempfile.gettempdir())
        self._directory: Path | None = None
        self._names = itertools.count()
        self._lock = threading.Lock()
        self._closed = False
        self._warned = False

    def put(self, data: bytes) -> bytes | Spooled:
        """What to send a worker for `data`: the document itself, or, over the threshold, its file."""
        if self.threshold is None or len(data) <= self.threshold:
            return data
        with self._lock:  # and so never while close() removes the directory
            if self._closed:
                return data
            try:
                if self._directory is None:
                    sweep(self.root)
                    self._directory = Path(tempfile.mkdtemp(prefix=owner_prefix(), dir=self.root))
            except OSError as exc:
                self.threshold = None  # no directory (a read-only temporary directory): the pipe from now on
                return self._unspooled(data, exc)
            path = self._directory / str(next(self._names))
            try:
                with open(path, "xb") as file:
                    file.write(data)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    path.unlink()
                return self._unspooled(data, exc)
        return Spooled(str(path))

    @staticmethod
    def discard(sent: bytes | Spooled, *_future) -> None:
        """Remove the file of a document whose job is done (a future's done callback; a bytes document has none)."""
        if isinstance(sent, Spooled):
            with contextlib.suppress(OSError):
                os.unlink(sent.path)

    def close(self) -> None:
        """Remove the directory and what is left in it: call it when no worker reads from it any more."""
        with self._lock:
            self._closed = True
            directory, self._directory = self._directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    def _unspooled(self, data: bytes, exc: OSError) -> bytes:
        """`data` itself, down the pipe (the caller holds the lock)."""
        if not self._warned:  # once: a full disk would otherwise log it for every document
            self._warned = True
            log.warning("parse spool in %s: %s; documents go down the workers' pipe", self.root, exc)
        return data


def sweep(root: str | os.PathLike[str] | None = None) -> int:
    """Remove the spool directories that processes of this host left when they were killed; returns how many."""
    name = re.compile(rf"{re.escape(_host_prefix())}(\d+)-.*")
    return remove_orphans(root or tempfile.gettempdir(), name, _remove_directory)


def _remove_directory(path: Path) -> bool:
    if not path.is_dir():
        return False
    shutil.rmtree(path, ignore_errors=True)  # another user's: left as it is
    return not path.exists()


def owner_prefix(pid: int | None = None) -> str:
    """How the spool directories of process `pid` (default: this one) on this host begin."""
    return f"{_host_prefix()}{os.getpid() if pid is None else pid}-"


def _host_prefix() -> str:
    return f"{PREFIX}{re.sub(r'[^A-Za-z0-9.]', '_', socket.gethostname()) or 'host'}-"
