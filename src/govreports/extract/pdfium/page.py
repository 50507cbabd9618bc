"""One page's raw material as pdfminer (and so pdfplumber) sees it: every drawn character with its box, and the
edges of the page's paths (lines, rectangles, the straight parts of curves), in pdfplumber's coordinates (`top`
measured down from the media box's top)."""

from __future__ import annotations

import contextlib
import ctypes
import struct

import pypdfium2.raw as c


def _unconverted(binding):
    """`binding` (one of pypdfium2's) called without ctypes converting its arguments, with the same return type:
    the bindings declare argument types, and checking them costs more than the call itself (0.42 → 0.19 µs for a
    character's box). For the calls made for every character, every character measured, and every object and path
    segment of a page; the caller passes ints and ctypes pointers (`ctypes.byref` for a structure), never a Python
    float, and only where the function takes an int, never a wider integer (so a form's objects, counted by an
    unsigned long, are read through the binding)."""
    function = ctypes.CFUNCTYPE(binding.restype)(ctypes.cast(binding, ctypes.c_void_p).value)
    function.argtypes = None
    return function


_LOOSE_CHAR_BOX = _unconverted(c.FPDFText_GetLooseCharBox)
_FONT_SIZE = _unconverted(c.FPDFText_GetFontSize)
_TEXT_OBJECT = _unconverted(c.FPDFText_GetTextObject)
_FONT = _unconverted(c.FPDFTextObj_GetFont)
_CHAR_MATRIX = _unconverted(c.FPDFText_GetMatrix)
_PAGE_OBJECT = _unconverted(c.FPDFPage_GetObject)
_OBJECT_TYPE = _unconverted(c.FPDFPageObj_GetType)
_OBJECT_MATRIX = _unconverted(c.FPDFPageObj_GetMatrix)
_SEGMENT = _unconverted(c.FPDFPath_GetPathSegment)
_SEGMENT_POINT = _unconverted(c.FPDFPathSegment_GetPoint)
_SEGMENT_TYPE = _unconverted(c.FPDFPathSegment_GetType)
_SEGMENT_CLOSE = _unconverted(c.FPDFPathSegment_GetClose)
# the objects whose placement edges() reads: paths (their edges), text (upright or not) and forms (their contents)
_PLACED = (c.FPDF_PAGEOBJ_PATH, c.FPDF_PAGEOBJ_TEXT, c.FPDF_PAGEOBJ_FORM)


def chars(page, left: float, top: float, widths: dict | None = None, textpage=None) -> list[tuple] | str:
    """(text, x0, top, x1, bottom) of every drawn character, in content order (PDFium's generated spaces and
    line breaks left out); pdfplumber's `top` is measured down from the media box's top. `widths` holds what was
    measured so far in the document of a character of a font at a size: its advance and its drawn size.
    `textpage`: the page's text, loaded by the caller (who closes it); else loaded and closed here."""
    loaded = contextlib.nullcontext(textpage) if textpage is not None else contextlib.closing(page.get_textpage())
    with loaded as textpage:
        raw = textpage.raw
        n = c.FPDFText_CountChars(raw)
        if n <= 0:
            return []
        text = textpage.get_text_range(0, n)
        indexed = enumerate(text)
        if len(text) != n:  # astral characters (two UTF-16 units, one character), or half of one alone
            indexed = _units(raw, n)
        rect = c.FS_RECTF()
        rect_ref = ctypes.byref(rect)
        box_of, box_bytes = _RECT.unpack_from, memoryview(rect).cast("B")  # one call for the four fields (0.2 µs)
        is_generated, loose_box, font_size = c.FPDFText_IsGenerated, _LOOSE_CHAR_BOX, _FONT_SIZE
        matrix = c.FS_MATRIX()
        out = []
        append = out.append
        unmeasured: list[int] = []  # characters in out without a width from their font
        sizes: dict[tuple[float, float], float] = {}
        widths = {} if widths is None else widths
        for i, ch in indexed:
            if ch.isspace() and is_generated(raw, i):  # PDFium's own spaces and line breaks
                continue
            if ch in "\ufffe\uffff\x00\ufffd":
                return "unmapped"
            loose_box(raw, i, rect_ref)
            x_left, y_top, x_right, y_bottom = box_of(box_bytes)
            # a character of a font at a size (one Tf size at one loose height: see below) is measured once a
            # document, its advance and its size as drawn: one lookup a character after the first
            key = (ch, y_top - y_bottom, font_size(raw, i))
            measured = widths.get(key)
            if measured is None:
                measured = widths[key] = _measure(raw, i, ch, key, matrix, sizes)
            width, size = measured
            bottom = top - y_bottom  # pdfminer's box: the font's descent below the baseline, one size high
            x0 = x_left - left
            if width > 0:
                append((ch, x0, bottom - size, x0 + width, bottom))
            else:
                append((ch, x0, bottom - size, x_right - left, bottom))
                unmeasured.append(len(out) - 1)
        # where PDFium cannot say, and the next character follows on the same baseline within this one's box, this
        # one ends where the next begins
        for k in unmeasured:
            ch = out[k]
            if k + 1 < len(out) and (nxt := out[k + 1])[4] == ch[4] and ch[1] < nxt[1] < ch[3]:
                out[k] = (ch[0], ch[1], ch[2], nxt[1], ch[4])
        return out


