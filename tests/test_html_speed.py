"""The HTML hot path's shortcuts give exactly what the plain forms give (issue 12, part 4)."""

from __future__ import annotations

import random
import unicodedata

from govreports.parse.normalize import _nfkc

_POOL = [chr(c) for c in [*range(0x20, 0x7F), 0x0A, 0x301, 0x308, 0x300, 0x327, 0x323, 0x3099, 0x309A, 0xFF08,
                          0xFF09, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF11, 0x3000, 0xA0, 0x1100, 0x1161, 0x11A8, 0xAC00,
                          0x4E00, 0x6C49, 0xF900, 0x2460, 0xFB01, 0x212B, 0x304B, 0x30AB, 0xFF76, 0xFF9E, 0x2F00,
                          0x3251, 0x1E0A]]


def test_partial_nfkc_is_nfkc():
    rng = random.Random(12)
    for _ in range(20000):
        s = "".join(rng.choice(_POOL) for _ in range(rng.randint(0, 10)))
        assert _nfkc(s) == unicodedata.normalize("NFKC", s), repr(s)
    text = ("（二）部分公开（区分处理的）１２３，ｅ\u0301 ＡＢＣ　本年新制作数量：１；\n"
            "結果維持ｶﾞ，\u0301")
    assert _nfkc(text) == unicodedata.normalize("NFKC", text)


def test_common_folds_are_single_stable_ascii_characters():
    """_nfkc replaces the full-width punctuation of every sentence before NFKC: sound only because each one's NFKC
    form is one ASCII character, which NFKC leaves as it is and nothing composes onto."""
    from govreports.parse.normalize import _COMMON_FOLDS

    assert {wide for wide, _ in _COMMON_FOLDS} >= {"，", "（", "）", "：", "\u3000"}
    for wide, folded in _COMMON_FOLDS:
        assert folded == unicodedata.normalize("NFKC", wide) and len(folded) == 1 and folded.isascii()
        for mark in ("\u0301", "\u0338", "\u3099", "\u1161"):
            assert _nfkc(wide + mark) == unicodedata.normalize("NFKC", wide + mark)


def test_partial_nfkc_leaves_alone_only_what_nothing_composes_onto():
    """The punctuation _nfkc does not normalise is NFKC-stable, no combining mark, and never the second character of a
    canonical composition (every code point's decomposition read, Hangul jamo added); text mixing it with marks,
    jamo, full-width forms and compatibility characters comes out as NFKC of the whole."""
    from govreports.parse.normalize import _STABLE_PUNCTUATION

    seconds = {chr(c) for c in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]}  # composed by rule, not by data
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    stable = set(_STABLE_PUNCTUATION)
    assert {"、", "。", "《", "》", "“", "”", "—"} <= stable and not stable & seconds
    assert all(unicodedata.normalize("NFKC", c) == c and not unicodedata.combining(c) for c in stable)
    pool = _POOL + sorted(stable) + ["\u2026", "\uff0c", "\u3000", "\u2002"]  # … and ， and spaces do change
    rng = random.Random(13)
    for _ in range(20000):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        assert _nfkc(s) == unicodedata.normalize("NFKC", s), repr(s)


def test_match_key_spaces_are_the_pattern_s_over_every_code_point():
    """normalize._drop_spaces removes exactly what the one pattern did: every whitespace but the separator, and the
    zero-width space and BOM."""
    import re

    from govreports.parse.normalize import _drop_spaces

    pattern = re.compile(r"[^\S\n]+|[\u200b\ufeff]+")
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rng = random.Random(6)
    rng.shuffle(chars)
    for i in range(0, len(chars), 40):
        for text in ("a " + "".join(chars[i:i + 40]) + "\n b", " \u200b\n一" + chars[i] + "\ufeff\u3000"):
            assert _drop_spaces(text) == pattern.sub("", text), repr(text)


def test_html_clean_is_the_whitespace_pattern_over_every_code_point():
    """extract.html._clean's str.split() shortcut folds exactly the whitespace its pattern folds, the characters
    that show nothing (text.INVISIBLE) dropped."""
    from govreports.extract.html import _WS, _clean
    from govreports.text import INVISIBLE

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rng = random.Random(5)
    rng.shuffle(chars)
    for i in range(0, len(chars), 40):
        for text in ("a" + "".join(chars[i:i + 40]) + " b", "".join(chars[i:i + 3]), " \u200b 一" + chars[i] + "\ufeff"):
            assert _clean(text) == _WS.sub(" ", INVISIBLE.sub("", text)).strip(), repr(text)


