"""The official forms of tables 二, 三 and 四 as abstract grids of cells, shared by every renderer.

The row order, labels and row/column spans of the 〔2019〕60号 and 〔2021〕30号 forms are encoded here once; the HTML,
text, DOCX and PDF renderers only decide how a cell is drawn. Value cells keep their key (`ref`) so tests can check
that each number lands where the form puts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from govreports import schema

HEAD, LABEL, VALUE = "head", "label", "value"


@dataclass(frozen=True)
class Cell:
    text: str | None  # None: a blank value cell (each renderer has its own way of writing a blank)
    rowspan: int = 1
    colspan: int = 1
    kind: str = VALUE
    ref: tuple[str, str, str] | None = None  # (table, row, column) of a value cell


@dataclass(frozen=True)
class Table:
    key: str  # "active" | "applications" | "review_litigation"
    ncols: int
    rows: tuple[tuple[Cell, ...], ...]


def format_number(value) -> str | None:
    """Numbers as a report writes them: no exponent, no thousands separator, floats as their shortest repr."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"not a table value: {value!r}")
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:f}".rstrip("0").rstrip(".")
    return text


def active_value_text(item: str, measure: str, cols: dict) -> str | None:
    """A table-二 cell's text; the procurement amount carries its unit in the cell, as in "251000元"."""
    text = format_number(cols.get(measure))
    if item == "procurement" and measure == "amount" and text is not None and cols.get("amount_unit"):
        text += cols["amount_unit"]
    return text


def item_label(item: str, fmt: str) -> str:
    if fmt == "2021" and item == "normative_documents":
        return "行政规范性文件"
    return schema.ACTIVE_ITEM_LABELS[item]


def measure_label(measure: str, fmt: str) -> str:
    if fmt == "2021" and measure == "decisions":
        return "本年处理决定数量"
    return schema.MEASURE_LABELS[measure]


