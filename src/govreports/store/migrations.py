"""Schema of the database, created and upgraded only through these migrations.

sqlite-utils' `Migrations` records every applied step in `_sqlite_migrations`; we also mirror the count in
`PRAGMA user_version` so that any SQLite tool can tell the schema version without knowing sqlite-utils.
A released migration is never edited: a schema change is a new function appended below.

DDL is written as SQL (not `table.create`) because `cells.value` must have *no* declared type: SQLite then keeps
integers as integers and decimals as decimals, so a stored cell comes back exactly as the record had it.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from govreports import schema

MIGRATION_SET = "govreports"
migrations = Migrations(MIGRATION_SET)

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


def _labels() -> list[dict]:
    """Official labels of every row and column key, with `seq` = the order of the official table."""
    groups = [
        ("active", "row", schema.ACTIVE_ITEM_LABELS),
        ("active", "col", {**schema.MEASURE_LABELS, "amount_unit": "采购总金额单位"}),
        ("applications", "row", schema.APPLICATION_ROW_LABELS),
        ("applications", "col", schema.APPLICANT_LABELS),
        ("review_litigation", "row", schema.REVIEW_GROUP_LABELS),
        ("review_litigation", "col", schema.REVIEW_MEASURE_LABELS),
    ]
    return [{"table_name": t, "kind": kind, "key": k, "label": v, "seq": i}
            for t, kind, labels in groups for i, (k, v) in enumerate(labels.items())]


def _wide_view(table: str, columns: list[str]) -> str:
    pivots = ",\n".join(
        f"  max(CASE WHEN c.col_key = '{col}' THEN coalesce(c.raw, c.value) END) AS \"{col}\"" for col in columns
    )
    return f"""SELECT r.id AS report_id, a.name AS agency, r.year, r.format, c.row_key,
  l.label AS row_label,
{pivots}
FROM reports r
JOIN agencies a ON a.id = r.agency_id
JOIN cells c ON c.version_id = r.current_version_id AND c.table_name = '{table}'
LEFT JOIN labels l ON l.table_name = '{table}' AND l.kind = 'row' AND l.key = c.row_key
GROUP BY r.id, c.row_key
ORDER BY r.id, l.seq"""


def wide_columns() -> dict[str, list[str]]:
    """Column keys of each wide view: the union over formats, in the official order."""
    active: list[str] = []
    for fmt in schema.TABLE_FORMATS:
        for measures in schema.ACTIVE_MEASURES[fmt].values():
            active += [m for m in measures if m not in active]
    return {"active": active, "applications": list(schema.APPLICANT_COLUMNS),
            "review_litigation": list(schema.REVIEW_MEASURES)}


@migrations()
def m002_search_labels_views(db: Database) -> None:
    db["sections"].enable_fts(["body"], tokenize="trigram", create_triggers=True)
    db.execute("""CREATE TABLE labels (
        table_name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (table_name, kind, key))""")
    db["labels"].insert_all(_labels())
    for table, columns in wide_columns().items():
        db.create_view(f"{table}_wide", _wide_view(table, columns))
    db.create_view("issues", "SELECT * FROM fetch_log WHERE error IS NOT NULL")
    db.create_view("current_checks", """SELECT r.id AS report_id, a.name AS agency, r.year, r.format,
  k.rule, k.location, k.ok, k.detail
