"""Full-text search over report sections that works for Chinese.

The FTS5 `trigram` tokenizer (migration m002) matches any substring of three or more characters; Chinese has no
spaces, so `unicode61` would index a whole run of Han characters as one token and find almost nothing. Trigrams
cannot match 1–2 character terms (公开, 复议), so those fall back to LIKE on the base table (on the FTS table
LIKE returns nothing). Only reports' current versions are searched.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.agency import normalise_agency

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


def search_query(query: str, limit: int = 50, *, year: int | None = None,
                 agency: str | None = None) -> tuple[str, list] | None:
    """The SQL and parameters that find sections of current reports containing every whitespace-separated term of
    `query`, optionally only one year's reports or those of agencies whose name contains `agency`; None when
    `query` has no terms. Kept apart from running it so `govreports search` can run it read-only."""
    terms = query.split()
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
    if agency:
        where.append("(a.name LIKE ? ESCAPE '\\' OR a.norm_name LIKE ? ESCAPE '\\')")
        params += [_like(agency), _like(normalise_agency(agency))]
    sql = f"""SELECT r.id AS report_id, a.name AS agency, r.year, s.section, s.heading,
      substr(s.body, max(1, instr(s.body, ?) - 30), 80) AS snippet
    FROM sections s JOIN reports r ON r.current_version_id = s.version_id JOIN agencies a ON a.id = r.agency_id
    WHERE {' AND '.join(where)} ORDER BY r.year DESC, r.id, s.section LIMIT ?"""
    return sql, [terms[0], *params, limit]


def search_sections(db: Database, query: str, limit: int = 50, *, year: int | None = None,
                    agency: str | None = None) -> list[dict]:
    """Run `search_query`: the matching sections as dicts (report_id, agency, year, section, heading, snippet)."""
    built = search_query(query, limit, year=year, agency=agency)
    return [dict(row) for row in db.query(*built)] if built else []
