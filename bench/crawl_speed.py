"""Crawl speed: crawl + parse + load the demo portal's reports, politeness delays off, 16 connections; then the
fetch-only rate of the project's Fetcher and of Scrapy on the same URL list (every report page and attachment).

The demo portal runs in its own process (as a real server would), so its work does not share this process's
GIL, and renders its PDF/DOCX attachments before the clock starts (a real portal serves files from disk; rendering
a DOCX costs more CPU than parsing it, on the same two cores). Prints reports/s end to end, requests/s, and the
crawler's peak RSS; with --reports 10000 it is the memory figure the issue asks for. First it prints what creating
a file costs where its archive goes: on ext4 without a journal a previous run's deleted archive makes it costly for
minutes, and this run's crawler then pays it per archived page (``file_creation_ms``). Goals (issue "Crawl real
portal patterns"): ≥ 100 reports/s on this 2-core machine, peak RSS ≤ 300 MB at 10,000 reports. Prints figures;
asserts nothing.

Fetch-only (issue 12: ≥ 0.6 of Scrapy's requests/s): the same URLs, the same number of connections, no delay,
fetched by ``Fetcher`` (robots.txt, address guard, per-host slots, retries, archive writes and their sync:
everything the crawl does per URL except parsing and loading) and by Scrapy (``bench/scrapy_fetch.py``, in its
own process; only when the optional ``bench`` extra is installed). Best of ``--rounds`` for each, alternating: the
machine is shared.

    python bench/crawl_speed.py                 # 2,000 reports
    python bench/crawl_speed.py --reports 10000
    python bench/crawl_speed.py --attachments 0      # every report an HTML page
    python bench/crawl_speed.py --fetch-only --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_portal(*options: str, wait: float = 120) -> tuple[subprocess.Popen, str]:
    """`govreports demo-portal OPTIONS…` on a free port, in its own process; returns it and its base URL once it
    answers (with --prerender the port opens only once every attachment and page is rendered: give `wait` for that)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "govreports", "demo-portal", "--port", str(port), *options],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/_demo/meta.json", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the demo portal did not start")


class CpuAccount:
    """CPU seconds of every process a crawl runs, by role, sampled from a thread (psutil, the `bench` extra):
    this process (fetching, list pages, writing), the parse workers, the converters they start (tesseract OCR,
    LibreOffice for .doc), and the demo portal serving it all on the same cores. A process that ends between two
    samples loses at most one interval (0.1 s), so converters are slightly under-counted. The sampling thread's own
    CPU (psutil reads every process's /proc entry to find the children: 0.14 ms a report at 2,000 reports) is
    measured on its own and left out of the crawler's figure."""

    def __init__(self, portal_pid: int):
        import psutil

        self._psutil, self._portal = psutil, psutil.Process(portal_pid)
        self._me = psutil.Process()
        self._seen: dict[int, tuple[str, float]] = {}
        self._stop = False
        self._base = self._cpu(self._me), self._portal_cpu()

    @staticmethod
    def _cpu(p) -> float:
        t = p.cpu_times()
        return t.user + t.system

    def _portal_cpu(self) -> float:
        return self._cpu(self._portal) + sum(self._cpu(c) for c in self._portal.children(recursive=True))

    def _role(self, p) -> str:
        cmd = " ".join(p.cmdline())
        if "tesseract" in cmd:
            return "OCR (tesseract)"
        if "soffice" in cmd or "libreoffice" in cmd or "oosplash" in cmd:
            return "LibreOffice (.doc)"
        return "parse workers"

    def _sample(self) -> None:
        start = time.thread_time()
        while not self._stop:
            for child in self._me.children(recursive=True):
                if child.pid == self._portal.pid:
                    continue
                try:
                    self._seen[child.pid] = (self._seen.get(child.pid, (None,))[0] or self._role(child),
                                             self._cpu(child))
                except self._psutil.Error:
                    pass
            time.sleep(0.1)
        self.sampling = time.thread_time() - start

    def __enter__(self) -> CpuAccount:
        import threading

        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop = True
        self._thread.join()
        self.roles = {"crawler (this process)": self._cpu(self._me) - self._base[0] - self.sampling}
        for role, cpu in self._seen.values():
            self.roles[role] = self.roles.get(role, 0.0) + cpu
        self.roles["demo portal (server)"] = self._portal_cpu() - self._base[1]

    def report(self, reports: int, elapsed: float) -> None:
        total = sum(self.roles.values())
        cores = os.cpu_count() or 1
        print(f"CPU per report, by process ({cores} cores, {total / elapsed:.2f} of them busy on average):")
        for role, cpu in sorted(self.roles.items(), key=lambda kv: -kv[1]):
            print(f"  {role:26} {1000 * cpu / reports:6.2f} ms")
        print(f"  (this bench's sampling thread, left out: {1000 * self.sampling / reports:.2f} ms)")
        print(f"  {'total':26} {1000 * total / reports:6.2f} ms  -> at most {reports * cores / total:.0f} reports/s "
              f"on {cores} cores if every process kept every core busy")
        fixed = sum(cpu for role, cpu in self.roles.items() if role.startswith(("OCR", "LibreOffice")))
        if fixed:  # the demo's one scan and two .doc files are there at any scale and attachment share
            rest = total - fixed
            print(f"  {'without OCR and LibreOffice':26} {1000 * rest / reports:6.2f} ms  -> at most "
                  f"{reports * cores / rest:.0f} reports/s: the rate as the portal's fixed .doc and scanned reports "
                  f"weigh less, at a larger scale")
        crawler = self.roles["crawler (this process)"]
        print(f"  the crawling process alone (one core: its threads share the GIL) allows at most "
              f"{reports / crawler:.0f} reports/s, whatever the cores")


