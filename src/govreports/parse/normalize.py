"""Match keys: the form in which labels are compared, whatever script, width or spacing a portal used.

NFKC folds full-width digits, letters and brackets; OpenCC folds traditional characters (mirrors republish reports
in 繁體); whitespace goes because PDF extraction and Word exports break labels anywhere ("结 果 维 持",
"本年新<br/>制作数量"). The keys are for matching only; records keep the text as written. The steps are
govreports.text's, shared with the title test and the agency key.
"""

from __future__ import annotations

import re
import unicodedata

from govreports.extract.document import Block
from govreports.text import has_han, t2s

_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_SEP = "\n"
_WS_NOT_SEP = re.compile(r"[^\S\n]+|[\u200b\ufeff]+")  # _WS but the separator: \s covers \u00a0 and \u3000
# NFKC changes nothing in ASCII or CJK unified ideographs and nothing composes onto those as a second character,
# so only the other runs (with the character before each, onto which a combining mark may compose) need it: the
# same result as NFKC of the whole text at half the cost on a report (full-width punctuation is everywhere)
_NOT_STABLE = re.compile(r"[\s\S]?[^\x00-\x7f\u4e00-\u9fff]+")


def _nfkc(text: str) -> str:
    return _NOT_STABLE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def to_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if has_han(text):
        text = t2s(text)
    return _WS.sub("", text)


def annotate(blocks: list[Block]) -> None:
    """Fill every block's match keys, converting the whole document in one OpenCC call (per-cell calls cost more)."""
    cells = [c.replace(_SEP, " ") for b in blocks for c in b.cells]
    joined = _nfkc(_SEP.join(cells))
    converted = t2s(joined) if has_han(joined) else joined
    keys = _WS_NOT_SEP.sub("", converted).split(_SEP)  # whitespace dropped in one pass, separators kept
    if len(keys) != len(cells):  # conversion must keep the separators; fall back to per-cell keys if it did not
        keys = [to_key(c) for c in cells]
    i = 0
    for b in blocks:
        n = len(b.cells)
        b.keys = keys[i : i + n]
        i += n


_NUMBERING = re.compile(
    r"^(?:#+|[（(]?[一二三四五六七八九十]+[）)、.．]|[（(]?\d{1,2}[）)、.．]|第[一二三四五六七八九十]+[部分项条]?[、.．]?)+"
)
_PARENS = re.compile(r"[(（][^()（）]*[)）]")


def strip_numbering(key: str) -> str:
    return _NUMBERING.sub("", key)


def label_core(key: str) -> str:
    """'（二）部分公开（区分处理的…）' → '部分公开'; '规章(县级无此项)' → '规章'."""
    return _PARENS.sub("", strip_numbering(key))
