"""Full-text search over report sections that works for Chinese.

The FTS5 `trigram` tokenizer (migration m002) matches any substring of three or more characters; Chinese has no
spaces, so `unicode61` would index a whole run of Han characters as one token and find almost nothing. Trigrams
cannot match 1–2 character terms (公开, 复议), so those fall back to LIKE on the base table (on the FTS table
LIKE returns nothing). Only reports' current versions are searched, newest year first; a common word is found
among the newest reports without taking every match from the index (see WINDOW), and a 1–2 character word that
is rare is found through the trigram index after all (see Short).

Queries are taken as people type them: several words without quotes (`依申请 公开 复议`) find the sections that
contain every word, in any order. Each hit carries a snippet with the words found marked (store.snippets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Iterable

from sqlite_utils import Database

from govreports.store.migrations.heading_search import HEADING_END
from govreports.store.migrations.short_words import TAIL
from govreports.store.snippets import hits


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _in_column(column: str, terms: list[str], op: str) -> str:
    """An index query on one column (the index holds body and heading, m013): `body : ("a" AND "b")`."""
    return f"{column} : (" + f" {op} ".join(_fts_phrase(t) for t in terms) + ")"


def _in_body(long_terms: list[str]) -> str:
    """Sections whose body holds every long word: a long word is looked for in the body only."""
    return _in_column("body", long_terms, "AND")


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
        params.append(_in_body(long_terms))
    for term in short_terms:
        where.append("(s.body LIKE ? ESCAPE '\\' OR s.heading LIKE ? ESCAPE '\\')")
        params += [_like(term), _like(term)]
    return _section_rows(where, params, limit, year, agency_id, agency_column="a.id")


def _section_rows(where: list[str], params: list, limit: int, year: int | None, agency_id: int | None, *,
                  agency_column: str = "r.agency_id") -> tuple[str, list]:
    """The rows every search returns (report_id, agency, year, section, heading, body), in result order, of the
    sections meeting `where` and the year and agency filters."""
    where, params = list(where), list(params)
    if year is not None:
        where.append("r.year = ?")
        params.append(year)
    if agency_id is not None:
        where.append(f"{agency_column} = ?")
        params.append(agency_id)
    sql = f"""SELECT r.id AS report_id, a.name AS agency, r.year, s.section, s.heading, s.body
    FROM sections s JOIN reports r ON r.current_version_id = s.version_id JOIN agencies a ON a.id = r.agency_id
    WHERE {' AND '.join(where)} ORDER BY r.year DESC, r.id, s.section LIMIT ?"""
    return sql, [*params, limit]

# Newest first without sorting every match ---------------------------------------------------------------------------
# Results come newest year first. A common word matches hundreds of thousands of sections at national scale, and
# taking them all from the index to sort them costs seconds; a rare one matches few. So unless the index says the
# words are rare (fewer than RARE matches: those are taken from it and sorted), the sections of the newest WINDOW
# reports (in result order, through the index reports_recent of m009) are read first, every word checked with
# LIKE: when that finds `limit` sections they are the answer (nothing before them was skipped), as it is when the
# filters select no more than WINDOW reports; otherwise the full search (search_query) runs.

WINDOW = 3000  # reports read in order before the full search; ~20,000 sections
RARE = 2000    # fewer index matches than this: the full search's sort is cheap


def _fast_path(terms: list[str]) -> bool:
    """LIKE folds the case of ASCII letters only, the trigram index of any letter: a word with another cased
    letter (Ａ, Ä) goes straight to the index."""
    return all(ch.isascii() or ch.lower() == ch.upper() for t in terms for ch in t)


@dataclass(frozen=True)
class Window:
    """The window's statements (SQL, parameters): `edge` finds the last report of the window (its year and id);
    `within` searches the reports up to it (append that year, year, id and the limit to its parameters); `every`
    searches every report the filters select (append the limit); `rare` counts the sections whose body has
    every long word, up to RARE (at least one: none found means no rows), None when every word is shorter than
    3 characters."""

    edge: tuple[str, list]
    within: tuple[str, list]
    every: tuple[str, list]
    rare: tuple[str, list] | None


def _like_words(terms: list[str]) -> tuple[list[str], list]:
    """Every word as a LIKE condition: what search_query matches, for words that pass _fast_path (a long word is
    looked for in the body, as the trigram index does; a short one in the body or the heading)."""
    words, params = [], []
    for term in terms:
        if len(term) >= 3:
            words.append("s.body LIKE ? ESCAPE '\\'")
            params.append(_like(term))
        else:
            words.append("(s.body LIKE ? ESCAPE '\\' OR s.heading LIKE ? ESCAPE '\\')")
            params += [_like(term), _like(term)]
    return words, params


def window_queries(query: str | Iterable[str], *, year: int | None = None,
                   agency_id: int | None = None) -> Window | None:
    """The statements of the window (see Window); None when the words cannot be checked with LIKE (see
    _fast_path) or there are none."""
    terms = search_terms(query)
    if not terms or not _fast_path(terms):
        return None
    where, params = [], []
    if year is not None:
        where.append("r.year = ?")
        params.append(year)
    if agency_id is not None:
        where.append("r.agency_id = ?")
        params.append(agency_id)
    cond = " AND ".join(["r.current_version_id IS NOT NULL", *where])
    edge = (f"SELECT r.year, r.id FROM reports r WHERE {cond} ORDER BY r.year DESC, r.id LIMIT 1 OFFSET ?",
            [*params, WINDOW - 1])
    words, word_params = _like_words(terms)
    sql = """SELECT r.id AS report_id, a.name AS agency, r.year, s.section, s.heading, s.body
    FROM reports r JOIN sections s ON s.version_id = r.current_version_id JOIN agencies a ON a.id = r.agency_id
    WHERE {where} ORDER BY r.year DESC, r.id, s.section LIMIT ?"""
    every = " AND ".join([*where, *words])
    long_terms = [t for t in terms if len(t) >= 3]
    rare = (("SELECT count(*) FROM (SELECT 1 FROM sections_fts WHERE sections_fts MATCH ? LIMIT ?)",
             [_in_body(long_terms), max(RARE, 1)]) if long_terms else None)
    return Window(edge, (sql.format(where=every + " AND (r.year > ? OR (r.year = ? AND r.id <= ?))"),
                         [*params, *word_params]),
                  (sql.format(where=every), [*params, *word_params]), rare)


# Rare short words through the trigram index -------------------------------------------------------------------------
# A 1–2 character word cannot be matched by the trigram index, but every occurrence of it that has two characters
# after it is the start of a trigram, in the body or the heading (m013), and the vocabulary table (m012) lists the
# trigrams that start with it by range. What is left is the word in the last two characters of a body or a
# heading: a body's (a body shorter than three included) through m012's index of body tails; a heading's through
# its last trigram, which the index matches in the heading column (m013's index of heading ends lists them, and
# the headings shorter than three characters, found through it directly). Both are read a distinct value at a time
# (a report has a few dozen headings and sentence ends). So the sections holding the word are those the index
# matches by one of its trigrams or heading ends, plus those two lists' sections. That set contains every section
# the word's LIKE matches (the index folds case as LIKE does for the words _fast_path lets through), and the
# search checks every word with LIKE among it, so the rows are search_query's. Two words' index matches are one
# index query: the index intersects them, a standard heading's word (复议, 情况) included.
# Why this and not a contentless index of every 1–2 character token kept by the loader: this adds no table, only
# the heading column of the index and two ordinary indexes, and a rare word costs under 1 ms (a rare or absent
# 2-character word read every section before: 1.8–2.4 s).
# A word is rare when it starts fewer than RARE trigram occurrences (counted lazily by the 'instance'
# vocabulary, so counting stops at RARE) and its tails and heading ends hold fewer than RARE sections: then the
# search goes there directly. Otherwise the window comes first, and when it holds too few this is the search it
# falls back on (the 'row' vocabulary lists a common word's trigrams: 10–120 ms), unless many sections have a
# body tail or a short heading holding a word (they are a union, not intersected by the index), where the full
# search, which reads only the sections the filters select, costs less than reading that many candidates.

_DISTINCT = """WITH RECURSIVE d(v) AS (SELECT min({e}) FROM sections
  UNION ALL SELECT (SELECT min({e}) FROM sections WHERE {e} > d.v) FROM d WHERE d.v IS NOT NULL)
