"""The rows of a table drawn without ruling lines, each value in its column by where it stands on the page.

A positioned-text page (PDF, OFD, OCR words) gives such a table as text lines, its cells split at the spaces
(extract.lines.split_spaced_values): a blank cell leaves no trace in the line, so '规章 1 2' in a table of three
columns says nothing of which cell is blank; read from the left, every value after the blank moved one column on.
The page says more: the columns stand at the same x across the table's rows. The values of a table's rows are
grouped into columns where their x ranges overlap; the words of its header lines, matched to those columns, name
the columns no row fills. Each row then holds a cell a column, "" where it has no value.

Every row comes back as a SpacedRow: with its columns placed it has one cell a column, and parse.tables reads it
as it reads any row (a table with a column this reading did not find has rows shorter than the form's, and those
are left null and listed ambiguous, never read from the left). Where the positions do not decide — values closer
than a character's size (text set as running text, not in columns), two values of one row in one column — the row
is a SpacedRow as it was read, and one shorter than its table is null and listed ambiguous as well.

A table is the run of row lines on a page until a line that reaches over its values or starts right of its labels
(a heading, a paragraph, the next table's header) or a ruled table; the lines a label wrapped onto, left of the
values, are inside it, and so is a line holding one value (a row's only value, its label wrapped around it: read
as the value of the label above, it was that row's first cell): placed, it is a row; not placed, a LoneValue.
A line holding one value right after a row line, under one of its values and nearer than two lines' height, is
that value's rest, wrapped in its cell ('1234' and under it '5': 12345), and is joined to it; so is a bare number the
page's reader set aside as a possible page number (a folio line: the last row's rest has no line near below it), which
is dropped where it is no such rest.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from govreports.extract.document import Block
from govreports.extract.lines import _VALUE_TOKEN, LoneValue, SpacedRow, _clean, line_to_block

MERGE = 3.0  # header words (of several lines) whose centres are this close (points) name one column
HEADER_LINES = 8  # the lines above a table looked at for its header
MAX_COLUMNS = 64  # a header of more words, or a table of more columns, is no report's (the header is not read)
SHIFTED = 3  # columns a header line must name, all set as far to one side of their words, to name one set farther
WRAPPED = 2.0  # a value's wrapped rest stands under it nearer than this many times the characters' size
GAP = 1.0  # the least gap between two columns' values, in the characters' size: running text has a space's
FOLIO_SIZE = 0.1  # a possible page number is a value's wrapped rest only set in the row's size, within this share
PITCH = 1.05  # a possible page number is a value's wrapped rest only within this share of the rows' least pitch
ALIGNED = 1.0  # points between a value's edge and a column's edge set to the same side (one cell edge, one padding)


@dataclass
class TextLine:
    """One text line of a page: its block (as extract.lines.line_to_block reads the text), the x range of each of
    its space-separated words (None where not known), the characters' size, its top, and where the block is kept (a
    list whose first item place() replaces with the placed row). `folio`: a bare number that may be the page's number
    (no line near both above and below it, among_lines): place() keeps it only as the wrapped rest of a value of the
    row line just above it (the last row's '1234' and under it '5'), and empties its holder otherwise."""

    text: str
    block: Block
    spans: list[tuple[float, float]] | None
    size: float
    top: float
    holder: list = field(default_factory=list)
    folio: bool = False


def place(lines: list[TextLine], ruled: list[float] = ()) -> None:
    """Replace each row line's block (in its holder) with its placed SpacedRow; `lines`: a page's, in order;
    `ruled`: the tops of the page's ruled tables (read apart), each of which ends a table without rules."""
    group: list[TextLine] = []
    heads: list[TextLine] = []
    left = float("inf")  # the group's leftmost value
    labels = float("-inf")  # where its labels end
    previous = float("-inf")
    ruled = sorted(ruled)
    last = None  # the line before
    aside: dict[str, list[float]] = {"left": [], "right": []}  # the edges of the page's columns set to one side
    for line in lines:
        above, last = last, line
        if group and bisect_right(ruled, previous) < bisect_right(ruled, line.top):
            _place_group(group, heads, aside)
            group, heads, left, labels = [], [], float("inf"), float("-inf")
        previous = line.top
        if line.folio:  # the page's number, unless the rest of a value of the row line just above
            if not (group and group[-1] is above and line.top - above.top <= PITCH * _pitch(group, heads)
                    and _set_as_column(group, above, line) and _wrapped(above, line)):
                line.holder.clear()
                last = above
            continue
        if line.holder and (line.block.is_row or _lone(line)):
            if _values(line) is None:
                continue  # a row of bars or tabs: its cells are drawn in the text, kept as they are
            if not (group and group[-1] is above and _wrapped(above, line)):
                group.append(line)
            if (spans := _value_spans(line)) is not None:
                left = min(left, spans[0][0])
                labels = max(labels, _label_right([line]))
            continue
        # a line over the values, or right of the labels (a sub-table's heading), ends the table; a label's wrapped
        # piece, in the labels' column, does not
        ends = line.spans is None or bool(line.spans) and (line.spans[-1][1] > left or line.spans[0][0] > labels
                                                            > float("-inf"))
        if group and ends:
            _place_group(group, heads, aside)
            group, heads, left, labels = [], [], float("inf"), float("-inf")
        if not group:
            heads = [*heads[1 - HEADER_LINES:], line]
    if group:
        _place_group(group, heads, aside)


def _pitch(group: list[TextLine], heads: list[TextLine]) -> float:
    """The least distance between two row lines next to each other in `group`; with one row, its distance under
    the line above the table (`heads`: its header line), inf without one. A value's rest wrapped in its cell stands
    nearer under it than the next row would; a page number close under the last row, farther, is no such rest
    (38 and the page's 7 under it read 387; table 二's one-row 政府集中采购 125.5 read 125.57)."""
    rows = [line.top for line in group if line.block.is_row]
    if len(rows) == 1 and heads and rows[0] > heads[-1].top:
        return rows[0] - heads[-1].top
    return min((b - a for a, b in zip(rows, rows[1:]) if b > a), default=float("inf"))


def _set_as_column(group: list[TextLine], above: TextLine, line: TextLine) -> bool:
    """Whether a possible page number (`line`, one value) stands under a value of the row line `above` as a rest
    wrapped in its cell would: set to the same side, or centred, as the values of that column are (where their widths
    differ, the edge or centre they share says how they are set; where they do not, at any of the three), within
    ALIGNED of that value's. A page number centred on the page stands off its column's centre (38 and the page's 7
    1.6 pt right of 38's centre read 387)."""
    if line.spans is None or len(line.spans) != 1 or (spans := _value_spans(above)) is None:
        return False
    rest = line.spans[0]
    under = [span for span in spans if _overlap(span, rest)]
    if len(under) != 1:
        return False
    value = under[0]
    column = [s for ln in group if (ss := _value_spans(ln)) is not None for s in ss if _overlap(s, value)]
    ways = {"left": lambda s: s[0], "right": lambda s: s[1], "centre": lambda s: (s[0] + s[1]) / 2}
    widths = [s[1] - s[0] for s in column]
    if max(widths) - min(widths) > 2 * ALIGNED:  # the column's values say how they are set
        ways = {k: f for k, f in ways.items() if max(map(f, column)) - min(map(f, column)) <= ALIGNED}
    return any(abs(f(rest) - f(value)) <= ALIGNED for f in ways.values())


def among_lines(top: float, size: float, tops: list[float]) -> bool:
    """Whether a line at `top` has a line above it and one below, each nearer than WRAPPED times `size` (`tops`:
    the page's lines', sorted): a bare number so set is a table's value (a row's only value between its label's
    wrapped lines, a value's wrapped rest), not a page number, which the page's margins set apart."""
    at = bisect_left(tops, top)
    above = tops[at - 1] if at else float("-inf")
    below = tops[bisect_right(tops, top)] if bisect_right(tops, top) < len(tops) else float("inf")
    return top - above < WRAPPED * size and below - top < WRAPPED * size


def folio_elsewhere(top: float, centre: float, width: float, spots) -> bool:
    """Whether another page has a possible page number where a bare number at `top`, centred at `centre`, stands
    (`spots`: their (top, x centre, widest character); within a point of its top, a character of its centre): then
    it is this page's number, however it stands under a table's value (set as a wrapped rest of it would be, no rule
    of one page tells them apart)."""
    return any(abs(t - top) <= 1.0 and abs(x - centre) <= max(w, width) for t, x, w in spots)


def _wrapped(above: TextLine, line: TextLine) -> bool:
    """Whether `line`, one value, is the rest of a value of the row line above wrapped in its cell ('1234' and under
    it '5': 12345), standing in that value's x range nearer than WRAPPED lines' height (a folio line, the possible
    page number, also set in the row's size); if so, the value is joined (the row line's text, block and spans) and
    the line's block dropped."""
    if not _lone(line) or line.spans is None or len(line.spans) != 1 or not above.block.is_row:
        return False
    if line.folio and abs(line.size - above.size) > FOLIO_SIZE * above.size:
        return False  # set in another size than the row: the page's number
    if (spans := _value_spans(above)) is None or not 0 < line.top - above.top < WRAPPED * max(line.size, above.size):
        return False
    under = [n for n, span in enumerate(spans) if _overlap(span, line.spans[0])]
    tokens = _clean(above.text).split(" ")
    if len(under) != 1 or len(tokens) != len(above.spans):
        return False
    at = len(tokens) - len(spans) + under[0]
    tokens[at] += line.block.cells[0]
    block = line_to_block(" ".join(tokens))
    if not _VALUE_TOKEN.match(tokens[at]) or block is None or len(block.cells) != len(above.block.cells):
        return False
    (x0, x1), (y0, y1) = above.spans[at], line.spans[0]
    above.text, above.block, above.spans[at] = " ".join(tokens), block, (min(x0, y0), max(x1, y1))
    above.holder[:1] = [block]
    line.holder.clear()
    return True


def _lone(line: TextLine) -> bool:
    """A line holding one value (a row's only value, its label on the lines above)."""
    return not line.block.is_row and bool(_VALUE_TOKEN.match(line.block.cells[0]))


def _values(line: TextLine) -> list[str] | None:
    """The row's value cells, as split_spaced_values split them; None for a row that is not a spaced line."""
    if "\t" in line.text or "|" in line.text or "｜" in line.text:
        return None
    cells = line.block.cells
    return cells if _VALUE_TOKEN.match(cells[0]) else cells[1:]


def _value_spans(line: TextLine) -> list[tuple[float, float]] | None:
    """The x ranges of the row's values; None where they are not known or stand closer than GAP (running text)."""
    values = _values(line)
    tokens = _clean(line.text).split(" ")
    if not values or line.spans is None or len(line.spans) != len(tokens) or tokens[-len(values):] != values:
        return None
    spans = line.spans[-len(values):]
    before = line.spans[: len(line.spans) - len(values)]
    edges = ([before[-1]] if before else []) + spans
    if any(b[0] - a[1] < GAP * line.size for a, b in zip(edges, edges[1:])):
        return None
    return spans


def _place_group(group: list[TextLine], heads: list[TextLine], aside: dict[str, list[float]] | None = None) -> None:
    """Place the group's rows; lines holding one value are placed as rows (label-less) in a table of two columns or
    more, and stay as they were in one of a column or in a run of such lines alone (one value a line). `aside`: the
    edges of the page's columns so far whose values were set to one side of their cells (_with_header_columns)."""
    if len(group) > 1 and all(map(_lone, group)):
        return
    spanned = [(line, _value_spans(line)) for line in group]
    columns = _merged([s for _, spans in spanned if spans for s in spans])
    columns = _with_header_columns(columns, heads, _label_right(group), _label_left(group), aside,
                                   _own_sides([s for _, spans in spanned if spans for s in spans], columns))
    if len(columns) < 2:
        if all(map(_lone, group)):
            return
        group = [line for line in group if not _lone(line)]
        spanned = [(line, spans) for line, spans in spanned if not _lone(line)]
    starts, ends = [c[0] for c in columns], [c[1] for c in columns]  # the columns are apart: both sorted
    placed: dict[int, list[str]] = {}
    for n, (line, spans) in enumerate(spanned):
        if spans is None:
            continue
        cells = [""] * len(columns)
        for value, (x0, x1) in zip(_values(line), spans):
            first, past = bisect_right(ends, x0), bisect_left(starts, x1)  # the columns the value stands over
            if past - first != 1 or cells[first]:
                return _unplaced(group)  # two values in one column, a value over two: the positions do not decide
            cells[first] = value
        placed[n] = cells
    for n, line in enumerate(group):
        values = _values(line)
        label = line.block.cells[: len(line.block.cells) - len(values)]
        if n in placed:
            line.holder[0] = SpacedRow(label + placed[n], True)
        else:
            line.holder[0] = LoneValue(values) if _lone(line) else SpacedRow(label + values, True)


def _own_sides(spans: list[tuple[float, float]], columns: list[tuple[float, float]]) -> dict[str, list[float]]:
    """The edges of the columns whose own values say they are set to one side of their cells: values of
    different widths sharing that edge (within ALIGNED) and not the other (a total alone in table 三, set right in
    a cell 46 pt wide; centred values share neither edge)."""
    out: dict[str, list[float]] = {"left": [], "right": []}
    for column in columns:
        values = [s for s in spans if _overlap(s, column)]
        widths = [s[1] - s[0] for s in values]
        if len(values) < 2 or max(widths) - min(widths) <= 2 * ALIGNED:
            continue
        lefts, rights = [s[0] for s in values], [s[1] for s in values]
        if max(lefts) - min(lefts) <= ALIGNED < max(rights) - min(rights):
            out["left"].append(column[0])
        elif max(rights) - min(rights) <= ALIGNED < max(lefts) - min(lefts):
            out["right"].append(column[1])
    return out


def _label_right(group: list[TextLine]) -> float:
    """Where the group's row labels end (the rightmost label word's end); -inf for rows without labels."""
    ends = [line.spans[len(line.spans) - len(_values(line)) - 1][1] for line in group
            if line.spans and _value_spans(line) is not None and len(line.spans) > len(_values(line))]
    return max(ends, default=float("-inf"))


def _label_left(group: list[TextLine]) -> float:
    """Where the group's row labels start (the leftmost label word's start); inf for rows without labels."""
    starts = [line.spans[0][0] for line in group
              if line.spans and _value_spans(line) is not None and len(line.spans) > len(_values(line))]
    return min(starts, default=float("inf"))


def _unplaced(group: list[TextLine]) -> None:
    for line in group:
        line.holder[0] = LoneValue(list(line.block.cells)) if _lone(line) else SpacedRow(list(line.block.cells), True)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans joined where they overlap (a column's values, however aligned, overlap each other)."""
    out: list[tuple[float, float]] = []
    for x0, x1 in sorted(spans):
        if out and x0 < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], x1))
        else:
            out.append((x0, x1))
    return out


