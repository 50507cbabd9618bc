"""Turn one report file (HTML, PDF, DOCX, plain text) into the canonical record.

Public API (stable; the database loader and the crawler call these):
    parse_bytes(data, name="", hints=None) -> dict      raises ParseError with a readable reason
    parse_path(path, hints=None) -> ParseOutcome         never raises for bad input
"""

from govreports.parse.api import ParseError, ParseOutcome, parse_bytes, parse_path

__all__ = ["ParseError", "ParseOutcome", "parse_bytes", "parse_path"]
