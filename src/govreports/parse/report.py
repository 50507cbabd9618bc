"""Blocks → canonical record: metadata, format, sections, the three tables and the checks."""

from __future__ import annotations

import re

from govreports import schema
from govreports.extract.document import Block, Document
from govreports.parse import meta as M
from govreports.parse import runs
from govreports.parse.published import find_published
from govreports.parse.formats import detect_format
from govreports.parse.normalize import annotate
from govreports.parse.sections import (find_headings, rejoin_wrapped_headings, repeated_body, split_inline_headings,
                                       split_run_together, split_sections)
from govreports.parse.tables import read_active, read_applications, read_review
from govreports.text import INVISIBLE, drop_invisible
from govreports.validate.checks import evaluate

_REPORT_PHRASE = re.compile(r"信息公开(?:工作)?(?:年度)?(?:工作)?(?:\d{4}年度)?(?:报告|年报)")
# the period a report covers ("统计期限为2017年1月1日至2017年12月31日"; its years folded to digits, as formal
# documents write 二〇一七年一月一日至…十二月三十一日), near its start; notices and lists lack it
_COVERED_PERIOD = re.compile(r"(?:19|20)\d{2}年[1一]月[1一]日(?:起)?(?:至|到|—|-)(?:(?:19|20)\d{2}年)?"
                             r"(?:12|十二)月(?:31|三十一)日")
_HEAD_CHARS = 3000
_TABLES = ("active", "applications", "review_litigation")


def build_record(document: Document, hints: dict) -> dict | None:
    """The canonical record, or None when the document holds no annual report."""
    hints = _visible(hints)
    if document.unreadable:
        # only the list entry can say: its date, and the agency and year its title names (without them the report
        # was filed under no agency, and the scorecard called the agency's year missing)
        published, source = find_published([], {}, hints, None)
        agency, year = M.title_facts(hints)
        return {
            "title": M.title_hint(hints), "agency": agency, "year": year, "format": "unknown", "published": published,
            "published_source": source, "reason": document.unreadable, "checks": [],
        }
    _drop_invisible(document.blocks)
    meta = _visible(document.meta)
    blocks = rejoin_wrapped_headings(split_inline_headings(split_run_together(document.blocks)))
    annotate(blocks)
    title = M.find_title(blocks, meta, hints)
    year = M.find_year(title, blocks, hints)
    full_key = "".join([k for b in blocks for k in b.keys])
    structured_headings = find_headings(blocks, structured=True)
    first = {str(n): blocks[i].keys[0] for i, n in structured_headings}
    fmt = detect_format(full_key, first, year)
    headings = structured_headings if fmt in schema.TABLE_FORMATS else find_headings(blocks, structured=False)
    if not _is_report(fmt, headings, full_key, title):
        return None
    if (repeat := repeated_body(blocks, headings)) is not None:  # the page printed the body twice: read it once
        cut, copies = repeat
        blocks, headings = blocks[:cut], [h for h in headings if h[0] < cut]
    published, source = find_published(blocks, meta, hints, headings[0][0] if headings else None,
                                         title, year)
    record: dict = {
        "title": title,
        "agency": M.find_agency(title, blocks, meta),
        "year": year,
        "format": fmt,
        "published": published,
        "published_source": source,  # meta | page | list | closing (parse.published.find_published), or None
    }
    table_blocks: set[int] = set()
    split = runs.Split()
    if fmt in schema.TABLE_FORMATS:
        tables, table_blocks = _read_tables(blocks, headings, fmt, split)
    record["sections"] = split_sections(blocks, headings, skip=table_blocks)
    if fmt in schema.TABLE_FORMATS:
        record.update(tables)
    if (text_layout := split.as_record()) is not None:
        record["text_layout"] = text_layout  # cells read from digit runs, and those left null (parse.runs)
    record["checks"] = evaluate(record)  # after text_layout: a rule the digit runs were cut by is no evidence
    if repeat is not None:
        record["repeated_body"] = copies  # copies of the body on the page; the first one was read
    return record if _found_anything(record) else None


def _drop_invisible(blocks: list[Block]) -> None:
    """Every cell without the characters that show nothing (text.INVISIBLE: '8\u200c21' is 821, '规\u200c章' is
    规章), whatever extractor read it; in place (a cell's text is what the page shows), and only in the blocks that
    hold one: one search over the joined cells finds none in nearly every document."""
    joined = "\n".join([c for b in blocks for c in b.cells])
    if joined.isascii() or INVISIBLE.search(joined) is None:
        return
    for b in blocks:
        if any(INVISIBLE.search(c) for c in b.cells):
            b.cells = [drop_invisible(c) for c in b.cells]


def _visible(facts: dict) -> dict:
    """A document's meta or the crawler's hints with their texts as the page shows them (title, agency, date)."""
    if not any(isinstance(v, str) and INVISIBLE.search(v) for v in facts.values()):
        return facts
    return {k: drop_invisible(v) if isinstance(v, str) else v for k, v in facts.items()}


