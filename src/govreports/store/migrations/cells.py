"""m010: cell keys named once (`cell_keys`), values in `cell_values`, `cells` a view with the old columns."""

from __future__ import annotations

from sqlite_utils import Database

from govreports import schema
from govreports.store.migrations.registry import migrations

# m010: a cell's table, row and column named once, in `cell_keys`, instead of as text on each of its 60 M rows at
# national scale (cells was 3.8 of 7.2 GB at 300,000 reports, and the loader's largest write). `cells` stays,
# as a view with its old columns, for every query, view and Datasette page that reads it.
CELLS_VIEW = """SELECT v.version_id, rv.report_id, k.table_name, k.row_key, k.col_key, v.value, v.raw
FROM cell_values v JOIN cell_keys k ON k.id = v.key_id JOIN report_versions rv ON rv.id = v.version_id"""


def schema_cell_keys() -> list[tuple[str, str, str]]:
    """(table, row, column) of every cell of every format, in key order: ids follow it, so a version's cells,
    written in key order, are appended to the primary key in order."""
    keys = {(t, r, c) for fmt in schema.TABLE_FORMATS for t, r, c, _ in schema.iter_cells(schema.empty_tables(fmt))}
    keys.add(("active", "procurement", "amount_unit"))
    return sorted(keys)


@migrations()
def m010_cell_keys(db: Database) -> None:
    """`cell_keys` (id, table_name, row_key, col_key): every cell key the schema has (in key order) and any other
    the database holds; `cell_values` (version_id, key_id, value, raw) holds the cells; `cells` becomes a view
    with the old columns (CELLS_VIEW). The loader adds a key it has not seen."""
    db.execute("""CREATE TABLE cell_keys (
        id INTEGER PRIMARY KEY,
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        col_key TEXT NOT NULL,
        UNIQUE (table_name, row_key, col_key))""")
    db.conn.executemany("INSERT INTO cell_keys (table_name, row_key, col_key) VALUES (?, ?, ?)", schema_cell_keys())
    db.execute("""INSERT INTO cell_keys (table_name, row_key, col_key)
        SELECT DISTINCT table_name, row_key, col_key FROM cells WHERE true ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING""")
    db.execute("""CREATE TABLE cell_values (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        key_id INTEGER NOT NULL REFERENCES cell_keys(id),
        value,                           -- no type: ints stay ints, decimals stay decimals
        raw TEXT,                        -- text cells (amount_unit) and raw text when known
        PRIMARY KEY (version_id, key_id)
    ) WITHOUT ROWID""")
    db.execute("""INSERT INTO cell_values (version_id, key_id, value, raw)
        SELECT c.version_id, k.id, c.value, c.raw FROM cells c
        JOIN cell_keys k ON k.table_name = c.table_name AND k.row_key = c.row_key AND k.col_key = c.col_key""")
    db.execute("DROP TABLE cells")
    db.create_view("cells", CELLS_VIEW)
