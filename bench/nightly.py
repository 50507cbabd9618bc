"""A no-change nightly run over a 2,000-report demo portal: wall time including Prefect, and requests by kind.

First a nightly run loads the portal (not timed); then the timed one, which should find everything unchanged and
send only list-page requests and conditional GETs (no full downloads). Politeness delays are off (the portal is
local). Two timings of the no-change run: inside a process whose Prefect is already up (a served deployment),
and as a cold `govreports nightly` command (Python start, imports, ephemeral Prefect server).
Goal (issue "Prefect flows…"): only list pages and conditional requests, ≤ 15 s wall; issue 12: cold ≤ 10 s.

Where a cold run's time goes (issue 12, part 5), printed after it: the import costs of the CLI, Prefect, the
flow and Prefect's server module, each in a fresh interpreter (best of 3), and the phases of the cold run read
from Prefect's log: start-up until the ephemeral server is launched (interpreter, CLI imports, config check,
writer lock, Prefect and its server module imported), until the flow run begins (server boot, overlapped with
importing the flow), the portal tasks (first to last), and the end (summary, artifacts, server stop). The crawl
itself starts at CLI entry in a worker process (govreports.flows.early) and runs through the first two phases,
in parallel with Prefect's imports and server boot; the tasks only wait for what is left of it and take its
summaries. The figures are wall times on a shared machine: noisy, compare within one run. Prints figures only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import sqlite3
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
sys.path.insert(0, str(ROOT))

from crawl_speed import start_portal  # noqa: E402

def _versions(db: str) -> int:
    """Report versions in the database: a cold run that adds any was not the no-change night it is timed as."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM report_versions").fetchone()[0]


def _list_request(r: dict) -> bool:
    """A list page or list API call (every site's kind: TRS index_N, gov.cn home_N, gkmlpt's and Hanweb's APIs, the
    custom site's list, the chinatax-like POST API): a POST is always one. The rest are documents, which a no-change
    night asks conditionally: a "full download" there is a document read whole again."""
    path = r["path"]
    return r.get("method") == "POST" or any(k in path for k in ("index", "home", "/api/", "dataproxy", "/list",
                                                                 "getFileListByCodeId"))


def requests_by_kind(base: str) -> Counter:
    log = json.loads(urllib.request.urlopen(base + "/_demo/requests.json").read())
    kinds: Counter = Counter()
    for r in log:
        if r["path"] == "/robots.txt":
            kinds["robots.txt"] += 1
        elif r.get("conditional"):
            kinds[f"conditional GET → {r['status']}"] += 1
        elif _list_request(r) and r["status"] == 200:
            kinds["list page"] += 1
        elif _list_request(r):  # a Hanweb GET-pages column answering the probing POST (405), a list that failed
            kinds[f"list request → {r['status']}"] += 1
        else:
            kinds[f"full download ({r['status']})"] += 1
    return kinds


IMPORTS = {
    "govreports.cli (every command's module)": "import govreports.cli",
    "prefect": "import prefect",
    "govreports.flows.nightly (prefect + crawl)": "import govreports.flows.nightly",
    "prefect.server.api.server (the client imports it to start the ephemeral server)":
        "import prefect.server.api.server",
}


def import_costs(env: dict) -> None:
    print("import costs in a fresh interpreter (best of 3; interpreter start-up not included):")
    for label, statement in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        best = min(float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                        check=True, cwd=ROOT).stdout.split()[-1]) for _ in range(3))
        print(f"  {label}: {best:.2f} s")


_STAMP = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| \w+ +\| (.*)$")


def phases(log: str, started: datetime.datetime, ended: datetime.datetime) -> str:
    """The cold run's phases from its Prefect log lines (local wall clock, ms)."""
    marks: dict[str, datetime.datetime] = {}
    for line in log.splitlines():
        m = _STAMP.match(line.strip())
        if not m:
            continue
        at = started.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3]), microsecond=int(m[4]) * 1000)
        text = m[5]
        if "Starting temporary server" in text:
            marks.setdefault("server", at)
        elif "Beginning flow run" in text:
            marks.setdefault("flow", at)
        elif "Task run" in text and "Finished in state" in text:
            marks["crawled"] = at
        elif "Finished in state" in text:  # the flow run's own line
            marks["finished"] = at
        elif "Stopping temporary server" in text:
            marks["stopping"] = at
    if not {"flow", "crawled"} <= marks.keys():
        return "  (phases: Prefect's log lines not found)"
    if "server" in marks:
        parts = [("start-up to server launch", started, marks["server"]),
                 ("server boot to flow run", marks["server"], marks["flow"])]
    else:  # launched early, from a thread, before Prefect's logging is set up: no line for it
        parts = [("start-up and server boot (overlapped) to flow run", started, marks["flow"])]
    parts.append(("portal tasks (waiting for the crawl begun at start-up)", marks["flow"], marks["crawled"]))
    if {"finished", "stopping"} <= marks.keys():
        parts += [("summary, run record, artifacts", marks["crawled"], marks["finished"]),
                  ("flow run end to server stop", marks["finished"], marks["stopping"]),
                  ("server stop and exit", marks["stopping"], ended)]
    else:
        parts.append(("summary, artifacts, exit", marks["crawled"], ended))
    return "  phases: " + ", ".join(f"{name} {(b - a).total_seconds():.1f} s" for name, a, b in parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4,
                        help="per portal (config/demo.toml's per_host_concurrency); more only adds httpcore pool "
                             "bookkeeping against a local server that answers in milliseconds")
    parser.add_argument("--recheck-days", type=int, default=1,
                        help="[incremental] recheck_days: each known report asked once in N nights (1: every night)")
    args = parser.parse_args()
    proc, base = start_portal("--scale", str(args.reports), "--prerender", wait=120 + args.reports * 0.1)
    try:
        os.environ["GOVREPORTS_DEMO_PORT"] = str(urlsplit(base).port)
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
                              f"[incremental]\nrecheck_days = {args.recheck_days}\n\n"
                              "[[portal]]" + rest, encoding="utf-8")
            print(f"demo portal: {args.reports} reports; politeness delays off, {n} connections per portal; "
                  f"each known report asked once in {args.recheck_days} night(s)")
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
                  f"{sum(r['unchanged'] for r in rows)} unchanged, {sum(r['not_due'] for r in rows)} not due, "
                  f"{sum(r['new'] + r['changed'] for r in rows)} new or changed")
            print("  requests: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
            env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PREFECT_HOME": str(Path(tmp) / "cold")}
            command = [sys.executable, "-m", "govreports", "nightly", "--config", paths["config"], "--db",
                       paths["db"], "--archive", paths["archive"]]
            for label in ("first night: a new Prefect home is created and migrated",
                          "any later night: the Prefect home exists"):
                before, versions = requests_by_kind(base), _versions(paths["db"])
                t0, started = time.perf_counter(), datetime.datetime.now()
                done = subprocess.run(command, env={**env, "PREFECT_LOGGING_LEVEL": "INFO"}, check=True,
                                      capture_output=True, text=True, cwd=ROOT)
                cold = time.perf_counter() - t0
                kinds = requests_by_kind(base) - before
                changed = _versions(paths["db"]) - versions  # a night that loaded something did more than a no-change
                print(f"no-change nightly as a cold `govreports nightly` process ({label}): {cold:.1f} s wall"
                      + (f" [NOT a no-change night: {changed} report versions loaded]" if changed else ""))
                print("  requests: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
                print(phases(done.stdout + "\n" + done.stderr, started, datetime.datetime.now()))
            import_costs(env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
