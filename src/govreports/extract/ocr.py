"""Scanned PDFs (no text layer) → blocks by OCR: PDFium renders each page, Tesseract reads it (simplified Chinese).

Tesseract (Debian packages tesseract-ocr and tesseract-ocr-chi-sim) runs as a subprocess per page and answers with
word boxes (TSV); the table grid is found in the page image itself (long dark runs of pixels: the ruling lines),
and words and grid go through the OFD reader's page_blocks, so a scan is read into rows exactly as a positioned-text
page is. Bounded: at most MAX_PAGES pages, PAGE_TIMEOUT seconds per page, and all pages within a budget below
the parse deadline; pages past a bound are left unread and the document says how many were read. The seconds are
CPU time, Tesseract's and the worker's (what reading costs), each with WALL_FACTOR times as many on the clock: on
the clock alone, a scan beside other work (the workers and their Tesseract run at nice 10) was cut to a page.
Where Tesseract or its Chinese model is missing, the document stays unreadable with a reason naming the packages:
no crash. A PDF with a text layer on some pages only (a scan behind a typed cover page) has its other pages read so
(ocr_textless_pages), where parse.api finds no report or no form cell in its text layer.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from govreports.extract.cputime import children_cpu, cpu_limited, past_limit
from govreports.extract.document import Block, Document
from govreports.extract.limits import DEFAULT_DEADLINE, OCR_SHARE, WALL_FACTOR
from govreports.extract.ofd import page_blocks, tables_from_edges
from govreports.extract.toolcache import ToolCache, ask, identity

PACKAGES = "tesseract-ocr tesseract-ocr-chi-sim"
LANGUAGE = "chi_sim"
MAX_PAGES = 20  # pages per document
PAGE_TIMEOUT = 15.0  # seconds per page
BUDGET = DEFAULT_DEADLINE * OCR_SHARE  # seconds for all pages where the caller gives no budget (parse.bounded does)
SCALE = 200 / 72  # 200 dpi: as good as 300 on 7-pt table text (measured: 73% vs 69% of cells), half the time
# points: a page whose longer side passes this (a little over A3's 1191) is a page box in pixels, as a scanner or
# converter that writes no resolution makes it (72 or 96 dpi: an A4 scan at 200 dpi on 1654 × 2339 points); it is
# drawn as A4 (FIT), its words and lines measured in the points of that A4 page
LARGEST, FIT = 1310.0, 842.0
# points: a picture of a page (a 图片版 report) is drawn as wide as A4, enlarged at most MAX_ENLARGE times
A4_WIDTH, MAX_ENLARGE = 595.0, 2.0
_TESSDATA = re.compile(r'"([^"]+)"')
DARK = 160  # a pixel darker than this is ink
H_RULE, V_RULE = 25.0, 8.0  # points: shortest ruling line (longer than any stroke of a glyph of its size)


def unfinished(pages: str | None) -> bool:
    """Whether a reading that says `pages` ("read/total", a record's ocr_pages) stopped at a time bound (the budget,
    or a page past its timeout) short of the pages it may read: a later reading gets further, its earlier pages
    answered by the tool cache. A document cut at MAX_PAGES is as far as it will get."""
    read, _, total = (pages or "").partition("/")
    return read.isdigit() and total.isdigit() and int(read) < min(int(total), MAX_PAGES)


def pages_read(pages: str | None) -> int:
    """The pages a reading that says `pages` ("read/total") read; 0 for none or no such reading."""
    read = (pages or "").partition("/")[0]
    return int(read) if read.isdigit() else 0


def missing() -> str | None:
    """Why OCR cannot run here, or None."""
    return _probe()[0]


def _probe() -> tuple[str | None, str]:
    """(why OCR cannot run here or None, the identity of Tesseract and its Chinese model for extract.toolcache)."""
    program = shutil.which("tesseract")
    if program is None:
        return f"OCR needs tesseract: install the Debian packages {PACKAGES}", ""
    try:
        langs = subprocess.run([program, "--list-langs"], capture_output=True, timeout=10, text=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "tesseract does not run", ""
    if LANGUAGE not in langs.split():
        return "OCR needs Tesseract's simplified-Chinese model: install the Debian package tesseract-ocr-chi-sim", ""
    folder = _TESSDATA.search(langs)  # 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):'
    model = os.path.join(folder.group(1), f"{LANGUAGE}.traineddata") if folder else LANGUAGE
    return None, identity(program, model)


def ocr_pdf(data: bytes, scanned: Document, tools: ToolCache | None = None, budget: float | None = None) -> Document:
    """The scan's text by OCR; `scanned` (the text extractor's unreadable answer) when OCR cannot run. With
    `tools`, Tesseract's answer for a page image already read is taken from that cache; `budget`, the seconds for
    all pages (limits.OCR_SHARE of the parse deadline; None: BUDGET)."""
    why, who = _probe()
    if why is not None:  # none of its pages read: "0/N", so that the crawl reads it again once the tool is there
        meta = {**scanned.meta, "ocr_pages": f"0/{_page_count(data)}"}
        return Document(kind=scanned.kind, blocks=[], meta=meta, unreadable=f"{scanned.unreadable}; {why}")
    found, total, failed = _read_pages(data, None, who, tools, budget)
    blocks = [b for page in found.values() for b in page]
    meta = dict(scanned.meta)
    meta["ocr_pages"] = f"{len(found)}/{total}"
    if not any(b.cells and any(b.cells) for b in blocks):
        return Document(kind=scanned.kind, blocks=[], meta=meta, unreadable=(
            f"{scanned.unreadable}; OCR read no text on {len(found)} of {total} pages{_failures(failed, total)}"))
    return Document(kind=scanned.kind, blocks=blocks, meta=meta, ocr=True)


@contextlib.contextmanager
def _opened(data: bytes):
    """(PDFium's document of `data`, the lock every PDFium call is made under: PDFium is not thread-safe), the
    document opened and closed under it; the caller holds it for its own calls, never while Tesseract reads."""
    import pypdfium2 as pdfium

    from govreports.extract.pdfium import LOCK

    with LOCK:
        pdf = pdfium.PdfDocument(data)
    try:
        yield pdf, LOCK
    finally:
        with LOCK:
            pdf.close()


def _page_count(data: bytes) -> int:
    with _opened(data) as (pdf, lock), lock:
        return len(pdf)


def ocr_textless_pages(data: bytes, document: Document, tools: ToolCache | None = None,
                       budget: float | None = None) -> Document | None:
    """`document` (a PDF with a text layer on some pages: meta["textless_pages"]) with those pages read by OCR in
    their places, each other page's blocks as its text layer gave them: a scan behind a typed cover page. None
    where there is nothing to read: those pages are blank, or OCR read every one of them and found no text, or
    PDFium cannot open the PDF to draw them (a damaged file pdfplumber read).
    Unreadable, with the reason, where OCR cannot run or stopped at a time bound before it found text (read again
    later: `ocr_pages` counts the textless pages read)."""
    import pypdfium2

    textless = [int(n) - 1 for n in document.meta["textless_pages"].split(",")]
    try:
        if not _draw_anything(data, textless):
            return None
    except pypdfium2.PdfiumError:  # PDFium cannot open it (pdfplumber read it): no page of it can be drawn
        return None
    reason = f"the PDF has no text layer on pages {document.meta['textless_pages']} (scanned images?)"
    why, who = _probe()
    if why is not None:
        meta = {**document.meta, "ocr_pages": f"0/{len(textless)}"}  # read again once the tool is there
        return Document(kind=document.kind, blocks=[], meta=meta, unreadable=f"{reason}; {why}")
    found, _total, failed = _read_pages(data, textless, who, tools, budget)
    meta = dict(document.meta)
    meta["ocr_pages"] = f"{len(found)}/{len(textless)}"
    if not any(b.cells and any(b.cells) for page in found.values() for b in page):
        if not unfinished(meta["ocr_pages"]):
            return None
        return Document(kind=document.kind, blocks=[], meta=meta, unreadable=(
            f"{reason}; OCR read no text on {len(found)} of {len(textless)} pages"
            f"{_failures(failed, len(textless))}"))
    ends = [*document.pages[1:], len(document.blocks)]
    blocks = [b for n, (start, end) in enumerate(zip(document.pages, ends))
              for b in found.get(n, document.blocks[start:end])]
    return Document(kind=document.kind, blocks=blocks, meta=meta, ocr=True)


def _draw_anything(data: bytes, indices: list[int]) -> bool:
    """Whether any of the pages `indices` draws something: an image, or paths (text converted to outlines is
    read by OCR as a scan is); a blank page has nothing to read."""
    import pypdfium2.raw as pdfium_c

    with _opened(data) as (pdf, lock), lock:
        for index in indices:
            if index < len(pdf):
                page = pdf[index]
                try:
                    if pdfium_c.FPDFPage_CountObjects(page.raw) > 0:
                        return True
                finally:
                    page.close()
        return False


def _read_pages(data: bytes, indices: list[int] | None, who: str, tools: ToolCache | None,
                budget: float | None = None) -> tuple[dict[int, list[Block]], int, list[str]]:
    """({page index: its blocks} for the pages read, in order; the document's page count; how Tesseract failed on
    each page it failed on): the pages of `indices` (None: every page), at most MAX_PAGES of them, until one passes
    its timeout or the budget is spent. A page Tesseract fails on is not read: unfinished, it is asked again (its
    failure is not kept in the tool cache)."""
    with _opened(data) as (pdf, lock):  # each PDFium call under the lock, never Tesseract's reading
        with lock:
            total = len(pdf)

        def draw(index: int):
            with lock:
                page = pdf[index]
                try:
                    longest = max(page.get_size())
                    scale = SCALE * (FIT / longest if longest > LARGEST else 1.0)
                    return page.render(scale=scale, grayscale=True).to_pil().convert("L")
                finally:
                    page.close()

        wanted = [i for i in (range(total) if indices is None else indices) if i < total]
        found, failed = _read_drawn(wanted, draw, who, tools, budget)
    return found, total, failed


def _cpu_seconds() -> float:
    """This process's CPU seconds and those of its children waited for (Tesseract's, page by page)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu()


