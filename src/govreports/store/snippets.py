"""Search results as people read them: each hit's snippet, starting at the beginning of the clause that holds the
first word found (never in the middle of a word or a run of letters or digits), with every word found marked
(Datasette's canned search shows the same: serve.search). Kept apart from store.fts, which finds the sections:
this only shows them."""

from __future__ import annotations

import re
from typing import Iterable

SNIPPET_WIDTH = 100  # characters of text around the first word found
LEAD = 40            # at most this far back from the first word to the start of its clause
MARK = ("**", "**")  # how words found are marked in plain text (CSV, JSON)
OCCURRENCES = 200    # where the words occur more often, the snippet is chosen among their first occurrences
_SENTENCE_END = set("。！？；!?;…")
_CLAUSE_END = set("，、：,:（）()“”‘’《》「」【】 ") | _SENTENCE_END
_WORD = re.compile(r"[0-9A-Za-z]")


def _boundary_before(text: str, pos: int) -> int:
    """Where a snippet showing `pos` starts: after the nearest sentence end within LEAD characters, else the start
    of the text if that near, else after the nearest clause mark, else `pos` itself (the word found begins
    there); never inside a run of letters or digits."""
    lo = max(0, pos - LEAD)
    for ends in (_SENTENCE_END, None, _CLAUSE_END):
        if ends is None:  # the text's own start is the start of its first sentence
            if lo == 0:
                return 0
            continue
        for i in range(pos - 1, lo - 1, -1):
            if text[i] in ends:
                return i + 1
    while pos > 0 and _WORD.match(text[pos - 1]) and _WORD.match(text[pos]):
        pos -= 1
    return pos


def _boundary_after(text: str, start: int, must_show: int) -> int:
    """Where a snippet from `start` ends: at the last sentence or clause end within SNIPPET_WIDTH (but after
    `must_show`), else at the width, moved back out of a run of letters or digits."""
    limit = max(start + SNIPPET_WIDTH, must_show)
    if limit >= len(text):
        return len(text)
    for ends in (_SENTENCE_END, _CLAUSE_END):
        for i in range(limit - 1, must_show - 1, -1):
            if text[i] in ends:
                return i + 1
    end = limit
    while end > must_show and _WORD.match(text[end - 1]) and _WORD.match(text[end]):
        end -= 1
    return end


def _positions(text: str, word: str):
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def snippet_spans(text: str | None, terms: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A snippet of `text` showing as many of `terms` as one snippet can (the earliest such), and the (start, end)
    offsets in it of every term found there (overlaps merged). Whitespace runs are shown as one space; '…' marks text left out."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    folded = flat.casefold()
    words = [t.casefold() for t in terms if t]
    found = sorted((pos, len(t)) for t in words for pos in _positions(folded, t))
    start, end, best = 0, _boundary_after(flat, 0, 0), -1  # no word in the text: matched in the heading only
    for pos, length in found[:OCCURRENCES]:  # the window showing the most of the words, the earliest of those
        a = _boundary_before(flat, pos)
        b = _boundary_after(flat, a, pos + length)
        shown = sum(1 for t in words if t in folded[a:b])
        if shown > best:
            start, end, best = a, b, shown
    while start < end and flat[start] == " ":
        start += 1
    shown = flat[start:end].rstrip()
    lower = shown.casefold()
    spans: list[tuple[int, int]] = []
    for t in terms:
        t = t.casefold()
        at = lower.find(t)
        while t and at >= 0:
            spans.append((at, at + len(t)))
            at = lower.find(t, at + len(t))
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + len(shown) < len(flat) else ""
    return prefix + shown + suffix, [(a + len(prefix), b + len(prefix)) for a, b in merged]


def marked(snippet: str, spans: list[tuple[int, int]], mark: tuple[str, str] = MARK) -> str:
    """The snippet with every span between `mark`s: `…发生**行政复议**案件2件。`"""
    out, at = [], 0
    for a, b in spans:
        out += [snippet[at:a], mark[0], snippet[a:b], mark[1]]
        at = b
    return "".join(out) + snippet[at:]


def hits(rows: Iterable[tuple], terms: list[str], mark: tuple[str, str] | None = MARK) -> Iterable[tuple]:
    """store.fts.search_query's rows as search results (store.fts.COLUMNS): the body replaced by its snippet,
    words marked with `mark`, or, with `mark=None`, the snippet as (text, spans) for a caller that highlights on
    its own."""
    for *head, body in rows:
        text, spans = snippet_spans(body, terms)
        yield (*head, (text, spans) if mark is None else marked(text, spans, mark))
