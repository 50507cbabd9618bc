"""What an external program (Tesseract, LibreOffice) answered for an input, kept under the hash of that input.

Those programs cost seconds a file (LibreOffice ~1.3 s a .doc, Tesseract ~1–5 s a scanned page) and answer the
same for the same bytes, so a re-parse after a parser change (runs.reparse over a national archive, many of its
files scans) or a crawl resumed after a crash would spend most of its time asking them again. Only the program's
raw output is kept — the DOCX LibreOffice wrote, the TSV Tesseract printed — never what the parser made of it, so
a new parser still reads every cached output afresh.

The key is a SHA-256 over the program's identity (its resolved path, size and modification time, and those of any
data file it reads, such as Tesseract's language model: a package upgrade changes them), the arguments that shape
its output, and the input bytes. Values are written as the raw archive writes (fetch.archive: temp file, rename,
fsync), so concurrent workers and killed ones never publish half a value. Only answers a caller accepted are kept:
a timeout or a failure is asked again next time. The cache is an optimisation: a directory that cannot be
written (a read-only data folder) costs the saving, never the parse.

Location: `<archive>/../toolcache` beside the crawl's archive, or `GOVREPORTS_TOOL_CACHE` (the test suite points
every crawl and demo portal of a session at one, so each scan is read by OCR once per session, not once a test).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV = "GOVREPORTS_TOOL_CACHE"


def identity(*files: str | os.PathLike[str]) -> str:
    """The program's (and its data files') resolved paths, sizes and modification times: what changes when the
    package providing them is upgraded."""
    parts = []
    for file in files:
        real = os.path.realpath(file)
        try:
            st = os.stat(real)
        except OSError:
            parts.append(f"{real}:absent")
            continue
        parts.append(f"{real}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


@dataclass(frozen=True)
class ToolCache:
    """A directory of program outputs; picklable, so the parse workers are handed it with each job."""

    root: Path

    def key(self, who: str, args: Sequence[str], data: bytes) -> str:
        digest = hashlib.sha256()
        for part in (who, "\0".join(args)):
            digest.update(part.encode("utf-8", "surrogateescape"))
            digest.update(b"\0\0")
        digest.update(data)
        return digest.hexdigest()

    def output(self, who: str, args: Sequence[str], data: bytes, run: Callable[[], bytes | None]) -> bytes | None:
        """The cached output for (program `who`, `args`, `data`), else `run()`'s, kept unless it is None (the
        caller's way of saying "do not keep this": a timeout, a failure)."""
        # imported here: importing govreports.fetch loads httpx, and every parse worker unpickles a ToolCache
        # with its jobs (0.1–0.4 s of CPU a worker start, for workers that may never run a program)
        from govreports.fetch.archive import Archive

        key = self.key(who, args, data)
        store = Archive(self.root)
        try:
            return store.get(key)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            pass
        out = run()
        if out is not None:
            try:
                store.put_as(key, out)
            except OSError:  # a read-only or full disk: the output is still this parse's
                pass
        return out


def ask(tools: ToolCache | None, who: str, args: Sequence[str], data: bytes,
        run: Callable[[], bytes | None]) -> bytes | None:
    """`run()`'s answer, through `tools` when there is a cache (ToolCache.output), else asked directly."""
    return run() if tools is None else tools.output(who, args, data, run)


def tool_cache_for(archive_root: str | os.PathLike[str] | None) -> ToolCache | None:
    """The cache a crawl or re-parse over `archive_root` uses: GOVREPORTS_TOOL_CACHE when set (empty: none), else
    the `toolcache` folder beside the archive; None without either (the demo portal's .doc files: it has no
    archive of its own)."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return ToolCache(Path(configured).resolve()) if configured.strip() else None
    if archive_root is None:
        return None
    return ToolCache(Path(archive_root).resolve().parent / "toolcache")


def sweep_leftovers(archive_root: str | os.PathLike[str], older_than: float = 3600) -> int:
    """Delete the temp files (`ab/cd/.tmp-*`) older than `older_than` seconds that killed processes left in the
    archive and in its tool cache, and return how many went: a parse worker killed at its deadline or memory cap
    between writing a program's output and renaming it leaves one in the cache, as a killed crawl does in the
    archive, and nothing else ever removes them. A younger one may be a running process's write. Called once per
    run, by the writer, before it starts (crawl, nightly, backfill, reparse)."""
    from govreports.fetch.archive import Archive

    removed = Archive(archive_root).sweep(older_than)
    tools = tool_cache_for(archive_root)
    if tools is not None:
        removed += Archive(tools.root).sweep(older_than)
    return removed
