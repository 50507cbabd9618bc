"""Tell what a file is from its bytes: names and extensions on portals lie (a .htm that is a PDF, a .doc that is
HTML), so the content decides."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|div|p|table|span|br|h[1-6])\b", re.I)


def sniff(data: bytes) -> str | None:
    """Return 'pdf', 'docx', 'html', 'text', or None for content that is none of these."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ")
    if stripped.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as zf:
                if "word/document.xml" in zf.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return None
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return None  # legacy .doc/.xls (OLE2): needs a converter
    if _HTML_TAG.search(head):
        return "html"
    if _looks_like_text(head):
        return "text"
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) // 100
