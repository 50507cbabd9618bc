"""runs.watchdog and the flow commands: a bound reached once the run had completed and recorded its figures (its
`runs` row `completed`) ends the command with the run's own summary and exit code, and a line that says what came
after; one reached before still ends it as the bound says (tests/test_run_watch.py).

Before: a night whose Prefect server froze after the night's figures were recorded (while the flow published its
artifacts, or reported its end) exited 69, with no summary, beside a `runs` row that said `completed`; a
--time-limit reached in the instant after exited 124. A scheduler read a failed night that was in the database.

Each test runs the real command and its watch in a process of its own, with a stand-in for the flow that records
the night (as flows.nightly does) and then waits on Prefect as a call to a frozen server does (~4 s each)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from govreports.store.db import connect

RUN = """
import contextlib, functools, sys, time
import govreports.flows.{kind}  # imported now: the command's import of it must not eat the time limit
from govreports.cli import flows as cli_flows, main
from govreports.flows import early
from govreports.runs import watchdog

@contextlib.contextmanager
def no_early_crawls(*args, **kwargs):
    yield None

early.early_crawls = no_early_crawls
cli_flows._start_server = lambda: (None, lambda: None)
watchdog.RunWatch = functools.partial(watchdog.RunWatch, silence_s=0.5, health_every_s=0.1, grace_s=1, tick_s=0.05)
if {prefect_silent}:
    watchdog.healthy = lambda *args, **kwargs: False

def flow(flow, **params):  # records the run as the flow does, then waits on Prefect
    from govreports.clock import now_iso
    from govreports.crawl import CrawlSummary, PortalStats, record_run, recorded_run
    from govreports.crawl.runrecord import complete_run
    from govreports.store.db import connect
    from govreports.store.logs import set_partition

    with recorded_run(params["db"], "{kind}", now_iso()) as run_id, connect(params["db"]) as db:
{record}
    print("recorded", flush=True)
    try:
        time.sleep(30)  # a Prefect call (an artifact, the flow run's end) to a server that no longer answers
    except BaseException:
        if {hangs}:  # Prefect's crash report to that server: the run does not unwind
            time.sleep(30)
        raise

cli_flows.run_flow = flow
sys.argv = ["govreports", "{kind}", "--config", {config!r}, "--db", {db!r}, "--archive", {archive!r}] + {args!r}
main()
"""

# two portals, one not reached: partial, exit 1
NIGHT = """
        summary = CrawlSummary([PortalStats("demo-ordos", pages=1, listed=3, found=2, report_titles=2, new=2),
                                PortalStats("demo-gbk", pages=1, list_failed=1)])
        summary.portals[1].failed["refused"] += 1
        record_run(db, "nightly", now_iso(), summary, run_id=run_id)
"""
# three partitions run, 2024's failed (a URL failed), 2025's crawled before its year was due; and 2022's failed before
# and not run: partial, exit 1
BACKFILL = """
        set_partition(db, "demo-ordos", 2023, "done")
        set_partition(db, "demo-ordos", 2025, "not_yet_due")
        set_partition(db, "demo-ordos", 2024, "failed", "1 URL(s) failed")
        summary = CrawlSummary([PortalStats("demo-ordos", pages=1, listed=3, found=1, report_titles=1, new=1),
                                PortalStats("demo-ordos", pages=1, listed=3, found=1, report_titles=1),
                                PortalStats("demo-ordos", pages=1, listed=3, found=0, report_titles=1)])
        summary.portals[1].failed["http"] += 1
        record_run(db, "backfill", now_iso(), summary, run_id=run_id)
"""

# five documents re-parsed, one failed: partial, exit 1
REPARSE = """
        complete_run(db, run_id, [{"documents": 5, "changed": 1, "new": 0, "unchanged": 3, "failed": 1, "missing": 0,
                                   "skipped": 0}])