FROM reports r JOIN agencies a ON a.id = r.agency_id
JOIN checks k ON k.version_id = r.current_version_id""")


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


# A version's compliance facts from its rows, `{v}` its id: the scorecard view of m006 computes them on each
# read; m008 stores them (COUNT_FACTS_SQL counts them once for older versions, store.load writes them at load).
_RULES_FAILED = """(SELECT group_concat(rule, ',') FROM (SELECT DISTINCT k.rule FROM checks k
     WHERE k.version_id = {v} AND k.ok = 0 ORDER BY k.rule))"""
_RULES_OK = """WHEN EXISTS (SELECT 1 FROM checks k WHERE k.version_id = {v} AND k.ok = 0) THEN 0
    WHEN EXISTS (SELECT 1 FROM checks k WHERE k.version_id = {v} AND k.ok = 1) THEN 1"""
_SECTIONS_PRESENT = """(SELECT count(DISTINCT s.section) FROM sections s
     WHERE s.version_id = {v} AND s.section IN ('1', '2', '3', '4', '5', '6'))"""

# The compliance scorecard (issue 11): one row per agency and year it is expected to report for. An agency is
# expected every year from the first year it has a report for, through its latest report or the database's
# horizon, whichever is later; a year without a report is missing (found = 0). The horizon is the latest year any
# agency has a report for, once that year's last deadline (31 March) has passed — before then, the year before
# it: an agency that stopped publishing is missing from then on, while a year still being published is not held
# against anyone. Of several reports for one agency-year (re-posts with other content), the earliest published
# one counts. Reports whose agency could not be read (an empty name) are left out.
# Deadline (FORMAT.md §1): reports for 2018 and before, 31 March of the next year for every body; from the 2019
# reports (条例 as revised, in force 2019-05-15, Art. 49), 31 January for departments and 31 March for a
# people's government's own report (agencies.kind). Expected format: pre2019 up to 2018, 2019 for 2019–2020
# (for 2019 reports the 试行 format was new, so a free-form 2019 report is not counted against it), 2021 from 2021.
# blank_share: the share of the report's table cells that are blank (null), amount units not counted.
SCORECARD_SQL = """WITH RECURSIVE
latest AS (SELECT max(year) AS y FROM reports WHERE year IS NOT NULL AND current_version_id IS NOT NULL),
horizon AS (SELECT CASE WHEN date('now') > (y + 1) || '-03-31' THEN y ELSE y - 1 END AS year FROM latest),
seen AS (SELECT r.agency_id, min(r.year) AS first_year, max(max(r.year), (SELECT year FROM horizon)) AS last_year
         FROM reports r JOIN agencies a ON a.id = r.agency_id
         WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL AND a.norm_name != '' GROUP BY r.agency_id),
expected(agency_id, year, last_year) AS (
  SELECT agency_id, first_year, last_year FROM seen
  UNION ALL SELECT agency_id, year + 1, last_year FROM expected WHERE year < last_year),
ranked AS (SELECT r.id, r.agency_id, r.year, r.current_version_id, r.published, r.published_source, r.format,
             row_number() OVER (PARTITION BY r.agency_id, r.year ORDER BY r.published IS NULL, r.published, r.id) AS n
           FROM reports r WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL),
base AS (
  SELECT a.id AS agency_id, a.name AS agency, a.province, a.city, a.county, coalesce(a.kind, 'department') AS kind,
    e.year, r.id AS report_id, r.current_version_id AS vid, r.published, r.published_source, r.format,
    (e.year + 1) || CASE WHEN e.year <= 2018 OR a.kind = 'government' THEN '-03-31' ELSE '-01-31' END AS deadline,
    CASE WHEN e.year <= 2018 THEN 'pre2019' WHEN e.year <= 2020 THEN '2019' ELSE '2021' END AS format_expected
  FROM expected e JOIN agencies a ON a.id = e.agency_id
  LEFT JOIN ranked r ON r.agency_id = e.agency_id AND r.year = e.year AND r.n = 1)
SELECT b.agency_id, b.agency, b.province, b.city, b.county, b.kind, b.year, b.report_id,
  (b.report_id IS NOT NULL) AS found, b.published, b.published_source, b.deadline,
  CASE WHEN b.published IS NOT NULL
    THEN max(0, CAST(julianday(b.published) - julianday(b.deadline) AS INTEGER)) END AS days_late,
  CASE WHEN b.published IS NOT NULL THEN (b.published <= b.deadline) END AS on_time,
  b.format_expected, b.format,
  CASE WHEN b.report_id IS NULL OR b.format = 'unknown' THEN NULL
    WHEN b.format = b.format_expected OR (b.year = 2019 AND b.format = 'pre2019') THEN 1 ELSE 0 END AS format_ok,
""" + f"""  {_RULES_FAILED.format(v="b.vid")} AS rules_failed,
  CASE WHEN b.report_id IS NULL THEN NULL
    {_RULES_OK.format(v="b.vid")} END AS rules_ok,
  (SELECT round(1.0 * sum(c.value IS NULL AND c.raw IS NULL) / count(*), 3) FROM cells c
     WHERE c.version_id = b.vid AND c.col_key != 'amount_unit') AS blank_share,
  CASE WHEN b.report_id IS NOT NULL THEN {_SECTIONS_PRESENT.format(v="b.vid")} END AS sections_present
