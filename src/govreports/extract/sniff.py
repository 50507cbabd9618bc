"""Tell what a file is from its bytes: names and extensions on portals lie (a .htm that is a PDF, a .doc that is
HTML), so the content decides."""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from io import BytesIO
from itertools import islice

from govreports.extract.images import is_image, zip_of_images
from govreports.extract.limits import DEFAULT_LIMITS, check_zip_directory
from govreports.extract.packed import has_documents, member_name

# An element's start at the very beginning: '<p', '<div …>', '<html>', '<datastore>' (never '<2019年…>' or '<<条例>>').
_MARKUP_START = re.compile(rb"<(?:[a-z][a-z0-9:-]*[\s/>]|!doctype\s)", re.I)
_PROLOGUE = ((b"<!--", b"-->"), (b"<?", b"?>"))
# A tag in the body of a page: an element name, attributes without angle brackets, then '>'.
_TAG = re.compile(rb"</?[a-z][a-z0-9]*(?:\s[^<>]{0,300})?/?>", re.I)
_MIN_CLOSING_TAGS = 3
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_MIN_MARKUP_SHARE = 0.05
# what zipfile raises opening a damaged zip's directory: a flipped byte there may name an unknown zip version
# (NotImplementedError), which passed for a parser bug
ZIP_DAMAGED = (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError)


def sniff(data: bytes) -> str | None:
    """Return 'pdf', 'docx', 'ofd', 'xlsx', 'doc', 'xls', 'rtf', 'html', 'text', 'image' (a picture: a page of a
    图片版 report), 'images' (a zip of pictures), 'packed' (a zip of documents), 'zip' (one of more parts than limits.zip_members, or a directory
    larger than limits.zip_directory: its directory is not listed, and the limits refuse it), or None for content
    that is none of these."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _sniff_utf16(head)
    # a zip first: its first part's name and (stored) bytes follow its local header, and a PDF there is in the head
    if head.startswith(b"PK\x03\x04"):
        if check_zip_directory(lambda offset, length: data[offset:offset + length], len(data)):
            return "zip"
        try:
            with zipfile.ZipFile(BytesIO(data)) as zf:
                return zip_kind(zf.namelist())
        except ZIP_DAMAGED:
            return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _sniff_compound(data)  # as a zip: its first sectors may hold a stream's bytes, an embedded PDF's too
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ")
    if stripped.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if is_image(head):
        return "image"
    if stripped.startswith(b"{\\rtf"):
        return "rtf"  # Word's RTF, served as .doc by many portals: text, but its control words are no report text
    if _looks_like_html(stripped):
        return "html"
    if _looks_like_text(head):
        return "text"
    return None


def zip_kind(names: list[str]) -> str | None:
    """What a zip whose entries are `names` (its directory's) is: 'docx', 'ofd', 'xlsx', 'images', 'packed' (a zip
    of documents: a PDF, a DOCX… among its files), or None."""
    if "word/document.xml" in names:
        return "docx"
    if "OFD.xml" in names:
        return "ofd"  # GB/T 33190: the package's entry point at its root
    if "xl/workbook.xml" in names:
        return "xlsx"  # an Excel 2007+ workbook (a report published as a spreadsheet)
    if zip_of_images(names):
        return "images"  # a report's page images packed as one file (extract.images)
    if has_documents(names):
        return "packed"  # documents packed as one file, the report among them (extract.packed)
    return None


_LOCAL_HEADER = re.compile(rb"PK\x03\x04.{4}(..).{8}(....).{4}(..)(..)", re.S)  # method, packed size, name, extra
_PACKAGE_PARTS = (("word/", "DOCX"), ("xl/", "XLSX"), ("OFD.xml", "OFD"), ("Doc_", "OFD"))
# what an Office Open XML package's first parts say of its kind ([Content_Types].xml the main part's type,
# _rels/.rels its target), where its directory and its main part are cut off: a DOCX's [Content_Types].xml may name
# spreadsheetml for an embedded workbook, so the main part's type alone
_PACKAGE_SAYS = ((b"wordprocessingml.document.main", "DOCX"), (b"wordprocessingml.template.main", "DOCX"),
                 (b"ms-word.document.macroenabled.main", "DOCX"), (b"ms-word.template.macroenabled", "DOCX"),
                 (b"spreadsheetml.sheet.main", "XLSX"), (b"spreadsheetml.template.main", "XLSX"),
                 (b"ms-excel.sheet.macroenabled.main", "XLSX"),
                 (b'target="word/', "DOCX"), (b'target="/word/', "DOCX"), (b'target="xl/', "XLSX"),
                 (b'target="/xl/', "XLSX"))
# the parts every Office Open XML package has beside its main part's, first in Word's and Excel's files
_OPC_PARTS = ("[Content_Types].xml", "_rels/", "docProps/", "customXml/")
# a file's name (a URL's path) naming the kind, told only where its bytes name no kind and no other content
_NAMED = {"docx": "DOCX", "docm": "DOCX", "dotx": "DOCX", "xlsx": "XLSX", "xlsm": "XLSX", "ofd": "OFD"}
_PEEK = 64 * 1024  # what of a package's first parts is inflated to read what they say


def container_failure(data: bytes, name: str = "") -> str | None:
    """Why a file starting as a zip or an OLE2 compound file is not read, when ``sniff`` returned None for it: a
    download cut short or damaged, named as the kind it was meant to be, or a container of something else. None
    for a file that starts as neither. `name`: the file's name or URL, which names the kind of a zip cut short
    before its bytes do."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _compound_failure(data)
    if data.startswith(b"PK\x03\x04"):
        return _zip_failure(data, name)
    return None


