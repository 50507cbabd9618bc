"""Reports as OFD (GB/T 33190), the national fixed-layout format: a zip of XML pages with positioned text.

A minimal valid package: OFD.xml (DocInfo, DocRoot) → Doc_0/Document.xml (CommonData, Pages) → one
Pages/Page_N/Content.xml per page holding TextObjects (a Boundary in millimetres, a TextCode with X/Y and DeltaX
per glyph) and PathObjects (each table cell's border, as converters from Word draw them). Layout is done here, in
millimetres, with a full-width advance for Chinese glyphs and half for Latin ones; paragraphs wrap at the right
margin with a two-character first-line indent, as a Word export does. Deterministic for a given record.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from govreports.render.document import body_blocks, date_line
from govreports.render.layout import LABEL, Table, placements

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
CONTENT_W = PAGE_W - 2 * MARGIN
SIZES = {"title": 5.6, "date": 3.5, "heading": 4.2, "paragraph": 3.7, "cell": 2.5}
PAD = 0.8  # cell padding, mm
# column widths in parts of the content width (the PDF renderer's points, scaled)
COLUMNS = {
    "active": [155, 120, 120, 120],
    "applications": [26, 50, 170] + [38] * 7,
    "review_litigation": [34] * 15,
}


def advance(ch: str, size: float) -> float:
    return size * (0.5 if ord(ch) < 0x2E80 else 1.0)


def wrap(text: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    lines, line, used, limit = [], "", 0.0, width - indent
    for ch in text:
        w = advance(ch, size)
        if line and used + w > limit + 1e-6:
            lines.append(line)
            line, used, limit = "", 0.0, width
        line += ch
        used += w
    if line or not lines:
        lines.append(line)
    return lines


@dataclass
class _Page:
    height: float = PAGE_H
    objects: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self) -> None:
        self.pages: list[_Page] = [_Page()]
        self.y = MARGIN
        self.next_id = 10

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def new_page(self, height: float = PAGE_H) -> None:
        self.pages.append(_Page(height))
        self.y = MARGIN

    def room(self, needed: float) -> None:
        if self.y + needed > self.pages[-1].height - MARGIN and self.y > MARGIN:
            self.new_page()
        if needed > PAGE_H - 2 * MARGIN and self.y == MARGIN:
            self.pages[-1].height = needed + 2 * MARGIN  # an OFD page may be taller than A4: a table stays whole

    def text(self, x: float, top: float, line: str, size: float) -> None:
        """One line as one TextObject: its Boundary's top-left at (x, top), the baseline at 0.85 of the size."""
        if not line:
            return
        deltas = [advance(ch, size) for ch in line]
        width = sum(deltas)
        delta = " ".join(f"{d:g}" for d in deltas[:-1])
        attr = f" DeltaX={quoteattr(delta)}" if delta else ""
        self.pages[-1].objects.append(
            f'<ofd:TextObject ID="{self._id()}" Boundary="{x:.3f} {top:.3f} {width:.3f} {size * 1.2:.3f}" '
            f'Font="2" Size="{size:g}"><ofd:TextCode X="0" Y="{size * 0.85:.3f}"{attr}>{escape(line)}'
            f"</ofd:TextCode></ofd:TextObject>")

    def box(self, x: float, top: float, w: float, h: float) -> None:
        self.pages[-1].objects.append(
            f'<ofd:PathObject ID="{self._id()}" Boundary="{x:.3f} {top:.3f} {w:.3f} {h:.3f}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>M 0 0 L {w:.3f} 0 L {w:.3f} {h:.3f} L 0 {h:.3f} C</ofd:AbbreviatedData>"
            f"</ofd:PathObject>")

    def paragraph(self, text: str, kind: str) -> None:
        size = SIZES[kind]
        leading = size * 1.5
        if kind == "heading":
            self.y += size * 0.8
        if kind in ("title", "date"):
            for line in wrap(text, size, CONTENT_W):
                self.room(leading)
                width = sum(advance(ch, size) for ch in line)
                self.text(MARGIN + (CONTENT_W - width) / 2, self.y, line, size)
                self.y += leading
            self.y += size * 0.5
            return
        indent = 2 * size if kind == "paragraph" else 0.0
        for i, line in enumerate(wrap(text, size, CONTENT_W, indent)):
            self.room(leading)
            self.text(MARGIN + (indent if i == 0 else 0.0), self.y, line, size)
            self.y += leading

    def table(self, table: Table) -> None:
        size = SIZES["cell"]
        leading = size * 1.25
        parts = COLUMNS[table.key]
        widths = [CONTENT_W * p / sum(parts) for p in parts]
        xs = [MARGIN + sum(widths[:i]) for i in range(len(widths) + 1)]
        cells = placements(table)
        wrapped = {}
        heights = [2 * PAD + leading] * len(table.rows)
        for r, c, cell in cells:
            inner = xs[c + cell.colspan] - xs[c] - 2 * PAD
            lines = wrap(cell.text, size, inner) if cell.text else []
            wrapped[(r, c)] = lines
            need = 2 * PAD + max(len(lines), 1) * leading
            if cell.rowspan == 1:
                heights[r] = max(heights[r], need)
        for r, c, cell in cells:  # a merged cell taller than its rows: the last row grows
            if cell.rowspan > 1:
                need = 2 * PAD + max(len(wrapped[(r, c)]), 1) * leading
                have = sum(heights[r:r + cell.rowspan])
                if need > have:
                    heights[r + cell.rowspan - 1] += need - have
        self.room(sum(heights))
        ys = [self.y + sum(heights[:i]) for i in range(len(heights) + 1)]
        for r, c, cell in cells:
            x0, x1 = xs[c], xs[c + cell.colspan]
            y0, y1 = ys[r], ys[r + cell.rowspan]
            self.box(x0, y0, x1 - x0, y1 - y0)
            lines = wrapped[(r, c)]
            top = (y0 + y1) / 2 - len(lines) * leading / 2
            for i, line in enumerate(lines):
                width = sum(advance(ch, size) for ch in line)
                left = x0 + PAD if cell.kind == LABEL else (x0 + x1 - width) / 2
                self.text(left, top + i * leading + (leading - size) / 2, line, size)
        self.y = ys[-1] + 4.0