def document_urls(base: str, reports: int, attachments: float, seed: int = 0) -> list[str]:
    """Every report page and attachment the demo portal serves at this scale (the crawl's document fetches)."""
    from govreports.demo.portal import DemoPortal

    portal = DemoPortal(seed=seed, scale=reports, attachments=attachments)
    portal.port = urlsplit(base).port
    urls = []
    for r in portal.reports:
        urls.append(r.url)
        if r.attachment_url:
            urls.append(r.attachment_url)
    return urls


async def fetch_all(urls: list[str], connections: int, archive_dir: Path) -> tuple[int, float, float]:
    """The project's Fetcher on `urls` with `connections` workers; (successful fetches, seconds, CPU seconds of
    this process: the client's own cost, apart from the server's on the same cores)."""
    from govreports.fetch import Archive, Fetcher, FetchPolicy

    hosts = frozenset(urlsplit(u).netloc for u in urls)  # the demo's sites, each a host of its own
    policy = FetchPolicy(allowed_hosts=hosts, allow_private_addresses=True, per_host_delay=0.0, delay_jitter=0.0,
                         per_host_concurrency=connections, max_connections=connections, adaptive=False)
    queue = list(reversed(urls))
    ok = 0

    async def worker(fetcher) -> None:
        nonlocal ok
        while queue:
            res = await fetcher.fetch(queue.pop(), conditional=False, expect="binary")
            ok += res.ok

    async with Fetcher(policy, Archive(archive_dir, batched=True)) as fetcher:  # the crawl's archive
        t0, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(fetcher) for _ in range(connections)))
        fetcher.archive.sync()  # the crawl syncs before each database write; here once, inside the clock
        return ok, time.perf_counter() - t0, time.process_time() - cpu0


