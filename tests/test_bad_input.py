"""Bad input gets a clear message naming the file and the reason — never a traceback."""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from conftest import SAMPLES, require_samples
from govreports.cli import app
from govreports.parse import ParseError, parse_bytes, parse_path
from govreports.render import pdf as render_pdf


def _pdf_with_text() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(["某某局2020年政府信息公开工作年度报告", "一、总体情况", "二、主动公开政府信息情况"] * 20):
        c.drawString(72, 800 - 14 * (i % 50), line)
        if i % 50 == 49:
            c.showPage()
            c.setFont("STSong-Light", 12)
    c.save()
    return buf.getvalue()


def _scanned_pdf() -> bytes:
    """A page with only an image-like drawing and no text layer, like a scanned report."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for y in range(100, 700, 12):
        c.rect(72, y, 400, 6, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty file"),
        (b"   \n\n  ", "empty file"),
        (bytes(range(256)) * 40, "binary content"),
        # a PNG's signature, then garbage: a picture (a 图片版 report's page) that cannot be read
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02" * 500, r"^damaged image \(ValueError: its header cannot be read"),
        ("<html><body><p>欢迎访问本网站</p><ul><li>首页</li></ul></body></html>".encode(), "no annual report"),
        ("这是一份会议通知，请各单位准时参加。".encode(), "no annual report"),
    ],
)
def test_bad_bytes(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse_bytes(data)


def test_real_pages_without_a_report():
    require_samples()
    for name in ("govcn_zhengce_content_2018_meta_table.html", "trs_ordos_engebei_xxgknb_list.html",
                 "hanweb_dingxi_datastore_excerpt.xml"):
        with pytest.raises(ParseError, match="no annual report"):
            parse_bytes((SAMPLES / "html" / name).read_bytes(), name)


def test_truncated_pdf():
    data = _pdf_with_text()
    assert parse_bytes(data)["year"] == 2020  # the whole file is fine
    for cut in (len(data) // 2, len(data) - 40, 300):
        with pytest.raises(ParseError, match="damaged or truncated PDF"):
            parse_bytes(data[:cut])


def test_scanned_pdf_gives_unknown_format_with_reason():
    record = parse_bytes(_scanned_pdf())
    assert record["format"] == "unknown"
    assert "no text layer" in record["reason"]
    assert record["checks"] == []


def test_50mb_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:
        f.write(b"%PDF-1.4\n")
        f.seek(50 * 1024 * 1024)
        f.write(b"\n%%EOF\n")
    outcome = parse_path(big)
    assert not outcome.ok
    assert "too large" in outcome.error and "52.4 MB" in outcome.error


def test_cli_names_each_bad_file_and_exits_1(tmp_path):
    require_samples()
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    garbage = tmp_path / "report.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 10)
    good = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    result = CliRunner().invoke(app, ["parse", str(empty), str(good), str(garbage), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert f"{empty}: empty file" in result.stderr
    assert f"{garbage}: damaged or truncated PDF" in result.stderr
    assert "missing.txt: cannot read file" in result.stderr
    assert "Traceback" not in result.output
    assert "牡丹江市科学技术局" in result.stdout  # the good file is still parsed


def test_cli_usage_error_exits_2():
    result = CliRunner().invoke(app, ["parse"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["parse", "--no-such-option", "x"])
    assert result.exit_code == 2


def _encrypted_pdf(user_password: str) -> bytes:
    """The generated report, encrypted as portals' PDF tools do: an empty user password (opens for anyone, only
    copying or printing restricted) or a real one (opens for no one without it)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    from govreports.render.pdf import to_pdf
    from strategies import record_fixture

    original = render_pdf.SimpleDocTemplate
    render_pdf.SimpleDocTemplate = lambda *a, **k: original(  # type: ignore[assignment]
        *a, encrypt=StandardEncryption(user_password, "owner", canCopy=0), **k)
    try:
        return to_pdf(record_fixture("2021"))
    finally:
        render_pdf.SimpleDocTemplate = original


def test_pdf_with_an_empty_user_password_is_read():
    record = parse_bytes(_encrypted_pdf(""))
    assert record["applications"]["total"]["natural_person"] is not None and record["pdf_reader"] == "pdfium"


def test_pdf_that_needs_a_password_is_named_encrypted_not_damaged(tmp_path):
    """Found by rendering a report with a user password: it failed as "damaged or truncated PDF (PdfminerException:
    PDFPasswordIncorrect)", sending whoever read it to fetch the file again instead of asking for the password."""
    from govreports.extract.document import Encrypted
    from govreports.extract.pdf import extract_pdf

    data = _encrypted_pdf("secret")
    with pytest.raises(ParseError, match=r"^encrypted PDF: it opens only with a password") as caught:
        parse_bytes(data)
    assert "damaged" not in str(caught.value)
    with pytest.raises(Encrypted):  # pdfplumber's reading (benchmarks, the check of a doubted one) says so too
        extract_pdf(data, fast=False)
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert result.exit_code == 1 and f"{path}: encrypted PDF" in result.stderr and "Traceback" not in result.output