FROM base b"""  # no ORDER BY: a query that reads a few columns (late, compliance) then skips the others' subqueries

LATE_SQL = "SELECT * FROM scorecard WHERE on_time = 0 OR found = 0"


@migrations()
def m006_published_source_regions_scorecard(db: Database) -> None:
    """Which source gave each report's publication date (`published_source`: meta, page, list, closing), each
    agency's region (`region` = "江苏省/宿迁市/沭阳县", and its levels for grouping) and kind (government or
    department, for its deadline), and the compliance views `scorecard` and `late` (see SCORECARD_SQL)."""
    from govreports.regions import agency_kind, infer_region, parse_region

    db.execute("ALTER TABLE reports ADD COLUMN published_source TEXT")
    db.execute("ALTER TABLE report_versions ADD COLUMN published_source TEXT")
    for column in ("province", "city", "county", "kind"):
        db.execute(f"ALTER TABLE agencies ADD COLUMN {column} TEXT")
    for agency_id, norm, region in db.execute("SELECT id, norm_name, region FROM agencies").fetchall():
        found = infer_region(norm)
        if found is None and region:
            try:
                found = parse_region(region)
            except ValueError:
                found = None
        db.execute("UPDATE agencies SET region = ?, province = ?, city = ?, county = ?, kind = ? WHERE id = ?",
                   [found.path if found else region, found and found.province, found and found.city,
                    found and found.county, agency_kind(norm), agency_id])
    db.execute("CREATE INDEX agencies_province ON agencies(province, city, county)")
    db.create_view("scorecard", SCORECARD_SQL)
    db.create_view("late", LATE_SQL)


# One name, one meaning; one row per report (issue 11). A view names a cell by its record key except where the key
# means something else elsewhere: `published` is a report's publication date (reports, report_versions,
# report_flat), so the active-disclosure measure 本年新公开数量 is `new_published` in every view.
VIEW_COLUMN_NAMES = {"published": "new_published"}

# report_flat's columns before the cells: who, where, which year, which format, when published, from where
FLAT_HEAD = ("report_id", "agency", "agency_id", "region", "province", "year", "format", "published",
             "published_source", "title", "source", "rules_failed")


def view_column(key: str) -> str:
    return VIEW_COLUMN_NAMES.get(key, key)


def flat_cells() -> list[tuple[str, str, str, str]]:
    """(table, row, column key, report_flat column name) for every cell of the three tables, the union over the
    formats in the official order; the name is `table__row__column` (`applications__granted__total`)."""
    out = []
    items = list(dict.fromkeys(i for f in schema.TABLE_FORMATS for i in schema.ACTIVE_MEASURES[f]))
    for item in items:
        for key in dict.fromkeys(m for f in schema.TABLE_FORMATS for m in schema.ACTIVE_MEASURES[f].get(item, ())):
            out.append(("active", item, key, f"active__{item}__{view_column(key)}"))
    rows = dict.fromkeys(r for f in schema.TABLE_FORMATS for r in schema.APPLICATION_ROWS[f])
    out += [("applications", row, col, f"applications__{row}__{col}")
            for row in rows for col in schema.APPLICANT_COLUMNS]
    out += [("review_litigation", group, m, f"review_litigation__{group}__{m}")
            for group in schema.REVIEW_GROUPS for m in schema.REVIEW_MEASURES]
    return out


def _wide_view_named(table: str, columns: list[str]) -> str:
    """m002's wide view with each measure named by `view_column`."""
    sql = _wide_view(table, columns)
    for key in VIEW_COLUMN_NAMES:
        sql = sql.replace(f'AS "{key}"', f'AS "{view_column(key)}"')
    return sql


def _report_flat() -> str:
    """One row per report (its current version); each cell one primary-key lookup in `cells`."""
    cells = ",\n".join(
        f"  (SELECT coalesce(c.raw, c.value) FROM cells c WHERE c.version_id = r.current_version_id"
        f" AND c.table_name = '{t}' AND c.row_key = '{row}' AND c.col_key = '{col}') AS \"{name}\""
        for t, row, col, name in flat_cells())
    return f"""SELECT r.id AS report_id, a.name AS agency, r.agency_id, a.region, a.province, r.year, r.format,
  r.published, r.published_source, r.title, nullif(r.source_key, '') AS source,
  (SELECT group_concat(rule, ',') FROM (SELECT DISTINCT k.rule FROM checks k
     WHERE k.version_id = r.current_version_id AND k.ok = 0 ORDER BY k.rule)) AS rules_failed,
{cells}
FROM reports r JOIN agencies a ON a.id = r.agency_id
WHERE r.current_version_id IS NOT NULL
ORDER BY a.name, r.year, r.id"""


