"""What the flows share: the selectable task runner, the run's summary rows, artifacts and run records, and the
flow run's final state from the run verdict."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from govreports.clock import now_iso
from govreports.crawl import CrawlSummary, PortalStats, record_run
from govreports.crawl.runrecord import note_figures
from govreports.errors import StorageError
from govreports.lifecycle import stop_signal
from govreports.portals.config import CrawlConfig
from govreports.query.output import RUN_COLUMNS
from govreports.runs import health, jobs
from govreports.runs.jobs import TASK_WORKERS  # noqa: F401 - the flows' name for it
from govreports.runs.verdict import RunStatus, Verdict, judge
from govreports.store.db import connect, locked
from govreports.store.lock import DatabaseBusy


def task_runner(name: str = "threads", workers: int = TASK_WORKERS):
    """threads (default) or dask: a local Dask cluster of two workers (`pip install -e '.[dask]'`). Where the
    tasks' writes go follows from the same name: govreports.runs.jobs.mode."""
    if name == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if name == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError("the dask task runner needs the optional extra: pip install -e '.[dask]'") from exc
        return DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    raise ValueError(f"unknown task runner {name!r}: threads or dask")


def portals_to_run(config: str, portals: list[str] | None
                   ) -> tuple[CrawlConfig, list[str], list[tuple[str, str]] | None]:
    """The crawl configuration, the portals a run crawls (`portals`, each found, or every portal of `config`) and
    the config files it left out, each logged as an error with why: a directory's file that cannot be used costs
    its own portals the run, not the others'. A named portal not found is the run's ConfigError, as on the
    command line, rather than a task that fails (`internal`) for each. A name given twice is crawled once."""
    portals = list(dict.fromkeys(portals)) if portals else portals
    crawl = jobs.load(config)
    for name in portals or ():
        crawl.select(name)
    left_out = crawl.left_out(portals)
    for _, reason in left_out or ():
        get_run_logger().error(f"{reason}; its portals are left out of this run")
    return crawl, portals or [p.name for p in crawl.portal], left_out


def summary_rows(summaries: list[CrawlSummary]) -> list[dict]:
    return [{k: row[k] for k in RUN_COLUMNS} for s in summaries for row in s.rows()]


def publish(kind: str, db_path: str, started: str, summaries: list[CrawlSummary], key: str,
            run_id: int | None = None, left_out: list[tuple[str, str]] | None = None,
            years: list[int] | None = None) -> list[dict]:
    """The run's summary, per portal, as a table artifact and in its `runs` row (`run_id`: the one the run began
    with, crawl.runrecord); recording the run judges each portal's health, and the flags go into the rows
    (`health`), the log and a `portal-health` artifact. `years`: a backfill's, a summary per partition, each row
    then named by its year beside its portal (the same portal on a row per year could not be told apart)."""
    merged = CrawlSummary([p for s in summaries for p in s.portals])
    rows = summary_rows(summaries)
    if years is not None and len(years) == len(rows):  # (a partition's summary is one portal's: one row each)
        rows = [{"portal": row["portal"], "year": year, **row} for row, year in zip(rows, years)]
    with connect(db_path) as db:
        run_id = record_run(db, kind, started, merged, run_id=run_id, left_out=left_out)
    flagged: dict[str, list[str]] = {}
    for flag in merged.health:
        flagged.setdefault(flag.portal, []).append(flag.flag)
    for row in rows:
        row["health"] = ", ".join(flagged.get(row["portal"], []))
    create_table_artifact(table=rows or [{"portal": "(none)"}], key=key,
                          description=f"govreports {kind} run {run_id}, started {started}, finished {now_iso()}")
    publish_health(kind, run_id, merged)
    return rows


def publish_health(kind: str, run_id: int, summary: CrawlSummary) -> None:
    """Print the run's health flags and publish them as the `portal-health` artifact — every run, flags or not:
    the artifact page shows a key's latest version, and a clean run must replace the last run's flags there."""
    for flag in summary.health:
        print(flag.line())
    portals = len({p.portal for p in summary.portals})
    report = health.markdown(summary.health, portals, f"Portal health — {kind} run {run_id}")
    create_markdown_artifact(markdown=report, key="portal-health",
                             description=f"{len(summary.health)} portal health flag(s) of {kind} run {run_id}")


def unless_storage(task, task_run, state) -> bool:
    """The portal tasks' retry condition: retried after a failure, unless the database cannot be written
    (StorageError: a retry would fail the same way, only minutes later) or another program kept it locked past
    SQLite's busy timeout (`locked`: the run ends, as it does when that lock is there at its start). Prefect hands
    over the exception as the Failed state's data."""
    error = getattr(state, "data", None)
    return not isinstance(error, StorageError) and not locked(error)


