"""The one intermediate shape every extractor produces and the parser reads.

HTML, PDF, DOCX and plain text differ in how they spell a table, but all of them reduce to an ordered list of
blocks: a paragraph (one cell) or a table row (its cells in reading order, each merged cell once, blanks kept as
""). Parsing then never needs to know where a document came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Block:
    cells: list[str]
    is_row: bool = False  # a table row (cells are columns) rather than a paragraph or text line
    keys: list[str] = field(default_factory=list)  # normalised match keys, filled by parse.normalize

    @property
    def text(self) -> str:
        return "\t".join(self.cells) if self.is_row else self.cells[0]


@dataclass
class Document:
    kind: str  # html | pdf | docx | ofd | doc | text
    blocks: list[Block]
    # facts a page states outside the report body (HTML <meta>, a portal's metadata table, document properties)
    meta: dict[str, str] = field(default_factory=dict)
    # why the document has no readable text (a scanned PDF), when that is so
    unreadable: str | None = None
    # the text was read by OCR from page images (a scanned PDF): the record says so, with the share of cells read
    ocr: bool = False
    # a PDF's pages: where each page's blocks start (blocks[pages[n]:pages[n + 1]] are page n's), so that pages
    # without a text layer can be read by OCR in their place (extract.ocr.ocr_textless_pages)
    pages: list[int] = field(default_factory=list)


class MissingTool(Exception):
    """A document kind whose reader is a system program that is not installed: the message names the Debian
    package to install (the parser reports it as a failure of kind `missing_tool`, never a crash)."""

    def __init__(self, what: str, program: str, package: str):
        super().__init__(f"reading {what} needs {program}: install the Debian package {package}")
        self.program = program
        self.package = package


class Encrypted(Exception):
    """A document that opens only with a password the portal does not give (a PDF with a user password): not
    damage, and fetching it again changes nothing. The parser reports it as `encrypted <kind>: <message>`."""
