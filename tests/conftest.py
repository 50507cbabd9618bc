"""Shared fixtures: the real samples are read from ../shared at test time, never copied into the repo."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GOVREPORTS_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "samples"


def pytest_configure(config) -> None:
    """One tool cache (extract.toolcache) for every crawl, re-parse and demo portal of the session, in this process
    and in the CLIs and flows it starts: each scan is read by Tesseract, each .doc made and read by LibreOffice,
    once per session instead of once per crawl (about 5 s of every full demo crawl). The extractors' own tests
    call them without a cache and run the programs every time. And one folder for the session's migrated Prefect
    database (tests/prefecthelp.py)."""
    import tempfile

    if "GOVREPORTS_TOOL_CACHE" not in os.environ:
        config._govreports_tool_cache = tempfile.mkdtemp(prefix="govreports-toolcache-")
        os.environ["GOVREPORTS_TOOL_CACHE"] = config._govreports_tool_cache
    from prefecthelp import session_folder

    config._govreports_prefect_db = session_folder()  # (None in an xdist worker: its controller's is used)
    _ctrl_c_as_in_a_terminal()


def _ctrl_c_as_in_a_terminal() -> None:
    """Ctrl-C as a process run from a terminal has it (KeyboardInterrupt), in this process and in each xdist worker:
    a test run started as a background job of a shell without job control (`make test &` in a script, a CI step
    that backgrounds it) inherits SIGINT ignored, and Python keeps an ignored SIGINT ignored. The tests of Ctrl-C
    (a query interrupted, asyncio's runner unwinding) then failed for how the suite was started, not for the code."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_unconfigure(config) -> None:
    import shutil

    folder = getattr(config, "_govreports_tool_cache", None)
    if folder:
        os.environ.pop("GOVREPORTS_TOOL_CACHE", None)
        shutil.rmtree(folder, ignore_errors=True)
    folder = getattr(config, "_govreports_prefect_db", None)
    if folder:
        os.environ.pop("GOVREPORTS_TEST_PREFECT_DB", None)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def prefect_home(tmp_path):
    """tmp_path/prefect, the Prefect home of a command run on a database in tmp_path, its database migrated
    (tests/prefecthelp.py)."""
    from prefecthelp import migrated_home

    return migrated_home(tmp_path / "prefect")


def require_samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"the shared samples are missing: expected them at {SAMPLES} (set GOVREPORTS_SHARED)")
    return SAMPLES


def expected_records() -> list[tuple[Path, Path]]:
    """(source file, expected record) for every record in samples/expected, matched by file stem."""
    if not SAMPLES.is_dir():
        return []
    sources = {p.stem: p for d in ("seed", "html", "texts") for p in (SAMPLES / d).glob("*") if p.is_file()}
    return [(sources[p.stem], p) for p in sorted((SAMPLES / "expected").glob("*.json"))]


def load_expected(path: Path) -> dict:
    return {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def sample_text(path: Path) -> tuple[dict[str, str], str, dict]:
    """A samples/texts file: (header fields, report body, crawler-style hints from the header's listed title)."""
    raw = path.read_text(encoding="utf-8")
    head, body = raw.split("\n---\n", 1)
    header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    hints = {}
    if m := re.search(r"Listed title: '([^']+)'", header.get("completeness", "")):
        hints["title"] = m.group(1)
    return header, body, hints


@contextlib.asynccontextmanager
async def loop_ticks(every: float):
    """The times at which the event loop ran a task that wakes every `every` seconds, while the block runs: work
    that holds the loop shows as a gap between two of them."""
    ticks: list[float] = []

    async def tick():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(every)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)
    try:
        yield ticks
    finally:
        ticker.cancel()


def loop_stalled(ticks: list[float], every: float) -> float:
    """The seconds the event loop could not run while `loop_ticks(every)` counted (a loaded machine's scheduler,
    another thread holding the GIL): what each gap between two ticks took beyond two of them, summed. An idle
    loop gives 0; a bound on wall time that adds it is as strict there, and holds on a loaded machine."""
    return sum(max(b - a - 2 * every, 0.0) for a, b in zip(ticks, ticks[1:]))


@pytest.fixture
def sends(monkeypatch):
    """(host:port, path, time.monotonic()) of each request as this process's Fetchers hand it to httpx, for the gaps
    between a host's requests: measured where the pacing is done (as test_crawl_demo's test_per_host_delay_holds
    does). Stamped by the local server's handler thread instead (its threads share this process's GIL and the
    loaded machine's cores), a request handled late made the next gap look short: 0.2798 s against 0.28 for a delay
    of 0.3, on a loaded machine. A loop running late sends late, never early, so these gaps hold whatever the load
    (a delay d is checked as d less 1 ms, for the rounding of the clock's floats)."""
    import httpx

    log: list[tuple[str, str, float]] = []
    real_send = httpx.AsyncClient.send

    async def send(self, request, **kwargs):
        log.append((request.url.netloc.decode("ascii"), request.url.path, time.monotonic()))
        return await real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    return log


@pytest.fixture
def srv():
    """A local scripted HTTP server (tests/httpserver.py) for one test, shut down after it."""
    from httpserver import LocalServer

    with LocalServer() as server:
        yield server


@pytest.fixture(scope="session")
def demo_portal():
    """One unchanged demo portal (seed 0, no faults) for the whole session, for tests that only read it: they may
    clear and read its request log, never edit its reports or switch faults on (those start their own)."""
    from govreports.demo import DemoPortal

    portal = DemoPortal(seed=0).start(port=0)
    yield portal
    portal.stop()
