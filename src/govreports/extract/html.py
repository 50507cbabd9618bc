"""HTML report pages → blocks, with the report body found inside the portal page.

lxml is used directly (not BeautifulSoup) because this is the hot path: a 100 KB portal page must parse in a few
milliseconds. A table row yields the cells that *start* in it, in order — a rowspan label appears once, in its
first row — which is what lets misaligned colspans (Word exports) be read "in order" without trusting the grid;
only a value cell spanning rows leaves a blank in the rows below it, where its column is (_row_texts).
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from govreports.extract.document import Block, Document
from govreports.parse.values import MARK, parse_value, without_marks
from govreports.text import drop_invisible, join_apart

_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd section article header footer nav main aside blockquote pre "
    "center form hr tr td th tbody thead tfoot caption address figure figcaption".split()
)
_SKIP_TAGS = frozenset("script style noscript head title select option button textarea iframe object svg".split())
_WS = re.compile(r"[\s\u00a0\u3000]+")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Word exports put a style attribute on nearly every element, and width, valign, nowrap, align, lang and
# class=Mso… on most of the rest; nothing here reads one of them (the walk reads rowspan and colspan, the chrome
# test class and id: never a Mso… class, which no chrome name starts with; the meta, name, property and content).
# libxml2 spends ~0.4 µs on each attribute it builds, so dropping them before it sees the page costs less than
# building them: on the 100 KB Word-export page of bench/parse_speed.py, style alone 0.24 ms of pattern and a
# parse of 1.07 ms; these too, 0.56 ms and 0.50 ms (2026-12-07, a machine ~1.45x slower than the README's
# earlier figures). A style value is quoted and follows a space (in a page's text, where it is not an attribute,
# " style='" does not occur; a class that excludes angle brackets too, `[^'<>]`, is slower than the whole saving).
# The others follow a space after an ASCII letter, digit, quote or % (a tag's name or an attribute's value), have
# a value, and end at a space, '>' or '/': text such as "宽度 width=3" stays, and so do English words in text
# ("cross border trade", "text align": a bare `nowrap` is left to libxml2, as a bare name is a word in text); only
# text writing name=value after an ASCII word, "Table width=3 cm", would lose it, which no report page does.
# (Checking that the next angle bracket is a '>', to keep to tags, costs more than the saving.)
_UNREAD_ATTRS = re.compile(
    r""" (?:style=(?:'[^']*'|"[^"]*")"""
    r"""|(?<=[A-Za-z0-9'"%] )(?:(?:width|height|align|valign|nowrap|lang|border|cellspacing|cellpadding)"""
    r"""=(?:"[A-Za-z0-9_.%-]*"|'[A-Za-z0-9_.%-]*'|[A-Za-z0-9_.%-]+)|class=(?:Mso\w*|"Mso\w*"))(?=[ >/]))""")
# signals that a block belongs to the report body (section headings, table anchors)
_ANCHOR = re.compile(
    r"^\s*[一二三四五六][、.．]\s*(?:总体情况|主动公开|收到和处理|行政机关主动|行政机关收到|因政府信息公开|政府信息公开"
    r"|存在的|其他需要|概述|基本)|第二十条第|勾稽关系"
)
_META_NAMES = {
    "articletitle": "title", "title": "title", "dc.title": "title",
    "pubdate": "published", "publishdate": "published", "firstpublishedtime": "published", "dc.date": "published",
    "dcterms.created": "published", "articlepubdate": "published", "pubtime": "published",
    "publishtime": "published", "publish_time": "published", "releasedate": "published",
    "article:published_time": "published", "dc.date.issued": "published", "dcterms.issued": "published",
    "contentsource": "agency", "author": "agency",
}
# the site's own furniture — header (with its clock: "2025年12月30日 星期二"), navigation, footer (copyright):
# a date there is never the report's. By tag, or by the first part of a class or id ("top_time", "footer-copy").
_CHROME_TAGS = frozenset(("header", "nav", "footer"))
_CHROME_NAMES = frozenset(("header", "top", "topbar", "nav", "navbar", "menu", "footer", "foot", "bottom", "copyright",
                           "clock", "today", "weather", "toolbar"))
