"""The `partitions` table (portal × year) of a backfill: what to run for missing | failed | all, and every state
change of a partition (running, then done, not_yet_due or failed), whoever runs it.

A partition left `running` by a killed run counts as missing: it never reached `done`, and re-crawling it is
harmless (loading is idempotent and known documents answer 304). So does one crawled before its year's reports
were all due (`not_yet_due`): what its lists held then is not all the year will have.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from govreports import clock
from govreports.crawl import CrawlSummary, PortalStats, apply_summary
from govreports.runs.health import legal_deadline
from govreports.store.db import connect
from govreports.store.logs import set_partition
from govreports.store.migrations.partition_counts import DONE_BEFORE_DUE, PARTITION_COUNTS
from govreports.store.statuses import PartitionState

Reprocess = Literal["missing", "failed", "all"]
REPROCESS = ("missing", "failed", "all")
# what a `missing` backfill runs: never run, never finished, or crawled before its year was due
MISSING = (None, PartitionState.PENDING, PartitionState.RUNNING, PartitionState.NOT_YET_DUE)
ENDED = (PartitionState.DONE, PartitionState.NOT_YET_DUE, PartitionState.FAILED)  # the states a partition's run ends in


def parse_years(text: str) -> list[int]:
    """'2019-2024' or '2019,2021' or '2020' → years."""
    years: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
            if lo > hi:
                raise ValueError(f"empty year range {part!r}")
            years.extend(range(lo, hi + 1))
        else:
            years.append(int(part))
    if not years or any(y < 2000 or y > 2100 for y in years):
        raise ValueError(f"years must be between 2000 and 2100: {text!r}")
    return sorted(set(years))


def statuses(db: Database | None) -> dict[tuple[str, int], PartitionState]:
    """Every partition's state; none without a database (a dry run's plan where there is none yet). A database
    before m029, which a dry run reads as it is, has the rows that m029 makes `not_yet_due` read so: the run, upgrading
    it first, runs them again, and its plan said it would not. By m029's own rule (its deadline read in UTC, not in
    China's time as `due` reads it): the plan is what that upgrade will do."""
    if db is None:
        return {}
    return {(p, y): PartitionState(s) for p, y, s in db.execute(
        f"SELECT portal, year, {_read_as(db)['status']} FROM partitions")}


def _read_as(conn) -> dict[str, str]:
    """The partitions' columns as a database upgraded to m029 has them, for a connection (a Database or a plain
    sqlite3 one) that reads it as it is (a dry run, `status`): before m029, the rows m029 makes `not_yet_due` read
    so, and what a partition found, loaded and failed unknown (NULL), as the upgrade leaves them."""
    if "found" in {row[1] for row in conn.execute("PRAGMA table_info(partitions)").fetchall()}:
        return {"status": "status", **{column: column for column in PARTITION_COUNTS}}
    return {"status": f"CASE WHEN {DONE_BEFORE_DUE} THEN '{PartitionState.NOT_YET_DUE.value}' ELSE status END",
            **{column: "NULL" for column in PARTITION_COUNTS}}


