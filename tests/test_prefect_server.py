"""runs.prefect_server: Prefect's temporary server started at a plain run's entry, before prefect is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from govreports.runs import prefect_server
from govreports.runs.prefect_server import start_early_server


def test_not_started_when_it_could_not_take_effect(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")  # the user's server wins
    assert start_early_server() is None
    monkeypatch.delenv("PREFECT_API_URL")
    import prefect  # noqa: F401 - imported: its settings are read already

    assert start_early_server() is None
    assert "PREFECT_API_URL" not in os.environ


def test_a_flow_runs_on_it_without_importing_the_server_module(tmp_path):
    """In a fresh interpreter, as `govreports nightly` runs: the server answers, a flow completes on it, this
    process never imports prefect.server.api.server, and the server is stopped at exit. What the flow's call
    imports was imported while the server booted (cli.common.import_flow_call_modules: imported at the call, it
    came after the server's first answer), and the flow run sends no heartbeats (runs.prefect_server.flow_settings:
    the flow's end waited up to a second for the heartbeat thread)."""
    script = f"""
import json, sys
from govreports.runs.prefect_env import configure
from govreports.runs.prefect_server import flow_settings, start_early_server, startup_timeout
configure({str(tmp_path / 'prefect')!r})
server = start_early_server()
assert server is not None
from prefect import flow, task
from prefect.settings import get_current_settings
from govreports.cli.common import import_flow_call_modules

@task
def plus(a, b):
    return a + b

@flow
def add(a, b):
    return plus(a, b), get_current_settings().flows.heartbeat_frequency

import_flow_call_modules()
server.wait(startup_timeout())
before = set(sys.modules)
with flow_settings(server):
    result, heartbeat = add(2, 3)
late = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("prefect", "fastapi", "graphviz", "anyio"))
print(json.dumps({{"result": result, "pid": server.process.pid, "url": server.api_url, "heartbeat": heartbeat,
                  "late": late, "server_module_imported": "prefect.server.api.server" in sys.modules}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["result"] == 5 and out["url"].startswith("http://127.0.0.1:")
    assert out["server_module_imported"] is False
    assert out["late"] == []  # (a Prefect that imports more at a flow call: add it to FLOW_CALL_MODULES)
    assert out["heartbeat"] is None
    assert not os.path.exists(f"/proc/{out['pid']}") or "zombie" in open(f"/proc/{out['pid']}/status").read().lower()


def test_flow_settings_turn_heartbeats_off_only_on_the_temporary_server(monkeypatch):
    from prefect.settings import get_current_settings

    default = get_current_settings().flows.heartbeat_frequency
    for name in prefect_server.HEARTBEAT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with prefect_server.flow_settings(None):  # the user's own server: its settings stand
        assert get_current_settings().flows.heartbeat_frequency == default
    temporary = prefect_server.EarlyServer(None, 1, None)
    with prefect_server.flow_settings(temporary):
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")  # the user's own setting wins
    with prefect_server.flow_settings(temporary):
        assert get_current_settings().flows.heartbeat_frequency == default


def _server_environment(monkeypatch, home) -> dict:
    """The environment start_early_server gives its server (a stand-in that writes it down and exits), over `home`."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delitem(sys.modules, "prefect", raising=False)  # (imported by other tests: as at a command's entry)
    seen = home / "env.json"
    monkeypatch.setattr(prefect_server, "_command", lambda site, port: [
        sys.executable, "-c", f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))"])
    server = start_early_server()
    assert server is not None
    server.process.wait(30)
    server.stop()
    return json.loads(seen.read_text())


ONE_SHOT = ("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "PREFECT_SERVER_REGISTER_BLOCKS_ON_START",
            "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION")


def test_the_temporary_server_skips_what_a_one_shot_run_does_not_use(monkeypatch, tmp_path):
    """Its automations services (every event evaluated) while its database holds no automation, and the check of
    installed collections for new block types (it imported dask.distributed) once its home has registered them."""
    import sqlite3

    for name in ONE_SHOT:
        monkeypatch.delenv(name, raising=False)
    new_home = tmp_path / "new"  # the first night: no database, no memo file; block types are registered
    env = _server_environment(monkeypatch, new_home)
    assert env["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "false"
    assert "PREFECT_SERVER_REGISTER_BLOCKS_ON_START" not in env
    home = tmp_path / "later"  # a later night: registered once, and its database holds an automation
    home.mkdir()
    (home / "memo_store.toml").write_text('block_auto_registration = "abc"\n')
    with sqlite3.connect(home / "prefect.db") as db:
        db.execute("CREATE TABLE automation (id TEXT, enabled BOOLEAN)")
        db.execute("INSERT INTO automation VALUES ('a', 1)")
    env = _server_environment(monkeypatch, home)
    assert "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED" not in env  # its automations still run
    assert env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] == env["PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"] \
        == "false"
    (home / "prefect.db").write_bytes(b"not a database")  # unreadable: Prefect's defaults stand (its error is its own)
    monkeypatch.setenv("PREFECT_SERVER_REGISTER_BLOCKS_ON_START", "true")  # and the user's own settings win
    env = _server_environment(monkeypatch, home)
    assert "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED" not in env
    assert env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] == "true"


