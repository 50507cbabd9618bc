"""m007: one name per meaning in the views, and `report_flat` (one row per report, a column per cell)."""

from __future__ import annotations

from sqlite_utils import Database

from govreports import schema
from govreports.store.migrations.registry import migrations
from govreports.store.migrations.search_views import _wide_view, wide_columns

# One name, one meaning; one row per report (issue 11). A view names a cell by its record key except where the key
# means something else elsewhere: `published` is a report's publication date (reports, report_versions,
# report_flat), so the active-disclosure measure 本年新公开数量 is `new_published` in every view.
VIEW_COLUMN_NAMES = {"published": "new_published"}

# report_flat's columns before the cells: who, where, which year, which format, when published, from where
FLAT_HEAD = ("report_id", "agency", "agency_id", "region", "province", "year", "format", "published",
             "published_source", "title", "source", "rules_failed")


def view_column(key: str) -> str:
    return VIEW_COLUMN_NAMES.get(key, key)


def flat_cells() -> list[tuple[str, str, str, str]]:
    """(table, row, column key, report_flat column name) for every cell of the three tables, the union over the
    formats in the official order; the name is `table__row__column` (`applications__granted__total`)."""
    out = []
    items = list(dict.fromkeys(i for f in schema.TABLE_FORMATS for i in schema.ACTIVE_MEASURES[f]))
    for item in items:
        for key in dict.fromkeys(m for f in schema.TABLE_FORMATS for m in schema.ACTIVE_MEASURES[f].get(item, ())):
            out.append(("active", item, key, f"active__{item}__{view_column(key)}"))
    rows = dict.fromkeys(r for f in schema.TABLE_FORMATS for r in schema.APPLICATION_ROWS[f])
    out += [("applications", row, col, f"applications__{row}__{col}")
            for row in rows for col in schema.APPLICANT_COLUMNS]
    out += [("review_litigation", group, m, f"review_litigation__{group}__{m}")
            for group in schema.REVIEW_GROUPS for m in schema.REVIEW_MEASURES]
    return out


def _wide_view_named(table: str, columns: list[str]) -> str:
    """m002's wide view with each measure named by `view_column`."""
    sql = _wide_view(table, columns)
    for key in VIEW_COLUMN_NAMES:
        sql = sql.replace(f'AS "{key}"', f'AS "{view_column(key)}"')
    return sql


def _report_flat() -> str:
    """One row per report (its current version); each cell one primary-key lookup in `cells`."""
    cells = ",\n".join(
        f"  (SELECT coalesce(c.raw, c.value) FROM cells c WHERE c.version_id = r.current_version_id"
        f" AND c.table_name = '{t}' AND c.row_key = '{row}' AND c.col_key = '{col}') AS \"{name}\""
        for t, row, col, name in flat_cells())
    return f"""SELECT r.id AS report_id, a.name AS agency, r.agency_id, a.region, a.province, r.year, r.format,
  r.published, r.published_source, r.title, nullif(r.source_key, '') AS source,
  (SELECT group_concat(rule, ',') FROM (SELECT DISTINCT k.rule FROM checks k
     WHERE k.version_id = r.current_version_id AND k.ok = 0 ORDER BY k.rule)) AS rules_failed,
{cells}
FROM reports r JOIN agencies a ON a.id = r.agency_id
WHERE r.current_version_id IS NOT NULL
ORDER BY a.name, r.year, r.id"""


@migrations()
def m007_unambiguous_names_report_flat(db: Database) -> None:
    """No column name that means two things: the measure 本年新公开数量 is `new_published` in active_wide
    (`published` is a publication date everywhere else); and `report_flat`, one row per report with every cell
    its own column, for spreadsheets and pandas."""
    db.execute("DROP VIEW active_wide")
    db.create_view("active_wide", _wide_view_named("active", wide_columns()["active"]))
    db.create_view("report_flat", _report_flat())
