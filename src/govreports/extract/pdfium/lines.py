"""Words and text lines as pdfplumber gives them with its defaults (WordExtractor, `extract_text_lines()`): characters
clustered by top within 3 pt, split into words at blanks and gaps over 3 pt."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from operator import itemgetter, sub

X_TOLERANCE = 3.0  # pdfplumber's word and line tolerances
Y_TOLERANCE = 3.0
_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_LIGATURE = re.compile("[" + "".join(_LIGATURES) + "]")
# a character's (text, x0, top, x1, bottom), and a word's first five, read in C by map, min and max: a Python loop
# or generator over the characters costs more (a 6-page report's lines 4.2 → 3.7 ms, the same lines)
_TEXT, _X0, _TOP, _X1, _BOTTOM = (itemgetter(i) for i in range(5))


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    char_width: float  # the widest character (extract.pdf measures indents and wraps in it)
    # the text with the footnote marks after its words' numbers dropped (extract.pdfium.marks), where it has any:
    # an unruled table's row reads its values so; a paragraph keeps its superscripts
    unmarked: str | None = None
    # the x range of each of the text's space-separated words, where known: an unruled table's row places its values
    # in their columns by them (extract.columns)
    spans: list[tuple[float, float]] | None = None


def cluster(items: list, key, tolerance: float) -> list[list]:
    """pdfplumber's cluster_objects: distinct key values chained within `tolerance`, clusters in key order, items
    in their given order within a cluster."""
    if not items:
        return []
    keys = list(map(key, items))
    if keys[-1] == keys[0] and keys.count(keys[0]) == len(keys):  # one cluster: a cell's characters on one line
        return [list(items)]
    ids = cluster_ids(keys, tolerance)
    groups: list[list] = [[] for _ in range(len(set(ids.values())))]
    for it, k in zip(items, keys):
        groups[ids[k]].append(it)
    return groups


def cluster_ids(values, tolerance: float) -> dict[float, int]:
    ids: dict[float, int] = {}
    group, last = -1, None
    for v in sorted(set(values)):
        if last is None or v > last + tolerance:
            group += 1
        ids[v] = group
        last = v
    return ids


def words(chars: list[tuple]) -> list[tuple]:
    """(text, x0, top, x1, bottom, chars) words: characters clustered into lines by top, sorted by x0, split at
    blanks and at gaps over 3 pt (pdfplumber's WordExtractor with its defaults)."""
    out = []
    for line in cluster(chars, _TOP, Y_TOLERANCE):
        line.sort(key=_X0)
        current: list[tuple] = []
        for ch in line:
            if ch[0].isspace():
                if current:
                    out.append(_word(current))
                current = []
                continue
            if current:
                prev = current[-1]
                if ch[1] < prev[1] or ch[1] > prev[3] + X_TOLERANCE or abs(ch[2] - prev[2]) > Y_TOLERANCE:
                    out.append(_word(current))
                    current = []
            current.append(ch)
        if current:
            out.append(_word(current))
    return out


def _word(chars: list[tuple]) -> tuple:
    if len(chars) == 1:
        ch = chars[0]
        return (_LIGATURES.get(ch[0], ch[0]), ch[1], ch[2], ch[3], ch[4], chars)
    text = "".join(map(_TEXT, chars))
    if _LIGATURE.search(text):
        text = "".join([_LIGATURES.get(ch, ch) for ch in text])
    return (text, chars[0][1], min(map(_TOP, chars)), max(map(_X1, chars)), max(map(_BOTTOM, chars)), chars)


def word_lines(words: list[tuple]) -> list[list[tuple]]:
    return cluster(words, _TOP, Y_TOLERANCE)


def text_lines(chars: list[tuple]) -> list[Line]:
    """page.extract_text_lines(): the page's words, consecutive words with tops within 3 pt on one line."""
    found = words(chars)
    lines = []
    ids = cluster_ids([w[2] for w in found], Y_TOLERANCE)
    for _, same in itertools.groupby(found, key=lambda w: ids[w[2]]):
        same = list(same)
        text = " ".join(map(_TEXT, same)).strip(" ")
        if not text.strip():
            continue
        members = [ch for w in same for ch in w[5]]
        sizes = list(map(sub, map(_BOTTOM, members), map(_TOP, members)))
        lines.append(Line(text, min(map(_X0, same)), min(map(_TOP, same)), max(map(_X1, same)),
                          max(map(_BOTTOM, same)), max(map(sub, map(_X1, members), map(_X0, members))),
                          unmarked_words(same) if min(sizes) != max(sizes) else None,
                          list(zip(map(_X0, same), map(_X1, same)))))
    return lines


def unmarked_words(same: list[tuple]) -> str | None:
    """A line's words (as words() gives them) joined as text_lines joins them, each without the footnote marks
    after its number (extract.pdfium.marks: '821' and a small raised '1' is 821); None where no word has one."""
    from govreports.extract.pdfium.marks import cell_text, unmarked

    if not any(unmarked(list(w[5])) is not None for w in same):
        return None
    return " ".join(cell_text(list(w[5]), lambda chars: _word(chars)[0]) for w in same).strip(" ")
