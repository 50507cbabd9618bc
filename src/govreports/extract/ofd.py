"""OFD (GB/T 33190) → blocks: the positioned text of each page, rows rebuilt from positions as for a PDF.

An OFD is a zip: OFD.xml names the document root (Doc_0/Document.xml), which lists the pages, each a Content.xml
of TextObjects (a Boundary in millimetres, TextCodes with X/Y from it and DeltaX advances per glyph) and
PathObjects (the ruling lines of tables). Ruled tables are found from the paths with pdfplumber's own grid
functions (edges → intersections → cells), each cell read once, in its first row, as the PDF path does; the text
outside them is joined into lines by baseline, and wrapped paragraph lines are rejoined; the rows of a table
without ruling lines have their values placed in their columns by their x (extract.columns). extract.limits checks the
zip before this runs (the same limits as DOCX); pages and text objects are counted here.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from bisect import bisect_left, bisect_right
from io import BytesIO

from lxml import etree

from govreports.extract.columns import TextLine, among_lines, folio_elsewhere, place
from govreports.extract.document import Block, Document
from govreports.extract.limits import DEFAULT_LIMITS, Limits
from govreports.extract.lines import line_to_block, marks_dropped

PT_PER_MM = 72 / 25.4
_WS = re.compile(r"\s+")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页|/\s*\d+)?[-—–\s]*$")
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class OfdError(ValueError):
    """A package that is not a readable OFD (the message says what is missing)."""


def _local(el) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el, name: str):
    for sub in el:
        if _local(sub) == name:
            return sub
    return None


def _find(el, name: str):
    return next((sub for sub in el.iter() if _local(sub) == name), None)


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(t) for t in (text or "").split()]
    except ValueError:
        return []


def _deltas(text: str | None) -> list[float]:
    """DeltaX: numbers, where 'g N D' stands for N advances of D."""
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out.extend([float(tokens[i + 2])] * min(int(float(tokens[i + 1])), 100_000))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def _resolve(base: str, loc: str) -> str:
    loc = loc.strip()
    if loc.startswith("/"):
        return posixpath.normpath(loc.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), loc))


def _xml(archive: zipfile.ZipFile, name: str):
    try:
        return etree.fromstring(archive.read(name), _PARSER)
    except KeyError:
        raise OfdError(f"the OFD package has no {name}") from None


def page_parts(archive: zipfile.ZipFile) -> tuple[list[str], dict[str, str]]:
    """The Content.xml of every page in order, and the DocInfo facts (title)."""
    root = _xml(archive, "OFD.xml")
    body = _find(root, "DocBody")
    doc_root = _find(body, "DocRoot") if body is not None else None
    if doc_root is None or not (doc_root.text or "").strip():
        raise OfdError("OFD.xml names no DocRoot")
    meta = {}
    title = _find(body, "Title")
    if title is not None and (title.text or "").strip():
        meta["doc_title"] = title.text.strip()
    document_name = _resolve("", doc_root.text)
    document = _xml(archive, document_name)
    pages_el = _find(document, "Pages")
    pages = []
    for page in pages_el if pages_el is not None else ():
        if _local(page) == "Page" and page.get("BaseLoc"):
            pages.append(_resolve(document_name, page.get("BaseLoc")))
    return pages, meta


def extract_ofd(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Document:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        pages, meta = page_parts(archive)
        if len(pages) > limits.pdf_pages:
            from govreports.parse.api import ParseLimitError

            raise ParseLimitError("too_large", f"OFD has {len(pages):,} pages (limit {limits.pdf_pages:,})")
        blocks: list[Block] = []
        chars = 0
        carry: dict = {}
        for number, name in enumerate(pages[:limits.pdf_read_pages], 1):
            glyphs, edges = _page_objects(_xml(archive, name), number, limits)
            chars += len(glyphs)
            blocks.extend(page_blocks(glyphs, edges, carry))
    if chars == 0:
        return Document(kind="ofd", blocks=[], meta=meta, unreadable="the OFD has no text (scanned images?)")
    return Document(kind="ofd", blocks=blocks, meta=meta)


def _page_objects(page, number: int, limits: Limits) -> tuple[list[dict], list[dict]]:
    """Every glyph (x0, x1, top, bottom, baseline, size, text; in points) and every ruling edge of a page."""
    glyphs: list[dict] = []
    edges: list[dict] = []
    objects = 0
    for el in page.iter():
        name = _local(el)
        if name not in ("TextObject", "PathObject"):
            continue
        objects += 1
        if objects > limits.page_objects:
            from govreports.parse.api import ParseLimitError

            raise ParseLimitError("too_large", f"OFD page {number} draws more than {limits.page_objects:,} objects")
        box = _numbers(el.get("Boundary"))
        if len(box) != 4:
            continue
        ctm = _numbers(el.get("CTM"))
        # the object's own space → the Boundary's: scale and move (CTM "a b c d e f"; a rotation or shear, rare in
        # report text, is read as its scale), then the Boundary's origin on the page
        sx, sy, ex, ey = (ctm[0], ctm[3], ctm[4], ctm[5]) if len(ctm) == 6 and ctm[0] and ctm[3] else (1, 1, 0, 0)
        bx, by = box[0] + ex, box[1] + ey
        if name == "PathObject":
            edges.extend(_path_edges(_child(el, "AbbreviatedData"), bx, by, sx, sy))
            continue
        size = (_numbers(el.get("Size")) or [3.5])[0]
        x = y = 0.0
        for code in el:
            if _local(code) != "TextCode" or not code.text:
                continue
            x = (_numbers(code.get("X")) or [x])[0]
            y = (_numbers(code.get("Y")) or [y])[0]
            try:
                deltas = _deltas(code.get("DeltaX"))
            except ValueError:
                deltas = []
            cx = x
            height = size * abs(sy)
            for i, ch in enumerate(code.text):
                width = deltas[i] if i < len(deltas) else size * (0.5 if ord(ch) < 0x2E80 else 1.0)
                if not ch.isspace():
                    base = by + sy * y
                    left = bx + sx * cx
                    glyphs.append({"x0": left * PT_PER_MM, "x1": (left + sx * width) * PT_PER_MM,
                                   "top": (base - 0.85 * height) * PT_PER_MM,
                                   "bottom": (base + 0.15 * height) * PT_PER_MM,
                                   "base": base * PT_PER_MM, "size": height * PT_PER_MM, "text": ch})
                    if len(glyphs) > limits.page_chars:
                        from govreports.parse.api import ParseLimitError

                        raise ParseLimitError("too_large", f"OFD page {number} has more than "
                                                           f"{limits.page_chars:,} characters")
                cx += width
                x = cx
    return glyphs, edges


def _path_edges(data, bx: float, by: float, sx: float = 1.0, sy: float = 1.0) -> list[dict]:
    """Horizontal and vertical straight segments of an AbbreviatedData path (M, L, C/close; curves skipped)."""
    if data is None or not data.text:
        return []
    tokens = _PATH_TOKEN.findall(data.text)
    edges, i = [], 0
    start = current = None
    arity = {"M": 2, "L": 2, "S": 2, "B": 6, "Q": 4, "A": 7, "C": 0}
    while i < len(tokens):
        op = tokens[i]
        n = arity.get(op)
        if n is None:
            i += 1
            continue
        args = _numbers(" ".join(tokens[i + 1:i + 1 + n]))
        i += 1 + n
        if len(args) != n:
            break
        if op in ("M", "S"):
            start = current = (bx + sx * args[0], by + sy * args[1])
        elif op == "L" and current is not None:
            point = (bx + sx * args[0], by + sy * args[1])
            edges.extend(_edge(current, point))
            current = point
        elif op == "C" and current is not None and start is not None:
            edges.extend(_edge(current, start))
            current = start
        elif n >= 2:
            current = (bx + sx * args[-2], by + sy * args[-1])
    return edges


def _edge(a: tuple[float, float], b: tuple[float, float]) -> list[dict]:
    (x0, y0), (x1, y1) = a, b
    x0, x1, y0, y1 = (v * PT_PER_MM for v in (x0, x1, y0, y1))
    if abs(y0 - y1) < 0.5 and abs(x0 - x1) > 1:
        left, right = sorted((x0, x1))
        return [{"x0": left, "x1": right, "top": y0, "bottom": y0, "width": right - left, "height": 0,
                 "orientation": "h", "object_type": "line"}]
    if abs(x0 - x1) < 0.5 and abs(y0 - y1) > 1:
        top, bottom = sorted((y0, y1))
        return [{"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0, "height": bottom - top,
                 "orientation": "v", "object_type": "line"}]
    return []


# ruling lines crossing more often than this on one page are no report's tables (graph paper, a hatched or
# photographed background): pdfplumber's intersections_to_cells is quadratic in the crossings, 0.7 s for 2,500 and
# 116 s for a 10-point grid on an A4 picture (38,000), a time no OCR budget or page timeout bounded (it runs
# between Tesseract's calls). A 2021 form's table 三 on one page crosses ~300 times.
MAX_CROSSINGS = 3000


def tables_from_edges(edges: list[dict]) -> list[list[tuple]]:
    """The ruled tables (each a list of cells) the edges draw; none where they cross more than MAX_CROSSINGS
    times (the page is then read as text)."""
    if not edges:
        return []
    from pdfplumber import table as T

    merged = T.merge_edges(edges, 3, 3, 3, 3)
    crossings = T.edges_to_intersections(merged, 1, 1)
    if len(crossings) > MAX_CROSSINGS:
        return []
    cells = T.intersections_to_cells(crossings)
    return [t for t in T.cells_to_tables(cells) if len(t) > 1]


def _centre(glyph: dict) -> tuple[float, float]:
    return (glyph["x0"] + glyph["x1"]) / 2, (glyph["top"] + glyph["bottom"]) / 2


def _inside(centre: tuple[float, float], box: tuple) -> bool:
    return box[0] <= centre[0] <= box[2] and box[1] <= centre[1] <= box[3]


def _homes(centres: list[tuple[float, float]], cells: list[tuple]) -> list[tuple | None]:
    """Each glyph's cell: the smallest cell holding its centre (the first such in `cells` on a tie), or None.

    A table's cells share a few column spans: the glyphs whose centre lies in a span are found by bisection and
    checked against that span's cells only, not every glyph against every cell (160,000 checks on a 2021 form:
    its reading took 52 ms, now 27)."""
    order = sorted(range(len(centres)), key=lambda i: centres[i][0])
    xs = [centres[i][0] for i in order]
    spans: dict[tuple[float, float], list[tuple[int, tuple]]] = {}
    for index, cell in enumerate(cells):
        spans.setdefault((cell[0], cell[2]), []).append((index, cell))
    found: dict[int, list[tuple[float, int, tuple]]] = {}
    for (x0, x1), members in spans.items():
        for i in order[bisect_left(xs, x0):bisect_right(xs, x1)]:
            y = centres[i][1]
            for index, cell in members:
                if cell[1] <= y <= cell[3]:
                    found.setdefault(i, []).append(((cell[2] - cell[0]) * (cell[3] - cell[1]), index, cell))
    return [min(found[i])[2] if i in found else None for i in range(len(centres))]


def _lines(glyphs: list[dict]) -> list[list[dict]]:
    """Glyphs into lines by baseline, each line left to right."""
    lines: list[list[dict]] = []
    for g in sorted(glyphs, key=lambda g: (g["base"], g["x0"])):
        if lines and abs(lines[-1][0]["base"] - g["base"]) < 0.3 * g["size"]:
            lines[-1].append(g)
        else:
            lines.append([g])
    for line in lines:
        line.sort(key=lambda g: g["x0"])
    return lines


def _line_text(line: list[dict]) -> str:
    out, previous = [], None
    for g in line:
        if previous is not None and g["x0"] - previous["x1"] > 0.3 * g["size"]:
            out.append(" ")
        out.append(g["text"])
        previous = g
    return "".join(out)


def _word_spans(line: list[dict]) -> list[tuple[float, float]]:
    """The x range of each word of the line, as _line_text separates them by spaces."""
    spans: list[tuple[float, float]] = []
    previous = None
    for g in line:
        if previous is not None and g["x0"] - previous["x1"] <= 0.3 * g["size"]:
            spans[-1] = (spans[-1][0], g["x1"])
        else:
            spans.append((g["x0"], g["x1"]))
        previous = g
    return spans


def _unmarked_line(line: list[dict]) -> str | None:
    """The line's text as _line_text makes it, each of its words less the footnote marks after its number
    (extract.pdfium.marks, as a ruled cell's: '821' and a smaller '1' raised less than the line's tolerance is 821,
    not 8211); None where the line has one glyph size (nearly every line) or no such mark."""
    if min(g["size"] for g in line) == max(g["size"] for g in line):
        return None
    from govreports.extract.pdfium.marks import cell_text, unmarked

    words: list[list[dict]] = []
    for g in line:
        if words and g["x0"] - words[-1][-1]["x1"] <= 0.3 * g["size"]:
            words[-1].append(g)
        else:
            words.append([g])
    chars = [[(g["text"], g["x0"], g["top"], g["x1"], g["bottom"], g) for g in word] for word in words]
    if not any(unmarked(word) is not None for word in chars):
        return None
    return " ".join(cell_text(word, lambda kept: "".join(k[0] for k in kept)) for word in chars)


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _cell_text(glyphs: list[dict]) -> str:
    """A ruled cell's text, less the footnote marks after a value's number (extract.pdfium.marks: '821' and a
    smaller raised '1' is 821; the mark, a line of its own by its baseline, read 1821). A glyph's box is one size
    high, as pdfminer's characters are, so the PDF readers' rule applies as it is."""
    from govreports.extract.pdfium.marks import cell_text

    return cell_text([(g["text"], g["x0"], g["top"], g["x1"], g["bottom"], g) for g in glyphs],
                     lambda kept: _joined([k[5] for k in kept]))


def _joined(glyphs: list[dict]) -> str:
    parts = [_line_text(line) for line in _lines(glyphs)]
    text = "".join(parts) if _is_cjk("".join(parts)) else " ".join(parts)
    return _WS.sub("", text) if _is_cjk(text) else _WS.sub(" ", text).strip()


def page_blocks(glyphs: list[dict], edges: list[dict], carry: dict | None = None) -> list[Block]:
    """Blocks of one page from positioned text (glyphs or OCR words: x0, x1, top, bottom, base, size, text; in
    points) and ruling edges (pdfplumber edge dicts): the same reading for an OFD page and a scanned one. `carry`
    (one dict for all pages of a document) holds a paragraph whose last line ran to the margin at the foot of the
    page, so its first line on the next page continues it, and where the pages before had a possible page number
    (a bare number there is the page's, never joined to a table's value)."""
    carry = {} if carry is None else carry
    items: list[tuple[float, list[Block]]] = []
    tables = tables_from_edges(edges)
    centres = [_centre(g) for g in glyphs]
    boxes = []
    for cells in tables:
        box = (min(c[0] for c in cells), min(c[1] for c in cells), max(c[2] for c in cells), max(c[3] for c in cells))
        boxes.append(box)
        content: dict[tuple, list[dict]] = {c: [] for c in cells}
        for g, home in zip(glyphs, _homes(centres, cells)):
            if home is not None:
                content[home].append(g)
        rows: dict[float, list[tuple]] = {}
        for c in cells:
            top = next((t for t in rows if abs(t - c[1]) < 1), c[1])
            rows.setdefault(top, []).append(c)
        blocks = []
        for top in sorted(rows):
            texts = []
            for c in sorted(rows[top], key=lambda c: c[0]):
                texts.append(_cell_text(content[c]))
            if any(texts):
                blocks.append(Block(texts, is_row=True))
        items.append((box[1], blocks))
    free = [g for g, centre in zip(glyphs, centres) if not any(_inside(centre, b) for b in boxes)]
    lines = _lines(free)
    # the text block's margins, from every page so far: a page holding only short indented paragraphs (the last
    # page, often) has no line at either margin, and its own extremes would make each paragraph a wrapped line
    right = carry["right"] = max([ln[-1]["x1"] for ln in lines] + [carry.get("right", 0.0)])
    left = carry["left"] = min([ln[0]["x0"] for ln in lines] + [carry.get("left", float("inf"))])
    previous, previous_bottom = None, 0.0
    texts: list[TextLine] = []
    first_table = min((b[1] for b in boxes), default=float("inf"))
    tops = sorted(min(g["top"] for g in line) for line in lines)
    folios = carry.setdefault("folios", [])  # the possible page numbers of the pages before (columns.folio_elsewhere)
    spots = []
    for number, line in enumerate(lines):
        text = _line_text(line)
        if _PAGE_NUMBER.match(text) and not (text.strip().isdigit() and among_lines(
                min(g["top"] for g in line), max(g["size"] for g in line), tops)):
            top, centre = min(g["top"] for g in line), (line[0]["x0"] + line[-1]["x1"]) / 2
            width = max(g["x1"] - g["x0"] for g in line)
            if text.strip().isdigit():
                spots.append((top, centre, width))
            if text.strip().isdigit() and not folio_elsewhere(top, centre, width, folios) and \
                    (block := line_to_block(text)) is not None:
                # a page number, or the rest of the last row's value wrapped in its cell: place() decides
                texts.append(TextLine(text, block, _word_spans(line), max(g["size"] for g in line), top, [block], True))
                items.append((top, texts[-1].holder))
            continue
        block = line_to_block(text)
        if block is None:
            continue
        if block.is_row and (unmarked := _unmarked_line(line)) is not None:  # a row of a table without rules
            if (again := line_to_block(unmarked)) is not None:
                block, text = again, unmarked
        text, block, spans = marks_dropped(text, block, _word_spans(line))  # '… 15 821*', '… 15 821 *'
        top, bottom = min(g["top"] for g in line), max(g["bottom"] for g in line)
        texts.append(TextLine(text, block, spans, max(g["size"] for g in line), top))
        width = max(g["x1"] - g["x0"] for g in line)
        indented = line[0]["x0"] > left + 0.9 * width
        continued = carry.get("previous") if number == 0 and top < first_table else None
        if continued is not None and not block.is_row and not indented:
            continued.cells[0] += block.cells[0]  # the paragraph that ran to the foot of the previous page
            block = continued
        elif (previous is not None and not block.is_row and not indented
              and top - previous_bottom < 0.6 * (bottom - top)):
            previous.cells[0] += block.cells[0]
            block = previous
        else:
            texts[-1].holder.append(block)
            items.append((top, texts[-1].holder))
        wraps = not block.is_row and line[-1]["x1"] >= right - 2 * width
        previous = block if wraps else None
        previous_bottom = bottom
    place(texts, [b[1] for b in boxes])  # the rows of tables without rules: each value in its column by its x
    folios.extend(spots)
    carry["previous"] = previous if lines and previous is not None and lines[-1][-1]["top"] > max(
        (b[3] for b in boxes), default=0) else None
    items.sort(key=lambda item: item[0])
    return [b for _, group in items for b in group]