def active_blocks(fmt: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(block numeral, items, shown measures) of the 第二十条 blocks a format has, in form order."""
    blocks = []
    for numeral, items in schema.ACTIVE_BLOCKS.items():
        present = tuple(i for i in items if i in schema.ACTIVE_MEASURES[fmt])
        if present:
            measures = tuple(m for m in schema.ACTIVE_MEASURES[fmt][present[0]] if m != "amount_unit")
            blocks.append((numeral, present, measures))
    return blocks


def _spread(n: int, width: int) -> list[int]:
    """Spans of n cells filling `width` grid columns: all 1 except the last, as the forms leave it."""
    return [1] * (n - 1) + [width - (n - 1)]


def active_table(record: dict, variant: str = "clean") -> Table:
    """Table 二. `variant="word"` reproduces the 5-column Word export in which value rows of some blocks are split
    1|2|1|1 while their header row is 1|1|2|1 (samples/html/report_tables_2019_format_shanghai_excerpt.html), so a
    reader must pair values with headers by cell order, not by grid column."""
    fmt = record["format"]
    data = record.get("active") or {}
    ncols = 5 if variant == "word" else 4
    rows: list[tuple[Cell, ...]] = []
    for numeral, items, measures in active_blocks(fmt):
        n = len(measures)
        if variant == "word":
            head_spans = {3: [1, 2, 1], 2: [2, 2], 1: [4]}[n]
            value_spans = [2, 1, 1] if (n == 3 and (numeral != "一" or fmt == "2021")) else head_spans
        else:
            head_spans = value_spans = _spread(n, ncols - 1)
        rows.append((Cell(f"第二十条第（{numeral}）项", colspan=ncols, kind=HEAD),))
        rows.append((Cell("信息内容", kind=HEAD),)
                    + tuple(Cell(measure_label(m, fmt), colspan=s, kind=HEAD) for m, s in zip(measures, head_spans)))
        for item in items:
            cols = data.get(item) or {}
            rows.append((Cell(item_label(item, fmt), kind=LABEL),)
                        + tuple(Cell(active_value_text(item, m, cols), colspan=s, ref=("active", item, m))
                                for m, s in zip(measures, value_spans)))
    return Table("active", ncols, tuple(rows))


def _application_values(row: str, cols: dict) -> tuple[Cell, ...]:
    return tuple(Cell(format_number(cols.get(c)), ref=("applications", row, c)) for c in schema.APPLICANT_COLUMNS)


def application_row_groups(fmt: str) -> dict[str, str]:
    """Row key -> key of the rowspan group label (（三）…（六）) its first row carries; sub-rows of a group only."""
    groups = {r: "withheld" for r in schema.WITHHELD_ROWS}
    groups.update({r: "unavailable" for r in schema.UNAVAILABLE_ROWS})
    groups.update({r: "rejected" for r in schema.REJECTED_ROWS})
    if fmt == "2021":
        groups.update({r: "other" for r in schema.OTHER_ROWS["2021"]})
    return groups


def applications_table(record: dict) -> Table:
    """Table 三 with the official merged header and the rowspans of 三、本年度办理结果 and its groups."""
    fmt = record["format"]
    data = record.get("applications") or {}
    labels = schema.APPLICANT_LABELS
    orgs = schema.APPLICANT_COLUMNS[1:-1]
    rows: list[tuple[Cell, ...]] = [
        (Cell(schema.APPLICATION_TABLE_NOTE, rowspan=3, colspan=3, kind=HEAD),
         Cell("申请人情况", colspan=7, kind=HEAD)),
        (Cell(labels["natural_person"], rowspan=2, kind=HEAD), Cell("法人或其他组织", colspan=5, kind=HEAD),
         Cell(labels["total"], rowspan=2, kind=HEAD)),
        tuple(Cell(labels[c], kind=HEAD) for c in orgs),
    ]
    groups = application_row_groups(fmt)
    group_sizes = {g: sum(1 for v in groups.values() if v == g) for g in set(groups.values())}
    outcome_rows = schema.OUTCOME_ROWS[fmt] + ("total",)
    seen_groups: set[str] = set()
    for row in schema.APPLICATION_ROWS[fmt]:
        cells: list[Cell] = []
        label = schema.APPLICATION_ROW_LABELS[row]
        if row == outcome_rows[0]:
            cells.append(Cell("三、本年度办理结果", rowspan=len(outcome_rows), kind=LABEL))
        if row in ("new", "carried_in", "carried_out"):
            cells.append(Cell(label, colspan=3, kind=LABEL))
        elif row in groups:
            group = groups[row]
            if group not in seen_groups:
                seen_groups.add(group)
                cells.append(Cell(schema.APPLICATION_GROUPS[group], rowspan=group_sizes[group], kind=LABEL))
            cells.append(Cell(label, kind=LABEL))
        else:
            cells.append(Cell(label, colspan=2, kind=LABEL))
        rows.append(tuple(cells) + _application_values(row, data.get(row) or {}))
    return Table("applications", 10, tuple(rows))


def review_table(record: dict) -> Table:
    """Table 四: one data row of 15 values under a three-row header."""
    data = record.get("review_litigation") or {}
    measure_heads = tuple(Cell(schema.REVIEW_MEASURE_LABELS[m], kind=HEAD) for m in schema.REVIEW_MEASURES)
    rows = (
        (Cell(schema.REVIEW_GROUP_LABELS["review"], colspan=5, kind=HEAD), Cell("行政诉讼", colspan=10, kind=HEAD)),
        tuple(Cell(c.text, rowspan=2, kind=HEAD) for c in measure_heads)
        + (Cell(schema.REVIEW_GROUP_LABELS["litigation_direct"], colspan=5, kind=HEAD),
           Cell(schema.REVIEW_GROUP_LABELS["litigation_after_review"], colspan=5, kind=HEAD)),
        measure_heads + measure_heads,
        tuple(Cell(format_number((data.get(g) or {}).get(m)), ref=("review_litigation", g, m))
              for g in schema.REVIEW_GROUPS for m in schema.REVIEW_MEASURES),
    )
    return Table("review_litigation", 15, rows)


def tables(record: dict, active_variant: str = "clean") -> dict[str, Table]:
    """Section number -> the table the form puts under that section's heading."""
    return {"2": active_table(record, active_variant), "3": applications_table(record), "4": review_table(record)}


def placements(table: Table) -> list[tuple[int, int, Cell]]:
    """(row, column, cell) of every cell on the grid, resolving spans the way an HTML table does."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return out


def section_paragraphs(text: str | None) -> list[str]:
    """A section's paragraphs; records keep paragraphs of one section joined by newlines."""
    return [p for p in (text or "").split("\n") if p.strip()]
