"""Full-text search in Chinese: trigram FTS for 3+ characters, LIKE for 1–2, current versions only."""

from __future__ import annotations

import copy

import pytest

from govreports.store import load_record, open_db, search_sections
from storehelp import KNOWN


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "s.db")
    for rec in KNOWN:
        load_record(database, rec)
    return database


def hits(db, q):
    return sorted((h["agency"], h["year"], h["section"]) for h in search_sections(db, q))


def test_four_character_query_uses_the_trigram_index(db):
    assert hits(db, "信息公开") == [("甲市教育局", 2020, "1"), ("甲市教育局", 2020, "4"), ("甲市教育局", 2021, "1")]
    fts = db.execute("SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"信息公开\"'").fetchone()[0]
    assert fts == 3


def test_two_character_query_falls_back_to_like(db):
    # the trigram index cannot match two characters: this is why the LIKE fallback exists
    assert db.execute("SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"复议\"'").fetchone()[0] == 0
    assert hits(db, "复议") == [("乙县财政局", 2020, "5"), ("甲市教育局", 2020, "4")]
    assert hits(db, "公开") == [("丙区卫生健康委员会", 2021, "1"), ("乙县财政局", 2020, "5"),
                              ("甲市教育局", 2020, "1"), ("甲市教育局", 2020, "4"), ("甲市教育局", 2021, "1")]


def test_mixed_terms_and_no_match(db):
    assert hits(db, "政务公开 平台") == [("甲市教育局", 2021, "1")]
    assert hits(db, "不存在的词") == []
    assert hits(db, '"引号') == []  # user input is quoted, not FTS syntax


def test_only_current_versions_are_searched(db):
    edited = copy.deepcopy(KNOWN[2])
    edited["sections"] = {"5": "问题已整改。"}
    assert load_record(db, edited).status == "changed"
    assert hits(db, "复议") == [("甲市教育局", 2020, "4")]
    assert hits(db, "已整改") == [("乙县财政局", 2020, "5")]