def _with_header_columns(columns: list[tuple[float, float]], heads: list[TextLine], label_right: float,
                         label_left: float = float("inf"),
                         aside: dict[str, list[float]] | None = None,
                         self_set: dict[str, list[float]] | None = None) -> list[tuple[float, float]]:
    """The columns with those the header names that no row's value stands in (a column blank in every row).

    A header line (two words or more right of the labels) names the columns under it: each column of values within its
    reach goes to the word whose centre is nearest (nearer than half the words' spacing and than the word is wide, or,
    three columns or more all set alike to one side of their words, numbers set right in wide cells, nearer than half
    the spacing; one column a word; a line that spans columns, 行政复议 行政诉讼 over fifteen, has two columns for a word, and a
    value set to the left of a wide merged cell stands under no word: such a line says nothing), and one must. A header
    row set over several text lines (its one-line cells apart from its two-line cells: 自然人 总计 apart from 商业企业 科研机构 其他)
    is read, where a line alone says nothing, as the line with the words of the others that stand beside its own (行政复议's
    five measures beside 行政诉讼's ten). A word of the line no column went to is a column blank in every row, unless it
    stands over two words of another header line (行政诉讼 over its ten, with one value under 行政复议). Left of every value,
    the first word of a line over labelled rows may be the labels' header (信息内容), centred over the labels' column or set
    at its left: it is one where that column (from the labels' start, the word at its centre) would end before the first
    value and before the line's next word (_labels_header), and is not added; a word farther right, whose column would
    reach over the values, is a blank column's (自然人 blank in every row of table 三). The added columns are narrow, at
    their word's centre: no value stands in them.

    A line whose columns, three or more, are named as set to one side adds their edges on that side to `aside` (the
    page's, across its tables). A line that says nothing of columns too few to show a side (one value of a
    two-measure block, 本年增/减's cell merged over two columns, stands between the two words, near neither) names them
    by `aside` (_named_aside): a value whose edge stands at such an edge is set to that side of its cell; so does a
    column whose own values say they are set to one side (`self_set`, _own_sides: one or two such columns, too few to
    show a side, table 三 with 总计 alone set right)."""
    if not columns or len(columns) > MAX_COLUMNS:
        return columns
    words_of = [_cell_words([s for s in head.spans if s[0] > label_right], head.size, columns)
                for head in heads if head.spans]
    words_of = [words for words in words_of if len(words) <= MAX_COLUMNS]
    lines = [words for words in words_of if len(words) >= 2]
    extra: list[float] = []
    for words in lines:
        own = words
        taken = _named(words, columns, aside)
        if not taken:  # the line and the words of its row the other lines hold (a header row set over two lines)
            words = _band(words, [other for other in words_of if other is not words])
            taken = _named(words, columns, aside)
            if not taken and (aside or self_set):
                words = own
                sides = {k: (aside or {}).get(k, []) + (self_set or {}).get(k, []) for k in ("left", "right")}
                taken = _named_aside(words, columns, sides, label_left)
            if not taken:
                continue
        mids = [(w[0] + w[1]) / 2 for w in words]
        half = min(b - a for a, b in zip(mids, mids[1:])) / 2
        for n, (w, mid) in enumerate(zip(words, mids)):
            if n in taken or w not in own:
                continue
            if n == 0 and _labels_header(words, label_left, columns[0][0]):
                continue
            if any(sum(_overlap(w, o) for o in other) > 1 for other in lines if other is not own):
                continue
            if any(c[0] - half / 2 < mid < c[1] + half / 2 for c in columns):
                continue
            extra.append(mid)
    if not extra:
        return columns
    added: list[float] = []
    for mid in sorted(extra):  # one column named by several header lines
        if not added or mid - added[-1] > MERGE:
            added.append(mid)
    return sorted(columns + [(mid - 0.1, mid + 0.1) for mid in added])


