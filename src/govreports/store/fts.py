"""Full-text search over report sections that works for Chinese.

The FTS5 `trigram` tokenizer (migration m002) matches any substring of three or more characters; Chinese has no
spaces, so `unicode61` would index a whole run of Han characters as one token and find almost nothing. Trigrams
cannot match 1–2 character terms (公开, 复议), so those fall back to LIKE on the base table (on the FTS table
LIKE returns nothing). Only reports' current versions are searched.

Queries are taken as people type them: several words without quotes (`依申请 公开 复议`) find the sections that
contain every word, in any order. Each hit carries a snippet that starts at the beginning of the clause holding
the first word found (never in the middle of a word or a run of characters) with every word found marked.
"""

from __future__ import annotations

import re
from typing import Iterable

from sqlite_utils import Database

# A LIKE search usable as-is by Datasette (canned query with :q), for terms of any length.
LIKE_SQL = """SELECT r.id AS report_id, a.name AS agency, r.year, s.section, s.heading,
  substr(s.body, max(1, instr(s.body, :q) - 30), 80) AS snippet
FROM sections s
JOIN reports r ON r.current_version_id = s.version_id
JOIN agencies a ON a.id = r.agency_id
WHERE :q != '' AND s.body LIKE '%' || :q || '%'
ORDER BY r.year DESC, r.id, s.section"""


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_terms(query: str | Iterable[str]) -> list[str]:
    """The words of a query, as typed: one string or several (the shell's words), split on any whitespace
    (the ideographic space too); repeated words once."""
    words = query.split() if isinstance(query, str) else [w for part in query for w in str(part).split()]
    return list(dict.fromkeys(words))


COLUMNS = ["report_id", "agency", "year", "section", "heading", "snippet"]


def search_query(query: str | Iterable[str], limit: int = 50, *, year: int | None = None,
                 agency_id: int | None = None) -> tuple[str, list] | None:
    """The SQL and parameters that find sections of current reports containing every word of `query`, optionally
    only one year's reports or one agency's (its id: resolve a name with query.agencies.resolve_agency); None
    when `query` has no words. Rows: report_id, agency, year, section, heading, body — `hits` turns them into
    search results with snippets. Kept apart from running it so `govreports search` can run it read-only."""
    terms = search_terms(query)
    if not terms:
        return None
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    where, params = [], []
    if long_terms:
        where.append("s.id IN (SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?)")
        params.append(" AND ".join(_fts_phrase(t) for t in long_terms))
    for term in short_terms:
        where.append("(s.body LIKE ? ESCAPE '\\' OR s.heading LIKE ? ESCAPE '\\')")
        params += [_like(term), _like(term)]
    if year is not None:
        where.append("r.year = ?")
        params.append(year)
    if agency_id is not None:
        where.append("a.id = ?")
        params.append(agency_id)
    sql = f"""SELECT r.id AS report_id, a.name AS agency, r.year, s.section, s.heading, s.body
    FROM sections s JOIN reports r ON r.current_version_id = s.version_id JOIN agencies a ON a.id = r.agency_id
    WHERE {' AND '.join(where)} ORDER BY r.year DESC, r.id, s.section LIMIT ?"""
    return sql, [*params, limit]


# Snippets -----------------------------------------------------------------------------------------------------------

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
    """`search_query`'s rows as search results (COLUMNS): the body replaced by its snippet, words marked with
    `mark`, or, with `mark=None`, the snippet as (text, spans) for a caller that highlights on its own."""
    for *head, body in rows:
        text, spans = snippet_spans(body, terms)
        yield (*head, (text, spans) if mark is None else marked(text, spans, mark))


def search_sections(db: Database, query: str | Iterable[str], limit: int = 50, *, year: int | None = None,
                    agency: str | None = None) -> list[dict]:
    """Run `search_query`: the matching sections as dicts (COLUMNS). `agency` is a name, resolved by the one rule
    of query.agencies (exact, then normalised; else AgencyNotFound with suggestions)."""
    agency_id = None
    if agency:
        from govreports.query.agencies import resolve_agency  # the rule lives with the queries

        agency_id = resolve_agency(db.conn, agency).id
    built = search_query(query, limit, year=year, agency_id=agency_id)
    if built is None:
        return []
    return [dict(zip(COLUMNS, row)) for row in hits(db.execute(*built).fetchall(), search_terms(query))]
