"""The collector's settings for document batches (gcpolicy) hold in the processes that parse and crawl, and only
there: the `govreports` command, the parse workers, the nightly's early-crawl worker — not a program that imports
the package, nor the test suite's own process."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

from govreports.gcpolicy import YOUNG_EVERY
from govreports.parse.bounded import BoundedParser

ROOT = Path(__file__).resolve().parents[1]


def gc_settings(data: bytes, name: str, hints, http_charset) -> dict:
    """A worker job for the tests: the worker's collector settings."""
    return {"young": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}


def test_parse_workers_collect_the_young_generation_less_often_and_freeze_their_start_up():
    with BoundedParser(workers=1, job=gc_settings) as parser:
        settings = parser.parse(b"any")
    assert settings["young"] == YOUNG_EVERY
    assert settings["frozen"] > 10_000  # the parser's modules, imported before the freeze


def test_the_early_crawls_worker_has_the_same_settings(tmp_path):
    from govreports.flows.early import EarlyCrawls
    from govreports.runs import jobs

    crawls = EarlyCrawls(str(ROOT / "config" / "demo.toml"), [], str(tmp_path / "db"), str(tmp_path / "archive"),
                         jobs.mode("threads", concurrent_tasks=1), 1)
    try:
        young = crawls._process.submit(gc.get_threshold).result(timeout=60)[0]
        frozen = crawls._process.submit(gc.get_freeze_count).result(timeout=60)
    finally:
        crawls.close()
    assert young == YOUNG_EVERY
    assert frozen > 10_000


def test_the_command_sets_them_and_importing_the_package_does_not():
    probe = (
        "import gc, govreports.cli as cli\n"
        "before = (gc.get_threshold()[0], gc.get_freeze_count())\n"
        "cli.main = lambda: print(before, (gc.get_threshold()[0], gc.get_freeze_count() > 0))\n"
        "cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == f"(700, 0) ({YOUNG_EVERY}, True)"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["govreports"] == "govreports.cli:entry"
    assert "entry()" in (ROOT / "src" / "govreports" / "__main__.py").read_text(encoding="utf-8")
    assert gc.get_threshold()[0] != YOUNG_EVERY  # this process imported the package and kept its own
