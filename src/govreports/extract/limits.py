"""Cheap size checks that run before any extractor expands a document.

The extractors (python-docx, pdfplumber, lxml) cost time and memory far out of proportion to the bytes for some
inputs: a 90 KB DOCX whose XML unpacks to 30 MB, a 700 KB PDF page ruling a 250×250 grid (pdfplumber's table
finder intersects every edge with every other), a 30 MB HTML page. Each check here reads only what the file says
about itself — the zip directory, PDFium's page object counts (in C, before pdfplumber interprets anything) — and
answers with a `LimitHit` naming the first limit passed, or None. The parser turns a hit into ParseLimitError; the
bounded parser's deadline and memory cap catch what these counts cannot see.

Limits are set well above real reports (measured on rendered and real reports: a table page draws a few hundred
path segments and ~1,500 characters; a report DOCX is a few MB unpacked, its document.xml compresses ~10–20×) and
low enough that a document just under them parses in a few seconds.
"""

from __future__ import annotations

import contextlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO

MB = 1_000_000  # decimal megabytes, as the messages print them


@dataclass(frozen=True)
class Limits:
    # bytes, by kind: scanned PDFs and image-heavy DOCX reach 20–30 MB; a real report page is 20–300 KB, a
    # Word-export HTML report a few MB, and lxml needs ~40× the bytes of an HTML page in memory
    pdf_bytes: int = 40 * MB
    docx_bytes: int = 40 * MB
    html_bytes: int = 10 * MB
    text_bytes: int = 10 * MB
    # the zip of a 图片版 article's pictures the crawl makes (crawl.portal._pictured): each picture is a fetched file,
    # held to the body cap, and the bundle to this; 30–40 phone photos of 3–5 MB. At most zip_expanded, which its
    # parts (stored, not compressed) add up to; a worker holds the zip and one picture drawn at a time
    images_bytes: int = 160 * MB
    # zip containers (DOCX): a report has 10–100 parts; python-docx loads every part into memory
    zip_members: int = 5_000
    # a zip's directory: an entry is 46 bytes, its name and extra fields; a report DOCX's is 1–5 KB. zip_members
    # parts of a kilobyte each (a name of 300 Chinese characters) is more than any report's: past it the directory
    # is not read (zipfile reads it whole into memory to list it, however large its end record says it is)
    zip_directory: int = 5 * MB
    zip_expanded: int = 200 * MB  # sum of the parts' uncompressed sizes
    zip_ratio: float = 100.0  # a part that unpacks more than this many times its compressed size…
    zip_ratio_floor: int = 1 * MB  # …and to more than this is a bomb (tiny parts may compress very well)
    xml_part: int = 20 * MB  # one XML part (document.xml of a 100-page report with tables is 2–5 MB)
    # PDF, counted by PDFium: pages in the file, and per page read (the extractor reads the first pdf_read_pages)
    pdf_pages: int = 1_000
    pdf_read_pages: int = 200
    page_objects: int = 50_000  # drawn objects (text runs, paths, images, form contents)
    page_segments: int = 20_000  # path segments (move/line/curve); pdfplumber needs ~2 s for 20,000 ruling lines
    page_chars: int = 20_000  # a dense A4 page of 7-pt table text holds ~8,000
    # spreadsheets (.xls, .xlsx): the cells all sheets' grids span, blanks included (extract.sheetgrid), as
    # python-calamine builds them (32 bytes a cell in Rust, then a Python object a cell). A report's sheet spans
    # ~60 rows × 15 columns; 1,000,000 cells read in ~1 s
    sheet_cells: int = 1_000_000