SELECT v FROM d WHERE {tail} LIKE ? ESCAPE '\\'"""  # an index seek per distinct value, not a scan


# The indexes, named: once ANALYZE has counted few distinct tails (~80,000 sections share one at 300,000 reports),
# SQLite judged a list of them from json_each worth a scan of every section instead (0.2 ms -> 0.9 s for a rare
# word). The lists here are a rare word's few values: the index it is.
_BY_TAIL = "INDEXED BY sections_tail"
_BY_END = "INDEXED BY sections_heading_end"


def _prefix_range(term: str) -> tuple[str, str | None]:
    """[low, high) of the trigrams that start with `term` as the index stores it (ASCII folded)."""
    low = term.lower()
    last = ord(low[-1])
    return low, (low[:-1] + chr(last + 1) if last < 0x10FFFF else None)


def _range_where(term: str) -> tuple[str, list]:
    low, high = _prefix_range(term)
    return ("term >= ?" + (" AND term < ?" if high else ""), [low, *([high] if high else [])])


@dataclass
class Short:
    """The sections that can hold one short word (see above): the trigrams that start with it, the body tails
    that contain it, the heading ends (last trigrams) and short headings whose last two characters contain it, and
    `rare`, whether they are few."""

    term: str
    trigrams: list[str] | None  # None: too many occurrences to list them from the instances (see listed)
    tails: list[str]
    ends: list[str]  # last trigrams of headings: matched by the index in the heading column
    short_headings: list[str]  # whole headings of 1–2 characters: found through sections_heading_end
    rare: bool
    few_edges: bool  # fewer than RARE sections through body tails and short headings

    @classmethod
    def read(cls, execute, term: str) -> "Short":
        where, params = _range_where(term)
        started = execute(f"SELECT term FROM sections_fts_vocab_instance WHERE {where} LIMIT ?", [*params, RARE])
        trigrams = list(dict.fromkeys(row[0] for row in started)) if len(started) < RARE else None
        tails = [row[0] for row in execute(_DISTINCT.format(e=TAIL, tail="v"), [_like(term)])]
        found = [row[0] for row in execute(_DISTINCT.format(e=HEADING_END, tail="substr(v, -2)"), [_like(term)])]
        ends = [v for v in found if len(v) == 3]
        short_headings = [v for v in found if len(v) < 3]
        edges = execute(f"""SELECT count(*) FROM (
            SELECT 1 FROM sections {_BY_TAIL} WHERE {TAIL} IN (SELECT value FROM json_each(?))
            UNION ALL SELECT 1 FROM sections {_BY_END} WHERE {HEADING_END} IN (SELECT value FROM json_each(?))
            LIMIT ?)""",
                        [json.dumps(tails), json.dumps(short_headings), RARE])[0][0] if tails or short_headings else 0
        in_ends = execute("SELECT count(*) FROM (SELECT 1 FROM sections_fts WHERE sections_fts MATCH ? LIMIT ?)",
                          [_in_column("heading", ends, "OR"), RARE])[0][0] if ends else 0
        return cls(term, trigrams, tails, ends, short_headings,
                   len(started) < RARE and edges < RARE and in_ends < RARE, edges < RARE)

    def listed(self, execute) -> "Short":
        """With every trigram listed: from the 'row' vocabulary when the word is common (it counts each trigram's
        occurrences, ~100 ms for a word in most reports: only when the window found too few)."""
        if self.trigrams is not None:
            return self
        where, params = _range_where(self.term)
        trigrams = [row[0] for row in execute(f"SELECT term FROM sections_fts_vocab WHERE {where}", params)]
        return replace(self, trigrams=trigrams)


def _candidates(shorts: list[Short], long_terms: list[str]) -> tuple[str, list] | None:
    """The ids of a set of sections holding every section that has all the words (a superset; None when it is
    empty): those whose body has every long word and, for each short one, a trigram starting with it or a heading
    end holding it (one index query: the index intersects them), and those with one of the short words in a body
    tail or a short heading."""
    parts, params = [], []
    if all(sh.trigrams or sh.ends for sh in shorts):
        groups = []
        for sh in shorts:  # each word: one of its trigrams, in body or heading, or one of its heading ends
            alternatives = [_fts_phrase(t) for t in sh.trigrams]
            if sh.ends:
                alternatives.append(_in_column("heading", sh.ends, "OR"))
            groups.append("(" + " OR ".join(alternatives) + ")")
        parts.append("SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?")
        params.append(" AND ".join([*([_in_body(long_terms)] if long_terms else []), *groups]))
    for sh in shorts:
        if sh.tails:
            parts.append(f"SELECT id FROM sections {_BY_TAIL} WHERE {TAIL} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sh.tails))
        if sh.short_headings:
            parts.append(f"SELECT id FROM sections {_BY_END} WHERE {HEADING_END} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sh.short_headings))
    return (" UNION ".join(parts), params) if parts else None


def short_query(shorts: list[Short], terms: list[str], limit: int, *, year: int | None = None,
                agency_id: int | None = None) -> tuple[str, list] | None:
    """search_query's rows among the sections _candidates gives for `shorts` (some or all of the query's short
    words, their trigrams listed) and the long words, every word checked with LIKE (the terms must pass
    _fast_path); None when that set is empty (no rows)."""
    assert shorts and all(sh.trigrams is not None for sh in shorts), "Short.listed first"
    driver = _candidates(shorts, [t for t in terms if len(t) >= 3])
    if driver is None:
        return None
    words, params = _like_words(terms)
    where = [f"s.id IN ({driver[0]})", *words]
    params = [*driver[1], *params]
    return _section_rows(where, params, limit, year, agency_id)


def _short_words(execute, terms: list[str]) -> list[Short]:
    """The query's short words as Short, the rare ones first; none on a database from before m013 (its index has
    no headings) or without the vocabulary tables: those are searched the full way."""
    short = [t for t in terms if len(t) < 3]
    if not short or execute("SELECT count(*) FROM sqlite_master WHERE name IN"
                            " ('sections_fts_vocab_instance', 'sections_heading_end')", [])[0][0] < 2:
        return []
    found = [Short.read(execute, t) for t in short]
    return sorted(found, key=lambda sh: not sh.rare)


def find_sections(execute, query: str | Iterable[str], limit: int = 50, *, year: int | None = None,
                  agency_id: int | None = None) -> list[tuple]:
    """search_query's rows, found through the window when it can (see WINDOW). `execute(sql, params)` returns
    all rows of one statement: a connection's, or a read-only runner with a time limit."""
    full = search_query(query, limit, year=year, agency_id=agency_id)
    if full is None:
        return []
    window = window_queries(query, year=year, agency_id=agency_id)
    if window is None:
        return execute(*full)
    if window.rare is not None:
        matches = execute(*window.rare)[0][0]
        if matches == 0:  # no body has every long word: the full search, which asks the index the same, finds none
            return []
        if matches < RARE:
            return execute(*full)
    terms = search_terms(query)
    shorts = _short_words(execute, terms)
    if shorts and shorts[0].rare:
        indexed = short_query([sh for sh in shorts if sh.rare], terms, limit, year=year, agency_id=agency_id)
        return execute(*indexed) if indexed is not None else []  # None: no section holds the word
    edge = execute(*window.edge)
    if not edge:  # the filters select no more than WINDOW reports: the window is all of them
        return execute(window.every[0], [*window.every[1], limit])
    y, last = edge[0]
    if y is not None:  # (a window ending among reports without a year: the full search)
        rows = execute(window.within[0], [*window.within[1], y, y, last, limit])
        if len(rows) >= limit:
            return rows
    if shorts and all(sh.few_edges for sh in shorts):
        # common short words the window holds too few of: their sections rather than every section; not when
        # many sections end with one (body tails and short headings are a union the index does not intersect),
        # where reading the sections the filters select costs less
        indexed = short_query([sh.listed(execute) for sh in shorts], terms, limit, year=year, agency_id=agency_id)
        return execute(*indexed) if indexed is not None else []
    return execute(*full)


def run_search(path, query: str | Iterable[str], limit: int = 50, *, year: int | None = None,
               agency_id: int | None = None, timeout: float | None = None) -> list[tuple]:
    """`find_sections` on a database file opened read-only, each statement under `timeout` (query.readonly)."""
    from govreports.query.readonly import run_query

    return find_sections(lambda sql, params: run_query(path, sql, params, timeout=timeout).rows,
                         query, limit, year=year, agency_id=agency_id)


def search_sections(db: Database, query: str | Iterable[str], limit: int = 50, *, year: int | None = None,
                    agency: str | None = None) -> list[dict]:
    """Run `search_query`: the matching sections as dicts (COLUMNS). `agency` is a name, resolved by the one rule
    of query.agencies (exact, then normalised; else AgencyNotFound with suggestions)."""
    agency_id = None
    if agency:
        from govreports.query.agencies import resolve_agency  # the rule lives with the queries

        agency_id = resolve_agency(db.conn, agency).id
    rows = find_sections(lambda sql, params: db.execute(sql, params).fetchall(), query, limit, year=year,
                         agency_id=agency_id)
    return [dict(zip(COLUMNS, row)) for row in hits(rows, search_terms(query))]
