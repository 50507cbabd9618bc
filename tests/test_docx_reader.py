"""The DOCX reader reads only the main document and core properties, through compiled XPath, and reads what
python-docx's own API reads: the oracle here is python-docx (`Document`, `iter_inner_content`, `_Row.cells`,
`Paragraph.text`, `_Cell.text`, `core_properties.title`), each <w:tc> once."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from govreports.extract.docx import extract_docx
from govreports.parse import ParseError, parse_bytes
from govreports.render import to_docx
from strategies import record_fixture

docx = pytest.importorskip("docx")

_WS = re.compile(r"[\s\u00a0\u3000]+")


def reference(data: bytes) -> tuple[list[tuple[list[str], bool]], str]:
    """The blocks python-docx's public API gives (a cell once, the first time its <w:tc> is met) and the title."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from govreports.extract.lines import line_to_block

    document = docx.Document(io.BytesIO(data))

    def table_rows(table: Table) -> list:
        seen, out = set(), []
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell._tc in seen:
                    continue
                seen.add(cell._tc)
                for inner in cell.tables:
                    out.extend(table_rows(inner))
                cells.append(_WS.sub(" ", cell.text).strip())
            if any(cells):
                out.append((cells, True))
        return out

    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            for line in item.text.splitlines():
                if (block := line_to_block(line)) is not None:
                    blocks.append((block.cells, block.is_row))
        else:
            blocks.extend(table_rows(item))
    return blocks, (document.core_properties.title or "").strip()


def read(data: bytes) -> tuple[list[tuple[list[str], bool]], str]:
    document = extract_docx(data)
    return [(b.cells, b.is_row) for b in document.blocks], document.meta.get("doc_title", "")


def _saved(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def crafted() -> bytes:
    """Every run element python-docx turns into text (tab, line and page breaks, carriage return, no-break
    hyphen, absolute tab), a hyperlink, vertical and horizontal merges, a nested table, a core title."""
    from docx.enum.text import WD_BREAK
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    d.core_properties.title = "  某某局2021年政府信息公开工作年度报告 "
    p = d.add_paragraph("一、总体情况\t甲")
    p.add_run("乙").add_break(WD_BREAK.LINE)
    p.add_run("丙").add_break(WD_BREAK.PAGE)
    p.add_run("丁")
    p._p.append(parse_xml(f'<w:hyperlink {nsdecls("w", "r")} r:id="rId99"><w:r><w:t>链接</w:t></w:r>'
                          f'<w:r><w:tab/><w:t>文字</w:t></w:r></w:hyperlink>'))
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>a</w:t><w:noBreakHyphen/><w:t>b</w:t><w:cr/><w:t>c</w:t>'
                          f'<w:ptab w:relativeTo="margin" w:alignment="right" w:leader="none"/><w:t>d</w:t>'
                          f'<w:br w:type="column"/><w:t>e</w:t></w:r>'))
    table = d.add_table(rows=4, cols=4)
    for i in range(4):
        for j in range(4):
            table.cell(i, j).text = f"格{i}{j}"
    table.cell(0, 0).merge(table.cell(2, 0))   # vertical
    table.cell(0, 1).merge(table.cell(0, 3))   # horizontal
    table.cell(1, 1).merge(table.cell(3, 2))   # both
    inner = table.cell(3, 3).add_table(rows=2, cols=2)
    inner.cell(0, 0).text, inner.cell(1, 1).text = "内", "表"
    cell = table.cell(3, 0).add_paragraph("第二段")
    cell.add_run().add_break()
    cell.add_run("续")
    d.add_paragraph("")
    d.add_paragraph("六、其他需要报告的事项")
    return _saved(d)


def test_crafted_document_reads_as_python_docx_reads_it():
    data = crafted()
    blocks, title = read(data)
    assert (blocks, title) == reference(data)
    assert title == "某某局2021年政府信息公开工作年度报告"
    cells = [c for b, _ in blocks for c in b]
    assert "格00 格10 格20" in cells and cells.count("格01 格02 格03") == 1  # a merged cell once, its text joined
    assert ["内", ""] in [b for b, _ in blocks]  # the nested table's rows are read
    text = " ".join(cells)
    assert "链接" in text and "文字" in text and "a-b" in text  # a hyperlink's runs, a no-break hyphen


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_rendered_forms_read_as_python_docx_reads_them(fmt):
    """The forms with their real merges (render.docx), as the demo portal serves them."""
    data = to_docx(record_fixture(fmt))
    blocks, title = read(data)
    assert (blocks, title) == reference(data)
    assert any(is_row for _, is_row in blocks)