@migrations()
def m007_unambiguous_names_report_flat(db: Database) -> None:
    """No column name that means two things: the measure 本年新公开数量 is `new_published` in active_wide
    (`published` is a publication date everywhere else); and `report_flat`, one row per report with every cell
    its own column, for spreadsheets and pandas."""
    db.execute("DROP VIEW active_wide")
    db.create_view("active_wide", _wide_view_named("active", wide_columns()["active"]))
    db.create_view("report_flat", _report_flat())


# m008: the scorecard from facts stored per version at load time instead of recomputed for every row on every
# read: report_versions.table_cells and blank_cells (blank_share; counting each report's ~200 cells was 300 of
# its 450 ms on 10,000 reports), rules_failed and rules_ok (from its checks), sections_present; each
# agency-year's report found by its (agency_id, year) index instead of ranking every report in a window; and the
# expected agency-years as a join of agencies with the decade's years instead of a recursion per agency (a filter
# on the year then reaches the join: half the time for late/compliance --year).
_M008_REPLACE = (
    ("""ranked AS (SELECT r.id, r.agency_id, r.year, r.current_version_id, r.published, r.published_source, r.format,
             row_number() OVER (PARTITION BY r.agency_id, r.year ORDER BY r.published IS NULL, r.published, r.id) AS n
           FROM reports r WHERE r.year IS NOT NULL AND r.current_version_id IS NOT NULL),
""", ""),
    ("""expected(agency_id, year, last_year) AS (
  SELECT agency_id, first_year, last_year FROM seen
  UNION ALL SELECT agency_id, year + 1, last_year FROM expected WHERE year < last_year),""",
     """years(year) AS (SELECT min(first_year) FROM seen
  UNION ALL SELECT year + 1 FROM years WHERE year < (SELECT max(last_year) FROM seen)),
expected AS (SELECT s.agency_id, y.year, s.last_year FROM seen s
  JOIN years y ON y.year BETWEEN s.first_year AND s.last_year),"""),
    ("""  LEFT JOIN ranked r ON r.agency_id = e.agency_id AND r.year = e.year AND r.n = 1)""",
     """  LEFT JOIN reports r ON r.id = (SELECT f.id FROM reports f WHERE f.agency_id = e.agency_id AND f.year = e.year
    AND f.current_version_id IS NOT NULL ORDER BY f.published IS NULL, f.published, f.id LIMIT 1))"""),
    (SCORECARD_SQL[SCORECARD_SQL.index("  (SELECT group_concat(rule"):], """  v.rules_failed, v.rules_ok,
  CASE WHEN v.table_cells > 0 THEN round(1.0 * v.blank_cells / v.table_cells, 3) END AS blank_share,
  v.sections_present
FROM base b LEFT JOIN report_versions v ON v.id = b.vid"""),
)
SCORECARD_SQL_M008 = SCORECARD_SQL
for _old, _new in _M008_REPLACE:
    assert _old in SCORECARD_SQL_M008, _old
    SCORECARD_SQL_M008 = SCORECARD_SQL_M008.replace(_old, _new)

# the facts m008 stores, counted from a version's rows (for versions loaded before it; the loader writes them)
COUNT_CELLS_SQL = """UPDATE report_versions SET (table_cells, blank_cells) = (
    SELECT count(*), coalesce(sum(c.value IS NULL AND c.raw IS NULL), 0) FROM cells c
    WHERE c.version_id = report_versions.id AND c.col_key != 'amount_unit')"""
COUNT_FACTS_SQL = f"""UPDATE report_versions SET
  rules_failed = {_RULES_FAILED.format(v="report_versions.id")},
  rules_ok = CASE {_RULES_OK.format(v="report_versions.id")} END,
  sections_present = {_SECTIONS_PRESENT.format(v="report_versions.id")}"""


