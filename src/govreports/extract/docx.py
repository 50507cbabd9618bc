"""DOCX → blocks with python-docx, paragraphs and tables in body order.

python-docx repeats one cell object across a horizontal span and re-wraps the top cell for a vertical merge, so a
cell is emitted only the first time its underlying <w:tc> is seen (python-docx#344).
"""

from __future__ import annotations

import re
from io import BytesIO

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from govreports.extract.document import Block, Document
from govreports.extract.lines import line_to_block

_WS = re.compile(r"[\s\u00a0\u3000]+")


def extract_docx(data: bytes) -> Document:
    document = docx.Document(BytesIO(data))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            for line in item.text.splitlines():
                block = line_to_block(line)
                if block is not None:
                    blocks.append(block)
        elif isinstance(item, Table):
            blocks.extend(_table_blocks(item))
    meta = {}
    title = (document.core_properties.title or "").strip()
    if title:
        meta["doc_title"] = title
    return Document(kind="docx", blocks=blocks, meta=meta)


def _table_blocks(table: Table) -> list[Block]:
    seen: set = set()  # the <w:tc> elements themselves: holding them keeps lxml's proxies (and identity) stable
    blocks = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            tc = cell._tc
            if tc in seen:
                continue
            seen.add(tc)
            for inner in cell.tables:  # a layout table's cell holding the real table
                blocks.extend(_table_blocks(inner))
            cells.append(_WS.sub(" ", cell.text).strip())
        if any(cells):
            blocks.append(Block(cells, is_row=True))
    return blocks
