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
from govreports.text import has_han, join_apart, t2s

_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_SEP = "\n"
# whitespace but the separator, and the zero-width space and BOM: removed from match keys. A key's whitespace is
# almost all " " (extract.html folds runs to one space, NFKC folds \u00a0 and \u3000 to it), which str.replace
# drops at memory speed; the pattern then looks for the rest, every other character str.isspace knows (all below
# U+3001): a tenth of the cost of one pattern for all of it
_OTHER_SPACE = re.compile("[%s\u200b\ufeff]" % re.escape(
    "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c not in " \n")))


def _drop_spaces(text: str) -> str:
    return _OTHER_SPACE.sub("", text.replace(" ", ""))


# NFKC changes nothing in ASCII or CJK unified ideographs, nor in the punctuation a Chinese report is full of (、。
# 《》“” —) and nothing composes onto those as a second character: only the runs of other characters (with the
# character before each, onto which a combining mark may compose) need it. The same result as NFKC of the whole
# text at a fifth of the cost on a report. Which punctuation: every character of the general, CJK and full-width
# punctuation blocks that NFKC leaves as it is and that is not a combining mark (tests.test_html_speed checks that
# none is the second character of a composition).
_STABLE_PUNCTUATION = "".join(
    c for block in (range(0x2010, 0x2070), range(0x3001, 0x3040), range(0xFF00, 0xFFF0)) for c in map(chr, block)
    if unicodedata.normalize("NFKC", c) == c and not unicodedata.combining(c))
_UNSTABLE_RUN = re.compile("[^\x00-\x7f\u4e00-\u9fff%s]+" % re.escape(_STABLE_PUNCTUATION))


# the full-width punctuation and the ideographic space of nearly every Chinese sentence, each with its NFKC form, a
# single ASCII character (stable, and nothing composes onto it): str.replace folds them at memory speed, and NFKC of
# the result is NFKC of the text (a character and its full compatibility decomposition decompose alike), so the
# runs left for unicodedata are the rare ones (these made up 72 % of the runs in 977 test documents).
_COMMON_FOLDS = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，（）：；\u3000")


def _nfkc(text: str) -> str:
    for wide, ascii_form in _COMMON_FOLDS:
        text = text.replace(wide, ascii_form)
    # after the folds nearly every report is NFKC already: CPython tells so by a table look-up a character (0.007
    # ms for a report's 5,000 characters of labels, where the pattern below takes 0.05 ms to find no run). It
    # normalises the whole text to answer only for a character NFKC may change with its neighbours (a combining
    # mark, a Hangul vowel: rare in a report), and then the runs are normalised as before.
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts: list[str] = []
    last = 0
    for run in _UNSTABLE_RUN.finditer(text):
        start, end = run.span()
        if start > last:  # the character before the run (a stable one: runs are maximal)
            start -= 1
        parts += (text[last:start], unicodedata.normalize("NFKC", text[start:end]))
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def to_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if has_han(text):
        text = t2s(text)
    return _WS.sub("", text)


def annotate(blocks: list[Block]) -> None:
    """Fill every block's match keys, converting the whole document in one OpenCC call (per-cell calls cost more)."""
    cells = [c for b in blocks for c in b.cells]
    joined = join_apart(cells, _SEP)
    if joined is None:  # a cell holds the separator (extract.html's never do): a space
        cells = [c.replace(_SEP, " ") for c in cells]
        joined = _SEP.join(cells)
    joined = _nfkc(joined)
    converted = t2s(joined) if has_han(joined) else joined
    keys = _drop_spaces(converted).split(_SEP)  # whitespace dropped in one pass, separators kept
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
