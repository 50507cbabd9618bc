"""Full-text search in Chinese: trigram FTS for 3+ characters, LIKE for 1–2, current versions only."""

from __future__ import annotations

import copy
import json
import re

import pytest
from typer.testing import CliRunner

from govreports.query.agencies import AgencyNotFound
from govreports.store import connect, load_record, search_sections
from govreports.store.snippets import hits as hits_of, marked, snippet_spans

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
    assert {h["agency"] for h in search_sections(db, "公开", agency="甲市 教育局")} == {"甲市教育局"}
    assert search_sections(db, "信息公开", year=2021, agency="甲市教育局")[0]["section"] == "1"
    # part of a name is a suggestion, never a silent filter (query.agencies: one rule for every command)
    with pytest.raises(AgencyNotFound, match="no agency '甲市'; did you mean 甲市教育局?"):
        search_sections(db, "公开", agency="甲市")


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


def test_search_of_a_database_with_no_report_says_so(tmp_path):
    """A database with no report yet (a crawl that found nothing, the wrong --db) answered a search "0 rows", exit
    0: no report says these words. It says the database has no reports, exit 1, as `analyze` does."""
    connect(tmp_path / "empty.db").__enter__().close()
    result = CliRunner().invoke(cli_app(), ["search", "复议", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 1 and "the database has no reports yet" in result.output, result.output


# As people type it ------------------------------------------------------------------------------------------------

def test_several_words_without_quotes_find_sections_with_all_of_them_in_any_order(tmp_path):
    path = known_db_path(tmp_path)
    runner = CliRunner()
    for words in (["案件", "复议", "公开"], ["公开", "复议", "案件"], ["公开 复议", "案件"]):
        out = runner.invoke(cli_app(), ["search", *words, "--db", str(path), "-f", "json"])
        assert out.exit_code == 0, out.output
        assert [(r["agency"], r["section"]) for r in json.loads(out.stdout)] == [("甲市教育局", "4")], words
    none = runner.invoke(cli_app(), ["search", "案件", "复议", "平台", "--db", str(path), "-f", "json"])
    assert json.loads(none.stdout) == []
    partial = runner.invoke(cli_app(), ["search", "公开", "--agency", "教育", "--db", str(path)])
    assert partial.exit_code == 1 and partial.stderr == "error: no agency '教育'; did you mean 甲市教育局?\n"
    assert runner.invoke(cli_app(), ["search", " ", "--db", str(path)]).exit_code == 2


BODY = ("根据《中华人民共和国政府信息公开条例》规定，现将本机关2020年度政府信息公开工作情况报告如下。本年度发生"
        "政府信息公开行政复议案件2件，均已办结，维持原行政行为1件，其他结果1件。依申请公开工作稳步推进，全年共"
        "收到申请16件，均在法定期限内答复，未发生因信息公开引起的行政诉讼。")


def test_snippets_start_at_a_clause_and_mark_every_word():
    text, spans = snippet_spans(BODY, ["复议"])
    assert text.startswith("…本年度发生政府信息公开行政复议")  # after the sentence end, not 30 characters back
    assert marked(text, spans).startswith("…本年度发生政府信息公开行政**复议**案件2件")
    assert text.endswith("。") or text.endswith("…")
    text, spans = snippet_spans(BODY, ["依申请", "诉讼"])
    assert text.startswith("…依申请公开") and marked(text, spans).count("**") == 4
    # no clause mark near the word: the snippet starts at the word itself, never inside a run of characters
    long = "甲" * 200 + "行政复议" + "乙" * 200
    text, spans = snippet_spans(long, ["复议"])
    assert text.startswith("…复议") and spans == [(1, 3)]
    latin = "x " + "a" * 60 + " ICP备12345678号 复议"
    assert snippet_spans(latin, ["12345678"])[0].startswith("…ICP备12345678")
    assert snippet_spans("短文本，复议。", ["复议"]) == ("短文本，复议。", [(4, 6)])
    # the snippet shows as many of the words as one can: not the first 复议, alone, but the one beside 诉讼
    text = "行政复议一件。" + "其他工作正常开展。" * 20 + "本年度行政复议和行政诉讼各一件。" + "其他。" * 40
    assert marked(*snippet_spans(text, ["复议", "诉讼"])).startswith("…本年度行政**复议**和行政**诉讼**各一件。")


def test_search_table_highlights_and_json_marks(tmp_path):
    path = known_db_path(tmp_path)
    out = CliRunner().invoke(cli_app(), ["search", "复议", "--agency", "甲市教育局", "--db", str(path), "-f", "csv"])
    assert out.exit_code == 0
    assert out.stdout.splitlines()[1].endswith("本年度发生政府信息公开行政**复议**案件2件。")
    table = CliRunner().invoke(cli_app(), ["search", "复议", "--db", str(path)])
    assert table.exit_code == 0 and "行政复议案件" in table.stdout and "**" not in table.stdout


# Newest first, through the window ---------------------------------------------------------------------------------

def test_the_window_finds_what_the_full_search_finds(tmp_path, monkeypatch):
    """Every way through find_sections (a rare word through the index, the newest WINDOW reports, every report
    when the filters select no more, the full search when the window holds too few) gives the full search's rows
    in its order."""
    from govreports.demo.records import make_record
    from govreports.store import fts
    from govreports.store.load import load_records

    with connect(tmp_path / "w.db") as db:
        load_records(db, [*KNOWN, *(make_record(i, f"测试市第{i % 7}局", 2019 + i % 5) for i in range(40))])
        full = lambda q, **kw: db.execute(*fts.search_query(q, 5, **kw)).fetchall()  # noqa: E731
        ways = []
        for window, rare in ((3, 0), (3, 10**6), (1000, 0), (25, 0)):
            monkeypatch.setattr(fts, "WINDOW", window)
            monkeypatch.setattr(fts, "RARE", rare)
            for q, kw in (("政府信息公开", {}), ("复议", {}), ("公开 复议", {}), ("信息公开", {"year": 2021}),
                          ("行政复议 决定", {}), ("不存在的词", {}), ("公开", {"year": 2020}), ("ＰＤＦ", {})):
                seen: list[str] = []

                def execute(sql, params):
                    seen.append(sql)
                    return db.execute(sql, params).fetchall()

                assert fts.find_sections(execute, q, 5, **kw) == full(q, **kw), (window, rare, q, kw)
                ways.append((window, rare, q, len(seen), "OFFSET" in seen[-1] or "r.year > ?" in seen[-1]))
        assert len(full("政府信息公开")) == 5
        by_window = {(w, r, q): (n, within) for w, r, q, n, within in ways}
        assert by_window[(3, 0, "政府信息公开")] == (3, True)         # count, edge, window: enough found there
        assert by_window[(3, 10**6, "政府信息公开")][0] == 2           # rare by the index: straight to the full search
        assert by_window[(1000, 0, "政府信息公开")] == (3, False)      # fewer reports than the window: all of them
        assert by_window[(3, 0, "行政复议 决定")][0] == 8              # too few in the window: m012's counts, the full search
        # (8: 决定 is in no tail or heading here, so its tails-and-headings count is not asked)
        assert by_window[(3, 0, "ＰＤＦ")][0] == 1                     # a cased letter LIKE does not fold: the index


def test_a_rare_short_word_is_found_through_the_trigram_index_as_the_full_search_finds_it(tmp_path, monkeypatch):
    """1–2 character words at the very start and end of a body and of a heading, in a body shorter than three
    characters, in ASCII of either case, alone, together and with long words, with year and agency filters, and
    absent everywhere: the rows (order, snippets) of the full search, read through m012 (Short), whether the word
    is rare (straight there) or common (after the window)."""
    from govreports.demo.records import make_record
    from govreports.store import fts
    from govreports.store.load import load_records

    with connect(tmp_path / "r.db") as db:
        load_records(db, [*KNOWN, *(make_record(i, f"测试市第{i % 7}局", 2019 + i % 5) for i in range(40))])
        ids = [r[0] for r in db.execute("SELECT id FROM sections ORDER BY id")]
        edits = [("督察开头", "监督在开头的正文。", ids[0]), ("结尾在监督", "正文的结尾是监督", ids[1]),
                 ("一、情况", "督", ids[2]), ("二、情况", "核查", ids[3]), ("三、情况", "正文写着 Xy 与 PDF。", ids[4]),
                 ("鉴", "正文中间有监督和核查两个词。", ids[-1])]
        for heading, body, sid in edits:
            db.execute("UPDATE sections SET heading = ?, body = ? WHERE id = ?", [heading, body, sid])
        agency = db.execute("SELECT r.agency_id FROM sections s JOIN reports r ON r.current_version_id = s.version_id"
                            " WHERE s.id = ?", [ids[-1]]).fetchone()[0]
        full = lambda q, **kw: db.execute(*fts.search_query(q, 5, **kw)).fetchall()  # noqa: E731
        listed = []
        for rare in (fts.RARE, 1, 0):  # 1: a word found anywhere is common, its tails and headings few if none
            monkeypatch.setattr(fts, "RARE", rare)
            monkeypatch.setattr(fts, "WINDOW", 3)
            for q, kw in (("监督", {}), ("督", {}), ("督察", {}), ("察", {}), ("鉴", {}), ("核查", {}), ("查", {}),
                          ("xy", {}), ("XY", {}), ("pd", {}), ("f。", {}), ("xy pd", {}), ("pd 正文写着", {}),
                          ("监督 核查", {}), ("监督 政务公开", {}),
                          ("正文的结尾 督", {}), ("监督", {"year": 2019}), ("监督", {"agency_id": agency}),
                          ("公开", {}), ("公开", {"year": 2020}), ("龘", {}), ("龘龘", {}), ("监督 龘", {})):
                seen: list[str] = []

                def execute(sql, params):
                    seen.append(sql)
                    return db.execute(sql, params).fetchall()

                want = full(q, **kw)
                assert fts.find_sections(execute, q, 5, **kw) == want, (rare, q, kw)
                listed += [q for sql in seen if "FROM sections_fts_vocab WHERE" in sql]  # common: after the window
                if rare and any(len(w) >= 3 for w in q.split()):  # a rare long word: its index, as before
                    continue
                assert any("sections_fts_vocab_instance" in sql for sql in seen), (rare, q)  # m012's way taken
                if rare > 1 and q != "公开":  # rare: the short word's candidates, never every section
                    assert fts.search_query(q, 5, **kw)[0] not in seen, q
        assert {"xy", "XY", "pd", "xy pd", "pd 正文写着"} <= set(listed)  # (the others have a tail or a heading)
        assert [r[3] for r in full("监督")] and not full("龘")
        assert {r[0] for r in full("察")} and len(full("xy")) == len(full("XY")) == 1
        # snippets are made from the same rows: the same results
        monkeypatch.setattr(fts, "RARE", 2000)
        for q in ("监督", "督", "鉴", "监督 核查"):
            want = hits_of(db.execute(*fts.search_query(q, 50)).fetchall(), fts.search_terms(q))
            assert search_sections(db, q) == [dict(zip(fts.COLUMNS, h)) for h in want]


def test_without_m012_short_words_read_every_section(tmp_path):
    """A database from before m012 (no vocabulary tables) is still searched, the old way."""
    from govreports.store import fts

    with connect(tmp_path / "o.db") as db:
        for rec in KNOWN:
            load_record(db, rec)
        db.execute("DROP TABLE sections_fts_vocab_instance")
        seen: list[str] = []

        def execute(sql, params):
            seen.append(sql)
            return db.execute(sql, params).fetchall()

        assert fts.find_sections(execute, "复议", 50) == db.execute(*fts.search_query("复议", 50)).fetchall()
        assert len(fts.find_sections(execute, "复议", 50)) == 2



def test_a_rare_short_word_stays_on_its_indexes_once_analyze_has_counted_them(tmp_path):
    """After ANALYZE on a national database (few distinct tails and headings: ~80,000 and ~290,000 sections
    each), SQLite chose to scan every section for the lists of a rare word's tails and headings (0.2 ms -> 0.9 s at
    300,000 reports). With those statistics, no statement of a rare word's search reads the sections table whole."""
    from govreports.demo.records import make_record
    from govreports.store import fts
    from govreports.store.load import load_records

    with connect(tmp_path / "a.db") as db:
        load_records(db, [*KNOWN, *(make_record(i, f"测试市第{i % 7}局", 2019 + i % 5) for i in range(20))])
        ids = [r[0] for r in db.execute("SELECT id FROM sections ORDER BY id")]
        db.execute("UPDATE sections SET heading = '督察开头', body = '正文的结尾是监督' WHERE id = ?", [ids[0]])
        db.execute("ANALYZE")
        db.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'sections'")
        db.conn.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('sections', ?, ?)",
                            [("sections_tail", "1755019 79774"), ("sections_heading_end", "1755019 292504"),
                             ("sections_version", "1755019 6"), (None, "1755019")])
        db.execute("ANALYZE sqlite_schema")  # read the statistics again
        for q in ("监督", "督", "监督 核查", "龘"):
            seen: list[tuple] = []

            def execute(sql, params):
                seen.append((sql, params))
                return db.execute(sql, params).fetchall()

            assert fts.find_sections(execute, q, 5) == db.execute(*fts.search_query(q, 5)).fetchall(), q
            assert any("sections_fts_vocab_instance" in sql for sql, _ in seen), q  # the rare word's way
            for sql, params in seen:
                plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
                assert not [p for p in plan if re.match(r"SCAN (sections|s)\b", p)], (q, sql, plan)


def test_two_common_short_words_meet_in_the_index_when_one_is_in_a_standard_heading(tmp_path, monkeypatch):
    """复议 is in the standard heading of every section 四 and 情况 ends five of the six; with a second common word
    that the newest reports hold too rarely with them, the search intersects the words in the index (m013: headings
    in it, a heading's last two characters through its last trigram) instead of reading every section (2.6 s at
    300,000 reports), with the full search's rows."""
    from govreports.demo.records import make_record
    from govreports.store import fts
    from govreports.store.load import load_records

    with connect(tmp_path / "h.db") as db:
        load_records(db, [*KNOWN, *(make_record(i, f"测试市第{i % 7}局", 2019 + i % 5) for i in range(40))])
        sid = db.execute("SELECT s.id FROM sections s JOIN reports r ON r.current_version_id = s.version_id"
                         " ORDER BY s.id DESC").fetchone()[0]
        db.execute("UPDATE sections SET heading = '况', body = '只在标题里' WHERE id = ?", [sid])  # a short heading
        four = db.execute("SELECT s.id FROM sections s JOIN reports r ON r.current_version_id = s.version_id"
                          " WHERE s.section = '4' ORDER BY s.id LIMIT 1").fetchone()[0]
        db.execute("UPDATE sections SET body = '本年度开展了应诉培训。' WHERE id = ?", [four])  # 复议 in its heading
        monkeypatch.setattr(fts, "RARE", 5)  # every word here is common
        monkeypatch.setattr(fts, "WINDOW", 3)
        for q in ("复议 开展", "情况 开展", "复议 情况", "况 标题", "议、 开展", "复议 开展 政务公开"):
            seen: list[str] = []

            def execute(sql, params):
                seen.append(sql)
                return db.execute(sql, params).fetchall()

            want = db.execute(*fts.search_query(q, 5)).fetchall()
            assert fts.find_sections(execute, q, 5) == want, q
            assert fts.search_query(q, 5)[0] not in seen, q  # never every section
            assert any("FROM sections_fts WHERE sections_fts MATCH" in sql for sql in seen[-1:]), q
        assert [r[5] for r in db.execute(*fts.search_query("况 标题", 5))] == ["只在标题里"]
        assert [r[5] for r in db.execute(*fts.search_query("复议 开展", 50))] == ["本年度开展了应诉培训。"]
        assert len(db.execute(*fts.search_query("情况 开展", 50)).fetchall()) > 1


def test_long_words_are_still_looked_for_in_the_body_only(db):
    """The index holds headings (m013), the search's long words keep to the body; Datasette's search box, which
    matches the index without a column filter, finds a heading too."""
    from govreports.store import fts

    assert db.execute("SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"总体情况\"'").fetchone()[0] > 0
    assert hits(db, "总体情况") == []
    assert hits(db, "情况") != []  # a short word: in the heading too, as before
    seen: list[str] = []

    def execute(sql, params):
        seen.append(sql)
        return db.execute(sql, params).fetchall()

    # no body has it: the index's count says so, and the full search, which would ask the index again, is not run
    assert fts.find_sections(execute, "总体情况 公开", 50) == [] and len(seen) == 1


def test_a_database_from_before_m013_is_searched_and_upgraded(tmp_path):
    """Searched read-only before it is upgraded (its index has no headings: short words the full way, the same
    rows); opened, it gets the heading column, filled, kept up to date by the triggers."""
    from sqlite_utils import Database

    from govreports.store import fts
    from govreports.store.load import load_records
    from govreports.store.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m013_headings_in_search_index")
    old.execute("ALTER TABLE report_versions ADD COLUMN undated_sha TEXT")  # today's loader writes it (m022)
    load_records(old, [{**r, "checks": []} for r in KNOWN])  # this loader writes checks where m015 puts them
    queries = ("复议", "公开 复议", "情况", "行政复议 决定", "信息公开")
    before = {q: fts.run_search(path, q, 50) for q in queries}
    assert before["复议"] and before["情况"]
    assert fts._short_words(lambda sql, p: old.execute(sql, p).fetchall(), ["复议"]) == []
    old.close()
    with connect(path) as db:
        assert {q: fts.find_sections(lambda sql, p: db.execute(sql, p).fetchall(), q, 50) for q in queries} == before
        assert "heading" in db["sections_fts"].columns_dict
        db.execute("INSERT INTO sections_fts(sections_fts, rank) VALUES ('integrity-check', 1)")
        match = "SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?"
        sid = db.execute("SELECT id FROM sections ORDER BY id").fetchone()[0]
        db.execute("UPDATE sections SET heading = '新的标题行' WHERE id = ?", [sid])
        assert db.execute(match, ['heading : "新的标题"']).fetchall() == [(sid,)]
        assert "sections_heading" not in {i.name for i in db["sections"].indexes}


def test_the_text_after_a_nul_character_is_searched(tmp_path):
    """A section whose text holds a NUL (a text file or a PDF's text with one; the parser keeps it): SQLite's LIKE,
    length() and the trigram tokenizer end a text at a NUL, so nothing after it was ever found, by a long word or
    a short one. The stored section holds U+FFFD in its place (as an HTML page's &#0; reads), and the rest is
    found; the record's hash is the record's, so loading it again changes nothing."""
    record = copy.deepcopy(KNOWN[0])
    record["sections"] = {"1": "前言\x00后面的文字说明依申请公开办理情况", "5": "存在问题\x00\x00复议"}
    with connect(tmp_path / "n.db") as db:
        loaded = load_record(db, copy.deepcopy(record))
        assert hits(db, "后面的文字") == hits(db, "依申请 前言") == [("甲市教育局", 2020, "1")]
        assert hits(db, "复议") == [("甲市教育局", 2020, "5")]
        assert db.execute("SELECT body FROM sections WHERE section = '1'").fetchone() == (
            "前言\ufffd后面的文字说明依申请公开办理情况",)
        assert load_record(db, copy.deepcopy(record)).status == "unchanged"
        assert load_record(db, copy.deepcopy(record)).version_id == loaded.version_id
