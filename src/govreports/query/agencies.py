"""One rule for naming an agency on the command line, shared by every command that takes one (`analyze`,
`search`, `export`, `report`).

An agency is found by its exact name, else by its normalised name (store.agency.normalise_agency: spacing,
full-width forms, traditional characters do not matter). Nothing else matches: a name that is only part of
agencies' names (数据局) is an error that lists them as suggestions — a filter that silently picked one, or none,
or several, would answer a different question than the one asked.

    resolve_agency(conn, text) -> Agency            raises AgencyNotFound (exit 1) with suggestions
    suggest_agencies(conn, text, limit=5) -> (names, more)
    agency_years(conn, agency_id) -> [years with a report]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from govreports.errors import EXIT_USAGE, GovreportsError
from govreports.store.agency import normalise_agency

SUGGESTIONS = 5


@dataclass(frozen=True)
class Agency:
    id: int
    name: str          # as first written
    norm_name: str     # the key names are matched by
    region: str | None


class AgencyNotFound(GovreportsError):
    """No agency has this name (exit 1); the message suggests the names the user may have meant."""

    def __init__(self, text: str, suggestions: list[str], more: int = 0, empty: bool = False):
        self.text, self.suggestions, self.more = text, suggestions, more
        message = f"no agency {text!r}"
        if suggestions:
            extra = f" (and {more} more)" if more else ""
            message += f"; did you mean {', '.join(suggestions)}{extra}?"
        elif empty:
            message += " (the database has no agencies yet: load or crawl reports first)"
        else:
            message += " (the names are listed by `govreports query \"SELECT name FROM agencies ORDER BY name\"`)"
        super().__init__(message)


class AgencyNameMissing(GovreportsError):
    exit_code = EXIT_USAGE


def _row(row) -> Agency:
    return Agency(int(row[0]), row[1], row[2], row[3])


def _columns(conn) -> str:
    """`region` may be absent from a database made before agencies carried one."""
    names = {r[1] for r in conn.execute("PRAGMA table_info(agencies)")}
    return "id, name, norm_name, " + ("region" if "region" in names else "NULL")


def resolve_agency(conn, text: str) -> Agency:
    """The agency `text` names: exact name first, then the normalised name. `conn` is a sqlite3 connection or a
    sqlite_utils Database (anything with `execute`)."""
    if text is None or not text.strip():
        raise AgencyNameMissing("give an agency name")
    cols = _columns(conn)
    row = conn.execute(f"SELECT {cols} FROM agencies WHERE name = ? ORDER BY id LIMIT 1", [text]).fetchone()
    if row is None:
        row = conn.execute(f"SELECT {cols} FROM agencies WHERE norm_name = ?", [normalise_agency(text)]).fetchone()
    if row is None:
        names, more = suggest_agencies(conn, text)
        empty = not names and conn.execute("SELECT 1 FROM agencies LIMIT 1").fetchone() is None
        raise AgencyNotFound(text, names, more, empty=empty)
    return _row(row)


def suggest_agencies(conn, text: str, limit: int = SUGGESTIONS) -> tuple[list[str], int]:
    """Names `text` may have meant, best first, at most `limit`, and how many more matched: the agencies whose
    normalised name contains it (or is contained in it: `甲市教育局2020`), shortest first; then, while there is
    room, the closest names by characters in common (上海市人民政府 → 上海市人民政府办公厅, and 上海市政府, the
    government's own reports under another name: suggesting only the names containing the text sent the user to
    another agency). `more` counts the containing names left out."""
    norm = normalise_agency(text or "")
    if not norm:
        return [], 0
    rows = conn.execute(
        "SELECT name, norm_name FROM agencies WHERE norm_name != '' AND (instr(norm_name, ?) > 0 OR instr(?, norm_name)"
        " > 0) ORDER BY length(norm_name), norm_name", [norm, norm]).fetchall()  # '': the reports with no agency
    names = [r[0] for r in rows]
    if len(names) < limit:
        all_rows = conn.execute("SELECT name, norm_name FROM agencies WHERE norm_name != ''").fetchall()
        by_norm = {r[1]: r[0] for r in all_rows}
        # beside names containing the text, only names nearly the same (上海市政府 0.83; 宿迁市人民政府办公室 0.59)
        cutoff = 0.75 if names else 0.5
        close = [by_norm[n] for n in difflib.get_close_matches(norm, list(by_norm), n=limit, cutoff=cutoff)]
        names += [n for n in close if n not in names][:limit - len(names)]
    return names[:limit], max(0, len(names) - limit)


def agency_years(conn, agency_id: int) -> list[int]:
    """The years this agency has a report for, in order."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT year FROM reports WHERE agency_id = ? AND year IS NOT NULL"
        " AND current_version_id IS NOT NULL ORDER BY year", [agency_id])]
