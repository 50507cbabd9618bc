"""Issue 13: legacy Word .doc, OFD and scanned PDFs, each made here from rendered records and read back.

OFD files come from render.ofd and round-trip cell for cell. .doc files are the DOCX renderer's output converted
by LibreOffice (a real Word 97 writer; skipped where soffice is missing) and read through wvHtml. Scanned PDFs are
the PDF renderer's pages rasterised by PDFium and saved as an image-only PDF by Pillow, read by Tesseract. A
missing reader (PATH without it) fails with a named kind and the Debian package to install, never a crash.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings

from govreports.extract.sniff import sniff
from govreports.parse import parse_bytes
from govreports.parse.api import MissingToolError, ParseLimitError, cells_read_share
from govreports.render import to_docx, to_pdf
from govreports.render.ofd import to_ofd
from strategies import record_fixture, records
from test_roundtrip import assert_round_trip

TABLES = ("active", "applications", "review_litigation")


def _cells(record: dict) -> dict:
    return {(t, row, col): v for t in TABLES for row, cols in (record.get(t) or {}).items() for col, v in cols.items()}


# --- OFD ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_ofd_round_trip(fmt):
    record = record_fixture(fmt)
    data = to_ofd(record)
    assert sniff(data) == "ofd"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert names[:2] == ["OFD.xml", "Doc_0/Document.xml"] and any("Pages/Page_0/Content.xml" in n for n in names)
    assert to_ofd(record) == data  # deterministic
    assert_round_trip(record, parse_bytes(data, "report.ofd"), "ofd")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(max_paragraphs=3))
def test_ofd_random_records_round_trip(record):
    assert_round_trip(record, parse_bytes(to_ofd(record)), "ofd")


def _as_converters_write(data: bytes) -> bytes:
    """The same OFD as PDF-to-OFD converters write it: text in points scaled to millimetres by a CTM, advances
    in DeltaX's 'g N D' shorthand, one TextCode per run of equal advances."""
    import re

    k = 72 / 25.4

    def text_object(m: re.Match) -> str:
        head, size, x, y, deltas, text = m.groups()
        widths = [float(d) * k for d in (deltas or "").split()]
        codes, start, cx = [], 0, float(x) * k
        for i in range(1, len(text) + 1):  # a new TextCode wherever the advance changes
            if i == len(text) or (i < len(text) and i - 1 < len(widths) and i - 2 >= start
                                  and widths[i - 1] != widths[i - 2]):
                run = text[start:i]
                steps = widths[start:i - 1]
                delta = f' DeltaX="g {len(steps)} {steps[0]:.4f}"' if steps and len(set(steps)) == 1 else (
                    f' DeltaX="{" ".join(f"{w:.4f}" for w in steps)}"' if steps else "")
                codes.append(f'<ofd:TextCode X="{cx:.4f}" Y="{float(y) * k:.4f}"{delta}>{run}</ofd:TextCode>')
                cx += sum(widths[start:i])
                start = i
        return f'{head} CTM="{1 / k:.6f} 0 0 {1 / k:.6f} 0 0" Size="{float(size) * k:.4f}">{"".join(codes)}'

    pattern = re.compile(r'(<ofd:TextObject [^>]*?) Size="([\d.]+)"><ofd:TextCode X="([\d.]+)" Y="([\d.]+)"'
                         r'(?: DeltaX="([^"]*)")?>([^<]*)</ofd:TextCode>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename.endswith("Content.xml"):
                part = pattern.sub(text_object, part.decode()).encode()
            dst.writestr(info, part)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_ofd_in_points_with_a_ctm(fmt):
    record = record_fixture(fmt)
    data = _as_converters_write(to_ofd(record))
    assert b"CTM=" in zipfile.ZipFile(io.BytesIO(data)).read("Doc_0/Pages/Page_0/Content.xml")
    assert_round_trip(record, parse_bytes(data, "report.ofd"), "ofd-ctm")


def test_ofd_held_to_the_zip_limits():
    record = record_fixture("2019")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(to_ofd(record))) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("Doc_0/Res/padding.xml", b"<a>" + b" " * 30_000_000 + b"</a>")  # 30 MB from ~30 KB
    with pytest.raises(ParseLimitError) as caught:
        parse_bytes(out.getvalue(), "bomb.ofd")
    assert caught.value.kind == "bomb" and "OFD part Doc_0/Res/padding.xml" in str(caught.value)


