"""The child rows of the versions one load transaction writes (sections, cells, checks, row totals), kept until the
transaction ends and written with one statement per table, and the derived tables that follow the versions made
or no longer current: `current_sums` (m009) and `agency_years` (m011). store.load decides what is written.
"""

from __future__ import annotations

from govreports.store.cell_rows import CELLS_FROM_JSON, encode_cells
from govreports.store.migrations import CURRENT_SUMS_ADD, CURRENT_SUMS_PRUNE, refresh_agency_years
from govreports.store.prepare import Prepared

# Statements, written once: sqlite3's statement cache keeps each prepared (a statement is looked up by its text)
_CHILD_SQL = {
    "sections": "INSERT INTO sections (version_id, report_id, section, heading, body) VALUES (?, ?, ?, ?, ?)",
    "cells": "INSERT INTO cell_values (version_id, key_id, value, raw) VALUES (?, ?, ?, ?)",  # m010
    "checks": "INSERT INTO check_values (version_id, seq, key_id, ok, detail) VALUES (?, ?, ?, ?, ?)",  # m015
    "row_totals": "INSERT INTO row_totals (version_id, report_id, table_name, row_key, n) VALUES (?, ?, ?, ?, ?)",
}


class KeyIds:
    """Ids of the keys a table names once (cell_keys m010, check_keys m015): read at first use, a key this
    database has not seen inserted, within the loader's transaction."""

    def __init__(self, conn, table: str, columns: tuple[str, ...]) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self._ids: dict[tuple, int] | None = None

    def ids(self, keys: list[tuple]) -> list[int]:
        if self._ids is None:
            self._ids = {tuple(row[1:]): row[0] for row in self.conn.execute(
                f"SELECT id, {', '.join(self.columns)} FROM {self.table}")}
        try:
            return list(map(self._ids.__getitem__, keys))
        except KeyError:  # a key this database has not seen yet
            insert = (f"INSERT INTO {self.table} ({', '.join(self.columns)})"
                      f" VALUES ({', '.join('?' * len(self.columns))})")
            for key in keys:
                if key not in self._ids:
                    self._ids[key] = self.conn.execute(insert, key).lastrowid
            return list(map(self._ids.__getitem__, keys))


class Children:
    """Child rows of the versions written in one transaction, inserted with one executemany per table at the end
    (version ids only grow, so the cells arrive in primary-key order), and the versions that became or stopped
    being current (`moves`: version_id, year, +1/-1), added to `current_sums` (m009) once their rows are in, and
    the agencies whose reports or region were written (`agencies`), whose agency-years (m011) are rewritten."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.rows: dict[str, list[tuple]] = {t: [] for t in _CHILD_SQL}
        self.moves: list[tuple] = []
        self.agencies: set[int] = set()
        self.cell_keys = KeyIds(conn, "cell_keys", ("table_name", "row_key", "col_key"))  # (table, row, col)
        self.check_keys = KeyIds(conn, "check_keys", ("rule", "location"))
        self.cell_objects: list[tuple[int, str]] = []  # (version_id, {key id: int or null}): see CELLS_FROM_JSON

    def move(self, year: int | None, old_version: int | None, new_version: int, old_year: int | None = None
             ) -> None:
        """`old_year`: the year the old version was counted under (a report whose year was corrected)."""
        if old_version is not None:
            self.moves.append((old_version, year if old_year is None else old_year, -1))
        self.moves.append((new_version, year, 1))

    def add(self, p: Prepared, version_id: int, report_id: int) -> None:
        ids = (version_id, report_id)
        for table, rows in (("sections", p.sections), ("row_totals", p.totals)):
            self.rows[table] += map(ids.__add__, rows)
        if p.checks:
            key_ids = self.check_keys.ids([(rule, where) for _, rule, where, _, _ in p.checks])
            self.rows["checks"] += [(version_id, seq, key_id, ok, detail)
                                    for (seq, _, _, ok, detail), key_id in zip(p.checks, key_ids)]
        cells, bound = encode_cells(version_id, self.cell_keys.ids(p.cell_keys), p.cell_values, p.bound_cells)
        self.cell_objects.append((version_id, cells))
        self.rows["cells"] += bound

    def flush(self, conn) -> None:
        if self.cell_objects:
            conn.executemany(CELLS_FROM_JSON, self.cell_objects)
            self.cell_objects.clear()
        for table, rows in self.rows.items():
            if not rows:
                continue
            if table == "sections":
                insert_sections(conn, rows)
            else:
                conn.executemany(_CHILD_SQL[table], rows)
            rows.clear()
        if self.moves:
            add_current_sums(conn, self.moves)
            self.moves.clear()
        if self.agencies:
            refresh_agency_years(conn, self.agencies)
            self.agencies.clear()


_STAGE_MOVES = "CREATE TEMP TABLE IF NOT EXISTS load_moves (version_id INTEGER, year INTEGER, sign INTEGER)"


def add_current_sums(conn, moves: list[tuple]) -> None:
    """current_sums (m009) follows the batch's changes of current version: one statement for the batch."""
    conn.execute(_STAGE_MOVES)
    conn.execute("DELETE FROM temp.load_moves")
    conn.executemany("INSERT INTO temp.load_moves VALUES (?, ?, ?)", net_moves(moves))
    conn.execute(_CURRENT_SUMS_FROM_STAGE)
    conn.execute(CURRENT_SUMS_PRUNE)
    conn.execute("DELETE FROM temp.load_moves")


_CURRENT_SUMS_FROM_STAGE = CURRENT_SUMS_ADD.format(moves="temp.load_moves")


def net_moves(moves: list[tuple]) -> list[tuple]:
    """Each version once, with the sum of its signs, those that cancel out left out. A batch can make a version
    current, replace it and make it current again (a report edited back and forth, a bulk load of its versions);
    the statement counts a version's rows once per (version, sign), so twice +1 counted once, and numbers added
    and taken away again left a total of 0 where no report gave a number."""
    net: dict[int, list] = {}
    for version_id, year, sign in moves:
        net.setdefault(version_id, [year, 0])[1] += sign
    return [(version_id, year, sign) for version_id, (year, sign) in net.items() if sign]


# Sections reach the table (and, through its trigger, the trigram index) in one INSERT … SELECT per batch from a
# staging table of the connection's own: FTS5 flushes its pending terms to a new segment at every statement that
# writes to it, so an executemany of N sections wrote N one-row segments and then merged them (a quarter of a
# bulk load's time); one statement writes one segment per batch. The trigger stays: every writer is indexed.
_STAGE_SECTIONS = ("CREATE TEMP TABLE IF NOT EXISTS load_sections"
                   " (version_id INTEGER, report_id INTEGER, section TEXT, heading TEXT, body TEXT)")
_SECTIONS_FROM_STAGE = ("INSERT INTO sections (version_id, report_id, section, heading, body)"
                        " SELECT version_id, report_id, section, heading, body FROM temp.load_sections ORDER BY rowid")


def insert_sections(conn, rows: list[tuple]) -> None:
    conn.execute(_STAGE_SECTIONS)
    conn.execute("DELETE FROM temp.load_sections")
    conn.executemany("INSERT INTO temp.load_sections VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute(_SECTIONS_FROM_STAGE)
    conn.execute("DELETE FROM temp.load_sections")
