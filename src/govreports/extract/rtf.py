"""RTF → blocks: paragraphs, and table rows from RTF's own cell and row marks.

Portals serve RTF under a .doc name (Word's "save as RTF", CMS exports), so the bytes, not the name, send a file
here (extract.sniff). RTF is text, so it needs no program: a small reader walks the groups, skips destinations
that are not body text (font and colour tables, styles, pictures, `{\\*…}` groups, headers), decodes `\\uN`
(skipping its `\\ucN` fallback characters; a surrogate pair of them is one character past U+FFFF, a lone one
U+FFFD) and `\\'hh` bytes (in the code page of the document, or of the current font's charset: GBK for a Chinese
font), and turns `\\par` into a paragraph, `\\cell` into a cell and `\\row` into a table row. A cell a vertical or
horizontal merge continues (`\\clvmrg`, `\\clmrg`) is left out, as every extractor gives a merged cell once.
"""

from __future__ import annotations

import re

from govreports.extract.document import Block, Document
from govreports.extract.lines import line_to_block
from govreports.text import whole_characters

# a control word with its number, a \'hh byte, a control symbol, a brace, a run of text, or line breaks (no text)
_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])"
                    rb"|([^\\{}\r\n]+)|[\r\n]+")
# destinations whose text is not the body
_SKIP = frozenset("""fonttbl colortbl stylesheet info pict object header headerl headerr headerf footer footerl footerr
footerf footnote annotation themedata colorschememapping datastore latentstyles listtable listoverridetable rsidtbl
generator xmlnstbl mmathPr field fldinst bkmkstart bkmkend filetbl revtbl userprops docvar pgdsctbl
""".split())
# \fcharset → code page (RTF spec): the ones Chinese, Japanese and Korean documents use
_CHARSETS = {134: "gbk", 136: "big5", 128: "cp932", 129: "cp949", 0: None, 1: None}
_CELL_WS = re.compile(r"[\s\u00a0\u3000]+")


class _State:
    __slots__ = ("skip", "uc", "font")

    def __init__(self, skip: bool = False, uc: int = 1, font: int | None = None):
        self.skip, self.uc, self.font = skip, uc, font

    def copy(self) -> "_State":
        return _State(self.skip, self.uc, self.font)


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.text: list[str] = []  # the paragraph or cell being read
        self.cells: list[str] = []  # the row being read
        self.merged: list[bool] = []  # per cell of the row's definition: a merge continues into it
        self.merging = False  # the cell being defined (up to its \\cellx) continues a merge
        self.in_table = False
        self.codepage = "cp1252"
        self.fonts: dict[int, str | None] = {}
        self.pending = bytearray()  # \'hh bytes, decoded together (a GBK character is two of them)
        self.pending_codepage = "cp1252"

    def flush_bytes(self) -> None:
        if self.pending:
            self.text.append(self.pending.decode(self.pending_codepage, errors="replace"))
            self.pending.clear()

    def joined(self) -> str:
        """The text read so far; a character past U+FFFF came as two \\uN (a surrogate pair) and is one again."""
        return whole_characters("".join(self.text))

    def paragraph(self) -> None:
        self.flush_bytes()
        line = self.joined()
        self.text.clear()
        if self.in_table:  # a paragraph break inside a cell: the cell goes on
            self.text.append(line + " " if line.strip() else line)
            return
        block = line_to_block(line)
        if block is not None:
            self.blocks.append(block)

    def cell(self) -> None:
        self.flush_bytes()
        self.cells.append(_CELL_WS.sub(" ", self.joined()).strip())
        self.text.clear()

    def row(self) -> None:
        self.flush_bytes()
        cells = [c for i, c in enumerate(self.cells) if not (i < len(self.merged) and self.merged[i])]
        if any(cells):
            self.blocks.append(Block(cells, is_row=True))
        self.cells, self.text, self.in_table = [], [], False

    def finish(self) -> list[Block]:
        if self.cells:
            self.row()
        self.paragraph()
        return self.blocks


