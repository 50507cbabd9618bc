"""PDF → blocks with pdfplumber: ruled tables cell by cell, the remaining text line by line, in page order.

A position covered by a merged cell comes back as None and is dropped (the merged cell was already read once);
an empty cell is "" and kept, because a blank is a null value. A PDF with no characters at all is a scan.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO

import pdfplumber

from govreports.extract.document import Block, Document
from govreports.extract.limits import DEFAULT_LIMITS
from govreports.extract.lines import line_to_block

_WS = re.compile(r"\s+")
logging.getLogger("pdfminer").setLevel(logging.WARNING)  # its per-token debug calls cost ~5% of a parse
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页|/\s*\d+)?[-—–\s]*$")


def extract_pdf(data: bytes, max_pages: int = DEFAULT_LIMITS.pdf_read_pages) -> Document:
    """The first `max_pages` pages (extract.limits has already counted what each of them draws)."""
    blocks: list[Block] = []
    meta: dict[str, str] = {}
    chars = 0
    with pdfplumber.open(BytesIO(data)) as pdf:
        info = pdf.metadata or {}
        if isinstance(info.get("Title"), str) and info["Title"].strip():
            meta["doc_title"] = info["Title"].strip()
        for page in pdf.pages[:max_pages]:
            chars += len(page.chars)
            blocks.extend(_page_blocks(page))
            page.flush_cache()
    if chars == 0:
        return Document(kind="pdf", blocks=[], meta=meta, unreadable="the PDF has no text layer (scanned images?)")
    return Document(kind="pdf", blocks=blocks, meta=meta)


def _page_blocks(page) -> list[Block]:
    tables = page.find_tables()
    items: list[tuple[float, list[Block]]] = []
    for table in tables:
        rows = []
        for row in table.extract():
            cells = [_WS.sub("", c) if _is_cjk_cell(c) else _WS.sub(" ", c).strip() for c in row if c is not None]
            if any(cells):
                rows.append(Block(cells, is_row=True))
        items.append((table.bbox[1], rows))
    boxes = [t.bbox for t in tables]
    lines = page.extract_text_lines()
    right = max((ln["x1"] for ln in lines), default=0)
    left = min((ln["x0"] for ln in lines), default=0)
    previous_bottom = 0.0
    previous = None  # the last paragraph line, while it runs to the right margin (a hard wrap, not a paragraph end)
    for line in lines:
        x_mid = (line["x0"] + line["x1"]) / 2
        y_mid = (line["top"] + line["bottom"]) / 2
        if any(x0 <= x_mid <= x1 and top <= y_mid <= bottom for x0, top, x1, bottom in boxes):
            continue
        if _PAGE_NUMBER.match(line["text"]):
            continue
        block = line_to_block(line["text"])
        if block is None:
            continue
        height = line["bottom"] - line["top"]
        indented = line["x0"] > left + 0.9 * _char_width(line)  # 首行缩进: a new paragraph
        if previous is not None and not block.is_row and not indented and line["top"] - previous_bottom < height:
            previous.cells[0] += block.cells[0]  # Chinese wraps join without a space
            block = previous
        else:
            items.append((line["top"], [block]))
        wraps = not block.is_row and line["x1"] >= right - 2 * _char_width(line)
        previous = block if wraps else None
        previous_bottom = line["bottom"]
    items.sort(key=lambda item: item[0])
    return [b for _, group in items for b in group]


def _char_width(line: dict) -> float:
    chars = line.get("chars") or ()
    return max((c["x1"] - c["x0"] for c in chars), default=10.0)


def _is_cjk_cell(cell: str) -> bool:
    """Labels wrapped inside a cell come back with newlines between glyph runs; numbers keep their spaces."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in cell)
