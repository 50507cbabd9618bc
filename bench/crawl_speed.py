"""End-to-end crawl speed: crawl + parse + load the demo portal's reports, politeness delays off, 16 connections.

The demo portal runs in its own process (as a real server would), so its work does not share this process's
GIL, and renders its PDF/DOCX attachments before the clock starts (a real portal serves files from disk; rendering
a DOCX costs more CPU than parsing it, on the same two cores). Prints reports/s end to end, requests/s, and the
crawler's peak RSS; with --reports 10000 it is the memory figure the issue asks for. Goals (issue "Crawl real
portal patterns"): ≥ 100 reports/s on this 2-core machine, peak RSS ≤ 300 MB at 10,000 reports. Prints figures;
asserts nothing.

    python bench/crawl_speed.py                 # 2,000 reports
    python bench/crawl_speed.py --reports 10000
    python bench/crawl_speed.py --attachments 0      # every report an HTML page
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--attachments", type=float, default=0.2,
                        help="share of reports only in PDF/DOCX attachments (the demo default is 0.2)")
    args = parser.parse_args()

    from govreports.crawl import run_crawl
    from govreports.portals.config import load_config
    from govreports.store.db import open_db

    proc, base = start_portal("--scale", str(args.reports), "--attachments", str(args.attachments), "--prerender",
                              wait=120 + args.reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_URL"] = base
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
