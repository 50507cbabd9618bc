"""Exit codes a scheduler can trust: portals that cannot be reached are named for what went wrong, make the run
partial (exit 1) or, when none could be reached, failed (exit 3)."""

from __future__ import annotations

import socket

import pytest

from govreports.demo import DemoPortal
from govreports.runs.verdict import EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_PARTIAL, judge
from govreports.store.db import open_db
from crawlhelp import run_cli as govreports


def test_judge():
    ok = {"portal": "a", "outcome": "ok"}
    partial = {"portal": "b", "outcome": "partial", "failures": {"http": 2}}
    down = {"portal": "c", "outcome": "unreachable", "failures": {"dns": 3}}
    assert judge([ok, partial]).exit_code == EXIT_OK and judge([ok, partial]).line is None
    verdict = judge([ok, down])
    assert verdict.exit_code == EXIT_PARTIAL and verdict.line == "1 of 2 portal(s) could not be reached: c (dns ×3)"
    assert judge([down]).exit_code == EXIT_NOTHING_FETCHED and "every portal failed: c (dns ×3)" in judge([down]).line
    assert judge([ok], problems=["a"]).exit_code == EXIT_PARTIAL  # a health error (column moved) is a problem too
    moved = {"portal": "a", "outcome": "ok", "health": "empty, overdue"}
    assert judge([moved, partial]).line == "health check failed for a (see `govreports status`)"
    assert judge([{**moved, "health": "overdue"}]).exit_code == EXIT_OK  # a warning is not a failed run
    # config files of a directory that could not be used: their portals were not crawled, whatever the others did
    verdict = judge([ok], unusable=[("c/x.toml", "c/x.toml: not valid TOML"), ("c/y.toml", "c/y.toml: …")])
    assert verdict.exit_code == EXIT_PARTIAL
    assert verdict.line == "2 config file(s) could not be used, so their portals were left out: c/x.toml, c/y.toml"
    verdict = judge([down], unusable=[("c/x.toml", "c/x.toml: not valid TOML")])
    assert verdict.exit_code == EXIT_NOTHING_FETCHED
    assert verdict.line.endswith("; 1 config file(s) could not be used, so their portals were left out: c/x.toml")
    # a backfill has a row per (portal, year): the portal is down only when no year reached it
    years = [{**down, "portal": "b"}, {**ok, "portal": "b"}, down, {**down, "failures": {"refused": 5}}]
    verdict = judge(years)
    assert verdict.exit_code == EXIT_PARTIAL and verdict.line == "1 of 2 portal(s) could not be reached: c (refused ×5)"


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=0).start(port=0)
    yield p
    p.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp_path, portals: str) -> str:
    path = tmp_path / "portals.toml"
    path.write_text("[politeness]\nper_host_delay = 0\nretries = 1\nbackoff_base = 0.05\ntotal_timeout = 5\n"
                    "[safety]\nallow_private_addresses = true\n" + portals, encoding="utf-8")
    return str(path)


def _portal(name: str, start_url: str) -> str:
    return f'[[portal]]\nname = "{name}"\nadapter = "trs"\nstart_url = "{start_url}"\n'


