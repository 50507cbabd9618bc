"""The fast PDF path: characters with their boxes and the page's ruling lines from PDFium (in C), and from them
the same text lines and ruled tables pdfplumber's defaults give (`extract_text_lines()`, `find_tables()` with the
lines strategy and 3-point tolerances), rebuilt here in a few milliseconds a page instead of pdfminer's ~50.

One module a job: `fonts` (the box font PDFium measures non-embedded CJK fonts with; opening a document),
`page` (a page's characters and path edges), `tables` (pdfplumber's lines strategy), `lines` (words and text
lines).

`read_page` returns a `PageLayout` (tables as rows of cell texts, text lines with their boxes) or, where this path
cannot read the page the way pdfplumber would, the reason as a string; extract.pdf then reads that page with
pdfplumber. The reasons (`FALLBACK_RULES`):

- rotated: the page has /Rotate, or text that is not upright (pdfminer turns both; PDFium's boxes are unrotated);
- unmapped: characters without Unicode (PDFium and pdfminer spell those differently);
- grid without table: the page's ruling lines meet in six points or more (enough for two cells), yet no table
  of two or more cells is built from them (a border this path does not read as edges).

A page read here can still carry doubts (`DOUBTS`, `PageLayout.doubts`): characters off the page or taller than
their table cells (a misread font size: a Word export drawing at 1/20 scale once gave 125 of 200 cells), ruling
lines crossing in six or more points outside every table built. A reading with doubts that leaves form cells
unread is checked by pdfplumber (parse.api); one without is trusted, blanks and all.

A document PDFium cannot open, or whose cross-reference table it had to rebuild (damaged, truncated), is read by
pdfplumber whole, which reports the damage in its own words as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as c

from govreports.extract.pdfium import page as page_objects
from govreports.extract.pdfium import tables as ruled
from govreports.extract.pdfium.fonts import LOCK, box_font, open_document, system_fonts, use_box_font
from govreports.extract.pdfium.lines import Line, text_lines

__all__ = ["DOUBTS", "FALLBACK_RULES", "LOCK", "Line", "PageLayout", "box_font", "open_document", "read_page",
           "system_fonts", "use_box_font"]

FALLBACK_RULES = ("rotated", "unmapped", "grid without table")
DOUBTS = ("characters off the page", "characters taller than their cells", "ruling lines crossing outside the tables")


@dataclass
class PageLayout:
    tables: list[tuple[tuple[float, float, float, float], list[list[str]]]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    chars: int = 0
    doubts: list[str] = field(default_factory=list)  # DOUBTS this path has of its own reading of the page


def read_page(page: pdfium.PdfPage, widths: dict | None = None, textpage=None) -> PageLayout | str:
    """The page's layout, or the FALLBACK_RULES reason this path cannot read it. `widths`: the document's
    character advances measured so far, kept by the caller from page to page (page.chars); `textpage`: the
    page's text when the caller has loaded it already (it stays open)."""
    if c.FPDFPage_GetRotation(page.raw) % 4:
        return "rotated"
    left, bottom, right, top = page.get_mediabox()
    edges, upright = page_objects.edges(page.raw, left, top)
    if not upright:
        return "rotated"
    chars = page_objects.chars(page, left, top, widths, textpage)
    if isinstance(chars, str):
        return chars
    layout = PageLayout(chars=len(chars))
    tables = ruled.tables(ruled.cells(edges))
    if not tables and ruled.grid(edges):
        return "grid without table"
    tall = 0
    for table in tables:
        rows, misfits = ruled.table_rows(table, chars)
        layout.tables.append((ruled.bbox(table), rows))
        tall += misfits
    layout.lines = text_lines(chars)
    layout.doubts = _doubts(chars, tall, ruled.stray_crossings(edges, tables), right - left, top - bottom)
    return layout


def _doubts(chars: list[tuple], tall: int, stray: int, width: float, height: float) -> list[str]:
    """What the page shows of a reading gone wrong where pdfplumber's might not (DOUBTS): parse.api has
    pdfplumber read a document again only when a doubted reading leaves form cells unread."""
    found = []
    if any(ch[2] < 0 or ch[4] > height or ch[1] < 0 or ch[3] > width for ch in chars):
        found.append("characters off the page")
    if tall:
        found.append("characters taller than their cells")
    if stray >= 6:
        found.append("ruling lines crossing outside the tables")
    return found
