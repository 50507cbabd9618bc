"""report_flat and the wide views (m016) give the rows the views before them gave, in the same order, and give their
first rows without computing every row first (issue 12: a Datasette page or an export's first rows at national
scale)."""

from __future__ import annotations

import copy
import shutil
import sqlite3

import pytest
from storehelp import expected_records, record, vm_steps

from govreports.demo.records import make_record
from govreports.store import connect, load_record
from govreports.store.migrations import wide_columns
from govreports.store.migrations.flat import _report_flat, _wide_view_named
from govreports.store.migrations.search_views import _wide_view

VIEWS = ("report_flat", "active_wide", "applications_wide", "review_litigation_wide")


def _old_sql(view: str) -> str:
    """The view as m002/m007 defined it (sorted or grouped after every row was computed)."""
    if view == "report_flat":
        return _report_flat()
    table = view.removesuffix("_wide")
    columns = wide_columns()[table]
    return _wide_view_named(table, columns) if table == "active" else _wide_view(table, columns)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    """Real and generated records of every format; one agency written two ways; a report edited (its old
    version's cells must not show); a row no label names; a report with no cells."""
    path = tmp_path_factory.mktemp("views") / "views.db"
    records = list(expected_records().values())
    records += [make_record(i, f"测试市第{i % 7}局", 2016 + i % 9, checks=True) for i in range(40)]
    odd = make_record(99, "某县某局", 2022)
    odd["applications"]["a_row_no_label_names"] = {"total": 3}
    no_tables = make_record(5, "乙县水利局", 2020)
    records += [odd, {k: v for k, v in no_tables.items() if k not in ("active", "applications", "review_litigation")},
                record("甲市财政局", 2020, "2021", {}), record("甲市 财政局", 2021, "2021", {"applications.new.total": 4})]
    with connect(path) as db:
        for r in records:
            load_record(db, copy.deepcopy(r))
        edited = copy.deepcopy(records[-1])
        edited["applications"]["new"]["total"] = 5
        load_record(db, edited)
    return path


@pytest.mark.parametrize("view", VIEWS)
def test_the_view_gives_the_rows_it_gave_before_in_the_same_order(db_path, view):
    conn = sqlite3.connect(db_path)
    try:
        new = conn.execute(f"SELECT * FROM {view}").fetchall()
        old = conn.execute(_old_sql(view)).fetchall()
        columns = [c[0] for c in conn.execute(f"SELECT * FROM {view} LIMIT 0").description]
        old_columns = [c[0] for c in conn.execute(f"SELECT * FROM ({_old_sql(view)}) LIMIT 0").description]
    finally:
        conn.close()
    assert len(new) > 40 and columns == old_columns
    assert new == old


def _steps(conn: sqlite3.Connection, sql: str) -> int:
    """The steps the query takes, in hundreds."""
    return vm_steps(conn, sql) // 100


@pytest.fixture(scope="module")
def bigger_path(db_path, tmp_path_factory):
    """The same database with four times the reports."""
    path = tmp_path_factory.mktemp("views") / "bigger.db"
    shutil.copy(db_path, path)
    with connect(path) as db:
        for i in range(150):
            load_record(db, make_record(100 + i, f"另一市第{i % 50}局", 2016 + i % 3))
        assert db["reports"].count >= 4 * 45
    return path


@pytest.fixture(scope="module")
def without_statistics(db_path, bigger_path, tmp_path_factory):
    """Copies of both databases without the statistics their writers' `PRAGMA optimize` counted (store.db.optimize),
    as every database was before it: the old views' cost was measured so (with them, SQLite plans the old SQL of
    the wide views differently, and its first rows cost little more with more reports)."""
    copies = []
    for path in (db_path, bigger_path):
        copy_path = tmp_path_factory.mktemp("plain") / path.name
        shutil.copy(path, copy_path)
        conn = sqlite3.connect(copy_path)
        conn.execute("DROP TABLE IF EXISTS sqlite_stat1")
        conn.close()
        copies.append(copy_path)
    return copies


@pytest.mark.parametrize("view", VIEWS)
def test_the_first_rows_cost_the_same_however_many_reports_there_are(db_path, bigger_path, without_statistics, view):
    """The views before m016 did their work for every report before the first row (a sort, a grouping): their
    first rows cost more with more reports. A streamed view's first rows cost what those rows cost, with the
    statistics of ANALYZE or without."""
    def first_rows(path, sql: str) -> int:
        conn = sqlite3.connect(path)
        try:
            return _steps(conn, f"SELECT * FROM ({sql}) LIMIT 3")
        finally:
            conn.close()

    old = [first_rows(p, _old_sql(view)) for p in without_statistics]
    assert old[1] >= old[0] + 40  # 4,000 steps more for the 150 reports more
    for paths in ((db_path, bigger_path), without_statistics):
        new = [first_rows(p, f"SELECT * FROM {view}") for p in paths]
        assert new[1] <= 1.1 * new[0] + 2


def test_counting_report_flat_reads_no_cell(db_path):
    """Datasette counts a view's rows to suggest facets (`select count(*) from (select <columns> from view)`, with
    no time limit it can survive); a view with an ORDER BY computed every cell of every report for it."""
    conn = sqlite3.connect(db_path)
    try:
        columns = ", ".join(f'"{r[1]}"' for r in conn.execute("PRAGMA table_info(report_flat)"))
        count = _steps(conn, f"SELECT count(*) FROM (SELECT {columns} FROM report_flat)")
        old_count = _steps(conn, f"SELECT count(*) FROM (SELECT {columns} FROM ({_old_sql('report_flat')}))")
        whole = _steps(conn, "SELECT * FROM report_flat")
        assert conn.execute(f"SELECT count(*) FROM (SELECT {columns} FROM report_flat)").fetchone()[0] == \
            len(conn.execute("SELECT * FROM report_flat").fetchall())
    finally:
        conn.close()
    assert old_count > whole / 2
    assert count < whole / 20