def test_check_detail_numbers_are_written_as_before():
    """validate.checks._fmt's int shortcut writes what the float round trip wrote."""
    from govreports.validate.checks import _fmt

    def plain(n):
        return "null" if n is None else (str(int(n)) if float(n).is_integer() else str(n))

    rng = random.Random(9)
    values = [None, True, False, 0, -0.0, 2.5, 1e16, 3.0, 10**30, -7, *(rng.randint(-10**6, 10**6) for _ in range(500)),
              *(rng.uniform(-1e6, 1e6) for _ in range(500))]
    assert [_fmt(v) for v in values] == [plain(v) for v in values]


def test_chrome_date_test_is_the_one_pattern():
    """extract.html's header/footer date test, split in two patterns, says what the single pattern said."""
    import re

    from govreports.extract.html import _WEEKDAY, _YEARISH

    one = re.compile(r"(?:19|20)\d{2}\s*[-年/.]|^\s*(?:星期|礼拜)")
    pool = ["1", "9", "2", "0", "5", " ", "\u3000", "\n", "年", "-", "/", ".", "星期", "礼拜", "星", "日", "a"]
    rng = random.Random(14)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    assert any(one.search(t) for t in texts) and not all(one.search(t) for t in texts)
    for text in texts:
        assert bool(_YEARISH.search(text) or _WEEKDAY.match(text)) == bool(one.search(text)), repr(text)


def _real_pages() -> list[str]:
    from conftest import require_samples

    return [p.read_text("utf-8") for p in sorted((require_samples() / "html").glob("*.html"))]


def _word_page() -> str:
    from govreports.render import to_html
    from strategies import record_fixture

    return to_html(record_fixture("2019"), style="word")


def test_dropping_unread_attributes_before_the_parse_changes_no_block(monkeypatch):
    """extract.html drops the attributes it never reads (style, width, valign, nowrap, align, lang, class=Mso…, …)
    before libxml2 sees a page: every real page, a Word export, and values holding quotes of the other kind, angle
    brackets and "style=", quoted and unquoted attributes, a chrome class beside a Mso one, rowspans and text
    that looks like an attribute give the blocks and meta they gave with every attribute kept."""
    import re

    from govreports.extract import html

    tricky = ("<html><head><meta name=\"ArticleTitle\" content=\"报告 width=3 lang=x\"></head><body>"
              "<div class=\"header\" align=center><p class=MsoNormal>2025年12月30日 星期二</p></div>"
              "<div class='TRS_Editor' width=\"100%\"><p style='font-family:\"宋体\";mso-x:\"a>b<c\"'>一、总体情况</p>"
              "<p style=\"font-family:'仿宋'\" class=MsoNormal align=\"center\">本机关 style=normal 的说明"
              "<span lang=EN-US style=''>12</span> 宽度 width=3 与 nowrap 和 align=center 两词</p>"
              "<p class=\"MsoNormal top\" nowrap=\"nowrap\">二、主动公开政府信息情况 style 和 style= 两词</p>"
              "<p>Cross border trade, text align center, lang nowrap and height width (English words)</p>"
              "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=559>"
              "<tr><td width=219 nowrap valign=top style='width:10%'>行政许可</td>"
              "<td width=\"75\" nowrap=\"nowrap\" rowspan=2 valign=\"middle\" style=\"x:'>'\">3</td></tr>"
              "<tr><td width=219 nowrap>其他</td><td width=75 colspan=2><p class=MsoNormal align=center>"
              "<span lang=EN-US>4</span></p></td></tr>"
              "</table></div><div class=footer><p class=MsoNormal>2024年 版权所有</p></div></body></html>")
    pages = _real_pages() + [_word_page(), tricky]
    dropped = [html.extract_html(page) for page in pages]
    assert sum(page.count(" style=") for page in pages) > 500  # the pages do carry style attributes
    assert sum(page.count(" nowrap") + page.count(" align=") for page in pages) > 500  # and the others
    monkeypatch.setattr(html, "_UNREAD_ATTRS", re.compile(r"(?!)"))  # matches nothing: every attribute kept
    for page, fast in zip(pages, dropped):
        kept = html.extract_html(page)
        assert [(b.cells, b.is_row) for b in fast.blocks] == [(b.cells, b.is_row) for b in kept.blocks]
        assert fast.meta == kept.meta
    last = dropped[-1]
    assert any("本机关 style=normal 的说明12 宽度 width=3 与 nowrap 和 align=center 两词" in b.cells for b in last.blocks)
    # English words the names of attributes, in text: a pattern that took a bare name for an attribute dropped them
    assert any("Cross border trade, text align center, lang nowrap and height width (English words)" in b.cells
               for b in last.blocks)
    assert [b.cells for b in last.blocks if b.is_row] == [["行政许可", "3"], ["其他", "", "4"]]
    assert last.meta["title"] == "报告 width=3 lang=x" and "2024年 版权所有" in last.meta["_chrome"]