DEFAULT_LIMITS = Limits()
# what the parse workers (parse.bounded) are held to, declared here so a config file can name them without
# importing the worker pool
DEFAULT_DEADLINE = 20.0  # seconds; a real report parses in 0.01–1 s (PDFs ~0.3 s), 20-page PDFs in ~3 s
# The deadline counts the worker's CPU time, what the document costs: counted on the clock it failed good reports
# whenever other work kept the (niced) workers from the cores. The clock still bounds a document, at this many
# times the deadline: a worker that waits (on a converter, a lock, a machine that gives it nothing) ends too.
WALL_FACTOR = 3
# OCR's share of the deadline, for all a scan's pages (extract.ocr): the deadline must not kill the worker mid-page,
# so the pages read in time make a record, and the rest are read later
OCR_SHARE = 0.7
# address space per worker: an idle worker has ~40 MB, ~90 MB once it has read a PDF (pdfplumber and PDFium
# loaded); a 9 MB HTML page, near the largest the limits let through, peaks at ~300 MB
DEFAULT_MEMORY_MB = 1024
# how far below the crawling process a crawl's parse workers run (os.nice): every report passes through that
# process's one event loop, and at the same priority the workers took the cores from it when it was ready to run
# (README, "Parse workers a step lower": HTML only at 10,000 reports, 1.58–1.61 → 1.78–1.81 cores busy)
DEFAULT_NICE = 10
KINDS = ("too_large", "bomb", "too_slow", "out_of_memory", "crashed")  # every kind a limit failure can have


@dataclass(frozen=True)
class LimitHit:
    kind: str  # too_large | bomb
    message: str  # one line, for the user: what was measured, and the limit


