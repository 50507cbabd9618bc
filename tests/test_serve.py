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
from govreports.store import connect
from storehelp import B, load_known


def test_metadata_has_descriptions_facets_and_every_analysis():
    meta = build_metadata("govreports")
    db = meta["databases"]["govreports"]
    assert set(ANALYSES) <= set(db["queries"])
    assert db["queries"]["refusals"]["sql"] == ANALYSES["refusals"].sql
    # the web form runs the SQL without the CLI's name checks: a query taking an agency says what name it needs
    for name, analysis in ANALYSES.items():
        note = "a partial or mistyped name selects nothing here" in db["queries"][name]["description"]
        assert note == any(p.name == "agency" for p in analysis.params), name
    assert "a partial or mistyped name" in db["queries"]["year_over_year"]["description"]
    assert db["tables"]["reports"]["facets"] == ["year", "format", "agency_id"]
    assert db["tables"]["applications_wide"]["facets"] == ["year", "format", "agency"]
    assert db["tables"]["applications_wide"]["columns"]["natural_person"] == (
        "自然人 / applications from natural persons [件]")  # query.columns, as in docs/columns.md
    assert db["tables"]["cells"]["columns"]["value"].startswith("数值 / ")
    assert db["tables"]["sections"]["fts_table"] == "sections_fts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


