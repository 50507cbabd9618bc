"""Read the three official tables out of a document's blocks.

Each table is read from its own region of the document (between the section headings or anchors that bound it),
as a stream of (labels, values) rows: a row's values are the value cells after its last label cell, so group
labels (三、本年度办理结果, （三）不予公开) and rowspans need no grid. Values are then fitted to the official column
count: trailing blanks trimmed (text exports drop them), leading blanks dropped only when there are too many
(a colspan artefact in PDF text), and the rest padded with null.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter

from govreports import schema
from govreports.extract.document import Block
from govreports.extract.lines import _MARK_WORD, CountedRow, LoneValue, SpacedRow
from govreports.parse import labels as L
from govreports.parse.normalize import label_core, strip_numbering
from govreports.parse.values import BLANK, Value, parse_value


def labelled_rows(blocks: list[Block]) -> Iterator[tuple[list[str], list[Value], bool]]:
    """Yield (label keys, values, came from a table row). Lines holding one value join the label line above.
    The values of a row whose cells only spaces separated (extract.lines.SpacedRow) are a SpacedValues list."""
    pending: tuple[list[str], list[Value], bool] | None = None
    for b in blocks:
        parsed = list(map(parse_value, b.cells))
        if b.is_row:
            if pending:
                yield pending
                pending = None
            keys = b.keys
            # the cells after the last label are the values (Value compares by identity: `in` and index stay in C)
            last = len(parsed) - 1 - parsed[::-1].index(None) if None in parsed else -1
            # a text cell after a value, or a slip as the first value cell (most rows: labels, then values)
            if last > 0 and (_has_value(parsed[:last]) or _slip(keys[last]) and last + 1 < len(parsed)):
                _blank_slips(parsed, keys, b.cells)
                if (notes := _notes_at(parsed)) is not None:
                    parsed, keys = parsed[:notes], keys[:notes]
                last = len(parsed) - 1 - parsed[::-1].index(None) if None in parsed else -1
            label_keys = [k for k, p in zip(keys[: last + 1], parsed[: last + 1]) if p is None and k]
            values = parsed[last + 1 :]
            if isinstance(b, (SpacedRow, CountedRow)):
                values = (SpacedValues if isinstance(b, SpacedRow) else CountedValues)(values)
            yield label_keys, values, True
        elif parsed[0] is None:
            if pending:
                yield pending
            pending = ([b.keys[0]], [], False)
        elif pending:
            if isinstance(b, LoneValue) and not isinstance(pending[1], SpacedValues):
                pending = (pending[0], SpacedValues(pending[1]), pending[2])
            pending[1].append(parsed[0])
        else:
            yield [], [parsed[0]], False
    if pending:
        yield pending


def _blank_slips(parsed: list[Value | None], keys: list[str], cells: list[str] = ()) -> None:
    """Read as blank a text cell that stands among a row's values and is no label ('3S', '35*', 'O', '约35': a
    typing or OCR slip, a footnote mark): taken for a label, it dropped the values before it and moved those after
    it into the row's first columns, silently; the row's last cell ('约25万') dropped all of them. A label holds two
    Han characters or numbering ('（一）', '1.'); a slip follows a value (after the row's last label before it) and
    no label follows it. A text cell before a row's values stays a label: a wrapped label's last piece ('卷 0 0 0'
    under '7.属于行政执法案')."""
    texts = [i for i, p in enumerate(parsed) if p is None]
    labels = [i for i in texts if i < len(keys) and _is_label(keys[i])]
    for i in texts:
        if i in labels:
            continue
        start = max((j for j in labels if j < i), default=-1)
        if any(j > i for j in labels):
            continue
        # after a value; or, right after the label, a slip ('13S', '约13', 'O', '〇' as the first value cell: taken
        # for a label, its row's numbers moved one column left, silently), not a wrapped label's Han piece ('开')
        if _has_value(parsed[start + 1 : i]) or start >= 0 and i < len(keys) and _slip(keys[i]):
            parsed[i] = MARK_SLIP if i < len(cells) and _MARK_WORD.match(cells[i].strip()) else SLIP


def _notes_at(parsed: list[Value | None]) -> int | None:
    """Where the notes after a row's numbers begin ('规章 13 13 524 含历年累计', a template's 备注 column), or None:
    text after the last number, in a row whose label comes before its numbers. Taken for the row's label, a note
    dropped every number before it."""
    numbers = [i for i, p in enumerate(parsed) if p is not None and p.number is not None]
    if not numbers or None not in parsed[: numbers[0]] or None not in parsed[numbers[-1] :]:
        return None
    return parsed.index(None, numbers[-1])


# a text cell among a row's values read blank (_blank_slips): it holds its cell, never dropped as a blank at a row's
# end ('…\t3\t6*\t', the seed's row with its leading blank: dropped, the row's numbers moved one column right)
SLIP = Value(None)
MARK_SLIP = Value(None)  # a slip that is a footnote mark alone ('*', '①', '注1'): held as a slip is


def _droppable(value: Value) -> bool:
    """A blank at a row's end that may be no cell of it (a text export's trailing tab, a colspan artefact), which
    fit() and the readers drop; a slip is not one."""
    return value.number is None and value is not SLIP and value is not MARK_SLIP


def _has_value(cells: list[Value | None]) -> bool:
    return any(p is not None for p in cells)


# Han characters but those that qualify a number ('约25万', '10余件'): a label has two of them
_HAN = re.compile(r"(?![约万元件个余多近份次起宗家户篇笔])[\u4e00-\u9fff]")


def _slip(key: str) -> bool:
    """A text cell that is no label piece: it holds a digit, or no Han character at all."""
    return any(c.isdigit() for c in key) or not _HAN.search(key)


def _is_label(key: str) -> bool:
    return len(_HAN.findall(key)) >= 2 or strip_numbering(key) != key


_NUMBER = attrgetter("number")


class SpacedValues(list):
    """Values of a space-separated text row: blank cells left no trace, so when there are fewer than the row has
    cells, which cells they are is not determined."""


class CountedValues(list):
    """Values of a row of cells counted out by newlines (extract.lines.CountedRow): each stands where it stood."""


def _unplaced(values: list[Value], n: int) -> bool:
    """Whether a space-separated row's values cannot be placed in its `n` cells: fewer (blanks left no trace), or
    more than its cells but for trailing blanks (a bare page number among one-cell-per-line cells: fitted, the
    row's leading blank was dropped as an artefact and every cell moved one column left). A row of counted cells
    with more than its cells but for the blanks at its ends (which fit() drops) holds a bare page number the scrape
    joined as a cell of its own: fitted, it was read by its first cells, the page number one of them."""
    if isinstance(values, CountedValues) and len(values) > n:
        start, end = 0, len(values)
        while end > start and _droppable(values[end - 1]):
            end -= 1
        while end - start > n and _droppable(values[start]):
            start += 1
        return end - start > n
    if not isinstance(values, SpacedValues) or not _has_number(values):
        return False
    if len(values) > n:
        end = len(values)
        while end > n and _droppable(values[end - 1]):
            end -= 1
        return end > n
    return 0 < len(values) < n


def _wrapped(identify, pieces: list[str]) -> str | None:
    """The row a wrapped label names: the shortest run of trailing pieces that, joined, a label identifies (the
    pieces before it are group labels or glyph-per-line headers such as 三、/本/年/度…)."""
    for start in range(len(pieces) - 1, -1, -1):
        found = identify("".join(pieces[start:]))
        if found:
            return found
    return None


def _not_a_header(identify):
    """A bare 其他 or 总计 above numbers is the header's column label, not the row （六）其他处理 / （七）总计."""
    return lambda key: None if key in ("其他", "总计", "合计", "小计") else identify(key)


def fit(values: list[Value], n: int) -> list[Value]:
    vals = list(values)
    while vals and _droppable(vals[-1]):
        vals.pop()
    while len(vals) > n and _droppable(vals[0]):
        vals.pop(0)
    return vals[:n] + [BLANK] * (n - len(vals))


def _has_number(values: list[Value]) -> bool:
    return any(v.number is not None for v in values)


def read_active(blocks: list[Block], fmt: str, split=None) -> dict | None:
    """Table 二; `split` (parse.runs.Split) collects the cells of rows whose numbers cannot be placed."""
    wanted = schema.ACTIVE_MEASURES[fmt]
    out: dict[str, dict] = {}
    seen_values = False  # a table, not only a paragraph that happens to start with 规章 or 行政许可
    header: list[str] | None = None
    collecting = False
    header_unit = None
    carry: list[str] = []  # label lines since the last row with values (a wrapped item label's pieces)
    for label_keys, values, from_row in labelled_rows(blocks):
        if not label_keys:
            if not _has_number(values) or not carry:
                continue
            label_keys = []  # numbers on a line of their own: the label is the wrapped pieces above
        # the header row names 信息内容; a core (numbering and notes dropped: characters only removed) is that only
        # in a key holding its four characters, which most label rows lack (two patterns a label spared)
        joined = "\n".join(label_keys)
        cores = [label_core(k) for k in label_keys] if all(c in joined for c in "信息内容") else ()
        if "信息内容" in cores:
            header = label_keys[cores.index("信息内容") + 1 :]
            collecting = not values
            carry = []
            continue
        item = L.active_item(label_keys[-1]) if label_keys else None
        if item is None and values:
            item = _wrapped(L.active_item, carry + label_keys)
            label_keys = label_keys or carry[-1:]
        carry = [] if values else ([label_keys[-1]] if item else carry + label_keys[-1:])
        if item is None:
            if collecting and not values and not L.active_item(label_keys[0]):
                header.extend(label_keys)  # one header cell per line
            continue
        collecting = False
        if item not in wanted:
            continue
        measures = _header_measures(header) or wanted[item]
        header_unit = _unit_in(header) or header_unit
        if not values and not from_row and item in out:
            continue
        row = {m: None for m in wanted[item]}
        numeric = [m for m in measures if m != "amount_unit"]
        if _unplaced(values, len(numeric)):
            if split is not None:
                split.ambiguous.extend(f"active.{item}.{m}" for m in numeric if m in row)
            values = []
        for m, v in zip(numeric, fit(values, len(numeric))):
            if m in row:
                row[m] = v.number
                if m == "amount" and "amount_unit" in row:
                    row["amount_unit"] = (v.unit or header_unit) if v.number is not None else None
        seen_values = seen_values or bool(values) or from_row or header is not None
        if item in out and _filled(out[item]) and not _filled(row):
            continue
        out[item] = row
    if not seen_values:
        return None
    return {item: out.get(item) or {m: None for m in ms} for item, ms in wanted.items()}


def _header_measures(header: list[str] | None) -> list[str] | None:
    if not header:
        return None
    found = [L.measure(k) for k in header if k]
    return found if found and all(found) else None


def _unit_in(header: list[str] | None) -> str | None:
    for k in header or ():
        if L.measure(k) == "amount":
            return "万元" if "万元" in k else ("元" if "元" in k else None)
    return None


def _filled(row: dict) -> bool:
    return any(v is not None for k, v in row.items() if k != "amount_unit")


def read_applications(blocks: list[Block], fmt: str, split=None, unkeyed: dict | None = None) -> dict | None:
    """Table 三. `unkeyed` collects the cells of a row the format has no key for: a 2021 table that kept the 2019
    form's single （六）其他处理 row ("applications.other"), whose values no 2021 row may take (3.其他 is one of its
    three parts), so they are kept beside the table and R2 says why it is not evaluable; and the converse, a 2019
    table with the 2021 form's three sub-rows ("applications.other_overdue_correction", …_fee, …_misc), whose
    3.其他 is no more the single row than the single row is 3.其他."""
    rows = schema.APPLICATION_ROWS[fmt]
    ncol = len(schema.APPLICANT_COLUMNS)
    out: dict[str, dict] = {}
    seen_values = False
    read = list(labelled_rows(blocks))
    subtotal = _unheaded_subtotal(read, ncol)
    total_header = False
    in_header = True  # until the first row of the table takes values: only the header names the columns

    other_form: set[str] = set()  # the rows of the other form's （六） this table has (kept in `unkeyed`)

    def identify(key: str) -> str | None:
        row = L.application_row(key)
        if row == "other" and fmt == "2021":
            return None
        if row == "other_misc" and fmt == "2019":
            return None if other_form else "other"  # after the 2021 form's sub-rows 1 and 2, its 3.其他
        return row if row in rows else None

    def other_form_row(key: str) -> str | None:
        return L.other_form_row(key, fmt, bool(other_form))

    carry: list[str] = []  # label lines since the last row that took values: a wrapped label's pieces
    width = ncol + (1 if subtotal else 0)
    short: tuple[str, list[Value]] | None = None  # the row just read, when it has fewer cells than the table
    for label_keys, values, from_row in read:
        if not label_keys and not _has_number(values):
            continue
        before, short = short, None
        # the header's 小计 column, or its 合计 one beside 总计: the organisations' subtotal. Below the header a 合计
        # (or 小计) row is a template's sum row: it switched the reading on for the rows after it, and a row whose
        # trailing blank cell made it one value longer lost its 总计
        if in_header and any(map(L.is_subtotal, label_keys)):
            subtotal = True
        if in_header and not values:
            total_header = total_header or "总计" in label_keys
            subtotal = subtotal or total_header and "合计" in label_keys
        if "勾稽关系" in "\n".join(label_keys) or "申请人情况" in label_keys:
            seen_values = True  # the table's header: its rows count even when every value is blank
        row = identify(label_keys[-1]) if label_keys else None
        unkeyed_row = None
        if not values:
            carry = [label_keys[-1]] if row else carry + label_keys[-1:]
        elif row is None or not label_keys:
            # numbers under a label that wrapped over several lines (or a page break): the label is the pieces
            # since the last row, joined; numbers on a line of their own belong to the label above
            pieces = carry + label_keys
            row = _wrapped(_not_a_header(identify), pieces)
            # a row of the other form's （六）其他处理 (a 2021 table's single 2019 row, a 2019 table's three 2021
            # sub-rows), its label whole, wrapped or above its numbers
            if row is None and unkeyed is not None and _has_number(values):
                unkeyed_row = (label_keys and other_form_row(label_keys[-1])
                               or _wrapped(_not_a_header(other_form_row), pieces))
            carry = []
        else:
            carry = []
        if row is None and before and not label_keys and from_row and not isinstance(values, SpacedValues):
            # a row's cells broken over two lines (numbers with no label after a row that stopped short): joined,
            # where together they are the table's cells; else which cells they are is not known (dropped, the rest
            # of the row was lost without a word, and its first line's cells were read from the wrong end)
            named, first = before
            joined = _trimmed(first + list(values), width)
            if len(joined) == width:
                out[named] = _row_cells(joined, subtotal, ncol)
            else:  # the first line's cells stand from the row's first column (unless it starts blank: an artefact?)
                kept = 0 if first[0].number is None else min(len(first), ncol - 1)  # never a 小计 as 总计
                out[named] = _row_cells(first[:kept], subtotal, ncol)
                if split is not None:
                    split.ambiguous.extend(f"applications.{named}.{c}" for c in schema.APPLICANT_COLUMNS[kept:])
            continue
        if row not in rows:
            if unkeyed_row:  # placed as a keyed row is: values a text layout cannot place stay null, listed
                unplaced = _unplaced(values, ncol + (1 if subtotal else 0))
                if unplaced and split is not None:
                    split.ambiguous.extend(f"applications.{unkeyed_row}.{c}" for c in schema.APPLICANT_COLUMNS)
                unkeyed[f"applications.{unkeyed_row}"] = _row_cells([] if unplaced else list(values), subtotal, ncol)
                other_form.add(unkeyed_row)
            continue  # a label-only line is still a row: text exports drop trailing blank cells
        seen_values = seen_values or bool(values) or from_row
        in_header = in_header and not _has_number(values)
        vals = list(values)
        if _unplaced(values, ncol + (1 if subtotal else 0)):
            if split is not None and not (row in out and _filled(out[row])):
                split.ambiguous.extend(f"applications.{row}.{c}" for c in schema.APPLICANT_COLUMNS)
            vals = []
            values = []
        cells = _row_cells(vals, subtotal, ncol)
        if row in out and _filled(out[row]) and not _has_number(values):  # a row read (0s too) stays as read
            continue
        if row == "total" and _bare_sum(label_keys) and any(v is not None for v in out.get("total", {}).values()):
            continue  # a template's own 合计 row (under 四、结转…) after the （七）总计 row: not the official total
        out[row] = cells
        # a row short of the table's cells, of a table row or of lines (a cell per line, each ending in a bar, the
        # last with the row's trailing bars: '8 | |||||||||' is a row of its own, its first cell the row's 总计)
        if _has_number(values) and not isinstance(values, SpacedValues) and len(values) < width:
            short = (row, list(values))
    if not seen_values:
        return None
    empty = dict.fromkeys(schema.APPLICANT_COLUMNS)
    return {row: out.get(row) or dict(empty) for row in rows}


def _trimmed(vals: list[Value], width: int) -> list[Value]:
    """`vals` without the blanks at its ends beyond `width` cells, trailing ones first (as fit() drops them)."""
    vals = list(vals)
    while len(vals) > width and _droppable(vals[-1]):
        vals.pop()
    while len(vals) > width and _droppable(vals[0]):
        vals.pop(0)
    return vals


def _unheaded_subtotal(read: list, ncol: int) -> bool:
    """Whether table 三's rows hold a 法人或其他组织 subtotal column before 总计 that no header cell names: rows one
    value longer than the form, of which some add up (自然人 + the five organisation columns, blanks as 0) to their
    last value, none to the value before it. Read by position, the subtotal was 总计 and the real 总计 dropped. Where
    no row tells (totals left blank, sums that do not add up), the rows are read as before: first values first."""
    last = before = 0
    for _keys, values, _from_row in read:
        if len(values) != ncol + 1:
            continue
        *parts, x, y = (v.number for v in values)
        if any(isinstance(n, float) for n in (*parts, x, y)):
            continue  # counts only
        whole = sum(n or 0 for n in parts)
        if x != y:
            last += y is not None and whole == y
            before += x is not None and whole == x
    return last > 0 and before == 0


def _row_cells(vals: list[Value], subtotal: bool, ncol: int) -> dict:
    if subtotal:
        # blanks beyond the table's ncol + 1 cells are no cells of it (a text row's trailing tab, a colspan
        # artefact before the values), as fit() drops them: counted, they kept the subtotal in place of 总计
        while len(vals) > ncol + 1 and _droppable(vals[-1]):
            vals.pop()
        while len(vals) > ncol + 1 and _droppable(vals[0]):
            vals.pop(0)
        while len(vals) > ncol + 1 and vals[-1] in (SLIP, MARK_SLIP):  # a mark in a cell after 总计: no cell of it
            vals.pop()
        if len(vals) == ncol + 1:
            del vals[ncol - 1]  # the unofficial 法人或其他组织 小计 column before 总计
    return dict(zip(schema.APPLICANT_COLUMNS, map(_NUMBER, fit(vals, ncol))))


def _bare_sum(label_keys: list[str]) -> bool:
    """A row labelled only 总计 / 合计, without the （七） that numbers the official row."""
    return bool(label_keys) and label_keys[-1] in ("总计", "合计")


def _one_group(vals: list[Value], n: int) -> list[Value] | None:
    """A table-四 row that holds one group's `n` cells, fitted to them; None when which cells they are is not
    determined. A short row lost its trailing blanks (text exports drop them). A long one has a blank at one end that
    is no cell (an indented pipe row's empty first cell, a text row's trailing tab); with blanks at both ends, which
    one is not known. A footnote mark in a cell of its own after the row's cells is none either (a slip, a 'O' for
    0 or '3S', is kept: the row's cells are then not known). Run together before they were fitted, such a row moved every later group by a cell."""
    vals = list(vals)
    while len(vals) > n and vals[-1] is MARK_SLIP:  # a footnote mark in a cell after the group's 总计: no cell
        vals.pop()
    while len(vals) > n:
        first, last = _droppable(vals[0]), _droppable(vals[-1])
        if first == last:
            return None
        vals.pop(0 if first else -1)
    return vals + [BLANK] * (n - len(vals))


def _sums_hold(values: list[Value], n: int) -> bool:
    """Whether each group of table 四's cells, as `values` fit them, has its total (the last of its `n`) equal to the
    sum of the others, blanks as 0; a group all blank holds."""
    flat = fit(values, n * len(schema.REVIEW_GROUPS))
    for i in range(len(schema.REVIEW_GROUPS)):
        cells = [v.number for v in flat[i * n:(i + 1) * n]]
        if any(c is not None for c in cells) and (cells[-1] or 0) != sum(c or 0 for c in cells[:-1]):
            return False
    return True


def read_review(blocks: list[Block], split=None) -> dict | None:
    segments: list[tuple[str, list[Value]]] = []  # ("row" | "lone" | "text", values) in order
    has_header = False
    spaced = counted = False
    for label_keys, vals, from_row in labelled_rows(blocks):
        if not has_header and any("结果维持" in k or "尚未审结" in k for k in label_keys):
            has_header = True
            segments = []  # numbers before the table's header are no cells of it (a footer)
            spaced = False
        kind = "lone" if not from_row and not label_keys else "row" if from_row and _has_number(vals) else "text"
        segments.append((kind, vals))
        spaced = spaced or isinstance(vals, SpacedValues)
        counted = counted or isinstance(vals, CountedValues)
    # the table's cells stand in rows: a lone number before one of them is a page footer; one after the last is that
    # row's last cell, wrapped onto a line of its own (taken for a footer, the row lost it), unless the groups' sums
    # hold only without it: a page number after a row whose last group is blank read as that group's first cell
    last_row = max((i for i, (kind, _) in enumerate(segments) if kind == "row"), default=-1)
    segments = [seg for i, seg in enumerate(segments) if not (seg[0] == "lone" and i < last_row)]
    n = len(schema.REVIEW_MEASURES)
    if last_row >= 0 and any(kind == "lone" for kind, _ in segments[last_row:]):
        without = segments[:last_row + 1] + [seg for seg in segments[last_row + 1:] if seg[0] != "lone"]
        if not _sums_hold([v for _, vals in segments for v in vals], n) and \
                _sums_hold([v for _, vals in without for v in vals], n):
            segments = without
    rows = [vals for kind, vals in segments if kind == "row"]
    if (not spaced and len(rows) == len(schema.REVIEW_GROUPS)
            and not any(_has_number(vals) for kind, vals in segments if kind != "row")):
        # one row a group (a table per group, as sample 14 writes it): each row is fitted to its five cells
        values = []
        for group, row in zip(schema.REVIEW_GROUPS, rows):
            cells = _one_group(row, n)
            if cells is None:
                if split is not None:
                    split.ambiguous.extend(f"review_litigation.{group}.{m}" for m in schema.REVIEW_MEASURES)
                cells = [BLANK] * n
            values.extend(cells)
    else:
        values = [v for _kind, vals in segments for v in vals]
    if not values and not has_header:
        return None
    kind = SpacedValues if spaced else CountedValues if counted else None
    if kind is not None and _unplaced(kind(values), n * len(schema.REVIEW_GROUPS)):
        if split is not None:
            split.ambiguous.extend(f"review_litigation.{g}.{m}" for g in schema.REVIEW_GROUPS
                                   for m in schema.REVIEW_MEASURES)
        values = []
    flat = fit(values, n * len(schema.REVIEW_GROUPS))
    return {
        group: dict(zip(schema.REVIEW_MEASURES, (v.number for v in flat[i * n : (i + 1) * n])))
        for i, group in enumerate(schema.REVIEW_GROUPS)
    }
