"""Pathological documents, built at run time, for the parse-limit tests and the demo portal.

Each one reproduces a way a real portal file (or a hostile one) has made a parser run out of time or memory;
they are code, not checked-in fixtures, so their size is a parameter. PDFs and DOCX are written by hand (zipfile,
raw PDF objects) so the demo portal can build them without the test extras; only `truncated_pdf` renders a
report (reportlab, as every PDF the demo portal serves).
"""

from __future__ import annotations

import io
import zipfile
import zlib

_DOCX_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_PARAGRAPH = "<w:p><w:r><w:t>一、总体情况</w:t></w:r></w:p>"


def _docx(document_xml_chunks, compresslevel: int = 9) -> bytes:
    """A minimal DOCX package (content types, relationships, word/document.xml) written from chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w") as member:
            for chunk in document_xml_chunks:
                member.write(chunk.encode("utf-8"))
    return buffer.getvalue()


def zip_bomb_docx(mb: int = 30) -> bytes:
    """A valid DOCX (< 100 KB) whose word/document.xml unpacks to `mb` MB of one repeated paragraph."""
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_DOCX_NS}><w:body>'
    block = _PARAGRAPH * (1024 * 1024 // len(_PARAGRAPH.encode("utf-8")))
    return _docx([head, *([block] * mb), "</w:body></w:document>"])


def entity_bomb_docx(levels: int = 10) -> bytes:
    """A DOCX whose document.xml declares a billion-laughs DTD (10**levels "lol"s if an XML parser expanded it)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, levels)]
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [{"".join(entities)}]>'
           f"<w:document {_DOCX_NS}><w:body><w:p><w:r><w:t>&lol{levels - 1};</w:t></w:r></w:p>"
           "</w:body></w:document>")
    return _docx([xml])


def size_lie_docx(mb: int = 30) -> bytes:
    """A DOCX whose zip directory says document.xml is 1 KB while its data inflates to `mb` MB."""
    data = bytearray(zip_bomb_docx(mb))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        position = archive.start_dir  # the central directory: fixed 46-byte headers, then name, extra, comment
    while data[position + 46:position + 46 + len(b"word/document.xml")] != b"word/document.xml":
        lengths = [int.from_bytes(data[position + i:position + i + 2], "little") for i in (28, 30, 32)]
        position += 46 + sum(lengths)
    data[position + 24:position + 28] = (1024).to_bytes(4, "little")  # its uncompressed size
    return bytes(data)


def _pdf(objects: list[bytes]) -> bytes:
    """PDF bytes from numbered object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(content: bytes) -> bytes:
    packed = zlib.compress(content, 9)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)


def _one_page_pdf(content: bytes) -> bytes:
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def line_grid_pdf(n: int = 250, text: bool = False) -> bytes:
    """One page ruling an n×n grid from 2·n·(n+1) separate line segments (pdfplumber's table finder goes slow).
    `text`: a letter in its corner cell, so that the page is read as text (70×70: ~3 s); without it a page of no
    characters is a scan, which OCR reads within its share of the parse deadline."""
    step_x, step_y = 555 / n, 802 / n
    xs = [20 + i * step_x for i in range(n + 1)]
    ys = [20 + i * step_y for i in range(n + 1)]
    ops = [b"BT /F1 8 Tf 22 24 Td (x) Tj ET\n" if text else b"", b"0.1 w\n"]
    for y in ys:
        ops.extend(b"%.2f %.2f m %.2f %.2f l S\n" % (xs[j], y, xs[j + 1], y) for j in range(n))
    for x in xs:
        ops.extend(b"%.2f %.2f m %.2f %.2f l S\n" % (x, ys[j], x, ys[j + 1]) for j in range(n))
    return _one_page_pdf(b"".join(ops))


def dense_text_pdf(chars: int = 60_000) -> bytes:
    """One page of `chars` tiny characters (Helvetica, 2 pt), far denser than any real report page."""
    per_line = 400
    lines = [b"BT /F1 2 Tf 0.1 Tz 10 832 Td 2.2 TL"]
    for start in range(0, chars, per_line):
        lines.append(b"(%s) '" % (b"8" * min(per_line, chars - start)))
    lines.append(b"ET")
    return _one_page_pdf(b"\n".join(lines))


def many_pages_pdf(pages: int = 5000) -> bytes:
    """`pages` pages sharing one short content stream: small file, a page tree no report has."""
    first = 4  # objects 1–3: catalog, pages, content stream; then one object per page
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        _stream(b"0 0 m 10 10 l S"),
        *([page] * pages),
    ])


def huge_html(mb: int = 30) -> bytes:
    """An HTML page of `mb` MB: a real-looking report table whose rows repeat (a portal page gone wrong)."""
    head = ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            "<title>2023年政府信息公开工作年度报告</title></head><body>")
    row = "<tr><td>主动公开政府信息</td><td>新制发件数</td><td>12</td><td>0</td></tr>\n"
    size = mb * 1024 * 1024
    rows = row * (size // len(row.encode("utf-8")) + 1)
    return f"{head}<table border=\"1\">{rows}</table></body></html>".encode("utf-8")


def truncated_pdf(fraction: float = 0.5) -> bytes:
    """A rendered report PDF cut after `fraction` of its bytes (an interrupted download served as complete)."""
    from govreports.demo.records import make_record
    from govreports.render import to_pdf

    data = to_pdf(make_record(8, "北京市海淀区人民政府办公室", 2022, 1.0))
    return data[: int(len(data) * fraction)]


ERROR_PAGE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>系统提示</title></head><body>"
              "<div class=\"error\"><h2>系统繁忙，请稍后再试！</h2><p>错误代码：500 Internal Error</p></div>"
              "</body></html>").encode("utf-8")


def hostile_document(name: str) -> bytes:
    """The bytes the demo portal serves for a hostile item (catalog.HOSTILE); built once per portal."""
    builders = {
        "zip_bomb": zip_bomb_docx, "size_lie": size_lie_docx, "entity_bomb": entity_bomb_docx,
        "line_grid": line_grid_pdf, "dense_text": dense_text_pdf, "many_pages": many_pages_pdf,
        "truncated": truncated_pdf, "huge_html": huge_html, "empty": lambda: b"", "error_page": lambda: ERROR_PAGE,
    }
    return builders[name]()