def _wait_for(process, base: str, seconds: float = 30) -> None:
    """Until Datasette at `base` answers; its stderr's end in the error when it exits or does not answer in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            _get_json(f"{base}/-/versions.json")
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"datasette did not start: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)


@pytest.fixture
def server(tmp_path):
    path = tmp_path / "govreports.db"
    with connect(path) as db:
        load_known(db)
    port = _free_port()
    process = serve(path, port=port, metadata_out=tmp_path / "meta.json",
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(process, base)
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
    tables = {t["name"]: t["hidden"] for t in _get_json(f"{server}/govreports.json")["tables"]}
    assert tables["sections_fts_vocab"] and tables["sections_fts_vocab_instance"]  # m012's index internals
    assert not tables["reports"]
    flat = _get_json(f"{server}/govreports/report_flat.json?_size=2")  # its configured facets, no suggestions
    assert flat["filtered_table_rows_count"] == 4 and len(flat["rows"]) == 2
    assert set(flat["facet_results"]) == {"year", "format", "agency"} and flat["suggested_facets"] == []


# `govreports serve` stops Datasette and cleans up -------------------------------------------------------------

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from govreports.serve import sweep_metadata  # noqa: E402
from storehelp import known_db_path  # noqa: E402

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the child")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # [state, ppid, ...]


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _eventually(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def served_db(tmp_path_factory):
    return known_db_path(tmp_path_factory.mktemp("served"))


def _start_cli(served_db, tmp_path):
    """`govreports serve` as its own process, with TMPDIR pointing at an empty folder we can watch."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "govreports", "serve", "--db", str(served_db),
                                "--port", str(port)], env={**os.environ, "TMPDIR": str(tmpdir)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        up = _eventually(lambda: process.poll() is not None or _answers(port), 90)
        if not up or process.poll() is not None:
            raise RuntimeError(f"serve did not start: {process.stderr.read().decode()[-2000:]}")
        children = _children(process.pid)
        assert len(children) == 1, children  # the Datasette child
        metas = sorted(p.name for p in tmpdir.iterdir())
        assert len(metas) == 1 and metas[0].startswith(f"govreports-meta-{process.pid}-")
    except BaseException:
        process.kill()
        for child in _children(process.pid):
            os.kill(child, signal.SIGKILL)
        raise
    return process, port, children[0], tmpdir


def _answers(port: int) -> bool:
    try:
        _get_json(f"http://127.0.0.1:{port}/-/versions.json")
        return True
    except OSError:
        return False


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stopping_serve_stops_datasette_and_removes_its_temp_file(served_db, tmp_path, sig):
    process, port, child, tmpdir = _start_cli(served_db, tmp_path)
    try:
        process.send_signal(sig)
        assert process.wait(30) == 0, process.stderr.read().decode()[-2000:]
        assert not _running(child)
        assert not _port_open(port)
        assert list(tmpdir.iterdir()) == []
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


@linux_only
def test_datasette_dies_with_a_killed_serve_and_the_next_sweep_removes_the_file(served_db, tmp_path):
    process, port, child, tmpdir = _start_cli(served_db, tmp_path)
    try:
        process.kill()
        process.wait(30)
        assert _eventually(lambda: not _running(child), 30)  # PR_SET_PDEATHSIG: SIGTERM when the parent died
        assert _eventually(lambda: not _port_open(port), 10)
        [left] = list(tmpdir.iterdir())  # nothing could clean up after SIGKILL...
        assert sweep_metadata(tmpdir) == 1 and not left.exists()  # ...so the next serve sweeps it
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_sweep_keeps_metadata_of_running_serve_processes(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    mine = tmp_path / f"govreports-meta-{os.getpid()}-abc.json"
    gone = tmp_path / f"govreports-meta-{dead}-def.json"
    other = tmp_path / "govreports-meta-notapid.json"
    for path in (mine, gone, other):
        path.write_text("{}")
    assert sweep_metadata(tmp_path) == 1
    assert mine.exists() and not gone.exists() and other.exists()
    assert sweep_metadata(tmp_path / "absent") == 0  # a temporary directory not made yet: nothing to sweep


def test_a_metadata_file_that_cannot_be_written_is_an_error_line(served_db, tmp_path):
    """`serve --metadata DIR` (or a file in a folder that does not exist) ended in a Python traceback; it is one
    line naming the file, exit 1, and no Datasette is started."""
    from typer.testing import CliRunner

    from storehelp import cli_app

    for target in (tmp_path, tmp_path / "absent" / "meta.json"):
        result = CliRunner().invoke(cli_app(), ["serve", "--db", str(served_db), "--port", str(_free_port()),
                                                "--metadata", str(target)])
        assert result.exit_code == 1, result.output
        assert f"error: cannot write the metadata to {target}" in result.output
        assert "Traceback" not in result.output and "dashboard:" not in result.output


def test_a_port_in_use_is_said_before_datasette_starts(served_db, tmp_path):
    """A port another server listens on: serve printed `dashboard: http://127.0.0.1:PORT/…` (a link to that other
    server), then uvicorn's "address already in use" and exited 3, a code it does not document. It now says the
    port is in use, exit 1, and prints no link."""
    from typer.testing import CliRunner

    from storehelp import cli_app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app(), ["serve", "--db", str(served_db), "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"error: cannot listen on 127.0.0.1 port {port}: address already in use" in result.output
    assert "dashboard:" not in result.output


def test_port_0_serves_on_a_free_port_and_the_link_names_it():
    """`serve --port 0` printed `dashboard: http://127.0.0.1:0/…`: a link that leads nowhere. The port is chosen
    before Datasette starts, and the link names it."""
    from govreports.serve.launch import listen_port

    port = listen_port("127.0.0.1", 0)
    assert port > 0 and listen_port("127.0.0.1", port) == port  # free: chosen, and still free to take


@pytest.mark.parametrize("stem", ["年报 v2.1"])
def test_the_dashboard_loads_its_data_whatever_the_database_file_is_called(served_db, tmp_path, stem):
    """datasette-dashboards fetches each chart's rows from `/{db}.json?sql=…`, the database's name put in as it
    is, and Datasette names a database after its file: for 年报.db, `my reports.db` or `reports.v2.db` Datasette
    routes the name only tilde-encoded, so every chart's data came from a 404 page (in Chromium: "Unexpected token
    '<'", every chart blank). Such a database is served under a plain name, the one the metadata gives it."""
    import shutil

    db = tmp_path / f"{stem}.db"
    shutil.copy(served_db, db)
    port = _free_port()
    process = serve(db, port=port, metadata_out=tmp_path / "meta.json", stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(process, base)
        meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
        chart = meta["plugins"]["datasette-dashboards"]["overview"]["charts"]["reports"]
        [named] = meta["databases"]
        assert chart["db"] == named
        # the URL as the plugin's script builds it (getDataUrl), as the browser sends it
        url = f"{base}/{quote(chart['db'])}.json?sql={quote(chart['query'])}&year=&province=&_shape=objects"
        assert _get_json(url)["rows"][0]["n"] > 0
        with urllib.request.urlopen(f"{base}/-/dashboards/overview", timeout=5) as page:
            assert page.status == 200
    finally:
        process.terminate()
        process.wait(10)