"""
RECORDS = {"nightly": NIGHT, "backfill": BACKFILL, "reparse": REPARSE}
ARGS = {"nightly": ["--portal", "demo-ordos", "--portal", "demo-gbk"],
        "backfill": ["--portal", "demo-ordos", "--years", "2022-2025", "--no-progress"], "reparse": []}


def _run(tmp_path, kind: str = "nightly", *, limit: str = "0", prefect_silent: bool = False, hangs: bool = False):
    db = tmp_path / "r.db"
    with connect(db) as database:  # migrated before: the command's time limit is for the run, not the migrations
        if kind == "backfill":
            from govreports.store.logs import set_partition

            set_partition(database, "demo-ordos", 2022, "failed", "a URL failed", now="2026-01-01T00:00:00+00:00")
    args = ARGS[kind] + (["--time-limit", limit] if kind != "reparse" else [])  # (a re-parse has no limit)
    script = RUN.format(kind=kind, record=RECORDS[kind].strip("\n"), prefect_silent=prefect_silent, hangs=hangs,
                        config=str(ROOT / "config" / "demo.toml"), db=str(db), archive=str(tmp_path / "archive"),
                        args=args)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    if prefect_silent:  # the API the watch asks (its health check stands in for one that never answers)
        env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True,
                          timeout=60)
    with connect(db) as database:
        runs = database.execute("SELECT outcome, error FROM runs").fetchall()
    return done, runs


@pytest.mark.parametrize("bound, hangs", [("limit", False), ("prefect", False), ("prefect", True)],
                         ids=["time-limit", "prefect-silent", "prefect-silent-run-hangs"])
def test_a_bound_reached_after_the_run_was_recorded_ends_with_the_run_s_own_verdict(tmp_path, bound, hangs):
    done, runs = _run(tmp_path, limit="2s" if bound == "limit" else "0", prefect_silent=bound == "prefect",
                        hangs=hangs)
    assert done.stdout.startswith("recorded"), done.stderr[-3000:]
    assert runs == [("completed", None)]
    # the night's own verdict: one of its two portals could not be reached (partial, exit 1), not 124 or 69
    assert done.returncode == 1, done.stderr[-3000:]
    assert "demo-ordos" in done.stdout and "demo-gbk" in done.stdout and "unreachable" in done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "warning: 1 of 2 portal(s) could not be reached: demo-gbk (refused)"
    said = "the run reached its time limit of 2 s (--time-limit)" if bound == "limit" else "stopped answering"
    assert lines[-2].startswith("warning: run 1 had completed and recorded its figures when ") and said in lines[-2]
    assert "Traceback" not in done.stderr


def test_a_backfill_stopped_after_it_was_recorded_ends_with_its_partitions_verdict(tmp_path):
    """A backfill's verdict counts the partitions it ran that ended failed, and names those failed before that it
    did not run, and its last line counts those it ran that ended not yet due, as `status` does: read back from the
    partitions table, which it alone wrote since it began (the writer lock)."""
    done, runs = _run(tmp_path, "backfill", prefect_silent=True)
    assert runs == [("completed", None)]
    assert done.returncode == 1, done.stderr[-3000:]
    assert ("3 partition(s) run, 1 of them not yet due (run again by the next backfill: demo-ordos 2025); database: "
            in done.stdout), done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == ("warning: 1 of 3 partition(s) failed: demo-ordos 2024 (why: the partitions table's "
                         "last_error; `backfill --reprocess failed` runs them again)")
    assert "1 partition(s) failed before and are not run again (demo-ordos 2022)" in lines[-2]
    assert lines[-3].startswith("warning: run 1 had completed and recorded its figures when the Prefect server")


def test_a_reparse_whose_prefect_froze_after_it_was_recorded_ends_with_its_own_verdict(tmp_path):
    done, runs = _run(tmp_path, "reparse", prefect_silent=True)
    assert runs == [("completed", None)]
    assert done.returncode == 1, done.stderr[-3000:]
    assert "documents" in done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("warning: 1 of 5 document(s) could not be re-parsed: 1 failed, 0 missing")
    assert lines[-2].startswith("warning: run 1 had completed and recorded its figures when the Prefect server")
