"""Re-parse archived documents with the current parser (no network) and report how many records changed."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.common import DEFAULT_ARCHIVE, DEFAULT_CONFIG, DEFAULT_DB, conclude_busy
from govreports.runs import jobs
from govreports.runs.reparse import reparse as reparse_archive
from govreports.store.db import open_db
from govreports.store.lock import DEFAULT_WAIT_S, DatabaseBusy, writer_lock


@flow(name="reparse", log_prints=True)
def reparse(config: str = DEFAULT_CONFIG, db: str = DEFAULT_DB, archive: str = DEFAULT_ARCHIVE,
            lock_wait: float = DEFAULT_WAIT_S):
    try:
        with writer_lock(db, wait=lock_wait, command="reparse"):
            database = open_db(db)
            try:
                summary = reparse_archive(database, archive, jobs.load(config))
            finally:
                database.conn.close()
    except DatabaseBusy as exc:
        return conclude_busy(exc, {})
    row = summary.row()
    create_table_artifact(table=[row], key="reparse-summary", description="re-parse from the archive")
    print(f"re-parsed {row['documents']} document(s): {summary.changed} record(s) changed, "
          f"{row['unchanged']} unchanged, {row['failed']} failed, {row['missing']} missing from the archive")
    return row


if __name__ == "__main__":
    reparse()