def settled(portal: str, future) -> CrawlSummary:
    """A portal task's summary; a task that failed even after its retries (a bug) becomes a portal that could not
    be crawled, named with the error — one portal must not end the night for the others. A database that cannot
    be written (StorageError: a full disk) ends the run: no portal's reports could be stored (exit 74); so does
    one another program kept locked (exit 75: its portals were reached; they read "unreachable", `internal`) and
    a task stopped with the run (Ctrl-C, SIGTERM: lifecycle)."""
    result = future.result(raise_on_failure=False)
    if not isinstance(result, BaseException):
        return result
    if isinstance(result, StorageError) or locked(result) or stop_signal(result) is not None:  # it ends too
        raise result
    return crashed(portal, f"{type(result).__name__}: {result}")


NOTE_EVERY_S = 30.0  # the least time between two notes of a run's figures as its portals finish


def noting(db_path: str, run_id: int | None, buffered: bool,
           every_s: float = NOTE_EVERY_S) -> Callable[..., None]:
    """What a crawl run does as its portals' tasks settle: `note(summaries)` notes its figures so far in its `runs`
    row (crawl.runrecord.note_figures), so a night stopped, failed or killed midway keeps what its finished
    portals did — its row said `stopped` with no figure at all. At most every `every_s` seconds (each note rewrites
    the whole list: after every one of 2,000 portals, a night would write two million rows), and at once with
    `final=True`, which a run that stops calls on its way out. Buffered tasks store nothing until all have returned
    (the flow applies their writes then): nothing to note. Never raises: a note that could not be written leaves
    the one before, and the run goes on."""
    last = [float("-inf")]

    def note(summaries: list[CrawlSummary], final: bool = False) -> None:
        if buffered or run_id is None or (not final and time.monotonic() - last[0] < every_s):
            return
        last[0] = time.monotonic()
        try:
            with connect(db_path) as db:
                note_figures(db, run_id, summary_rows(summaries))
        except Exception as err:  # noqa: BLE001 - see above
            print(f"warning: run {run_id}'s figures so far could not be noted: {err}", file=sys.stderr)
    return note


def crashed(portal: str, error: str) -> CrawlSummary:
    """A portal (or a backfill partition) whose crawl raised: it could not be crawled (one `internal` failure),
    so the run's verdict and exit code count it, and its error is printed."""
    stats = PortalStats(portal, pages=1, list_failed=1)
    stats.failed["internal"] += 1
    print(f"error: portal {portal} failed: {error}")
    return CrawlSummary([stats])


def conclude(summaries: list[CrawlSummary], rows: list[dict], result, unusable: list[tuple[str, str]] | None = None,
             verdict: Verdict | None = None):
    """The flow run's final state from the run verdict: Failed (with `result` as its data) when no portal could be
    reached; Completed with a `run-problems` markdown artifact when some could not, a portal's health check
    failed, or config files could not be used (`unusable`); plain `result` when all is well. `rows` are the
    published rows (they carry the health flags). `verdict`: the run's own, where it is not the portals' (a
    re-parse)."""
    if verdict is None:
        verdict = run_verdict(summaries, rows, unusable)
    if verdict.status == RunStatus.FAILED:
        print(f"error: {verdict.line}")
        return Failed(message=verdict.line, data=result)
    if verdict.line:
        print(f"warning: {verdict.line}")
        create_markdown_artifact(markdown=f"**govreports: {verdict.status}**\n\n{verdict.line}\n", key="run-problems",
                                 description="what kept this run from crawling every portal")
    return result


def run_verdict(summaries: list[CrawlSummary], rows: list[dict], unusable: list[tuple[str, str]] | None = None
                ) -> Verdict:
    """The portals' verdict: each summary row judged with the health flags of the published `rows`."""
    health = {r["portal"]: r.get("health", "") for r in rows}
    return judge([{**r, "health": health.get(r["portal"], "")} for s in summaries for r in s.rows()],
                 unusable=unusable)


def conclude_busy(exc: DatabaseBusy, empty):
    """Another writer held the database for the whole wait: the run did nothing, and says why (`empty`: the
    flow's result shape with nothing in it)."""
    return refuse(str(exc), empty)


def refuse(why: str, empty):
    """The run does nothing, and says why in one line (its log and its Failed state's message): another writer
    holds the database, a parameter it cannot use. `empty`: the flow's result shape with nothing in it."""
    print(f"error: {why}")
    return Failed(message=why, data=empty)