@migrations()
def m008_version_facts(db: Database) -> None:
    """Per-version facts written by the loader, so the scorecard reads one row per report instead of its cells,
    checks and sections: `table_cells` (the cells of the three tables, amount units not counted), `blank_cells`
    (of those, the blank ones), `rules_failed` (the rules R1–R4 its checks fail, e.g. "R1,R3"), `rules_ok`
    (0 when a check fails, 1 when one passes and none fails, else null), `sections_present` (how many of the
    sections 一–六 it has); existing versions counted once here. The views scorecard and late are rebuilt on
    them (SCORECARD_SQL_M008)."""
    for column, kind in (("table_cells", "INTEGER"), ("blank_cells", "INTEGER"), ("rules_failed", "TEXT"),
                         ("rules_ok", "INTEGER"), ("sections_present", "INTEGER")):
        db.execute(f"ALTER TABLE report_versions ADD COLUMN {column} {kind}")
    db.execute(COUNT_CELLS_SQL)
    db.execute(COUNT_FACTS_SQL)
    db.execute("DROP VIEW late")
    db.execute("DROP VIEW scorecard")
    db.create_view("scorecard", SCORECARD_SQL_M008)
    db.create_view("late", LATE_SQL)


# m009: sums over reports' current versions, per year, kept by the loader as versions come and go, so the
# unfiltered aggregate analyses (refusals, outcomes) read a few thousand rows instead of every report's rows
# (at 300,000 reports: 3.3 M row totals for refusals, 7.5 M cells for outcomes, seconds each).
# Entries (year, table_name, row_key, col_key), `year` 0 for a report without one:
#   col_key ''  the row's total (row_totals.n), for every row of tables 三 and 四;
#   col_key '*' the row itself (review_litigation): `reports` counts the versions with cells in it;
#   any other  a review_litigation cell.
# reports: current versions with the entry; n: of them, with a number; total: the sum of those numbers (NULL when
# n = 0, as sum() gives); positive: numbers > 0.
CURRENT_SUMS_DDL = """CREATE TABLE current_sums (
    year INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    col_key TEXT NOT NULL,
    reports INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total,
    positive INTEGER NOT NULL,
    PRIMARY KEY (year, table_name, row_key, col_key)
) WITHOUT ROWID"""

def current_sums_add(moves: str, cell_keys: bool = True) -> str:
    """The statement that adds the rows of the versions in `moves` (version_id, year, sign) to current_sums: sign
    1 for a version that became current, -1 for one that stopped being current (entries left with no report are
    removed by CURRENT_SUMS_PRUNE). `cell_keys`: cells are read from cell_values (m010), else from the table
    cells as it was before m010. The moves drive the join (CROSS JOIN): a batch's few hundred versions, looked up
    by primary key, never a scan of every cell."""
    if cell_keys:
        cells = ("CROSS JOIN cell_values c ON c.version_id = m.version_id"
                 " JOIN cell_keys k ON k.id = c.key_id AND k.table_name = 'review_litigation'")
    else:
        cells = "CROSS JOIN cells c ON c.version_id = m.version_id AND c.table_name = 'review_litigation'"
    key = "k" if cell_keys else "c"
    return f"""INSERT INTO current_sums (year, table_name, row_key, col_key, reports, n, total, positive)
SELECT year, table_name, row_key, col_key, sum(sign * r), sum(sign * (x IS NOT NULL)), sum(sign * x),
  sum(sign * coalesce(x > 0, 0))
FROM (
  SELECT coalesce(m.year, 0) AS year, m.sign, {key}.table_name, {key}.row_key, {key}.col_key, 1 AS r, c.value AS x
    FROM {moves} m {cells}
  UNION ALL
  SELECT coalesce(m.year, 0), m.sign, 'review_litigation', {key}.row_key, '*', 1, NULL
    FROM {moves} m {cells}
    GROUP BY m.version_id, m.sign, {key}.row_key
  UNION ALL
  SELECT coalesce(m.year, 0), m.sign, t.table_name, t.row_key, '', 1, t.n
    FROM {moves} m CROSS JOIN row_totals t ON t.version_id = m.version_id)
WHERE true
GROUP BY year, table_name, row_key, col_key
ON CONFLICT (year, table_name, row_key, col_key) DO UPDATE SET
  reports = reports + excluded.reports,
  total = CASE WHEN n + excluded.n > 0 THEN coalesce(total, 0) + coalesce(excluded.total, 0) END,
  n = n + excluded.n,
  positive = positive + excluded.positive"""


