"""Shared helpers for the store/query/serve tests: sample records and a small database with known answers."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import typer

from conftest import SHARED
from govreports import schema

EXPECTED = SHARED / "samples" / "expected"


def expected_records() -> dict[str, dict]:
    """The canonical sample records, without their `_notes`."""
    out = {}
    for path in sorted(EXPECTED.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = {k: v for k, v in record.items() if not k.startswith("_")}
    return out


def cli_app() -> typer.Typer:
    from govreports.cli.store import register

    app = typer.Typer()
    register(app)
    return app


def chart_app() -> typer.Typer:
    """An app with the `chart` command alone."""
    from govreports.cli.charts import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def _root():  # keep `chart` a subcommand
        pass

    return app


def record(agency: str, year: int, fmt: str, cells: dict, checks: list | None = None, sections=None) -> dict:
    """A record of `fmt` with every cell null except `cells` {"table.row.col": value}."""
    tables = schema.empty_tables(fmt)
    for key, value in cells.items():
        table, row, col = key.split(".")
        assert col in tables[table][row], key
        tables[table][row][col] = value
    return {"title": f"{agency}{year}年政府信息公开工作年度报告", "agency": agency, "year": year, "format": fmt,
            "published": f"{year + 1}-01-20", "sections": sections or {}, **copy.deepcopy(tables),
            "checks": checks or []}


def _check(rule, where, ok):
    return {"rule": rule, "where": where, "ok": ok, "detail": f"{rule} at {where}"}


A, B, C = "甲市教育局", "乙县财政局", "丙区卫生健康委员会"

# Hand-made reports; the answers in test_query_analyses.py are computed by hand from these numbers.
KNOWN = [
    record(A, 2020, "2019", {
        "applications.new.natural_person": 10, "applications.new.commercial": 2, "applications.new.total": 12,
        "applications.carried_in.total": 1,
        "applications.total.natural_person": 9, "applications.total.commercial": 2,  # 总计 left blank: 11
        "applications.carried_out.total": 2,
        "applications.granted.total": 5,
        "applications.withheld_state_secret.natural_person": 1,  # 总计 blank: 1
        "applications.unavailable_not_held.total": 3,
        "applications.rejected_repeated.total": 2,
        "review_litigation.review.upheld": 1, "review_litigation.review.corrected": 1,
        "review_litigation.review.total": 2,
        "review_litigation.litigation_direct.upheld": 1,  # 总计 blank: 1
    }, checks=[_check("R1", "applications.total", False), _check("R3", "applications.new", None),
               _check("R4", "review_litigation.review", True)],
        sections={"1": "本机关认真贯彻落实政府信息公开条例，主动公开政府信息。",
                  "4": "本年度发生政府信息公开行政复议案件2件。"}),
    record(A, 2021, "2021", {
        "applications.new.total": 18, "applications.granted.total": 9,
        "applications.withheld_state_secret.total": 2, "applications.withheld_third_party.total": 1,
        "review_litigation.review.total": 0,
        "review_litigation.litigation_after_review.pending": 2, "review_litigation.litigation_after_review.total": 2,
    }, checks=[_check("R1", "applications.total", True)],
        sections={"1": "全面推进政务公开，信息公开平台建设成效明显。"}),
    record(B, 2020, "2019", {
        "applications.new.total": 5, "applications.withheld_state_secret.total": 0,
        "applications.unavailable_not_held.total": 4,
        "review_litigation.review.upheld": 3, "review_litigation.review.other": 1,
        "review_litigation.review.total": 4,
    }, checks=[_check("R2", "applications.natural_person", False), _check("R2", "applications.total", False)],
        sections={"5": "存在的主要问题是公开内容不够全面，行政复议工作需加强。"}),
    record(C, 2021, "2021", {
        "applications.new.total": 7, "applications.rejected_repeated.total": 1,
    }, sections={"1": "本委坚持以公开为常态、不公开为例外。"}),
]


def load_known(db) -> None:
    from govreports.store import load_record

    for rec in KNOWN:
        load_record(db, rec)


def known_db_path(tmp_path) -> Path:
    """A database file holding the known records (for tests that open it read-only or from other processes)."""
    from govreports.store import connect

    path = tmp_path / "known.db"
    with connect(path) as db:
        load_known(db)
    return path


def sqlite_full(*args, **kwargs) -> None:
    """Raise SQLite's own SQLITE_FULL ("database or disk is full"), from a database capped at two pages: a full
    disk, for a test that puts it in place of a write (its arguments are the write's, and ignored)."""
    import sqlite3

    small = sqlite3.connect(":memory:")
    small.execute("PRAGMA max_page_count = 2")
    small.execute("CREATE TABLE t (x)")
    small.execute("INSERT INTO t VALUES (zeroblob(100000))")


def current_sums(db, table: str = "current_sums") -> list[tuple]:
    """The per-year sums the loader keeps (m009), in key order."""
    return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()


def recounted_sums(db) -> list[tuple]:
    """current_sums counted from scratch from the reports' current versions, as m009 counts it."""
    from govreports.store.migrations import CURRENT_SUMS_ADD, CURRENT_SUMS_DDL, CURRENT_SUMS_PRUNE

    db.execute(CURRENT_SUMS_DDL.replace("CREATE TABLE current_sums", "CREATE TEMP TABLE recount"))
    db.execute(CURRENT_SUMS_ADD.replace("INSERT INTO current_sums", "INSERT INTO temp.recount").format(
        moves="(SELECT current_version_id AS version_id, year, 1 AS sign FROM reports)"))
    db.execute(CURRENT_SUMS_PRUNE.replace("current_sums", "temp.recount"))
    try:
        return current_sums(db, "temp.recount")
    finally:
        db.execute("DROP TABLE temp.recount")


# m025: an agency-year after the agency's latest report is expected once its deadline has passed, not up to the
# newest report year. The scorecards of m006 and m008 (computed from every report on each read) serve as the
# tests' reference with their horizon replaced by that rule, written another way: per agency, the last year whose
# deadline for its kind has passed today (31 January for departments, 31 March for governments; years since 2019).
_HORIZON = """horizon AS (SELECT CASE WHEN date('now') > (y + 1) || '-03-31' THEN y ELSE y - 1 END AS year FROM latest),
seen AS (SELECT r.agency_id, min(r.year) AS first_year, max(max(r.year), (SELECT year FROM horizon)) AS last_year"""
_DUE = """seen AS (SELECT r.agency_id, min(r.year) AS first_year, max(max(r.year),
    CAST(strftime('%Y', 'now') AS INTEGER) - CASE WHEN date('now') > strftime('%Y', 'now')
      || CASE WHEN a.kind = 'government' THEN '-03-31' ELSE '-01-31' END THEN 1 ELSE 2 END) AS last_year"""


def due_by_deadline(scorecard_sql: str) -> str:
    """m006's or m008's scorecard SQL with m025's rule for the years expected after an agency's latest report."""
    assert _HORIZON in scorecard_sql
    return scorecard_sql.replace(_HORIZON, _DUE)


def vm_steps(conn, sql: str, params=()) -> int:
    """The SQLite virtual-machine steps `sql` takes, to the hundred (a progress handler called every 100): what a
    query plan costs, counted the same whatever the machine's load."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    conn.set_progress_handler(tick, 100)
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.set_progress_handler(None, 0)
    return count[0] * 100
