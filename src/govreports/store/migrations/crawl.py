"""m003–m005: what the crawler keeps (response facts, items, fetch log, runs), failure kinds, portal health."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

@migrations()
def m003_crawl(db: Database) -> None:
    """What the crawler needs to be polite and incremental: the response facts of every archived document
    (status, validators for conditional GET, headers), the items each portal lists, and per-run summaries."""
    for column, kind in (("status", "INTEGER"), ("etag", "TEXT"), ("last_modified", "TEXT"),
                         ("headers_json", "TEXT"), ("encoding", "TEXT"), ("portal", "TEXT")):
        db.execute(f"ALTER TABLE documents ADD COLUMN {column} {kind}")
    db.execute("CREATE INDEX documents_url ON documents(url, id)")
    db.execute("""CREATE TABLE items (
        portal TEXT NOT NULL,
        url TEXT NOT NULL,                 -- the report page as listed
        list_title TEXT,
        list_date TEXT,
        year INTEGER,                      -- covered year, from the listed title when it states one
        attachment_url TEXT,               -- where the report was read from when the page had no tables
        document_id INTEGER REFERENCES documents(id),  -- the document the current record was parsed from
        report_id INTEGER REFERENCES reports(id),
        status TEXT,                       -- loaded | duplicate | failed | blocked | not_report
        error TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (portal, url))""")
    db.execute("CREATE INDEX items_year ON items(portal, year)")
    db.execute("""CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                -- crawl | nightly | backfill | reparse
        started_at TEXT NOT NULL,
        finished_at TEXT,
        summary_json TEXT                  -- per-portal counts: listed, new, changed, unchanged, failed, blocked
    )""")


@migrations()
def m004_failure_kinds_and_portal_runs(db: Database) -> None:
    """Failures named for what they are (`fetch_log.kind`: dns, refused, tls, timeout, http, robots_disallowed,
    robots_unreachable, blocked, too_slow, too_large, bomb, parse, …) and one row per portal per run, so that
    each portal can be compared with its own history (portal health)."""
    db.execute("ALTER TABLE fetch_log ADD COLUMN kind TEXT")
    db.execute("ALTER TABLE fetch_log ADD COLUMN portal TEXT")
    db.execute("ALTER TABLE fetch_log ADD COLUMN run_id INTEGER")
    db.execute("DROP VIEW issues")
    db.create_view("issues", "SELECT id, logged_at, portal, kind, status, url, error, document_id, run_id"
                             " FROM fetch_log WHERE error IS NOT NULL")
    db.execute("""CREATE TABLE portal_runs (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        portal TEXT NOT NULL,
        kind TEXT NOT NULL,                -- crawl | nightly | backfill
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT NOT NULL,             -- ok | partial | unreachable
        pages INTEGER NOT NULL DEFAULT 0,  -- list pages requested
        list_failed INTEGER NOT NULL DEFAULT 0,
        listed INTEGER NOT NULL DEFAULT 0,
        found INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        changed INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        duplicate INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        parse_failed INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        failures_json TEXT,                -- failures by kind
        PRIMARY KEY (run_id, portal))""")
    db.execute("CREATE INDEX portal_runs_portal ON portal_runs(portal, run_id)")


_PORTAL_HEALTH = """WITH portals AS (SELECT portal FROM portal_runs UNION SELECT portal FROM items),
last AS (SELECT portal, max(run_id) AS run_id FROM portal_runs GROUP BY portal),
success AS (SELECT portal, max(run_id) AS run_id FROM portal_runs
            WHERE outcome != 'unreachable' AND listed > 0 GROUP BY portal),
known AS (SELECT i.portal, count(DISTINCT i.report_id) AS reports, max(r.year) AS latest_year
          FROM items i JOIN reports r ON r.id = i.report_id
          WHERE i.status IN ('loaded', 'duplicate') GROUP BY i.portal),
flagged AS (SELECT portal, count(*) AS problems, sum(level = 'error') AS errors,
                group_concat(flag, ', ') AS flags,
                group_concat(level || ' ' || flag || ': ' || detail, char(10)) AS details
         FROM (SELECT f.* FROM health_flags f JOIN last l ON l.portal = f.portal AND l.run_id = f.run_id
               ORDER BY f.level = 'warning', f.flag)
         GROUP BY portal)
SELECT p.portal,
  lr.run_id AS last_run_id, lr.kind AS last_run_kind, coalesce(lr.finished_at, lr.started_at) AS last_run_at,
  lr.outcome AS last_outcome, lr.listed AS last_listed,
  sr.run_id AS last_success_run_id, coalesce(sr.finished_at, sr.started_at) AS last_success_at,
  coalesce(k.reports, 0) AS reports_known, k.latest_year,
  coalesce(o.problems, 0) AS problems, coalesce(o.errors, 0) AS errors, o.flags, o.details
FROM portals p
LEFT JOIN last l ON l.portal = p.portal
LEFT JOIN portal_runs lr ON lr.portal = l.portal AND lr.run_id = l.run_id
LEFT JOIN success s ON s.portal = p.portal
LEFT JOIN portal_runs sr ON sr.portal = s.portal AND sr.run_id = s.run_id
LEFT JOIN known k ON k.portal = p.portal
LEFT JOIN flagged o ON o.portal = p.portal
ORDER BY p.portal"""


@migrations()
def m005_portal_health(db: Database) -> None:
    """Portal health: the flags each run raised against each portal when compared with the portal's own history
    (govreports.runs.health), and one row per portal saying how it stands — the open problems are the flags of
    its latest run, so a problem closes when a run no longer raises it."""
    db.execute("""CREATE TABLE health_flags (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        portal TEXT NOT NULL,
        flag TEXT NOT NULL,                -- unreachable | list_failing | empty | parse_failures_jump | overdue
        level TEXT NOT NULL,               -- error | warning
        detail TEXT NOT NULL,              -- one line: what was seen, against which history
        PRIMARY KEY (run_id, portal, flag))""")
    db.execute("CREATE INDEX health_flags_portal ON health_flags(portal, run_id)")
    db.create_view("portal_health", _PORTAL_HEALTH)
