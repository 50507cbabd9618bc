"""Reports as plain text, in the shapes copied-out tables take on real sites (FORMAT.md §9 "Text shapes").

A table row is written as the cells that start in that row, as an HTML row lists them: a rowspan label appears only
on its first row, so continuation rows of table 三 start with their sub-label (samples/texts/13_*.txt).

Two more layouts are how PDF text layers and scrapes really arrive (issue 14), for round trips that check the
parser reads every cell the text determines and no other: `pypdf` (text_layer) — labels hard-wrapped over several
lines, numbers space-separated on the label's last line or on a line of their own, rowspan labels one glyph per
line, the review table's headers stacked, page markers "- N -" anywhere in a table, a blank cell leaving no trace;
and `stripped` — every text node joined and all whitespace deleted (the Hebei scrapes, samples 43–47).
"""

from __future__ import annotations

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import Table

STYLES = ("tabs", "cell_per_line", "pipes")
LAYOUT_STYLES = ("pypdf", "stripped")  # lossy layouts: not every cell is determined by the text

# what a blank value cell becomes in cell_per_line, where an empty line could not be told from a missing cell
BLANK_PLACEHOLDER = "——"


def _table_lines(table: Table, style: str) -> list[str]:
    lines = []
    for row in table.rows:
        fields = [cell.text for cell in row]
        if style == "tabs":
            lines.append("\t".join(f or "" for f in fields).rstrip("\t"))
        elif style == "pipes":
            lines.append(" | ".join(f or "" for f in fields) + " |")
        else:
            lines.extend(BLANK_PLACEHOLDER if f is None else f for f in fields)
    return lines


def to_text(record: dict, style: str = "tabs") -> str:
    """The report as text. tabs: a blank line between all lines (as sample 13), blank cells are empty fields and
    trailing blank fields are dropped. pipes: `a | b | c |`, blank cells empty, nothing dropped. cell_per_line: one
    cell per line, blank cells as "——"."""
    if style == "pypdf":
        return text_layer(record)
    if style == "stripped":
        return stripped(record)
    if style not in STYLES:
        raise ValueError(f"unknown text style {style!r}; expected one of {STYLES + LAYOUT_STYLES}")
    lines = [record.get("title") or ""]
    if date := date_line(record):
        lines.append(date)
    for block in body_blocks(record):
        if block.kind == "table":
            lines.extend(_table_lines(block.table, style))
        else:
            lines.append(block.text)
    separator = "\n\n" if style == "tabs" else "\n"
    return separator.join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """Hard wraps every `width` characters, as a PDF text layer breaks a label in a narrow cell. A piece never ends
    in 年/月/第/共/为/约 (a line such as "四、结转下年 5 0" would read as a date, not a row: not covered here)."""
    pieces, rest = [], text
    while len(rest) > width:
        cut = width
        while cut > 1 and rest[cut - 1] in "年月第共为约":
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces + [rest] if rest else pieces


def _table_layer(table: Table, width: int, detach: int, page: int, counter: list[int]) -> list[str]:
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        counter[0] += 1
        if page and counter[0] % page == 0:
            lines.append(f"- {counter[0] // page + 1} -")

    for r, row in enumerate(table.rows):
        labels = [c for c in row if c.kind != "value"]
        values = [c.text for c in row if c.kind == "value" and c.text is not None]
        if not values and all(c.kind == "head" for c in row):
            if table.key == "review_litigation":  # stacked headers: two glyphs a line
                for cell in labels:
                    for piece in _wrap(cell.text or "", 2):
                        emit(" ".join(piece))
            else:
                emit(" ".join(c.text or "" for c in labels))
            continue
        pieces: list[str] = []
        for cell in labels:
            if cell.rowspan > 2 and len(cell.text or "") < 12:  # 三、本年度办理结果, 不予公开…: a glyph a line
                pieces.extend(ch for ch in (cell.text or "") if ch.strip())
            else:
                pieces.extend(_wrap(cell.text or "", width))
        numbers = " ".join(values)
        if not pieces:
            if numbers:
                emit(numbers)
            continue
        for piece in pieces[:-1]:
            emit(piece)
        if numbers and detach and r % detach == 0:
            emit(pieces[-1])
            emit(numbers)
        else:
            emit(f"{pieces[-1]} {numbers}".rstrip())
    return lines


def text_layer(record: dict, width: int = 9, detach: int = 3, page: int = 17) -> str:
    """The report as a pypdf/pdfium text layer lays it out: table labels wrapped every `width` characters, the
    numbers of every `detach`-th row on a line of their own (0: never), a page marker "- N -" after every `page`
    table lines (0: none), blank cells dropped. Paragraphs stay whole (their wraps are not what is tested)."""
    lines = [record.get("title") or ""]
    if date := date_line(record):
        lines.append(date)
    counter = [0]
    for block in body_blocks(record):
        if block.kind == "table":
            lines.extend(_table_layer(block.table, width, detach, page, counter))
        else:
            lines.append(block.text)
    return "\n".join(lines) + "\n"


def stripped(record: dict) -> str:
    """The report as a scrape that joined every text node and deleted all whitespace: cells run together, blank
    cells vanish, sections and table rows follow each other with no separator."""
    parts = [record.get("title") or ""]
    for block in body_blocks(record):
        if block.kind == "table":
            parts.extend(cell.text or "" for row in block.table.rows for cell in row)
        else:
            parts.append(block.text)
    return "".join("".join(p.split()) for p in parts) + "\n"