@dataclass(frozen=True)
class _Allowance:
    """What OCR may still spend: `cpu` seconds of CPU time from `since` (_cpu_seconds), and the clock until `until`
    (time.monotonic()). A budget of N seconds is N of CPU and WALL_FACTOR × N on the clock, as the parse worker's
    own bounds are (the deadline's CPU time, WALL_FACTOR deadlines on the clock): OCR's share of both leaves the
    rest of the parse its time."""

    cpu: float
    until: float
    since: float = field(default_factory=_cpu_seconds)

    @classmethod
    def of(cls, seconds: float, until: float | None = None) -> _Allowance:
        end = time.monotonic() + WALL_FACTOR * seconds
        return cls(seconds, end if until is None else min(end, until))

    def left(self) -> tuple[float, float]:
        """(CPU seconds left, seconds left on the clock)."""
        return self.cpu - (_cpu_seconds() - self.since), self.until - time.monotonic()


def _read_drawn(indices: list[int], draw, who: str, tools: ToolCache | None,
                budget: float | None) -> tuple[dict[int, list[Block]], list[str]]:
    """_read_pages over any page images: `draw(index)` gives page `index` as a grey-scale image at SCALE pixels a
    point. A page that cannot be drawn (LimitExceeded, ValueError) ends the reading with that error."""
    total = _Allowance.of(BUDGET if budget is None else budget)
    found: dict[int, list[Block]] = {}
    failed: list[str] = []
    carry: dict = {}
    for index in indices[:MAX_PAGES]:
        if min(total.left()) <= 1:
            break
        image = draw(index)
        rules = _rules(image)
        try:
            cpu, _clock = total.left()  # the page drawn and its rules found: what is left
            words = _page_words(image, rules, _Allowance.of(min(PAGE_TIMEOUT, cpu), total.until),
                                _Tesseract(who, tools))
        except _Failed as exc:
            failed.append(str(exc))
            continue
        if words is None:
            break
        found[index] = page_blocks(words, rules, carry)
    return found, failed