def rtf_blocks(data: bytes) -> list[Block]:
    reader = _Reader()
    state, stack = _State(), []
    skip_chars = 0  # fallback characters after \uN still to skip
    in_fonttbl_font: int | None = None
    for m in _TOKEN.finditer(data):
        word, arg, hexbyte, symbol, brace, text = m.groups()
        if brace == b"{":
            stack.append(state)
            state = state.copy()
            skip_chars = 0
            continue
        if brace == b"}":
            reader.flush_bytes()
            state = stack.pop() if stack else state
            continue
        if word is not None:
            name = word.decode("ascii")
            number = int(arg) if arg is not None else None
            if skip_chars and name not in ("u",):
                skip_chars = 0
            if name in _SKIP:
                state.skip = True
                if name == "fonttbl":
                    state.font = None
                continue
            if name == "f" and number is not None:
                state.font = number
                in_fonttbl_font = number
                continue
            if name == "fcharset" and number is not None and in_fonttbl_font is not None:
                reader.fonts[in_fonttbl_font] = _CHARSETS.get(number)
                continue
            if name == "ansicpg" and number:
                reader.codepage = f"cp{number}" if number != 936 else "gbk"
                continue
            if name == "uc" and number is not None:
                state.uc = number
                continue
            if state.skip:
                continue
            if name == "u" and number is not None:
                reader.flush_bytes()
                reader.text.append(chr(number % 65536))
                skip_chars = state.uc
            elif name in ("par", "sect", "page"):
                reader.paragraph()
            elif name == "line":
                reader.text.append(" " if reader.in_table else "\n")
            elif name == "tab":
                reader.flush_bytes()
                reader.text.append("\t")
            elif name == "trowd":
                reader.merged, reader.merging = [], False
            elif name in ("clvmrg", "clmrg"):
                reader.merging = True
            elif name == "cellx":
                reader.merged.append(reader.merging)
                reader.merging = False
            elif name == "intbl":
                reader.in_table = True
            elif name in ("cell", "nestcell"):
                reader.cell()
            elif name in ("row", "nestrow"):
                reader.row()
            elif name == "bin" and number:
                pass  # binary data is only ever inside a skipped destination (pictures, objects)
            continue
        if symbol is not None:
            if symbol == b"*":
                state.skip = True
            elif state.skip:
                pass
            elif skip_chars:
                skip_chars -= 1
            elif symbol in (b"\\", b"{", b"}"):
                reader.text.append(symbol.decode())
            elif symbol == b"~":
                reader.text.append("\u00a0")
            elif symbol == b"_":
                reader.text.append("-")
            elif symbol in (b"\n", b"\r"):
                reader.paragraph()
            continue
        if hexbyte is not None:
            if state.skip:
                continue
            if skip_chars:
                skip_chars -= 1
                continue
            codepage = reader.fonts.get(state.font) if state.font is not None else None
            codepage = codepage or reader.codepage
            if reader.pending and codepage != reader.pending_codepage:
                reader.flush_bytes()
            reader.pending_codepage = codepage
            reader.pending.append(int(hexbyte, 16))
            continue
        if text is not None and not state.skip:
            if skip_chars:
                cut = min(skip_chars, len(text))
                text, skip_chars = text[cut:], skip_chars - cut
            if text:
                reader.flush_bytes()
                reader.text.append(text.decode(reader.codepage, errors="replace"))
    tail = data.rstrip(b" \r\n\t\x00")
    if stack and not (tail.endswith(b"}") or len(stack) == 1 and tail.endswith(b"\\par")):
        raise Truncated(f"it ends inside {len(stack)} open group(s), mid-text: cut short?")
    return reader.finish()


class Truncated(ValueError):
    """An RTF that stops inside an open group, mid-text: a file cut short (read, it gave the report up to the cut,
    the cells after it null, and nothing said). One that only lacks its closing braces (it ends with a group's
    end, or with a paragraph's in the document's own group) is read, as a lenient writer may leave them out."""


def extract_rtf(data: bytes) -> Document:
    return Document(kind="rtf", blocks=rtf_blocks(data))
