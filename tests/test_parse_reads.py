"""A file is read only as far as is needed to refuse it (h4's review): the parse read up to the pictures bundle's
bound (limits.images_bytes, 160 MB) of any file before it looked at what the file was, so a 150 MB file that is
no zip of pictures (and cannot be one: only such a zip may pass 40 MB) was read whole, and kept in memory, to be
refused. Its first bytes (a zip's directory) say what it is; past its kind's cap it is refused unread. Bytes read
are counted by the kernel (/proc/self/io rchar), never timed."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.cli import app
from govreports.parse import api, parse_path

MB = 1_000_000


def _read() -> int:
    with open("/proc/self/io", encoding="ascii") as io_stats:
        return next(int(line.split()[1]) for line in io_stats if line.startswith("rchar:"))


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="no /proc/self/io to count reads")


def _sparse(path: Path, head: bytes, size: int) -> Path:
    """A file of `size` bytes, `head` then holes (zeros, no disk): cheap to make, as costly to read as any."""
    with path.open("wb") as out:
        out.write(head)
        out.truncate(size)
    return path


def _reads(call):
    before = _read()
    result = call()
    return result, _read() - before


def test_a_large_file_that_is_no_zip_is_refused_from_its_first_bytes(tmp_path):
    """150 MB: binary garbage named as a pictures bundle, an HTML page, a PDF; each refused as it was when read
    whole (the same words), reading a few kilobytes of it."""
    garbage = _sparse(tmp_path / "pages.zip", bytes(range(256)) * 4, 150 * MB)
    page = _sparse(tmp_path / "page.html", b"<html><body>" + "<p>报告</p>".encode() * 400, 150 * MB)
    pdf = _sparse(tmp_path / "scan.pdf", b"%PDF-1.4\n", 150 * MB)
    for path, said in ((garbage, "not a report: binary content"),
                       (page, "too_large: HTML page too large: 150.0 MB (limit 10 MB)"),
                       (pdf, "too_large: PDF too large: 150.0 MB (limit 40 MB)")):
        outcome, read = _reads(lambda: parse_path(path))
        assert not outcome.ok and outcome.error.startswith(said), outcome.error
        assert read < 1 * MB, (path.name, read)


def test_the_command_refuses_a_large_file_that_is_no_zip_reading_its_head(tmp_path):
    garbage = _sparse(tmp_path / "pages.zip", b"\x00\x01garbage" * 100, 150 * MB)
    result, read = _reads(lambda: CliRunner().invoke(app, ["parse", str(garbage)]))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {garbage}: not a report: binary content")
    assert read < 4 * MB, read


def test_a_zip_past_its_kinds_cap_is_refused_from_its_directory(tmp_path):
    """A 41 MB DOCX (past the 40 MB cap): its directory, at its end, says it is one; the rest is not read. A zip of
    pictures as large is read: its bound is images_bytes."""
    filler = b"\x00" * (41 * MB)
    docx = tmp_path / "report.docx"
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/image1.png", filler)
        archive.writestr("word/document.xml", "<w:document/>")
    outcome, read = _reads(lambda: parse_path(docx))
    assert outcome.error == "too_large: DOCX too large: 41.0 MB (limit 40 MB)" and read < 200_000, (outcome.error, read)
    pictures = tmp_path / "pages.zip"
    with zipfile.ZipFile(pictures, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("page001.png", b"\x89PNG\r\n\x1a\n" + filler)
    assert api.read_path(pictures) == pictures.read_bytes()


def test_a_pipe_is_read_no_further_than_the_largest_file_may_be(tmp_path, monkeypatch):
    """A named pipe (`govreports parse <(…)`, /dev/stdin) has no size to check before it is read: it was read to its
    end, however long. It is read to one byte past MAX_BYTES (here 1 MB) and refused."""
    monkeypatch.setattr(api, "MAX_BYTES", 1 * MB)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write():
        with fifo.open("wb") as out:
            try:
                for _ in range(8):
                    out.write(b"<html>" + b"x" * (MB - 6))
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    outcome, read = _reads(lambda: parse_path(fifo))
    writer.join(10)
    assert not outcome.ok and outcome.error_kind == "too_large" and "1 MB" in outcome.error, outcome.error
    assert read < 2 * MB, read


def test_a_zip_of_more_parts_than_any_report_has_is_refused_without_listing_them(tmp_path, monkeypatch):
    """A zip of 6,000 empty pictures (past zip_members, 5,000): its directory was listed whole, in the process that
    reads the files (the command's, the crawl's: no memory cap, no deadline) to tell its kind, and once more by the
    limits (500,000 parts: 38 s and 335 MB before the worker refused it). Its end record says how many parts it
    has: that is read, and the zip refused, listing none."""
    from govreports.extract.sniff import sniff

    many = tmp_path / "pages.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(6_000):
            archive.writestr(zipfile.ZipInfo(f"p{number:05d}.png"), b"")
    data = many.read_bytes()
    listed = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: listed.append(1) or real(self))
    outcome = parse_path(many)
    assert outcome.error_kind == "too_large" and outcome.error.endswith("holds 6,000 parts (limit 5,000)"), outcome
    assert sniff(data) is not None
    from govreports.parse import parse_bytes
    from govreports.parse.api import ParseLimitError

    with pytest.raises(ParseLimitError, match=r"holds 6,000 parts \(limit 5,000\)"):
        parse_bytes(data, "pages.zip")
    assert listed == []


@pytest.mark.parametrize("parts", [("附件1.pdf", "附件2.pdf"), ("page001.png", "说明.txt"), ("word/styles.xml",)],
                         ids=["attachments", "pictures-and-text", "docx-without-its-document"])
def test_a_large_zip_of_no_report_is_refused_from_its_directory(tmp_path, parts):
    """A 41 MB zip of attachments, of pictures with a note beside them, or a DOCX without its word/document.xml:
    no zip of pictures, so past every cap but the pictures bundle's, and no report whatever its size. Its directory
    (at its end) says so; it was read whole (up to 160 MB) to be refused. Refused reading its directory only, in
    the words reading it whole gives."""
    from govreports.parse import parse_bytes
    from govreports.parse.api import ParseError

    big = tmp_path / "attachments.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(parts[0], b"\x00" * (41 * MB))
        for name in parts[1:]:
            archive.writestr(name, "附件说明")
    outcome, read = _reads(lambda: parse_path(big))
    with pytest.raises(ParseError) as whole:
        parse_bytes(big.read_bytes(), big.name)
    assert outcome.error == str(whole.value) and read < 200_000, (outcome.error, read)
    assert outcome.error.startswith(("not a report: a zip archive", "damaged or truncated DOCX",
                                     "not a report: a zip of 2 documents")), outcome.error


def test_a_zip_cut_short_of_many_parts_is_named_listing_a_bounded_few(tmp_path):
    """A zip of 100,000 empty pictures cut short before its directory (no end record: its part count unsaid, so
    no limit refuses it first): the names of all its parts were read from their local headers (500,000: 34 MB
    and seconds) to say it is no DOCX, XLSX or OFD. No report has more than zip_members parts; so many are read,
    and it is named as before. Counted in memory allocated, never timed."""
    import io
    import struct
    import tracemalloc

    from govreports.extract.sniff import container_failure, sniff

    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w") as archive:
        for number in range(100_000):
            archive.writestr(zipfile.ZipInfo(f"p{number:06d}.png"), b"")
    data = whole.getvalue()
    end = data.rfind(b"PK\x05\x06")
    data = data[:struct.unpack("<I", data[end + 16:end + 20])[0]]  # up to its directory's start
    tracemalloc.start()
    try:
        assert sniff(data) is None
        said = container_failure(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert said == ("not a report: a zip archive, not a DOCX, XLSX or OFD package (its zip directory cannot be "
                    "read: cut short?)")
    assert peak < 2 * MB, peak


@pytest.mark.parametrize("zip64", [False, True], ids=["end-record", "zip64-record"])
def test_a_zip_whose_end_record_says_fewer_parts_than_its_directory_lists_is_refused_without_listing_them(
        tmp_path, monkeypatch, zip64):
    """The end record's part count is the zip's word, not zipfile's: zipfile lists every entry of the directory's
    bytes, whatever count the end record (or a ZIP64 record before it, which zipfile reads whatever the end record
    says) gives. A zip of 6,000 parts whose end record says 10 was listed whole (500,000: 38 s and 335 MB in the
    process reading files), three times, before the limits refused it. Its directory's entries are counted (their
    signatures, in bounded steps), and it is refused listing none."""
    import struct

    from govreports.extract.sniff import sniff
    from govreports.parse import parse_bytes
    from govreports.parse.api import ParseLimitError

    many = tmp_path / "pages.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(6_000):
            archive.writestr(zipfile.ZipInfo(f"p{number:05d}.png"), b"")
    data = bytearray(many.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8:end + 12] = struct.pack("<HH", 10, 10)  # parts on this disk, in all
    if zip64:  # a ZIP64 record (10 parts, the directory's true size and place) and its locator before the end record
        listed, offset = struct.unpack("<II", data[end + 12:end + 20])
        record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 10, 10, listed, offset)
        locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1)
        data[end:end] = record + locator
    many.write_bytes(data)
    listed = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: listed.append(1) or real(self))
    outcome = parse_path(many)
    assert outcome.error_kind == "too_large" and outcome.error.endswith("holds 6,000 parts (limit 5,000)"), outcome
    assert sniff(bytes(data)) == "zip"
    with pytest.raises(ParseLimitError, match=r"holds 6,000 parts \(limit 5,000\)"):
        parse_bytes(bytes(data), "pages.zip")
    assert listed == []


def test_a_zip_whose_directory_is_larger_than_any_report_needs_is_refused_without_reading_it(tmp_path, monkeypatch):
    """A zip of one part whose end record says its directory is 150 MB (the part count honest: 1): the directory's
    entries were counted reading all of it, a megabyte at a time (zip_parts), and zipfile then read it whole into
    memory to list it, twice (the file's head, then the file read whole, up to 160 MB). No report's zip_members
    parts need more than limits.zip_directory of directory: past that it is refused, its directory unread."""
    import struct

    from govreports.extract import limits
    from govreports.extract.sniff import sniff
    from govreports.parse import parse_bytes
    from govreports.parse.api import ParseLimitError

    one = io.BytesIO()
    with zipfile.ZipFile(one, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    small = one.getvalue()
    directory = small.rfind(b"PK\x01\x02")
    part, entry, end_record = small[:directory], small[directory:small.rfind(b"PK\x05\x06")], small[-22:]

    def crafted(size: int) -> bytes:
        at = size - len(entry) - len(end_record)  # the directory's one entry, then the end record
        listed = at + len(entry) - len(part)  # the directory said to span all after the part
        return (end_record[:12] + struct.pack("<II", listed, len(part)) + end_record[20:]), at

    path = tmp_path / "report.docx"
    size = 150 * MB
    record, at = crafted(size)
    with path.open("wb") as out:
        out.write(part)
        out.seek(at)
        out.write(entry + record)
    assert path.stat().st_size == size
    listed = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: listed.append(1) or real(self))
    outcome, read = _reads(lambda: parse_path(path))
    assert outcome.error_kind == "too_large" and "zip directory" in outcome.error, outcome
    assert read < 1 * MB and listed == [], (read, listed)
    size = 12 * MB  # in memory: sniff and the limits refuse it as well, reading a bounded tail of it
    record, at = crafted(size)
    data = bytearray(size)
    data[:len(part)] = part
    data[at:] = entry + record
    data = bytes(data)
    asked = []
    hit = limits.check_zip_directory(lambda offset, length: asked.append(length) or data[offset:offset + length],
                                     len(data))
    assert hit is not None and hit.kind == "too_large" and sum(asked) < 100_000, (hit, sum(asked))
    assert sniff(data) == "zip"
    with pytest.raises(ParseLimitError, match=r"zip directory"):
        parse_bytes(data, "report.docx")
    assert listed == []