def failed_of(db: Database, partitions: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Those of `partitions` that are failed now, in the order given."""
    return in_state(db, partitions, PartitionState.FAILED)


def in_state(db: Database, partitions: Iterable[tuple[str, int]], state: PartitionState) -> list[tuple[str, int]]:
    """Those of `partitions` that are in `state` now, in the order given."""
    known = statuses(db)
    return [(p, y) for p, y in partitions if known.get((p, y)) == state]


def failed_since(db: Database, partitions: Iterable[tuple[str, int]], since: str
                 ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Those of `partitions` that are failed now: the ones a run begun at `since` ended failed (it held the writer
    lock, so no one else changed them since), and the ones failed before it, which it did not run."""
    failed = _ended_since(db, partitions, since, PartitionState.FAILED)
    return failed[True], failed[False]


def not_yet_due_since(db: Database, partitions: Iterable[tuple[str, int]], since: str) -> list[tuple[str, int]]:
    """Those of `partitions` that a run begun at `since` ended `not_yet_due` (as failed_since)."""
    return _ended_since(db, partitions, since, PartitionState.NOT_YET_DUE)[True]


def _ended_since(db: Database, partitions: Iterable[tuple[str, int]], since: str, state: PartitionState
                 ) -> dict[bool, list[tuple[str, int]]]:
    """Those of `partitions` in `state` now, by whether they were last changed at `since` or later."""
    known = {(p, y): (s, at or "") for p, y, s, at in db.execute("SELECT portal, year, status, updated_at"
                                                              " FROM partitions")}
    found: dict[bool, list[tuple[str, int]]] = {True: [], False: []}
    for p, y in partitions:
        if known.get((p, y), ("", ""))[0] == state:
            found[known[p, y][1] >= since].append((p, y))
    return found


def ran_line(ran: int, not_yet_due: list[tuple[str, int]]) -> str:
    """How many partitions a backfill ran, and which of them ended `not_yet_due`, as `status` counts them: the
    next backfill runs those again."""
    line = f"{ran} partition(s) run"
    if not_yet_due:
        names = ", ".join(f"{p} {y}" for p, y in not_yet_due[:8]) + (" …" if len(not_yet_due) > 8 else "")
        line += f", {len(not_yet_due)} of them not yet due (run again by the next backfill: {names})"
    return line


@dataclass(frozen=True)
class Overview:
    """The partitions at a glance (`govreports status`): how many are in each state, the reports the finished ones
    loaded, and the done ones whose lists held no report of their year (portal, year), which look done like any."""

    states: dict[str, int]
    loaded: int
    found_none: list[tuple[str, int]]


def overview(conn) -> Overview:
    """The partitions of the database open on `conn` (a Database or a plain sqlite3 connection) at a glance."""
    col = _read_as(conn)
    states = dict(conn.execute(f"SELECT {col['status']} AS s, count(*) FROM partitions GROUP BY s").fetchall())
    loaded = conn.execute(f"SELECT coalesce(sum({col['loaded']}), 0) FROM partitions").fetchone()[0]
    found_none = [(p, y) for p, y in conn.execute(
        f"SELECT portal, year FROM partitions WHERE {col['status']} = ? AND {col['found']} = 0"
        " ORDER BY portal, year", [PartitionState.DONE.value])]
    return Overview(states, loaded, found_none)


LISTED = ("portal", "year", "status", "found", "loaded", "failed", "attempts", "updated_at", "last_error")


def listing(conn) -> list[dict]:
    """Every partition, by portal and year, with what its last crawl found, loaded and failed (None: unknown)."""
    col = _read_as(conn)
    return [dict(zip(LISTED, row)) for row in conn.execute(
        f"SELECT {', '.join(col.get(name, name) for name in LISTED)} FROM partitions ORDER BY portal, year").fetchall()]


def plan(db: Database, portals: list[str], years: list[int], reprocess: Reprocess) -> list[tuple[str, int]]:
    if reprocess not in REPROCESS:
        raise ValueError(f"reprocess must be one of {REPROCESS}, not {reprocess!r}")
    known = statuses(db)
    todo = []
    for portal in portals:
        for year in years:
            status = known.get((portal, year))
            if (reprocess == "all"
                    or (reprocess == "missing" and status in MISSING)
                    or (reprocess == "failed" and status == PartitionState.FAILED)):
                todo.append((portal, year))
    return todo


def backfill_plan(db: str | Path, portals: list[str], years: list[int], reprocess: Reprocess, *, dry_run: bool
                  ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The partitions a backfill runs, and the failed ones a `missing` backfill leaves (it ran nothing and exited 0
    without a word about them). Shared by the flow and the command's dry run, which needs no Prefect."""
    with _partitions_of(db, dry_run) as database:
        todo = plan(database, portals, years, reprocess)
        left_failed = [] if reprocess != "missing" else failed_of(database, [(p, y) for p in portals for y in years])
    return todo, left_failed


@contextlib.contextmanager
def _partitions_of(db: str | Path, dry_run: bool) -> Iterator:
    """The database the plan reads the partitions from. A run opens it as its writer (created, migrated). A dry run
    only reads it: it takes no writer lock and says "nothing changed", yet opening it as a writer made a mistyped
    --db a new database and migrated an older one to today's schema, under whatever run was writing it. None (every
    partition missing) where there is no govreports database to read."""
    if not dry_run:
        with connect(db) as database:
            yield database
        return
    from govreports.query.readonly import NotGovreportsDatabase, connect_readonly

    try:
        conn = connect_readonly(db) if Path(db).is_file() else None
    except NotGovreportsDatabase:  # an empty file: nothing planned yet, as with none
        conn = None
    try:
        yield conn
    finally:
        if conn is not None:
            conn.close()


# Every state change of a partition happens here: running when its crawl starts (or, for a buffered run, when the
# flow hands it out), then done, or failed with the error. Each opens its own connection: the tasks of a flow run
# in threads, each with its own.

def start(db_path: str | Path, portal: str, year: int) -> None:
    """A partition's crawl begins: running (an attempt is counted)."""
    start_all(db_path, [(portal, year)])


def start_all(db_path: str | Path, todo: Iterable[tuple[str, int]]) -> None:
    """Several partitions handed out at once (a buffered run's workers write nothing, so the flow marks them)."""
    with connect(db_path) as db:
        for portal, year in todo:
            set_partition(db, portal, year, PartitionState.RUNNING)


def fail(db_path: str | Path, portal: str, year: int, error: str) -> None:
    """A partition's crawl raised: failed, with the error."""
    with connect(db_path) as db:
        set_partition(db, portal, year, PartitionState.FAILED, error)


def finish(db_path: str | Path, portal: str, year: int, summary: CrawlSummary, run_id: int | None = None, *,
           today: dt.date | None = None) -> None:
    """A partition's crawl ended: its buffered writes applied (if any; failures logged against `run_id`), then
    done — or failed when any of its URLs failed or was blocked, named with the counts, or when its lists showed no
    annual report of any year (a column down for maintenance that answers an empty list, a column moved): done,
    the partition was skipped by every later backfill, and its reports never loaded. A year the column has no
    report for, among others', is done — once the year's reports are all due (31 March of the next year, FORMAT.md
    §1); before, it is `not_yet_due`, which a `missing` backfill runs again (a backfill in December 2026 found no 2026
    report, marked 2026 done, and every later one skipped it). It keeps what its crawl found, loaded and failed
    (m029): a done partition that found nothing of its year is told from one that loaded its reports. `today`:
    the date that decides (default: today in China, where the deadline is midnight, not in UTC, as the partitions'
    times are stamped: a crawl at 2027-03-31T20:00Z is on 1 April in China, with every 2026 report due)."""
    with connect(db_path) as db:
        if summary.events:
            apply_summary(db, summary, run_id)
        stats = summary.portals[0]
        failures = stats.failed_total + stats.blocked
        counts = {"found": stats.found, "loaded": loaded(stats), "failed": failures}
        error = None
        if failures:
            error = f"{failures} URL(s) failed: {dict(stats.failed)}; blocked {stats.blocked}"
        elif not stats.report_titles:
            error = (f"its lists showed no annual report of any year ({stats.listed} item(s) listed on "
                     f"{stats.pages} page(s)): nothing says {year} has none")
        state = (PartitionState.FAILED if error
                 else PartitionState.DONE if due(year, today) else PartitionState.NOT_YET_DUE)
        set_partition(db, portal, year, state, error, counts=counts)


def due(year: int, today: dt.date | None = None) -> bool:
    """Whether every report of `year` is due by `today` (default: today in China, whose law sets the deadlines:
    clock.china_today): its latest deadline, a people's government's (31 March of the next year; a department's is
    31 January), has passed (runs.health.legal_deadline)."""
    return (today or clock.china_today()) > legal_deadline(year, government=True)


def loaded(stats: PortalStats) -> int:
    """The reports of a partition's crawl that the database holds: loaded new or changed, found unchanged, or known
    and not asked again this run ([incremental] recheck_days); a re-post of a report loaded from another page is
    not one of them, read (duplicate) or known (known_reposts: a re-post unchanged was counted the night after)."""
    return stats.new + stats.changed + stats.unchanged + stats.not_due - stats.known_reposts
