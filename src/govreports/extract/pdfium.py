"""The fast PDF path: characters with their boxes and the page's ruling lines from PDFium (in C), and from them
the same text lines and ruled tables pdfplumber's defaults give (`extract_text_lines()`, `find_tables()` with the
lines strategy and 3-point tolerances), rebuilt here in a few milliseconds a page instead of pdfminer's ~50.

`read_page` returns a `PageLayout` (tables as rows of cell texts, text lines with their boxes) or, where this path
cannot read the page the way pdfplumber would, the reason as a string; extract.pdf then reads that page with
pdfplumber. The reasons (`FALLBACK_RULES`):

- rotated: the page has /Rotate, or text that is not upright (pdfminer turns both; PDFium's boxes are unrotated);
- unmapped: characters without Unicode (PDFium and pdfminer spell those differently);
- grid without table: the page's ruling lines meet in six points or more (enough for two cells), yet no table
  of two or more cells is built from them (a border this path does not read as edges).

A document PDFium cannot open, or whose cross-reference table it had to rebuild (damaged, truncated), is read by
pdfplumber whole, which reports the damage in its own words as before.

PDFium looks up a system substitute for every CJK font a PDF does not embed (reportlab's STSong-Light, many WPS
exports) and, given the system's Noto CJK collection (20–30 MB), spends ~13 ms a page in FreeType on glyph boxes —
more than the rest of this path. Extraction needs only metrics: widths come from the PDF's /W arrays, and
`use_box_font()` answers CJK requests with a 460-byte font of boxes, once per process. Rendering in the same
process then draws non-embedded CJK text as boxes (scans, which OCR renders, have no fonts to draw).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import struct
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as c

X_TOLERANCE = 3.0  # pdfplumber's word and line tolerances
Y_TOLERANCE = 3.0
SNAP = 3.0  # table finder: snap, join and intersection tolerances
JOIN = 3.0
INTERSECT = 3.0
EDGE_MIN_PREFILTER = 1.0
EDGE_MIN = 3.0
FALLBACK_RULES = ("rotated", "unmapped", "grid without table")
_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    char_width: float  # the widest character (extract.pdf measures indents and wraps in it)


@dataclass
class PageLayout:
    tables: list[tuple[tuple[float, float, float, float], list[list[str]]]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    chars: int = 0


# --- fonts -----------------------------------------------------------------------------------------------------
_FONT_INFO = None
_CJK_CHARSETS = {128, 129, 134, 136}  # Shift-JIS, Hangul, GB2312, Big5: what PDFium asks for a non-embedded CJK font


def box_font() -> bytes:
    """A ~500-byte TrueType font of boxes (ascent 880, descent -120, as CJK faces have): a half-width box for
    printable ASCII, a full-width box for every other code point (cmap format 13) and for .notdef. PDFium needs a
    face for a CJK font a PDF does not embed, for glyph bounds: without one they are empty, and it drops one-glyph
    text objects and repeated lines as duplicates; with the system's Noto CJK collection (20–30 MB) it spends
    ~13 ms a page in FreeType."""
    def box(width: int) -> bytes:
        return (struct.pack(">hhhhhH", 1, 0, -120, width, 880, 3) + struct.pack(">H", 0) + bytes([1, 1, 1, 1])
                + struct.pack(">hhhh", 0, width, 0, -width) + struct.pack(">hhhh", -120, 0, 1000, 0))
    full, half = box(1000), box(500)
    glyf = full + full + half  # .notdef, full, half (each 30 bytes: loca offsets stay even)
    family = "Box".encode("utf-16-be")
    groups = [(0, 0x1F, 1), (0x20, 0x7E, 2), (0x7F, 0x10FFFF, 1)]
    cmap13 = struct.pack(">HHIII", 13, 0, 16 + 12 * len(groups), 0, len(groups)) + b"".join(
        struct.pack(">III", *g) for g in groups)
    tables = {
        b"cmap": struct.pack(">HHHHI", 0, 1, 3, 10, 12) + cmap13,
        b"glyf": glyf,
        b"head": struct.pack(">IIIIHHQQhhhhHHhhh", 0x00010000, 0x00010000, 0, 0x5F0F3CF5, 0, 1000, 0, 0,
                             0, -120, 1000, 880, 0, 8, 2, 0, 0),
        b"hhea": struct.pack(">IhhhHhhhhhhhhhhhH", 0x00010000, 880, -120, 0, 1000, 0, 0, 1000, 1, 0, 0, 0, 0, 0, 0,
                             0, 3),
        b"hmtx": struct.pack(">HhHhHh", 1000, 0, 1000, 0, 500, 0),
        b"loca": struct.pack(">HHHH", 0, len(full) // 2, 2 * len(full) // 2, len(glyf) // 2),
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x00010000, 3, 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": struct.pack(">HHHHHHHHH", 0, 1, 18, 3, 1, 0x409, 1, len(family), 0) + family,
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    out = struct.pack(">IHHHH", 0x00010000, len(tables), 128, 3, len(tables) * 16 - 128)
    offset, body = 12 + 16 * len(tables), b""
    for tag in sorted(tables):
        data = tables[tag]
        padded = data + b"\0" * (-len(data) % 4)
        checksum = sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
        out += struct.pack(">4sIII", tag, checksum, offset + len(body), len(data))
        body += padded
    return out + body


def use_box_font() -> None:
    """Give PDFium a system-font table that answers a CJK font request with box_font() and any other with
    nothing (PDFium's built-in Latin faces); once per process."""
    global _FONT_INFO
    if _FONT_INFO is not None:
        return
    font, name = box_font(), b"Box\0"

    def map_font(this, weight, italic, charset, pitch, face, exact):
        return 1 if charset in _CJK_CHARSETS else None

    def font_data(this, handle, table, buffer, size):
        if table != 0:  # a single table, or the TTC header: not a collection, read it whole
            return 0
        if buffer and size >= len(font):
            ctypes.memmove(buffer, font, len(font))
        return len(font)

    def face_name(this, handle, buffer, size):
        if buffer and size >= len(name):
            ctypes.memmove(buffer, name, len(name))
        return len(name)

    info = c.FPDF_SYSFONTINFO()
    info.version = 1
    kinds = dict(c.FPDF_SYSFONTINFO._fields_)
    callbacks = {
        "Release": lambda this: None, "EnumFonts": lambda this, mapper: None, "MapFont": map_font,
        "GetFont": lambda this, face: None, "GetFontData": font_data, "GetFaceName": face_name,
        "GetFontCharset": lambda this, handle: 134, "DeleteFont": lambda this, handle: None,
    }
    pointers = {key: kinds[key](fn) for key, fn in callbacks.items()}
    for key, pointer in pointers.items():
        setattr(info, key, pointer)
    c.FPDF_SetSystemFontInfo(ctypes.byref(info))
    _FONT_INFO = (info, pointers)  # PDFium keeps the pointer: keep the structure and callbacks alive


@contextlib.contextmanager
def system_fonts():
    """PDFium's own system-font table for the length of the block: for drawing pages people (or OCR) will read.
    The box font serves extraction only — pages drawn under it show boxes where CJK text of a non-embedded font
    stands, so a scan rendered after a PDF was parsed in the same process would be unreadable."""
    if _FONT_INFO is None:
        yield
        return
    default = c.FPDF_GetDefaultSystemFontInfo()
    c.FPDF_SetSystemFontInfo(default)
    try:
        yield
    finally:
        c.FPDF_SetSystemFontInfo(ctypes.byref(_FONT_INFO[0]))
        c.FPDF_FreeDefaultSystemFontInfo(default)


def open_document(data: bytes) -> pdfium.PdfDocument | None:
    """The document, or None when PDFium cannot open it or had to rebuild its cross-reference table."""
    use_box_font()
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001 - PdfiumError on damage: pdfplumber reports it
        return None
    if not c.FPDF_DocumentHasValidCrossReferenceTable(pdf.raw):
        pdf.close()
        return None
    return pdf


# --- one page --------------------------------------------------------------------------------------------------
def read_page(page: pdfium.PdfPage) -> PageLayout | str:
    if c.FPDFPage_GetRotation(page.raw) % 4:
        return "rotated"
    left, bottom, _right, top = page.get_mediabox()
    edges, upright = _edges(page.raw, left, top)
    if not upright:
        return "rotated"
    chars = _chars(page, left, top)
    if isinstance(chars, str):
        return chars
    layout = PageLayout(chars=len(chars))
    cells = _cells(edges)
    tables = _tables(cells)
    if not tables and _grid(edges):
        return "grid without table"
    for table in tables:
        layout.tables.append((_bbox(table), _table_rows(table, chars)))
    layout.lines = _text_lines(chars)
    return layout


def _chars(page, left: float, top: float) -> list[tuple] | str:
    """(text, x0, top, x1, bottom) of every drawn character, in content order (PDFium's generated spaces and
    line breaks left out); pdfplumber's `top` is measured down from the media box's top."""
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        n = c.FPDFText_CountChars(raw)
        if n <= 0:
            return []
        text = textpage.get_text_range(0, n)
        per_char = len(text) == n  # one UTF-16 unit per character (no astral characters)
        rect = c.FS_RECTF()
        is_generated, loose_box, unicode_of = c.FPDFText_IsGenerated, c.FPDFText_GetLooseCharBox, c.FPDFText_GetUnicode
        font_size = c.FPDFText_GetFontSize
        out = []
        append = out.append
        sizes: dict[float, float] = {}
        for i in range(n):
            ch = text[i] if per_char else chr(unicode_of(raw, i))
            if ch.isspace() and is_generated(raw, i):  # PDFium's own spaces and line breaks
                continue
            if ch in "\ufffe\uffff\x00\ufffd":
                return "unmapped"
            loose_box(raw, i, rect)
            bottom = top - rect.bottom  # pdfminer's box: the font's descent below the baseline, one size high
            height = rect.top - rect.bottom  # one font at one size has one loose height: ask its size once
            size = sizes.get(height)
            if size is None:
                size = sizes[height] = font_size(raw, i)
            append((ch, rect.left - left, bottom - size, rect.right - left, bottom))
        # PDFium's box ends where the glyph does, pdfminer's at the advance: where the next character follows on
        # the same baseline within this one's box, this one ends where the next begins
        for i in range(len(out) - 1):
            ch, nxt = out[i], out[i + 1]
            if nxt[4] == ch[4] and ch[1] < nxt[1] < ch[3]:
                out[i] = (ch[0], ch[1], ch[2], nxt[1], ch[4])
        return out
    finally:
        textpage.close()


def _edges(page_raw, left: float, top: float) -> tuple[list[list], bool]:
    """Edges as pdfminer and pdfplumber see a page's paths: [orientation, x0, top, x1, bottom]; and whether all text
    objects are upright."""
    edges: list[list] = []
    upright = True
    matrix = c.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()

    def walk(handle, count_fn, get_fn, outer, depth):
        nonlocal upright
        for i in range(count_fn(handle)):
            obj = get_fn(handle, i)
            kind = c.FPDFPageObj_GetType(obj)
            if kind == c.FPDF_PAGEOBJ_PATH:
                c.FPDFPageObj_GetMatrix(obj, matrix)
                m = _mul((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), outer)
                _path_edges(obj, m, x, y, edges, left, top)
            elif kind == c.FPDF_PAGEOBJ_TEXT:
                c.FPDFPageObj_GetMatrix(obj, matrix)
                m = _mul((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), outer)
                if abs(m[1]) > 1e-6 or abs(m[2]) > 1e-6:
                    upright = False
            elif kind == c.FPDF_PAGEOBJ_FORM and depth < 8:
                c.FPDFPageObj_GetMatrix(obj, matrix)
                m = _mul((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), outer)
                walk(obj, c.FPDFFormObj_CountObjects, c.FPDFFormObj_GetObject, m, depth + 1)

    walk(page_raw, c.FPDFPage_CountObjects, c.FPDFPage_GetObject, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0)
    return edges, upright


def _mul(m, outer):
    """m then outer (PDF row-vector convention)."""
    a, b, cc, d, e, f = m
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, cc * A + d * C, cc * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_edges(obj, m, x, y, edges, left, top) -> None:
    """pdfminer splits a path at each move: a two-point subpath is a line (h when level, else v), an axis-aligned
    four-sided closed one a rect (four edges), anything else a curve (an edge between consecutive points that
    share an x or a y). Bezier control points count as points, as pdfminer lists them."""
    n = c.FPDFPath_CountSegments(obj)
    subpaths: list[list[tuple[float, float]]] = []
    closed: list[bool] = []
    a, b, cc, d, e, f = m
    for i in range(n):
        seg = c.FPDFPath_GetPathSegment(obj, i)
        c.FPDFPathSegment_GetPoint(seg, x, y)
        px, py = x.value, y.value
        point = (a * px + cc * py + e - left, top - (b * px + d * py + f))
        if c.FPDFPathSegment_GetType(seg) == c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
            closed.append(False)
        else:
            subpaths[-1].append(point)
        if c.FPDFPathSegment_GetClose(seg):
            closed[-1] = True
    for pts, is_closed in zip(subpaths, closed):
        if len(pts) == 2:
            (x0, y0), (x1, y1) = pts
            if y0 == y1 or _close(y0, y1):
                edges.append(["h", min(x0, x1), y0, max(x0, x1), y0])
            else:
                edges.append(["v", min(x0, x1), min(y0, y1), min(x0, x1), max(y0, y1)])
            continue
        if is_closed and pts[0] != pts[-1]:
            pts = [*pts, pts[0]]
        if _is_rect(pts):
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            x0, x1, t, btm = min(xs), max(xs), min(ys), max(ys)
            edges += [["h", x0, t, x1, t], ["h", x0, btm, x1, btm], ["v", x0, t, x0, btm], ["v", x1, t, x1, btm]]
            continue
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if _close(x0, x1):
                edges.append(["v", x0, min(y0, y1), x0, max(y0, y1)])
            elif _close(y0, y1):
                edges.append(["h", min(x0, x1), y0, max(x0, x1), y0])


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-3  # PDFium's float32 against pdfminer's float64


def _is_rect(pts) -> bool:
    if len(pts) != 5 or not (_close(pts[0][0], pts[4][0]) and _close(pts[0][1], pts[4][1])):
        return False
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
    return (_close(x0, x1) and _close(y1, y2) and _close(x2, x3) and _close(y3, y0)) or (
        _close(y0, y1) and _close(x1, x2) and _close(y2, y3) and _close(x3, x0))


# --- tables: pdfplumber's lines strategy -------------------------------------------------------------------------
def _merged(edges: list[list]) -> list[list]:
    """Filter (≥ 1 pt), snap (clusters within 3 pt move to their mean), join (gaps ≤ 3 pt), filter (≥ 3 pt)."""
    out = []
    for orient, pos, lo, hi in (("v", 1, 2, 4), ("h", 2, 1, 3)):
        group = [list(e) for e in edges if e[0] == orient and e[hi] - e[lo] >= EDGE_MIN_PREFILTER]
        for cluster in _cluster(group, lambda e: e[pos], SNAP):
            mean = sum(e[pos] for e in cluster) / len(cluster)
            for e in cluster:
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


def _cluster(items: list, key, tolerance: float) -> list[list]:
    """pdfplumber's cluster_objects: distinct key values chained within `tolerance`, clusters in key order, items
    in their given order within a cluster."""
    ids = _cluster_ids([key(it) for it in items], tolerance)
    groups: list[list] = [[] for _ in range(len(set(ids.values())))]
    for it in items:
        groups[ids[key(it)]].append(it)
    return groups


def _cluster_ids(values, tolerance: float) -> dict[float, int]:
    ids: dict[float, int] = {}
    group, last = -1, None
    for v in sorted(set(values)):
        if last is None or v > last + tolerance:
            group += 1
        ids[v] = group
        last = v
    return ids


def _cells(raw_edges: list[list]) -> list[tuple[float, float, float, float]]:
    edges = _merged(raw_edges)
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


def _grid(edges: list[list]) -> bool:
    """Ruling lines (merged as the table finder merges them) meeting in six points or more: enough for a table of
    two cells. A framed box (four corners) or an underline is not a grid."""
    merged = _merged(edges)
    vs = [e for e in merged if e[0] == "v"]
    hs = [e for e in merged if e[0] == "h"]
    if len(vs) < 2 or len(hs) < 2:
        return False
    points = {(v[1], h[2]) for v in vs for h in hs
              if v[2] <= h[2] + INTERSECT and v[4] >= h[2] - INTERSECT and h[1] - INTERSECT <= v[1] <= h[3] + INTERSECT}
    return len(points) >= 6


def _tables(cells: list[tuple]) -> list[list[tuple]]:
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


def _bbox(cells) -> tuple[float, float, float, float]:
    return (min(x[0] for x in cells), min(x[1] for x in cells), max(x[2] for x in cells), max(x[3] for x in cells))


def _table_rows(cells: list[tuple], chars: list[tuple]) -> list[list[str]]:
    """Rows by cell top, each row's cells left to right (a position a merged cell covers is not repeated), each
    cell's text as pdfplumber's extract_text gives it (words joined by spaces, lines by newlines). A character
    belongs to the cells its centre is in (x0 ≤ centre < x1, top ≤ centre < bottom), found on the table's grid."""
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
    order = sorted(range(len(cells)), key=lambda n: (cells[n][1], cells[n][0]))
    rows = []
    for _top, row in itertools.groupby(order, key=lambda n: cells[n][1]):
        rows.append(["\n".join(" ".join(w[0] for w in line) for line in _word_lines(_words(members[n]))) for n in row])
    return rows


# --- text: pdfplumber's words and text lines ---------------------------------------------------------------------
def _words(chars: list[tuple]) -> list[tuple]:
    """(text, x0, top, x1, bottom, chars) words: characters clustered into lines by top, sorted by x0, split at
    blanks and at gaps over 3 pt (pdfplumber's WordExtractor with its defaults)."""
    words = []
    for line in _cluster(chars, lambda ch: ch[2], Y_TOLERANCE):
        line.sort(key=lambda ch: ch[1])
        current: list[tuple] = []
        for ch in line:
            if ch[0].isspace():
                if current:
                    words.append(_word(current))
                current = []
                continue
            if current:
                prev = current[-1]
                if ch[1] < prev[1] or ch[1] > prev[3] + X_TOLERANCE or abs(ch[2] - prev[2]) > Y_TOLERANCE:
                    words.append(_word(current))
                    current = []
            current.append(ch)
        if current:
            words.append(_word(current))
    return words


def _word(chars: list[tuple]) -> tuple:
    text = "".join(_LIGATURES.get(ch[0], ch[0]) for ch in chars) if len(chars) > 1 else chars[0][0]
    x0, top, x1, bottom = chars[0][1:5]
    for ch in chars:
        if ch[2] < top:
            top = ch[2]
        if ch[3] > x1:
            x1 = ch[3]
        if ch[4] > bottom:
            bottom = ch[4]
    return (_LIGATURES.get(text, text), x0, top, x1, bottom, chars)


def _word_lines(words: list[tuple]) -> list[list[tuple]]:
    return _cluster(words, lambda w: w[2], Y_TOLERANCE)


def _text_lines(chars: list[tuple]) -> list[Line]:
    """page.extract_text_lines(): the page's words, consecutive words with tops within 3 pt on one line."""
    words = _words(chars)
    lines = []
    ids = _cluster_ids([w[2] for w in words], Y_TOLERANCE)
    for _, same in itertools.groupby(words, key=lambda w: ids[w[2]]):
        same = list(same)
        text = " ".join(w[0] for w in same).strip(" ")
        if not text.strip():
            continue
        members = [ch for w in same for ch in w[5]]
        lines.append(Line(text, min(w[1] for w in same), min(w[2] for w in same), max(w[3] for w in same),
                          max(w[4] for w in same), max(ch[3] - ch[1] for ch in members)))
    return lines
