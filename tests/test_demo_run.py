"""`govreports demo` (demo.run) from a folder other than the repository root: it crawls the repository's own
config/demo.toml, says in one line when that file is not there, and prints commands that run from that folder."""

from __future__ import annotations

import shlex
import subprocess

from govreports.demo.run import _port_free, main, sites
from govreports.paths import DEMO_CONFIG
from govreports.runs import jobs


def test_the_demo_config_is_found_from_any_folder(tmp_path, monkeypatch):
    """From any folder but the repository root the demo ended in the flow's traceback, `config/demo.toml: cannot
    read`: the path was read from the current folder."""
    monkeypatch.chdir(tmp_path)
    assert DEMO_CONFIG.is_file()
    assert {p.name for p in jobs.load(DEMO_CONFIG).portal} >= {"demo-govcn", "demo-gate"}


def test_without_its_config_the_demo_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    """Nothing is started (no portal, no Prefect server, no data/ folder) for a demo that cannot run."""
    monkeypatch.chdir(tmp_path)
    port = next(p for p in range(8790, 8800) if _port_free(p))
    assert main(port=port, config=str(tmp_path / "demo.toml")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no demo config at ") and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_commands_it_prints_run_from_that_folder(tmp_path, monkeypatch):
    """The printed commands began `.venv/bin/govreports`, which is there only in the repository root."""
    from govreports.demo.run import _scripts

    monkeypatch.chdir(tmp_path)
    done = subprocess.run(shlex.split(f"{_scripts()}govreports --help"), capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and "demo" in done.stdout, done.stderr


def test_every_site_of_the_demo_portal_has_its_portal_in_the_demo_config():
    """`make demo` says how many sites it crawls (it said "seven" when there were eight): one portal of
    config/demo.toml a site the demo portal serves reports on, the gated one included."""
    from urllib.parse import urlsplit

    from govreports.demo import DemoPortal

    served = {urlsplit(url).path.split("/")[1] for url in DemoPortal(seed=0, gate=True).ground_truth()}
    assert sites(str(DEMO_CONFIG)) == len(served) == len(jobs.load(DEMO_CONFIG).portal)