def test_a_server_that_exits_is_an_error_naming_its_code(monkeypatch):
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server = prefect_server.EarlyServer(process, 1, None)
    process.wait()
    with pytest.raises(prefect_server.PrefectServerError, match="exited with code 3"):
        server.wait(5)


def test_a_server_that_exits_on_a_full_disk_is_a_storage_error(monkeypatch, tmp_path):
    """Its SQLite (in the Prefect home, beside the database by default) cannot start on a full disk: the run ends
    as any run on a full disk does (StorageError, exit 74), naming the home and the space left."""
    from collections import namedtuple

    from govreports.errors import EXIT_STORAGE, StorageError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setattr(prefect_server.shutil, "disk_usage", lambda path: usage(2 << 20, (2 << 20) - 4096, 4096))
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server = prefect_server.EarlyServer(process, 1, None)
    process.wait()
    with pytest.raises(StorageError, match=f"exited with code 3.*its home {tmp_path} is full \\(4 KB free\\)") as err:
        server.wait(5)
    assert err.value.exit_code == EXIT_STORAGE


def test_a_damaged_prefect_db_is_named_with_its_remedy_and_its_traceback_kept_out_of_stderr(tmp_path):
    """A prefect.db that is not a database: the server's 230-line traceback went to the command's stderr every
    night, then `error: the temporary Prefect server exited with code 3 …` and exit 1 (the code for unreachable
    portals). Now its output goes to server.log in its home, and the error names the file, the cause and the
    remedy, with EX_UNAVAILABLE (69). The server is a stand-in that fails as Prefect's does on such a file (its
    last lines, from a real run, with prefect.db 20 KB of random bytes), measured: a real one takes 10 s of CPU
    to get there."""
    home = tmp_path / "prefect"
    script = f"""
import sys
from govreports.runs import prefect_server
from govreports.runs.prefect_env import configure
from govreports.runs.prefect_server import PrefectServerError, start_early_server
prefect_server._command = lambda site, port: [sys.executable, "-c", {FAILS_ON_A_DAMAGED_DB!r}]
configure({str(home)!r})
server = start_early_server()
try:
    server.wait(60)
except PrefectServerError as exc:
    print(exc.exit_code, exc)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.stderr == ""  # the server's output is in its log, not on the command's stderr
    code, message = done.stdout.strip().split(" ", 1)
    database, port = home / "prefect.db", message.split("port ")[1].split(":")[0]
    assert int(code) == 69
    assert message == (f"the temporary Prefect server exited with code 3 before it answered on port {port}: its "
                       f"database {database} is damaged (file is not a database); it holds only Prefect's history "
                       f"of runs, not the reports: move it aside (mv {database} {database}.damaged) and run again "
                       f"(its output: {home / 'server.log'})")
    assert "Traceback" in (home / "server.log").read_text()


FAILS_ON_A_DAMAGED_DB = """
import sys
print("04:04:38.966 | ERROR   | uvicorn.error - Traceback (most recent call last):", file=sys.stderr)
print("sqlite3.DatabaseError: file is not a database", file=sys.stderr)
print("sqlalchemy.exc.DatabaseError: (sqlite3.DatabaseError) file is not a database", file=sys.stderr)
print("04:04:39.010 | ERROR   | uvicorn.error - Application startup failed. Exiting.", file=sys.stderr)
sys.exit(3)
"""


def test_a_nightly_whose_prefect_cannot_start_ends_at_once_with_69(tmp_path):
    """The command's early crawls had begun; the server failed to start, and the command waited for the whole
    crawl (44 s on the demo portal; a real night, hours) to end in the same error, exit 1, below 230 lines of the
    server's traceback. Now the crawls are stopped (what they committed stays), the run's row says why, and the
    command ends in seconds with one line and 69. The demo portal here answers a third of its report pages after
    five minutes, and the crawl's timeouts wait for them: a command that waited for its crawl would take that long;
    the bound on the command (150 s) is far below it, and far above its own start on a loaded machine (load 15 made
    60 s too tight)."""
    import time

    from conftest import ROOT
    from govreports.demo import DemoPortal
    from govreports.demo.faults import FaultConfig
    from govreports.store.db import connect

    portal = DemoPortal(seed=0, faults=FaultConfig(frozenset({"slow"}), slow_seconds=300, rate=0.3)).start(port=0)
    db, home = tmp_path / "r.db", tmp_path / "prefect"
    config = tmp_path / "demo.toml"  # timeouts past the slow pages' five minutes
    config.write_text((ROOT / "config" / "demo.toml").read_text(encoding="utf-8").replace(
        "read_timeout = 10\n", "read_timeout = 400\ntotal_timeout = 400\n", 1), encoding="utf-8")
    script = f"""
