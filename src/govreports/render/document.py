"""The reading order every layout shares: title, date line, then each section's heading, text and table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govreports import schema
from govreports.render.layout import Table, section_paragraphs, tables


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph" | "table"
    text: str = ""
    table: Table | None = None


def date_line(record: dict) -> str | None:
    return f"发布日期：{record['published']}" if record.get("published") else None


def has_tables(record: dict) -> bool:
    return record.get("format") in schema.TABLE_FORMATS and any(
        record.get(k) for k in ("active", "applications", "review_litigation"))


def body_blocks(record: dict, active_variant: str = "clean") -> Iterator[Block]:
    """Sections in order; a section's own text comes before the table the form places under its heading."""
    sections = record.get("sections") or {}
    by_section = tables(record, active_variant) if has_tables(record) else {}
    for number, heading in schema.SECTION_HEADINGS.items():
        if number not in sections and number not in by_section:
            continue
        yield Block("heading", heading)
        for paragraph in section_paragraphs(sections.get(number)):
            yield Block("paragraph", paragraph)
        if number in by_section:
            yield Block("table", table=by_section[number])
