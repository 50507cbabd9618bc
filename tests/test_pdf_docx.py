"""PDF and DOCX specifics: the real seed report as a PDF without ruled tables (text fallback), and the real 2019
HTML report's tables as Word tables with real merged cells."""

from __future__ import annotations

import io

import pytest

from conftest import SAMPLES, load_expected, require_samples
from govreports.extract.html import extract_html
from govreports.parse import parse_bytes


def _text_pdf(lines: list[str]) -> bytes:
    """A PDF that holds the report as text lines only, cells separated by spaces: no ruling lines to find."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    for line in lines:
        if y < 60:
            c.showPage()
            y = 800
        c.setFont("STSong-Light", 8)
        c.drawString(30, y, line)
        y -= 12
    c.save()
    return buf.getvalue()


def test_seed_as_pdf_text_without_tables():
    require_samples()
    seed = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_text(encoding="utf-8")
    # tabs become spaces, as pdftotext -layout gives when a PDF has no table grid; long paragraphs are cut to lines
    lines = []
    for raw in seed.splitlines():
        text = " ".join(cell.strip() for cell in raw.split("\t") if cell.strip())
        lines.extend(text[i : i + 60] for i in range(0, max(len(text), 1), 60))
    data = _text_pdf(lines)
    record = parse_bytes(data, "seed.pdf")
    expected = load_expected(SAMPLES / "expected" / "000_dc3a28ed7fcc2bfa.json")
    for key in ("title", "agency", "year", "format", "published"):
        assert record[key] == expected[key], key
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table], table


def test_real_html_tables_as_merged_word_tables():
    """Rebuild the real report's three tables in Word with the HTML's rowspans/colspans as real merges."""
    require_samples()
    docx = pytest.importorskip("docx")
    from lxml import etree

    html = (SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html").read_text(encoding="utf-8")
    root = etree.fromstring(html, etree.HTMLParser())
    document = docx.Document()
    for el in root.iter("p", "table"):
        if el.tag == "p" and el.getparent().tag not in ("td", "th"):
            document.add_paragraph("".join(el.itertext()).strip())
        elif el.tag == "table":
            _word_table(document, el)
    buf = io.BytesIO()
    document.save(buf)
    record = parse_bytes(buf.getvalue(), "report.docx")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    for key in ("title", "year", "format", "published"):
        assert record[key] == expected[key], key
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table], table
    assert extract_html(html).blocks  # the HTML itself still reads


def _word_table(document, table_el) -> None:
    rows = [r for r in table_el.iter("tr")]
    placed: list[tuple[int, int, int, int, str]] = []
    covered: set[tuple[int, int]] = set()
    ncols = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row.iter("td", "th"):
            while (r, c) in covered:
                c += 1
            rs, cs = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            text = "".join(cell.itertext()).replace("\xa0", " ").strip()
            placed.append((r, c, rs, cs, text))
            covered.update((r + i, c + j) for i in range(rs) for j in range(cs))
            c += cs
            ncols = max(ncols, c)
    grid = document.add_table(rows=len(rows), cols=ncols)
    for r, c, rs, cs, _ in placed:
        if rs > 1 or cs > 1:
            grid.cell(r, c).merge(grid.cell(r + rs - 1, c + cs - 1))
    cells = grid._cells
    for r, c, _, _, text in placed:
        cells[r * ncols + c].paragraphs[0].text = text
