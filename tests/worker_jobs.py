"""Jobs the parse-worker tests hand to BoundedParser in place of parse_job. A worker imports the module of its
job on start (the fork server preloads only the parser's), so this one imports next to nothing: a test module
importing the CLI made every worker start, and every replacement after a kill, 0.45 s slower."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from govreports.extract.toolcache import ToolCache
from govreports.parse.worker import parse_job


def die_on_marker(data: bytes, name: str, hints, http_charset):
    """A worker job for the tests: dies as told by the document, else parses it."""
    if data == b"exit":
        os._exit(3)
    if data == b"kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if data == b"memory":
        raise MemoryError
    if data == b"bug":
        raise RuntimeError("a parser bug")
    return parse_job(data, name, hints, http_charset)


def digest(data: bytes, name: str, hints, http_charset) -> dict:
    """A worker job for the tests: what the worker received (b"sleep…" first takes 4 s)."""
    if data.startswith(b"sleep"):
        time.sleep(4)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def niceness(data: bytes, name: str, hints, http_charset) -> int:
    """A worker job for the tests: the worker's niceness (it dies first when told)."""
    if data == b"exit":
        os._exit(3)
    return os.nice(0)


def stamp(data: bytes, name: str, hints, http_charset) -> dict:
    """A worker job for the tests: which worker ran the document and when; b"sleep" takes a minute."""
    start = time.monotonic()
    time.sleep(60 if data == b"sleep" else 0.3)
    return {"pid": os.getpid(), "start": start, "end": time.monotonic()}


class DieOnArrival:
    """Hints that end the worker as it reads them: after it has taken the job from the pool's pipe, before it has
    told the pool so (what the out-of-memory killer does at the wrong moment)."""

    def __reduce__(self):
        return os._exit, (3,)


class Unrebuildable(Exception):
    """An exception some library might raise: it pickles, but cannot be rebuilt from its args."""

    def __init__(self, what: str, why: str):
        super().__init__(f"{what}: {why}")


def troublesome(data: bytes, name: str, hints, http_charset):
    """A worker job for the tests: b"raise…" raises Unrebuildable; b"break…" returns one (which the caller cannot
    read back: pebble breaks the pool); b"once:PATH\0…" returns one the first time, when PATH does not exist yet,
    and the next time, if it ends "then sleep", sleeps a minute; b"nap…" takes 0.1 s; and all but the first return
    a small dict."""
    if data.startswith(b"raise"):
        raise Unrebuildable("a library", "its own error type")
    if data.startswith(b"break"):
        return Unrebuildable("a result", "that cannot be read back")
    if data.startswith(b"once:"):
        flag = Path(data[5:data.index(b"\0")].decode())
        if not flag.exists():
            flag.write_text("broke the pool once")
            return Unrebuildable("a result", "that cannot be read back")
        if data.endswith(b"then sleep"):
            time.sleep(60)
    if data.startswith(b"nap"):
        time.sleep(0.1)
    return {"size": len(data)}


def spin_in_c(data: bytes, name: str, hints, http_charset):
    """A worker job for the tests: b"spin:PATH" writes the worker's pid to PATH, then computes in C for minutes,
    where no signal handler runs (pebble's SIGTERM waits 3 s, then SIGKILL); b"break" breaks the pool."""
    if data.startswith(b"spin:"):
        target = Path(data[5:].decode())  # whole or absent: the test polls for it and read it empty under load
        written = target.with_name(target.name + ".part")
        written.write_text(str(os.getpid()))
        written.replace(target)
        return sum(range(10**12))
    return troublesome(data, name, hints, http_charset)


def wait_then_answer(data: bytes, name: str, hints, http_charset) -> dict:
    """A worker job for the tests: waits float(data) seconds using no CPU (what a worker starved of the cores by
    other work looks like from its deadline's side: time passes, its CPU does not), then answers."""
    time.sleep(float(data))
    return {"waited": float(data)}


@dataclass(frozen=True)
class FirstPageThenSlowTesseract(ToolCache):
    """A tool cache for the OCR deadline test, handed to the workers with each job: it keeps nothing; it answers
    Tesseract's questions about a scan's first page at once (`tsv`, for its text and for each of its tables), and
    asks those about any later page of `slow`, a stand-in that never answers, so that OCR stops there at its budget,
    on Tesseract's own timeout, however loaded the machine. Tesseract's first question about a page is its whole
    text (--psm 3); the tables come after (--psm 6). Not a PATH given to the test: the fork server, and so every
    worker, keeps the PATH it started with."""

    slow: str = ""
    tsv: bytes = b""
    pages: list = field(default_factory=list)  # the pages asked about so far (one job's: unpickled with each)

    def output(self, who, args, data, run):
        if "--psm" in args and args[args.index("--psm") + 1] == "3":
            self.pages.append(len(self.pages))
        if len(self.pages) <= 1:
            return self.tsv
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{self.slow}{os.pathsep}{path}"  # what _run_tesseract runs "tesseract" from
        try:
            return run()
        finally:
            os.environ["PATH"] = path
