"""m002: full-text search over sections (trigram), the official labels, the wide views and current_checks."""

from __future__ import annotations

from sqlite_utils import Database

from govreports import schema
from govreports.store.migrations.registry import migrations

def _labels() -> list[dict]:
    """Official labels of every row and column key, with `seq` = the order of the official table."""
    groups = [
        ("active", "row", schema.ACTIVE_ITEM_LABELS),
        ("active", "col", {**schema.MEASURE_LABELS, "amount_unit": "采购总金额单位"}),
        ("applications", "row", schema.APPLICATION_ROW_LABELS),
        ("applications", "col", schema.APPLICANT_LABELS),
        ("review_litigation", "row", schema.REVIEW_GROUP_LABELS),
        ("review_litigation", "col", schema.REVIEW_MEASURE_LABELS),
    ]
    return [{"table_name": t, "kind": kind, "key": k, "label": v, "seq": i}
            for t, kind, labels in groups for i, (k, v) in enumerate(labels.items())]


def _wide_view(table: str, columns: list[str]) -> str:
    pivots = ",\n".join(
        f"  max(CASE WHEN c.col_key = '{col}' THEN coalesce(c.raw, c.value) END) AS \"{col}\"" for col in columns
    )
    return f"""SELECT r.id AS report_id, a.name AS agency, r.year, r.format, c.row_key,
  l.label AS row_label,
{pivots}
FROM reports r
JOIN agencies a ON a.id = r.agency_id
JOIN cells c ON c.version_id = r.current_version_id AND c.table_name = '{table}'
LEFT JOIN labels l ON l.table_name = '{table}' AND l.kind = 'row' AND l.key = c.row_key
GROUP BY r.id, c.row_key
ORDER BY r.id, l.seq"""


def wide_columns() -> dict[str, list[str]]:
    """Column keys of each wide view: the union over formats, in the official order."""
    active: list[str] = []
    for fmt in schema.TABLE_FORMATS:
        for measures in schema.ACTIVE_MEASURES[fmt].values():
            active += [m for m in measures if m not in active]
    return {"active": active, "applications": list(schema.APPLICANT_COLUMNS),
            "review_litigation": list(schema.REVIEW_MEASURES)}


@migrations()
def m002_search_labels_views(db: Database) -> None:
    db["sections"].enable_fts(["body"], tokenize="trigram", create_triggers=True)
    db.execute("""CREATE TABLE labels (
        table_name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (table_name, kind, key))""")
    db["labels"].insert_all(_labels())
    for table, columns in wide_columns().items():
        db.create_view(f"{table}_wide", _wide_view(table, columns))
    db.create_view("issues", "SELECT * FROM fetch_log WHERE error IS NOT NULL")
    db.create_view("current_checks", """SELECT r.id AS report_id, a.name AS agency, r.year, r.format,
  k.rule, k.location, k.ok, k.detail
FROM reports r JOIN agencies a ON a.id = r.agency_id
JOIN checks k ON k.version_id = r.current_version_id""")
