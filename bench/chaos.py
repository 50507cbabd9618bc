"""A hostile night: every demo-portal fault at once plus the pathological documents (demo.hostile), crawled by the
`govreports crawl` command in a session of its own, as a scheduler would run it.

Prints: reports loaded / expected (the ground truth minus what the faults make unreachable: a permanent 500, a
redirect loop, a robots-forbidden site and two anti-bot-gated sites), failures by kind, the exit code, wall time,
the peak RSS of the crawl process and of its parse workers (sampled from /proc), and processes left behind.
Asserts nothing.

    python bench/chaos.py                  # the demo portal's default size (~110 reports)
    python bench/chaos.py --scale 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from crawl_speed import start_portal  # noqa: E402


def session_rss(sid: int) -> dict[int, int]:
    """pid -> resident set size in bytes of every live process in session `sid`."""
    out = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = status.read_text()
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                out[int(status.parent.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=None, help="grow the demo portal to about N reports")
    args = parser.parse_args()
    options = ["--faults", "all", *(["--scale", str(args.scale)] if args.scale else [])]
    portal, base = start_portal(*options, wait=120 + (args.scale or 0) * 0.1)
    try:
        meta = json.loads(urllib.request.urlopen(base + "/_demo/meta.json", timeout=30).read())
        truth = json.loads(urllib.request.urlopen(base + "/_demo/ground-truth.json", timeout=30).read())
        lost = set(meta["faults"]["500-permanent"]) | set(meta["faults"]["redirect-loop"])
        gated = tuple(base + p for p in ("/gbk/", "/gd/", "/govcn/"))
        expected = [u for u in truth if u not in lost and not u.startswith(gated)]
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "chaos.toml"
            demo = (ROOT / "config" / "demo.toml").read_text(encoding="utf-8")
            config.write_text("[politeness]\nper_host_delay = 0\nper_host_concurrency = 8\nbackoff_base = 0.05\n"
                              "backoff_max = 0.5\nretry_after_max = 1.5\nread_timeout = 3\ntotal_timeout = 10\nblocked_delay = 0\n"
                              "[safety]\nallow_private_addresses = true\n\n[[portal]]"
                              + demo.split("[[portal]]", 1)[1], encoding="utf-8")
            db = Path(tmp) / "chaos.db"
            env = {**os.environ, "GOVREPORTS_DEMO_PORT": str(urlsplit(base).port)}
            start = time.monotonic()
            # its stderr to a file, read when it has ended: a pipe read only then would stop a crawl that writes more
            # than the pipe holds (64 KB of failures) until it is read, and this loop would wait on it for ever
            errors = Path(tmp) / "crawl.stderr"
            with errors.open("w", encoding="utf-8") as stderr:
                crawl = subprocess.Popen([sys.executable, "-m", "govreports", "crawl", "--config", str(config),
                                          "--db", str(db), "--archive", str(Path(tmp) / "archive"), "--no-progress"],
                                         env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True,
                                         start_new_session=True)
            peak_main = peak_worker = 0
            while crawl.poll() is None:
                for pid, rss in session_rss(crawl.pid).items():
                    if pid == crawl.pid:
                        peak_main = max(peak_main, rss)
                    else:
                        peak_worker = max(peak_worker, rss)
                time.sleep(0.1)
            seconds = time.monotonic() - start
            err = errors.read_text(encoding="utf-8", errors="replace")
            time.sleep(0.5)
            left = session_rss(crawl.pid)
            import sqlite3

            conn = sqlite3.connect(db)
            loaded = {u for (u,) in conn.execute("SELECT d.url FROM reports r JOIN documents d ON d.id = r.document_id")}
            items = {u for (u,) in conn.execute("SELECT url FROM items WHERE status IN ('loaded', 'duplicate')")}
            kinds = Counter(k for (k,) in conn.execute("SELECT kind FROM issues"))
            conn.close()
        got = sum(1 for u in expected if u in items or u in loaded)
        print(f"demo portal: {len(truth)} reports, faults: all (+ hostile documents)")
        print(f"reports loaded / expected: {got} / {len(expected)}")
        print("failures by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: str(kv[0]))))
        print(f"exit code {crawl.returncode}: {err.strip().splitlines()[-1] if err.strip() else '(no message)'}")
        print(f"wall time: {seconds:.1f} s")
        print(f"peak RSS: crawl process {peak_main / 2**20:.0f} MB, largest parse worker {peak_worker / 2**20:.0f} MB")
        print(f"processes left behind: {len(left)}")
    finally:
        portal.terminate()
        portal.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
