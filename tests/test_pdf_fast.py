"""The fast PDF path (extract.pdfium) reads what pdfplumber reads: the same blocks, cell for cell and line for line,
and hands a page to pdfplumber only by its stated rules (extract.pdfium.FALLBACK_RULES)."""

from __future__ import annotations

import io

import pytest

from conftest import SAMPLES, require_samples
from govreports.extract import pdfium
from govreports.extract.pdf import extract_pdf
from govreports.extract.pdfium import page as page_objects
from govreports.extract.pdfium import tables as ruled
from govreports.render import to_pdf
from strategies import record_fixture


def _blocks(document):
    return [(b.cells, b.is_row) for b in document.blocks]


def _same_as_pdfplumber(data: bytes) -> str:
    fast, slow = extract_pdf(data), extract_pdf(data, fast=False)
    assert _blocks(fast) == _blocks(slow)
    assert fast.meta.get("doc_title") == slow.meta.get("doc_title")
    assert fast.unreadable == slow.unreadable
    assert slow.meta["pdf_reader"] == "pdfplumber"
    return fast.meta["pdf_reader"]


@pytest.fixture(scope="module")
def report_2021() -> bytes:
    return to_pdf(record_fixture("2021"))


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_rendered_reports_read_by_pdfium_as_pdfplumber_reads_them(fmt, report_2021):
    data = report_2021 if fmt == "2021" else to_pdf(record_fixture(fmt))
    assert _same_as_pdfplumber(data) == "pdfium"


def test_seed_as_text_pdf_and_real_texts_rendered():
    """Lines of spaced cells (no rules), half-width digits ending wrapped lines, one-glyph lines in narrow cells."""
    require_samples()
    from govreports.parse import parse_bytes
    from test_pdf_docx import _text_pdf

    seed = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_text(encoding="utf-8")
    lines = [" ".join(c.strip() for c in raw.split("\t") if c.strip())[:60] for raw in seed.splitlines()]
    assert _same_as_pdfplumber(_text_pdf(lines)) == "pdfium"
    for name in ("29_shanghai_gov_2023.txt", "47_hebei_kjt_2021.txt"):
        record = parse_bytes((SAMPLES / "texts" / name).read_bytes())
        assert _same_as_pdfplumber(to_pdf(record)) == "pdfium", name


def test_box_font_keeps_single_glyph_and_repeated_lines():
    """Without a face for a non-embedded CJK font PDFium drops a one-glyph text object and repeats of a line."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 10)
    c.drawString(72, 700, "开")
    for i in range(3):
        c.drawString(72, 680 - 16 * i, "本年度未收取信息处理费。")
    c.save()
    doc = extract_pdf(buf.getvalue())
    assert "".join(b.cells[0] for b in doc.blocks) == "开" + "本年度未收取信息处理费。" * 3
    assert _same_as_pdfplumber(buf.getvalue()) == "pdfium"


def test_rotated_page_is_read_by_pdfplumber(report_2021):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 10)
    c.drawString(72, 700, "第一页")
    c.showPage()
    c.setPageRotation(90)
    c.setFont("STSong-Light", 10)
    c.drawString(72, 700, "第二页横排")
    c.save()
    assert _same_as_pdfplumber(buf.getvalue()) == "pdfium+pdfplumber"


def test_a_grid_without_a_table_goes_to_pdfplumber(monkeypatch, report_2021):
    """Ruling lines meeting in enough points for two cells, yet no table built: the page is pdfplumber's."""
    monkeypatch.setattr(ruled, "cells", lambda edges: [])
    doc = extract_pdf(report_2021)
    assert doc.meta["pdf_reader"] == "pdfplumber"  # every page of the fixture has a table
    assert _blocks(doc) == _blocks(extract_pdf(report_2021, fast=False))


def test_fallback_rules_on_drawings():
    box = [["h", 0, 0, 100, 0], ["h", 0, 50, 100, 50], ["v", 0, 0, 0, 50], ["v", 100, 0, 100, 50]]
    assert not ruled.grid(box)  # one framed box: four corners, no table to miss
    two = [*box, ["v", 50, 0, 50, 50]]
    assert ruled.grid(two)
    cells = ruled.cells(two)
    assert sorted(cells) == [(0, 0, 50, 50), (50, 0, 100, 50)] and len(ruled.tables(cells)) == 1
    assert ruled.stray_crossings(two, ruled.tables(cells)) == 0
    apart = [*two, *[[o, a + 300, b, c + 300, d] for o, a, b, c, d in two]]
    assert ruled.stray_crossings(apart, ruled.tables(cells)) == 6  # a second grid no table was built from


