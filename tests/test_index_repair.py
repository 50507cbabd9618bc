"""A damaged full-text index is rebuilt from the stored sections, and the write it failed goes through
(store.index_repair): the index is derived data, and one bad page of it failed every changed report of a crawl
(a traceback, exit 1), while searches found nothing without a word."""

from __future__ import annotations

import pytest

from crawlhelp import crawl_demo, mismatches, site_truth
from govreports.demo import DemoPortal
from govreports.store.fts import search_sections
from govreports.store.index_repair import damaged_search_indexes, with_search_indexes_mended

PHRASE = "信息公开工作"


def _lose_the_index_s_segments(db) -> None:
    """Overwrite the FTS5 structure record (rowid 10 of its data table), as a disk error or a copy taken
    mid-write would: the index forgets every segment, stays consistent in itself, and finds nothing."""
    db.execute("UPDATE sections_fts_data SET block = x'00010203' WHERE id = 10")
    db.conn.commit()


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(seed=5).start(port=0)
    yield p
    p.stop()


def test_a_crawl_over_a_damaged_search_index_rebuilds_it_and_loads_every_report(tmp_path, portal, capfd):
    db, _ = crawl_demo(portal, tmp_path, portals=("demo-gbk",))
    found = len(search_sections(db, PHRASE, limit=500))
    assert found > 0 and damaged_search_indexes(db) == []
    _lose_the_index_s_segments(db)
    assert search_sections(db, PHRASE, limit=500) == [] and damaged_search_indexes(db) == ["sections_fts"]
    report = next(r for r in portal.reports if r.kind == "html" and r.url.startswith(portal.url("/gbk/")))
    portal.edit(report.id)
    _, summary = crawl_demo(portal, tmp_path, db=db, portals=("demo-gbk",))
    assert summary.total("changed") == 1 and summary.total("failed") == 0
    assert mismatches(db, site_truth(portal, "gbk")) == []
    assert damaged_search_indexes(db) == [] and len(search_sections(db, PHRASE, limit=500)) >= found
    err = capfd.readouterr().err
    assert "warning: the search index sections_fts of the database " in err and "was rebuilt from the stored" in err


def test_only_a_damaged_index_is_rebuilt_and_only_once(tmp_path, portal):
    import sqlite3

    db, _ = crawl_demo(portal, tmp_path, portals=("demo-gbk",))
    calls = []

    def fails(error):
        def write():
            calls.append(error)
            raise error
        return write

    with pytest.raises(sqlite3.IntegrityError):  # no index is damaged: a statement's own error, raised as it came
        with_search_indexes_mended(db, fails(sqlite3.IntegrityError("constraint failed")))
    with pytest.raises(sqlite3.OperationalError):  # a busy or full database: never a reason to read the index
        with_search_indexes_mended(db, fails(sqlite3.OperationalError("database is locked")))
    assert len(calls) == 2
    _lose_the_index_s_segments(db)
    calls.clear()
    with pytest.raises(sqlite3.IntegrityError):  # rebuilt, tried once more, failed again: raised, no third try
        with_search_indexes_mended(db, fails(sqlite3.IntegrityError("constraint failed")))
    assert len(calls) == 2 and damaged_search_indexes(db) == []


def test_an_index_damaged_so_that_only_searches_fail_is_named_and_mended_by_repair_index(tmp_path, portal):
    """Segments scrambled: writes append new segments and go through, so no crawl rebuilds the index, and
    `search` ended "the database is damaged … restore it from a backup" for a sound database. It now names the
    search index and the command that rebuilds it."""
    import sqlite3

    from crawlhelp import run_cli

    db, _ = crawl_demo(portal, tmp_path, portals=("demo-gbk",))
    found = len(search_sections(db, PHRASE, limit=500))
    # every segment page's header pointing past its end: corrupt to every reader, every time (random bytes, as
    # before, now and then read as a page, and the search went through)
    db.execute("UPDATE sections_fts_data SET block = X'FFFFFFFF' || substr(block, 5) WHERE id > 10")
    db.conn.commit()
    with pytest.raises(sqlite3.DatabaseError):
        search_sections(db, PHRASE, limit=500)
    path = tmp_path / "reports.db"
    done = run_cli("search", PHRASE, "--db", str(path))
    assert done.returncode == 74 and done.stderr.startswith(f"error: the search index of the database {path} is "
                                                            "damaged (")
    assert f"`govreports repair-index --db {path}` rebuilds it from the stored sections" in done.stderr
    repaired = run_cli("repair-index", "--db", str(path))
    assert repaired.returncode == 0, repaired.stderr
    assert repaired.stdout.startswith(f"{path}: search index sections_fts was damaged; rebuilt from the stored")
    assert len(search_sections(db, PHRASE, limit=500)) == found and damaged_search_indexes(db) == []
    again = run_cli("repair-index", "--db", str(path))
    assert again.returncode == 0 and again.stdout.strip() == f"{path}: search index sound"


def test_a_malformed_index_page_met_by_a_write_is_mended_too(tmp_path, portal):
    """The other way a damaged index fails a write: "database disk image is malformed" (SQLITE_CORRUPT_VTAB)."""
    import sqlite3

    db, _ = crawl_demo(portal, tmp_path, portals=("demo-gbk",))
    _lose_the_index_s_segments(db)
    malformed = sqlite3.DatabaseError("database disk image is malformed")
    malformed.sqlite_errorname = "SQLITE_CORRUPT_VTAB"
    calls = []

    def write():
        calls.append(1)
        if len(calls) == 1:
            raise malformed
        return "written"

    assert with_search_indexes_mended(db, write) == "written" and len(calls) == 2
    assert damaged_search_indexes(db) == []
