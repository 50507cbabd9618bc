"""`govreports status`: how every portal stands, on one screen — last run, last success, reports known, latest
year seen and open problems (the portal health flags of its latest run, govreports.runs.health) — and a line
about the latest run when it did not complete (stopped, failed, still running, or killed).

Read-only: the database is opened like `govreports query` opens it, so a status check never blocks or changes
a running crawl. Exit code 0 whatever the portals' health (it is a report), 1 when there is nothing to read.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer

from govreports.cli.common import fail
from govreports.cli.options import DEFAULT_DB, DbOption
from govreports.runs.reparse_figures import ReparseSummary, loaded_from_files, not_crawled
from govreports.store.lock import holder_now
from govreports.store.statuses import PartitionState, PortalOutcome, RunOutcome

WIDTH = 120  # when the output is not a terminal
STYLES = {"error": "bold red", "warning": "yellow"}
OUTCOME_STYLES = {PortalOutcome.OK: "green", PortalOutcome.PARTIAL: "yellow", PortalOutcome.UNREACHABLE: "bold red"}
_COLUMNS = ("portal", "last_run_id", "last_run_kind", "last_run_at", "last_outcome", "last_listed",
            "last_success_run_id", "last_success_at",
            "reports_known", "latest_year")


def _when(stamp: str | None) -> str:
    """An ISO time as local minutes; the stored text when it is not ISO."""
    if not stamp:
        return ""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def read_status(conn: sqlite3.Connection) -> tuple[list[dict], list]:
    """(one dict per portal from the `portal_health` view, the open flags) from an open connection."""
    from govreports.runs.health import open_problems

    cursor = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM portal_health ORDER BY portal")
    rows = [dict(zip(_COLUMNS, row)) for row in cursor.fetchall()]
    return rows, open_problems(conn)


def last_run_line(conn: sqlite3.Connection, db_path: str | Path) -> tuple[str, str] | None:
    """(a line, its style) about the latest run when it did not complete — stopped, failed, or not finished —
    else None; None too for a database older than runs.outcome (m017). A run not finished is still running when a
    process holds the database's writer lock (runs begin and end under it), and was killed when none does."""
    try:
        row = conn.execute("SELECT id, kind, started_at, finished_at, outcome, error, summary_json FROM runs"
                           " ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None or row[4] == RunOutcome.COMPLETED:
        return None
    run_id, kind, started, finished, outcome, error, summary = row
    head = f"last run #{run_id} {kind}, started {_when(started)}"
    did = _what_it_did(kind, summary)
    if outcome == RunOutcome.STOPPED:
        return f"{head}: {error or 'stopped'} at {_when(finished)}; what it stored stays{did}", "yellow"
    if outcome == RunOutcome.FAILED:
        return f"{head}: failed at {_when(finished)}: {error}{did}", "bold red"
    if outcome == RunOutcome.KILLED:  # marked by a later run's start, so not the latest but in a copy mid-begin
        return f"{head}: killed — {error}{_what_it_did(kind, summary, 'by its last note')}", "yellow"
    try:
        holder = holder_now(db_path)
    except OSError:
        return (f"{head}: not finished — still running, or its process was killed"
                f"{_what_it_did(kind, summary, 'by its last note')}"), "yellow"
    if holder is None or holder.command not in (None, "", kind):  # no writer, or another command's (`load`)
        return (f"{head}: killed (it no longer holds the database); what it stored stays"
                f"{_what_it_did(kind, summary, 'by its last note')}"), "yellow"
    by = f"pid {holder.pid}" if holder.pid is not None else "its process"
    return f"{head}: still running ({by} holds the database){_what_it_did(kind, summary, 'so far')}", "cyan"


def _what_it_did(kind: str, summary: str | None, when: str = "before it ended") -> str:
    """What a run that did not complete had done, as its row keeps it: a re-parse's figures, noted after each batch
    it loaded and as it stopped (" (re-parsed 400 document(s): …)"); a crawl's, noted as each portal (a backfill:
    each portal's partitions) finished (" (3 portal(s) finished before it ended: 12 new, …)"); "" for a run with no
    figures. A stopped run was said to have stopped, and how far it got could be read nowhere but in fetch_log.
    `when` says how far the figures go: a run still going has not ended ("so far"), and a killed one's are those
    of its last note, taken at most every 30 s (flows.common.noting), not of its end ("by its last note")."""
    try:
        rows = json.loads(summary) if summary else None
    except ValueError:
        return ""
    if not (isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows)):
        return ""
    if kind == "reparse":
        return f" ({ReparseSummary.line(rows[0])})" if len(rows) == 1 else ""
    portals = {row.get("portal") for row in rows}
    counts = {key: sum(row.get(key) or 0 for row in rows) for key in ("new", "changed", "unchanged", "failed")}
    return (f" ({len(portals)} portal(s) finished {when}: {counts['new']} new, {counts['changed']} "
            f"changed, {counts['unchanged']} unchanged, {counts['failed']} failed)")


