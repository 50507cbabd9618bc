"""A report posted packed in a zip (PORTALS.md: `.zip` among the attachments, beside pdf, doc, ofd): the document
inside it is the report.

Which member: the documents (a kind the parser reads, by suffix) whose names say they are the report (年度报告, 年报,
政府信息公开), or the only document; one report in several formats (the same name as .pdf and .ofd) is read from the
best (`PREFERENCE`); documents of several reports, or none that is one, are refused with their names. Names written
by Chinese zip tools carry no UTF-8 flag and are GBK, which zipfile reads as code page 437 (年度报告 came out as
"─Ω╢╚▒¿╕µ"): decoded as GBK. The zip is held to the DOCX limits (part count, expansion) before anything is unpacked,
and its member to its own kind's; a zip inside the zip is not opened.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

# the suffixes of documents the parser reads, best first: as the attachments of a page are ranked
# (portals.adapters.base._RANK), a DOCX keeps its tables exactly, a PDF needs layout analysis
PREFERENCE = (".docx", ".pdf", ".ofd", ".doc", ".wps", ".rtf", ".xlsx", ".xls")
REPORT_WORDS = ("年度报告", "年报", "政府信息公开")
_UTF8_FLAG = 0x800


@dataclass(frozen=True)
class Packed:
    name: str  # the member's name, as its zip tool wrote it
    info: zipfile.ZipInfo


class TooLarge(ValueError):
    """The report in the zip unpacks past the size its kind may have."""


class NotOneReport(ValueError):
    """The zip's documents are not one report: several, or none named as one; the message names them."""


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as written: GBK where the zip tool set no UTF-8 flag (zipfile decoded it as cp437)."""
    if info.flag_bits & _UTF8_FLAG or info.filename.isascii():
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _suffix(name: str) -> str:
    return posixpath.splitext(name.lower())[1]


def _is_document(name: str) -> bool:
    """A member named `name` is a document the parser reads, by its suffix (which a GBK name keeps readable in ASCII
    however it is decoded): not a folder, nor one of macOS's __MACOSX/ and ._ shadows."""
    return (_suffix(name) in PREFERENCE and not name.endswith("/") and not name.startswith("__MACOSX/")
            and not posixpath.basename(name).startswith("._"))


def documents(infos: list[zipfile.ZipInfo]) -> list[Packed]:
    """The members that are documents the parser reads."""
    return [Packed(name, info) for info in infos if _is_document(name := member_name(info))]


def has_documents(names: list[str]) -> bool:
    """Whether a zip whose directory lists `names` holds a document the parser reads."""
    return any(map(_is_document, names))


def the_report(members: list[Packed]) -> Packed:
    """The one report among `members` (see the module's docstring), or NotOneReport naming them."""
    named = [m for m in members if any(w in posixpath.basename(m.name) for w in REPORT_WORDS)]
    if not named and len(members) == 1:
        named = members
    stems = {posixpath.splitext(posixpath.basename(m.name))[0] for m in named}
    shown = ", ".join(posixpath.basename(m.name) for m in (named or members)[:5])
    if not named:
        raise NotOneReport(f"not a report: a zip of {len(members)} documents none of which is named as an annual "
                           f"report ({shown})")
    if len(stems) > 1:
        raise NotOneReport(f"a zip of {len(named)} documents named as reports, not one report ({shown}): which one "
                           "is meant cannot be told")
    return min(named, key=lambda m: PREFERENCE.index(_suffix(m.name)))


def unpacked(data: bytes, max_bytes: int, check: Callable[[], None] = lambda: None) -> tuple[str, bytes]:
    """The report packed in the zip `data`: its name and bytes, read no further than `max_bytes` (TooLarge past
    them). NotOneReport where it holds no single report, told from its directory before `check` (the zip's limits)
    runs and anything is unpacked; zipfile's errors where it is damaged."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        member = the_report(documents(archive.infolist()))
        check()
        if member.info.file_size > max_bytes:
            raise TooLarge(f"{member.name} is {member.info.file_size:,} bytes unpacked (limit {max_bytes:,})")
        with archive.open(member.info) as stream:
            body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise TooLarge(f"{member.name} unpacks past {max_bytes:,} bytes (limit {max_bytes:,})")
    return member.name, body
