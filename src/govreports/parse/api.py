"""Entry points of the parser: bytes or a path in, the canonical record out.

Bad input never escapes as a traceback: everything that cannot be read becomes a ParseError whose message names
the reason (empty, too large, unknown binary, damaged PDF, no report in the page), and parse_path turns that into a
ParseOutcome so a batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govreports.extract.document import Document
from govreports.extract.sniff import sniff
from govreports.parse.report import build_record

MAX_BYTES = 40 * 1024 * 1024  # the largest real report attachments are scanned PDFs of 20–30 MB


class ParseError(Exception):
    """Input that cannot be read as a report; the message says why, for the user."""


@dataclass
class ParseOutcome:
    path: str
    kind: str | None  # html | pdf | docx | text
    record: dict | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def extract(data: bytes, http_charset: str | None = None) -> Document:
    if not data or not data.strip():
        raise ParseError("empty file")
    if len(data) > MAX_BYTES:
        raise ParseError(f"file too large: {len(data) / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB)")
    kind = sniff(data)
    if kind is None:
        raise ParseError("not a report: binary content that is neither PDF, DOCX, HTML nor text")
    try:
        if kind == "pdf":
            from govreports.extract.pdf import extract_pdf

            return extract_pdf(data)
        if kind == "docx":
            from govreports.extract.docx import extract_docx

            return extract_docx(data)
        from govreports.extract.decode import decode_bytes

        text, _encoding = decode_bytes(data, http_charset)
        if kind == "html":
            from govreports.extract.html import extract_html

            return extract_html(text)
        from govreports.extract.lines import text_to_blocks

        return Document(kind="text", blocks=text_to_blocks(text))
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - any library failure on hostile input is a bad-input error
        what = {"pdf": "damaged or truncated PDF", "docx": "damaged DOCX"}.get(kind, f"unreadable {kind}")
        raise ParseError(f"{what} ({type(exc).__name__}: {str(exc)[:200]})") from exc


def parse_bytes(data: bytes, name: str = "", hints: dict | None = None, http_charset: str | None = None) -> dict:
    """Parse one document. `hints` are facts the crawler saw outside the document (list-page title, date)."""
    document = extract(data, http_charset)
    record = build_record(document, hints or {})
    if record is None:
        raise ParseError(f"no annual report found in this {document.kind} document")
    return record


def parse_path(path: str | Path, hints: dict | None = None) -> ParseOutcome:
    path = Path(path)
    try:
        if path.is_dir():
            raise ParseError("is a directory")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ParseError(f"file too large: {size / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB)")
        data = path.read_bytes()
        kind = sniff(data) if data else None
        return ParseOutcome(str(path), kind, parse_bytes(data, path.name, hints), None)
    except ParseError as exc:
        return ParseOutcome(str(path), None, None, str(exc))
    except OSError as exc:
        return ParseOutcome(str(path), None, None, f"cannot read file: {exc.strerror or exc}")