def test_demo_portal_reports_read_as_python_docx_reads_them():
    """The demo portal's generated reports (every format, its quirks) as Word documents."""
    from govreports.demo.portal import DemoPortal

    by_format: dict = {}
    for report in DemoPortal(seed=5, scale=40).reports:  # a few of each format
        by_format.setdefault(report.record.get("format"), []).append(report.record)
    assert set(by_format) >= {"2019", "2021", "pre2019"}
    for record in (r for records in by_format.values() for r in records[:3]):
        data = to_docx(record)
        assert read(data) == reference(data), record.get("title")


def _repack(data: bytes, rename: dict[str, str] | None = None, drop: tuple[str, ...] = (),
            edit: dict[str, tuple[bytes, bytes]] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            content = src.read(info.filename)
            if info.filename in (edit or {}):
                old, new = edit[info.filename]
                assert old in content, (info.filename, old)
                content = content.replace(old, new)
            dst.writestr((rename or {}).get(info.filename, info.filename), content)
    return out.getvalue()


def test_main_part_found_through_the_package_relationships():
    """A generator that names the main part otherwise (word/document2.xml) is read where _rels/.rels points."""
    data = crafted()
    moved = _repack(data, rename={"word/document.xml": "word/document2.xml",
                                  "word/_rels/document.xml.rels": "word/_rels/document2.xml.rels"},
                    edit={"_rels/.rels": (b'Target="word/document.xml"', b'Target="/word/document2.xml"'),
                          "[Content_Types].xml": (b'PartName="/word/document.xml"', b'PartName="/word/document2.xml"')})
    assert read(moved) == read(data)
    assert read(moved) == reference(moved)


_CORE_REL = (b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
             b'metadata/core-properties" Target="docProps/core.xml"/>', b"")


def test_no_core_properties_means_no_title():
    """python-docx invents the title 'Word Document' for a package without core properties; the reader says
    nothing rather than pass an invented title on to the title search."""
    data = _repack(crafted(), drop=("docProps/core.xml",), edit={"_rels/.rels": _CORE_REL})
    blocks, title = read(data)
    assert title == "" and blocks == reference(data)[0]
    assert reference(data)[1] == "Word Document"


def test_dangling_core_properties_relationship_still_reads():
    """A relationship to a core properties part the package lacks: python-docx refuses the whole file; the text
    is all there, and the reader reads it (no title)."""
    full = crafted()
    data = _repack(full, drop=("docProps/core.xml",))
    with pytest.raises(KeyError):
        docx.Document(io.BytesIO(data))
    assert read(data) == (reference(full)[0], "")


def test_package_without_relationships_is_left_to_python_docx():
    """No _rels/.rels: python-docx opens it and its error names what is wrong; parse says 'damaged DOCX'."""
    data = _repack(crafted(), drop=("_rels/.rels",))
    with pytest.raises(Exception):
        docx.Document(io.BytesIO(data))
    with pytest.raises(ParseError, match="damaged DOCX"):
        parse_bytes(data, "broken.docx")


def _sample_record() -> dict:
    """The real 2019 Shanghai report's expected record (the shared samples), to render as a Word document."""
    from conftest import SAMPLES, load_expected, require_samples

    require_samples()
    return load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")


def test_value_cell_merged_over_rows_keeps_the_columns_after_it():
    """A column's blank cells merged over rows (w:vMerge, as Word and LibreOffice write a rowspan): 科研机构 of
    rows 一 and 二. The continued cell was skipped, and row 二's values moved one column left: its total 18 was
    read as 其他组织's."""
    record = _sample_record()
    document = docx.Document(io.BytesIO(to_docx(record)))
    table = next(t for t in document.tables if any(c.text.startswith("二、上年结转") for c in t.columns[0].cells))
    rows = {row.cells[0].text[:2]: i for i, row in enumerate(table.rows)}
    research = len(table.rows[rows["一、"]].cells) - 5  # 科研机构: the third of seven value columns
    top, below = table.cell(rows["一、"], research), table.cell(rows["二、"], research)
    assert top.text == below.text == ""
    top.merge(below)
    data = _saved(document)
    assert b"<w:vMerge/>" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")  # the continued cell
    parsed = parse_bytes(data, "report.docx")
    assert parsed["applications"]["carried_in"]["total"] == 18
    assert parsed["applications"] == record["applications"]


def _wrap_run(xml: bytes, number: str, wrap) -> bytes:
    """The document with the run writing `number` (alone in its cell) replaced by wrap(run, its properties)."""
    found = re.search(rb"<w:r>(<w:rPr>(?:(?!</w:r>).)*?</w:rPr>)<w:t>" + number.encode() + rb"</w:t></w:r>", xml)
    assert found, number
    return xml.replace(found[0], wrap(found[0], found[1]), 1)


def test_tracked_changes_read_as_accepted_and_wrapped_runs_read():
    """Word's tracked changes: a cell revised 520 → 524 holds a deleted run (w:del) and an inserted one (w:ins);
    the inserted run was not read, and the cell read as blank. Runs in a content control and a smart tag (w:sdt,
    w:smartTag) were dropped the same way. The text read is the document's with its changes accepted."""
    record = _sample_record()
    data = to_docx(record)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    stamp = b'w:author="a" w:date="2020-01-20T00:00:00Z"'
    xml = _wrap_run(xml, "524", lambda run, props: (
        b'<w:del w:id="91" ' + stamp + b"><w:r>" + props + b"<w:delText>520</w:delText></w:r></w:del>"
        b'<w:ins w:id="92" ' + stamp + b">" + run + b"</w:ins>"))
    xml = _wrap_run(xml, "368", lambda run, props: (
        b"<w:sdt><w:sdtPr/><w:sdtContent><w:smartTag w:uri=\"urn:x\" w:element=\"n\">" + run
        + b"</w:smartTag></w:sdtContent></w:sdt>"))
    original = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    revised = _repack(data, edit={"word/document.xml": (original, xml)})
    parsed = parse_bytes(revised, "report.docx")
    assert parsed["active"]["rules"]["total"] == 524
    assert parsed["active"]["normative_documents"]["total"] == 368
    assert parsed["active"] == record["active"]
    assert "520" not in " ".join(c for b, _ in read(revised)[0] for c in b)


def test_paragraphs_and_tables_inside_block_content_controls_are_read():
    """A Word template's content controls around the report's text and tables (w:body/w:sdt/w:sdtContent), and
    around a cell's paragraph: python-docx's lists skip them, and a report inside one read as empty."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    record = _sample_record()
    document = docx.Document(io.BytesIO(to_docx(record)))
    cell = next(c for t in document.tables for row in t.rows for c in row.cells if c.text == "524")
    paragraph = cell._tc.p_lst[0]
    inner, inner_content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    inner.append(inner_content)
    paragraph.addprevious(inner)
    inner_content.append(paragraph)  # moves it
    body = document.element.body
    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    control.append(OxmlElement("w:sdtPr"))
    control.append(content)
    for element in [e for e in body.iterchildren() if e.tag != qn("w:sectPr")]:
        content.append(element)
    body.insert(0, control)
    data = _saved(document)
    assert b"<w:body><w:sdt>" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    parsed = parse_bytes(data, "report.docx")
    assert parsed["active"]["rules"]["total"] == 524
    assert {t: parsed[t] for t in ("active", "applications", "review_litigation")} == {
        t: record[t] for t in ("active", "applications", "review_litigation")}


@pytest.mark.parametrize("unit", [b"", "件".encode()])
def test_a_superscript_footnote_mark_after_a_value_is_no_digit(unit):
    """Word writes a footnote mark after a value as a superscript run (w:vertAlign superscript): '821' then '1'
    read 8211 (new.natural_person; R1 failed on it). After a cell's number, a superscript is a mark, before a unit
    written in the cell too ('821', '1', '件' read 8211 件)."""
    record = _sample_record()
    data = to_docx(record)
    original = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    xml = _wrap_run(original, "821", lambda run, props: run + b'<w:r><w:rPr><w:vertAlign w:val="superscript"/>'
                    b"</w:rPr><w:t>1</w:t></w:r>" + (b"<w:r><w:t>" + unit + b"</w:t></w:r>" if unit else b""))
    parsed = parse_bytes(_repack(data, edit={"word/document.xml": (original, xml)}), "report.docx")
    assert parsed["applications"]["new"]["natural_person"] == 821
    assert parsed["applications"] == record["applications"]


_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_VML = "urn:schemas-microsoft-com:vml"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _vml_box(content: str) -> str:
    return (f'<w:pict><v:shape xmlns:v="{_VML}" style="width:450pt;height:600pt"><v:textbox><w:txbxContent>'
            f'{content}<w:p/></w:txbxContent></v:textbox></v:shape></w:pict>')


def _drawing_box(content: str) -> str:
    """Word 2010+'s text box: a DrawingML shape, with the VML copy of the same box as the fallback."""
    return (f'<mc:AlternateContent xmlns:mc="{_MC}"><mc:Choice xmlns:wps="{_WPS}" Requires="wps"><w:drawing>'
            f'<wp:anchor xmlns:wp="{_WP}"><a:graphic xmlns:a="{_A}"><a:graphicData uri="{_WPS}"><wps:wsp>'
            f'<wps:txbx><w:txbxContent>{content}<w:p/></w:txbxContent></wps:txbx></wps:wsp></a:graphicData>'
            '</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback>'
            f'{_vml_box(content)}</mc:Fallback></mc:AlternateContent>')


@pytest.mark.parametrize("box", [_vml_box, _drawing_box])
def test_a_table_inside_a_text_box_is_read_once(box):
    """Found by moving a rendered report's table 三 into a text box (Word's Insert ▸ Text Box, as a report laid out
    by hand has it): python-docx reads no text box, so all 35 of its cells came out null, with no check failing
    and nothing said. Word 2010+ writes each box twice (the DrawingML shape and its VML fallback): read once."""
    record = _sample_record()
    data = to_docx(record)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    starts = [m.start() for m in re.finditer("<w:tbl>", xml)]
    ends = [m.end() for m in re.finditer("</w:tbl>", xml)]
    table = xml[starts[1]:ends[1]]
    boxed = xml.replace(table, f"<w:p><w:r>{box(table)}</w:r></w:p>")
    data = _repack(data, edit={"word/document.xml": (xml.encode(), boxed.encode())})
    parsed = parse_bytes(data, "report.docx")
    assert parsed["applications"] == record["applications"]
    assert {t: parsed[t] for t in ("active", "review_litigation")} == {
        t: record[t] for t in ("active", "review_litigation")}
    plain = [b.cells for b in extract_docx(to_docx(record)).blocks if b.is_row]
    assert [b.cells for b in extract_docx(data).blocks if b.is_row] == plain  # the fallback's copy not read again


def _alt_chunk_docx(chunk: bytes, name: str, content_type: str) -> bytes:
    """A DOCX whose body is one w:altChunk importing `chunk` (what html-docx-js and web editors' "export to Word"
    write: the page's HTML as a part of the package, for Word to convert on opening)."""
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types xmlns="{package}/content-types">'
                   f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   f'<Override PartName="/word/document.xml" ContentType="{main}"/>'
                   f'<Override PartName="/word/{name}" ContentType="{content_type}"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{package}/relationships">'
                   f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="word/document.xml"/>'
                   '</Relationships>')
        z.writestr("word/_rels/document.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                   f'"{package}/relationships"><Relationship Id="chunk1" Type="{office}/aFChunk" Target="{name}"/>'
                   '</Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
                   f'openxmlformats.org/wordprocessingml/2006/main" xmlns:r="{office}"><w:body>'
                   '<w:p><w:r><w:t>（导出）</w:t></w:r></w:p><w:altChunk r:id="chunk1"/><w:sectPr/></w:body>'
                   '</w:document>')
        z.writestr(f"word/{name}", chunk)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_a_report_imported_as_an_alt_chunk_is_read(kind):
    """Found by packing a rendered report's HTML as a DOCX's altChunk, as html-docx-js and CMS "导出Word" buttons
    do (Word converts the chunk on opening): the body held no paragraph of the report, and parse said "no annual
    report found in this docx document". An imported DOCX chunk is read as a DOCX."""
    from govreports.render import to_html

    record = _sample_record()
    chunk, name, content_type = (to_html(record).encode("utf-8"), "afchunk.htm", "text/html") if kind == "html" else (
        to_docx(record), "chunk.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
    parsed = parse_bytes(_alt_chunk_docx(chunk, name, content_type), "report.docx")
    for key in ("title", "agency", "year", "format"):
        assert parsed[key] == record[key], key
    assert {t: parsed[t] for t in ("active", "applications", "review_litigation")} == {
        t: record[t] for t in ("active", "applications", "review_litigation")}


def test_a_docx_alt_chunk_is_held_to_the_docx_limits():
    """A DOCX imported as a chunk is a zip inside the zip: the package's own expansion check never saw inside it."""
    from govreports.parse.api import ParseLimitError

    padded = to_docx(_sample_record())  # 3 MB of blanks in its body: a 300-fold expansion, refused as a bomb
    padded = _repack(padded, edit={"word/document.xml": (b"<w:body>", b"<w:body>" + b" " * 3_000_000)})
    with pytest.raises(ParseLimitError) as caught:
        parse_bytes(_alt_chunk_docx(padded, "chunk.docx", "application/octet-stream"), "report.docx")
    assert caught.value.kind == "bomb"
