"""One writer per database: the lock every command and flow that writes takes before it starts.

SQLite serialises single transactions, but not runs: a backfill and a nightly run interleaving for hours make each
other's busy timeouts expire ("database is locked") and their summaries meaningless. So every writer (crawl,
nightly, backfill, reparse, load) holds an exclusive `flock` on `<database>.lock` for the whole run. The kernel
drops a flock when its process dies, even by SIGKILL, so a lock left by a killed run is simply taken over; the
file's content (pid, start time, command) only serves the message a waiting writer prints, and `govreports
status`, which asks whether a run not finished is still going (`holder_now`).

Re-entrant within a process: the CLI takes the lock before it starts Prefect (so a busy database costs nothing and
gives a one-line message), and the flow it then runs (in another thread, perhaps) takes it again. A second `flock`
on a new descriptor would wait on our own, so the process counts the holds it has.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from govreports.errors import EXIT_BUSY, GovreportsError, StorageError

DEFAULT_WAIT_S = 60.0


@dataclass(frozen=True)
class Holder:
    pid: int | None
    started: str | None  # ISO local time
    command: str | None

    def describe(self) -> str:
        when = ""
        if self.started:
            try:
                when = f", started {datetime.fromisoformat(self.started).strftime('%H:%M')}"
            except ValueError:
                when = f", started {self.started}"
        what = f"{self.command} " if self.command else ""
        return f"another run ({what}pid {self.pid if self.pid is not None else '?'}{when})"


class DatabaseBusy(GovreportsError, RuntimeError):
    """Another writer held the database for longer than we were willing to wait (exit code 75)."""

    exit_code = EXIT_BUSY

    def __init__(self, path: Path, holder: Holder, waited: float):
        self.path, self.holder, self.waited = path, holder, waited
        super().__init__(f"{holder.describe()} holds the database {path}; waited {waited:.0f} s "
                         f"(try again later, or raise --wait)")


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path).resolve()
    return db_path.with_name(db_path.name + ".lock")


def read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    pid = data.get("pid")
    return Holder(pid if isinstance(pid, int) else None, data.get("started"), data.get("command"))


def holder_now(db_path: str | Path) -> Holder | None:
    """The writer holding the database now, or None when no process does; OSError when the lock file cannot be
    read. For readers (`govreports status`): it asks with a shared flock tried without waiting and let go at once,
    so a writer starting in that instant finds the lock taken and takes it one poll later. Never creates the file."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None  # no writer ever ran here
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# Locks this process holds (resolved lock path -> how many blocks hold it): process-wide like the flock itself, so
# the CLI's hold covers the flow it runs in another thread. Deliberately not the pid written in the file: two
# containers sharing data/ can both be pid 1.
_HELD: dict[Path, int] = {}
_HELD_GUARD = threading.Lock()


def _enter_held(path: Path) -> bool:
    with _HELD_GUARD:
        if path in _HELD:
            _HELD[path] += 1
            return True
        return False


def _leave(path: Path) -> None:
    with _HELD_GUARD:
        _HELD[path] -= 1
        if not _HELD[path]:
            del _HELD[path]


@contextlib.contextmanager
def writer_lock(db_path: str | Path, *, wait: float = DEFAULT_WAIT_S, command: str = "",
                poll: float = 0.25) -> Iterator[Path]:
    """Hold the database's writer lock for the block; wait up to `wait` seconds for it, then raise DatabaseBusy."""
    path = lock_path(db_path)
    if _enter_held(path):  # this process holds it already (the CLI around its flow)
        try:
            yield path
        finally:
            _leave(path)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a folder the user may not write, a read-only disk: a traceback, exit 1, before
        raise StorageError(f"cannot take the writer lock of the database {db_path}: its lock file {path} cannot be "
                           f"created or opened ({exc.strerror or exc}); the database's folder must be writable"
                           ) from exc
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if _enter_held(path):  # another thread of this process took it meanwhile
                    os.close(fd)
                    fd = -1
                    try:
                        yield path
                    finally:
                        _leave(path)
                    return
                waited = time.monotonic() - start
                if waited >= wait:
                    raise DatabaseBusy(Path(db_path), read_holder(path), waited) from None
                time.sleep(min(poll, max(wait - waited, 0.01)))
        with _HELD_GUARD:
            _HELD[path] = 1
        record = {"pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds"), "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # a stale description must not name a process that has finished
            _leave(path)
    finally:
        if fd >= 0:
            os.close(fd)  # closing the descriptor releases the flock
