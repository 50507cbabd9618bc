"""Words and text lines as pdfplumber gives them with its defaults (WordExtractor, `extract_text_lines()`): characters
clustered by top within 3 pt, split into words at blanks and gaps over 3 pt."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

X_TOLERANCE = 3.0  # pdfplumber's word and line tolerances
Y_TOLERANCE = 3.0
_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    char_width: float  # the widest character (extract.pdf measures indents and wraps in it)


def cluster(items: list, key, tolerance: float) -> list[list]:
    """pdfplumber's cluster_objects: distinct key values chained within `tolerance`, clusters in key order, items
    in their given order within a cluster."""
    ids = cluster_ids([key(it) for it in items], tolerance)
    groups: list[list] = [[] for _ in range(len(set(ids.values())))]
    for it in items:
        groups[ids[key(it)]].append(it)
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
    for line in cluster(chars, lambda ch: ch[2], Y_TOLERANCE):
        line.sort(key=lambda ch: ch[1])
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
    text = "".join(_LIGATURES.get(ch[0], ch[0]) for ch in chars) if len(chars) > 1 else chars[0][0]
    x0, top, x1, bottom = chars[0][1:5]
    for ch in chars:
        if ch[2] < top:
            top = ch[2]
        if ch[3] > x1:
            x1 = ch[3]
        if ch[4] > bottom:
            bottom = ch[4]
    return (_LIGATURES.get(text, text), x0, top, x1, bottom, chars)


def word_lines(words: list[tuple]) -> list[list[tuple]]:
    return cluster(words, lambda w: w[2], Y_TOLERANCE)


def text_lines(chars: list[tuple]) -> list[Line]:
    """page.extract_text_lines(): the page's words, consecutive words with tops within 3 pt on one line."""
    found = words(chars)
    lines = []
    ids = cluster_ids([w[2] for w in found], Y_TOLERANCE)
    for _, same in itertools.groupby(found, key=lambda w: ids[w[2]]):
        same = list(same)
        text = " ".join(w[0] for w in same).strip(" ")
        if not text.strip():
            continue
        members = [ch for w in same for ch in w[5]]
        lines.append(Line(text, min(w[1] for w in same), min(w[2] for w in same), max(w[3] for w in same),
                          max(w[4] for w in same), max(ch[3] - ch[1] for ch in members)))
    return lines
