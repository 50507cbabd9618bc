"""Bookkeeping for the crawl flows: the fetch log (failures show in the `issues` view) and partition state.

Partitions (portal, year) let a flow resume: it marks one running, then done, not_yet_due or failed with the error, and
`attempts` counts tries so that a flow can give up on a partition that keeps failing; a finished one keeps what
its crawl found, loaded and failed.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.clock import now_iso
from govreports.store.db import write_transaction
from govreports.store.migrations.partition_counts import PARTITION_COUNTS
from govreports.store.statuses import PartitionState

PARTITION_STATES = tuple(state.value for state in PartitionState)  # pending, running, done, not_yet_due, failed


def log_fetch(db: Database, url: str, status: str | int | None, error: str | None = None, *,
              kind: str | None = None, portal: str | None = None, document_id: int | None = None,
              run_id: int | None = None, now: str | None = None) -> int:
    """One fetch or parse outcome against its URL; `kind` names the failure (see fetch.ERROR_KINDS and the
    parse kinds) so the `issues` view can be grouped by what went wrong; `run_id`, the run it happened in."""
    with write_transaction(db):
        return db["fetch_log"].insert({"url": url, "status": None if status is None else str(status),
                                       "error": error, "kind": kind, "portal": portal,
                                       "document_id": document_id, "run_id": run_id,
                                       "logged_at": now or now_iso()}).last_pk


def noted_against(db: Database, kind: str) -> set[tuple[str, int]]:
    """The (URL, document id) of every fetch_log note of `kind` made against a document: what a note said of a URL
    holds while that document is its page's stored copy (a known article's later page gone, crawl.events.Sink.gone).
    One scan of the log (it has no index but its id): read once a portal, not once a URL."""
    return {(url, doc) for url, doc in db.execute(
        "SELECT url, document_id FROM fetch_log WHERE kind = ? AND document_id IS NOT NULL", [kind]).fetchall()}


def set_partition(db: Database, portal: str, year: int, status: PartitionState | str, error: str | None = None, *,
                  now: str | None = None, counts: dict[str, int] | None = None) -> dict:
    """Record a partition's new state; entering `running` counts an attempt. `counts`: what its crawl found, loaded
    and failed (m029), for a partition that finished; None (unknown) otherwise — a running partition's, or one
    whose crawl raised, are not the last crawl's."""
    if status not in PARTITION_STATES:
        raise ValueError(f"unknown partition status {status!r}; expected one of {PARTITION_STATES}")
    status = PartitionState(status)
    counts = counts or {}
    if set(counts) - set(PARTITION_COUNTS):
        raise ValueError(f"unknown partition counts {sorted(set(counts) - set(PARTITION_COUNTS))}")
    with write_transaction(db):
        db.execute("INSERT OR IGNORE INTO partitions (portal, year) VALUES (?, ?)", [portal, year])
        db.execute(
            "UPDATE partitions SET status = ?, attempts = attempts + ?, last_error = ?, updated_at = ?, "
            + ", ".join(f"{column} = ?" for column in PARTITION_COUNTS) + " WHERE portal = ? AND year = ?",
            [status.value, 1 if status is PartitionState.RUNNING else 0, error, now or now_iso(),
             *(counts.get(column) for column in PARTITION_COUNTS), portal, year])
    return db["partitions"].get((portal, year))
