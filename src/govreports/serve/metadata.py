"""Datasette metadata for the database: titles, bilingual column descriptions, facets, canned analyses.

Generated from the code rather than kept as a hand-written YAML file, so the web view cannot drift from the CLI:
`govreports analyze NAME` and the canned query NAME run the same SQL, and every column's description is the
line of docs/columns.md (query.columns: Chinese label / meaning [unit]).
"""

from __future__ import annotations

from govreports.charts.dashboard import PLUGIN as DASHBOARDS_PLUGIN
from govreports.charts.dashboard import AGENCY_NAMES_QUERY, AGENCY_NAMES_SHOWN, AGENCY_NAMES_SQL, dashboards
from govreports.query.analyses import ANALYSES
from govreports.query.columns import TABLES as COLUMN_DOCS
from govreports.serve.search import LIMIT as SEARCH_LIMIT
from govreports.serve.search import SQL as SEARCH_SQL

_REPORT_FACETS = ["year", "format", "agency_id"]
_VIEW_FACETS = ["year", "format", "agency"]


# The canned query runs the analysis's SQL as it is, without the CLI's checks: a name typed in part or mistyped
# selects no agency, and the page shows no rows with nothing said (the CLI names the agency or suggests names)
_AGENCY_NOTE = (" 机关 / agency: its full name as the agencies table has it (or that name normalised); a partial or "
                "mistyped name selects nothing here and shows no rows (`govreports analyze` suggests names).")


def _described(analysis) -> str:
    """The analysis's description, with what its parameters take where the web form says nothing of it."""
    takes_agency = any(p.name == "agency" for p in analysis.params)
    return analysis.description + (_AGENCY_NOTE if takes_agency else "")


def build_metadata(db_name: str = "govreports") -> dict:
    """The metadata dict for `datasette serve DB -m metadata.json` (DB's file stem must be `db_name`)."""
    tables: dict = {}
    for name, table in COLUMN_DOCS.items():  # query.columns: the text of docs/columns.md
        tables[name] = {"title": table.heading, "description": table.note or table.heading,
                        "columns": {c.name: c.description() for c in table.columns}}
    tables["reports"]["facets"] = _REPORT_FACETS
    tables["reports"]["sort_desc"] = "year"
    tables["agencies"]["label_column"] = "name"
    tables["agencies"]["facets"] = ["region"]
    tables["sections"]["fts_table"] = "sections_fts"
    tables["sections"]["fts_pk"] = "id"
    tables["cells"]["facets"] = ["table_name", "row_key"]
    tables["checks"]["facets"] = ["rule", "ok"]
    for name, table in COLUMN_DOCS.items():
        if table.kind == "view" and {"year", "format", "agency"} <= {c.name for c in table.columns}:
            tables[name]["facets"] = _VIEW_FACETS
    queries = {a.name: {"title": f"{a.title_zh} / {a.title}", "description": _described(a), "sql": a.sql}
               for a in ANALYSES.values()}
    queries["search_sections"] = {
        "title": "全文检索（任意长度）/ Search report text (any length)",
        "description": "The search `govreports search` runs: sections of current reports holding every word "
                       "(separated by spaces, any length; 1–2 character words also in headings), newest year "
                       f"first, the first {SEARCH_LIMIT}; words found marked **so** in the snippet. Needs "
                       "`govreports serve` (it adds the search function to Datasette).",
        "sql": SEARCH_SQL}
    queries[AGENCY_NAMES_QUERY] = {
        "title": "机关名称 / Agency names",
        "description": f"The first {AGENCY_NAMES_SHOWN} agency names starting with, then containing, q (the agency "
                       "dashboard offers them as a name is typed).",
        "sql": AGENCY_NAMES_SQL}
    return {
        "title": "政府信息公开工作年度报告 / Government information disclosure annual reports",
        "description": "Parsed 政府信息公开工作年度报告: tables 二、三、四 as cells, sections as text, checks R1–R4.",
        "databases": {db_name: {"tables": tables, "queries": queries}},
        "plugins": {DASHBOARDS_PLUGIN: dashboards(db_name)},  # /-/dashboards/overview, /-/dashboards/agency
    }
