"""DOCX → blocks with python-docx, paragraphs and tables in body order.

Each <w:tc> of a row is one cell, emitted once: a horizontal span is one <w:tc> with a gridSpan, and the rows a
vertical merge continues (vMerge "continue") hold the cell that begins it, already emitted above (a blank in
them when that cell is a value, so the values after it keep their columns). The tables are
read from python-docx's XML elements, not through `_Row.cells`: that repeats a spanned cell per grid column and
finds a continued cell's first row by XPath, a third of a millisecond per cell (40 of a 2021 form's 50 ms).
Cell text is python-docx's (`_Cell.text`: the cell's own paragraphs, one per line).
"""

from __future__ import annotations

import copy
import posixpath
import re
import zipfile
from collections.abc import Iterator
from io import BytesIO

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.coreprops import CT_CoreProperties
from docx.oxml.document import CT_Body, CT_Document
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import parse_xml
from docx.oxml.simpletypes import ST_Merge
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from lxml import etree

from govreports.extract.document import Block, Document
from govreports.extract.lines import line_to_block
from govreports.parse.values import MARK, parse_value, without_marks

_WS = re.compile(r"[\s\u00a0\u3000]+")
# python-docx's paragraph text (CT_P.text: its runs' and hyperlinks' runs' text elements, each as its str() — "\t"
# for a tab, "\n" for a line break, "-" for a no-break hyphen) in one compiled XPath: python-docx compiles an XPath
# string per paragraph and per run, 10 ms of a 2021 form's reading
_RUN_TEXT = "w:r/*[self::w:br or self::w:cr or self::w:noBreakHyphen or self::w:ptab or self::w:t or self::w:tab]"
_TEXT = etree.XPath(f"{_RUN_TEXT} | w:hyperlink/{_RUN_TEXT}", namespaces=nsmap)
# ...and, unlike python-docx, the runs inside the elements that wrap runs without deleting them, nested up to three
# deep (w:sdt/w:sdtContent/w:ins/w:r): a tracked change's inserted runs (w:ins, w:moveTo), content controls, smart
# tags, simple fields. Read without them, a cell revised 520 → 524 was blank. Deleted runs (w:del, w:moveFrom) stay
# unread: the text is the document's with its changes accepted. A third slower than _TEXT, so used only in a
# document that has such an element (lxml answers that at once when none of the names occurs in the document).
_WRAPPERS = ("hyperlink", "ins", "moveTo", "sdt", "sdtContent", "smartTag", "customXml", "fldSimple")
_WRAP = "*[" + " or ".join(f"self::w:{name}" for name in _WRAPPERS) + "]"
_WRAPPED_TEXT = etree.XPath(f"{_RUN_TEXT} | {_WRAP}/{_RUN_TEXT} | {_WRAP}/{_WRAP}/{_RUN_TEXT}"
                            f" | {_WRAP}/{_WRAP}/{_WRAP}/{_RUN_TEXT}", namespaces=nsmap)
_WRAPPER_TAGS = tuple(qn(f"w:{name}") for name in _WRAPPERS if name != "hyperlink")


def _reader(wrapped: bool):
    """The function reading a paragraph's text in a document: _TEXT, or _WRAPPED_TEXT where runs are wrapped."""
    xpath = _WRAPPED_TEXT if wrapped else _TEXT
    return lambda p: "".join(map(str, xpath(p)))


def extract_docx(data: bytes) -> Document:
    blocks, title = _blocks(*_main_document(data))
    meta = {"doc_title": title} if title else {}
    return Document(kind="docx", blocks=blocks, meta=meta)


def _blocks(body: CT_Body, title: str, chunks: dict[str, bytes], depth: int = 0) -> tuple[list[Block], str]:
    """The body's blocks in order (and the title, passed through)."""
    # one walk of the tree for any wrapper (a whole walk where there is none: 0.7 ms of a form), a second one only
    # then, for the content controls and custom XML that bodies and cells are walked for (a few µs a cell)
    runs_wrapped = next(body.iter(*_WRAPPER_TAGS), None) is not None
    text = _reader(runs_wrapped)
    wrapped = runs_wrapped and next(body.iter(_SDT, _CUSTOM_XML), None) is not None
    marks = next(body.iter(_VERT_ALIGN), None) is not None  # a document without one pays nothing per cell
    boxed = next(body.iter(_TEXT_BOX), None) is not None
    blocks: list[Block] = []
    for element in _content(body) if wrapped or boxed or chunks else body.inner_content_elements:
        if isinstance(element, CT_P):
            for line in text(element).splitlines():
                block = line_to_block(line)
                if block is not None:
                    blocks.append(block)
        elif isinstance(element, CT_Tbl):
            blocks.extend(_table_blocks(element, text, wrapped, marks))
        else:  # a w:altChunk: the part it imports, where it stands (Word converts it on opening)
            blocks.extend(_chunk_blocks(chunks.get(element.get(_CHUNK_ID)), depth))
    return blocks, title


