"""`govreports serve`: generated Datasette metadata, and a live Datasette answering a canned query over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from urllib.parse import quote

import pytest

from govreports.query import ANALYSES
from govreports.serve import build_metadata, serve
from govreports.store import open_db
from storehelp import B, load_known


def test_metadata_has_descriptions_facets_and_every_analysis():
    meta = build_metadata("govreports")
    db = meta["databases"]["govreports"]
    assert set(ANALYSES) <= set(db["queries"])
    assert db["queries"]["refusals"]["sql"] == ANALYSES["refusals"].sql
    assert db["tables"]["reports"]["facets"] == ["year", "format", "agency_id"]
    assert db["tables"]["applications_wide"]["facets"] == ["year", "format", "agency"]
    assert db["tables"]["applications_wide"]["columns"]["natural_person"] == "自然人 / natural_person"
    assert db["tables"]["cells"]["columns"]["value"].startswith("数值 / ")
    assert db["tables"]["sections"]["fts_table"] == "sections_fts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture
def server(tmp_path):
    path = tmp_path / "govreports.db"
    db = open_db(path)
    load_known(db)
    db.close()
    port = _free_port()
    process = serve(path, port=port, metadata_out=tmp_path / "meta.json",
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                _get_json(f"{base}/-/versions.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"datasette did not start: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()


def test_canned_queries_over_http(server):
    missing = _get_json(f"{server}/govreports/missing.json?year=2021&_shape=array")
    assert [(r["agency"], r["previous_year"]) for r in missing] == [(B, 2020)]
    refusals = {r["reason"]: r["applications"] for r in
                _get_json(f"{server}/govreports/refusals.json?_shape=array")}
    assert refusals["unavailable_not_held"] == 7
    search = _get_json(f"{server}/govreports/search_sections.json?q={quote('复议')}&_shape=array")
    assert sorted(r["agency"] for r in search) == ["乙县财政局", "甲市教育局"]
    facets = _get_json(f"{server}/govreports/reports.json?_facet=year")
    assert {f["value"]: f["count"] for f in facets["facet_results"]["year"]["results"]} == {2020: 2, 2021: 2}
