"""Full-text search in Chinese: trigram FTS for 3+ characters, LIKE for 1–2, current versions only."""

from __future__ import annotations

import copy

import pytest

from govreports.store import connect, load_record, search_sections
import json

from typer.testing import CliRunner

from storehelp import KNOWN, cli_app, known_db_path


@pytest.fixture
def db(tmp_path):
    with connect(tmp_path / "s.db") as database:
        for rec in KNOWN:
            load_record(database, rec)
        yield database


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


def test_year_and_agency_narrow_the_hits(db):
    assert sorted((h["agency"], h["year"]) for h in search_sections(db, "公开", year=2021)) == [
        ("丙区卫生健康委员会", 2021), ("甲市教育局", 2021)]
    assert {h["agency"] for h in search_sections(db, "公开", agency="甲市")} == {"甲市教育局"}
    assert search_sections(db, "信息公开", year=2021, agency="甲市教育")[0]["section"] == "1"
    assert search_sections(db, "公开", agency="不存在") == []


def test_search_command_reads_the_database_read_only(tmp_path):
    path = known_db_path(tmp_path)
    before = path.read_bytes()
    runner = CliRunner()
    result = runner.invoke(cli_app(), ["search", "复议", "--db", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert sorted((r["agency"], r["year"], r["section"]) for r in rows) == [
        ("乙县财政局", 2020, "5"), ("甲市教育局", 2020, "4")]
    assert all("复议" in r["snippet"] for r in rows)
    table = runner.invoke(cli_app(), ["search", "信息公开", "--year", "2021", "--db", str(path)])
    assert table.exit_code == 0 and "甲市教育局" in table.output and "1 row" in table.output
    assert path.read_bytes() == before
    missing = runner.invoke(cli_app(), ["search", "复议", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "no database" in missing.output