def ocr_images(images: list[bytes], tools: ToolCache | None = None, budget: float | None = None,
               names: list[str] | None = None) -> Document:
    """A report published as pictures of its pages (extract.images), read by OCR as a scanned PDF's pages are: each
    picture drawn at A4's width (a phone's photo made smaller, a web page's small picture larger: Tesseract reads
    glyphs of 20–40 pixels best), a TIFF's pages and a strip of pages (a 长图) as their pages (images.page_count,
    strip_cuts), at most MAX_PAGES of them within `budget` seconds. Unreadable, with the reason, where OCR cannot
    run (its `ocr_pages` 0/N: read again once it can) or read no text. A picture that cannot be drawn (ValueError,
    LimitExceeded) is named in the error, one of several by its place and its name (`names`: a zip's). A picture
    the same, byte for byte, as one before it is no page (shown twice, zipped twice: read twice, its headings broke
    the report's sections apart)."""
    from govreports.extract.images import opened, page_count, strip_cuts
    from govreports.extract.limits import LimitExceeded, LimitHit

    given, seen, places = len(images), set(), []  # places: where each picture read is among those given
    for place, image in enumerate(images):
        if image not in seen:
            seen.add(image)
            places.append(place)
    images = [images[place] for place in places]

    pages = [(index, part, count, frames) for index, image in enumerate(images)
             for count, frames in (page_count(image),) for part in range(count)]
    meta = {"ocr_pages": f"0/{len(pages)}"}
    reason = f"a report published as {len(images)} image(s) (图片版): its text must be read by OCR"
    why, who = _probe()
    if why is not None:
        return Document(kind="image", blocks=[], meta=meta, unreadable=f"{reason}; {why}")
    last: dict = {}  # the picture the pages drawn come from, and its cuts: a strip's pages are drawn one by one

    def draw(number: int):
        try:
            return drawn(number)
        except (ValueError, LimitExceeded) as exc:
            if given < 2:
                raise
            place = places[pages[number][0]]
            which = f"picture {place + 1} of {given}" + (f" ({names[place]})" if names else "")
            if isinstance(exc, LimitExceeded):
                raise LimitExceeded(LimitHit(exc.hit.kind, f"{which}: {exc.hit.message}")) from None
            raise ValueError(f"{which}: {exc}") from None

    def drawn(number: int):
        index, part, count, frames = pages[number]
        if frames:  # a TIFF's page
            picture, cuts = opened(images[index], part), None
        else:
            if last.get("index") != index:
                last.clear()
                picture = opened(images[index])
                last.update(index=index, picture=picture, cuts=strip_cuts(picture, count) if count > 1 else None)
            picture, cuts = last["picture"], last["cuts"]
        if cuts is not None:
            picture = picture.crop((0, cuts[part], picture.width, cuts[part + 1]))
        factor = min(A4_WIDTH * SCALE / picture.width, MAX_ENLARGE)
        size = (max(1, round(picture.width * factor)), max(1, round(picture.height * factor)))
        return picture if size == picture.size else picture.resize(size)

    found, failed = _read_drawn(list(range(len(pages))), draw, who, tools, budget)
    meta["ocr_pages"] = f"{len(found)}/{len(pages)}"
    blocks = [b for page in found.values() for b in page]
    if not any(b.cells and any(b.cells) for b in blocks):
        return Document(kind="image", blocks=[], meta=meta, unreadable=(
            f"{reason}; OCR read no text on {len(found)} of {len(pages)} pages{_failures(failed, len(pages))}"))
    return Document(kind="image", blocks=blocks, meta=meta, ocr=True)