_TEXT_BOX = qn("w:txbxContent")
_ALT_CHUNK, _CHUNK_ID = qn("w:altChunk"), qn("r:id")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _text_boxes(p: CT_P) -> Iterator[etree._Element]:
    """The text boxes anchored in a paragraph, each once: Word 2010+ writes a box twice, as a DrawingML shape
    (mc:Choice) and as its VML copy (mc:Fallback), and a box inside a box is the outer box's to read."""
    for box in p.iter(_TEXT_BOX):
        parent = box.getparent()
        while parent is not None and parent is not p and parent.tag not in (_FALLBACK, _TEXT_BOX):
            parent = parent.getparent()
        if parent is p:
            yield box


_SDT, _SDT_CONTENT, _CUSTOM_XML = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")


def _content(parent) -> Iterator[etree._Element]:
    """The paragraphs and tables of a body or cell in order, also those inside a block-level content control or
    custom XML element (w:sdt/w:sdtContent, w:customXml), as a Word template puts them around a report's text or
    tables: python-docx's own lists skip them, and a report inside one read as empty, "not a report". And those
    of a text box, after the paragraph it is anchored in: python-docx reads no text box, and a table 三 laid out
    in one had all its cells null, with no check failing. And w:altChunk elements, where they stand."""
    for child in parent.iterchildren():
        if isinstance(child, CT_P):
            yield child
            for box in _text_boxes(child):  # a text box's paragraphs and tables, after its anchor's own text
                yield from _content(box)
        elif isinstance(child, CT_Tbl) or child.tag == _ALT_CHUNK:
            yield child
        elif child.tag == _CUSTOM_XML:
            yield from _content(child)
        elif child.tag == _SDT and (content := child.find(_SDT_CONTENT)) is not None:
            yield from _content(content)


def _main_document(data: bytes) -> tuple[CT_Body, str, dict[str, bytes]]:
    """The main document's body, the core properties' title, and the parts its w:altChunk elements import (by
    relationship id), read from the parts that hold them.

    `docx.Document` parses every XML part of the package on opening, styles included: a Word template's styles
    are 0.3–0.8 MB of XML, 12 ms of a 2021 form's reading for nothing used here. The parts are found as python-docx
    finds them (the package relationships), parsed by its parser (its element classes, no entities resolved);
    a package laid out otherwise is opened by python-docx itself, which says what is wrong with it."""
    with zipfile.ZipFile(BytesIO(data)) as package:
        names = set(package.namelist())

        def part(rel_type: str, rels) -> str | None:
            for rel in rels:
                if rel.get("Type") == rel_type and rel.get("TargetMode") != "External":
                    name = posixpath.normpath(rel.get("Target", "").lstrip("/"))
                    return name if name in names else None
            return None

        rels = parse_xml(package.read("_rels/.rels")) if "_rels/.rels" in names else []
        main = part(RT.OFFICE_DOCUMENT, rels)
        xml = package.read(main) if main is not None else b""
        document = parse_xml(xml) if main is not None else None
        if isinstance(document, CT_Document) and document.body is not None:
            core = part(RT.CORE_PROPERTIES, rels)
            properties = parse_xml(package.read(core)) if core is not None else None
            title = properties.title_text if isinstance(properties, CT_CoreProperties) else ""
            chunks = {}
            if b"altChunk" in xml:  # the parts w:altChunk elements import, by relationship id
                folder, base = posixpath.split(main)
                rels_name = posixpath.join(folder, "_rels", base + ".rels")
                for rel in parse_xml(package.read(rels_name)) if rels_name in names else []:
                    target = posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
                    if rel.get("Type") == RT.A_F_CHUNK and rel.get("TargetMode") != "External" and target in names:
                        chunks[rel.get("Id")] = package.read(target)
            return document.body, title.strip(), chunks
    opened = docx.Document(BytesIO(data))
    chunks = {rel.rId: rel.target_part.blob for rel in opened.part.rels.values()
              if rel.reltype == RT.A_F_CHUNK and not rel.is_external}
    return opened.element.body, (opened.core_properties.title or "").strip(), chunks


