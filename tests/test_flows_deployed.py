"""The flows as a deployment runs them: `serve-flows`, prefect.yaml's entry points and `python flows/nightly.py`
call the flow objects themselves, without the CLI's `with_options(task_runner=…)`. What they do unattended must
be what `govreports nightly` and `backfill` do: at most TASK_WORKERS portal crawls at once."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest

from conftest import ROOT
from prefecthelp import harness
from govreports.crawl import CrawlSummary, PortalStats

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect.flows import load_flow_from_entrypoint  # noqa: E402

from govreports.runs import jobs  # noqa: E402
from govreports.runs.jobs import TASK_WORKERS  # noqa: E402

CONFIG = str(ROOT / "config" / "demo.toml")  # ten portals: more than TASK_WORKERS


@pytest.fixture(autouse=True, scope="module")
def prefect_api():
    with harness():  # (tests/prefecthelp.py: its database migrated once per session)
        yield


class Peak:
    """A stand-in for a portal's crawl that counts how many run at once (each lasts until five have started, or
    1.5 s: long enough for every crawl the flow lets run together to overlap)."""

    def __init__(self):
        self.running = self.peak = self.started = 0
        self.guard = threading.Lock()

    def crawl(self, portal: str) -> CrawlSummary:
        with self.guard:
            self.running += 1
            self.started += 1
            self.peak = max(self.peak, self.running)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and self.peak <= TASK_WORKERS:
            time.sleep(0.02)
        with self.guard:
            self.running -= 1
        return CrawlSummary([PortalStats(portal, pages=1, listed=1, found=1, report_titles=1, unchanged=1)])


@pytest.mark.parametrize("entrypoint", ["flows/nightly.py:nightly", "flows/backfill.py:backfill"])
def test_a_deployed_flow_crawls_at_most_task_workers_portals_at_once(tmp_path, monkeypatch, entrypoint):
    """Before, the flows' decorators named no task runner: Prefect's default thread pool is unbounded, so a
    deployed night crawled every portal at once (37 in config/portals, each with its own parse workers), where
    the CLI crawled four at a time."""
    peak = Peak()
    monkeypatch.setattr(jobs, "crawl_portal", lambda config, portal, *a, **k: peak.crawl(portal))
    monkeypatch.setattr(jobs, "run_partition", lambda config, portal, year, *a, **k: peak.crawl(portal))
    flow = load_flow_from_entrypoint(str(ROOT / entrypoint))
    params = {"config": CONFIG, "db": str(tmp_path / "g.db"), "archive": str(tmp_path / "archive")}
    if flow.name == "backfill":
        params["years"] = "2024"
    flow(**params)
    assert peak.started == len(jobs.load(CONFIG).portal) > TASK_WORKERS  # every portal, some waiting their turn
    assert peak.peak <= TASK_WORKERS


def test_a_portal_named_twice_is_crawled_once(tmp_path, monkeypatch):
    """`--portal demo-gbk --portal demo-gbk` (or a deployment's `portals` list with a name twice): before, two
    crawls of the one portal ran at once, each with its own per-host slots (twice the politeness the config
    allows, against a government host), and their summaries split one night's figures: on a new database, 14 new
    reports were counted 3 new and 25 unchanged; a backfill ran each of its partitions twice."""
    from typer.testing import CliRunner

    from govreports.cli import app
    from govreports.flows.nightly import nightly

    peak = Peak()
    monkeypatch.setattr(jobs, "crawl_portal", lambda config, portal, *a, **k: peak.crawl(portal))
    rows = nightly(config=CONFIG, db=str(tmp_path / "g.db"), archive=str(tmp_path / "a"),
                   portals=["demo-gbk", "demo-gd", "demo-gbk"])
    assert peak.started == 2 and [r["portal"] for r in rows] == ["demo-gbk", "demo-gd"]
    # the command: its early crawls (flows.early, begun before the flow) are of each portal once too
    from govreports.flows import early

    started_early = []

    @contextlib.contextmanager
    def early_crawls(config, names, *args, **kwargs):
        started_early.extend(names)
        yield None

    monkeypatch.setattr(early, "early_crawls", early_crawls)
    result = CliRunner().invoke(app, ["nightly", "--portal", "demo-gbk", "--portal", "demo-gbk", "--config", CONFIG,
                                      "--db", str(tmp_path / "cli.db"), "--archive", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert started_early == ["demo-gbk"] and peak.started == 3


def test_serve_flows_without_a_prefect_server_refuses_to_start(tmp_path):
    """An ephemeral Prefect server has no scheduler: `serve-flows` without PREFECT_API_URL printed "Your deployments
    are being served and polling for scheduled runs!" and served for ever, and the nightly never ran (Prefect's
    own warning is only logged for another way of serving). It is a usage error, said at once."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=f"{ROOT / 'src'}:{ROOT}", PREFECT_HOME=str(tmp_path / "prefect"))
    process = subprocess.Popen([sys.executable, "-m", "govreports", "serve-flows", "--config", CONFIG,
                                "--db", str(tmp_path / "g.db"), "--archive", str(tmp_path / "a")],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # the command and the temporary server Prefect started for it
        out, err = process.communicate()
        pytest.fail(f"still serving after 90 s with no scheduler: {out!r}")
    done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    assert done.returncode == 2, done.stderr
    assert "PREFECT_API_URL" in done.stderr and "prefect server start" in done.stderr
    assert not (tmp_path / "g.db").exists()



def test_serve_flows_on_a_prefect_server_that_is_down_ends_with_69_in_one_line(tmp_path):
    """PREFECT_API_URL set, its server down (not yet up after a reboot, when a service manager starts serve-flows):
    Prefect's first call raised httpx.ConnectError, a 125-line traceback and exit 1. It is Prefect unavailable, as
    for the run commands: one line naming the server, exit 69 (runs.prefect_server.wait_for_api)."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # a port no one listens on: connections refused, as to a server that is down
        s.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    script = f"""
import sys
from govreports.runs import prefect_server
prefect_server.API_WAIT_S = 1.0
sys.argv = ["govreports", "serve-flows", "--config", {CONFIG!r}, "--db", {str(tmp_path / "g.db")!r},
            "--archive", {str(tmp_path / "a")!r}]
from govreports.cli import main
if __name__ == "__main__":
    main()
"""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, "PREFECT_API_URL": api,
           "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 69, done.stderr[-3000:]
    assert done.stderr.strip().splitlines() == [
        f"error: the Prefect server at {api} (PREFECT_API_URL) did not answer for 1 s: start it "
        "(`prefect server start`), or unset PREFECT_API_URL to run on a temporary one"]

@pytest.mark.parametrize("entrypoint", ["flows/nightly.py:nightly", "flows/backfill.py:backfill",
                                        "flows/reparse.py:reparse"])
def test_a_flow_given_a_time_limit_it_cannot_read_fails_at_once_in_one_line(tmp_path, monkeypatch, entrypoint):
    """`prefect deployment run nightly/nightly --param time_limit=6hours`: the deployed run failed inside its flow
    with parse_duration's ValueError and Prefect's traceback (a run the CLI started ignored the parameter); the
    command's --time-limit gives a usage error for the same text. Now the flow run fails before it takes the
    database or crawls anything, its state's message and one log line naming the parameter and the forms it takes;
    it raises nothing (a raise is what Prefect logs with its traceback)."""
    peak = Peak()
    monkeypatch.setattr(jobs, "crawl_portal", lambda config, portal, *a, **k: peak.crawl(portal))
    monkeypatch.setattr(jobs, "run_partition", lambda config, portal, year, *a, **k: peak.crawl(portal))
    flow = load_flow_from_entrypoint(str(ROOT / entrypoint))
    state = flow(config=CONFIG, db=str(tmp_path / "g.db"), archive=str(tmp_path / "archive"), time_limit="6hours",
                 return_state=True)
    said = "invalid flow parameter time_limit: '6hours' is not a duration: say 6h, 90m, 45s, or 0 for none"
    assert state.is_failed() and state.message == said
    assert not isinstance(state.result(raise_on_failure=False), BaseException)
    assert peak.started == 0 and not (tmp_path / "g.db").exists()
