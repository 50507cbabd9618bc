"""Crawl speed: crawl + parse + load the demo portal's reports, politeness delays off, 16 connections; then the
fetch-only rate of the project's Fetcher and of Scrapy on the same URL list (every report page and attachment).

The demo portal runs in its own process (as a real server would), so its work does not share this process's
GIL, and renders its PDF/DOCX attachments before the clock starts (a real portal serves files from disk; rendering
a DOCX costs more CPU than parsing it, on the same two cores). Prints reports/s end to end, requests/s, and the
crawler's peak RSS; with --reports 10000 it is the memory figure the issue asks for. Goals (issue "Crawl real
portal patterns"): ≥ 100 reports/s on this 2-core machine, peak RSS ≤ 300 MB at 10,000 reports. Prints figures;
asserts nothing.

Fetch-only (issue 12: ≥ 0.6 of Scrapy's requests/s): the same URLs, the same number of connections, no delay,
fetched by ``Fetcher`` (robots.txt, address guard, per-host slots, retries, archive writes: everything the crawl
does per URL except parsing and loading) and by Scrapy (``bench/scrapy_fetch.py``, in its own process; only when
the optional ``bench`` extra is installed). Best of ``--rounds`` for each, alternating: the machine is shared.

    python bench/crawl_speed.py                 # 2,000 reports
    python bench/crawl_speed.py --reports 10000
    python bench/crawl_speed.py --attachments 0      # every report an HTML page
    python bench/crawl_speed.py --fetch-only --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_portal(*options: str, wait: float = 120) -> tuple[subprocess.Popen, str]:
    """`govreports demo-portal OPTIONS…` on a free port, in its own process; returns it and its base URL once it
    answers (with --prerender the port opens only once every attachment is rendered: give `wait` for that)."""
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


def document_urls(base: str, reports: int, attachments: float, seed: int = 0) -> list[str]:
    """Every report page and attachment the demo portal serves at this scale (the crawl's document fetches)."""
    from govreports.demo.portal import DemoPortal

    portal = DemoPortal(seed=seed, scale=reports, attachments=attachments)
    portal.base_url = base
    urls = []
    for r in portal.reports:
        urls.append(r.url)
        if r.attachment_url:
            urls.append(r.attachment_url)
    return urls


async def fetch_all(urls: list[str], connections: int, archive_dir: Path) -> tuple[int, float]:
    """The project's Fetcher on `urls` with `connections` workers; (successful fetches, seconds)."""
    from govreports.fetch import Archive, Fetcher, FetchPolicy
    from urllib.parse import urlsplit

    hosts = frozenset(urlsplit(u).netloc for u in urls[:1])
    policy = FetchPolicy(allowed_hosts=hosts, allow_private_addresses=True, per_host_delay=0.0, delay_jitter=0.0,
                         per_host_concurrency=connections, max_connections=connections, adaptive=False)
    queue = list(reversed(urls))
    ok = 0

    async def worker(fetcher) -> None:
        nonlocal ok
        while queue:
            res = await fetcher.fetch(queue.pop(), conditional=False, expect="binary")
            ok += res.ok

    async with Fetcher(policy, Archive(archive_dir)) as fetcher:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(fetcher) for _ in range(connections)))
        return ok, time.perf_counter() - t0


def fetch_only(base: str, args, tmp: Path) -> None:
    urls = document_urls(base, args.reports, args.attachments)
    has_scrapy = importlib.util.find_spec("scrapy") is not None
    (tmp / "urls.txt").write_text("\n".join(urls), encoding="utf-8")
    ours, theirs = [], []
    for n in range(args.rounds):
        ok, seconds = asyncio.run(fetch_all(urls, args.connections, tmp / f"fetch-archive-{n}"))
        ours.append(ok / seconds)
        if has_scrapy:
            out = subprocess.run([sys.executable, str(ROOT / "bench" / "scrapy_fetch.py"), str(tmp / "urls.txt"),
                                  "--connections", str(args.connections)], capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            theirs.append(got["responses"] / got["seconds"])
    print(f"fetch only, {len(urls)} document URLs, {args.connections} connections, best of {args.rounds}:")
    print(f"  govreports Fetcher: {max(ours):.0f} requests/s   (rounds: {', '.join(f'{r:.0f}' for r in ours)})")
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

    from govreports.crawl import run_crawl
    from govreports.portals.config import load_config
    from govreports.store.db import open_db

    proc, base = start_portal("--scale", str(args.reports), "--attachments", str(args.attachments), "--prerender",
                              wait=120 + args.reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_URL"] = base
        if args.fetch_only:
            with tempfile.TemporaryDirectory() as tmp:
                fetch_only(base, args, Path(tmp))
            return 0
        config = load_config(ROOT / "config" / "demo.toml")
        with tempfile.TemporaryDirectory() as tmp:
            db = open_db(Path(tmp) / "bench.db")
            start = time.perf_counter()
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
            fetch_only(base, args, Path(tmp))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
