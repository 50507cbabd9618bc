"""PDF → blocks: ruled tables cell by cell, the remaining text line by line, in page order.

Two readers give the same page layout (tables as rows of cell texts, text lines with their boxes): the fast path
(extract.pdfium: PDFium's characters and ruling lines, ~2 ms a page) and pdfplumber (pdfminer, ~50 ms a page),
which reads a page only where the fast path says it cannot (extract.pdfium.FALLBACK_RULES: a rotated page, unmapped
characters, ruling lines that cross without making a table) and the whole document where PDFium cannot open it
or had to rebuild its cross-reference table (damage, truncation: pdfplumber then reports it as before).
`Document.meta["pdf_reader"]` says which read it: pdfium, pdfplumber, or pdfium+pdfplumber (some pages each);
`meta["pdf_doubts"]` the pages whose fast reading shows signs of going wrong (extract.pdfium.DOUBTS), on which
parse.api decides whether pdfplumber reads the document again.

A position covered by a merged cell comes back as None and is dropped (the merged cell was already read once),
except below a value cell spanning rows: a blank there keeps the row's later values in their columns, as both
readers give it. An empty cell is "" and kept, because a blank is a null value. The rows of a table without ruling
lines are text lines whose values are placed in their columns by their x (extract.columns). A PDF with no
characters at all is a scan.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO

from govreports.extract.columns import TextLine, among_lines, folio_elsewhere, place
from govreports.extract.document import Block, Document, Encrypted
from govreports.extract.limits import (DEFAULT_LIMITS, LimitExceeded, Limits, check_pdf, check_pdf_page,
                                       check_pdf_pages)
from govreports.extract.lines import line_to_block, mark_words, marks_dropped
from govreports.extract.pdfium import Line, PageLayout
from govreports.extract.pdfium.lines import unmarked_words, words
from govreports.parse.values import parse_value

_WS = re.compile(r"\s+")
logging.getLogger("pdfminer").setLevel(logging.WARNING)  # its per-token debug calls cost ~5% of a parse
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页|/\s*\d+)?[-—–\s]*$")


def extract_pdf(data: bytes, max_pages: int | None = None, fast: bool = True,
                limits: Limits | None = None) -> Document:
    """The first `max_pages` pages (default: the limits' pdf_read_pages). `limits`: check the page count and each
    page as it is loaded (extract.limits.check_pdf_page), raising LimitExceeded, so a page is loaded once for the
    check and the reading; without it the caller has checked the document (extract.limits.check). `fast=False`
    reads every page with pdfplumber (benchmarks and tests compare the two)."""
    from govreports.extract import pdfium

    max_pages = max_pages or (limits or DEFAULT_LIMITS).pdf_read_pages
    with pdfium.LOCK:  # PDFium is not thread-safe; pdfplumber (pure Python) reads outside the lock
        pdf = pdfium.open_document(data) if fast else None
        if pdf is not None:
            meta, layouts = _pdfium_layouts(pdf, max_pages, limits)
    if pdf is None:
        if limits is not None and (hit := check_pdf(data, limits)) is not None:
            raise LimitExceeded(hit)
        return _plumber_document(data, max_pages)
    fallback = [x for x in layouts if isinstance(x, int)]
    if fallback:
        plumbed = dict(zip(fallback, _plumber_layouts(data, fallback)))
        layouts = [plumbed[x] if isinstance(x, int) else x for x in layouts]
    meta["pdf_reader"] = "pdfplumber" if len(fallback) == len(layouts) else (
        "pdfium+pdfplumber" if fallback else "pdfium")
    doubts = [f"page {n + 1}: {', '.join(x.doubts)}" for n, x in enumerate(layouts) if x.doubts]
    if doubts:
        meta["pdf_doubts"] = "; ".join(doubts)
    return _document(layouts, meta)


def _pdfium_layouts(pdf, max_pages: int, limits: Limits | None) -> tuple[dict[str, str], list]:
    """Each page's layout by PDFium, or its index where pdfplumber must read it; the document is closed after."""
    from govreports.extract import pdfium

    try:
        if limits is not None and (hit := check_pdf_pages(len(pdf), limits)) is not None:
            raise LimitExceeded(hit)
        meta: dict[str, str] = {}
        title = pdf.get_metadata_value("Title") if hasattr(pdf, "get_metadata_value") else None
        if isinstance(title, str) and title.strip():
            meta["doc_title"] = title.strip()
        layouts: list[PageLayout | int] = []  # a page index where pdfplumber must read the page
        widths: dict = {}  # characters' advances, measured once a document
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            textpage = None
            try:
                if limits is not None:
                    textpage = page.get_textpage()
                    if (hit := check_pdf_page(page, index + 1, limits, textpage)) is not None:
                        raise LimitExceeded(hit)
                layout = pdfium.read_page(page, widths, textpage)
            finally:
                if textpage is not None:
                    textpage.close()
                page.close()
            layouts.append(layout if isinstance(layout, PageLayout) else index)
    finally:
        pdf.close()
    return meta, layouts


def _document(layouts: list[PageLayout], meta: dict[str, str]) -> Document:
    """The pages' blocks; a PDF with no characters at all is a scan. The pages without characters of one that has
    some are named in meta["textless_pages"] (1-based, comma-separated): a scan behind a typed cover page, whose
    text layer holds no report (parse.api then has them read by OCR)."""
    if sum(layout.chars for layout in layouts) == 0:
        return Document(kind="pdf", blocks=[], meta=meta, unreadable="the PDF has no text layer (scanned images?)")
    blocks: list[Block] = []
    starts = []
    spots = [_folio_spots(layout) for layout in layouts]
    for n, layout in enumerate(layouts):
        starts.append(len(blocks))
        blocks.extend(page_blocks(layout, [spot for k, page in enumerate(spots) if k != n for spot in page]))
    if textless := [str(n + 1) for n, layout in enumerate(layouts) if not layout.chars]:
        meta["textless_pages"] = ",".join(textless)
    return Document(kind="pdf", blocks=blocks, meta=meta, pages=starts)


def _plumber_document(data: bytes, max_pages: int) -> Document:
    import pdfplumber

    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    meta: dict[str, str] = {}
    layouts = []
    try:
        pdf = pdfplumber.open(BytesIO(data))
    except PdfminerException as exc:
        if exc.args and isinstance(exc.args[0], PDFPasswordIncorrect):
            from govreports.extract.pdfium.fonts import PASSWORD_NEEDED

            raise Encrypted(PASSWORD_NEEDED) from None
        raise
    with pdf:
        info = pdf.metadata or {}
        if isinstance(info.get("Title"), str) and info["Title"].strip():
            meta["doc_title"] = info["Title"].strip()
        for page in pdf.pages[:max_pages]:
            layouts.append(_plumber_layout(page))
            page.flush_cache()
    meta["pdf_reader"] = "pdfplumber"
    return _document(layouts, meta)


def _plumber_layouts(data: bytes, indices: list[int]) -> list[PageLayout]:
    import pdfplumber

    out = []
    with pdfplumber.open(BytesIO(data)) as pdf:
        for index in indices:
            page = pdf.pages[index]
            out.append(_plumber_layout(page))
            page.flush_cache()
    return out


def _plumber_layout(page) -> PageLayout:
    layout = PageLayout(chars=len(page.chars))
    for table in page.find_tables():
        layout.tables.append((table.bbox, _plumber_rows(table)))
    for ln in page.extract_text_lines():
        chars = ln.get("chars") or ()
        width = max((ch["x1"] - ch["x0"] for ch in chars), default=10.0)
        marked = [(ch["text"], ch["x0"], ch["top"], ch["x1"], ch["bottom"]) for ch in chars if ch.get("upright", True)]
        found = words(marked) if len(marked) == len(chars) else []
        unmarked = unmarked_words(found) if found and _mixed_sizes(marked) else None
        spans = _spans(found, ln["text"].split(" "))
        layout.lines.append(Line(ln["text"], ln["x0"], ln["top"], ln["x1"], ln["bottom"], width, unmarked, spans))
    return layout


def _spans(found: list[tuple], tokens: list[str]) -> list[tuple[float, float]] | None:
    """The x range of each of the line's space-separated `tokens`, from its words (extract.pdfium.lines.words);
    None where they do not match. pdfplumber's text may set a space before a mark that words() joins to the value
    ('821 *', '3 * 0', the gap under 3 pt): such a word is split where the text splits it."""
    if len(found) == len(tokens):
        return [(w[1], w[3]) for w in found]
    marks = set(mark_words(" ".join(tokens)))
    out: list[tuple[float, float]] = []
    n = 0
    for word in found:
        if n + 1 in marks and word[0] == tokens[n] + tokens[n + 1] and len(word[5]) == len(word[0]):
            head, mark = word[5][: len(tokens[n])], word[5][len(tokens[n]):]
            out += [(head[0][1], max(c[3] for c in head)), (mark[0][1], max(c[3] for c in mark))]
            n += 2
        elif n < len(tokens) and word[0] == tokens[n]:
            out.append((word[1], word[3]))
            n += 1
        else:
            return None
    return out if n == len(tokens) else None


def _plumber_rows(table) -> list[list[str | None]]:
    """pdfplumber's rows of cell texts, None where a merged cell covers a position, but a blank where a value cell
    spanning rows covers one below its first row: dropped, the row was a cell short and its values one column left
    (a column's blank cells merged over rows, a total read as 其他组织's). The fast path does the same
    (extract.pdfium.tables.table_rows)."""
    rows = table.extract()
    boxes = [row.cells for row in table.rows]
    _unmark(table, rows, boxes)
    for r, (texts, row_boxes) in enumerate(zip(rows, boxes)):
        top = next((box[1] for box in row_boxes if box is not None), None)
        for c, box in enumerate(row_boxes):
            if box is not None or top is None:
                continue
            above = next((k for k in range(r - 1, -1, -1) if boxes[k][c] is not None), None)
            if above is not None and boxes[above][c][3] > top + 1 and parse_value(rows[above][c] or "") is not None:
                texts[c] = ""
    return rows


def _unmark(table, rows: list[list[str | None]], boxes: list[list]) -> None:
    """Each cell's text less the footnote marks after a value's number (extract.pdfium.marks), as the fast path
    reads it: only cells holding a character smaller than the table's largest are looked at again (most tables
    have none), their characters chosen by centre as pdfplumber's Table.extract chooses them. A table with text
    that is not upright is left as read (its characters' boxes are not one font size high)."""
    from pdfplumber.utils import extract_text

    from govreports.extract.pdfium.marks import SMALLER, cell_text

    x0, top, x1, bottom = table.bbox
    chars = [(ch["text"], ch["x0"], ch["top"], ch["x1"], ch["bottom"], ch) for ch in table.page.chars
             if x0 <= (ch["x0"] + ch["x1"]) / 2 < x1 and top <= (ch["top"] + ch["bottom"]) / 2 < bottom]
    largest = max((ch[4] - ch[2] for ch in chars), default=0.0)
    small = [ch for ch in chars if ch[4] - ch[2] <= SMALLER * largest]
    if not small or not all(ch[5].get("upright", True) for ch in chars):  # a box one size high: upright text only
        return
    for r, row_boxes in enumerate(boxes):
        for c, box in enumerate(row_boxes):
            if box is None or not any(_centred_in(ch, box) for ch in small):
                continue
            inside = [ch for ch in chars if _centred_in(ch, box)]
            rows[r][c] = cell_text(inside, lambda kept: extract_text([ch[5] for ch in kept]))


def _mixed_sizes(chars: list[tuple]) -> bool:
    """Whether a line has characters of more than one size (a footnote mark is smaller): most have one."""
    sizes = {round(ch[4] - ch[2], 2) for ch in chars}
    return len(sizes) > 1


def _centred_in(ch: tuple, box) -> bool:
    x, y = (ch[1] + ch[3]) / 2, (ch[2] + ch[4]) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _possible_folio(line: Line, tops: list[float]) -> bool:
    """Whether a text line may be the page's number: a page marker, or a bare number of three digits or fewer with
    no line near both above and below it (columns.among_lines)."""
    return bool(_PAGE_NUMBER.match(line.text)) and not (line.text.strip().isdigit()
                                                        and among_lines(line.top, line.bottom - line.top, tops))


def _folio_spots(layout: PageLayout) -> list[tuple[float, float, float]]:
    """The (top, x centre, widest character) of each bare number on the page, outside its ruled tables, that may be
    its page number."""
    tops = sorted(ln.top for ln in layout.lines)
    boxes = [bbox for bbox, _ in layout.tables]
    return [(ln.top, (ln.x0 + ln.x1) / 2, ln.char_width) for ln in layout.lines
            if ln.text.strip().isdigit() and _possible_folio(ln, tops) and not any(
                x0 <= (ln.x0 + ln.x1) / 2 <= x1 and top <= (ln.top + ln.bottom) / 2 <= bottom
                for x0, top, x1, bottom in boxes)]


def page_blocks(layout: PageLayout, folios: list[tuple[float, float, float]] = ()) -> list[Block]:
    """The page's blocks in page order. `folios`: where the document's other pages have a possible page number
    (_folio_spots): a bare number at such a place is this page's, dropped, never joined to a table's value."""
    items: list[tuple[float, list[Block]]] = []
    for bbox, table_rows in layout.tables:
        rows = []
        for row in table_rows:
            cells = [_WS.sub("", c) if _is_cjk_cell(c) else _WS.sub(" ", c).strip() for c in row if c is not None]
            if any(cells):
                rows.append(Block(cells, is_row=True))
        items.append((bbox[1], rows))
    boxes = [bbox for bbox, _ in layout.tables]
    lines = layout.lines
    right = max((ln.x1 for ln in lines), default=0)
    left = min((ln.x0 for ln in lines), default=0)
    previous_bottom = 0.0
    texts: list[TextLine] = []
    previous = None  # the last paragraph line, while it runs to the right margin (a hard wrap, not a paragraph end)
    tops = sorted(ln.top for ln in lines)
    for line in lines:
        x_mid = (line.x0 + line.x1) / 2
        y_mid = (line.top + line.bottom) / 2
        if any(x0 <= x_mid <= x1 and top <= y_mid <= bottom for x0, top, x1, bottom in boxes):
            continue
        if _possible_folio(line, tops):
            if line.text.strip().isdigit() and not folio_elsewhere(line.top, (line.x0 + line.x1) / 2, line.char_width, folios) and \
                    (block := line_to_block(line.text)) is not None:
                # a page number, or the rest of the last row's value wrapped in its cell: place() decides
                texts.append(TextLine(line.text, block, line.spans, line.bottom - line.top, line.top, [block], True))
                items.append((line.top, texts[-1].holder))
            continue
        block = line_to_block(line.text)
        if block is None:
            continue
        text = line.text
        if line.unmarked is not None:  # an unruled table's row: '821' and a raised '1' is 821
            again = line_to_block(line.unmarked)  # a row ending '821*' is one only without its mark
            if again is not None and (block.is_row or again.is_row):
                block, text = again, line.unmarked
        text, block, spans = marks_dropped(text, block, line.spans)  # '… 15 821*', '… 15 821 *'
        texts.append(TextLine(text, block, spans, line.bottom - line.top, line.top))
        height = line.bottom - line.top
        indented = line.x0 > left + 0.9 * line.char_width  # 首行缩进: a new paragraph
        if previous is not None and not block.is_row and not indented and line.top - previous_bottom < height:
            previous.cells[0] += block.cells[0]  # Chinese wraps join without a space
            block = previous
        else:
            texts[-1].holder.append(block)
            items.append((line.top, texts[-1].holder))
        wraps = not block.is_row and line.x1 >= right - 2 * line.char_width
        previous = block if wraps else None
        previous_bottom = line.bottom
    place(texts, [b[1] for b in boxes])  # the rows of tables without rules: each value in its column by its x
    items.sort(key=lambda item: item[0])
    return [b for _, group in items for b in group]


def _is_cjk_cell(cell: str) -> bool:
    """Labels wrapped inside a cell come back with newlines between glyph runs; numbers keep their spaces."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in cell)
