"""A crawl over a disk that fills: the database or the archive cannot be written. The run stops (every further
write would fail), says so in one line naming what could not be written, and exits 74 (EX_IOERR), not 1 ("some
portals could not be reached") or 0; the next run, with room again, stores every report, none twice."""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT
from govreports.cli import main
from govreports.crawl import events
from govreports.fetch import archive
from govreports.store.db import open_db
from storehelp import sqlite_full


@pytest.fixture
def crawl_command(demo_portal, tmp_path, monkeypatch, capsys):
    """`govreports crawl` of one demo portal into tmp_path, run in this process: returns (exit code, stderr)."""
    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", str(demo_portal.port))

    def run(portal: str, db: str = "full.db") -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["govreports", "crawl", "--config", str(ROOT / "config" / "demo.toml"),
                                          "--portal", portal, "--db", str(tmp_path / db), "--archive",
                                          str(tmp_path / "archive"), "--no-progress"])
        with pytest.raises(SystemExit) as ended:
            main()
        return ended.value.code, capsys.readouterr().err

    return run


def _reports(path, reposts: dict[str, str] | None = None) -> list[tuple]:
    """The reports' sources, years, titles, formats; a re-post's source as its original's (`reposts`: the demo's
    （超链版） and its plain PDF, whichever a crawl read first, is the report's source)."""
    rows = open_db(path).execute("SELECT source_key, year, title, format FROM reports").fetchall()
    return sorted(((reposts or {}).get(url, url), *rest) for url, *rest in rows)


def test_a_database_that_cannot_be_written_stops_the_crawl_with_its_own_exit_code(crawl_command, demo_portal,
                                                                                 tmp_path, monkeypatch):
    real = events.apply_events
    monkeypatch.setattr(events, "apply_events", sqlite_full)
    code, err = crawl_command("demo-govcn")
    assert code == 74, err
    assert f"error: could not write the database {tmp_path / 'full.db'}: database or disk is full" in err
    assert "crawl events not stored" in err and "Traceback" not in err
    assert _reports(tmp_path / "full.db") == []
    monkeypatch.setattr(events, "apply_events", real)
    assert crawl_command("demo-govcn")[0] == 0
    govcn = {u for u in demo_portal.ground_truth() if "/govcn/" in u}
    assert len(_reports(tmp_path / "full.db")) == len(govcn)


def test_a_full_disk_outside_the_crawls_batches_names_the_database(crawl_command, tmp_path, monkeypatch):
    """A write outside the batches (the run's own row, begun before any portal) meeting a full disk ended the
    command "could not write the database: database or disk is full", naming no file: the command's database is
    named as the batches' error names it."""
    from govreports.crawl import pipeline

    monkeypatch.setattr(pipeline, "begin_run", sqlite_full)
    code, err = crawl_command("demo-govcn")
    assert code == 74, err
    assert err.startswith(f"error: could not write the database {tmp_path / 'full.db'}: database or disk is full")
    assert "Traceback" not in err


@pytest.mark.parametrize("room", [0, 6], ids=["list-page", "report-pages"])
def test_an_archive_that_cannot_be_written_stops_the_crawl_as_a_full_database_does(crawl_command, demo_portal,
                                                                                    tmp_path, monkeypatch, room):
    """The archive's disk fills at once (its first file is a list page) or after a few files: rather than each
    later page recorded against its URL ("internal" failures, the portal "unreachable")."""
    real = archive.Archive._publish
    written = []

    def fills_up(self, name, data, whole=False):
        if len(written) >= room:
            raise OSError(28, os.strerror(28))
        written.append(name)
        return real(self, name, data, whole)

    monkeypatch.setattr(archive.Archive, "_publish", fills_up)
    code, err = crawl_command("demo-ordos")
    assert code == 74, err
    assert f"error: could not write the archive {tmp_path / 'archive'}: [Errno 28] No space left on device" in err
    assert "Traceback" not in err and "could not be reached" not in err
    check = open_db(tmp_path / "full.db")
    assert check.execute("SELECT count(*) FROM fetch_log WHERE kind = 'internal'").fetchone()[0] == 0
    assert len(_reports(tmp_path / "full.db")) < max(room, 1)  # the first file is the list page
    monkeypatch.setattr(archive.Archive, "_publish", real)
    assert crawl_command("demo-ordos")[0] == 0
    assert crawl_command("demo-ordos", db="clean.db")[0] == 0  # a run that never met a full disk
    expected = _reports(tmp_path / "clean.db", demo_portal.reposts())
    assert len(expected) > 15 and _reports(tmp_path / "full.db", demo_portal.reposts()) == expected


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_database_file_removed_during_the_crawl_stops_it_rather_than_report_all_loaded(crawl_command, tmp_path,
                                                                                         monkeypatch, demo_portal,
                                                                                         how):
    """`rm` of the database (or a backup restored with `mv`) during a run: SQLite writes on to the file it opened,
    which no longer has that name, and the crawl ended "all new", exit 0, with nothing under the name."""
    real = events.apply_events
    db = tmp_path / "full.db"
    if how == "replaced":
        open_db(tmp_path / "backup.db").close()

    def removed_first(*args, **kwargs):
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
        if how == "replaced":
            os.replace(tmp_path / "backup.db", db)
        monkeypatch.setattr(events, "apply_events", real)
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "apply_events", removed_first)
    code, err = crawl_command("demo-govcn")
    assert code == 74, err
    assert f"error: the database file {db} was removed or replaced during the run" in err and "Traceback" not in err
    assert crawl_command("demo-govcn")[0] == 0  # the next run builds a new file with every report
    assert len(_reports(db)) == len({u for u in demo_portal.ground_truth() if "/govcn/" in u})


def test_a_reparse_over_a_full_database_stops_naming_it(crawl_command, tmp_path, monkeypatch):
    """The re-parse writes its records in batches: a batch that meets a full disk stops it with the database's
    path in the one line (StorageError, exit 74), as the crawl's writes do."""
    from govreports.errors import StorageError
    from govreports.runs import reparse as runs_reparse

    assert crawl_command("demo-govcn")[0] == 0
    monkeypatch.setattr(runs_reparse, "load_records", sqlite_full)
    db = tmp_path / "full.db"
    with pytest.raises(StorageError, match=f"could not write the database {db}: database or disk is full; the "
                                           "re-parse stops here"):
        runs_reparse.reparse(open_db(db), tmp_path / "archive", parser=None)
