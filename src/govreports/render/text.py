"""Reports as plain text, in the three shapes copied-out tables take on real sites (FORMAT.md §9 "Text shapes").

A table row is written as the cells that start in that row, as an HTML row lists them: a rowspan label appears only
on its first row, so continuation rows of table 三 start with their sub-label (samples/texts/13_*.txt).
"""

from __future__ import annotations

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import Table

STYLES = ("tabs", "cell_per_line", "pipes")

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
    if style not in STYLES:
        raise ValueError(f"unknown text style {style!r}; expected one of {STYLES}")
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
