"""m001: the tables a report is stored in (agencies, documents, reports, versions, cells, sections, checks…).

DDL is written as SQL (not `table.create`) because `cells.value` must have *no* declared type: SQLite then keeps
integers as integers and decimals as decimals, so a stored cell comes back exactly as the record had it.
"""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

_TABLES = (
    """CREATE TABLE agencies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,              -- as first written
        norm_name TEXT NOT NULL UNIQUE,  -- NFKC, traditional->simplified, no whitespace
        region TEXT
    )""",
    """CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        url TEXT,
        final_url TEXT,
        fetched_at TEXT,
        sha256 TEXT,
        archive_path TEXT,
        media_type TEXT
    )""",
    "CREATE INDEX documents_sha256 ON documents(sha256)",
    """CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        agency_id INTEGER NOT NULL REFERENCES agencies(id),
        year INTEGER,
        source_key TEXT NOT NULL DEFAULT '',  -- document url, else archive path, else ''
        format TEXT,
        title TEXT,
        published TEXT,
        document_id INTEGER REFERENCES documents(id),
        parser_version TEXT,
        current_version_id INTEGER REFERENCES report_versions(id),
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        UNIQUE (agency_id, year, source_key)
    )""",
    "CREATE INDEX reports_year ON reports(year)",
    "CREATE INDEX reports_current ON reports(current_version_id)",
    """CREATE TABLE report_versions (
        id INTEGER PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES reports(id),
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,            -- of the canonical JSON without volatile keys
        agency_written TEXT,
        format TEXT,
        title TEXT,
        published TEXT,
        document_id INTEGER REFERENCES documents(id),
        parser_version TEXT,
        loaded_at TEXT NOT NULL,
        record_keys TEXT NOT NULL,       -- JSON list: top-level keys present in the record, in order
        extra_json TEXT,                 -- JSON object: top-level keys this schema does not model
        UNIQUE (report_id, sha256),
        UNIQUE (report_id, version)
    )""",
    """CREATE TABLE sections (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        report_id INTEGER NOT NULL REFERENCES reports(id),
        section TEXT NOT NULL,
        heading TEXT,
        body TEXT
    )""",
    "CREATE INDEX sections_version ON sections(version_id)",
    """CREATE TABLE cells (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        report_id INTEGER NOT NULL REFERENCES reports(id),
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        col_key TEXT NOT NULL,
        value,                           -- no type: ints stay ints, decimals stay decimals
        raw TEXT,                        -- text cells (amount_unit) and raw text when known
        PRIMARY KEY (version_id, table_name, row_key, col_key)
    ) WITHOUT ROWID""",
    """CREATE TABLE row_totals (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        report_id INTEGER NOT NULL REFERENCES reports(id),
        table_name TEXT NOT NULL,        -- applications | review_litigation
        row_key TEXT NOT NULL,
        n,                               -- the row's total cell, else the sum of its cells, else NULL
        PRIMARY KEY (version_id, table_name, row_key)
    ) WITHOUT ROWID""",
    """CREATE TABLE checks (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        report_id INTEGER NOT NULL REFERENCES reports(id),
        seq INTEGER NOT NULL,
        rule TEXT NOT NULL,
        location TEXT,                   -- the record's check "where"
        ok INTEGER,                      -- 1, 0, or NULL = not evaluable
        detail TEXT,
        PRIMARY KEY (version_id, seq)
    )""",
    "CREATE INDEX checks_failed ON checks(ok, version_id)",
    """CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        status TEXT,
        error TEXT,
        document_id INTEGER REFERENCES documents(id),
        logged_at TEXT NOT NULL
    )""",
    """CREATE TABLE partitions (
        portal TEXT NOT NULL,
        year INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at TEXT,
        PRIMARY KEY (portal, year)
    )""",
)


@migrations()
def m001_tables(db: Database) -> None:
    for sql in _TABLES:
        db.execute(sql)