def test_owners_within_the_report_region_are_its_elements():
    """extract.html._within answers, walking up, what membership in the region's every element answers."""
    from lxml import etree

    from govreports.extract import html

    pages = _real_pages() + [_word_page()]
    regions = 0
    for page in pages:
        root = etree.fromstring(page, html._PARSER)
        walker = html._Walker()
        walker.walk(root.find("body"))
        walker.flush()
        owners = walker.owners + [None, root, root.find("body")]
        for region in {*(el for el in root.iter("div", "td", "table")), root.find("body")}:
            inside = set(region.iter())
            assert html._within(owners, region) == [o in inside for o in owners]
            regions += 1
    assert regions > 50


def test_run_together_is_each_table_s_test_key_by_key():
    """parse.runs.run_together, one pass over the keys joined, finds the tables the key-by-key tests find (a table
    is run together when one key holds its word and the rest of its test), keys holding the separator included."""
    import re

    from govreports.parse.runs import _ACTIVE_LABELS, _DIGIT, run_together

    def one_by_one(keys, table):
        for key in keys:
            if table == "active" and "信息内容" in key and _DIGIT.search(key) \
                    and len({item for item, ws in _ACTIVE_LABELS.items() if any(w in key for w in ws)}) >= 2:
                return True
            if table == "applications" and "本年新收" in key and "上年结转" in key:
                return True
            if table == "review_litigation" and "结果维持" in key and re.search(r"(?:总计|审结)[+\-]?\d", key):
                return True
        return False

    pool = ["信息内容", "规章", "行政许可", "本年新收", "上年结转", "结果维持", "总计", "审结", "1", "-", "+", "\n", "其他", ""]
    rng = random.Random(15)
    seen = set()
    for _ in range(20000):
        keys = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 6))]
        expected = frozenset(t for t in ("active", "applications", "review_litigation") if one_by_one(keys, t))
        assert run_together(keys) == expected, keys
        seen |= expected
    assert seen == {"active", "applications", "review_litigation"}


def test_match_keys_of_cells_holding_the_separator():
    """normalize.annotate joins the cells with newlines; a cell holding one (no extract.html cell does) is keyed as
    the cell with a space there, one key a cell, as before the join skipped that replacement."""
    from govreports.extract.document import Block
    from govreports.parse.normalize import annotate, to_key

    blocks = [Block(["一、总体\n情况"]), Block(["本年新收", "1\n2", ""], is_row=True), Block(["結果維持"])]
    annotate(blocks)
    assert [b.keys for b in blocks] == [["一、总体情况"], ["本年新收", "12", ""], ["结果维持"]]
    assert [k for b in blocks for k in b.keys] == [to_key(c.replace("\n", " ")) for b in blocks for c in b.cells]


def test_split_run_together_keeps_short_documents_and_cuts_long_paragraphs():
    """sections.split_run_together answers at once for a document without a long cell (the same blocks, in a new
    list) and still cuts a run-together paragraph at its headings."""
    from govreports.extract.document import Block
    from govreports.parse.sections import _BLOB, split_run_together

    short = [Block(["一、总体情况"]), Block(["规章", "1"], is_row=True)]
    out = split_run_together(short)
    assert out == short and out is not short and all(a is b for a, b in zip(out, short))
    blob = "一、总体情况" + "本机关认真贯彻落实条例。" * (_BLOB // 10) + "二、主动公开政府信息情况" + "公开。" * 5
    cut = split_run_together(short + [Block([blob])])
    assert [b.cells[0] for b in cut[2:]][:1] == ["一、总体情况"] and any(b.cells == ["二、主动公开政府信息情况"] for b in cut)


def test_checks_are_the_rules_written_plainly():
    """validate.checks.evaluate, which reads each row once, gives the checks of R1–R4 written out plainly, on records
    with blanks, floats, bools and missing rows and cells."""
    from govreports import schema
    from govreports.validate.checks import _check, evaluate

    def plain(record):
        fmt, apps, review, out = record.get("format"), record.get("applications"), record.get("review_litigation"), []
        cols = schema.APPLICANT_COLUMNS
        if apps and fmt in schema.TABLE_FORMATS:
            cell = lambda row, col: apps.get(row, {}).get(col)  # noqa: E731
            out += [_check("R1", f"applications.{c}", [cell("new", c), cell("carried_in", c)],
                           [cell("total", c), cell("carried_out", c)]) for c in cols]
            out += [_check("R2", f"applications.{c}", [cell("total", c)],
                           [cell(r, c) for r in schema.OUTCOME_ROWS[fmt]]) for c in cols]
            out += [_check("R3", f"applications.{r}", [cell(r, "total")], [cell(r, c) for c in cols[:-1]])
                    for r in schema.APPLICATION_ROWS[fmt]]
        if review:
            out += [_check("R4", f"review_litigation.{g}", [review.get(g, {}).get("total")],
                           [review.get(g, {}).get(m) for m in schema.REVIEW_MEASURES[:-1]])
                    for g in schema.REVIEW_GROUPS]
        return out

    rng = random.Random(16)
    values = [None, 0, 1, 2, 3.0, 2.5, True, -1, 10**20]
    for _ in range(2000):
        fmt = rng.choice([*schema.TABLE_FORMATS, "unknown"])
        record = {"format": fmt}
        if rng.random() < 0.9:
            record["applications"] = {
                row: {c: rng.choice(values) for c in schema.APPLICANT_COLUMNS if rng.random() < 0.9}
                for row in schema.APPLICATION_ROWS.get(fmt, schema.APPLICATION_ROWS["2021"]) if rng.random() < 0.9}
        if rng.random() < 0.9:
            record["review_litigation"] = {
                g: {m: rng.choice(values) for m in schema.REVIEW_MEASURES if rng.random() < 0.9}
                for g in schema.REVIEW_GROUPS if rng.random() < 0.9}
        assert evaluate(record) == plain(record)


def test_dated_blocks_are_those_either_date_pattern_finds():
    """extract.html._dated, the texts joined and searched at once, names the texts _YEARISH or _WEEKDAY finds one
    by one, texts holding a NUL included."""
    from govreports.extract.html import _WEEKDAY, _YEARISH, _dated

    pool = ["1", "9", "2", "0", "5", " ", "\t", "\n", "年", "-", "/", "星期", "礼拜", "日", "a", "\0", ""]
    rng = random.Random(17)
    for _ in range(5000):
        texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(0, 6))]
        assert _dated(texts) == [i for i, t in enumerate(texts) if _YEARISH.search(t) or _WEEKDAY.match(t)], texts