def check(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> LimitHit | None:
    """The first limit `data` (sniffed as `kind`: pdf, docx, ofd, doc, xls, xlsx, html, text, image, images)
    passes, or None.
    Never expands it."""
    hit = check_size(len(data), kind, limits)
    if hit is not None:
        return hit
    if data[:4] == b"PK\x03\x04":
        hit = check_zip(data, limits, {"ofd": "OFD", "xlsx": "XLSX", "images": "zip of images",
                                       "zip": "zip archive", "packed": "zip archive"}.get(kind, "DOCX"))
        return check_sheets(data, kind, limits) if hit is None and kind == "xlsx" else hit
    if kind == "xls":
        return check_sheets(data, kind, limits)
    if kind == "pdf":
        return check_pdf(data, limits)
    return None


def check_size(size: int, kind: str, limits: Limits = DEFAULT_LIMITS) -> LimitHit | None:
    cap = {"pdf": limits.pdf_bytes, "docx": limits.docx_bytes, "ofd": limits.docx_bytes, "doc": limits.docx_bytes,
           "xls": limits.docx_bytes, "xlsx": limits.docx_bytes, "ole": limits.docx_bytes, "html": limits.html_bytes,
           "text": limits.text_bytes, "images": limits.images_bytes}.get(kind, limits.pdf_bytes)
    if size <= cap:
        return None
    name = {"pdf": "PDF", "docx": "DOCX", "ofd": "OFD", "doc": "Word .doc", "xls": "Excel .xls", "xlsx": "XLSX",
            "html": "HTML page", "text": "text file", "images": "zip of images"}.get(kind, "file")
    return LimitHit("too_large", f"{name} too large: {size / MB:.1f} MB (limit {cap / MB:.0f} MB)")


def zip_directory(read_at, size: int) -> tuple[int, int, int] | None:
    """What a zip of `size` bytes says of its directory, read with `read_at(offset, length)` from its last bytes:
    (the parts it lists, its bytes, where it ends), as its end record (ZIP64's, where its locator precedes it)
    says, as zipfile reads them. None where no end record is found."""
    start = max(0, size - 22 - 0xFFFF)  # the end record (22 bytes), and a comment of up to 64 KB after it
    tail = read_at(start, size - start)
    # zipfile's first guess: an end record without a comment, the last 22 bytes; else the last one found
    at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\x00\x00" else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    parts, listed = struct.unpack("<HI", tail[at + 10:at + 16])  # the part count, the directory's bytes
    end = start + at  # where the directory ends
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":  # ZIP64's locator, its record before it
        record = read_at(end - 76, 56) if end >= 76 else b""
        if record[:4] == b"PK\x06\x06":
            parts, listed = struct.unpack("<QQ", record[32:48])
            end -= 76
    return parts, min(listed, end), end  # no more directory than bytes before its end


def check_zip_directory(read_at, size: int, what: str = "zip archive",
                        limits: Limits | None = None) -> LimitHit | None:
    """A zip (of `size` bytes, read with `read_at(offset, length)` from its last bytes) whose directory its end
    record says is past zip_directory bytes, or that lists past zip_members parts: refused before zipfile lists
    its directory (it reads it whole, a ZipInfo a part: 500,000 parts took 38 s and 335 MB). zipfile lists every
    entry of the directory's bytes, whatever count the end record says, so within zip_directory its entries are
    counted too (their signatures, in bounded steps): the larger number."""
    limits = limits or DEFAULT_LIMITS
    said = zip_directory(read_at, size)
    if said is None:
        return None
    parts, listed, end = said
    if listed > limits.zip_directory:
        return LimitHit("too_large", f"{what} has a {listed / MB:.1f} MB zip directory, more than a report's parts "
                                     f"need (limit {limits.zip_directory / MB:.0f} MB)")
    return too_many_parts(parts if parts > limits.zip_members else max(parts, _entries(read_at, end - listed, end)),
                          what, limits)


def _entries(read_at, start: int, end: int) -> int:
    """The signatures of a directory's entries between `start` and `end`, read a megabyte at a time (a name or an
    extra field that holds one only counts one more)."""
    count, at, carry = 0, start, b""
    while at < end:
        chunk = carry + read_at(at, min(_CHUNK, end - at))
        if len(chunk) == len(carry):
            break  # the file ended early (a size that lies): the rest is not there to list
        count += chunk.count(b"PK\x01\x02")
        at += len(chunk) - len(carry)
        carry = chunk[-3:]  # a signature across two steps is counted in the next
    return count


def too_many_parts(parts: int | None, what: str = "zip archive", limits: Limits | None = None) -> LimitHit | None:
    limits = limits or DEFAULT_LIMITS
    if parts is not None and parts > limits.zip_members:
        return LimitHit("too_large", f"{what} holds {parts:,} parts (limit {limits.zip_members:,})")
    return None


def check_zip(data: bytes, limits: Limits = DEFAULT_LIMITS, what: str = "DOCX") -> LimitHit | None:
    """The zip directory (part count, each part's expansion ratio and XML size, the total unpacked), then one
    streaming inflate of every part in 1 MB steps, output discarded: a directory can lie about a part's size, and
    zipfile inflates a part in one call however large it turns out to be (it checks the size only afterwards).
    DOCX and OFD (`what`, as the messages name it) are both such zips and are held to the same limits. The part
    count its end record declares comes first: past zip_members, the directory is not listed."""
    hit = check_zip_directory(lambda offset, length: data[offset:offset + length], len(data), what, limits)
    if hit is not None:
        return hit
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # damaged: the extractor says so in its own words
    with archive:
        parts = archive.infolist()
    if len(parts) > limits.zip_members:
        return LimitHit("too_large", f"{what} holds {len(parts):,} parts (limit {limits.zip_members:,})")
    total = 0
    for part in parts:
        size, packed = part.file_size, max(part.compress_size, 1)
        if _impossible(part):  # a damaged (or lying) directory: measured inflating (_inflate_part), not believed
            continue
        if size > limits.zip_ratio_floor and size > limits.zip_ratio * packed:
            return LimitHit("bomb", f"{what} part {part.filename} unpacks {packed:,} bytes to {size / MB:,.1f} MB "
                                    f"({size / packed:,.0f}×, limit {limits.zip_ratio:.0f}×)")
        if _is_xml(part.filename) and size > limits.xml_part:
            return LimitHit("too_large", f"{what} part {part.filename} is {size / MB:.1f} MB of XML "
                                         f"(limit {limits.xml_part / MB:.0f} MB)")
        total += size
    if total > limits.zip_expanded:
        return LimitHit("bomb", f"{what} unpacks to {total / MB:,.0f} MB (limit {limits.zip_expanded / MB:.0f} MB)")
    for part in parts:
        # a part whose declared size is not believed: held to the ratio, and the whole to zip_expanded, by what it
        # does unpack
        cap = min(max(limits.zip_ratio_floor, limits.zip_ratio * part.compress_size), limits.zip_expanded - total) \
            if _impossible(part) else None
        hit, produced = _inflate_part(data, part, what, cap)
        if hit is not None:
            return hit
        total += produced if cap is not None else 0
    return None


# deflate unpacks at most 1,032 times what it packs (258 bytes from a code of two bits, and a block's header)
DEFLATE_MAX = 1032


def _impossible(part: zipfile.ZipInfo) -> bool:
    """Whether the size a deflated part declares is more than deflate can unpack from its packed bytes (and a
    kilobyte): a directory damaged there (a flipped byte: 398 bytes said to unpack to 2.7 GB), or lying."""
    return part.compress_type == zipfile.ZIP_DEFLATED and part.file_size > DEFLATE_MAX * part.compress_size + 1024


def check_sheets(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> LimitHit | None:
    """The cells a workbook's sheets span (extract.sheetgrid), all sheets together, against `sheet_cells`: a
    sparse sheet (two cells at opposite corners) is a bomb, a grid too large for its file; so is an .xlsx whose
    shared strings declare more than that and than they hold. A workbook whose cells cannot be counted is left to
    the reader, which reports the damage."""
    from govreports.extract import sheetgrid

    if kind == "xlsx":
        grids, strings = sheetgrid.xlsx_counts(data) or (None, None)
        if strings is not None and strings[1] > limits.sheet_cells:
            part, declared, held = strings
            return LimitHit("bomb", f"XLSX part {part} declares {declared:,} strings and holds {held:,} "
                                    f"(limit {limits.sheet_cells:,})")
    else:
        grids = sheetgrid.xls_grids(data)
    total = sum(cells for _name, cells in grids or ())
    if total <= limits.sheet_cells:
        return None
    name, largest = grids[0]
    what = "XLSX" if kind == "xlsx" else "Excel .xls"
    return LimitHit("bomb" if largest > 1000 * len(data) else "too_large",
                    f"{what} sheets span {total:,} cells ({name}: {largest:,}; limit {limits.sheet_cells:,})")


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


_CHUNK = 1 << 20


def _inflate_part(data: bytes, part: zipfile.ZipInfo, what: str = "DOCX",
                  cap: int | None = None) -> tuple[LimitHit | None, int]:
    """Inflate one part in bounded steps: far more output than its declared size is a bomb; an XML part declaring a
    DTD is an entity-expansion attack (OOXML parts never declare one; the declaration precedes the root element,
    so the first step holds it). Anything unreadable is left to the extractor to report as damage, and so is a
    stream that ends a little past its declared size: one flipped byte near the end of a DOCX's document.xml made
    it inflate some bytes too many in 30 of 38 places, a damaged download recorded as `bomb` (an attack); its
    CRC tells the extractor it is damaged. Past twice its declared size and a step more, it is a bomb; so is a
    part unpacking past `cap` bytes (one declaring more than deflate can unpack: _impossible). With the bytes it
    unpacked (0 where it was not inflated)."""
    start, produced = part.header_offset, 0
    if data[start:start + 4] != b"PK\x03\x04":
        return None, 0
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    begin = start + 30 + name_len + extra_len
    raw = memoryview(data)[begin:begin + part.compress_size]
    if part.compress_type == zipfile.ZIP_STORED:
        head = bytes(raw[:2048])
    elif part.compress_type == zipfile.ZIP_DEFLATED:
        inflater, pending, head = zlib.decompressobj(-15), bytes(raw), b""
        try:
            while not inflater.eof:
                out = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                head = head or out[:2048]
                produced += len(out)
                if produced > 2 * part.file_size + _CHUNK:
                    return LimitHit("bomb", f"{what} part {part.filename} inflates past twice the {part.file_size:,} "
                                            f"bytes its zip directory declares"), produced
                if cap is not None and produced > cap:
                    return LimitHit("bomb", f"{what} part {part.filename} inflates {part.compress_size:,} bytes past "
                                            f"{produced / MB:,.1f} MB (its zip directory declares "
                                            f"{part.file_size / MB:,.1f} MB, more than deflate can unpack)"), produced
                if not out and not pending:
                    break
        except zlib.error:
            return None, produced
    else:
        return None, 0  # bzip2/lzma parts: no Word writes them; zipfile reads them, the deadline bounds it
    if _is_xml(part.filename) and (b"<!DOCTYPE" in head or b"<!ENTITY" in head):
        return LimitHit("bomb", f"{what} part {part.filename} declares a DTD (entity expansion refused)"), produced
    return None, produced


class LimitExceeded(Exception):
    """A limit passed while a document is read: extract.pdf checks each PDF page as it loads it (check_pdf_page),
    so PDFium loads a page and its text once, not once for the check and again to read it."""

    def __init__(self, hit: LimitHit):
        super().__init__(hit.message)
        self.hit = hit


def check_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS) -> LimitHit | None:
    """Pages, and per page read: drawn objects, path segments, characters — counted by PDFium, in C.

    A PDF PDFium cannot open is left to the extractor, which reports the damage; the deadline still bounds it.
    """
    import pypdfium2 as pdfium

    from govreports.extract.pdfium import LOCK, use_box_font

    use_box_font()  # before PDFium first meets a CJK font: else it loads the system's 26 MB collection
    with LOCK:  # PDFium is not thread-safe
        return _check_pdf(pdfium, data, limits)


def _check_pdf(pdfium, data: bytes, limits: Limits) -> LimitHit | None:
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001 - PdfiumError, or anything a damaged file raises: not this check's verdict
        return None
    try:
        pages = len(pdf)
        hit = check_pdf_pages(pages, limits)
        if hit is not None:
            return hit
        for index in range(min(pages, limits.pdf_read_pages)):
            try:
                page = pdf[index]
            except Exception:  # noqa: BLE001 - a page PDFium cannot load: the extractor decides
                continue
            try:
                hit = check_pdf_page(page, index + 1, limits)
            finally:
                page.close()
            if hit is not None:
                return hit
        return None
    finally:
        pdf.close()


def check_pdf_pages(pages: int, limits: Limits = DEFAULT_LIMITS) -> LimitHit | None:
    if pages > limits.pdf_pages:
        return LimitHit("too_large", f"PDF has {pages:,} pages (limit {limits.pdf_pages:,})")
    return None


def check_pdf_page(page, number: int, limits: Limits = DEFAULT_LIMITS, textpage=None) -> LimitHit | None:
    """One loaded page's drawn objects, path segments and characters. `textpage`: the page's text, when the
    caller has loaded it to read the page next (it stays open)."""
    import pypdfium2.raw as pdfium_c

    objects, segments = _count(pdfium_c, page.raw, limits, pdfium_c.FPDFPage_CountObjects,
                               pdfium_c.FPDFPage_GetObject)
    if objects > limits.page_objects:
        return LimitHit("too_large", f"PDF page {number} draws {objects:,} objects (limit {limits.page_objects:,})")
    if segments > limits.page_segments:
        return LimitHit("too_large", f"PDF page {number} draws {segments:,} path segments "
                                     f"(limit {limits.page_segments:,})")
    with contextlib.nullcontext(textpage) if textpage is not None else contextlib.closing(page.get_textpage()) as text:
        chars = text.count_chars()
    if chars > limits.page_chars:
        return LimitHit("too_large", f"PDF page {number} has {chars:,} characters (limit {limits.page_chars:,})")
    return None


def _count(c, handle, limits: Limits, count_fn, get_fn, depth: int = 0) -> tuple[int, int]:
    """(objects, path segments) of a page or form XObject, forms counted with their contents. Stops early once
    the object limit is passed, so a page of a million objects costs no more than one just over the limit."""
    n = count_fn(handle)
    objects, segments = n, 0
    if n > limits.page_objects:
        return objects, segments
    for i in range(n):
        obj = get_fn(handle, i)
        kind = c.FPDFPageObj_GetType(obj)
        if kind == c.FPDF_PAGEOBJ_PATH:
            segments += max(c.FPDFPath_CountSegments(obj), 0)
        elif kind == c.FPDF_PAGEOBJ_FORM and depth < 8:
            inner, inner_segments = _count(c, obj, limits, c.FPDFFormObj_CountObjects, c.FPDFFormObj_GetObject,
                                           depth + 1)
            objects, segments = objects + inner, segments + inner_segments
        if objects > limits.page_objects:
            break
    return objects, segments
