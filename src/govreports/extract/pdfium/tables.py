"""Ruled tables as pdfplumber's lines strategy builds them (`find_tables()` with its defaults): edges filtered,
snapped, joined; cells from the points where they cross; tables from cells sharing corners; each cell's text from
the characters whose centres fall in it."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right

from govreports.extract.pdfium.lines import cluster, word_lines, words
from govreports.extract.pdfium.marks import cell_text
from govreports.parse.values import parse_value

SNAP = 3.0  # table finder: snap, join and intersection tolerances
JOIN = 3.0
INTERSECT = 3.0
EDGE_MIN_PREFILTER = 1.0
EDGE_MIN = 3.0


def merged(edges: list[list]) -> list[list]:
    """Filter (≥ 1 pt), snap (clusters within 3 pt move to their mean), join (gaps ≤ 3 pt), filter (≥ 3 pt)."""
    out = []
    for orient, pos, lo, hi in (("v", 1, 2, 4), ("h", 2, 1, 3)):
        group = [list(e) for e in edges if e[0] == orient and e[hi] - e[lo] >= EDGE_MIN_PREFILTER]
        for near in cluster(group, lambda e: e[pos], SNAP):
            mean = sum(e[pos] for e in near) / len(near)
            for e in near:
                e[pos] = mean
                e[pos + 2] = mean
        group.sort(key=lambda e: e[pos])
        for _, same in itertools.groupby(group, key=lambda e: e[pos]):
            same = sorted(same, key=lambda e: e[lo])
            joined = [same[0]]
            for e in same[1:]:
                last = joined[-1]
                if e[lo] <= last[hi] + JOIN:
                    if e[hi] > last[hi]:
                        joined[-1] = [*last[:hi], e[hi], *last[hi + 1:]]
                else:
                    joined.append(e)
            out.extend(e for e in joined if e[hi] - e[lo] >= EDGE_MIN)
    return out


def cells(raw_edges: list[list]) -> list[tuple[float, float, float, float]]:
    edges = merged(raw_edges)
    vs = sorted((e for e in edges if e[0] == "v"), key=lambda e: (e[1], e[2]))
    hs = sorted((e for e in edges if e[0] == "h"), key=lambda e: (e[2], e[1]))
    points: dict[tuple[float, float], tuple[set, set]] = {}
    for vi, v in enumerate(vs):
        for hi, h in enumerate(hs):
            if v[2] <= h[2] + INTERSECT and v[4] >= h[2] - INTERSECT and h[1] - INTERSECT <= v[1] <= h[3] + INTERSECT:
                at = points.setdefault((v[1], h[2]), (set(), set()))
                at[0].add(vi)
                at[1].add(hi)
    by_x: dict[float, list] = {}
    by_y: dict[float, list] = {}
    for p in sorted(points):
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)
    cells = []
    for p in sorted(points):
        below = [q for q in by_x[p[0]] if q[1] > p[1]]
        right = [q for q in by_y[p[1]] if q[0] > p[0]]
        cell = None
        for b in below:
            if not points[p][0] & points[b][0]:
                continue
            for r in right:
                if not points[p][1] & points[r][1]:
                    continue
                corner = (r[0], b[1])
                if corner in points and points[corner][0] & points[r][0] and points[corner][1] & points[b][1]:
                    cell = (p[0], p[1], corner[0], corner[1])
                    break
            if cell:
                break
        if cell:
            cells.append(cell)
    return cells


def grid(edges: list[list]) -> bool:
    """Ruling lines (merged as the table finder merges them) meeting in six points or more: enough for a table of
    two cells. A framed box (four corners) or an underline is not a grid."""
    return len(crossings(edges)) >= 6


def crossings(edges: list[list]) -> set[tuple[float, float]]:
    """The points where the merged ruling lines cross (within the intersection tolerance); none where there are
    not two lines each way (a rule crossed by underlines is no grid)."""
    joined = merged(edges)
    vs = [e for e in joined if e[0] == "v"]
    hs = [e for e in joined if e[0] == "h"]
    if len(vs) < 2 or len(hs) < 2:
        return set()
    return {(v[1], h[2]) for v in vs for h in hs
            if v[2] <= h[2] + INTERSECT and v[4] >= h[2] - INTERSECT and h[1] - INTERSECT <= v[1] <= h[3] + INTERSECT}


def tables(cells: list[tuple]) -> list[list[tuple]]:
    """pdfplumber's cells_to_tables: cells sharing a corner form a table; tables of one cell are dropped."""
    remaining = list(cells)
    tables: list[list[tuple]] = []
    corners: set = set()
    current: list[tuple] = []
    while remaining:
        before = len(current)
        for cell in list(remaining):
            x0, t, x1, b = cell
            mine = ((x0, t), (x0, b), (x1, t), (x1, b))
            if not current or any(k in corners for k in mine):
                corners.update(mine)
                current.append(cell)
                remaining.remove(cell)
        if len(current) == before:
            tables.append(current)
            corners, current = set(), []
    if current:
        tables.append(current)
    tables.sort(key=lambda t: min((cell[1], cell[0]) for cell in t))
    return [t for t in tables if len(t) > 1]