def left_out_line(conn: sqlite3.Connection) -> str | None:
    """The config files the latest completed run over a whole directory left out, with why (m019): their portals
    went uncrawled, and their rows above show only the runs before. Runs of named portals, or of one file, say
    nothing either way (NULL). None when it left none out, or for a database older than m019."""
    try:
        row = conn.execute("SELECT id, kind, started_at, left_out FROM runs WHERE outcome = ? AND left_out IS NOT"
                           " NULL ORDER BY id DESC LIMIT 1", [RunOutcome.COMPLETED.value]).fetchone()
        files = json.loads(row[3]) if row is not None else []
    except (sqlite3.OperationalError, ValueError):
        return None
    if not files:
        return None
    run_id, kind, started, _ = row
    return (f"last run #{run_id} {kind}, started {_when(started)}, left out {len(files)} config file(s), so their "
            f"portals were not crawled: {'; '.join(f['reason'] for f in files)}")


def partitions_line(conn: sqlite3.Connection) -> str | None:
    """The backfill's partitions at a glance, naming the done ones whose lists held no report of their year (a
    partition that found nothing and one that loaded five were both just `done`); None when there are none. A
    database before m029 is read as the upgrade will leave it (runs.partitions._read_as)."""
    from govreports.query.readonly import QueryError
    from govreports.runs.partitions import overview

    try:
        seen = overview(conn)
    except (sqlite3.OperationalError, QueryError):
        return None
    if not seen.states:
        return None
    order = [state.value for state in PartitionState]
    states = ", ".join(f"{seen.states[state]} {_STATE_WORDS.get(state, state)}"
                       for state in sorted(seen.states, key=lambda s: (s not in order, order.index(s) if s in order
                                                                       else 0, s)))
    line = f"backfill partitions: {states}; {seen.loaded} report(s) loaded"
    if seen.found_none:
        names = ", ".join(f"{p} {y}" for p, y in seen.found_none[:6]) + (" …" if len(seen.found_none) > 6 else "")
        line += f"; {len(seen.found_none)} done found no report of their year ({names})"
    return line + "; `govreports status --partitions` lists each"


_STATE_WORDS = {PartitionState.NOT_YET_DUE.value: "not yet due (run again by the next backfill)"}  # as the line says it


