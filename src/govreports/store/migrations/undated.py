"""m022: each version's hash without its publication date (`report_versions.undated_sha`), for re-posts.

A report re-posted on another portal is a duplicate of the one loaded first, found by its version hash. A re-post
whose page gives no date of its own takes its list entry's, which differs from portal to portal: its hash
differed, and the re-post was loaded as a second report of the same agency and year, every sum over reports
counting it twice. Versions loaded before this migration have none (NULL): their re-posts are found by the whole
hash, as before.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations


@migrations()
def m022_undated_version_hash(db: Database) -> None:
    if "undated_sha" not in db["report_versions"].columns_dict:  # (tests give an older schema today's loader)
        db.execute("ALTER TABLE report_versions ADD COLUMN undated_sha TEXT")
