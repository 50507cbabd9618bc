"""Entry points of the parser: bytes or a path in, the canonical record out.

Bad input never escapes as a traceback: everything that cannot be read becomes a ParseError whose message names
the reason (empty, too large, unknown binary, damaged PDF, no report in the page), and parse_path turns that into a
ParseOutcome so a batch goes on. A document past one of the limits (extract.limits: bytes, pages, objects,
expansion) is refused before any extractor expands it, as a ParseLimitError carrying the limit's kind. These
functions parse in the calling process; parse.bounded runs them in worker processes under a deadline and a memory
cap, which is how the crawler and the commands call them.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govreports.errors import GovreportsError
from govreports.extract import limits
from govreports.extract.document import Document, Encrypted, MissingTool
from govreports.extract.sniff import container_failure, sniff
from govreports.parse.report import build_record

if TYPE_CHECKING:
    from govreports.extract.toolcache import ToolCache

# the largest of the per-kind caps (limits.check_size holds each kind to its own): a zip of a 图片版 article's
# pictures (images_bytes), then scanned PDFs, which reach 20–30 MB
MAX_BYTES = max(limits.DEFAULT_LIMITS.images_bytes, limits.DEFAULT_LIMITS.pdf_bytes)
NOT_A_REPORT = "not a report: binary content that is neither PDF, DOCX, OFD, Word .doc, Excel workbook, HTML nor text"


class ParseError(GovreportsError):
    """Input that cannot be read as a report; the message says why, for the user (exit code 1)."""


class ParseLimitError(ParseError):
    """A document refused for what reading it would cost. `kind` is one of extract.limits.KINDS: too_large,
    bomb (from the document's own counts), too_slow, out_of_memory, crashed (from the worker that parsed it)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind

    def __reduce__(self):  # crosses the process boundary with its kind
        return type(self), (self.kind, str(self))

    @property
    def line(self) -> str:
        """`kind: message`, as the commands print and the logs record it."""
        return f"{self.kind}: {self}"


class MissingToolError(ParseError):
    """A document kind whose reader (a system program) is not installed: `kind` is "missing_tool" and the message
    names the Debian package to install. The document is failed, the batch goes on."""

    kind = "missing_tool"

    def __init__(self, message: str, package: str = ""):
        super().__init__(message)
        self.package = package

    def __reduce__(self):
        return type(self), (str(self), self.package)

    @property
    def line(self) -> str:
        return f"{self.kind}: {self}"


@dataclass
class ParseOutcome:
    path: str
    kind: str | None  # html | pdf | docx | ofd | doc | xls | xlsx | rtf | text
    record: dict | None
    error: str | None
    error_kind: str | None = None  # a ParseLimitError's kind (too_large, bomb, too_slow, …), missing_tool; or None

    @property
    def ok(self) -> bool:
        return self.error is None


def extract(data: bytes, http_charset: str | None = None, tools: ToolCache | None = None,
            ocr_budget: float | None = None, name: str = "", kind: str | None = None) -> Document:
    """The document's blocks by its kind's extractor; `tools` keeps what OCR and LibreOffice answered (see
    extract.toolcache), so a file they read once is not read by them again; `ocr_budget`, the seconds from now
    by which OCR stops reading a scan's pages (limits.OCR_SHARE of the deadline the parse is held to; None:
    extract.ocr.BUDGET from OCR's start); `name`, the file's name or URL, which names what a zip cut short before
    its bytes say is meant to be; `kind`, what `sniff` said of `data` where it was asked already (a zip's directory
    read once)."""
    started = time.monotonic()
    if not data or not data.strip():
        raise ParseError("empty file")
    if len(data) > MAX_BYTES:
        raise ParseLimitError("too_large", _too_large(len(data)))
    kind = kind or sniff(data)
    if kind is None:
        if (failure := container_failure(data, name)) is not None:
            raise ParseError(failure)
        raise ParseError(NOT_A_REPORT)
    # a PDF's size here, its pages as extract_pdf loads each (once for the check and the reading)
    hit = limits.check_size(len(data), kind) if kind == "pdf" else limits.check(data, kind)
    if hit is not None:
        raise ParseLimitError(hit.kind, hit.message)
    if kind == "packed":  # parse_bytes opens the outer zip: this one is inside it
        raise ParseError("a zip of documents inside the zip: not opened")
    try:
        if kind == "pdf":
            from govreports.extract.pdf import extract_pdf

            document = extract_pdf(data, limits=limits.DEFAULT_LIMITS)
            if document.unreadable and not document.blocks:  # no text layer: a scan, read by OCR where installed
                from govreports.extract.ocr import ocr_pdf

                document = ocr_pdf(data, document, tools, _left(ocr_budget, started))
            return document
        if kind in ("image", "images"):  # a 图片版 report: pictures of its pages, read by OCR
            from govreports.extract.images import page_images, page_names
            from govreports.extract.ocr import ocr_images

            return ocr_images(page_images(data, kind), tools, _left(ocr_budget, started), page_names(data, kind))
        if kind == "docx":
            from govreports.extract.docx import extract_docx

            return extract_docx(data)
        if kind == "ofd":
            from govreports.extract.ofd import extract_ofd

            return extract_ofd(data)
        if kind == "doc":
            from govreports.extract.doc import extract_doc

            return extract_doc(data, tools=tools)
        if kind in ("xls", "xlsx"):  # a report published only as a spreadsheet
            from govreports.extract.xls import extract_xls

            return extract_xls(data, kind)
        if kind == "rtf":  # RTF, often named .doc on portals: its own reader, not the text path
            from govreports.extract.rtf import Truncated, extract_rtf

            try:
                return extract_rtf(data)
            except Truncated as exc:
                raise ParseError(f"damaged or truncated RTF ({exc})") from None
        from govreports.extract.decode import decode_bytes

        text, _encoding = decode_bytes(data, http_charset)
        if kind == "html":
            from govreports.extract.html import extract_html

            return extract_html(text)
        from govreports.extract.lines import text_to_blocks

        return Document(kind="text", blocks=text_to_blocks(text))
    except (ParseError, MemoryError):
        raise  # out of memory is the worker's to report (parse.bounded), not a damaged file
    except limits.LimitExceeded as exc:
        raise ParseLimitError(exc.hit.kind, exc.hit.message) from None
    except MissingTool as exc:
        raise MissingToolError(str(exc), exc.package) from None
    except Encrypted as exc:
        raise ParseError(f"encrypted {kind.upper() if kind == 'pdf' else kind}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any library failure on hostile input is a bad-input error
        what = {"pdf": "damaged or truncated PDF", "docx": "damaged DOCX", "ofd": "damaged OFD",
                "doc": "damaged Word .doc", "rtf": "damaged RTF", "xls": "damaged Excel .xls",
                "xlsx": "damaged XLSX workbook", "image": "damaged image",
                "images": "damaged zip of images"}.get(kind, f"unreadable {kind}")
        raise ParseError(f"{what} ({type(exc).__name__}: {str(exc)[:200]})") from exc


def parse_bytes(data: bytes, name: str = "", hints: dict | None = None, http_charset: str | None = None,
                tools: ToolCache | None = None, ocr_budget: float | None = None) -> dict:
    """Parse one document. `hints` are facts the crawler saw outside the document (list-page title, date);
    `tools`, the cache of external programs' answers (extract.toolcache); `ocr_budget`, see extract. A zip of
    documents is the report packed in it (extract.packed): the record says which member (`zip_member`), and a
    failure reading it names it."""
    kind = sniff(data) if data[:4] == b"PK\x03\x04" else None  # a zip's directory, read once: extract is told
    if kind == "packed":
        member, data = _unpacked(data)
        try:
            record = _parse_document(data, member, hints, http_charset, tools, ocr_budget)
        except ParseError as exc:
            raise _in_member(exc, member) from None
        record["zip_member"] = member
        return record
    return _parse_document(data, name, hints, http_charset, tools, ocr_budget, kind)


def _unpacked(data: bytes) -> tuple[str, bytes]:
    """The report packed in the zip `data` (extract.packed), the zip held to its limits first."""
    from govreports.extract.packed import NotOneReport, TooLarge, unpacked
    from govreports.extract.sniff import ZIP_DAMAGED

    def check() -> None:
        if (hit := limits.check(data, "packed")) is not None:
            raise ParseLimitError(hit.kind, hit.message)

    try:
        return unpacked(data, MAX_BYTES, check)
    except NotOneReport as exc:
        raise ParseError(str(exc)) from None
    except TooLarge as exc:
        raise ParseLimitError("too_large", f"the report in the zip: {exc}") from None
    except (*ZIP_DAMAGED, zlib.error, OSError) as exc:
        raise ParseError(f"damaged or truncated zip archive ({type(exc).__name__}: {str(exc)[:200]})") from None


def _in_member(exc: ParseError, member: str) -> ParseError:
    """`exc`, raised reading the zip's member `member`, saying so (its kind kept)."""
    said = f"{exc} (in the zip: {member})"
    if isinstance(exc, ParseLimitError):
        return ParseLimitError(exc.kind, said)
    if isinstance(exc, MissingToolError):
        return MissingToolError(said, exc.package)
    return ParseError(said)


def _parse_document(data: bytes, name: str, hints: dict | None, http_charset: str | None,
                    tools: ToolCache | None, ocr_budget: float | None, kind: str | None = None) -> dict:
    started = time.monotonic()
    document = extract(data, http_charset, tools, ocr_budget, name, kind)
    record = build_record(document, hints or {})
    if _doubtful(document, record):
        document, record = _checked_by_pdfplumber(data, document, record, hints or {})
    if document.meta.get("textless_pages") and (record is None or cells_read_share(record) == 0.0):
        document, record = _with_textless_pages_read(data, document, record, hints or {}, tools,
                                                     _left(ocr_budget, started))
    if record is None and document.ocr:  # kept as a scan whose reading found no report, as one read in no time
        document = Document(kind=document.kind, blocks=[], meta=document.meta, unreadable=(
            f"no annual report found in the text OCR read from {document.meta['ocr_pages']} scanned pages"))
        record = build_record(document, hints or {})
    if record is None:
        raise ParseError(f"no annual report found in this {document.kind} document")
    if document.meta.get("pdf_reader"):
        record["pdf_reader"] = document.meta["pdf_reader"]  # pdfium, pdfplumber or pdfium+pdfplumber
    if document.kind in ("xls", "xlsx"):  # said only for a spreadsheet: every other record's hash stays as it was
        record["source_format"] = document.kind
    if document.ocr:
        record["ocr"] = True
        record["ocr_cells"] = cells_read_share(record)
    if document.meta.get("ocr_pages"):  # "read/total": pages past a bound are left unread, and read again later
        record["ocr_pages"] = document.meta["ocr_pages"]  # (a scan no page of which was read in time, too)
    return record


def _doubtful(document: Document, record: dict | None) -> bool:
    """A fast PDF reading pdfplumber must check: no report found in it, or form cells left unread on a reading
    the fast path itself doubts (extract.pdfium.DOUBTS: characters off the page or taller than their table
    cells, ruling lines crossing outside its tables). Blank cells on an undoubted reading are the report's own
    blanks: pdfplumber, reading the same characters and lines, would leave them blank too."""
    if "pdfium" not in document.meta.get("pdf_reader", "") or document.ocr:  # OCR's reading: no characters to read
        return False
    if record is None:
        return True
    return bool(document.meta.get("pdf_doubts")) and cells_read_share(record) < 1.0


def _left(budget: float | None, started: float) -> float | None:
    """What is left of `budget` seconds counted from `started` (time.monotonic()); None for no budget."""
    return None if budget is None else budget - (time.monotonic() - started)


def _with_textless_pages_read(data: bytes, document: Document, record: dict | None, hints: dict,
                              tools: ToolCache | None, budget: float | None) -> tuple[Document, dict | None]:
    """A PDF whose text layer holds no report, or none of the form's cells, and some pages of which have none: a
    scan behind a typed cover page (its characters made it no scan, and the parse failed: no annual report
    found). Those pages are read by OCR in their places; the reading with more cells wins, the text layer's on a
    tie. Where OCR cannot run, or stopped at a time bound before it found text, and the text layer holds no
    report, the record is a scan's `format: unknown` one, its reason naming what to install or how many pages were
    read (a later crawl reads it again, as a scan's)."""
    from govreports.extract.ocr import ocr_textless_pages

    scanned = ocr_textless_pages(data, document, tools, budget)
    if scanned is None:  # no image on those pages, or no text in them: the text layer's reading stands
        return document, record
    found = build_record(scanned, hints)
    if scanned.unreadable:
        return (scanned, found) if record is None else (document, record)
    if record is None or (found is not None and cells_read_share(found) > cells_read_share(record)):
        return scanned, found
    return document, record


def _checked_by_pdfplumber(data: bytes, document: Document, record: dict | None,
                           hints: dict) -> tuple[Document, dict | None]:
    """Accuracy never drops for speed: where a doubted fast reading left a form cell unread (or no report was
    found in it), pdfplumber reads the document too, and the reading with more cells wins (the fast path's on a
    tie). A real Word-export PDF (淮安 2024, drawn at 1/20 scale with fonts 20 times the size) gave 125 of 200
    cells on the fast path before it took the scale into the font size, with characters 20 times too tall.
    A file pdfplumber cannot read (a damaged stream PDFium passed over) keeps the fast reading where it found a
    report, and is a damaged PDF where it found none: never pdfminer's error let out as a parser crash."""
    from govreports.extract.pdf import extract_pdf

    try:
        slow_document = extract_pdf(data, fast=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer's errors on a damaged stream are many and unlisted
        if record is not None:
            return document, record
        raise ParseError(f"damaged or truncated PDF ({type(exc).__name__}: {str(exc)[:200]})") from exc
    slow = build_record(slow_document, hints)
    if slow is not None and (record is None or cells_read_share(slow) > cells_read_share(record)):
        return slow_document, slow
    return document, record


def cells_read_share(record: dict) -> float:
    """The share of the form's value cells (tables 二、三、四 of the record's format, schema.form_rows) that hold a
    number: what OCR read of the tables. 0.0 for a record without a form."""
    from govreports import schema

    read = total = 0
    for table, row, cols in schema.form_rows(record.get("format")):
        total += len(cols)
        values = (record.get(table) or {}).get(row) or {}
        read += sum(isinstance(values.get(c), (int, float)) for c in cols)
    return round(read / total, 3) if total else 0.0


def parse_path(path: str | Path, hints: dict | None = None,
               parse: Callable[..., dict] = parse_bytes) -> ParseOutcome:
    """Parse a file (with `parse`, parse_bytes's signature: the bounded parser passes its own); never raises for
    bad input. A limit failure's error reads `kind: message`."""
    path = Path(path)
    try:
        data = read_path(path)
        kind = sniff(data) if data else None
        return ParseOutcome(str(path), kind, parse(data, path.name, hints), None)
    except (ParseError, OSError) as exc:
        return failed_outcome(path, exc)


def read_path(path: Path) -> bytes:
    """A report file's bytes: ParseError for a directory, ParseLimitError past MAX_BYTES (before reading it),
    OSError when it cannot be read. Only a zip of pictures may be as large as MAX_BYTES (limits.images_bytes):
    a file whose first bytes (a zip's, its directory) say it is of a kind past whose cap it is, or no report at
    all, is refused as reading it whole would refuse it, in the same words, the rest of it unread. A pipe (no size
    to check first) is read to a byte past MAX_BYTES at most."""
    if path.is_dir():
        raise ParseError("is a directory")
    with path.open("rb") as file:
        info = os.fstat(file.fileno())
        if info.st_size > MAX_BYTES:
            raise ParseLimitError("too_large", _too_large(info.st_size))
        regular = stat.S_ISREG(info.st_mode)
        if regular:
            _refuse_unread(file, info.st_size)
            data = file.read(info.st_size)
            if not file.read(1):  # (a file that grew since is read on as a pipe is)
                return data
            file.seek(len(data))
        parts = [data] if regular else []
        total = sum(map(len, parts))
        while total <= MAX_BYTES and (chunk := file.read(min(_CHUNK, MAX_BYTES + 1 - total))):
            parts.append(chunk)
            total += len(chunk)
    if total > MAX_BYTES:
        raise ParseLimitError("too_large", f"file too large: more than {MAX_BYTES / 1e6:.0f} MB read from it "
                                           f"(limit {MAX_BYTES / 1e6:.0f} MB)")
    return b"".join(parts)


_HEAD = 4096  # what sniff reads of a file that is no container (a zip, an OLE2 file: their directories say)
_CHUNK = 1 << 20


def _refuse_unread(file, size: int) -> None:
    """Raise what extract would for the file open as `file` (of `size` bytes), where its head (a zip's directory)
    tells it, before the rest is read: past its kind's cap (limits.check_size), or no report (binary content).
    Left at its start. A zip whose directory names no kind of report is refused from its directory; a head of
    blanks (an empty file) or a zip whose directory cannot be read is left to extract, which reads it whole."""
    head = file.read(_HEAD)
    try:
        if not head.strip():
            return
        if head.startswith(b"PK\x03\x04"):
            from govreports.extract.packed import NotOneReport, documents, member_name, the_report
            from govreports.extract.sniff import ZIP_DAMAGED, package_says, zip_failure, zip_kind

            def read_at(offset: int, length: int) -> bytes:
                file.seek(offset)
                return file.read(length)

            hit = limits.check_zip_directory(read_at, size, limits=limits.DEFAULT_LIMITS)
            if hit is not None:
                raise ParseLimitError(hit.kind, hit.message)
            file.seek(0)
            try:
                with zipfile.ZipFile(file) as archive:
                    names, infos = archive.namelist(), archive.infolist()
                    said = package_says(archive) if zip_kind(names) is None else None
            except ZIP_DAMAGED:
                return  # damaged: what of it is damaged is told from all of it
            if (kind := zip_kind(names)) is None:  # no report, whatever its size: as extract's container_failure
                raise ParseError(zip_failure([member_name(i) for i in infos], said=said))
            if kind == "packed":  # documents, but not one report's: as parse_bytes refuses it, from the directory
                try:
                    the_report(documents(infos))
                except NotOneReport as exc:
                    raise ParseError(str(exc)) from None
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            kind = "ole"  # Word .doc, Excel .xls or neither (its directory may be anywhere): none past their cap
        else:
            kind = sniff(head)  # all sniff reads of such a file
            if kind is None:
                raise ParseError(NOT_A_REPORT)
        hit = limits.check_size(size, kind, limits.DEFAULT_LIMITS) if kind else None
        if hit is not None:
            raise ParseLimitError(hit.kind, hit.message)
    finally:
        file.seek(0)


def failed_outcome(path: Path, exc: Exception) -> ParseOutcome:
    """The outcome of a file that could not be read or parsed; an exception other than ParseError or OSError is
    a parser bug, named as one."""
    if isinstance(exc, (ParseLimitError, MissingToolError)):
        return ParseOutcome(str(path), None, None, exc.line, exc.kind)
    if isinstance(exc, ParseError):
        return ParseOutcome(str(path), None, None, str(exc))
    if isinstance(exc, OSError):
        return ParseOutcome(str(path), None, None, f"cannot read file: {exc.strerror or exc}")
    return ParseOutcome(str(path), None, None, f"parser crashed: {type(exc).__name__}: {exc}")


def _too_large(size: int) -> str:
    return f"file too large: {size / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB)"
