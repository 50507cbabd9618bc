"""PDFium's fonts for extraction: a font of boxes for the CJK fonts a PDF does not embed, and the document opened
under it.

PDFium looks up a system substitute for every CJK font a PDF does not embed (reportlab's STSong-Light, many WPS
exports) and, given the system's Noto CJK collection (20–30 MB), spends ~13 ms a page in FreeType on glyph boxes —
more than the rest of this path. Extraction needs only metrics: widths come from the PDF's /W arrays, and
`use_box_font()` answers CJK requests with a ~500-byte font of boxes, once per process. Rendering in the same
process then draws non-embedded CJK text as boxes unless it runs inside `system_fonts()` (scans, which OCR
renders, have no fonts to draw).
"""

from __future__ import annotations

import contextlib
import ctypes
import struct
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as c

from govreports.extract.document import Encrypted

_FONT_INFO = None
# PDFium is not thread-safe, and its font table is the process's: every use holds this lock. The demo portal draws
# its scans in its server's threads, beside a test's or a single-process crawl's parsing: three scans drawn at once,
# or one beside a parse, crashed the process (SIGSEGV), and a scan drawn while a parse ran swapped its fonts.
LOCK = threading.RLock()
PASSWORD_NEEDED = "it opens only with a password, which the file does not give (ask the publisher for an open copy)"
_CJK_CHARSETS = {128, 129, 134, 136}  # Shift-JIS, Hangul, GB2312, Big5: what PDFium asks for a non-embedded CJK font


def box_font() -> bytes:
    """A ~500-byte TrueType font of boxes (ascent 880, descent -120, as CJK faces have): a half-width box for
    printable ASCII, a full-width box for every other code point (cmap format 13) and for .notdef. PDFium needs a
    face for a CJK font a PDF does not embed, for glyph bounds: without one they are empty, and it drops one-glyph
    text objects and repeated lines as duplicates; with the system's Noto CJK collection (20–30 MB) it spends
    ~13 ms a page in FreeType."""
    def box(width: int) -> bytes:
        return (struct.pack(">hhhhhH", 1, 0, -120, width, 880, 3) + struct.pack(">H", 0) + bytes([1, 1, 1, 1])
                + struct.pack(">hhhh", 0, width, 0, -width) + struct.pack(">hhhh", -120, 0, 1000, 0))
    full, half = box(1000), box(500)
    glyf = full + full + half  # .notdef, full, half (each 30 bytes: loca offsets stay even)
    family = "Box".encode("utf-16-be")
    groups = [(0, 0x1F, 1), (0x20, 0x7E, 2), (0x7F, 0x10FFFF, 1)]
    cmap13 = struct.pack(">HHIII", 13, 0, 16 + 12 * len(groups), 0, len(groups)) + b"".join(
        struct.pack(">III", *g) for g in groups)
    tables = {
        b"cmap": struct.pack(">HHHHI", 0, 1, 3, 10, 12) + cmap13,
        b"glyf": glyf,
        b"head": struct.pack(">IIIIHHQQhhhhHHhhh", 0x00010000, 0x00010000, 0, 0x5F0F3CF5, 0, 1000, 0, 0,
                             0, -120, 1000, 880, 0, 8, 2, 0, 0),
        b"hhea": struct.pack(">IhhhHhhhhhhhhhhhH", 0x00010000, 880, -120, 0, 1000, 0, 0, 1000, 1, 0, 0, 0, 0, 0, 0,
                             0, 3),
        b"hmtx": struct.pack(">HhHhHh", 1000, 0, 1000, 0, 500, 0),
        b"loca": struct.pack(">HHHH", 0, len(full) // 2, 2 * len(full) // 2, len(glyf) // 2),
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x00010000, 3, 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": struct.pack(">HHHHHHHHH", 0, 1, 18, 3, 1, 0x409, 1, len(family), 0) + family,
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    out = struct.pack(">IHHHH", 0x00010000, len(tables), 128, 3, len(tables) * 16 - 128)
    offset, body = 12 + 16 * len(tables), b""
    for tag in sorted(tables):
        data = tables[tag]
        padded = data + b"\0" * (-len(data) % 4)
        checksum = sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
        out += struct.pack(">4sIII", tag, checksum, offset + len(body), len(data))
        body += padded
    return out + body


def use_box_font() -> None:
    """Give PDFium a system-font table that answers a CJK font request with box_font() and any other with
    nothing (PDFium's built-in Latin faces); once per process."""
    with LOCK:
        if _FONT_INFO is None:
            _set_box_font()


def _set_box_font() -> None:
    global _FONT_INFO
    font, name = box_font(), b"Box\0"

    def map_font(this, weight, italic, charset, pitch, face, exact):
        return 1 if charset in _CJK_CHARSETS else None

    def font_data(this, handle, table, buffer, size):
        if table != 0:  # a single table, or the TTC header: not a collection, read it whole
            return 0
        if buffer and size >= len(font):
            ctypes.memmove(buffer, font, len(font))
        return len(font)

    def face_name(this, handle, buffer, size):
        if buffer and size >= len(name):
            ctypes.memmove(buffer, name, len(name))
        return len(name)

    info = c.FPDF_SYSFONTINFO()
    info.version = 1
    kinds = dict(c.FPDF_SYSFONTINFO._fields_)
    callbacks = {
        "Release": lambda this: None, "EnumFonts": lambda this, mapper: None, "MapFont": map_font,
        "GetFont": lambda this, face: None, "GetFontData": font_data, "GetFaceName": face_name,
        "GetFontCharset": lambda this, handle: 134, "DeleteFont": lambda this, handle: None,
    }
    pointers = {key: kinds[key](fn) for key, fn in callbacks.items()}
    for key, pointer in pointers.items():
        setattr(info, key, pointer)
    c.FPDF_SetSystemFontInfo(ctypes.byref(info))
    _FONT_INFO = (info, pointers)  # PDFium keeps the pointer: keep the structure and callbacks alive


@contextlib.contextmanager
def system_fonts():
    """PDFium's own system-font table for the length of the block: for drawing pages people (or OCR) will read.
    The box font serves extraction only — pages drawn under it show boxes where CJK text of a non-embedded font
    stands, so a scan rendered after a PDF was parsed in the same process would be unreadable."""
    with LOCK:  # the block draws with PDFium, and no parse may meet the system fonts meanwhile
        if _FONT_INFO is None:
            yield
            return
        default = c.FPDF_GetDefaultSystemFontInfo()
        c.FPDF_SetSystemFontInfo(default)
        try:
            yield
        finally:
            c.FPDF_SetSystemFontInfo(ctypes.byref(_FONT_INFO[0]))
            c.FPDF_FreeDefaultSystemFontInfo(default)


def open_document(data: bytes) -> pdfium.PdfDocument | None:
    """The document, or None when PDFium cannot open it or had to rebuild its cross-reference table; Encrypted
    when it needs a user password (an empty one, which only restricts copying or printing, opens it)."""
    use_box_font()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == c.FPDF_ERR_PASSWORD:  # pdfminer called it damage (a wrong password)
            raise Encrypted(PASSWORD_NEEDED) from None
        return None  # damage: pdfplumber reports it
    except Exception:  # noqa: BLE001 - anything else on hostile input: pdfplumber reports it
        return None
    if not c.FPDF_DocumentHasValidCrossReferenceTable(pdf.raw):
        pdf.close()
        return None
    return pdf

