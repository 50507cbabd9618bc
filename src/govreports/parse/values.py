"""Cell text → number, null, or 'not a value'.

Blank, dashes, slashes, 无 and the words that say "nothing here" (暂无, 不适用, 未涉及, ×) are nulls (the report
left the cell empty: never 0). Numbers may be full-width, signed (本年增/减: +2, -11), carry thousands separators,
decimals, or a unit written into the cell ("251000元", "13（件）"). A cell read as no value is a label, and the values
of a row are those after its last label: a value cell misread as text shifts the row's numbers into other columns.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NULLS = frozenset({"", "-", "--", "—", "——", "———", "–", "/", "无", "－", "―", "空", "N/A", "n/a", "/", "暂无", "不适用",
                    "无此项", "未涉及", "未发生", "×", "✕", "╳", "＼", "\\", "╲", "╱", "∕", "空白", "(空)", "（空）"})
# units written after a count or an amount: 件 and 个 most, 份 (documents), 次/人次 (requests), 起/宗 (cases), 人/家/户
# (applicants), 篇, 笔
_UNITS = "万元|元|件|个|条|项|人次|份|次|起|宗|人|家|户|篇|笔"
_NUMBER = re.compile(r"^([+\-−]?)\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*"
                     r"(?:(%s)|\((%s)\))?$" % (_UNITS, _UNITS))  # 251000元, 13(件) after NFKC


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
    text = unicodedata.normalize("NFKC", text).replace(" ", "").replace("，", ",")
    if text in _NULLS or set(text) <= {"-", "—", "–", "/"}:
        return BLANK
    m = _NUMBER.match(text)
    if not m:
        return None
    sign, whole, frac, unit, bracketed = m.groups()
    unit = unit or bracketed
    whole = whole.replace(",", "")
    number: int | float = float(f"{whole}.{frac}") if frac else int(whole)
    if sign in ("-", "−"):
        number = -number
    return Value(number, unit if unit in ("元", "万元") else None)
