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
    process never imports prefect.server.api.server, and the server is stopped at exit."""
    script = f"""
import json, sys
from govreports.runs.prefect_env import configure
from govreports.runs.prefect_server import start_early_server, startup_timeout
configure({str(tmp_path / 'prefect')!r})
server = start_early_server()
assert server is not None
server.wait(startup_timeout())
from prefect import flow

@flow
def add(a, b):
    return a + b

print(json.dumps({{"result": add(2, 3), "pid": server.process.pid, "url": server.api_url,
                  "server_module_imported": "prefect.server.api.server" in sys.modules}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["result"] == 5 and out["url"].startswith("http://127.0.0.1:")
    assert out["server_module_imported"] is False
    assert not os.path.exists(f"/proc/{out['pid']}") or "zombie" in open(f"/proc/{out['pid']}/status").read().lower()


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
