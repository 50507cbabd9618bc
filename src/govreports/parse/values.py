"""Cell text → number, null, or 'not a value'.

Blank, dashes, slashes, 无 and the words that say "nothing here" (暂无, 不适用, 未涉及, ×; also in traditional
characters, 無) are nulls (the report left the cell empty: never 0). Numbers may be full-width, signed (本年增/减: +2, -11), carry thousands separators,
decimals, or a unit written into the cell ("251000元", "13（件）"). A cell read as no value is a label, and the values
of a row are those after its last label: a value cell misread as text shifts the row's numbers into other columns.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from govreports.text import drop_invisible

_NULLS = frozenset({"", "-", "--", "—", "——", "———", "–", "/", "无", "－", "―", "空", "N/A", "n/a", "/", "暂无", "不适用",
                    "无此项", "未涉及", "未发生", "×", "✕", "╳", "＼", "\\", "╲", "╱", "∕", "空白", "(空)", "（空）",
                    # as a 繁體 mirror writes them (cells are read as written, before any conversion)
                    "無", "暫無", "無此項", "不適用", "未發生"})
# units written after a count or an amount: 件 and 个 most, 份 (documents), 次/人次 (requests), 起/宗 (cases), 人/家/户
# (applicants), 篇, 笔
_UNITS = "万元|元|件|个|条|项|人次|份|次|起|宗|人|家|户|篇|笔"
_NUMBER = re.compile(r"^([+\-−]?)\s*(¥?)\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*"
                     r"(?:(%s)|\((%s)\))?$" % (_UNITS, _UNITS))  # 251000元, 13(件) after NFKC


# characters that are or become digits other than 0-9 and ０-９: NFKC makes ① a 1 and ² a 2 ('5①', a 5 with a
# footnote mark, read 51), and int() reads other scripts' digits. A cell holding one is no number as reports write it.
# Listed rather than computed: scanning the BMP at import costs half a second in every parse worker.
_OTHER_DIGITS = re.compile("[" +
    "\u00b2-\u00b3\u00b9\u00bc-\u00be\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef"
    "\u0a66-\u0a6f\u0ae6-\u0aef\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def"
    "\u0e50-\u0e59\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099\u1369-\u1371\u17e0-\u17e9\u1810-\u1819"
    "\u1946-\u194f\u19d0-\u19da\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59"
    "\u2070\u2074-\u2079\u2080-\u2089\u2150-\u215f\u2189\u2460-\u249b\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e"
    "\u2780-\u2788\u278a-\u2792\u3251-\u325f\u32b1-\u32cb\u3358-\u3370\u3378-\u3379\u339f-\u33a6\u33a8\u33af"
    "\u33e0-\u33fe\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9"
    "]")  # every such character of the BMP, from unicodedata (tests.test_values checks the list against it)


_SIGN_WORD = re.compile(r"增加|减少|增|减")


class Value:
    """A parsed cell: `number` is None for a blank; `unit` is the unit written in the cell, if any.
    Shared between cells (parse_value is cached): never mutate one."""

    __slots__ = ("number", "unit")

    def __init__(self, number: int | float | None, unit: str | None = None):
        self.number = number
        self.unit = unit

    def __repr__(self) -> str:
        return f"Value({self.number!r}, {self.unit!r})"


BLANK = Value(None)


@lru_cache(maxsize=8192)  # a report's cells repeat ("0", "", "1"): parsing each distinct text once is the hot path
def parse_value(cell: str) -> Value | None:
    """Return a Value for a value cell (blank included), None when the cell is text (a label)."""
    text = cell.strip()
    if text in _NULLS:
        return BLANK
    if not text.isascii():
        text = drop_invisible(text)  # '8\u200c21': what the page shows is 821
        if _OTHER_DIGITS.search(text):
            return None
    text = unicodedata.normalize("NFKC", text).replace(" ", "").replace("，", ",")
    if text in _NULLS or set(text) <= {"-", "—", "–", "/"}:
        return BLANK
    sign_word = _SIGN_WORD.match(text)  # 本年增/减 written in words: 增2, 减少8 (the 湖北 template asks for -8)
    m = _NUMBER.match(text[sign_word.end():] if sign_word else text)
    if not m or sign_word and m.group(1):
        return None
    sign, yuan, whole, frac, unit, bracketed = m.groups()
    unit = unit or bracketed or ("元" if yuan else None)  # ￥251000 (NFKC: ¥)
    whole = whole.replace(",", "")
    number: int | float = float(f"{whole}.{frac}") if frac else int(whole)
    if sign in ("-", "−") or sign_word and sign_word.group().startswith("减"):
        number = -number
    return Value(number, unit if unit in ("元", "万元") else None)


MARK = "\ue000"  # a private-use character, no report's text holds one: where a cell's superscripts stood


def without_marks(marked: str) -> str | None:
    """A value cell's text without its footnote marks, or None when they are no footnote marks. `marked` is the
    cell's text with each superscript (HTML <sup>, a Word superscript run) as one MARK. Marks after the number are
    footnotes ('821¹' read 8211), also before a unit ('821¹件'); marks before or inside the number, or a rest that
    is no number ('m²'), leave the cell as written (the caller keeps its text)."""
    head, _, after = marked.partition(MARK)
    if not any(map(str.isdigit, head)) or any(map(str.isdigit, after)):
        return None
    rest = " ".join(marked.replace(MARK, "").split())
    value = parse_value(rest) if rest else None
    return rest if value is not None and value.number is not None else None