import sys
from govreports.runs import prefect_server
prefect_server._command = lambda site, port: [sys.executable, "-c", {FAILS_ON_A_DAMAGED_DB!r}]
sys.argv = ["govreports", "nightly", "--config", {str(config)!r}, "--db", {str(db)!r},
            "--archive", {str(tmp_path / "archive")!r}]
from govreports.cli import main
if __name__ == "__main__":
    main()
"""
    (tmp_path / "run.py").write_text(script)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, "PREFECT_HOME": str(home),
           **portal.environ(), "PYTHONPATH": os.pathsep.join(sys.path)}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True,
                              timeout=200, env=env)
    finally:
        portal.stop()
    assert done.returncode == 69, done.stderr[-2000:]
    # well within the five minutes a command waiting for its crawl takes; the command's own start (Python, Prefect's
    # imports, the early crawls begun) took 24 s on a loaded machine, over 60 s at load 15
    assert time.monotonic() - started < 150
    # one line says what failed, and none of the server's output reaches the command's stderr (its traceback was
    # 230 lines); any other line is a warning the run's own gives: the killed crawl worker's semaphores (as on any
    # stop), or the parse pool's "no document started for 10 s" on a loaded machine
    errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith("error: the temporary Prefect server exited with code 3 ")
    assert f"move it aside (mv {home / 'prefect.db'} " in errors[0]
    for said_by_the_server in ("Traceback", "DatabaseError", "uvicorn", "Application startup failed"):
        assert said_by_the_server not in done.stderr, done.stderr[-2000:]
    with connect(db) as database:
        (outcome, error), = database.execute("SELECT outcome, error FROM runs").fetchall()
    assert outcome == "failed" and error.startswith("PrefectServerError: the temporary Prefect server exited")


def test_a_backfill_has_its_database_and_its_row_while_prefect_starts(tmp_path, monkeypatch):
    """`status` or `reparse` in a backfill's first 20 s (Prefect starting) said "no database": the backfill made
    its database only once the server answered. Now its row is begun first, as the nightly's is; a server that then
    fails to start leaves that row failed, with why. (The server here is a stub: the run stops where it waits.)"""
    from typer.testing import CliRunner

    from conftest import ROOT
    from govreports.cli import app
    from govreports.cli import flows as cli_flows
    from govreports.runs.prefect_server import PrefectServerError
    from govreports.store.db import connect
    from govreports.store.lock import holder_now

    db = tmp_path / "r.db"
    seen = {}

    def waiting_for_prefect():
        seen["database"] = db.exists()
        with connect(db) as database:
            seen["runs"] = database.execute("SELECT kind, outcome FROM runs").fetchall()
        seen["holder"] = holder_now(db).command
        raise PrefectServerError("the temporary Prefect server exited with code 3 before it answered (stub)")

    monkeypatch.setattr(cli_flows, "_start_server", lambda: (None, waiting_for_prefect))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    for key in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"):  # as they were, after prefect_env sets them
        was = os.environ.get(key)
        monkeypatch.setenv(key, "placeholder" if was is None else was)
        if was is None:
            monkeypatch.delenv(key)
    result = CliRunner().invoke(app, ["backfill", "--years", "2023", "--portal", "demo-ordos", "--no-progress",
                                      "--config", str(ROOT / "config" / "demo.toml"), "--db", str(db),
                                      "--archive", str(tmp_path / "archive")])
    assert isinstance(result.exception, PrefectServerError)  # (main() prints it and exits 69)
    assert seen == {"database": True, "runs": [("backfill", None)], "holder": "backfill"}
    with connect(db) as database:
        assert database.execute("SELECT outcome, error FROM runs").fetchall() == [
            ("failed", "PrefectServerError: the temporary Prefect server exited with code 3 before it answered "
                       "(stub)")]



def test_a_server_whose_home_cannot_be_written_names_the_home_and_the_reason(tmp_path):
    """A Prefect home the command cannot write (a read-only disk, a folder of another user's): its server cannot
    make its database and exits, and the command said only `the temporary Prefect server exited with code 3 before
    it answered on port 40121`, exit 69, with no output to read (its log could not be made there either). It is a
    storage failure, as a full disk under the home is: exit 74, naming the home and why it cannot be written. (The
    tests run as root, whom permissions do not stop: the log's open is refused as a read-only folder refuses it.)"""
    home = tmp_path / "prefect"
    script = f"""
import sys
from govreports.runs import prefect_server
from govreports.runs.prefect_env import configure
from govreports.runs.prefect_server import start_early_server
from govreports.errors import GovreportsError

def refused(path, *args, **kwargs):
    raise PermissionError(13, "Permission denied", str(path))

prefect_server.open = refused
prefect_server._command = lambda site, port: [sys.executable, "-c", "raise SystemExit(3)"]
configure({str(home)!r})
server = start_early_server()
try:
    server.wait(60)
except GovreportsError as exc:
    print(exc.exit_code, exc)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    code, message = done.stdout.strip().split(" ", 1)
    assert int(code) == 74, message
    assert message.startswith("the temporary Prefect server exited with code 3 before it answered on port ")
    assert message.endswith(f": its home {home} cannot be written ([Errno 13] Permission denied: "
                            f"'{home / 'server.log'}')")


def test_a_prefect_home_that_cannot_be_made_is_a_storage_error_not_a_traceback(tmp_path, monkeypatch):
    """PREFECT_HOME naming a file, or a folder under one this user cannot write: `configure` raised the OSError
    of its mkdir, a traceback and exit 1 (the code of unreachable portals), before anything ran."""
    from govreports.errors import EXIT_STORAGE, StorageError
    from govreports.runs.prefect_env import configure

    home = tmp_path / "prefect"
    home.write_text("a file where the folder should be")
    monkeypatch.setenv("PREFECT_HOME", str(home))
    with pytest.raises(StorageError, match=f"the Prefect home {home} cannot be made") as err:
        configure(tmp_path / "other")
    assert err.value.exit_code == EXIT_STORAGE


@pytest.mark.parametrize("command", ["nightly", "reparse"])
def test_a_run_on_a_prefect_server_that_is_down_ends_with_69_in_one_line(tmp_path, command):
    """PREFECT_API_URL names the user's server, and it is down (stopped, not started yet after a reboot): the
    flow's first call to it raised `RuntimeError: Failed to reach API at …`, 140 lines of traceback and exit 1 —
    the code of unreachable portals — where the temporary server's failure to start is one line and 69. The
    command now waits for it a few seconds (API_WAIT_S, 1 s here) and ends with one line that names it,
    69, its row in `runs` failed."""
    import socket

    from conftest import ROOT
    from govreports.store.db import connect

    with socket.socket() as s:  # a port no one listens on: connections refused, as to a server that is down
        s.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    db = tmp_path / "r.db"
    with connect(db):  # (a re-parse needs a database)
        pass
    script = f"""
import sys
from govreports.runs import prefect_server
prefect_server.API_WAIT_S = 1.0
sys.argv = ["govreports", {command!r}, "--config", {str(ROOT / "config" / "demo.toml")!r}, "--db", {str(db)!r},
            "--archive", {str(tmp_path / "archive")!r}]
from govreports.cli import main
if __name__ == "__main__":
    main()
"""
    (tmp_path / "run.py").write_text(script)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, "PREFECT_API_URL": api,
           "PREFECT_HOME": str(tmp_path / "prefect"), "GOVREPORTS_DEMO_PORT": "9",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, timeout=90,
                          env=env)
    assert done.returncode == 69, done.stderr[-3000:]
    lines = [line for line in done.stderr.strip().splitlines() if "resource_tracker" not in line
             and "warnings.warn(" not in line]
    assert lines == [f"error: the Prefect server at {api} (PREFECT_API_URL) did not answer for 1 s: start it "
                     "(`prefect server start`), or unset PREFECT_API_URL to run on a temporary one"]
    with connect(db) as database:
        (kind, outcome, error), = database.execute("SELECT kind, outcome, error FROM runs").fetchall()
    assert (kind, outcome) == (command, "failed") and error.startswith("PrefectServerError: the Prefect server at")