def _chunk_blocks(data: bytes | None, depth: int) -> list[Block]:
    """The blocks of a part a w:altChunk imports: HTML (html-docx-js, web editors' "export to Word") or a DOCX;
    another kind (RTF, MHT) is not read. A DOCX chunk importing chunks of its own is read two levels deep."""
    from govreports.extract.sniff import sniff

    kind = sniff(data) if data else None
    if kind == "docx" and depth < 2:
        from govreports.extract.limits import LimitExceeded, check

        if (hit := check(data, "docx")) is not None:  # the outer package's limits never saw inside this one
            raise LimitExceeded(hit)
        return _blocks(*_main_document(data), depth=depth + 1)[0]
    if kind == "html":
        from govreports.extract.decode import decode_bytes
        from govreports.extract.html import extract_html

        return extract_html(decode_bytes(data, None)[0]).blocks
    return []


def _table_blocks(tbl: CT_Tbl, text, wrapped: bool = False, marks: bool = False) -> list[Block]:
    """Rows of cells, a nested table's rows (a layout table's cell holding the real table) before its cell's.

    A vertical merge's continued cell is a blank when the merge began with a value (a column's blank cells merged
    over rows, as Word and LibreOffice write a rowspan): skipped, it left its row one cell short and the values
    after it one column left. A continued label is skipped: parse.tables reads a row's values after its last
    label, and the group labels (三、本年度办理结果) come before the row's own."""
    blocks = []
    merged_values: set[int] = set()  # grid columns whose vertical merge began with a value cell
    for tr in tbl.tr_lst:
        cells = []
        tcs = tr.tc_lst
        for i, tc in enumerate(tcs):
            merge = tc.vMerge
            if merge == ST_Merge.CONTINUE:
                if merged_values and _grid_column(tr, tcs, i) in merged_values:
                    cells.append("")
                continue
            if not wrapped or tc.find(_SDT) is None and tc.find(_CUSTOM_XML) is None:
                tables, paragraphs = tc.tbl_lst, tc.p_lst
            else:  # a content control around the cell's text
                inside = list(_content(tc))
                tables = [e for e in inside if isinstance(e, CT_Tbl)]
                paragraphs = [e for e in inside if isinstance(e, CT_P)]
            for inner in tables:
                blocks.extend(_table_blocks(inner, text, wrapped, marks))
            cell = _WS.sub(" ", "\n".join(map(text, paragraphs))).strip()
            if marks and tc.find(".//" + _VERT_ALIGN) is not None:
                cell = _unmarked(cell, paragraphs, text)
            cells.append(cell)
            if merge == ST_Merge.RESTART:
                column = _grid_column(tr, tcs, i)
                if parse_value(cell) is not None:
                    merged_values.add(column)
                else:
                    merged_values.discard(column)
        if any(cells):
            blocks.append(Block(cells, is_row=True))
    return blocks


_VERT_ALIGN = qn("w:vertAlign")
_RUN_PROPERTIES, _T = qn("w:rPr"), qn("w:t")
_SUPERSCRIPT_RUNS = etree.XPath(".//w:r[w:rPr/w:vertAlign[@w:val='superscript']]", namespaces=nsmap)


def _unmarked(cell: str, paragraphs: list, text) -> str:
    """A value cell's text without the superscript runs after its number: Word writes a footnote mark so ('821'
    then a superscript '1', read 8211). A cell whose rest is no number, or whose superscripts come before it,
    keeps them (a label's 'm²'). Only table cells come here, never the narrative's paragraphs."""
    marked = []
    for p in paragraphs:
        p = copy.deepcopy(p)
        for run in _SUPERSCRIPT_RUNS(p):  # each run one MARK: where the marks stand ('821', '1', '件')
            for child in list(run):
                if child.tag != _RUN_PROPERTIES:
                    run.remove(child)
            etree.SubElement(run, _T).text = MARK
        marked.append(text(p))
    return without_marks("\n".join(marked)) or cell


def _grid_column(tr, tcs: list, i: int) -> int:
    """The grid column cell `i` of the row starts at; only for merged cells (a span read is a few µs a cell)."""
    return tr.grid_before + sum(tc.grid_span for tc in tcs[:i])
