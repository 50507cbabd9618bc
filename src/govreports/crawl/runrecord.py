"""A run's row in `runs`: written when the run starts, completed when it ends, however it ends.

Written first so that a run that never finishes still shows (a scheduler's SIGTERM at the end of the night's
slot, a crash, a killed process), beside the reports it loaded. The row is completed with the run's figures
(`record_run`: its `portal_runs` rows and portal health too), or marked `stopped` or `failed` with why
(`end_unfinished`): a run that did not finish writes no `portal_runs` rows, so its partial figures never
enter a portal's health history. A re-parse, which has no portal rows, notes its figures in its row as it goes
(`note_figures`, `figures_kept`), so one stopped midway says what it did. A row left with no outcome is a run
still going, or one whose process died where no code could run (SIGKILL), until the next run begins and marks it
`killed` (`govreports status` tells the two apart meanwhile by the writer lock, which the run's process holds while
it lives).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlite_utils import Database

from govreports.clock import now_iso
from govreports.crawl.stats import CrawlSummary, merge_by_portal
from govreports.lifecycle import Ending, cut_short_in, signal_name, stop_signal_in
from govreports.store.db import connect, run_started_at, still_the_same_file, write_transaction
from govreports.store.statuses import RunOutcome


def begin_run(db: Database, kind: str, started: str) -> int:
    """The run's row, with no outcome yet; its id. Runs begin under the writer lock, one at a time, so a row
    still without an outcome now is a run whose process died where no code could run: it is marked `killed`."""
    with write_transaction(db):
        run_id = db["runs"].insert({"kind": kind, "started_at": started}).last_pk
        db.execute("UPDATE runs SET outcome = ?, error = ? WHERE outcome IS NULL AND id < ?",
                   [RunOutcome.KILLED.value, f"its process ended before it could say how (SIGKILL, out of memory, "
                    f"the machine stopped); found when run {run_id} began", run_id])
    return run_id


def record_run(db: Database, kind: str, started: str, summary: CrawlSummary, *, run_id: int | None = None,
               today: datetime.date | None = None, left_out: list[tuple[str, str]] | None = None) -> int:
    """The run completed: its row in `runs` (the one `begin_run` wrote, or a new one), one `portal_runs` row per
    portal (a backfill's per-year figures added up), then portal health: each portal judged against its own
    history, the flags stored and put on `summary.health`. Health is assessed after the run is committed: it is
    derived from the history and can be assessed again. `left_out`: the config files a run over a directory left
    out, with why (`status` names them); None for a run that was not over a whole directory."""
    from govreports.runs.health import assess_run  # runs builds on crawl, so imported here, not at the top

    still_the_same_file(db)  # the run's last batches went to the file it opened: say so if that file is gone
    finished = now_iso()
    if run_id is not None:  # its portals' rows start when the run began (the CLI's nightly: before the flow)
        started = run_started_at(db, run_id)
    row = {"finished_at": finished, "outcome": RunOutcome.COMPLETED.value, "error": None,
           "summary_json": json.dumps(summary.rows(), ensure_ascii=False),
           "left_out": None if left_out is None else json.dumps([{"file": f, "reason": r} for f, r in left_out],
                                                                ensure_ascii=False)}
    with write_transaction(db):
        if run_id is None:
            run_id = db["runs"].insert({"kind": kind, "started_at": started, **row}).last_pk
        else:  # begun by begin_run, which set when it started
            db["runs"].update(run_id, row)
        db["portal_runs"].insert_all(
            {"run_id": run_id, "portal": p.portal, "kind": kind, "started_at": started, "finished_at": finished,
             "outcome": p.outcome.value, "pages": p.pages, "list_failed": p.list_failed, "listed": p.listed,
             "found": p.found, "report_titles": p.report_titles, "new": p.new, "changed": p.changed,
             "unchanged": p.unchanged, "duplicate": p.duplicate, "failed": p.failed_total,
             "parse_failed": p.parse_failed,
             "blocked": p.blocked, "failures_json": json.dumps(dict(sorted(p.failed.items())))}
            for p in merge_by_portal(summary.portals))
    summary.health = assess_run(db, run_id, today=today)
    return run_id


def ending(exc: BaseException) -> tuple[RunOutcome, str]:
    """How a run that raised `exc` ended: stopped (a stop signal, named; or its crawl cancelled) or failed."""
    cut = cut_short_in(exc)  # its own bounds (runs.watchdog) stopped it: its time limit, Prefect gone
    if cut is not None:
        return RunOutcome(cut.ending.outcome), cut.ending.reason
    signum = stop_signal_in(exc)
    if signum is not None:
        return RunOutcome.STOPPED, f"stopped by {signal_name(signum)}"
    if isinstance(exc, asyncio.CancelledError):
        return RunOutcome.STOPPED, "cancelled"
    return RunOutcome.FAILED, f"{type(exc).__name__}: {exc}"


MARK_WAIT_S = 5.0  # how long marking a run waits for another writer: a stopping run must end in seconds


def end_unfinished(db: Database, run_id: int, exc: BaseException) -> None:
    """Mark the run stopped or failed, with why, unless it was already completed (a failure after its figures
    were written)."""
    _mark(db, run_id, *ending(exc))


def mark_ended(db_path: str | Path, run_id: int, ending: Ending) -> None:
    """Mark the run as `ending` says, unless it already has an outcome: for a process about to end itself
    (runs.watchdog), whose main thread could not unwind to do it."""
    _mark_at(db_path, run_id, RunOutcome(ending.outcome), ending.reason)


def _mark(db: Database, run_id: int, outcome: RunOutcome, why: str) -> None:
    """Set a run's outcome if it has none yet. Waits at most MARK_WAIT_S for another writer (the stopped crawls
    flushing what they read) and never raises: the run's own exception is what its caller reports, and a
    database that cannot be written (the cause, perhaps) leaves the row with no outcome, which is still true."""
    try:
        with _briefly(db), write_transaction(db):
            db.execute("UPDATE runs SET finished_at = ?, outcome = ?, error = ? WHERE id = ? AND outcome IS NULL",
                       [now_iso(), outcome.value, why, run_id])
    except Exception as err:  # noqa: BLE001 - see above
        print(f"warning: run {run_id} could not be marked {outcome.value}: {err}", file=sys.stderr)


@contextmanager
def _briefly(db: Database) -> Iterator[None]:
    """The connection waits at most MARK_WAIT_S for another writer inside the block: a stopping run must end in
    seconds."""
    wait_ms = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout = {int(MARK_WAIT_S * 1000)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")


def note_figures(db: Database, run_id: int, rows: list[dict]) -> None:
    """The figures of a run still going (a re-parse's, after each batch it loaded) in its row, which has no outcome
    yet: a run stopped, failed or killed midway keeps what it did there, its outcome then set beside them
    (`_mark`), where its row had said `stopped` with no figure at all. A completed run's are `complete_run`'s."""
    with write_transaction(db):
        db.execute("UPDATE runs SET summary_json = ? WHERE id = ? AND outcome IS NULL",
                   [json.dumps(rows, ensure_ascii=False), run_id])


@contextmanager
def figures_kept(db: Database, run_id: int, rows: Callable[[], list[dict]]) -> Iterator[None]:
    """If the block raises (a stop, a failure), the run's figures so far, `rows()`, noted in its row before it is
    marked (`note_figures`; the failures counted since its last note too). As `_mark`: at most MARK_WAIT_S, and
    never raising, so the run's own exception is what its caller reports."""
    try:
        yield
    except BaseException:
        try:
            with _briefly(db):
                note_figures(db, run_id, rows())
        except Exception as err:  # noqa: BLE001 - see above; the figures noted before stay
            print(f"warning: run {run_id}'s figures could not be kept: {err}", file=sys.stderr)
        raise


def completed_run(db_path: str | Path, run_id: int) -> dict | None:
    """The run as it was recorded, if it completed (its row's outcome; None for any other, or none yet):
    {"started_at", "finished_at", "rows"}, its summary rows as the flow published them, each portal's with its
    health flags (`health`). For a command whose bounds stopped it after that (runs.watchdog): it ends with the
    run's own verdict. Health is assessed again first: it is derived from the history (assessing twice gives the
    same flags), and a stop in the instant after the row was committed can come before its flags were stored."""
    from govreports.runs.health import assess_run  # runs builds on crawl, so imported here, not at the top

    with connect(db_path, migrate=False) as db:
        found = db.execute("SELECT outcome, started_at, finished_at, summary_json FROM runs WHERE id = ?",
                           [run_id]).fetchone()
        if found is None or found[0] != RunOutcome.COMPLETED.value:
            return None
        try:
            assess_run(db, run_id)
        except Exception as err:  # noqa: BLE001 - the flags stored when the run was recorded are read instead
            print(f"warning: run {run_id}'s portal health could not be assessed again: {err}", file=sys.stderr)
        flags: dict[str, list[str]] = {}
        for portal, flag in db.execute("SELECT portal, flag FROM health_flags WHERE run_id = ?"
                                       " ORDER BY level != 'error', portal, flag", [run_id]):  # assess_run's order
            flags.setdefault(portal, []).append(flag)
    rows = [{**row, "health": ", ".join(flags.get(row["portal"], []))} if "portal" in row else row
            for row in json.loads(found[3] or "[]")]
    return {"started_at": found[1], "finished_at": found[2], "rows": rows}


def complete_run(db: Database, run_id: int, rows: list[dict]) -> None:
    """A run that crawls nothing (a re-parse) completed with its figures: no `portal_runs` rows and no health,
    which are the crawls' history; `status` and `runs` show it beside them, and a stopped one as stopped."""
    still_the_same_file(db)
    with write_transaction(db):
        db["runs"].update(run_id, {"finished_at": now_iso(), "outcome": RunOutcome.COMPLETED.value, "error": None,
                                   "summary_json": json.dumps(rows, ensure_ascii=False)})


@contextmanager
def unfinished_marked(db: Database, run_id: int | None) -> Iterator[None]:
    """Mark the run stopped or failed (`end_unfinished`) if the block raises; nothing to do when run_id is None."""
    try:
        yield
    except BaseException as exc:
        if run_id is not None:
            end_unfinished(db, run_id, exc)
        raise


_RECORDING: ContextVar[tuple[Path, str, int] | None] = ContextVar("govreports_recorded_run", default=None)


@contextmanager
def recorded_run(db_path: str | Path, kind: str, started: str) -> Iterator[int]:
    """A run's row for the block: begun on entry, marked stopped or failed if the block raises (the block
    completes it with `record_run(..., run_id=)`; one that ends without doing so is marked failed, as a bug
    would leave it). Inside another block of the same database and kind, the
    outer one's row: the CLI's nightly begins its run before the Prefect flow that completes it has started
    (its crawls begin then too, flows.early), so a night stopped while Prefect starts is recorded as well."""
    key = Path(db_path).resolve()
    outer = _RECORDING.get()
    if outer is not None and outer[:2] == (key, kind):
        run_id = outer[2]
        token = None
    else:
        with connect(db_path) as db:
            run_id = begin_run(db, kind, started)
        token = _RECORDING.set((key, kind, run_id))
    try:
        yield run_id
    except BaseException as exc:
        _mark_at(db_path, run_id, *ending(exc))
        raise
    else:
        if token is not None:  # the block that began the row: it must have been completed by now
            _mark_at(db_path, run_id, RunOutcome.FAILED, "it ended without recording its figures")
    finally:
        if token is not None:
            _RECORDING.reset(token)


def _mark_at(db_path: str | Path, run_id: int, outcome: RunOutcome, why: str) -> None:
    """`_mark` on a connection of its own (the database was migrated when the run began)."""
    try:
        with connect(db_path, migrate=False) as db:
            _mark(db, run_id, outcome, why)
    except Exception as err:  # noqa: BLE001 - the database cannot even be opened: the row stays unfinished
        print(f"warning: run {run_id} could not be marked {outcome.value}: {err}", file=sys.stderr)
