"""A record's cells as the loader writes them (`cell_values`, m010): keys in primary-key order, values sent to
SQLite as one JSON object per version where that is exact, the rest bound one by one."""

from __future__ import annotations

import functools
import re

import orjson

# The largest count a cell is stored as a number: far above any real report's (a count of people or requests, a fee
# in 元), far enough below 2**63 that SQL sums over every report of a decade cannot overflow (SQLite's sum() of
# integers raises "integer overflow": one absurd cell, such as a run of merged digits, would break the analyses
# and its whole load batch). A cell past it is kept as written, as text in `raw`, with no number.
CELL_INT_LIMIT = 10**12


def storable(value) -> bool:
    return type(value) is not int or -CELL_INT_LIMIT <= value <= CELL_INT_LIMIT


CELL_TABLES = ("active", "applications", "review_litigation")  # schema.iter_cells' order


# cell values SQLite reads back from JSON exactly (see CELLS_FROM_JSON)
_EXACT_IN_JSON = frozenset((int, type(None)))
_PLAIN_VALUES = frozenset((int, str, type(None)))  # what the version hash's orjson writes as json does
PLAIN_TABLES = frozenset(CELL_TABLES)  # what the version hash need not walk when record_cells found them plain


@functools.lru_cache(maxsize=4096)
def _row_layout(table: str, row: str, cols: tuple) -> tuple[tuple, tuple]:
    """A row's columns in key order and their (table, row, col) keys: official tables repeat the same rows from
    report to report, so this is worked out once per layout."""
    ordered = tuple(sorted(cols))
    return ordered, tuple((table, row, col) for col in ordered)


def record_cells(record: dict) -> tuple[list[tuple], list, bool, bool]:
    """The record's cells as (table, row, col) keys in primary-key order (then each version's cells are appended to
    the index, no page splits) and their values (a number, None, or the text of a text cell such as amount_unit);
    `plain`: every value an int, a string or None and every table and row a plain dict (the version hash need not
    walk them); `bound`: some value (a float, a bool, a text) is bound one by one rather than sent as JSON (see
    CELLS_FROM_JSON). The values' kinds are found once over the whole list, not row by row. (A report's blanks are
    counted over its form, which may have cells the record lacks: schema.form_blanks.)"""
    keys: list[tuple] = []
    values: list = []
    plain = True
    for table in CELL_TABLES:  # already in key order
        rows = record.get(table)
        if not rows:
            continue
        if type(rows) is not dict:
            plain = False
        for row in sorted(rows):
            cols = rows[row]
            if type(cols) is not dict:
                plain = False
            ordered, row_keys = _row_layout(table, row, tuple(cols))
            keys += row_keys
            values += map(cols.__getitem__, ordered)
    kinds = set(map(type, values))
    return keys, values, plain and kinds <= _PLAIN_VALUES, not kinds <= _EXACT_IN_JSON


# A version's cells in one statement: SQLite reads the JSON object {key id: value} in C, three times faster than
# binding four parameters a cell. Only ints (to 2**53) and blanks go this way: they come back exactly. Floats
# (SQLite's own decimal reading is not promised to round as Python's does), bools and texts (json_each ends a text
# at a NUL) are bound one by one: a report has a few.
_CELL_JSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_STRICT_INTEGER
# a cheaper test than each cell's range: a value (after a colon; keys are quoted) of as many digits as the limit.
# The colon lets the engine skip to candidates: 4 µs on a report's cells, against 22 µs for the digits alone
_LONG_NUMBER = re.compile(r":-?[0-9]{%d}" % len(str(CELL_INT_LIMIT)))
CELLS_FROM_JSON = ("INSERT INTO cell_values (version_id, key_id, value, raw)"
                   " SELECT ?1, CAST(key AS INTEGER), value, NULL FROM json_each(?2)")


def encode_cells(version_id: int, key_ids: list[int], values: list, bound_cells: bool) -> tuple[str, list[tuple]]:
    """A version's cells as the JSON object CELLS_FROM_JSON reads (ints and blanks) and the rows bound one by one
    (version_id, key_id, value, raw): floats and bools as themselves, texts (amount_unit) and counts past
    CELL_INT_LIMIT into raw. `bound_cells`: record_cells saw values that are not ints or None."""
    exact = dict(zip(key_ids, values))
    bound: list[tuple] = []
    if bound_cells:
        for key in [key for key, value in exact.items() if type(value) not in _EXACT_IN_JSON]:
            value = exact.pop(key)
            bound.append((version_id, key, None, value) if type(value) is str else (version_id, key, value, None))
    try:
        cells = orjson.dumps(exact, option=_CELL_JSON).decode()
    except orjson.JSONEncodeError:  # an int past 2**53: past CELL_INT_LIMIT too
        cells = None
    if cells is None or _LONG_NUMBER.search(cells):  # a count past CELL_INT_LIMIT: kept as text, no number
        for key in [key for key, value in exact.items() if not storable(value)]:
            bound.append((version_id, key, None, str(exact.pop(key))))
        cells = orjson.dumps(exact, option=_CELL_JSON).decode()
    return cells, bound