def test_damaged_pdf_is_left_to_pdfplumber():
    assert pdfium.open_document(b"%PDF-1.4\n" + bytes(range(256)) * 4) is None
    from govreports.demo.hostile import truncated_pdf

    assert pdfium.open_document(truncated_pdf()) is None


def test_pages_drawn_after_a_parse_show_their_text(report_2021):
    """The box font serves extraction only: a page drawn (a demo scan, an OCR image) after a PDF was parsed in the
    same process is drawn with the real fonts, pixel for pixel as one drawn before any parse."""
    import subprocess
    import sys

    script = ("import sys, hashlib; from govreports.demo.documents import scanned_pdf; "
              "from govreports.parse import parse_bytes; data = sys.stdin.buffer.read(); "
              "before = scanned_pdf(data); parse_bytes(data, 'x.pdf'); after = scanned_pdf(data); "
              "print(before == after)")
    done = subprocess.run([sys.executable, "-c", script], input=report_2021, capture_output=True, timeout=120)
    assert done.stdout.strip() == b"True", done.stderr.decode()[-500:]


def test_pdfium_is_used_by_one_thread_at_a_time(report_2021):
    """PDFium is not thread-safe. The demo portal renders its scans (PDFium) in its server's threads, and a test
    process or a single-process crawl parses PDFs (PDFium) beside it: three scans drawn at once, or one beside a
    parse, crashed the process (SIGSEGV in get_page; test_discover's crawl of the drafted configs, 1 run in 3)."""
    import subprocess
    import sys

    script = ("import sys, threading, time; from govreports.demo.documents import scanned_pdf; "
              "from govreports.extract.pdf import extract_pdf; data = sys.stdin.buffer.read(); "
              "stop = time.monotonic() + 1.5\n"
              "def scans():\n    while time.monotonic() < stop: scanned_pdf(data, dpi=30)\n"
              "threads = [threading.Thread(target=scans) for _ in range(3)]\n"
              "for t in threads: t.start()\n"
              "while time.monotonic() < stop: extract_pdf(data)\n"
              "for t in threads: t.join()\n"
              "print('done')")
    done = subprocess.run([sys.executable, "-c", script], input=report_2021, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == b"done", done.stderr.decode()[-800:]


def test_the_record_says_which_reader_read_it(report_2021):
    from govreports.parse import parse_bytes

    assert parse_bytes(report_2021, "r.pdf")["pdf_reader"] in ("pdfium", "pdfium+pdfplumber", "pdfplumber")


def _word_export_pdf() -> bytes:
    """A page drawn as Word's PDF export draws it (淮安 2024): everything at 1/20 scale (here "0.05 0 0 0.05 0 0
    cm"), so every coordinate and every font size is 20 times what is seen: a ruled table of labels and numbers,
    a paragraph above it, a one-glyph cell."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.scale(0.05, 0.05)
    k = 20
    c.setFont("STSong-Light", 16 * k)
    c.drawString(72 * k, 760 * k, "二、主动公开政府信息情况")
    c.setFont("STSong-Light", 10.5 * k)
    c.drawString(72 * k, 736 * k, "本年度主动公开政府信息如下表。")
    rows = [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], ["规章", "1", "0", "11"],
            ["行政规范性文件", "8", "", "66"], ["行", "447228", "3", "0"]]
    xs, top, height = [72, 200, 300, 400, 500], 720, 18
    c.setLineWidth(0.5 * k)
    for r in range(len(rows) + 1):
        c.line(xs[0] * k, (top - r * height) * k, xs[-1] * k, (top - r * height) * k)
    for x in xs:
        c.line(x * k, top * k, x * k, (top - len(rows) * height) * k)
    for r, row in enumerate(rows):
        for col, text in enumerate(row):
            c.drawString((xs[col] + 4) * k, (top - (r + 1) * height + 5) * k, text)
    c.save()
    return buf.getvalue()


def test_a_word_export_drawn_at_a_twentieth_is_read_as_pdfplumber_reads_it():
    """Font sizes are the sizes as drawn (Tf times the matrices' scale), not the Tf operand: read at 20 times
    their height, the characters of a row spread over the rows around it (125 of 200 cells on 淮安 2024)."""
    data = _word_export_pdf()
    assert _same_as_pdfplumber(data) == "pdfium"
    doc = extract_pdf(data)
    assert "pdf_doubts" not in doc.meta
    rows = [b.cells for b in doc.blocks if b.is_row]
    for row in (["规章", "1", "0", "11"], ["行政规范性文件", "8", "", "66"], ["行", "447228", "3", "0"]):
        assert row in rows


def test_the_unconverted_calls_answer_as_pypdfium2s_bindings_do(report_2021):
    """extract.pdfium.page makes the calls it makes for every character, every character measured, every page
    object and every path segment without ctypes' argument checks (half a call's cost): each gives what
    pypdfium2's binding gives, on a page drawn at 1/20 scale and on one with fractional sizes and a ruled table."""
    import ctypes

    import pypdfium2.raw as c

    def address(pointer) -> int | None:
        return ctypes.cast(pointer, ctypes.c_void_p).value

    def fields(structure) -> tuple:
        return tuple(getattr(structure, name) for name, _type in structure._fields_)

    ours, theirs = (c.FS_RECTF(), c.FS_MATRIX(), ctypes.c_float(), ctypes.c_float()), (
        c.FS_RECTF(), c.FS_MATRIX(), ctypes.c_float(), ctypes.c_float())
    calls = {"characters": 0, "objects": 0, "segments": 0}
    for data in (_word_export_pdf(), report_2021):
        page = pdfium.open_document(data)[0]
        textpage = page.get_textpage()
        raw = textpage.raw
        for i in range(c.FPDFText_CountChars(raw)):
            assert page_objects._LOOSE_CHAR_BOX(raw, i, ctypes.byref(ours[0])) == c.FPDFText_GetLooseCharBox(
                raw, i, theirs[0])
            assert page_objects._FONT_SIZE(raw, i) == c.FPDFText_GetFontSize(raw, i)
            text_object = page_objects._TEXT_OBJECT(raw, i)
            assert address(text_object) == address(c.FPDFText_GetTextObject(raw, i))
            assert address(page_objects._FONT(text_object)) == address(c.FPDFTextObj_GetFont(text_object))
            assert page_objects._CHAR_MATRIX(raw, i, ctypes.byref(ours[1])) == c.FPDFText_GetMatrix(raw, i, theirs[1])
            assert (fields(ours[0]), fields(ours[1])) == (fields(theirs[0]), fields(theirs[1]))
            calls["characters"] += 1
        textpage.close()
        for i in range(c.FPDFPage_CountObjects(page.raw)):
            obj = page_objects._PAGE_OBJECT(page.raw, i)
            assert address(obj) == address(c.FPDFPage_GetObject(page.raw, i))
            assert page_objects._OBJECT_TYPE(obj) == c.FPDFPageObj_GetType(obj)
            assert page_objects._OBJECT_MATRIX(obj, ctypes.byref(ours[1])) == c.FPDFPageObj_GetMatrix(obj, theirs[1])
            assert fields(ours[1]) == fields(theirs[1])
            calls["objects"] += 1
            for k in range(c.FPDFPath_CountSegments(obj) if c.FPDFPageObj_GetType(obj) == c.FPDF_PAGEOBJ_PATH else 0):
                segment = page_objects._SEGMENT(obj, k)
                assert address(segment) == address(c.FPDFPath_GetPathSegment(obj, k))
                assert page_objects._SEGMENT_POINT(segment, ctypes.byref(ours[2]), ctypes.byref(ours[3])) == \
                    c.FPDFPathSegment_GetPoint(segment, theirs[2], theirs[3])
                assert (ours[2].value, ours[3].value) == (theirs[2].value, theirs[3].value)
                assert page_objects._SEGMENT_TYPE(segment) == c.FPDFPathSegment_GetType(segment)
                assert page_objects._SEGMENT_CLOSE(segment) == c.FPDFPathSegment_GetClose(segment)
                calls["segments"] += 1
    assert calls["characters"] > 500 and calls["objects"] > 50 and calls["segments"] > 50, calls


def _misread_sizes(monkeypatch) -> None:
    """The fast path as it was before it scaled font sizes: every character 20 times its height."""
    real = page_objects.chars

    def misread(page, left, top, widths=None, textpage=None):
        out = real(page, left, top, widths, textpage)
        return out if isinstance(out, str) else [(c[0], c[1], c[4] - 20 * (c[4] - c[2]), c[3], c[4]) for c in out]

    monkeypatch.setattr(page_objects, "chars", misread)


def test_a_misread_page_says_so(monkeypatch):
    _misread_sizes(monkeypatch)
    doc = extract_pdf(_word_export_pdf())
    assert doc.meta["pdf_doubts"] == "page 1: characters off the page"  # the first lines reach above the top


def test_a_doubted_reading_with_fewer_cells_is_checked_by_pdfplumber(report_2021, monkeypatch):
    """Accuracy never drops for speed: when a reading the fast path doubts leaves form cells unread, pdfplumber
    reads the document too and the reading with more cells wins."""
    from govreports.parse import parse_bytes
    from govreports.parse.api import cells_read_share
    from govreports.parse.report import build_record

    whole = parse_bytes(report_2021, "r.pdf")
    _misread_sizes(monkeypatch)
    fast = extract_pdf(report_2021)
    assert fast.meta["pdf_doubts"] and cells_read_share(build_record(fast, {})) < cells_read_share(whole)
    record = parse_bytes(report_2021, "r.pdf")
    assert record["pdf_reader"] == "pdfplumber"
    assert {k: v for k, v in record.items() if k != "pdf_reader"} == {k: v for k, v in whole.items()
                                                                       if k != "pdf_reader"}


def test_real_blanks_on_an_undoubted_reading_are_read_once(report_2021, monkeypatch):
    """The fixture has blank cells (a report's own blanks): its fast reading has no doubts, so pdfplumber does not
    read it again."""
    from govreports.extract import pdf as pdf_module
    from govreports.parse import parse_bytes
    from govreports.parse.api import cells_read_share

    def no_second_reading(*args, **kwargs):
        raise AssertionError("pdfplumber read the document")

    monkeypatch.setattr(pdf_module, "_plumber_document", no_second_reading)
    record = parse_bytes(report_2021, "r.pdf")
    assert record["pdf_reader"] == "pdfium"
    assert 0.5 < cells_read_share(record) < 1.0


def test_character_boxes_end_at_the_advance_as_pdfminers_do():
    """pdfminer's box ends at the character's advance, PDFium's at its glyph: under negative or positive character
    spacing (Word's compressed punctuation, justified lines) the next character does not start where this one
    ends, so each box's end comes from its font's width, embedded (TrueType) or not (STSong-Light)."""
    import pdfplumber
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n, (font, spacing) in enumerate([("Vera", -1.5), ("Vera", 4), ("STSong-Light", -3), ("STSong-Light", 5)]):
        text = c.beginText(72, 700 - 20 * n)
        text.setFont(font, 10)
        text.setCharSpace(spacing)
        text.textLine("1111 7171 2024 11.1 ill" + (" 本年度（一）" if font != "Vera" else ""))
        c.drawText(text)
    c.save()
    data = buf.getvalue()
    page = pdfium.open_document(data)[0]
    left, _bottom, _right, top = page.get_mediabox()
    fast = [ch for ch in page_objects.chars(page, left, top) if not ch[0].isspace()]
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        slow = [ch for ch in pdf.pages[0].chars if not ch["text"].isspace()]
    assert [ch[0] for ch in fast] == [ch["text"] for ch in slow]
    off = [(a[0], a[1], a[3], b["x0"], b["x1"]) for a, b in zip(fast, slow)
           if abs(a[1] - b["x0"]) > 0.2 or abs(a[3] - b["x1"]) > 0.2]
    assert not off
    assert _same_as_pdfplumber(data) == "pdfium"


def test_words_are_pdfplumbers_words_ligatures_blanks_and_gaps_included():
    """extract.pdfium.lines builds words as pdfplumber's WordExtractor does with its defaults, on characters laid
    out at random: lines within 3 pt, blanks, gaps over 3 pt, characters out of order, and ligatures (ﬁ → fi)
    expanded, alone or inside a word. (The PDF tests' reports have no ligature, so this is what checks them.)"""
    import random

    from pdfplumber.utils.text import WordExtractor

    from govreports.extract.pdfium.lines import words

    rng = random.Random(5)
    ligatures = 0
    for _ in range(300):
        chars, x = [], 0.0
        for _ in range(rng.randint(1, 40)):
            x += rng.uniform(0, 8)
            width, top = rng.uniform(2, 10), rng.choice([10, 11.5, 30, 31]) + rng.uniform(-1, 1)
            chars.append((rng.choice("ab ﬁ中文ﬀ1"), round(x, 2), round(top, 2), round(x + width, 2), round(top + 10, 2)))
            x += width
        head = chars[: len(chars) // 3]
        rng.shuffle(head)
        chars[: len(head)] = head
        ours = [w[:5] for w in words(chars)]
        theirs = [(w["text"], w["x0"], w["top"], w["x1"], w["bottom"]) for w in WordExtractor().extract_words(
            [{"text": t, "x0": x0, "top": top, "x1": x1, "bottom": bottom, "doctop": top, "upright": True}
             for t, x0, top, x1, bottom in chars])]
        assert ours == theirs
        ligatures += sum(("fi" in w[0] or "ff" in w[0]) and len(w[0]) > 2 for w in ours)
    assert ligatures > 50  # ligatures inside longer words were met, not only alone


def test_a_value_cell_spanning_rows_keeps_the_columns_below_it(monkeypatch):
    """A column's blank cells merged over rows (Word's rowspan, kept by a PDF export): 科研机构 of table 三's rows
    一 and 二 of the real 2019 report. Row 二 was a cell short and its values moved one column left: its total 18
    was read as 其他组织's. The merged cell leaves a blank in the row below it, as in HTML and DOCX."""
    from dataclasses import replace

    from conftest import load_expected
    from govreports.parse import parse_bytes
    from govreports.render import document, pdf as render_pdf

    require_samples()
    record = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    spanned = ("applications", "new", "research")

    def merged(table):
        rows = [list(row) for row in table.rows]
        r, c = next((r, c) for r, row in enumerate(rows) for c, cell in enumerate(row) if cell.ref == spanned)
        below = next(i for i, cell in enumerate(rows[r + 1]) if cell.ref == ("applications", "carried_in", "research"))
        assert rows[r][c].text is None and rows[r + 1][below].text is None  # blank in both rows: merged as Word does
        rows[r][c] = replace(rows[r][c], rowspan=2)
        del rows[r + 1][below]
        return replace(table, rows=tuple(map(tuple, rows)))

    blocks = document.body_blocks
    monkeypatch.setattr(render_pdf, "body_blocks", lambda rec: [
        replace(b, table=merged(b.table)) if b.kind == "table" and b.table.key == "applications" else b
        for b in blocks(rec)])
    data = render_pdf.to_pdf(record)
    parsed = parse_bytes(data, "report.pdf")
    assert parsed["applications"]["carried_in"]["total"] == 18
    assert parsed["applications"] == record["applications"]
    assert _blocks(extract_pdf(data, fast=False)) == _blocks(extract_pdf(data))  # pdfplumber, where it reads


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_a_hyperlinked_edition_reads_as_the_plain_one_and_loads_as_its_duplicate(fmt, tmp_path):
    """A portal posts a （超链版） beside the plain PDF: the laws cited and the table rows naming a kind of document are
    links, blue and underlined — short lines drawn in the text and inside table cells, where the fast reader rebuilds
    cells from a page's lines — and its Title property names the edition. Read as the plain one, by the fast path,
    it loads as a duplicate, not as a second report of the agency's year that every sum would count twice."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    from govreports.parse import parse_bytes
    from govreports.store import connect, load_record
    from govreports.store.statuses import LoadStatus

    def drawn(data: bytes) -> int:
        pdf = pypdfium2.PdfDocument(data)
        return sum(1 for page in pdf for obj in page.get_objects() if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH)

    record = record_fixture(fmt)
    plain, edition = to_pdf(record), to_pdf(record, hyperlinks=True)
    links = edition.count(b"/Subtype /Link")
    assert links >= 6 and b"/Link" not in plain  # 《条例》 and table 一's five rows (规章 … 行政强制)
    assert drawn(edition) == drawn(plain) + links  # an underline for each
    read = parse_bytes(edition)
    assert read == parse_bytes(plain)
    assert read["pdf_reader"] == "pdfium" and read["title"] == record["title"]
    with connect(tmp_path / "e.db") as db:
        first = load_record(db, parse_bytes(plain), source_key="http://a.example/plain.pdf", dedupe=True)
        second = load_record(db, read, source_key="http://a.example/edition.pdf", dedupe=True)
        assert (first.status, second.status) == (LoadStatus.NEW, LoadStatus.DUPLICATE)
        assert second.report_id == first.report_id
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (1,)


@pytest.mark.parametrize("mark", ["<super>1</super>", "<super>注1</super>", "<super>*</super>",
                                  '<super rise="2.3" size="4.5">2</super>'])
@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_superscript_footnote_mark_after_a_value_is_no_digit(mark, fast, monkeypatch):
    """A footnote mark printed after a value cell's number, smaller and raised, as Word exports a superscript
    ('821' then a small raised '1'): both PDF readers read the cell 8211 (the HTML and DOCX readers already drop
    <sup> and vertAlign superscript there). After a value cell's number a smaller raised character is a mark."""
    from reportlab.platypus import Paragraph

    from govreports.parse.report import build_record
    from govreports.render import pdf as render_pdf

    record = record_fixture("2021")
    record["applications"]["new"]["natural_person"] = 821
    table = render_pdf.RLTable

    def marked(data, **kwargs):  # the one value cell drawn as Word draws a run followed by a superscript run
        style = render_pdf._styles()["cell_center"]
        data = [[Paragraph(f"821{mark}", style) if v == "821" else v for v in row] for row in data]
        return table(data, **kwargs)

    monkeypatch.setattr(render_pdf, "RLTable", marked)
    data = render_pdf.to_pdf(record)
    document = extract_pdf(data, fast=fast)
    assert document.meta["pdf_reader"] == ("pdfium" if fast else "pdfplumber")
    parsed = build_record(document, {})
    assert parsed["applications"]["new"]["natural_person"] == 821
    assert parsed["applications"] == record["applications"]


def _drawn(text: str, x: float, size: float = 7.0, raised: float = 0.0, bottom: float = 100.0) -> list[tuple]:
    """Characters (text, x0, top, x1, bottom) as both readers give them: a box one size high, side by side."""
    out = []
    for ch in text:
        out.append((ch, x, bottom - raised - size, x + size / 2, bottom - raised))
        x += size / 2
    return out


@pytest.mark.parametrize(("chars", "marked"), [
    (_drawn("821", 10) + _drawn("1", 20.5, 4.5, 2.3), True),  # a mark after the number
    (_drawn("821", 10) + _drawn("注1", 20.5, 4.5, 2.3), True),
    (_drawn("821", 10) + _drawn("1", 20.5, 4.5, 2.3, bottom=103.0), False),  # not raised: lowered
    (_drawn("面积m", 10) + _drawn("2", 20.5, 4.5, 2.3), False),  # a label keeps its superscript
    (_drawn("1", 10, 4.5, 2.3) + _drawn("821", 13), False),  # before the number: not a footnote mark
    (_drawn("821", 10) + _drawn("件", 20.5, 4.5), False),  # smaller on the line: a unit, not a mark
    (_drawn("821", 10, 0.0) + _drawn("1", 20.5, 0.0), False),  # no size at all: nothing is smaller
])
def test_only_a_smaller_raised_character_after_a_number_is_a_footnote_mark(chars, marked):
    from govreports.extract.pdfium.marks import cell_text

    assert cell_text(chars, ruled._text) == ("821" if marked else ruled._text(chars))


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_footnote_mark_in_an_unruled_table_row_is_no_digit_and_a_paragraph_keeps_its_superscript(fast):
    """A table drawn without ruling lines is read line by line, its values split at the spaces: '821' and a small
    raised '1' read 8211 there too. A line read as a row drops the marks after its numbers; a paragraph line (面积
    10²平方米) keeps its superscript, as the HTML and DOCX readers keep a narrative's."""
    from reportlab.pdfgen import canvas

    from govreports.render.pdf import FONT, _register_font

    def marked(page, x: float, y: float, text: str, mark: str, tail: str = "") -> None:
        page.setFont(FONT, 9)
        page.drawString(x, y, text)
        x += page.stringWidth(text, FONT, 9)
        raised = page.beginText(x, y + 3)
        raised.setFont(FONT, 6)
        raised.textOut(mark)
        page.drawText(raised)
        page.setFont(FONT, 9)
        page.drawString(x + page.stringWidth(mark, FONT, 6), y, tail)

    _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(FONT, 9)
    page.drawString(40, 700, "一、本年新收政府信息公开申请数量")
    marked(page, 230, 700, "821", "1")
    for n, value in enumerate(("3", "6", "9")):
        page.drawString(270 + 40 * n, 700, value)
    marked(page, 40, 660, "本年度新建办公用房面积10", "2", "平方米，较上年有所增加。")
    page.showPage()
    page.save()
    blocks = [b.cells for b in extract_pdf(out.getvalue(), fast=fast).blocks]
    assert blocks == [["一、本年新收政府信息公开申请数量", "821", "3", "6", "9"], ["本年度新建办公用房面积102平方米，较上年有所增加。"]]
