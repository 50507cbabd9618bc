"""Plain-text lines → blocks: the shapes PDF extraction and copy-paste leave tables in.

Tab-separated rows (pdftotext), cells joined by vertical bars or Markdown tables, one cell per line, and PDF lines
where cells are only separated by spaces ("规章 0 0 0", "0 0 0 0 0"). Only the last needs a guess: a line is split
into a label and values when it ends in a run of numbers after a label that contains Chinese text.

Page markers that PDF text layers leave between (and inside) table rows — "- 5 -", "— 5 —", "第 5 页 共 8 页" —
are dropped: read as a row they would be a stray number in the middle of a table.
"""

from __future__ import annotations

import re

from govreports.extract.document import Block
from govreports.text import drop_invisible

_WS = re.compile(r"[ \u00a0\u3000]+")
_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# a line or cell set in Markdown bold as a whole (OCR/LLM Markdown: '**一、总体情况**', '| **总计** |')
_MD_BOLD = re.compile(r"^(\*\*|__)(?=\S)(.+?)(?<=\S)\1$")
_VALUE_TOKEN = re.compile(r"^(?:[+\-−－]?[0-9０-９][0-9０-９,，.]*(?:万元|元)?|—+|-|/|－)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# a value followed by a footnote mark set on the line, full size ('821*', '917①', '15注1', '6[2]'): no digit a number
# could have is taken for a mark ('8211' stays 8211)
_MARK = (r"(?:[*＊※†‡]{1,3}|[\u2460-\u2473\u2474-\u2487\u2776-\u277f]"
         r"|注[0-9０-９]{1,2}|\[[0-9]{1,2}\]|［[0-9０-９]{1,2}］)")
_INLINE_MARKED = re.compile(r"^([+\-−－]?[0-9０-９][0-9０-９,，.]*(?:万元|元)?)" + _MARK + "$")
_MARK_WORD = re.compile(_MARK + "$")  # the same mark as a word of its own after a row's last value ('… 821 *')
# a page marker alone on its line; a bare number is not one (it is a cell in one-cell-per-line text)
_PAGE_MARKER = re.compile(
    r"^(?:[-－—–]+\s*\d{1,3}\s*[-－—–]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3}\s*页?|page\s*\d{1,3}(?:\s*of\s*\d{1,3})?)$", re.IGNORECASE)


class SpacedRow(Block):
    """A text row whose cells only spaces separated ("规章 1 0 11"): a blank cell left no trace in it, so a row with
    fewer numbers than its table has columns cannot say which cells they are (parse.tables leaves them null)."""

    __slots__ = ()


class CountedRow(Block):
    """A row of text whose cells were counted out by newlines (_counted_cells): its cells stand where they stood,
    blanks too, so a row holding more values than its table has cells holds one that is no cell of it (a bare page
    number the scrape joined as a node of its own) and cannot say which (parse.tables leaves it null)."""

    __slots__ = ()


class LoneValue(Block):
    """A text line holding one value: a cell of one-cell-per-line text, or numbers a PDF text layer set apart. Like a
    SpacedRow, a run of them shorter than its row cannot say which cells it fills."""

    __slots__ = ()


def _clean(text: str) -> str:
    text = _WS.sub(" ", drop_invisible(text)).strip()  # '8\u200b21' is 821 on the page, not the cells 8 and 21
    if text[:2] in ("**", "__") and (bold := _MD_BOLD.match(text)):
        return bold[2].strip()
    return text


def without_inline_marks(text: str) -> str | None:
    """A positioned-text line of an unruled table, each of its values without the footnote mark set after it on the
    line ('规章 15 821*' → '规章 15 821'); None where no word is a value so marked."""
    tokens = _clean(text).split(" ")
    plain = [m[1] if (m := _INLINE_MARKED.match(token)) else token for token in tokens]
    return " ".join(plain) if plain != tokens else None


def mark_words(text: str) -> list[int]:
    """The indices of the words of a spaced line that are footnote marks set as words of their own after a value,
    in the run of values the line ends in ('规章 3 * 0 6 *': 2 and 5; a mark after the label, '规章 * 3', is none;
    '821 *', a row's only value on its own line, 1)."""
    tokens = text.split(" ")
    marks: list[int] = []
    i = len(tokens)
    while i > 0:
        if _VALUE_TOKEN.match(tokens[i - 1]):
            i -= 1
        elif i >= 2 and _MARK_WORD.match(tokens[i - 1]) and _VALUE_TOKEN.match(tokens[i - 2]):
            marks.append(i - 1)
            i -= 2
        else:
            break
    return marks[::-1]


def without_mark_words(text: str) -> str | None:
    """A spaced line without the footnote marks set as words of their own after its values (mark_words:
    '规章 3 * 0 6 *' → '规章 3 0 6'); None where it has none."""
    if not (marks := mark_words(text)):
        return None
    return " ".join(t for n, t in enumerate(text.split(" ")) if n not in marks)


def mark_joined(spans: list[tuple[float, float]] | None, marks: list[int] | None = None
                ) -> list[tuple[float, float]] | None:
    """A line's word spans with each mark's (`marks`, the words' indices, mark_words; default the last word) joined
    to the value's before it: the value's cell reaches over both (set right in its cell, the value stands left of
    its column by the mark's width, taken for a column of its own it moved the table's columns; as a glued '821*'
    is)."""
    if not spans or len(spans) < 2:
        return None
    marks = [len(spans) - 1] if marks is None else marks
    if not marks or marks[0] < 1 or marks[-1] >= len(spans):
        return None
    out = list(spans)
    for k in reversed(marks):
        out[k - 1:k + 1] = [(out[k - 1][0], max(out[k - 1][1], out[k][1]))]
    return out


def marks_dropped(text: str, block: Block, spans: list[tuple[float, float]] | None
                  ) -> tuple[str, Block, list[tuple[float, float]] | None]:
    """A positioned-text line of an unruled table (its text, block and word spans, as the PDF and OFD readers have
    them) without the footnote marks set full size after its values: glued to a value ('… 15 821*') or words of
    their own after values ('… 3 * 0 821 *', each value's span then reaching over its mark; '821 *', a row's only
    value on its own line, is that value)."""
    if (plain := without_inline_marks(text)) is not None and (again := line_to_block(plain)) is not None \
            and again.is_row:
        block, text = again, plain
    if (marks := mark_words(text)) and (plain := without_mark_words(text)) is not None:
        if block.is_row:
            text, spans = plain, mark_joined(spans, marks)
        elif (lone := line_to_block(plain)) is not None and not lone.is_row and _VALUE_TOKEN.match(lone.cells[0]):
            text, block, spans = plain, lone, mark_joined(spans, marks)
    return text, block, spans


def line_to_block(line: str) -> Block | None:
    line = line.rstrip("\r\n")
    if "｜" in line:  # full-width bars (a portal's full-width conversion): cells joined as by "|"
        line = line.replace("｜", "|")
    if not line.strip() or _MD_RULE.match(line.strip()):
        return None
    if "\t" in line:
        cells = [_clean(c) for c in line.split("\t")]
        if any(cells):
            return Block(cells, is_row=len(cells) > 1) if len(cells) > 1 else Block(cells)
        return None
    if "|" in line:
        stripped = line.strip()
        cells = [_clean(c) for c in stripped.split("|")]
        if line.startswith("|"):  # a Markdown border; " | x |" (indented) is an empty first cell
            cells = cells[1:]
        if stripped.endswith("|") and cells:
            cells = cells[:-1]
        if not any(cells):
            return None
        return Block(cells, is_row=True) if len(cells) > 1 else Block([c for c in cells if c] or [""])
    text = _clean(_MD_HEADING.sub("", line.strip()))
    if not text:
        return None
    return split_spaced_values(text)


def split_spaced_values(text: str) -> Block:
    """'规章 0 0 0' → a row [规章, 0, 0, 0]; '0 0 0 0 0' → a row of values; anything else stays one cell. A footnote
    mark as a word after a value ('规章 0 * 0 6 *') is no cell: the row is read without it."""
    if (plain := without_mark_words(text)) is not None and (block := split_spaced_values(plain)).is_row:
        return block
    tokens = text.split(" ")
    if len(tokens) < 2:
        return Block([text])
    n = len(tokens)
    i = n
    while i > 0 and _VALUE_TOKEN.match(tokens[i - 1]):
        i -= 1
    values = tokens[i:]
    if not values:
        return Block([text])
    label = " ".join(tokens[:i])
    if not label:
        return Block(values, is_row=True) if len(values) > 1 else Block([text])
    if not _CJK.search(label) or label.endswith(("年", "月", "第", "共", "为", "约")):
        return Block([text])
    return Block([label, *values], is_row=True)


# Scrapes that joined a table's cells with a fixed run of newlines: "cell\n\n\n" each cell, two more at a row's end,
# and a blank cell is one more such run — so the count of newlines between two texts says how many cells lie
# between them ("总计\n×17 0\n×15 0": a row break, then four blank cells before each 0). Hebei's provincial
# dataset of department reports is in this form (sample 43).
_GAP = re.compile(r"\n+")
_BLANK_LINE = re.compile(r"(?m)^[ \t\u00a0\u3000]+$")  # a blank line a scrape left holding spaces
_CELL_GAP, _ROW_GAP = 3, 5
_CELL_MAX = 80  # a table cell; a longer line is narrative


def _is_value(token: str) -> bool:
    return bool(_VALUE_TOKEN.match(token.replace(" ", "")))


def _counted_cells(text: str) -> str:
    """The text with runs of cells counted out into tab-separated rows, where it has that layout; else as it is."""
    lines = _counted_lines(text)
    return text.replace("\r\n", "\n") if lines is None else "\n".join(line for line, _ in lines)


def _counted_lines(text: str) -> list[tuple[str, bool]] | None:
    """_counted_cells' lines, each with whether it is a row of counted cells; None where the text has not that
    layout."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.count("\n" * _ROW_GAP) < 3:  # every text parse passes here: most leave at this cheap test
        # …but the newlines' count is the same with spaces on the blank lines
        if text.count("\n") < 3 * _ROW_GAP or (text := _BLANK_LINE.sub("", text)).count("\n" * _ROW_GAP) < 3:
            return None
    raw = _GAP.split(text)
    lines = [line.strip() for line in raw]
    gaps = [len(g) for g in _GAP.findall(text)]
    # the layout's signature: many cell and row gaps, and short lines next to each other rarely one newline apart
    # (a table whose cells are one newline apart and rows three, as sample 42's statistics table, is another layout)
    adjacent = sum(1 for gap, a, b in zip(gaps, lines, lines[1:])
                   if gap == 1 and len(a) <= _CELL_MAX and len(b) <= _CELL_MAX)
    if gaps.count(_CELL_GAP) < 10 or gaps.count(_ROW_GAP) < 3 or gaps.count(_CELL_GAP) < 4 * adjacent:
        return None
    raw, lines, gaps = _markers_dropped(raw, lines, gaps)
    out: list[str] = [raw[0]]
    counted = [False]
    row = [lines[0]] if len(lines[0]) <= _CELL_MAX else None
    for gap, token, line in zip(gaps, lines[1:], raw[1:]):
        cells, breaks = divmod(gap, _CELL_GAP)
        short = len(token) <= _CELL_MAX and row is not None
        value = _is_value(token)
        if short and breaks == 0 and (cells == 1 or value):  # the same row, cells - 1 blanks between
            row += [""] * (cells - 1) + [token]
            out[-1] = "\t".join(row)
            counted[-1] = True
            continue
        if short and breaks == 2 and cells >= 1:  # a row break; the blanks close the row above or open this one
            blanks = [""] * (cells - 1)
            if value:
                row = blanks + [token]
            else:
                out[-1] = "\t".join(row + blanks) if blanks else out[-1]
                row = [token]
            out.append("\t".join(row) if len(row) > 1 else row[0])
            counted.append(len(row) > 1)
            continue
        out.append(line)  # an ordinary line break: the line as it was (a leading tab is a blank cell)
        counted.append(False)
        row = [token] if len(token) <= _CELL_MAX else None
    return list(zip(out, counted))


def _markers_dropped(raw: list[str], lines: list[str], gaps: list[int]) -> tuple[list[str], list[str], list[int]]:
    """The counted-out text without its page markers and the cell gap each added: a marker a scrape joined as a
    node of its own was counted as a cell, moving the cells after it in its row one column on (or nulling the row)."""
    if not any(_PAGE_MARKER.match(_clean(line)) for line in lines[1:]):
        return raw, lines, gaps
    keep_raw, keep_lines, keep_gaps = [raw[0]], [lines[0]], []
    gap = 0
    for g, line, token in zip(gaps, raw[1:], lines[1:]):
        gap += g
        if _PAGE_MARKER.match(_clean(token)):
            gap -= _CELL_GAP  # the marker's own cell gap; what is left joins the gap after it
            continue
        keep_raw.append(line)
        keep_lines.append(token)
        keep_gaps.append(max(gap, 1))
        gap = 0
    return keep_raw, keep_lines, keep_gaps


def text_to_blocks(text: str) -> list[Block]:
    blocks = []
    text = drop_invisible(text)  # before cells are counted out: '8\u200c21' is one value, 821
    if "｜" in text:  # full-width bars, as line_to_block reads them (and the layout tests below see them)
        text = text.replace("｜", "|")
    counted = _counted_lines(text)
    if counted is None:
        counted = [(line, False) for line in text.splitlines()]
    for line, is_counted in ((piece, c) for whole, c in counted for piece in whole.splitlines()):
        if _PAGE_MARKER.match(_clean(line)):
            continue
        block = line_to_block(line)
        if block is not None:
            if is_counted and block.is_row:
                block = CountedRow(block.cells, True)
            elif "\t" not in line and "|" not in line:
                if block.is_row:
                    block = SpacedRow(block.cells, True)
                elif _is_value(block.cells[0]):
                    block = LoneValue(block.cells)
            blocks.append(block)
    return blocks
