"""Re-parse speed: `reparse` (runs.reparse) over a crawl of the demo portal, with one parse worker and with one a
core (the default), alternating, each on a fresh copy of the crawl's database.

A re-parse after a parser change reads every archived document again (no network) and loads what changed: at
national scale, hundreds of thousands of documents. Its workers parse the next documents while this process reads
the archive and loads the records before (BoundedParser.parse_many). The crawl is made once (not timed), in a
temporary folder. Each round re-parses it as it is (every record unchanged) and as after a parser change that
touches every report (the stored versions' hashes altered first, so that each record is written as a new
version). Prints documents/s and this process's CPU a document (reading the archive, the adapters' report_body,
loading) for each; asserts nothing.

    python bench/reparse_speed.py                       # 2,000 reports, default mix
    python bench/reparse_speed.py --reports 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from urllib.parse import urlsplit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from crawl_speed import start_portal  # noqa: E402


def crawl_once(reports: int, attachments: float, folder: Path):
    """The demo portal crawled into `folder` (reports.db, archive/, toolcache/); returns the config."""
    from govreports.crawl import run_crawl
    from govreports.portals.config import load_config
    from govreports.store.db import open_db

    proc, base = start_portal("--scale", str(reports), "--attachments", str(attachments), "--prerender",
                              wait=120 + reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_PORT"] = str(urlsplit(base).port)
        config = load_config(ROOT / "config" / "demo.toml")
        start = time.perf_counter()
        summary = run_crawl(config, open_db(folder / "reports.db"), folder / "archive", per_host_delay=0.0,
                            delay_jitter=0.0, per_host_concurrency=16, max_connections=16, adaptive=False)
        print(f"crawled {summary.total('new')} reports ({summary.total('failed')} failed) in "
              f"{time.perf_counter() - start:.1f} s (not part of the figures)")
        return config
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def reparse_once(folder: Path, config, workers: int | None, changed: bool) -> tuple[int, float, float, dict]:
    from govreports.extract.toolcache import tool_cache_for
    from govreports.parse.bounded import BoundedParser
    from govreports.runs.reparse import reparse
    from govreports.store.db import open_db

    work = folder / "work.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    source, db = open_db(folder / "reports.db"), open_db(work)
    source.conn.backup(db.conn)
    if changed:  # no stored version has the hash the parser's record will have: each is written as a new version
        with db.conn:
            db.execute("UPDATE report_versions SET sha256 = 'changed-' || id")
    limits = config.limits
    with BoundedParser(workers, deadline=limits.parse_deadline, memory_mb=limits.parse_memory_mb,
                       tools=tool_cache_for(folder / "archive")) as parser:
        start, cpu = time.perf_counter(), time.process_time()
        summary = reparse(db, folder / "archive", config, parser)
        row = summary.row()
        # documents read from the archive and parsed: summary.documents also counts those skipped (a portal the
        # config lacks) and missing from the archive, which cost nothing, and a rate over them would say so
        read = summary.documents - row["skipped"] - row["missing"]
        return max(read, 1), time.perf_counter() - start, time.process_time() - cpu, row


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--attachments", type=float, default=0.2,
                        help="share of reports only in PDF/DOCX attachments (the demo default is 0.2)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from govreports import gcpolicy

    gcpolicy.for_document_batches()  # as the `govreports` command runs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = crawl_once(args.reports, args.attachments, folder)
        cores = os.cpu_count() or 1
        for round_ in range(1, args.rounds + 1):
            for changed in (False, True):
                for workers, label in ((1, "one parse worker"), (None, f"one a core ({cores}), the default")):
                    documents, wall, cpu, row = reparse_once(folder, config, workers, changed)
                    print(f"round {round_}  {'every record changed' if changed else 'nothing changed':20s}  "
                          f"{label:28s} {documents / wall:7.1f} documents/s  {wall:6.1f} s  "
                          f"this process {1000 * cpu / documents:.2f} ms a document   "
                          f"(changed {row['changed']}, unchanged {row['unchanged']}, failed {row['failed']}; "
                          f"not read: missing {row['missing']}, skipped {row['skipped']})")
        shutil.rmtree(folder / "archive", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