def _cell_words(words: list[tuple[float, float]], size: float,
                columns: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A header line's words with each two next to each other that are one cell's text joined: less than the
    characters' `size` apart, with a column of values reaching from under the one over the gap to under the other
    (a value does not reach over two cells; one set to one side of its cell may stand under a gap between two).
    本年收费金额（单位：万元） set with a gap before its parenthesis (as PDFium's tight glyph boxes can leave it) read as
    two words over its one value, the first taken for a column blank in every row."""
    out: list[tuple[float, float]] = []
    for w in words:
        if out and w[0] - out[-1][1] < size and any(c[0] < out[-1][1] and w[0] < c[1] for c in columns):
            out[-1] = (out[-1][0], max(out[-1][1], w[1]))
        else:
            out.append(w)
    return out


def _named(words: list[tuple[float, float]], columns: list[tuple[float, float]],
           aside: dict[str, list[float]] | None = None) -> set[int] | None:
    """The words (by index) the columns within the line's reach go to, one a word, each to the nearest; None where a
    column within its reach is near no word or shares its word (the line spans columns, or is not the header).
    Columns set as far to one side of their words name them; their edges on that side are added to `aside`."""
    mids = [(w[0] + w[1]) / 2 for w in words]
    half = min(b - a for a, b in zip(mids, mids[1:])) / 2
    taken: set[int] = set()
    shifts: list[float] = []  # each column's centre less its word's
    reached: list[tuple[float, float]] = []
    far = False  # a column farther from its word than the word is wide
    for column in columns:
        c = (column[0] + column[1]) / 2
        if not mids[0] - half < c < mids[-1] + half:
            continue
        reached.append(column)
        nearest = min(range(len(mids)), key=lambda i: abs(mids[i] - c))
        if abs(mids[nearest] - c) >= half or nearest in taken:
            return None
        far = far or abs(mids[nearest] - c) >= words[nearest][1] - words[nearest][0]
        taken.add(nearest)
        shifts.append(c - mids[nearest])
    if far and (len(shifts) < SHIFTED or max(shifts) - min(shifts) > min(w[1] - w[0] for w in words) / 2):
        return None
    if far and aside is not None:
        side = "left" if shifts[0] < 0 else "right"
        aside[side].extend(c[0] if side == "left" else c[1] for c in reached)
    return taken


def _named_aside(words: list[tuple[float, float]], columns: list[tuple[float, float]],
                 aside: dict[str, list[float]], label_left: float) -> set[int] | None:
    """The words (by index) the columns go to where each column's edge stands at an edge in `aside` (the page's
    columns named as set to that side): a column set left goes to the nearest word right of its centre, the word
    before that one ending left of the column (set right: to the nearest left, the word after starting right of
    it), one column a word and never the labels' header (信息内容); None where a column is not so set or so named."""
    mids = [(w[0] + w[1]) / 2 for w in words]
    taken: set[int] = set()
    for x0, x1 in columns:
        c = (x0 + x1) / 2
        if any(abs(x0 - edge) <= ALIGNED for edge in aside["left"]):
            n = next((n for n, mid in enumerate(mids) if mid > c), None)
            ok = n is not None and x0 < words[n][0] and (n == 0 or words[n - 1][1] < x0)
        elif any(abs(x1 - edge) <= ALIGNED for edge in aside["right"]):
            n = next((n for n in range(len(mids) - 1, -1, -1) if mids[n] < c), None)
            ok = n is not None and words[n][1] < x1 and (n == len(words) - 1 or x1 < words[n + 1][0])
            ok = ok and not (n == 0 and _labels_header(words, label_left, columns[0][0]))
        else:
            return None
        if not ok or n in taken:
            return None
        taken.add(n)
    return taken


def _labels_header(words: list[tuple[float, float]], label_left: float, first: float) -> bool:
    """Whether the line's first word is the labels' header (信息内容), left of the first value (at `first`): its
    column, from the labels' start to as far right of the word's centre, ends before the first value and before the
    line's next word (自然人's, table 三's first column blank in every row, reaches over 商业企业)."""
    end = 2 * (words[0][0] + words[0][1]) / 2 - label_left
    return label_left < words[0][1] <= first and end <= first and (len(words) < 2 or end <= words[1][0])


def _band(words: list[tuple[float, float]], others: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The line's words with those of other header lines that stand beside them, the narrowest first (a cell's word
    before the merged cell's over it): one header row whose cells, one line or two high, were set on several text
    lines (自然人 总计 apart from 商业企业 科研机构 其他; 行政复议's measures apart from 行政诉讼's)."""
    band = list(words)
    for w in sorted((w for other in others for w in other), key=lambda w: w[1] - w[0]):
        if len(band) < MAX_COLUMNS and not any(_overlap(w, b) for b in band):
            band.append(w)
    return sorted(band)