def _partitions_table(rows: list[dict], title):
    """Every partition with what its last crawl found, loaded and failed ("—": not known: running, its crawl
    raised, or finished before govreports kept the figures)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name, justify in (("portal", "left"), ("year", "right"), ("status", "left"), ("found", "right"),
                          ("loaded", "right"), ("failed", "right"), ("attempts", "right"), ("updated", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    table.add_column("last error", overflow="fold", min_width=12)
    for row in rows:
        status = row["status"]
        table.add_row(Text(row["portal"]), str(row["year"]),
                      Text(status, style=_PARTITION_STYLES.get(status, "")),
                      *("—" if row[k] is None else str(row[k]) for k in ("found", "loaded", "failed", "attempts")),
                      _when(row["updated_at"]) or "—", Text(row["last_error"] or ""))
    return table


_PARTITION_STYLES = {PartitionState.DONE.value: "green", PartitionState.FAILED.value: "bold red",
                     PartitionState.RUNNING.value: "yellow", PartitionState.NOT_YET_DUE.value: "yellow"}


def _table(rows: list[dict], flags: list, title):
    """The portals' table; `title` and every cell from the database are Text, never read as rich markup."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    by_portal: dict[str, list] = {}
    for flag in flags:
        by_portal.setdefault(flag.portal, []).append(flag)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)  # no vertical rules: room to read
    for name, justify in (("portal", "left"), ("last run", "left"), ("run", "left"), ("outcome", "left"),
                          ("listed", "right"), ("last success", "left"), ("reports\nknown", "right"),
                          ("latest\nyear", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    table.add_column("open problems", overflow="fold", min_width=12)  # the one column that may wrap
    for row in rows:
        outcome = row["last_outcome"] or "—"
        problems = Text()
        for flag in by_portal.get(row["portal"], []):
            if problems:
                problems.append(", ")
            problems.append(flag.flag, style=STYLES.get(flag.level, ""))
        if row["last_success_run_id"] is None:
            success = Text("never", style="bold red" if row["last_run_id"] else "")
        elif row["last_success_run_id"] == row["last_run_id"]:
            success = Text("this run", style="green")
        else:
            success = Text(_when(row["last_success_at"]))
        table.add_row(
            Text(row["portal"]),
            _when(row["last_run_at"]) or "—",
            f"#{row['last_run_id']} {row['last_run_kind']}" if row["last_run_id"] else "—",
            Text(outcome, style=OUTCOME_STYLES.get(outcome, "")),
            "" if row["last_listed"] is None else str(row["last_listed"]),
            success,
            str(row["reports_known"]),
            "" if row["latest_year"] is None else str(row["latest_year"]),
            problems if problems else Text("none", style="green"),
        )
    return table


def status(db: DbOption = DEFAULT_DB,
           partitions: Annotated[bool, typer.Option("--partitions", help="List every backfill partition (portal ×"
                                                    " year): its state and what it found, loaded and failed.")]
           = False) -> None:
    """Every portal on one screen: last run, last success, reports known, latest year, open problems."""
    from rich.console import Console
    from rich.text import Text

    from govreports.query.readonly import QueryError, connect_readonly

    try:
        conn = connect_readonly(db)
    except QueryError as exc:
        fail(str(exc))
    if partitions:
        _list_partitions(conn, db)
        return
    try:
        rows, flags = read_status(conn)
        last = last_run_line(conn, db)
        backfill = partitions_line(conn)
        left_out = left_out_line(conn)
        loaded = not_crawled(conn)  # `govreports load`'s reports, in no portal's count: "not crawled yet" alone
        # said of a database of them what it says of an empty one
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            fail(f"{db} has no portal health yet (an older schema): any crawl or nightly run upgrades it")
        fail(f"cannot read {db}: {exc}")
    finally:
        conn.close()
    console = Console() if sys.stdout.isatty() else Console(file=sys.stdout, width=WIDTH)
    if not rows:
        console.print(f"{db}: no portal has been crawled yet (`govreports crawl` or `govreports nightly`)",
                      markup=False)
        if loaded:
            console.print(loaded_from_files(loaded), highlight=False, soft_wrap=False, markup=False)
        if last is not None:
            console.print(last[0], style=last[1], highlight=False, soft_wrap=False, markup=False)
        return
    console.print(_table(rows, flags, Text(f"govreports status — {db} — {dt.datetime.now():%Y-%m-%d %H:%M}")))
    if loaded:
        console.print(f"{loaded_from_files(loaded)}: no portal's count holds them", highlight=False,
                      soft_wrap=False, markup=False)
    if last is not None:
        console.print(last[0], style=last[1], highlight=False, soft_wrap=False, markup=False)
    if left_out is not None:
        console.print(left_out, style=STYLES["error"], highlight=False, soft_wrap=False, markup=False)
    if backfill is not None:
        console.print(backfill, highlight=False, soft_wrap=False, markup=False)
    for flag in flags:
        console.print(flag.line(), style=STYLES.get(flag.level, ""), highlight=False, soft_wrap=False, markup=False)
    errors = {f.portal for f in flags if f.level == "error"}
    warnings = {f.portal for f in flags if f.level != "error"} - errors
    healthy = len(rows) - len(errors) - len(warnings)
    console.print(f"{len(rows)} portal{'s' if len(rows) != 1 else ''}: {healthy} healthy, {len(errors)} with errors, "
                  f"{len(warnings)} with warnings only", highlight=False)


def _list_partitions(conn: sqlite3.Connection, db: Path) -> None:
    """`status --partitions`: every partition, or why there is none to list."""
    from rich.console import Console
    from rich.text import Text

    from govreports.query.readonly import QueryError
    from govreports.runs.partitions import listing

    try:
        rows = listing(conn)
    except QueryError as exc:  # a database whose partitions cannot be read (one before m029 is read as upgraded)
        fail(str(exc))
    finally:
        conn.close()
    console = Console() if sys.stdout.isatty() else Console(file=sys.stdout, width=WIDTH)
    if not rows:
        console.print(f"{db}: no backfill partition yet (`govreports backfill`)", markup=False)
        return
    console.print(_partitions_table(rows, Text(f"backfill partitions — {db}")))


def register(app: typer.Typer) -> None:
    app.command()(status)