_CHROME_SPLIT = re.compile(r"[\s_-]+")
# a date, or a weekday at the start: two patterns, as one with "^" in an alternative is tried at every position
_YEARISH = re.compile(r"(?:19|20)\d{2}\s*[-年/.]")
_WEEKDAY = re.compile(r"\s*(?:星期|礼拜)")


def _clean(text: str) -> str:
    """Whitespace runs to one space, ends trimmed, and the characters that show nothing dropped (text.INVISIBLE:
    '8\u200b21' is 821 on the page, not '8 21'). str.split() knows the same whitespace as the pattern's \\s (both
    are str.isspace) at a third of the cost. Runs ~600 times a page."""
    if not text.isascii():
        text = drop_invisible(text)
    return " ".join(text.split())


def extract_html(text: str) -> Document:
    # plain etree elements: lxml.html's HtmlElement class lookup costs a third of the walk on a 100 KB page
    text = _UNREAD_ATTRS.sub("", _XML_DECL.sub("", text, count=1))
    root = etree.fromstring(text or "<html></html>", _PARSER)
    if root is None:
        return Document(kind="html", blocks=[])
    meta = _page_meta(root)
    body = root.find("body")
    if body is None:
        body = root
    walker = _Walker()
    walker.walk(body)
    walker.flush()
    blocks, owners = walker.blocks, walker.owners
    # each element once: a data table owns all its rows, and table 二's five 第二十条第 rows outvoted table 三's one
    # 勾稽关系 (with headings numbered otherwise than 一、, table 二 alone was the region and the rest was dropped)
    region = _report_region(list(dict.fromkeys(o for b, o in zip(blocks, owners) if _ANCHOR.match(b.cells[0]))))
    chrome = _chrome_texts(blocks, owners, region)
    if chrome:
        meta["_chrome"] = "\n".join(chrome)
    if region is not None:
        inside = _within(owners, region)
        kept = [b for b, i in zip(blocks, inside) if i]
        outside = [b for b, i in zip(blocks, inside) if not i]
        meta["_outside"] = "\n".join(b.text for b in outside[:200])
        blocks = kept
    return Document(kind="html", blocks=blocks, meta=meta)


def _page_meta(root) -> dict[str, str]:
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        key = _META_NAMES.get(name)
        content = _clean(el.get("content") or "")
        if key and content and key not in meta:
            meta[key] = content
    title = root.find(".//title")
    if title is not None and (text := _clean("".join(title.itertext()))):
        meta["html_title"] = text
    return meta


def _chrome_texts(blocks: list[Block], owners: list, region) -> list[str]:
    """The texts of date-bearing blocks that sit in the site's header, navigation or footer (parse.published never
    takes a publication date from them). Only blocks with a date are checked: this runs on every page."""
    keep = set(region.iterancestors()) | {region} if region is not None else set()
    texts = [block.text for block in blocks]
    found = []
    for i in _dated(texts):
        if owners[i] is not None and _in_chrome(owners[i], keep):
            found.append(texts[i])
    return found


def _dated(texts: list[str]) -> list[int]:
    """The indices of the texts holding a date or starting with a weekday (_YEARISH, _WEEKDAY), in order: the
    texts joined by NULs (a date pattern crosses no NUL, and no page text holds one) and searched at once, a few
    hits mapped back to their text, rather than two patterns tried on each of a page's ~150 blocks."""
    joined = join_apart(texts, "\0")
    if joined is None:  # a text holding a NUL: one by one
        return [i for i, text in enumerate(texts) if _YEARISH.search(text) or _WEEKDAY.match(text)]
    hits = {joined.count("\0", 0, m.start()) for m in _YEARISH.finditer(joined)}
    if "星期" in joined or "礼拜" in joined:
        hits.update(i for i, text in enumerate(texts) if _WEEKDAY.match(text))
    return sorted(hits)