# --- .doc -----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def doc_files(tmp_path_factory):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("making .doc files needs LibreOffice (Debian package libreoffice-writer-nogui)")
    folder = tmp_path_factory.mktemp("doc")
    for fmt in ("2019", "2021"):
        (folder / f"r{fmt}.docx").write_bytes(to_docx(record_fixture(fmt)))
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "doc",
                    "--outdir", str(folder), *(str(folder / f"r{f}.docx") for f in ("2019", "2021"))],
                   check=True, capture_output=True, timeout=120)
    return {fmt: (folder / f"r{fmt}.doc").read_bytes() for fmt in ("2019", "2021")}


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_doc_round_trip(doc_files, fmt):
    if shutil.which("wvHtml") is None:
        pytest.skip("reading .doc needs wvHtml (Debian package wv)")
    data = doc_files[fmt]
    assert data[:4] == b"\xd0\xcf\x11\xe0" and sniff(data) == "doc"
    assert_round_trip(record_fixture(fmt), parse_bytes(data, "report.doc"), "doc")


def test_doc_in_the_bounded_parser(doc_files):
    if shutil.which("wvHtml") is None:
        pytest.skip("reading .doc needs wvHtml (Debian package wv)")
    from govreports.parse.bounded import BoundedParser

    with BoundedParser(workers=1, deadline=30) as parser:
        record = parser.parse(doc_files["2019"], "report.doc")
    assert _cells(record) == _cells(record_fixture("2019"))


def test_doc_without_its_reader_names_the_package(doc_files, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError) as caught:
        parse_bytes(doc_files["2019"], "report.doc")
    assert caught.value.kind == "missing_tool" and "install the Debian package wv" in str(caught.value)
    path = tmp_path / "report.doc"
    path.write_bytes(doc_files["2019"])
    from govreports.parse.api import parse_path

    outcome = parse_path(path)
    assert outcome.error_kind == "missing_tool" and outcome.error.startswith("missing_tool: reading Word .doc")


# --- scanned PDFs ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scanned():
    """The 2019 fixture rendered to PDF, each page rasterised at 200 dpi, saved as an image-only PDF (as the demo
    portal serves scans)."""
    from govreports.demo.documents import scanned_pdf

    record = record_fixture("2019")
    return record, scanned_pdf(to_pdf(record))


def test_scanned_pdf_read_by_ocr(scanned, monkeypatch):
    from govreports.extract import ocr

    if ocr.missing():
        pytest.skip(ocr.missing())
    monkeypatch.setattr(ocr, "BUDGET", 120.0)  # quality here, not speed: two busy shared cores may slow Tesseract
    original, data = scanned
    record = parse_bytes(data, "scan.pdf")
    assert record["ocr"] is True and record["ocr_pages"] == "2/2"
    for key in ("year", "agency", "format"):
        assert record[key] == original[key], key
    assert len(set(record["sections"]) & set(original["sections"])) >= 4  # a misread heading loses its section
    want, got = _cells(original), _cells(record)
    right = sum(1 for k, v in want.items() if got.get(k) == v)
    assert right / len(want) >= 0.5, right  # measured: 73% of the 2019 form's cells exactly
    assert record["ocr_cells"] == cells_read_share(record) and record["ocr_cells"] >= 0.5


def test_scanned_pdf_without_tesseract_says_what_to_install(scanned, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    record = parse_bytes(scanned[1], "scan.pdf")
    assert record["format"] == "unknown" and "ocr" not in record
    assert "install the Debian packages tesseract-ocr tesseract-ocr-chi-sim" in record["reason"]


def test_a_hanging_doc_reader_is_killed_with_its_children(tmp_path, monkeypatch):
    """wvHtml is a shell script; its wvWare loops for ever on some files. Past the timeout the whole process group
    goes: no orphan keeps spinning after the parse has failed as too_slow."""
    import os
    import stat
    import time

    from govreports.extract import doc
    from govreports.parse.api import ParseLimitError

    marker = tmp_path / "child.pid"
    fake = tmp_path / "wvHtml"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {marker}\nwait\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    started = time.monotonic()
    with pytest.raises(ParseLimitError, match="took longer than 1 s"):
        doc.doc_to_html(b"\xd0\xcf\x11\xe0 not really a doc", timeout=1)
    assert time.monotonic() - started < 10
    child = int(marker.read_text())
    for _ in range(50):  # the kill is immediate; reaping by init may take a moment
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if open(f"/proc/{child}/stat").read().rsplit(")", 1)[-1].split()[0] == "Z":
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the reader's child {child} is still running")
