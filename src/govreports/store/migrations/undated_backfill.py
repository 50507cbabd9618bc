"""m027: the hash without the publication date (m022's `undated_sha`) of the versions loaded before m022.

m022 added the column and left the versions already loaded without one (NULL): a re-post of one of them that takes
its list entry's date (another portal's, another day) was not found by the duplicate check, and was loaded as a
second report of its agency's year, counted twice by every sum. Measured on a database crawled at schema 20 and
opened today: every one of its 83 reports, re-posted with another date, was loaded again. Each such version's
record is read back from its rows (store.read.get_record) and hashed as the loader hashes it (store.load.prepare); its
undated hash is written only where that record hashes to the version's own sha256, so a version the tables cannot
give back exactly keeps NULL (found by its whole hash, as before). About 1 ms a version (83 in 0.1 s).
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


def fill_undated_hashes(db: Database) -> int:
    """Write `undated_sha` of every version without one whose record reads back to its own hash; how many."""
    from govreports.store.load import prepare  # (the loader imports this package)
    from govreports.store.read import get_record

    filled = []
    for version_id, sha in db.execute("SELECT id, sha256 FROM report_versions WHERE undated_sha IS NULL").fetchall():
        record = get_record(db, version_id=version_id)
        if record is None:
            continue
        ready = prepare(record)
        if ready.sha == sha:
            filled.append((ready.undated_sha, version_id))
    db.conn.executemany("UPDATE report_versions SET undated_sha = ? WHERE id = ?", filled)
    return len(filled)


@migrations()
def m027_undated_hash_of_older_versions(db: Database) -> None:
    fill_undated_hashes(db)