def _in_chrome(el, keep: set) -> bool:
    for node in (el, *el.iterancestors()):
        if node in keep:  # the report's container or above it: the rest is all above it too
            return False
        if node.tag in _CHROME_TAGS:
            return True
        for attr in ("class", "id"):
            for name in (node.get(attr) or "").lower().split():
                if _CHROME_SPLIT.split(name, maxsplit=1)[0] in _CHROME_NAMES:
                    return True
    return False


def _within(owners: list, region) -> list[bool]:
    """Whether each owner lies in `region`, by walking up from it until an element already answered: a third of
    the cost of collecting the region's every element (siblings share their parent's answer)."""
    known: dict = {region: True}
    out = []
    for owner in owners:
        answer = known.get(owner)
        if answer is None:
            path, node = [], owner
            while node is not None and (answer := known.get(node)) is None:
                path.append(node)
                node = node.getparent()
            answer = bool(answer)
            known.update(dict.fromkeys(path, answer))
        out.append(answer)
    return out


def _report_region(anchors: list):
    """The deepest element holding nearly all of the report's anchors (headings, table labels): the body
    container, without menus, sidebars and footers. "Nearly": a sidebar link may look like a heading."""
    if len(anchors) < 2:
        return None
    counts: dict = {}
    depth: dict = {}
    for el in anchors:
        for d, anc in enumerate(reversed([el, *el.iterancestors()])):
            counts[anc] = counts.get(anc, 0) + 1
            depth[anc] = d
    need = max(2, -(-len(anchors) * 3 // 4))
    region = max((el for el, c in counts.items() if c >= need), key=depth.__getitem__, default=None)
    return None if region is None or region.tag in ("body", "html") else region


class _Walker:
    """Depth-first walk that turns inline runs into paragraph blocks and data tables into row blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.owners: list = []  # element each block came from (for finding the report region)
        self._buf: list[str] = []
        self._owner = None

    def flush(self) -> None:
        if self._buf:
            text = _clean("".join(self._buf))
            self._buf = []
            if text:
                self.blocks.append(Block([text]))
                self.owners.append(self._owner)

    def walk(self, el) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction
            return
        if tag in _SKIP_TAGS:
            return
        if tag == "table":
            self.flush()
            self._table(el)
            return
        is_block = tag in _BLOCK_TAGS
        if is_block or tag == "br":
            self.flush()
        if is_block or self._owner is None:
            self._owner = el
        if el.text:
            self._buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                if not self._buf:
                    self._owner = el
                self._buf.append(child.tail)
        if is_block:
            self.flush()

    def _table(self, table) -> None:
        rows = [_own_cells(row) for row in _own_rows(table)]
        nested = table.find(".//table") is not None
        if any(_is_container(cell, nested) for row in rows for cell in row if nested or len(cell) >= 4):
            # a layout table: its cells are containers of blocks, not data
            for row in rows:
                for cell in row:
                    self.flush()
                    self._owner = cell
                    self.walk(cell)
                    self.flush()
            return
        # a <sup> in a data table: one look per table, so the tables without one (nearly all) pay nothing per cell
        for cells in _row_texts(rows, _marked_cell_text if table.find(".//sup") is not None else _cell_text):
            if any(cells):
                self.blocks.append(Block(cells, is_row=True))
                self.owners.append(table)


_PARAGRAPHS = ("p", "div", "br", "h1", "h2", "h3", "h4", "li")


def _is_container(cell, nested: bool) -> bool:
    """A layout cell holding blocks (a nested table, or a body of paragraphs like gov.cn's td#UCAP-CONTENT), not a
    data cell: Word-export cells hold one or two short <p>, a page body holds many. (`nested`: the table has a
    table inside at all — checked once per table, as this runs for every cell of every report; in a table without
    one, _table calls it only for cells of four children or more.)"""
    if nested and cell.find(".//table") is not None:
        return True
    if len(cell) < 4:
        return False
    blocks = sum(1 for child in cell if child.tag in _PARAGRAPHS)
    return blocks >= 4 and len("".join(cell.itertext())) > 200


def _own_rows(table) -> list:
    rows = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("tbody", "thead", "tfoot"):
            rows.extend(r for r in child if r.tag == "tr")
    return rows


def _own_cells(row) -> list:
    return [c for c in row if c.tag in ("td", "th")]


def _row_texts(rows: list[list], cell_text=None) -> list[list[str]]:
    """Each row's cell texts, with a blank where a value cell of a row above spans down into it.

    A row yields the cells that start in it. For a label that is enough (parse.tables reads a row's values after
    its last label, so 三、本年度办理结果 spanning 20 rows needs no trace below it), but a value cell spanning rows
    — Word merges a column's blank cells so — left the rows below it one cell short: their values moved one column
    left, a total read as 其他组织's count. Only a table with a value cell spanning rows pays for the grid walk
    (the forms' own rowspans are labels; walking every table's grid cost a tenth of a page's extraction, this
    check costs 0.05 ms a form: an XPath for the rowspan cells is slower than reading each cell's attribute)."""
    cell_text = cell_text or _cell_text
    texts = [[cell_text(c) for c in row] for row in rows]
    if not any(c.get("rowspan") and parse_value(text) is not None and _span(c.get("rowspan")) > 1
               for row, cells in zip(rows, texts) for c, text in zip(row, cells)):
        return texts
    down: dict[int, tuple[int, int, bool]] = {}  # grid column → (last row it covers, width, a value's) of a rowspan
    out = []
    for r, (row, cells) in enumerate(zip(rows, texts)):
        filled: list[str] = []
        col = 0
        for cell, text in zip(row, cells):
            col = _covered(down, r, col, filled)
            filled.append(text)
            width = _span(cell.get("colspan"))
            if (height := _span(cell.get("rowspan"))) > 1:
                down[col] = (r + height - 1, width, parse_value(text) is not None)
            col += width
        # columns covered after the row's last cell need no blank: trailing blanks carry no position
        out.append(filled)
    return out


def _covered(down: dict, r: int, col: int, filled: list[str]) -> int:
    """The grid column of row r's next cell after the columns rowspans from above cover from `col`, appending a
    blank to `filled` for each covering value cell (a covering label leaves none: its row's labels come after)."""
    while (span := down.get(col)) is not None and span[0] >= r:
        if span[2]:
            filled.append("")
        col += span[1]
    return col


def _span(attr: str | None) -> int:
    """A rowspan or colspan attribute's count; 1 for a missing or malformed one ("2;", "0")."""
    if not attr:
        return 1
    try:
        return max(1, int(attr))
    except ValueError:
        return 1


def _cell_text(cell) -> str:
    return _clean(etree.tostring(cell, method="text", encoding="unicode", with_tail=False))


def _marked_cell_text(cell) -> str:
    """A cell's text, without the superscripts after its number when the rest is a number: '821<sup>1</sup>' is 821
    with a footnote mark (read as text, 8211; '821<sup>注1</sup>' a label that shifted the row). A cell whose rest
    is no number (a label, 'm<sup>2</sup>') keeps its superscripts; only data tables' cells come here, never the
    narrative's text."""
    text = _cell_text(cell)
    if cell.find(".//sup") is None:
        return text
    marked = copy.deepcopy(cell)  # each outermost superscript one MARK: where the marks stand
    for sup in marked.xpath(".//sup[not(ancestor::sup)]"):
        tail = sup.tail
        sup.clear()
        sup.text, sup.tail = MARK, tail
    return without_marks(_cell_text(marked)) or text
