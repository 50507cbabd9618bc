"""The database layer (sqlite-utils): open/migrate, load canonical records, read them back, search sections.

Public API:
    connect(path=DEFAULT_DB) -> with-block Database  open_db for one block, closed when it ends
    open_db(path=DEFAULT_DB) -> Database          WAL, 30 s busy timeout, migrations applied
    write_transaction(db)                         BEGIN IMMEDIATE ... COMMIT (savepoint when nested)
    schema_version(db) -> int
    load_record(db, record, document=None) -> LoadResult(report_id, version_id, status, cells)
    document_from_path(path, kind=None) -> dict
    get_record(db, report_id | version_id=) -> dict
    search_sections(db, query) -> list[dict]
    log_fetch(db, url, status, error), set_partition(db, portal, year, status, error)
"""

from govreports.store.db import DEFAULT_DB, connect, open_db, schema_version, write_transaction
from govreports.store.fts import search_sections
from govreports.store.load import LoadResult, document_from_path, load_record
from govreports.store.logs import log_fetch, set_partition
from govreports.store.read import get_record
from govreports.store.version_hash import record_sha256

__all__ = ["DEFAULT_DB", "LoadResult", "connect", "document_from_path", "get_record", "load_record", "log_fetch", "open_db",
           "record_sha256", "schema_version", "search_sections", "set_partition", "write_transaction"]
