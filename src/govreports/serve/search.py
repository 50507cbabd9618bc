"""Datasette's canned search (search_sections) is `govreports search`: store.fts.find_sections run by an SQL
function that `serve` registers on Datasette's connections (serve.datasette_main), its rows unpacked by the canned
query. One statement of SQL could not choose, as find_sections does, between the trigram index (rare words, 1–2
character ones included, through m012/m013's tables) and the newest reports in order (common ones); the LIKE over
every section it replaced read the whole table for a rare word: 0.78 s at 25,000 reports, ~9 s at 300,000, past
Datasette's 3 s time limit. Rows: store.fts.COLUMNS, the snippet's words marked as the CLI's CSV marks them."""

from __future__ import annotations

import json
import sqlite3

from govreports.store.fts import COLUMNS, find_sections, search_terms
from govreports.store.snippets import hits

FUNCTION = "govreports_search"
LIMIT = 200  # the newest matches shown (the CLI's --limit); Datasette shows no more than 1,000 rows anyway

SQL = ("SELECT " + ", ".join(f"json_extract(h.value, '$[{i}]') AS {name}" for i, name in enumerate(COLUMNS))
       + f"\nFROM json_each({FUNCTION}(:q, {LIMIT})) h ORDER BY h.key")


def search_json(conn: sqlite3.Connection, query: str | None, limit: int) -> str:
    """The CLI search's results for `query` as a JSON array of rows (COLUMNS); its statements run on `conn`
    (inside the calling statement: under Datasette's time limit, which interrupts them too)."""
    terms = search_terms(query or "")
    rows = find_sections(lambda sql, params: conn.execute(sql, params).fetchall(), terms, int(limit))
    return json.dumps([list(row) for row in hits(rows, terms)], ensure_ascii=False)


def register(conn: sqlite3.Connection) -> None:
    conn.create_function(FUNCTION, 2, lambda query, limit: search_json(conn, query, limit))
