"""m015: a check's rule and location named once (`check_keys`), its rows in `check_values` (no rowid), `checks` a
view with the old columns, and the index of failed checks holding only failed checks.

A full report has ~40 checks, so at national scale `checks` is some 12 M rows: it was the largest table with its
two indexes (36 % of a synthetic database's pages, ~116 bytes a row: the rule and location spelled out on every
row, a rowid, the primary key's own index, and `checks_failed` on (ok, version_id) covering every row), and its
three b-trees were the loader's costliest child write. Now one b-tree in primary-key order, ~60 bytes a row. The
queries that filter checks ask for `ok = 0` (analyses, charts, the m007/m008 views): the partial index holds those
rows only (SQLite still prefers the primary key for one version's checks, ~40 rows; rule_failures names the index).
`checks` stays, as a view, for every query, view and Datasette page that reads it.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

# LEFT JOINs on unique keys that always match: SQLite leaves out such a join when a query reads none of its columns
# and is not an aggregate (a listing of checks without report_id skips report_versions; a count does not)
CHECKS_VIEW = """SELECT v.version_id, rv.report_id, v.seq, k.rule, k.location, v.ok, v.detail
FROM check_values v LEFT JOIN check_keys k ON k.id = v.key_id LEFT JOIN report_versions rv ON rv.id = v.version_id"""


@migrations()
def m015_check_keys(db: Database) -> None:
    """`check_keys` (id, rule, location): every rule and location the database's checks have, the loader adds
    new ones; `check_values` (version_id, seq, key_id, ok, detail) holds the checks; `checks` becomes a view with
    the old columns (CHECKS_VIEW); `check_values_failed` indexes the failed checks by version."""
    db.execute("""CREATE TABLE check_keys (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        location TEXT,
        UNIQUE (rule, location))""")
    db.execute("INSERT INTO check_keys (rule, location) SELECT DISTINCT rule, location FROM checks ORDER BY 1, 2")
    db.execute("""CREATE TABLE check_values (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        seq INTEGER NOT NULL,
        key_id INTEGER NOT NULL REFERENCES check_keys(id),
        ok INTEGER,                      -- 1, 0, or NULL = not evaluable
        detail TEXT,
        PRIMARY KEY (version_id, seq)
    ) WITHOUT ROWID""")
    db.execute("""INSERT INTO check_values (version_id, seq, key_id, ok, detail)
        SELECT c.version_id, c.seq, k.id, c.ok, c.detail FROM checks c
        JOIN check_keys k ON k.rule = c.rule AND k.location IS c.location ORDER BY c.version_id, c.seq""")
    db.execute("DROP TABLE checks")  # and checks_failed with it
    db.execute("CREATE INDEX check_values_failed ON check_values(ok, version_id) WHERE ok = 0")
    db.create_view("checks", CHECKS_VIEW)