@pytest.mark.parametrize("command", ["crawl", "nightly"])
def test_an_unreachable_portal_or_a_config_file_that_cannot_be_used_makes_the_run_partial(tmp_path, portal, command,
                                                                                         prefect_home):
    """A typo in one portal's file of a config directory stopped every portal of the directory (exit 2, nothing
    crawled): whoever added that portal cost all the others their night. Now that file's portals are left out,
    named on stderr, and the others are crawled; the run is partial (exit 1), as it is for an unreachable portal."""
    folder = tmp_path / "portals"
    folder.mkdir()
    (folder / "a.toml").write_text(open(_config(tmp_path, _portal(
        "good", portal.url("/ordos/zwgk/xxgknb/index.html")) + _portal(
        "closed", f"http://127.0.0.1:{_closed_port()}/zwgk/xxgknb/index.html"))).read(), encoding="utf-8")
    (folder / "b.toml").write_text('[[portal]\nname = "typo"\n', encoding="utf-8")
    db = tmp_path / "r.db"
    options = ["--no-progress"] if command == "crawl" else []
    done = govreports(command, "--config", str(folder), "--db", str(db), "--archive", str(tmp_path / "a"), *options)
    assert done.returncode == EXIT_PARTIAL, done.stderr
    lines = done.stderr.splitlines()
    # named once, at the start: by the command, or by the nightly flow's log (it also named it a second time)
    [named] = [line for line in lines if line.endswith("; its portals are left out of this run")]
    assert f"{folder / 'b.toml'}: not valid TOML: " in named
    if command == "crawl":
        assert named == lines[0] and named.startswith("error: ")
    else:
        assert " | ERROR " in named
    warnings = [line for line in lines if line.startswith("warning:")]  # (Prefect logs too)
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: 1 of 2 portal(s) could not be reached: closed (refused")
    assert warnings[0].endswith(f"; 1 config file(s) could not be used, so their portals were left out: "
                                f"{folder / 'b.toml'}")
    # the run's row keeps the file and why, and `status` says so: the left-out portals' rows show only older runs
    import json

    [(left_out,)] = open_db(db).execute("SELECT left_out FROM runs").fetchall()
    [entry] = json.loads(left_out)
    assert entry["file"] == str(folder / "b.toml") and entry["reason"].startswith(f"{folder / 'b.toml'}: not valid")
    status = govreports("status", "--db", str(db))
    line = f"left out 1 config file(s), so their portals were not crawled: {folder / 'b.toml'}: not valid TOML"
    assert line in " ".join(status.stdout.split())
    if command == "crawl":  # a run of one named portal says nothing of the files: it does not hide them
        assert govreports("crawl", "--config", str(folder), "--portal", "good", "--db", str(db), "--archive",
                          str(tmp_path / "a"), "--no-progress").returncode == 0
        assert line in " ".join(govreports("status", "--db", str(db)).stdout.split())
        (folder / "b.toml").unlink()  # mended: the next run over the directory leaves none out, and status agrees
        govreports("crawl", "--config", str(folder), "--db", str(db), "--archive", str(tmp_path / "a"),
                   "--no-progress")
        assert "left out" not in govreports("status", "--db", str(db)).stdout
    database = open_db(db)
    assert database.execute("SELECT count(*) FROM reports").fetchone()[0] > 0  # the good portal was loaded
    kinds = {k for (k,) in database.execute("SELECT kind FROM issues WHERE portal = 'closed'")}
    assert kinds == {"refused"}  # named for what happened, not "robots.txt disallows"


def test_no_reachable_portal_fails_the_run(tmp_path):
    config = _config(tmp_path, _portal("nowhere", "http://no-such-portal.invalid/zwgk/xxgknb/index.html")
                     + _portal("closed", f"http://127.0.0.1:{_closed_port()}/xxgknb/index.html"))
    db = tmp_path / "r.db"
    done = govreports("crawl", "--config", config, "--db", str(db), "--archive", str(tmp_path / "a"),
                      "--no-progress")
    assert done.returncode == EXIT_NOTHING_FETCHED, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: nothing could be fetched: every portal failed:")
    assert "nowhere (dns" in last and "closed (refused" in last
    rows = dict(open_db(db).execute("SELECT portal, kind FROM issues").fetchall())
    assert rows == {"nowhere": "dns", "closed": "refused"}


def test_a_run_of_named_portals_or_a_config_check_and_a_directory_of_no_usable_file(tmp_path, portal):
    folder = tmp_path / "portals"
    folder.mkdir()
    good = _portal("good", portal.url("/ordos/zwgk/xxgknb/index.html"))
    (folder / "a.toml").write_text(open(_config(tmp_path, good)).read(), encoding="utf-8")
    (folder / "b.toml").write_text('[[portal]]\nname = "typo"\nadapter = "trs"\n', encoding="utf-8")
    db = str(tmp_path / "r.db")
    named = govreports("crawl", "--config", str(folder), "--portal", "good", "--dry-run", "--db", db)
    assert named.returncode == EXIT_OK and "b.toml" not in named.stderr  # the run never needed that file
    check = govreports("crawl", "--config", str(folder), "--check")
    assert check.returncode == 2  # --check is asked whether every file is right
    assert check.stderr.strip() == f"error: {folder / 'b.toml'}: portal[0].start_url: Field required"
    missing = govreports("crawl", "--config", str(folder), "--portal", "typo", "--dry-run", "--db", db)
    assert missing.returncode == 2 and missing.stderr.strip() == (
        "error: no portal named 'typo' in the usable files (have: good); it may be in a file that could not be "
        f"used: {folder / 'b.toml'}: portal[0].start_url: Field required")
    (folder / "a.toml").write_text("[[portal]]\n", encoding="utf-8")
    none = govreports("crawl", "--config", str(folder), "--db", db)
    assert none.returncode == 2 and str(folder / "a.toml") in none.stderr and str(folder / "b.toml") in none.stderr
    assert not (tmp_path / "r.db").exists()  # nothing ran


@pytest.mark.parametrize("command", [["reparse"], ["backfill", "--years", "2020", "--dry-run"]])
def test_a_reparse_or_a_backfill_plan_over_a_directory_with_a_file_left_out_exits_1(tmp_path, prefect_home, command):
    """They exited 0, as if the directory had been read whole: a re-parse left the file's portals' documents as
    they were (and said their portals were not in the config), and a plan had no partition of them."""
    folder = tmp_path / "portals"
    folder.mkdir()
    (folder / "a.toml").write_text(_portal("good", "http://good.gov.cn/"), encoding="utf-8")
    (folder / "b.toml").write_text('[[portal]]\nname = "typo"\nadapter = "trs"\n', encoding="utf-8")
    open_db(tmp_path / "r.db").close()  # a re-parse needs a database
    done = govreports(*command, "--config", str(folder), "--db", str(tmp_path / "r.db"), "--archive",
                      str(tmp_path / "a"))
    assert done.returncode == EXIT_PARTIAL, done.stderr
    lines = done.stderr.splitlines()
    # named once, as an error: by the flow's log (a backfill's plan is read without a flow: by the command)
    [named] = [line for line in lines if line.endswith("; its portals are left out of this run")]
    reason = f"{folder / 'b.toml'}: portal[0].start_url: Field required; its portals are left out of this run"
    if "--dry-run" in command:
        assert named == f"error: {reason}"
    else:
        assert " | ERROR " in named and named.endswith(f" - {reason}")
    # the command's last line; on a loaded machine Prefect's own log may still follow it as the process exits
    # ('… | WARNING | prefect._internal.concurrency - EventsWorker - Still processing items: 2 items remaining…')
    ours = [line for line in lines if " | " not in line]
    assert ours[-1] == (f"warning: 1 config file(s) could not be used, so their portals were left out: "
                        f"{folder / 'b.toml'}"), lines[-5:]


@pytest.mark.parametrize("command", ["nightly", "backfill", "reparse", "crawl"])
def test_a_bad_config_is_a_usage_error_before_anything_runs(tmp_path, command):
    done = govreports(command, "--config", str(tmp_path / "missing.toml"), "--db", str(tmp_path / "r.db"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path / 'missing.toml'}: cannot read: No such file or directory"
    assert not (tmp_path / "r.db").exists() and not (tmp_path / "prefect").exists()  # nothing started


def test_parse_workers_are_shared_between_concurrent_portal_tasks(monkeypatch):
    """Each portal task's crawl starts its own parse workers: by default the concurrent tasks share the cores
    (one worker per core in all), rather than each taking one per core and each worker its own memory cap."""
    from govreports.runs import jobs

    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 8)
    assert jobs.mode("threads").parse_workers == 8
    assert jobs.mode("threads", concurrent_tasks=4).parse_workers == 2
    assert jobs.mode("threads", concurrent_tasks=16).parse_workers == 1  # never none
    assert jobs.mode("threads", 3, concurrent_tasks=4).parse_workers == 3  # an explicit count wins
    assert jobs.mode("dask") == jobs.Mode(True, 1)


def test_a_reparse_that_could_not_reparse_says_so_in_its_exit_code(tmp_path):
    """It exited 0 with every archived body missing (a mistyped --archive), and a mistyped --db created an empty
    database and re-parsed nothing, exit 0."""
    from govreports.runs.reparse import reparse_verdict

    row = {"documents": 10, "changed": 0, "new": 0, "unchanged": 7, "failed": 1, "missing": 2, "skipped": 0}
    partial = reparse_verdict(row, "data/archive")
    assert partial.exit_code == EXIT_PARTIAL
    assert partial.line == ("3 of 10 document(s) could not be re-parsed: 1 failed, 2 missing from the archive "
                            "data/archive (each is in fetch_log, against its URL)")
    nothing = reparse_verdict({**row, "unchanged": 0, "missing": 9}, "x", [("c/b.toml", "c/b.toml: …")])
    assert nothing.exit_code == EXIT_NOTHING_FETCHED and nothing.line.startswith("nothing could be re-parsed: 10 of")
    assert nothing.line.endswith("; 1 config file(s) could not be used, so their portals were left out: c/b.toml")
    assert reparse_verdict({**row, "failed": 0, "missing": 0}, "x").exit_code == EXIT_OK
    done = govreports("reparse", "--db", str(tmp_path / "typo.db"), "--archive", str(tmp_path / "a"))
    assert done.returncode == 1 and not (tmp_path / "typo.db").exists()
    assert done.stderr.strip() == (f"error: no database at {tmp_path / 'typo.db'}: a re-parse reads the reports a "
                                   "crawl or a load stored")


def test_a_reparse_whose_config_names_none_of_the_database_s_portals_reparsed_nothing_and_says_so():
    """`govreports reparse --db data/demo.db` after a demo crawl (the default config/portals names no demo portal):
    every document skipped, nothing re-parsed, and the run exited 0 beside its warning, as if it had re-parsed the
    database. Now it fails (exit 3, as when no document could be re-parsed); some portals skipped (a config of a
    subset) stay a warning, exit 0; an empty database has nothing to re-parse, exit 0."""
    from govreports.runs.reparse import reparse_verdict

    row = {"documents": 115, "changed": 0, "new": 0, "unchanged": 0, "failed": 0, "missing": 0, "skipped": 115}
    nothing = reparse_verdict(row, "data/archive")
    assert nothing.exit_code == EXIT_NOTHING_FETCHED
    assert nothing.line == ("nothing was re-parsed: the config names none of the portals of the 115 loaded "
                            "document(s)")
    assert reparse_verdict({**row, "unchanged": 100, "skipped": 15}, "x").exit_code == EXIT_OK
    assert reparse_verdict({**row, "documents": 0, "skipped": 0}, "x").exit_code == EXIT_OK


def test_a_backfill_whose_partitions_failed_is_partial_naming_them():
    """A backfill exited 0 when partitions it ran ended failed (a column under maintenance, a URL that failed): a
    scheduler never heard that years were left unloaded, and the next default backfill skipped them."""
    from govreports.runs.verdict import with_failed_partitions

    ok = judge([{"portal": "a", "outcome": "ok"}, {"portal": "b", "outcome": "ok"}])
    partial = with_failed_partitions(ok, [("a", 2022), ("b", 2023)], 14)
    assert partial.exit_code == EXIT_PARTIAL and partial.line == (
        "2 of 14 partition(s) failed: a 2022, b 2023 (why: the partitions table's last_error; `backfill --reprocess "
        "failed` runs them again)")
    assert with_failed_partitions(ok, [], 14) == ok
    many = with_failed_partitions(ok, [("a", y) for y in range(2010, 2020)], 10)
    assert many.line.startswith("10 of 10 partition(s) failed: a 2010, a 2011,") and "a 2017 … (why" in many.line
    down = judge([{"portal": "a", "outcome": "unreachable"}])
    assert with_failed_partitions(down, [("a", 2022)], 1) == down  # every portal down says more already


def test_a_reparse_names_the_reports_it_cannot_read_again_because_they_were_loaded_from_files(tmp_path):
    """Reports `govreports load` stored from files have no crawled document in the archive: a re-parse passed over
    them and printed "re-parsed 0 document(s)", as if the database held nothing to re-parse (h4). It now counts
    them and says how to read them with the new parser; reports a crawl loaded are not counted."""
    import copy

    from govreports.runs.reparse import reparse
    from govreports.store import connect, load_record
    from storehelp import expected_records

    record = next(iter(expected_records().values()))
    other = copy.deepcopy(record)
    other["year"] = (record.get("year") or 2020) + 1

    class NoParser:  # no crawled document to parse here
        def parse_many(self, documents):
            return iter(())

    with connect(tmp_path / "t.db") as db:
        loaded = load_record(db, record)
        crawled = load_record(db, other, document={"url": "http://a.gov.cn/r.html", "sha256": "ab" * 32})
        db["items"].insert({"portal": "p", "url": "http://a.gov.cn/r.html", "report_id": crawled.report_id,
                            "status": "duplicate", "first_seen": "2026-01-01", "last_seen": "2026-01-01"})
        summary = reparse(db, tmp_path / "archive", parser=NoParser())
    assert loaded.report_id != crawled.report_id and summary.documents == 0
    assert summary.not_crawled == 1
    assert summary.not_crawled_line() == ("1 report(s) were loaded from files (govreports load), not crawled: a "
                                          "re-parse reads only the crawl's archive; load those files again to read "
                                          "them with this parser")