def _compound_failure(data: bytes) -> str:
    """A compound file whose root directory cannot be read (it comes after the streams it lists, so a file cut
    short loses it), or one holding neither a Word nor an Excel stream (a .ppt)."""
    from govreports.extract.ole import top_level_streams

    names = top_level_streams(data)
    if names is None:
        return "damaged or truncated Word .doc or Excel .xls (its compound-file directory cannot be read: cut short?)"
    held = ", ".join(sorted(names)[:4])
    return f"not a report: an Office 97–2003 file that is neither Word nor Excel (it holds {held})"


def _name_of(raw: bytes) -> str:
    """A member's name from its local header: UTF-8, else GBK (Chinese zip tools' names), else as much as reads."""
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def _zip_failure(data: bytes, name: str = "") -> str:
    """A DOCX, XLSX or OFD cut short or damaged (its directory, at the end, is gone or unreadable, or its main
    part is missing), or a zip of something else (attachments packed as one file): told from the names its
    directory lists, or where it cannot be read, those its entries' local headers give, in the order they come
    (the first zip_members of them). A package cut short before its main part (a DOCX's word/ parts follow
    [Content_Types].xml, _rels/.rels and docProps/) is told by what those first parts say, else by `name`."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return zip_failure([member_name(i) for i in archive.infolist()], said=package_says(archive))
    except ZIP_DAMAGED:
        pass
    names, said = [], None  # no report has more than zip_members parts: a zip cut short of 500,000 is not listed whole
    for match in islice(_LOCAL_HEADER.finditer(data), DEFAULT_LIMITS.zip_members):
        size, extra = int.from_bytes(match.group(3), "little"), int.from_bytes(match.group(4), "little")
        if match.end() + size > len(data):
            break  # a name cut short says nothing
        names.append(_name_of(data[match.end():match.end() + size]))
        if said is None and names[-1] in ("[Content_Types].xml", "_rels/.rels"):
            said = _package_says(data, match.end() + size + extra, match.group(1), match.group(2))
    if said is None and not any(n.startswith(p) for n in names for p, _ in _PACKAGE_PARTS):
        if all(n.startswith(_OPC_PARTS) for n in names):  # nothing but what any package starts with, or nothing
            said = _NAMED.get(_extension(name))
            if said is None and names:
                said = "DOCX or XLSX"  # an Office Open XML package: which one, nothing left says
    if said is not None:
        return f"damaged or truncated {said} (its zip directory cannot be read: cut short?)"
    return zip_failure(names, readable=False)


def package_says(archive: zipfile.ZipFile) -> str | None:
    """The kind a zip's [Content_Types].xml or _rels/.rels names (the first _PEEK of them), where its directory
    lists one: a DOCX whose directory lost its word/ parts (a damaged entry) is still a DOCX. None for none."""
    names = set(archive.namelist())
    for part in ("[Content_Types].xml", "_rels/.rels"):
        if part in names:
            try:
                with archive.open(part) as opened:
                    raw = opened.read(_PEEK).lower()
            except (*ZIP_DAMAGED, OSError, zlib.error):
                continue
            if kind := next((kind for says, kind in _PACKAGE_SAYS if says in raw), None):
                return kind
    return None


def _package_says(data: bytes, start: int, method: bytes, packed: bytes) -> str | None:
    """The kind an Office Open XML package's [Content_Types].xml or _rels/.rels (its bytes from `start`, stored or
    deflated, as much of them as there is, the first _PEEK of them) names, or None."""
    size = int.from_bytes(packed, "little") or len(data) - start  # 0: a streamed part, its size after it
    raw = data[start:start + min(size, _PEEK)]
    method = int.from_bytes(method, "little")
    if method == zipfile.ZIP_DEFLATED:
        try:
            raw = zlib.decompressobj(-15).decompress(raw, _PEEK)
        except zlib.error:
            return None
    elif method != zipfile.ZIP_STORED:
        return None
    raw = raw.lower()
    return next((kind for says, kind in _PACKAGE_SAYS if says in raw), None)


def _extension(name: str) -> str:
    """A file name's or URL's extension, lower case (its query and fragment aside)."""
    last = name.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def zip_failure(names: list[str], readable: bool = True, said: str | None = None) -> str:
    """Why a zip holding `names` (those its directory lists, where it can be read: `readable`), of no kind
    zip_kind knows, is not read; `said`: the kind its package parts name (package_says), where none of `names` does."""
    kind = next((k for n in names for prefix, k in _PACKAGE_PARTS if n.startswith(prefix)), said)
    why = "its main part is missing" if readable else "its zip directory cannot be read: cut short?"
    if kind is None and not readable and has_documents(names):  # a report packed in a zip (extract.packed)
        return f"damaged or truncated zip archive ({why}; it holds {', '.join(names[:3])})"
    if kind is None:
        return "not a report: a zip archive, not a DOCX, XLSX or OFD package" + (
            f" ({why})" if not readable else f" (it holds {', '.join(names[:3]) or 'nothing'})")
    return f"damaged or truncated {kind} ({why})"


def document_start(head: bytes) -> bool:
    """Do these first bytes start a PDF, a zip package (DOCX, XLSX, OFD) or an OLE2 file (.doc, .xls)? Told from the
    start alone, before the rest has arrived (``sniff`` opens a zip's directory, at its end): such a body is a
    document whatever its Content-Type says, never text to decode or a page to parse in the crawl process."""
    return b"%PDF-" in head[:1024] or head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


def _sniff_compound(data: bytes) -> str | None:
    """An OLE2 compound file by the streams at its root (extract.ole): legacy Word has a WordDocument stream,
    Excel 97 (and WPS's .et) a Workbook stream, Excel 5 a Book stream; a .ppt is no report. An .xls holding an
    embedded Word document has that stream deeper down, not at the root, so it stays an .xls. A directory that
    cannot be read falls back to the Word stream's name anywhere in the file (UTF-16, as the directory spells
    it): LibreOffice reads such a damaged .doc, a spreadsheet reader would not."""
    from govreports.extract.ole import top_level_streams

    names = top_level_streams(data) or set()
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return "doc" if _WORD_STREAM in data else None


def _sniff_utf16(head: bytes) -> str | None:
    """A UTF-16 file with its BOM (Notepad's "Unicode" .txt, a page saved as UTF-16): read as bytes, every other
    byte of its ASCII is a NUL, so it was refused as binary and its markup ('<\\x00p\\x00') never matched, although
    extract.decode reads it. Its head is checked decoded (re-encoded as UTF-8, which the checks read); bytes that
    are no UTF-16 text become U+FFFD, and a head with many of them is none."""
    text = head.decode("utf-16", errors="replace")
    if text.count("\ufffd") > len(text) // 100 + 1:  # +1: the head may end inside a character
        return None
    utf8 = text.encode("utf-8")
    if _looks_like_html(utf8.lstrip(b"\r\n\t ")):
        return "html"
    return "text" if _looks_like_text(utf8) else None


def _looks_like_html(head: bytes) -> bool:
    """Markup by structure, not by a word: a text report whose first lines say '本报告网页版 <p> …' or name
    <html> is still text. A page starts with markup once comments and an XML declaration are skipped, or (a
    stored fragment cut mid-text, a server warning printed before the page) is mostly markup with closing tags."""
    return _starts_with_markup(head) or _mostly_markup(head)


def _starts_with_markup(head: bytes) -> bool:
    rest = head
    while True:
        for opening, closing in _PROLOGUE:
            if rest.startswith(opening):
                end = rest.find(closing, len(opening))
                if end < 0:
                    return True  # the whole head is one comment or declaration: markup
                rest = rest[end + len(closing):].lstrip(b"\r\n\t ")
                break
        else:
            return _MARKUP_START.match(rest) is not None


def _mostly_markup(head: bytes) -> bool:
    tags = _TAG.findall(head)
    closing = sum(1 for t in tags if t.startswith(b"</"))
    if closing < _MIN_CLOSING_TAGS:
        return False
    text = len(re.sub(rb"\s+", b"", head)) or 1
    return sum(len(t) for t in tags) / text >= _MIN_MARKUP_SHARE


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:  # (UTF-16, whose ASCII has NULs, is checked decoded: _sniff_utf16)
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) // 100
