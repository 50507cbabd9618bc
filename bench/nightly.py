"""A no-change nightly run over a 2,000-report demo portal: wall time including Prefect, and requests by kind.

First a nightly run loads the portal (not timed); then the timed one, which should find everything unchanged and
send only list-page requests and conditional GETs (no full downloads). Politeness delays are off (the portal is
local). Two timings of the no-change run: inside a process whose Prefect is already up (a served deployment),
and as a cold `govreports nightly` command (Python start, imports, ephemeral Prefect server).
Goal (issue "Prefect flows…"): only list pages and conditional requests, ≤ 15 s wall. Prints figures only.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from crawl_speed import start_portal  # noqa: E402

def requests_by_kind(base: str) -> Counter:
    log = json.loads(urllib.request.urlopen(base + "/_demo/requests.json").read())
    kinds: Counter = Counter()
    for r in log:
        if r["path"] == "/robots.txt":
            kinds["robots.txt"] += 1
        elif r.get("conditional"):
            kinds[f"conditional GET → {r['status']}"] += 1
        elif r["status"] == 200 and ("index" in r["path"] or "home" in r["path"] or "/api/" in r["path"]
                                     or "dataproxy" in r["path"] or r["path"].endswith("/gkmlpt/index")):
            kinds["list page"] += 1
        else:
            kinds[f"full download ({r['status']})"] += 1
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4,
                        help="per portal (config/demo.toml's per_host_concurrency); more only adds httpcore pool "
                             "bookkeeping against a local server that answers in milliseconds")
    args = parser.parse_args()
    proc, base = start_portal("--scale", str(args.reports), "--prerender", wait=120 + args.reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_URL"] = base
        with tempfile.TemporaryDirectory() as tmp:
            from govreports.runs.prefect_env import configure

            configure(Path(tmp) / "prefect")
            os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
            from govreports.flows.nightly import nightly

            config = Path(tmp) / "demo-nodelay.toml"  # the demo config with politeness delays off
            text = (ROOT / "config" / "demo.toml").read_text(encoding="utf-8")
            head, rest = text.split("[[portal]]", 1)
            n = args.connections
            config.write_text(f"[politeness]\nper_host_delay = 0.0\ndelay_jitter = 0.0\nper_host_concurrency = {n}\n"
                              f"max_connections = {n}\nadaptive = false\n\n[safety]\nallow_private_addresses = true\n\n"
                              "[[portal]]" + rest, encoding="utf-8")
            print(f"demo portal: {args.reports} reports; politeness delays off, {n} connections per portal")
            paths = {"config": str(config), "db": str(Path(tmp) / "n.db"), "archive": str(Path(tmp) / "archive")}
            t0 = time.perf_counter()
            first = nightly(**paths)
            print(f"first nightly (loads the portal): {sum(r['new'] for r in first)} new reports "
                  f"in {time.perf_counter() - t0:.1f} s")
            before = requests_by_kind(base)
            t0 = time.perf_counter()
            rows = nightly(**paths)
            warm = time.perf_counter() - t0
            kinds = requests_by_kind(base) - before
            found = sum(r["found"] for r in rows)
            print(f"no-change nightly, Prefect already up: {warm:.1f} s wall; {found} reports found, "
                  f"{sum(r['unchanged'] for r in rows)} unchanged, {sum(r['new'] + r['changed'] for r in rows)} "
                  f"new or changed")
            print("  requests: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
            env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PREFECT_HOME": str(Path(tmp) / "cold")}
            command = [sys.executable, "-m", "govreports", "nightly", "--config", paths["config"], "--db",
                       paths["db"], "--archive", paths["archive"]]
            for label in ("first night: a new Prefect home is created and migrated",
                          "any later night: the Prefect home exists"):
                before = requests_by_kind(base)
                t0 = time.perf_counter()
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=ROOT)
                cold = time.perf_counter() - t0
                kinds = requests_by_kind(base) - before
                print(f"no-change nightly as a cold `govreports nightly` process ({label}): {cold:.1f} s wall")
                print("  requests: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