def _xml(body: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def to_ofd(record: dict) -> bytes:
    """The report as an .ofd file's bytes; byte-identical for identical records."""
    writer = _Writer()
    writer.paragraph(record.get("title") or "", "title")
    if date := date_line(record):
        writer.paragraph(date, "date")
    for block in body_blocks(record):
        if block.kind == "table":
            writer.table(block.table)
        else:
            writer.paragraph(block.text, block.kind)
    title = escape(record.get("title") or "")
    author = escape(record.get("agency") or "")
    parts = {
        "OFD.xml": _xml(
            f'<ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
            f"<ofd:DocID>{zlib.crc32(title.encode()):08x}</ofd:DocID><ofd:Title>{title}</ofd:Title>"
            f"<ofd:Author>{author}</ofd:Author><ofd:CreationDate>2020-01-01</ofd:CreationDate>"
            f"<ofd:Creator>govreports</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            f"</ofd:DocBody></ofd:OFD>"),
        "Doc_0/PublicRes.xml": _xml(
            f'<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            f'<ofd:Font ID="2" FontName="宋体" FamilyName="宋体" Charset="unicode"/></ofd:Fonts></ofd:Res>'),
    }
    page_refs = []
    for n, page in enumerate(writer.pages):
        page_refs.append(f'<ofd:Page ID="{writer._id()}" BaseLoc="Pages/Page_{n}/Content.xml"/>')
        parts[f"Doc_0/Pages/Page_{n}/Content.xml"] = _xml(
            f'<ofd:Page xmlns:ofd="{NS}"><ofd:Area><ofd:PhysicalBox>0 0 {PAGE_W:g} {page.height:.3f}'
            f'</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="{writer._id()}" Type="Body">'
            + "".join(page.objects) + "</ofd:Layer></ofd:Content></ofd:Page>")
    parts["Doc_0/Document.xml"] = _xml(
        f'<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>{writer.next_id}</ofd:MaxUnitID>'
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{''.join(page_refs)}"
        f"</ofd:Pages></ofd:Document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("OFD.xml", "Doc_0/Document.xml", "Doc_0/PublicRes.xml",
                     *sorted(n for n in parts if "/Pages/" in n)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, parts[name].encode("utf-8"))
    return out.getvalue()