def _units(raw, n: int) -> list[tuple[int, str]]:
    """The page's characters by index where PDFium holds an astral one as two (its UTF-16 units): the pair as one
    character at its first index; half of a pair alone (a damaged string: a UCS-2 font drawing 0xD85B) as
    U+FFFD, no Unicode (the page is unmapped): a lone surrogate is no text, and no UTF-8 encodes it."""
    units = [c.FPDFText_GetUnicode(raw, i) for i in range(n)]
    out, i = [], 0
    while i < n:
        unit = units[i]
        if 0xD800 <= unit < 0xDC00 and i + 1 < n and 0xDC00 <= units[i + 1] < 0xE000:
            out.append((i, chr(0x10000 + (unit - 0xD800 << 10) + units[i + 1] - 0xDC00)))
            i += 2
            continue
        out.append((i, "\ufffd" if 0xD800 <= unit < 0xE000 else chr(unit)))
        i += 1
    return out


_RECT = struct.Struct("4f")  # FS_RECTF: left, top, right, bottom (C floats)


def _measure(raw, index: int, ch: str, key: tuple, matrix, sizes: dict) -> tuple[float, float]:
    """A character's advance (0.0 where PDFium cannot say) and its size as drawn. pdfminer's size is the Tf size
    scaled by the text and graphics matrices (Word exports draw at 1/20 scale, a matrix of 0.05, with fonts 20
    times the size; on an upright page the scale is |d|). One Tf size at one loose height is one font at one
    scale: the matrix is asked once a page for each."""
    _, height, tf_size = key
    size = sizes.get((height, tf_size))
    if size is None:
        _CHAR_MATRIX(raw, index, ctypes.byref(matrix))
        size = sizes[height, tf_size] = tf_size * abs(matrix.d)
    # PDFium's box ends where the glyph does, pdfminer's at the advance: the font's width of the character
    # (kerned and spaced text puts the next character elsewhere)
    return (_advance(raw, index, ch, matrix) if len(ch) == 1 else 0.0), size


def _advance(raw, index: int, ch: str, matrix) -> float:
    """How far the character moves the pen, as pdfminer measures its box: the font's width of it (the PDF's
    /Widths or /W) at the drawn size; 0.0 where PDFium cannot say (no font, no code for the character)."""
    font = _FONT(_TEXT_OBJECT(raw, index))
    width = ctypes.c_float()
    if not font or not c.FPDFFont_GetGlyphWidth(font, ord(ch), _FONT_SIZE(raw, index), width):
        return 0.0
    _CHAR_MATRIX(raw, index, ctypes.byref(matrix))
    return width.value * matrix.a


def edges(page_raw, left: float, top: float) -> tuple[list[list], bool]:
    """Edges as pdfminer and pdfplumber see a page's paths: [orientation, x0, top, x1, bottom]; and whether all text
    objects are upright."""
    edges: list[list] = []
    upright = True
    matrix = c.FS_MATRIX()
    matrix_ref = ctypes.byref(matrix)
    x, y = ctypes.c_float(), ctypes.c_float()

    def walk(handle, count_fn, get_fn, outer, depth):
        nonlocal upright
        for i in range(count_fn(handle)):
            obj = get_fn(handle, i)
            kind = _OBJECT_TYPE(obj)
            if kind not in _PLACED:
                continue
            _OBJECT_MATRIX(obj, matrix_ref)
            m = _mul((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), outer)
            if kind == c.FPDF_PAGEOBJ_PATH:
                _path_edges(obj, m, x, y, edges, left, top)
            elif kind == c.FPDF_PAGEOBJ_TEXT:
                if abs(m[1]) > 1e-6 or abs(m[2]) > 1e-6:
                    upright = False
            elif depth < 8:  # a form: its objects are placed by its matrix, then by the page's
                walk(obj, c.FPDFFormObj_CountObjects, c.FPDFFormObj_GetObject, m, depth + 1)

    walk(page_raw, c.FPDFPage_CountObjects, _PAGE_OBJECT, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0)
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
    x_ref, y_ref = ctypes.byref(x), ctypes.byref(y)
    for i in range(n):
        seg = _SEGMENT(obj, i)
        _SEGMENT_POINT(seg, x_ref, y_ref)
        px, py = x.value, y.value
        point = (a * px + cc * py + e - left, top - (b * px + d * py + f))
        if _SEGMENT_TYPE(seg) == c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
            closed.append(False)
        else:
            subpaths[-1].append(point)
        if _SEGMENT_CLOSE(seg):
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