def _failures(failed: list[str], pages: int) -> str:
    """'; Tesseract failed on 2 of 2 pages (killed by signal 11: Segmentation fault)' where it failed."""
    return f"; Tesseract failed on {len(failed)} of {pages} pages ({failed[0]})" if failed else ""


def _page_words(image, rules: list[dict], allowance: _Allowance, tesseract: _Tesseract) -> list[dict] | None:
    """The page's words: the text around the tables read as a page (automatic layout), each ruled table read on
    its own with its lines erased as one uniform block (the layout analysis takes a ruled grid for a picture, and
    a uniform block for a whole page of mixed sizes garbles the prose); None past the page's `allowance`."""
    from PIL import ImageDraw

    clean = _erase(image, rules)  # read only inside the tables: a heading's long stroke may pass for a rule
    text = image.copy()
    draw = ImageDraw.Draw(text)
    crops = []
    for cells in tables_from_edges(rules):
        box = [min(c[0] for c in cells), min(c[1] for c in cells), max(c[2] for c in cells), max(c[3] for c in cells)]
        pixels = [round(v * SCALE) for v in box]
        draw.rectangle(pixels, fill=255)
        crops.append(pixels)
    words = tesseract.words(text, allowance, "3")
    for x0, y0, x1, y1 in crops:
        if words is None:
            return None
        found = tesseract.words(clean.crop((x0, y0, x1, y1)), allowance, "6")
        if found is None:
            return None
        for w in found:
            for key in ("x0", "x1"):
                w[key] += x0 / SCALE
            for key in ("top", "bottom", "base"):
                w[key] += y0 / SCALE
        words.extend(found)
    return words


