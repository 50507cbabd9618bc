"""Columns documented once: docs/columns.md is generated from query.columns (itself built from the schema for the
cells), documents every column of every table and view the migrations create, and says what Datasette shows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT
from govreports.query import columns
from govreports.serve import build_metadata
from govreports.store import connect

DOC = ROOT / "docs" / "columns.md"


@pytest.fixture(scope="module")
def real_columns(tmp_path_factory) -> dict[str, list[str]]:
    """Every table and view a fresh database has, with its columns in order."""
    path = tmp_path_factory.mktemp("columns") / "fresh.db"
    with connect(path):
        pass
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'sections_fts%' AND name != '_sqlite_migrations'")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def test_docs_columns_md_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == columns.markdown(), (
        "docs/columns.md is stale: run `python -m govreports.query.columns > docs/columns.md`")


def test_the_module_prints_the_document():
    done = subprocess.run([sys.executable, "-m", "govreports.query.columns"], capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout.decode("utf-8") == columns.markdown()


def test_every_table_and_view_and_every_column_is_documented_in_order(real_columns):
    assert set(columns.TABLES) == set(real_columns)
    for name, cols in real_columns.items():
        assert [c.name for c in columns.TABLES[name].columns] == cols, name
    for table in columns.TABLES.values():
        for col in table.columns:
            assert col.zh and col.meaning, (table.name, col.name)


def test_datasette_shows_the_same_descriptions():
    tables = build_metadata("govreports")["databases"]["govreports"]["tables"]
    for table in columns.TABLES.values():
        assert tables[table.name]["title"] == table.heading
        assert tables[table.name]["columns"] == {c.name: c.description() for c in table.columns}
    assert tables["applications_wide"]["columns"]["natural_person"] == "自然人 / applications from natural persons [件]"
    line = "| `natural_person` | 自然人 | applications from natural persons | 件 |"
    assert line in DOC.read_text(encoding="utf-8")


def test_every_cell_of_the_schema_has_a_column():
    from govreports import schema

    names = {(t, r, c) for t, r, c, _ in columns.cell_columns()}
    for fmt in schema.TABLE_FORMATS:
        record = schema.empty_tables(fmt)
        for table, row, col, _ in schema.iter_cells(record):
            assert (table, row, col) in names, (fmt, table, row, col)
    assert len(names) == len({c.name for *_, c in columns.cell_columns()})


def test_no_column_name_means_two_things(real_columns):
    """A name shared by tables and views is one column everywhere: `published` is a publication date, never a count
    (the active-disclosure measure 本年新公开数量 is `new_published` in the views)."""
    shared = {c.name: c for c in (columns.REPORT_ID, columns.VERSION_ID, columns.AGENCY, columns.AGENCY_ID,
                                  columns.YEAR, columns.FORMAT, columns.TITLE, columns.PUBLISHED,
                                  columns.PUBLISHED_SOURCE, columns.REGION, columns.PROVINCE, columns.DOCUMENT_ID,
                                  columns.PORTAL, columns.RUN_ID, columns.RULES_FAILED)}
    for table in columns.TABLES.values():
        for col in table.columns:
            if col.name in shared:
                assert col == shared[col.name], (table.name, col.name)
    assert "new_published" in real_columns["active_wide"] and "published" not in real_columns["active_wide"]
    assert "active__rules__new_published" in real_columns["report_flat"]


def test_report_flat_has_every_cell_as_a_column(real_columns):
    flat = real_columns["report_flat"]
    assert flat[:7] == ["report_id", "agency", "agency_id", "region", "province", "year", "format"]
    cells = [c.name for *_, c in columns.cell_columns()]
    assert flat[-len(cells):] == cells and len(cells) == 227
    assert {"applications__granted__total", "applications__other_misc__natural_person",
            "review_litigation__litigation_after_review__pending", "active__fees__amount_10k_yuan"} <= set(cells)


def test_no_two_columns_of_a_table_share_a_chinese_label():
    """`export --headers zh` heads each column with its label: sections had 正文 over both its id and its text."""
    for table in columns.TABLES.values():
        labels = [c.zh for c in table.columns]
        assert len(labels) == len(set(labels)), (table.name, sorted({z for z in labels if labels.count(z) > 1}))
