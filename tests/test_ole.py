"""extract.ole reads the streams at a compound file's root: in regular sectors (xlwt's and Word's files) and in the
mini stream (a stream under 4,096 bytes), and answers None for a damaged file instead of raising."""

from __future__ import annotations

import struct

from govreports.extract import ole

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE


def _entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0"
    head = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", _FREE, _FREE, child)
    return head.ljust(116, b"\0") + struct.pack("<II", start, size) + b"\0" * 4


def small_compound(stream: bytes, name: str = "Workbook") -> bytes:
    """A version-3 compound file holding one small stream in its mini stream: sector 0 the FAT, 1 the directory,
    2 the mini FAT, 3 and 4 the mini stream ([MS-CFB] 2.2, 2.6)."""
    assert len(stream) <= 1024
    mini_sectors = -(-len(stream) // 64)
    fat = [0xFFFFFFFD, _END, _END, 4, _END] + [_FREE] * 123
    minifat = list(range(1, mini_sectors)) + [_END] + [_FREE] * (128 - mini_sectors)
    directory = (_entry("Root Entry", 5, 1, 3, 1024) + _entry(name, 2, _FREE, 0, len(stream))).ljust(512, b"\0")
    header = ole.MAGIC + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, 2, 1, _END, 0) + struct.pack("<109I", 0, *[_FREE] * 108)
    return header + struct.pack("<128I", *fat) + directory + struct.pack("<128I", *minifat) + stream.ljust(1024, b"\0")


def test_a_small_stream_is_read_from_the_mini_stream():
    stream = bytes(range(256)) * 3
    data = small_compound(stream)
    assert ole.top_level_streams(data) == {"Workbook"}
    assert ole.read_stream(data, "Book", "Workbook") == stream
    assert ole.read_stream(data, "WordDocument") is None


def test_a_damaged_compound_file_answers_none():
    data = small_compound(b"x" * 100)
    assert ole.top_level_streams(data[:600]) is None  # cut inside the FAT: the directory is past the end
    looping = bytearray(data)
    looping[512 + 4 * 1:512 + 4 * 2] = struct.pack("<I", 1)  # the directory's sector chains to itself
    assert ole.top_level_streams(bytes(looping)) is None
    assert ole.top_level_streams(b"not a compound file" * 40) is None


def test_a_compound_file_with_pdf_bytes_in_its_first_kilobyte_is_sniffed_by_its_streams():
    """An OLE2 compound file is one by its signature, whatever its first sectors hold: a stream (an embedded PDF, an
    Outlook .msg's attachment) or a FAT sector may put '%PDF-' in the first kilobyte, and sniff, asking for a PDF
    there first, called such a workbook a PDF."""
    from govreports.extract.sniff import sniff

    data = bytearray(small_compound(b"x" * 100))
    data[1000:1008] = b"%PDF-1.4"  # the FAT's entries of sectors the file does not have
    assert ole.top_level_streams(bytes(data)) == {"Workbook"}
    assert sniff(bytes(data)) == "xls"
