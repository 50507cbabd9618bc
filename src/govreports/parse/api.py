"""Entry points of the parser (work in progress)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def parse_bytes(data: bytes, name: str = "", hints: dict | None = None) -> dict:
    raise NotImplementedError


def parse_path(path: str | Path, hints: dict | None = None) -> ParseOutcome:
    raise NotImplementedError