CURRENT_SUMS_ADD = current_sums_add("{moves}")  # the loader's (cells in cell_values); format with moves=
CURRENT_SUMS_PRUNE = "DELETE FROM current_sums WHERE reports = 0"
_CURRENT_MOVES = "(SELECT current_version_id AS version_id, year, 1 AS sign FROM reports)"


@migrations()
def m009_current_sums(db: Database) -> None:
    """`current_sums` (CURRENT_SUMS_DDL), counted once here from the reports' current versions; from then on the
    loader adds each version that becomes current and subtracts the one it replaces, in the same transaction.
    `agencies_name`: the analyses list reports by agency name, and with the index their first rows come without
    sorting every report first. `reports_recent`: reports in search order (newest year first, then by id), so a
    search reads the newest reports first and stops when it has found enough (store.fts.WINDOW)."""
    db.execute(CURRENT_SUMS_DDL)
    db.execute(current_sums_add(_CURRENT_MOVES, cell_keys=False))  # cells is still a table here (m010)
    db.execute(CURRENT_SUMS_PRUNE)
    db.execute("CREATE INDEX agencies_name ON agencies(name)")
    db.execute("CREATE INDEX reports_recent ON reports(year DESC, id, current_version_id, agency_id)")


# m010: a cell's table, row and column named once, in `cell_keys`, instead of as text on each of its 60 M rows at
# national scale (cells was 3.8 of 7.2 GB at 300,000 reports, and the loader's largest write). `cells` stays,
# as a view with its old columns, for every query, view and Datasette page that reads it.
CELLS_VIEW = """SELECT v.version_id, rv.report_id, k.table_name, k.row_key, k.col_key, v.value, v.raw
FROM cell_values v JOIN cell_keys k ON k.id = v.key_id JOIN report_versions rv ON rv.id = v.version_id"""


def schema_cell_keys() -> list[tuple[str, str, str]]:
    """(table, row, column) of every cell of every format, in key order: ids follow it, so a version's cells,
    written in key order, are appended to the primary key in order."""
    keys = {(t, r, c) for fmt in schema.TABLE_FORMATS for t, r, c, _ in schema.iter_cells(schema.empty_tables(fmt))}
    keys.add(("active", "procurement", "amount_unit"))
    return sorted(keys)


@migrations()
def m010_cell_keys(db: Database) -> None:
    """`cell_keys` (id, table_name, row_key, col_key): every cell key the schema has (in key order) and any other
    the database holds; `cell_values` (version_id, key_id, value, raw) holds the cells; `cells` becomes a view
    with the old columns (CELLS_VIEW). The loader adds a key it has not seen."""
    db.execute("""CREATE TABLE cell_keys (
        id INTEGER PRIMARY KEY,
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        col_key TEXT NOT NULL,
        UNIQUE (table_name, row_key, col_key))""")
    db.conn.executemany("INSERT INTO cell_keys (table_name, row_key, col_key) VALUES (?, ?, ?)", schema_cell_keys())
    db.execute("""INSERT INTO cell_keys (table_name, row_key, col_key)
        SELECT DISTINCT table_name, row_key, col_key FROM cells WHERE true ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING""")
    db.execute("""CREATE TABLE cell_values (
        version_id INTEGER NOT NULL REFERENCES report_versions(id),
        key_id INTEGER NOT NULL REFERENCES cell_keys(id),
        value,                           -- no type: ints stay ints, decimals stay decimals
        raw TEXT,                        -- text cells (amount_unit) and raw text when known
        PRIMARY KEY (version_id, key_id)
    ) WITHOUT ROWID""")
    db.execute("""INSERT INTO cell_values (version_id, key_id, value, raw)
        SELECT c.version_id, k.id, c.value, c.raw FROM cells c
        JOIN cell_keys k ON k.table_name = c.table_name AND k.row_key = c.row_key AND k.col_key = c.col_key""")
    db.execute("DROP TABLE cells")
    db.create_view("cells", CELLS_VIEW)


def latest_version() -> int:
    return len(migrations._migrations)
