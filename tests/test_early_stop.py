"""flows.early: a night stopped before its flow's tasks took the early crawls (SIGTERM, Ctrl-C or its --time-limit
while Prefect starts, the first 5-20 s of every night) stops those crawls; it does not wait for them.

Measured before (govreports nightly on the demo portal, SIGTERM 2.5 s after its start): the crawls went on (81
reports stored) until the run's watch ended the process 10 s later, saying "Prefect did not answer"; a
--time-limit of 1 s ended the same way, with the whole crawl stored. Without the watch a night stopped there ran
its whole crawl first. The crawl's stop was registered inside the block that stops it, and unregistered on the
way out before the stop was made."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from conftest import ROOT
from govreports.demo import DemoPortal
from govreports.demo.faults import FaultConfig
from govreports.lifecycle import Ending, RunCutShort, Stopped


@pytest.mark.parametrize("stop", [Stopped(signal.SIGTERM), RunCutShort(Ending(124, "time limit", "stopped"))],
                         ids=["sigterm", "time-limit"])
def test_a_run_stopped_before_its_tasks_took_the_crawls_stops_them(tmp_path, monkeypatch, stop):
    from govreports.flows.early import early_crawls

    # every article answers after a minute: a crawl that is waited for outlasts the test
    portal = DemoPortal(seed=0, faults=FaultConfig(frozenset({"slow"}), slow_seconds=60, rate=1.0)).start(port=0)
    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", str(portal.port))
    seen: dict = {}

    def night() -> None:  # in a thread: a test that fails must not wait for the crawl
        try:
            with early_crawls(str(ROOT / "config" / "demo.toml"), ["demo-ordos"], str(tmp_path / "r.db"),
                              str(tmp_path / "archive"), "threads") as seen["crawls"]:
                time.sleep(0.5)  # Prefect starting
                seen["stopped_at"] = time.monotonic()
                raise stop
        except BaseException as exc:  # noqa: BLE001 - what the block ended with, to assert on
            seen["raised"] = exc

    thread = threading.Thread(target=night, daemon=True)
    try:
        thread.start()
        thread.join(timeout=15)
        assert not thread.is_alive(), "still waiting for the crawls it began"
        assert seen["raised"] is stop and time.monotonic() - seen["stopped_at"] < 5
        assert seen["crawls"]._stopped_by == stop.signum  # a task that asked after it would end as the run did
    finally:
        if "crawls" in seen:
            seen["crawls"].stop(None)
        thread.join(timeout=15)
        portal.stop()