def test_an_all_blank_table_three_is_read_by_its_header():
    """parse.tables.read_applications (its header test on the labels joined) reads a table 三 whose every value is
    blank when a header label holds 勾稽关系 or is 申请人情况, and nothing without such a header."""
    from govreports.extract.document import Block
    from govreports.parse.normalize import annotate
    from govreports.parse.tables import read_applications

    def table(header):  # text lines, labels without values (a table row would count as the table's anyway)
        blocks = [Block([header]), Block(["自然人"]), Block(["一、本年新收政府信息公开申请数量"])]
        annotate(blocks)
        return read_applications(blocks, "2021")

    for header in ("（本列数据的勾稽关系为：第一项加第二项之和）", "申请人情况"):
        read = table(header)
        assert read is not None and all(v is None for cols in read.values() for v in cols.values()), header
    assert table("申请人情况说明") is None and table("申请人") is None


def test_table_two_header_found_by_its_core():
    """parse.tables.read_active finds the 信息内容 header by the labels' cores (numbering and notes dropped) also
    where a note splits the word, behind its shortcut that skips the cores of rows lacking its characters."""
    from govreports.extract.document import Block
    from govreports.parse.normalize import annotate
    from govreports.parse.tables import read_active

    for header in ("信息内容", "（一）信息(注)内容"):
        # the header's order is not the form's: read without it, the numbers would go to the wrong columns
        blocks = [Block([header, "现行有效件数", "本年制发件数", "本年废止件数"], is_row=True),
                  Block(["规章", "3", "1", "2"], is_row=True)]
        annotate(blocks)
        assert read_active(blocks, "2021")["rules"] == {"issued": 1, "repealed": 2, "in_force": 3}, header


def test_whole_characters_looks_for_surrogates_in_c_and_pairs_them_as_before():
    """text.whole_characters reads every data file's and RTF document's text: it looked for a surrogate a character
    at a time in Python (3.6 ms for 85,000 characters; a pattern in C, 0.26 ms). The same answers: the text itself
    when it holds none, each pair one character, a lone one U+FFFD."""
    from govreports.text import whole_characters

    class NotWalked(str):  # a text that must not be walked a character at a time in Python
        def __iter__(self):
            raise AssertionError("walked character by character")

    plain = NotWalked("政府信息公开工作年度报告 2021\n" * 100)
    assert whole_characters(plain) is plain
    assert whole_characters(NotWalked("a\ud83d\ude00b\ud840\udc0b")) == "a\U0001f600b\U0002000b"
    assert whole_characters(NotWalked("a\ud83db\ude00")) == "a\ufffdb\ufffd"
    for cp in (0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000):
        text = "x" + chr(cp)
        assert whole_characters(text) == (text if not 0xD800 <= cp <= 0xDFFF else "x\ufffd")