@dataclass(frozen=True)
class _Tesseract:
    """Tesseract as this document's pages ask it: `who` is its identity, `tools` the cache of its answers."""

    who: str
    tools: ToolCache | None

    def words(self, image, allowance: _Allowance, psm: str = "3") -> list[dict] | None:
        """Tesseract's words with their boxes in points, each word's baseline and size those of its line; None
        when the page's `allowance` is spent. Raises _Failed where Tesseract exits with an error."""
        from io import BytesIO

        if min(allowance.left()) <= 0:
            return None
        out = BytesIO()
        image.save(out, format="PNG")
        png = out.getvalue()
        argv = ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", psm, "tsv"]
        tsv = ask(self.tools, self.who, argv, png, lambda: _run_tesseract(argv, png, allowance))
        return None if tsv is None else _tsv_words(tsv)


class _Failed(Exception):
    """Tesseract exited with an error on an image; the message says how (exit status or signal, and the last
    line it wrote to stderr)."""


def _run_tesseract(argv: list[str], png: bytes, allowance: _Allowance) -> bytes | None:
    """Tesseract's TSV for one image; None past `allowance`: its CPU seconds left as Tesseract's limit
    (extract.cputime), and its time left on the clock."""
    env = {"PATH": os.environ.get("PATH", ""), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    if "TESSDATA_PREFIX" in os.environ:  # where the models are, as _probe found the Chinese one
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    cpu, clock = allowance.left()
    before = children_cpu()
    try:
        done = subprocess.run(cpu_limited(argv, cpu), input=png, capture_output=True, timeout=max(clock, 0.01),
                              env=env)
    except subprocess.TimeoutExpired:
        return None
    if past_limit(done.returncode, children_cpu() - before, cpu):
        return None
    if done.returncode != 0:
        how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _Failed(f"{how}: {said[-1][:200]}" if said else how)
    return done.stdout


def _tsv_words(tsv: bytes) -> list[dict]:
    lines: dict[tuple, list[dict]] = {}
    for row in tsv.decode("utf-8", "replace").splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        left, top, width, height = (int(v) / SCALE for v in f[6:10])
        word = {"x0": left, "x1": left + width, "top": top, "bottom": top + height, "text": f[11].strip()}
        lines.setdefault((f[1], f[2], f[3], f[4]), []).append(word)
    words = []
    for line in lines.values():
        base = max(w["bottom"] for w in line)
        size = max(max(w["bottom"] - w["top"] for w in line), 1.0)
        for w in line:
            w["base"], w["size"] = base, size
            words.append(w)
    return words


def _erase(image, rules: list[dict]):
    """The page without its ruling lines: Tesseract's layout analysis reads a ruled table's cells as one picture."""
    from PIL import ImageDraw

    clean = image.copy()
    draw = ImageDraw.Draw(clean)
    for e in rules:
        draw.rectangle([e["x0"] * SCALE - 1, e["top"] * SCALE - 1, e["x1"] * SCALE + 1, e["bottom"] * SCALE + 1],
                       fill=255)
    return clean


def _rules(image) -> list[dict]:
    """Ruling lines of the page image as pdfplumber edges (points): horizontal and vertical runs of ink at least
    H_RULE / V_RULE long, found with a bytes regex per pixel row (and per column, on the image turned)."""
    from PIL import Image

    ink = image.point(lambda p: 0 if p < DARK else 255)
    edges = []
    for turned, shortest in ((False, H_RULE), (True, V_RULE)):
        grid = ink.transpose(Image.Transpose.TRANSPOSE) if turned else ink
        width, height = grid.size
        raw = grid.tobytes()
        run = re.compile(rb"\x00{%d,}" % int(shortest * SCALE))
        for y in range(height):
            for m in run.finditer(raw, y * width, (y + 1) * width):
                a, b = (m.start() - y * width) / SCALE, (m.end() - y * width) / SCALE
                at = y / SCALE
                if turned:  # transposed: column x of the page is row x here, page row y is column y
                    edges.append({"x0": at, "x1": at, "top": a, "bottom": b, "width": 0, "height": b - a,
                                  "orientation": "v", "object_type": "line"})
                else:
                    edges.append({"x0": a, "x1": b, "top": at, "bottom": at, "width": b - a, "height": 0,
                                  "orientation": "h", "object_type": "line"})
    return edges
