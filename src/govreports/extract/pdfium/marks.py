"""Footnote marks in a PDF table cell: the smaller, raised characters printed after a value's number.

A PDF has no superscript, only characters drawn smaller and higher: Word exports a footnote mark after a value
('821' then a superscript '1') as such characters, and both readers took them for the number's last digits (8211).
The HTML and DOCX readers drop `<sup>` and vertAlign superscript runs after a value cell's number by the same rule
(extract.html._marked_cell_text, extract.docx._unmarked): only where the rest is a number, so a label's 'm²' and
anything printed smaller but on the line (a unit) are kept. Both PDF readers (extract.pdfium.tables, extract.pdf's
pdfplumber path) ask here with their characters as (text, x0, top, x1, bottom), `top` measured down the page and a
character's box one font size high, as pdfminer gives it.
"""

from __future__ import annotations

from collections.abc import Callable

from govreports.parse.values import parse_value

SMALLER = 0.85  # a mark is drawn at most this share of the cell's largest characters' size (Word: ~0.65, reportlab 0.8)
RAISED = 0.15  # …with its box's bottom at least this share of that size above theirs (Word raises ~0.33)
AFTER = 0.5  # points a mark may start before the number's last character ends (kerning, float rounding)


def cell_text(chars: list, text_of: Callable[[list], str]) -> str:
    """The cell's text as `text_of` makes it from its characters, less the footnote marks after its number where
    the rest is a number ('821' and a small raised '1' is 821; a label keeps its marks)."""
    rest = unmarked(chars)
    if rest is not None:
        bare = text_of(rest)
        value = parse_value(bare)
        if value is not None and value.number is not None:
            return bare
    return text_of(chars)


def unmarked(chars: list[tuple]) -> list[tuple] | None:
    """The cell's characters (text, x0, top, x1, bottom) without the smaller raised ones after the last
    full-size character, or None when it has none."""
    if len(chars) < 2:
        return None
    sizes = [ch[4] - ch[2] for ch in chars]
    largest = max(sizes)
    if largest <= 0 or min(sizes) > SMALLER * largest:  # one size in the cell: nearly every cell, answered in one pass
        return None
    full = [ch for ch, size in zip(chars, sizes) if size > SMALLER * largest]
    last = max(full, key=lambda ch: ch[3])  # the number's last character
    marks = {i for i, (ch, size) in enumerate(zip(chars, sizes))
             if size <= SMALLER * largest and not ch[0].isspace() and ch[1] >= last[3] - AFTER
             and last[4] - largest < ch[4] <= last[4] - RAISED * largest}
    if not marks:
        return None
    return [ch for i, ch in enumerate(chars) if i not in marks]