def test_a_truncated_or_damaged_docx_is_named_as_such_not_as_unknown_binary():
    """Found by cutting a rendered DOCX short (30 %–99.9 % of it) and by dropping its word/document.xml: each
    failed as "not a report: binary content that is neither PDF, DOCX, OFD, …", though it plainly is a DOCX —
    a download cut short says nothing about that being worth fetching again. A zip holding no package of ours
    (a .zip of attachments served as .pdf) is named as a zip."""
    import zipfile

    from govreports.render import to_docx
    from strategies import record_fixture

    data = to_docx(record_fixture("2019"))
    for cut in (len(data) * 3 // 10, len(data) * 7 // 10, len(data) - 2):
        with pytest.raises(ParseError, match=r"^damaged or truncated DOCX \(its zip directory cannot be read"):
            parse_bytes(data[:cut])
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("附件/2019年报告.pdf", b"%PDF-1.4 " * 200)
    with pytest.raises(ParseError, match=r"^damaged or truncated PDF .*\(in the zip: 附件/2019年报告.pdf\)$"):
        parse_bytes(plain.getvalue())  # the report packed in it is read (extract.packed), and named


def test_a_pdf_pdfplumber_cannot_read_when_checking_the_fast_reading_is_named_damaged(tmp_path, monkeypatch):
    """Found by garbling 4 KB of a PDF rendered from sample 03: PDFium read it (one page without text, no report
    found), so pdfplumber read it again to check (parse.api._checked_by_pdfplumber), and pdfminer's error on the
    damaged stream ("Non-Ascii85 digit found") came out of parse_bytes: "parser crashed: PdfminerException",
    outside the extractors' own naming of damage. It is a damaged PDF; where the fast reading found a report,
    that reading stands."""
    from pdfplumber.utils.exceptions import PdfminerException

    from govreports.extract import pdf

    def damaged(page):
        raise PdfminerException("Non-Ascii85 digit found: \xde")

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=A4)
    page.setFont("STSong-Light", 12)
    page.drawString(72, 800, "关于做好2020年春季防火工作的通知")  # text, no report: the fast reading is checked
    page.save()
    monkeypatch.setattr(pdf, "_plumber_layout", damaged)
    with pytest.raises(ParseError, match=r"^damaged or truncated PDF \(PdfminerException: Non-Ascii85 digit"):
        parse_bytes(buf.getvalue())
    path = tmp_path / "report.pdf"
    path.write_bytes(buf.getvalue())
    assert parse_path(path).error.startswith("damaged or truncated PDF (PdfminerException")


def test_a_pdf_drawing_half_a_surrogate_pair_is_read_without_it_never_a_crash():
    """Found by flipping bytes of PDFs rendered from the samples: a string drawn in a UCS-2 CID font (STSong-Light,
    UniGB-UCS2-H) holding the code 0xD85B, half a surrogate pair, which PDFium gives as that character's Unicode.
    It reached OpenCC (and would have reached SQLite) as a lone surrogate, which no UTF-8 encodes: "parser
    crashed: UnicodeEncodeError". Such a character has no Unicode: the page is unmapped (pdfplumber reads it), and
    no text read holds a lone surrogate."""
    import re

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from govreports.extract.pdf import extract_pdf

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pageCompression=0)
    page.setFont("STSong-Light", 12)
    page.drawString(72, 800, "报告〇结束")
    page.save()
    whole = buf.getvalue()
    data = whole.replace(b"0\\007", b"\\330[", 1)  # 〇 (0x3007) drawn as 0xD85B: as long, no offset moves
    assert data != whole and len(data) == len(whole)
    lone = re.compile("[\ud800-\udfff]")
    assert not any(lone.search(cell) for block in extract_pdf(data).blocks for cell in block.cells)
    with pytest.raises(ParseError, match="^no annual report found in this pdf document"):
        parse_bytes(data)


def test_a_docx_cut_short_before_its_first_word_part_is_named_a_truncated_docx_not_a_zip(tmp_path):
    """A DOCX cut short before its first word/ part (its [Content_Types].xml, _rels/.rels and docProps/ come first)
    was named "not a report: a zip archive, not a DOCX, XLSX or OFD package": a download cut short, named as no
    report, is never fetched again. What is there says DOCX: [Content_Types].xml names the main part's type,
    _rels/.rels its target; cut inside the first part's name, the file's own name (a URL ending .docx) does. A zip
    of attachments cut short stays a zip, whatever it is named."""
    import zipfile

    from govreports.render import to_docx
    from strategies import record_fixture

    data = to_docx(record_fixture("2019"))
    first_word = data.find(b"word/")  # the first local header naming a word/ part: cut before it
    for cut in (400, 600, 900, first_word - 40):
        with pytest.raises(ParseError, match=r"^damaged or truncated DOCX \(its zip directory cannot be read"):
            parse_bytes(data[:cut])
    with pytest.raises(ParseError, match=r"^damaged or truncated DOCX or XLSX \(its zip directory cannot be read"):
        parse_bytes(data[:200])  # a package's [Content_Types].xml, cut before it names its main part
    for cut in (10, 40, 60, 200):  # too little to tell from its bytes: its name tells
        with pytest.raises(ParseError, match=r"^damaged or truncated DOCX \(its zip directory cannot be read"):
            parse_bytes(data[:cut], "https://www.example.gov.cn/xxgk/P020200115_2019年报.docx")
        path = tmp_path / f"report{cut}.docx"
        path.write_bytes(data[:cut])
        assert parse_path(path).error.startswith("damaged or truncated DOCX (its zip directory cannot be read")
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("附件/2019年报告.pdf", b"%PDF-1.4 " * 200)
    cut_zip = plain.getvalue()[:120]
    with pytest.raises(ParseError, match=r"^damaged or truncated zip archive \(.*附件/2019年报告.pdf\)$"):
        parse_bytes(cut_zip, "https://www.example.gov.cn/2019年报.docx")