def bbox(cells) -> tuple[float, float, float, float]:
    return (min(x[0] for x in cells), min(x[1] for x in cells), max(x[2] for x in cells), max(x[3] for x in cells))


def table_rows(cells: list[tuple], chars: list[tuple]) -> tuple[list[list[str]], int]:
    """Rows by cell top, each row's cells left to right (a position a merged cell covers is not repeated), each
    cell's text as pdfplumber's extract_text gives it (words joined by spaces, lines by newlines). A character
    belongs to the cells its centre is in (x0 ≤ centre < x1, top ≤ centre < bottom), found on the table's grid.

    Also the number of characters taller than the cell they are in by more than the snap tolerance: text this
    path measured wrong (a misread font size spreads a row's characters over the rows around it)."""
    xs = sorted({v for cell in cells for v in (cell[0], cell[2])})
    ys = sorted({v for cell in cells for v in (cell[1], cell[3])})
    slots: dict[tuple[int, int], list[int]] = {}
    for n, (x0, t, x1, b) in enumerate(cells):
        for i in range(bisect_left(xs, x0), bisect_left(xs, x1)):
            for j in range(bisect_left(ys, t), bisect_left(ys, b)):
                slots.setdefault((i, j), []).append(n)
    members: list[list[tuple]] = [[] for _ in cells]
    x_lo, x_hi, y_lo, y_hi = xs[0], xs[-1], ys[0], ys[-1]
    for ch in chars:
        x, y = (ch[1] + ch[3]) / 2, (ch[2] + ch[4]) / 2
        if x_lo <= x < x_hi and y_lo <= y < y_hi:
            for n in slots.get((bisect_right(xs, x) - 1, bisect_right(ys, y) - 1), ()):
                members[n].append(ch)
    tall = sum(1 for n, cell in enumerate(cells) for ch in members[n] if ch[4] - ch[2] > cell[3] - cell[1] + SNAP)
    texts = [cell_text(chars_in, _text) for chars_in in members]
    order = sorted(range(len(cells)), key=lambda n: (cells[n][1], cells[n][0]))
    # a value cell spanning rows leaves a blank in the rows below its first, where its column is: a column's blank
    # cells merged over rows (Word's rowspan) left those rows a cell short, their values one column left (a total
    # read as 其他组织's); a label spanning rows (三、本年度办理结果) needs none, its rows' labels follow. Only cells
    # that reach past the next row's top are looked at: most tables have none, and their rows are taken as they are
    tops = sorted({cell[1] for cell in cells})
    spanning = [n for n in order if _spans_rows(cells[n], tops) and parse_value(texts[n]) is not None]
    rows = []
    for top, row in itertools.groupby(order, key=lambda n: cells[n][1]):
        placed = [(cells[n][0], texts[n]) for n in row]
        below = [(cells[n][0], "") for n in spanning if cells[n][1] < top - SNAP and cells[n][3] > top + SNAP]
        rows.append([text for _, text in sorted(placed + below, key=lambda cell: cell[0])] if below
                    else [text for _, text in placed])
    return rows, tall


def _text(chars: list[tuple]) -> str:
    """A cell's text as pdfplumber's extract_text gives it: words joined by spaces, lines by newlines."""
    return "\n".join(" ".join(w[0] for w in line) for line in word_lines(words(chars)))


def _spans_rows(cell: tuple, tops: list[float]) -> bool:
    """Whether a row of the table starts inside the cell, below its own top (`tops`: the rows' tops, sorted)."""
    following = bisect_right(tops, cell[1] + SNAP)
    return following < len(tops) and tops[following] < cell[3] - SNAP



def stray_crossings(edges: list[list], tables: list[list[tuple]]) -> int:
    """Points where ruling lines cross outside every built table (by more than the intersection tolerance): a
    grid, or part of one, this path drew no table from."""
    boxes = [bbox(table) for table in tables]
    return sum(1 for x, y in crossings(edges)
               if not any(x0 - INTERSECT <= x <= x1 + INTERSECT and t - INTERSECT <= y <= b + INTERSECT
                          for x0, t, x1, b in boxes))