def file_creation_ms(directory: Path, files: int = 200) -> float:
    """CPU a new empty file costs in `directory`, where the archive will be written: on some filesystems it moves
    the crawl's figures from one run to the next.

    This VM's root filesystem is ext4 without a journal. When it creates a file it passes over every inode freed
    in the last minute or so (the kernel's recently_deleted()), checking each. So once a bench run's temporary
    archive of 10,000 files is deleted, a new file costs ~0.85 ms of kernel CPU instead of 0.014 ms for the next
    minutes, and a run started then pays that once per archived page, in the crawling process. The probe's files
    are left for the caller's temporary directory to remove (deleting them here would slow the run it measures)."""
    probe = directory / "file-creation-probe"
    probe.mkdir()
    start = time.process_time()
    for i in range(files):
        os.close(os.open(probe / str(i), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    return (time.process_time() - start) / files * 1000


def print_file_creation(directory: Path) -> None:
    ms = file_creation_ms(directory)
    note = ("; slow: files were deleted here in the last minutes (a previous run's archive?), and this run pays it "
            "for every file it archives; wait a few minutes, or set TMPDIR elsewhere (a tmpfs such as /dev/shm "
            "has no such cost)" if ms > 0.1 else "")
    print(f"creating a file where the archive goes ({directory.parent}): {ms:.3f} ms of CPU{note}")


def fetch_only(base: str, args, tmp: Path) -> None:
    urls = document_urls(base, args.reports, args.attachments)
    has_scrapy = importlib.util.find_spec("scrapy") is not None
    (tmp / "urls.txt").write_text("\n".join(urls), encoding="utf-8")
    ours, theirs, cpu = [], [], []
    for n in range(args.rounds):
        ok, seconds, cpu_seconds = asyncio.run(fetch_all(urls, args.connections, tmp / f"fetch-archive-{n}"))
        ours.append(ok / seconds)
        cpu.append(cpu_seconds / max(ok, 1) * 1000)
        if has_scrapy:
            out = subprocess.run([sys.executable, str(ROOT / "bench" / "scrapy_fetch.py"), str(tmp / "urls.txt"),
                                  "--connections", str(args.connections)], capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            theirs.append(got["responses"] / got["seconds"])
    print(f"fetch only, {len(urls)} document URLs, {args.connections} connections, best of {args.rounds}:")
    print(f"  govreports Fetcher: {max(ours):.0f} requests/s   (rounds: {', '.join(f'{r:.0f}' for r in ours)})")
    print(f"    its own CPU: {min(cpu):.2f} ms a request   (rounds: {', '.join(f'{c:.2f}' for c in cpu)})")
    if has_scrapy:
        print(f"  Scrapy:             {max(theirs):.0f} requests/s   (rounds: {', '.join(f'{r:.0f}' for r in theirs)})")
        print(f"  ratio: {max(ours) / max(theirs):.2f} of Scrapy's rate")
    else:
        print("  Scrapy: not installed (pip install -e '.[bench]' for the side-by-side figure)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--attachments", type=float, default=0.2,
                        help="share of reports only in PDF/DOCX attachments (the demo default is 0.2)")
    parser.add_argument("--fetch-only", action="store_true", help="skip the end-to-end crawl")
    parser.add_argument("--rounds", type=int, default=3, help="fetch-only rounds (best of)")
    args = parser.parse_args()

    from govreports import gcpolicy
    from govreports.crawl import run_crawl
    from govreports.portals.config import load_config
    from govreports.store.db import open_db

    gcpolicy.for_document_batches()  # as the `govreports` command runs its crawls (its parse workers do too)

    proc, base = start_portal("--scale", str(args.reports), "--attachments", str(args.attachments), "--prerender",
                              wait=120 + args.reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_PORT"] = str(urlsplit(base).port)
        if args.fetch_only:
            with tempfile.TemporaryDirectory() as tmp:
                print_file_creation(Path(tmp))
                fetch_only(base, args, Path(tmp))
            return 0
        config = load_config(ROOT / "config" / "demo.toml")
        with tempfile.TemporaryDirectory() as tmp:
            print_file_creation(Path(tmp))
            db = open_db(Path(tmp) / "bench.db")
            account = CpuAccount(proc.pid) if importlib.util.find_spec("psutil") else contextlib.nullcontext()
            start = time.perf_counter()
            with account:
                summary = run_crawl(config, db, Path(tmp) / "archive", per_host_delay=0.0, delay_jitter=0.0,
                                    per_host_concurrency=args.connections, max_connections=args.connections,
                                    adaptive=False)
            elapsed = time.perf_counter() - start
            requests = sum(h.get("requests", 0) for h in summary.requests.values())
            loaded = summary.total("new") + summary.total("duplicate")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"demo portal: scale {args.reports}, attachments share {args.attachments}: "
                  f"{summary.total('found')} reports found on the lists")
            print(f"loaded {loaded} reports ({summary.total('failed')} failed) in {elapsed:.1f} s")
            print(f"end to end: {loaded / elapsed:.1f} reports/s   requests: {requests} ({requests / elapsed:.1f}/s)")
            print(f"crawler peak RSS: {rss:.0f} MB")
            if isinstance(account, CpuAccount):
                account.report(loaded, elapsed)
            else:
                print("CPU by process: psutil not installed (pip install -e '.[bench]')")
            fetch_only(base, args, Path(tmp))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
