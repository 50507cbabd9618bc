"""m024: each version's blank cells counted over its format's form, not over the cells its record had.

`report_versions.table_cells` / `blank_cells` (m008), the blank share of the scorecard, `govreports report` and the
dashboard, counted the cells a record held: a half-read scan (table 二 read, tables 三 and 四 absent) showed 0%
blank where 190 of its form's 200 cells are. The loader now counts over the form (schema.form_blanks); this
counts every stored version again the same way, from its cells: a form cell with no row, or a null value and no
raw text, is blank; a free-form version (pre2019, unknown) has no form (0 cells: no share).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports import schema
from govreports.store.migrations.registry import migrations


def recount_form_blanks(conn) -> None:
    """table_cells and blank_cells of every version from its stored cells, as schema.form_blanks counts a record
    (the form's keys from schema.form_rows, so the two cannot disagree); in the caller's transaction."""
    conn.execute("CREATE TEMP TABLE _form_keys (format TEXT NOT NULL, key_id INTEGER NOT NULL,"
                 " PRIMARY KEY (format, key_id)) WITHOUT ROWID")
    try:
        sizes = []
        for fmt in schema.TABLE_FORMATS:
            keys = [(fmt, table, row, col) for table, row, cols in schema.form_rows(fmt) for col in cols]
            conn.executemany("INSERT INTO _form_keys SELECT ?, id FROM cell_keys"
                             " WHERE table_name = ? AND row_key = ? AND col_key = ?", keys)
            sizes.append(f"WHEN '{fmt}' THEN {len(keys)}")
        size = f"CASE format {' '.join(sizes)} ELSE 0 END"
        conn.execute(f"""UPDATE report_versions SET table_cells = {size}, blank_cells = {size} - (
            SELECT count(*) FROM cell_values c JOIN _form_keys f ON f.format = report_versions.format
              AND f.key_id = c.key_id
            WHERE c.version_id = report_versions.id AND (c.value IS NOT NULL OR c.raw IS NOT NULL))""")
    finally:
        conn.execute("DROP TABLE temp._form_keys")


@migrations()
def m024_blanks_over_the_form(db: Database) -> None:
    recount_form_blanks(db.conn)