def _is_report(fmt: str, headings: list, full_key: str, title: str | None) -> bool:
    """Table labels or numbered sections make a report; without headings (text that lost its line breaks), a
    report title and the period it covers do, as they do not in a list of links or a notice."""
    if fmt in schema.TABLE_FORMATS or len(headings) >= 2:
        return True
    if not _REPORT_PHRASE.search(full_key):
        return False
    if headings:
        return True
    return title is not None and _COVERED_PERIOD.search(M.fold_years(full_key[:_HEAD_CHARS])) is not None


def _found_anything(record: dict) -> bool:
    """A record with no title, agency, section text or table value read nothing of a report: saying so (a parse
    error) is honest, an empty record with success is not. A year is not enough: any text can name one (the
    samples' expected records, JSON, were read as reports of agency '' with a year, a format and nothing else)."""
    if record["title"] or record["agency"]:
        return True
    if any(text.strip() for text in record.get("sections", {}).values()):
        return True
    return any(isinstance(v, (int, float)) for table in _TABLES for cols in record.get(table, {}).values()
               for v in cols.values())


def _read_tables(blocks: list[Block], headings: list[tuple[int, int]], fmt: str,
                 split: runs.Split) -> tuple[dict, set[int]]:
    """The three tables, and the indices of the blocks they occupy (section text is the narrative around them)."""
    at = {n: i for i, n in headings}
    n = len(blocks)

    def first(pred, start: int = 0) -> int | None:
        return next((i for i in range(start, n) if pred(blocks[i])), None)

    def keyed(*words):
        return lambda b: any(w in k for k in b.keys for w in words)

    active_start = _earliest(at.get(2), first(keyed("第二十条第")))
    app_start = _earliest(at.get(3), first(keyed("勾稽关系", "本年新收政府信息公开申请"), active_start or 0))
    after_app = app_start if app_start is not None else (active_start or 0)
    review_start = at.get(4)
    if review_start is None:
        review_start = first(lambda b: any(k == "行政复议" or k.startswith("行政复议") and len(k) < 8 for k in b.keys),
                             after_app)
    end = next((i for i, num in headings if num >= 5 and i > (review_start or after_app)), n)
    bounds = sorted(i for i in (active_start, app_start, review_start, end) if i is not None)

    occupied: set[int] = set()

    def region(start: int | None, *anchors: str) -> list[Block]:
        if start is None:
            return []
        stop = next((b for b in bounds if b > start), n)
        # the table proper begins at its first row or anchor; what precedes it is the section's narrative
        begin = next((i for i in range(start, stop) if blocks[i].is_row or _is_table_start(blocks[i], anchors)), stop)
        occupied.update(range(begin, stop))
        return blocks[start:stop]

    regions = {
        "active": region(active_start, "第二十条第", "信息内容"),
        "applications": region(app_start, "勾稽关系", "申请人情况"),
        "review_litigation": region(review_start, "行政复议"),
    }
    starts = [i for i in (active_start, app_start, review_start) if i is not None]
    span_keys = [k for b in blocks[min(starts):end] for k in b.keys] if starts else []
    run_together = runs.run_together(span_keys)
    run_text = "".join(span_keys) if run_together else ""
    tables = {}
    unkeyed: dict = {}  # cells of rows the format has no key for (tables.read_applications)
    for name, blocks_of in regions.items():
        rows_split = runs.Split()
        table = (read_active(blocks_of, fmt, rows_split) if name == "active"
                 else read_applications(blocks_of, fmt, rows_split, unkeyed) if name == "applications"
                 else read_review(blocks_of, rows_split))
        # a table whose cells were run together (whitespace-stripped scrapes) is split where the split is forced;
        # it replaces the row reading unless that reads more (a PDF cell holding a few glued rows must not)
        run_split = runs.Split()
        run_unkeyed: dict = {}
        run_table = runs.read(run_text, name, fmt, run_split, run_unkeyed) if name in run_together else None
        if run_table is not None and _filled(run_table) >= _filled(table):
            table, rows_split = run_table, run_split
            unkeyed = {k: v for k, v in unkeyed.items() if not k.startswith(f"{name}.")} | run_unkeyed
        split.merge(rows_split)
        tables[name] = table
    found = {name: table for name, table in tables.items() if table is not None}
    if unkeyed:
        found["unkeyed_rows"] = unkeyed
    return found, occupied


def _filled(table: dict | None) -> int:
    return sum(v is not None for cols in (table or {}).values() for k, v in cols.items() if k != "amount_unit")


def _is_table_start(block: Block, anchors: tuple[str, ...]) -> bool:
    key = block.keys[0] if block.keys else ""
    return key.startswith(anchors) or "勾稽关系" in key


def _earliest(*indices: int | None) -> int | None:
    found = [i for i in indices if i is not None]
    return min(found) if found else None
