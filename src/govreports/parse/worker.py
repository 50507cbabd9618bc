"""What runs inside a parse worker: the job wrapper (run_job), the default job (parse_job) and the worker's start
(start_worker). Kept apart from the pool (parse.bounded) because a worker imports the module of what it runs,
and needs nothing of the pool's."""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable

from govreports import gcpolicy
from govreports.extract.toolcache import ToolCache
from govreports.parse.api import parse_bytes
from govreports.parse.spool import Spooled

OUT_OF_MEMORY_EXIT = 86  # a worker's exit code after a MemoryError (it leaves rather than go on fragmented)

# what the fork server imports once for every worker: the parser and the HTML extractor (lxml), the hot path, and
# this module (a job is a function of it, so each worker imported it on start). The PDF and DOCX
# extractors (pdfplumber, python-docx, PDFium: 0.25 s) load in a worker on its first PDF or DOCX, inside that
# document's deadline, so `govreports parse page.html` does not pay for them.
PRELOAD = ("govreports.parse.api", "govreports.extract.html", "govreports.parse.worker")
Job = Callable[[bytes, str, "dict | None", "str | None"], dict]


def parse_job(data: bytes, name: str, hints: dict | None, http_charset: str | None,
              tools: ToolCache | None = None, ocr_budget: float | None = None) -> dict:
    """What a worker runs for one document (the default job; the parser binds `tools` and `ocr_budget`, OCR's
    share of its deadline)."""
    return parse_bytes(data, name, hints=hints, http_charset=http_charset, tools=tools, ocr_budget=ocr_budget)


def run_job(job: Job, data: bytes | Spooled, name: str, hints: dict | None, http_charset: str | None,
            cpu_deadline: float | None = None) -> dict:
    """The task a worker is given: the job, except that out of memory the worker exits (its heap may be left
    fragmented and near the cap) with OUT_OF_MEMORY_EXIT, and the pool replaces it. A large document comes as the
    file it waits in (parse.spool), read here: within the deadline, and out of memory reading it is out of memory.

    `cpu_deadline`: the seconds of CPU time the job may take (ITIMER_PROF counts this process's user and system
    time). Past them the kernel sends SIGPROF, whose default action ends the process: in C code too, where no Python
    handler would run, and with no exception unwinding through a library's locks. The pool reads the signal in the
    worker's exit and names the document too_slow.

    Out of memory inside a C library rarely surfaces as MemoryError: libxml2 reports "unknown error", which the
    extractor turns into "unreadable html". So any failure during which the worker's address space grew to within
    10% of its cap counts as out of memory (measured: a 9 MB page under a 200 MB cap fails at a 199 MB peak)."""
    before = _peak_address_space()
    if cpu_deadline:
        signal.setitimer(signal.ITIMER_PROF, cpu_deadline)
    try:
        if isinstance(data, Spooled):
            data = data.read()
        return job(data, name, hints, http_charset)
    except MemoryError:
        os._exit(OUT_OF_MEMORY_EXIT)
    except Exception as exc:
        if _reached_cap(before):
            os._exit(OUT_OF_MEMORY_EXIT)
        if not _survives_pickling(exc):
            # the caller could not read it back, and pebble then breaks the whole pool ("Unpicklable object from
            # worker"), failing every document in flight: send its type and message instead
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise
    finally:
        if cpu_deadline:
            signal.setitimer(signal.ITIMER_PROF, 0)


def _survives_pickling(exc: BaseException) -> bool:
    """Whether the exception can be sent to the caller: some libraries' exceptions pickle but cannot be rebuilt
    (an __init__ with more required arguments than `args` holds)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - whatever stops the round trip
        return False
    return True


def _peak_address_space() -> int | None:
    """This process's peak address space in bytes (VmPeak), or None where /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reached_cap(before: int | None) -> bool:
    import resource

    cap = resource.getrlimit(resource.RLIMIT_AS)[0]
    after = _peak_address_space()
    if cap == resource.RLIM_INFINITY or before is None or after is None:
        return False
    return after > before and after >= 0.9 * cap


def start_worker(memory_mb: int | None, nice: int = 0) -> None:
    """Worker initializer: cap the address space; lower the CPU priority by `nice`; import the parser if the fork
    server did not preload it (a server some other code started first keeps its own preload list); then the
    collector's settings for a worker that parses document after document (gcpolicy: 0.17 ms of a 100 KB page's
    3.2 ms went to collections)."""
    if memory_mb:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    if nice:
        try:
            os.nice(nice)  # the OCR and LibreOffice it starts inherit it
        except OSError:  # refused (a sandbox): the worker runs at the priority it has
            pass
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # run_job's CPU deadline ends the worker (a profiler may catch it)
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    gcpolicy.for_document_batches()
