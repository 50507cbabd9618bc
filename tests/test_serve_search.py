"""Datasette's canned query search_sections is the search `govreports search` runs (store.fts.find_sections:
the trigram index for rare words, short ones included; the newest reports first for common ones), bounded."""

from __future__ import annotations

import sqlite3

import pytest

from govreports.serve.metadata import build_metadata
from govreports.store import connect, search_sections
from storehelp import known_db_path


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    path = known_db_path(tmp_path_factory.mktemp("canned"))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    from govreports.serve.datasette_main import SearchFunction

    SearchFunction().prepare_connection(conn)  # as Datasette prepares each of its connections  # as Datasette prepares each of its connections
    yield path, conn
    conn.close()


def _canned() -> str:
    return build_metadata("x")["databases"]["x"]["queries"]["search_sections"]["sql"]


def test_the_canned_search_reads_no_section_in_order_and_is_bounded(known):
    """A LIKE over every section (no index, no LIMIT) read the whole table for a rare word: 0.78 s at 25,000
    reports, past Datasette's 3 s time limit at 300,000."""
    _, conn = known
    sql = _canned()
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, {"q": "复议"})]
    assert not [p for p in plan if p.startswith(("SCAN r", "SCAN s", "SEARCH s"))], plan
    assert "LIMIT" in sql.upper() or "govreports_search(:q, " in sql


@pytest.mark.parametrize("q", ["复议", "依申请", "行政复议", "不存在的词", "公", "", "  "])
def test_the_canned_search_returns_the_search_commands_rows(known, q):
    path, conn = known
    with connect(path) as db:
        want = [tuple(h.values()) for h in search_sections(db, q, limit=200)]
    got = conn.execute(_canned(), {"q": q}).fetchall()
    assert got == want