def test_a_docx_whose_readable_directory_lost_its_word_parts_is_named_a_damaged_docx(tmp_path):
    """Found by flipping bytes of DOCX files rendered from the samples: one flip in the zip directory left it
    readable, listing only [Content_Types].xml, _rels/.rels and docProps/ (no word/ part): named "not a report: a
    zip archive, not a DOCX, XLSX or OFD package", as a zip of attachments is. Its [Content_Types].xml says DOCX."""
    import zipfile

    from govreports.render import to_docx
    from strategies import record_fixture

    lost = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(to_docx(record_fixture("2019")))) as package, \
            zipfile.ZipFile(lost, "w", zipfile.ZIP_DEFLATED) as out:
        for part in package.infolist():
            if not part.filename.startswith("word/"):
                out.writestr(part, package.read(part))
    with pytest.raises(ParseError, match=r"^damaged or truncated DOCX \(its main part is missing\)"):
        parse_bytes(lost.getvalue())
    path = tmp_path / "report.docx"
    path.write_bytes(lost.getvalue())
    assert parse_path(path).error == "damaged or truncated DOCX (its main part is missing)"


def test_a_docx_whose_zip_directory_names_an_unknown_zip_version_is_named_damaged(tmp_path):
    """A damaged byte in a DOCX's zip directory (an entry's 'version needed to extract' read 11.5): zipfile raises
    NotImplementedError opening it, which sniff, the zip's failure and read_path's check let through: the file was
    named "parser crashed: NotImplementedError: zip file version 11.5", a parser bug, not a damaged DOCX."""
    from govreports.render import to_docx
    from strategies import record_fixture

    data = bytearray(to_docx(record_fixture("2019")))
    at = data.find(b"PK\x01\x02")  # the directory's first entry
    data[at + 6:at + 8] = (115).to_bytes(2, "little")
    with pytest.raises(ParseError, match=r"^damaged or truncated DOCX"):
        parse_bytes(bytes(data))
    path = tmp_path / "report.docx"
    path.write_bytes(bytes(data))
    assert parse_path(path).error.startswith("damaged or truncated DOCX")


def test_a_zip_whose_first_part_is_a_pdf_is_a_zip_not_that_pdf():
    """A zip's local header names its first part, stored parts follow uncompressed: a zip of attachments whose first
    part is a PDF (stored) has '%PDF-' in its first kilobyte, and sniff took it for a PDF, read the PDF inside as
    the report (PDFium finds it); a DOCX whose first part is an embedded PDF was read as that PDF, not as the DOCX.
    A file starting as a zip is a zip: its directory says what it is."""
    import zipfile

    from govreports.extract.sniff import sniff
    from govreports.render import to_docx
    from strategies import record_fixture

    attachments = io.BytesIO()
    with zipfile.ZipFile(attachments, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("附件/2019年报告.pdf", _pdf_with_text())
    assert sniff(attachments.getvalue()) == "packed"  # a zip of documents: the one inside is read as itself, named
    assert parse_bytes(attachments.getvalue())["zip_member"] == "附件/2019年报告.pdf"
    record = record_fixture("2019")
    docx = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(to_docx(record))) as package, zipfile.ZipFile(docx, "w") as out:
        out.writestr(zipfile.ZipInfo("word/embeddings/oleObject1.pdf"), _pdf_with_text())  # stored, first
        for part in package.infolist():
            out.writestr(part, package.read(part))
    assert sniff(docx.getvalue()) == "docx"
    assert parse_bytes(docx.getvalue())["title"] == record["title"]


def test_a_truncated_excel_97_workbook_is_named_as_such_not_as_unknown_binary():
    """Found by cutting a rendered .xls (render.sheet.to_xls) at 10 %–99.9 %: the compound file's directory was
    gone and each failed as "not a report: binary content that is neither …, Excel workbook, …"."""
    from govreports.render.sheet import to_xls
    from strategies import record_fixture

    data = to_xls(record_fixture("2021"))
    for cut in (len(data) // 10, len(data) // 2, len(data) - 2):
        with pytest.raises(ParseError, match=r"^damaged or truncated Word \.doc or Excel \.xls \(its compound-file "
                                             r"directory cannot be read"):
            parse_bytes(data[:cut])
