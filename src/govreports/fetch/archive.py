"""Content-addressed raw archive: every body the crawler accepted, stored once under its SHA-256.

Parsers read only from here, so re-parsing never touches the network (memorious ``content_hash``, zavod
``fetch_resource``). Names are validated 64-hex digests, which is what keeps every write inside ``root``; writes go
to a temp file in the target directory and are published with ``os.replace`` so a crash never leaves half a file
under a real name; the directory is fsynced after the rename so the new name itself survives a crash. A killed
process can still leave a ``.tmp-*`` file behind: ``sweep`` removes old ones (once per crawl run).

A crawl's archive is ``batched``: its writes are not synced one by one (an fsync of the file and of its directory
cost a request more CPU than httpx's whole exchange), and ``sync()`` makes all of them durable in one call, which the
crawl makes before each database commit that refers to them. A power cut before that sync can leave a named file
short (ext4 publishes a new file's name before its data); ``store`` therefore takes an existing file as stored only
when its size is the body's, and writes a short one again.

A file gets the mode a new file gets under the umask (`durable.new_file_mode`), not its temp file's 0600: the
archive is read by re-parses, backups and servers that need not run as the crawl's user.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from govreports.durable import fsync_dir, new_file_mode, sync_filesystem

_SHA = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX = ".tmp-"


def _make_dirs(directory: Path, root: Path, synced: bool = True) -> None:
    """Create `directory` (under `root`) and, when `synced`, fsync the parent of each level created, so that the
    file put into it is reachable after a crash."""
    if directory.is_dir():
        return
    if directory == root or root not in directory.parents:
        directory.mkdir(parents=True, exist_ok=True)
        return
    _make_dirs(directory.parent, root, synced)
    try:
        directory.mkdir()
    except FileExistsError:  # another writer made it: its creator syncs the parent
        return
    if synced:
        fsync_dir(directory.parent)


class DamagedBody(ValueError):
    """An archived file whose bytes no longer hash to its name: cut short (a full disk, an interrupted copy) or
    overwritten. Raised by ``get(verify=True)``."""


class Archive:
    """``root/ab/cd/<sha256>``; ``put`` is idempotent (an identical body is written once).

    ``batched=True``: writes are durable only after ``sync()`` (see the module's docstring); safe to write from
    several threads while another calls ``sync()``.
    """

    def __init__(self, root: str | os.PathLike[str], *, batched: bool = False):
        self.root = Path(root).resolve()
        self.batched = batched
        self._mode = new_file_mode()  # (the temp file's 0600 would be every archived file's)
        self._unsynced = False  # a batched write since the last sync()

    def sync(self) -> None:
        """Make every batched write so far durable (nothing to do when there was none, or for an archive that
        syncs each write). OSError when the kernel reports that the data could not be written."""
        if not self._unsynced:
            return
        self._unsynced = False  # before the sync: a write that ends during it marks the archive for the next one
        sync_filesystem(self.root)

    @staticmethod
    def _check(sha256: str) -> str:
        if not isinstance(sha256, str) or not _SHA.fullmatch(sha256.lower()):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return sha256.lower()

    def relpath(self, sha256: str) -> str:
        """The path relative to the root, with forward slashes (what a database row stores)."""
        sha = self._check(sha256)
        return f"{sha[:2]}/{sha[2:4]}/{sha}"

    def path_for(self, sha256: str) -> Path:
        return self.root / self.relpath(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its sha256; a body already present is not written again."""
        return self.store(data)[0]

    def store(self, data: bytes) -> tuple[str, bool]:
        """``put``, also saying whether the body was new (one hash and one look-up: the fetcher counts new files)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("Archive.put takes bytes")
        sha = hashlib.sha256(data).hexdigest()
        return sha, self._publish(sha, data, whole=True)

    def put_as(self, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key``, a 64-hex digest of what *made* the data rather than of the data itself
        (extract.toolcache: a program's output under the hash of its input); False if the key was there."""
        return self._publish(self._check(key), data)

    def _publish(self, name: str, data: bytes, whole: bool = False) -> bool:
        """Write `data` under `name` unless it is there; `whole`: there means there at the data's size (the name is
        the data's hash, so a file of another size is one a crash cut short)."""
        path = self.path_for(name)
        try:
            size = path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            pass
        else:
            if not whole or size == len(data):
                return False
        _make_dirs(path.parent, self.root, synced=not self.batched)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        try:
            if hasattr(os, "fchmod"):  # (not on Windows before Python 3.13)
                os.fchmod(fd, self._mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if not self.batched:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        if self.batched:
            self._unsynced = True
        else:
            fsync_dir(path.parent)
        return True

    def sweep(self, older_than: float = 3600) -> int:
        """Delete temp files (``ab/cd/.tmp-*``) older than `older_than` seconds and return how many went.

        They are what a process killed between write and rename leaves; a younger one may be another process's
        write in progress, so it stays. Call once per crawl run, before crawling.
        """
        cutoff = time.time() - older_than
        removed = 0
        for tmp in self.root.glob(f"[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/{_TMP_PREFIX}*"):
            try:
                if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:  # renamed or swept by another process meanwhile
                continue
        return removed

    def discard(self, sha256: str) -> None:
        """Remove a damaged file (see ``get``), so that the body stored again is written, not taken as there by its
        size (a file of the right size with the wrong bytes: zeroes where a crash lost the data, a flipped bit)."""
        self.path_for(sha256).unlink(missing_ok=True)

    def get(self, sha256: str, *, verify: bool = False) -> bytes:
        """The stored bytes (FileNotFoundError if absent); ``verify`` re-hashes to catch a corrupted file
        (DamagedBody)."""
        data = self.path_for(sha256).read_bytes()
        if verify and hashlib.sha256(data).hexdigest() != sha256.lower():
            raise DamagedBody(f"archive file {sha256} does not match its hash")
        return data
