"""Ready-made analyses: the SQL lives here once, and both `govreports analyze` and Datasette's canned queries use it.

Every query reads only reports' current versions. Parameters are SQLite `:named` parameters whose "not given"
value is '' — the value Datasette substitutes for a missing one — so optional filters read `(:year = '' OR …)`.
`govreports analyze` resolves `agency` first (query.agencies: exact, normalised, else an error with suggestions)
and passes the normalised name; in Datasette the name as written matches too.
A row's count is its 总计 cell, else the sum of its applicant columns: real reports often leave 总计 blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreports import schema
from govreports.errors import EXIT_USAGE
from govreports.query.readonly import DEFAULT_TIMEOUT_S, QueryError
from govreports.store.migrations.china_time import visible


@dataclass(frozen=True)
class Param:
    name: str
    help: str
    required: bool = False


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    title_zh: str
    description: str
    sql: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    # True: the rows are computed from the reports the agency/year filters select, so when they select none the
    # analysis says so (exit 1) instead of printing a table of zeros or nothing
    needs_reports: bool = False
    # the year of the reports the rows come from, counted from --year (`missing` lists year − 1's publishers)
    reports_year_offset: int = 0
    # the rows are the agency-years the scorecard expects (scorecard, late, compliance): a --year that is due has
    # rows, every agency missing, though no report covers it yet (store.migrations.due_years)
    expected_years: bool = False
    # what the rows are read from that only the 2019/2021 forms have (a table 三 or 四, the checks of R1–R4): when
    # every report the filters select is free-form, the analysis says so (check_tables) instead of an empty table
    needs_tables: str = ""
    # the rows are agency-years once due (missing): a --year no report is due for yet says so (check_due) rather
    # than listing nobody, which reads "nobody stopped publishing"
    due_years: bool = False


class AnalysisUsageError(QueryError):
    """A parameter the analysis cannot take, or a value it cannot mean (exit 2)."""

    exit_code = EXIT_USAGE


class NoReports(QueryError):
    """The filters select no report: the analysis would print zeros that mean nothing (exit 1)."""


class NoTables(NoReports):
    """The filters select reports, but none in a format with tables (all pre2019 or unknown): an analysis or chart
    of table 三, 四 or the rules would be empty, which reads as "none" (exit 1)."""


RULES = ("R1", "R2", "R3", "R4")  # FORMAT.md §6, evaluated by validate.checks
# what a free-form report lacks, as check_tables names it (the charts of the same tables say the same)
TABLE_THREE_REFUSALS = "table 三 (refusals by reason)"
TABLE_FOUR_OUTCOMES = "table 四 (review and litigation outcomes)"
RULE_TABLES = "tables to check rules R1–R4 against"
AGENCY = Param("agency", "agency name (exact, else matched after normalisation)")
YEAR = Param("year", "report year")

def _cur(by_year: bool = True) -> str:
    """The current versions of the reports the filters select; `by_year` False: of every year (year_over_year,
    which compares each year with the one before and applies --year to its rows). The agency first (CROSS JOIN
    keeps it outer), and the reports' rows looked up from them: without the statistics of ANALYZE (a database
    no writer has closed since store.db.optimize), SQLite read every report, or every report's row totals, to
    find one agency's (tests/test_query_plans.py)."""
    year = "(:year = '' OR r.year = CAST(:year AS INTEGER))" if by_year else "1"
    return f"""cur AS (
  SELECT r.id AS report_id, r.current_version_id AS vid, a.name AS agency, r.year, r.format, r.agency_id
  FROM agencies a CROSS JOIN reports r ON r.agency_id = a.id
  WHERE {year} AND r.current_version_id IS NOT NULL  -- not a report its source no longer holds (store.load)
    AND (:agency = '' OR a.norm_name = :agency OR a.name = :agency))"""


_CUR = _cur()


def _keys(keys) -> str:
    return ", ".join(f"'{k}'" for k in keys)


def _n(row: str, table: str = "applications") -> str:
    """A report's count for one row (row_totals: the 总计 cell, else the sum of the row)."""
    return (f"(SELECT n FROM row_totals t WHERE t.table_name = '{table}' AND t.row_key = '{row}'"
            f" AND t.version_id = cur.vid)")


def _sum_n(rows, table: str = "applications") -> str:
    return (f"(SELECT sum(n) FROM row_totals t WHERE t.table_name = '{table}' AND t.row_key IN ({_keys(rows)})"
            f" AND t.version_id = cur.vid)")


_REFUSAL_ROWS = schema.WITHHELD_ROWS + schema.UNAVAILABLE_ROWS + schema.REJECTED_ROWS
_CATEGORY = "CASE " + " ".join(
    f"WHEN l.key LIKE '{key}%' THEN '{key}'" for key in ("withheld", "unavailable", "rejected")) + " END"
_CATEGORY_LABEL = "CASE " + " ".join(
    f"WHEN l.key LIKE '{key}%' THEN '{label}'" for key, label in schema.APPLICATION_GROUPS.items()) + " END"

APPLICATIONS = Analysis(
    "applications", "Applications received by agency and year", "各机关各年度收到申请情况",
    "Per report: applications received (本年新收), carried in, handled (总计) and carried out.",
    f"""WITH {_CUR}
SELECT cur.agency, cur.year, cur.format, cur.report_id, {_n('new')} AS received, {_n('carried_in')} AS carried_in,
  {_n('total')} AS handled, {_n('carried_out')} AS carried_out
FROM cur ORDER BY cur.agency, cur.year, cur.report_id""",
    (AGENCY, YEAR), needs_reports=True)

REFUSALS = Analysis(
    "refusals", "Refusals and non-disclosure by reason", "不予公开、无法提供、不予处理的理由分布",
    "Applications answered 不予公开 / 无法提供 / 不予处理, summed over current reports, per reason; blank where no "
    "report gave a number (reports without table 三, such as the free-form pre-2019 ones), never 0.",
    f"""WITH {_CUR},
t AS (SELECT t.row_key, sum(t.n) AS applications, count(CASE WHEN t.n > 0 THEN 1 END) AS reports
      FROM cur CROSS JOIN row_totals t ON t.table_name = 'applications' AND t.row_key IN ({_keys(_REFUSAL_ROWS)})
      AND t.version_id = cur.vid WHERE :agency != '' GROUP BY t.row_key
    UNION ALL  -- every agency: the sums kept per year (current_sums, m009) instead of every report's rows
    SELECT s.row_key, sum(s.total), sum(s.positive) FROM current_sums s
      WHERE :agency = '' AND s.table_name = 'applications' AND s.col_key = ''
      AND s.row_key IN ({_keys(_REFUSAL_ROWS)}) AND (:year = '' OR s.year = CAST(:year AS INTEGER))
      GROUP BY s.row_key)
SELECT {_CATEGORY} AS category, {_CATEGORY_LABEL} AS category_label, l.key AS reason, l.label,
  t.applications, coalesce(t.reports, 0) AS reports  -- a sum of blanks is blank: 0 read as "none withheld"
FROM labels l LEFT JOIN t ON t.row_key = l.key
WHERE l.table_name = 'applications' AND l.kind = 'row' AND l.key IN ({_keys(_REFUSAL_ROWS)})
ORDER BY l.seq""",
    (AGENCY, YEAR), needs_reports=True, needs_tables=TABLE_THREE_REFUSALS)

# the rule as typed: Datasette runs the SQL without normalise_rule, and `r2` (any case, as the CLI takes it) there
# selected no check and showed no rows
_RULE = "upper(trim(:rule, char(32, 9, 10, 13)))"

RULE_FAILURES = Analysis(
    "rule_failures", "Reports that break the accounting rules R1–R4", "勾稽关系不符的报告",
    "Reports with at least one failed check (ok = 0); not-evaluable checks (null inputs) are not failures."
    " ocr_pages names a report read by OCR (a scan or pictures: pages read/total): its failure may be a misread"
    " digit rather than the agency's own arithmetic.",
    # reports are picked by their version's stored rules_failed (m008) and listed in agency order as they are
    # found, so the first rows come without reading every failed check first
    # a version's failed checks are read through the index that holds only those (m015), not the checks view
    f"""WITH {_CUR}, failed AS NOT MATERIALIZED (SELECT c.version_id, k.rule, k.location, c.detail
  FROM check_values c INDEXED BY check_values_failed JOIN check_keys k ON k.id = c.key_id
  WHERE c.ok = 0 AND (:rule = '' OR k.rule = {_RULE}))
SELECT cur.agency, cur.year, cur.report_id,
  (SELECT group_concat(rule, ',') FROM (SELECT DISTINCT f.rule FROM failed f WHERE f.version_id = cur.vid
     ORDER BY f.rule)) AS rules,
  (SELECT count(*) FROM failed f WHERE f.version_id = cur.vid) AS failures,
  (SELECT min(f.location || ': ' || coalesce(f.detail, '')) FROM failed f WHERE f.version_id = cur.vid) AS example,
  json_extract(v.extra_json, '$.ocr_pages') AS ocr_pages
FROM cur JOIN report_versions v ON v.id = cur.vid
WHERE v.rules_failed IS NOT NULL AND (:rule = '' OR instr(',' || v.rules_failed || ',', ',' || {_RULE} || ',') > 0)
ORDER BY cur.agency, cur.year, cur.report_id""",
    (AGENCY, YEAR, Param("rule", "only this rule (R1, R2, R3 or R4; any case)")), needs_reports=True,
    needs_tables=RULE_TABLES)

YEAR_OVER_YEAR = Analysis(
    "year_over_year", "Year-over-year change for one agency", "单个机关的逐年变化",
    "One agency's applications received, granted, withheld, reviews and lawsuits per year, with the changes from"
    " the year before (blank when that year has no report: a change over two years is not a year's). A year that"
    " more than one report claims (analysis doubled) is read from the report that counts, as the scorecard and"
    " `govreports report` read it: the earliest published.",
    # the report that counts is agency_years' (m011), looked up by its key; each column's max over a doubled year's
    # reports mixed two reports' numbers (received from one, granted from the other)
    # --year picks the row after the change is taken: filtering the reports first read the year alone, with
    # every change blank ("no report the year before") though there was one
    f"""WITH {_cur(by_year=False)},
yr AS (SELECT cur.year, {_n('new')} AS received, {_n('granted')} AS granted,
         {_sum_n(schema.WITHHELD_ROWS)} AS withheld, {_n('review', 'review_litigation')} AS reviews,
         {_sum_n(schema.REVIEW_GROUPS[1:], 'review_litigation')} AS lawsuits
       FROM cur CROSS JOIN agency_years y ON y.agency_id = cur.agency_id AND y.year = cur.year
         AND y.report_id = cur.report_id
       WHERE :agency != '')
SELECT * FROM (SELECT year, lag(year) OVER w AS prev_year, received,
  CASE WHEN lag(year) OVER w = year - 1 THEN received - lag(received) OVER w END AS received_change,
  CASE WHEN lag(year) OVER w = year - 1 THEN
    round(100.0 * (received - lag(received) OVER w) / nullif(lag(received) OVER w, 0), 1) END AS received_change_pct,
  granted, CASE WHEN lag(year) OVER w = year - 1 THEN granted - lag(granted) OVER w END AS granted_change,
  withheld, reviews, lawsuits
FROM yr WINDOW w AS (ORDER BY year))
WHERE :year = '' OR year = CAST(:year AS INTEGER) ORDER BY year""",
    (Param("agency", AGENCY.help, required=True), YEAR), needs_reports=True)

MISSING = Analysis(
    "missing", "Agencies that published for year N−1 but not for year N", "上一年度有报告而本年度缺报的机关",
    "Agencies with a report for year − 1 and none for year, once year's report is due (its deadline has passed, "
    "as `late` counts it).",
    # the agency-year's scorecard row says whether it is due (china_time.visible, the condition of `late`): read
    # from the reports alone, `missing --year 2026` listed on 2026-12-07 every agency with a 2025 report, though
    # no 2026 report is due before 31 January 2027
    f"""SELECT a.name AS agency, a.region, r.year AS previous_year, min(r.title) AS previous_title
FROM reports r JOIN agencies a ON a.id = r.agency_id
  JOIN agency_years y ON y.agency_id = r.agency_id AND y.year = CAST(:year AS INTEGER)
WHERE :year != '' AND r.year = CAST(:year AS INTEGER) - 1 AND a.norm_name != ''  -- '': reports with no agency
  AND r.current_version_id IS NOT NULL AND {visible('y')}
  AND NOT EXISTS (SELECT 1 FROM reports r2 INDEXED BY reports_agency_year  -- the agency-year, not every report of
    WHERE r2.agency_id = r.agency_id AND r2.year = CAST(:year AS INTEGER)  -- the year (quadratic without ANALYZE)
    AND r2.current_version_id IS NOT NULL)
GROUP BY a.id ORDER BY a.name""",
    (Param("year", "report year N", required=True),), needs_reports=True, reports_year_offset=-1,
    due_years=True)

_MEASURES = ",\n    ".join(f"sum(CASE WHEN c.col_key = '{m}' THEN c.value END) AS {m}"
                           for m in schema.REVIEW_MEASURES[:-1])
_SUMMED_MEASURES = ", ".join(f"max(CASE WHEN s.col_key = '{m}' THEN s.total END)" for m in schema.REVIEW_MEASURES[:-1])
OUTCOMES = Analysis(
    "outcomes", "Administrative review and litigation outcomes", "行政复议、行政诉讼结果",
    "Per year and proceeding: outcomes summed over current reports (total: 总计 cell, else the sum of outcomes).",
    # cells are read in primary-key order (version, row) so only the small per-report result gets sorted
    # one agency: its reports' cells; every agency: the sums kept per year (current_sums, m009), the same figures
    f"""WITH {_CUR},
g AS (SELECT c.version_id, c.row_key,
    {_MEASURES}
  FROM cells c WHERE :agency != '' AND c.version_id IN (SELECT vid FROM cur) AND c.table_name = 'review_litigation'
  GROUP BY c.version_id, c.row_key),
o AS (SELECT cur.year, g.row_key, sum(g.upheld) AS upheld, sum(g.corrected) AS corrected,
    sum(g.other) AS other, sum(g.pending) AS pending, sum(t.n) AS total, count(*) AS reports
  FROM cur JOIN g ON g.version_id = cur.vid
  LEFT JOIN row_totals t ON t.version_id = cur.vid AND t.table_name = 'review_litigation' AND t.row_key = g.row_key
  WHERE :agency != '' GROUP BY cur.year, g.row_key
  UNION ALL
  SELECT nullif(s.year, 0), s.row_key, {_SUMMED_MEASURES},
    max(CASE WHEN s.col_key = '' THEN s.total END), max(CASE WHEN s.col_key = '*' THEN s.reports END)
  FROM current_sums s WHERE :agency = '' AND s.table_name = 'review_litigation'
    AND (:year = '' OR s.year = CAST(:year AS INTEGER))
  GROUP BY s.year, s.row_key HAVING max(s.col_key = '*'))
SELECT o.year, o.row_key AS proceeding, l.label, o.upheld, o.corrected, o.other, o.pending, o.total, o.reports
FROM o JOIN labels l ON l.table_name = 'review_litigation' AND l.kind = 'row' AND l.key = o.row_key
ORDER BY o.year, l.seq""",
    (AGENCY, YEAR), needs_reports=True, needs_tables=TABLE_FOUR_OUTCOMES)

from govreports.query import scorecard  # noqa: E402 - its analyses are built from Analysis and Param above

DOUBLED = Analysis(
    "doubled", "Agency-years with more than one report", "同一机关同一年度有多份报告",
    "Each agency-year that more than one current report claims: pages or files whose contents differ (a re-post "
    "reformatted by another site, a （超链版） edition beside the plain one, a correction posted as a new page). Every "
    "sum over reports counts each of them; here they can be compared (where each came from, what each received).",
    # the agency-years counted from the reports' (agency_id, year) index alone, then only theirs read: grouping
    # every report by its agency's name took 0.4-0.6 s at 300,000 reports (bench/scale.py), 77 ms this way
    f"""WITH twice AS (
  SELECT r.agency_id, r.year FROM reports r
  WHERE r.year IS NOT NULL AND (:year = '' OR r.year = CAST(:year AS INTEGER))
    AND (:agency = '' OR r.agency_id IN (SELECT id FROM agencies WHERE norm_name = :agency OR name = :agency))
  GROUP BY r.agency_id, r.year HAVING count(*) > 1),
cur AS (
  SELECT r.id AS report_id, r.current_version_id AS vid, a.name AS agency, r.year,
    count(*) OVER (PARTITION BY r.agency_id, r.year) AS reports
  FROM twice JOIN reports r ON r.agency_id = twice.agency_id AND r.year = twice.year
  JOIN agencies a ON a.id = r.agency_id
  WHERE a.name != ''  -- '': reports whose agency could not be read
    AND r.current_version_id IS NOT NULL)  -- a report its source no longer holds (store.load) claims nothing
SELECT cur.agency, cur.year, cur.report_id, r.source_key AS source, r.title, r.published, {_n('new')} AS received,
  {_n('total')} AS handled
FROM cur JOIN reports r ON r.id = cur.report_id WHERE cur.reports > 1
ORDER BY cur.agency, cur.year, cur.report_id""",
    (AGENCY, YEAR), needs_reports=True)

ANALYSES: dict[str, Analysis] = {a.name: a for a in
                                 (APPLICATIONS, REFUSALS, RULE_FAILURES, YEAR_OVER_YEAR, MISSING, OUTCOMES,
                                  DOUBLED)}
ANALYSES.update(scorecard.ANALYSES)  # scorecard, late, compliance (query.scorecard)


def normalise_rule(rule: str) -> str:
    """`r4`, ` R4 ` -> `R4`; anything else is a usage error that lists the rules."""
    name = str(rule).strip().upper()
    if name not in RULES:
        raise AnalysisUsageError(f"unknown rule {rule!r}; valid rules: {', '.join(RULES)}")
    return name


def sql_params(analysis: Analysis, given: dict) -> dict:
    """Every named parameter of the SQL, '' where not given (as Datasette does). A missing required parameter, or
    one the analysis does not take, is a usage error (AnalysisUsageError, exit 2)."""
    missing = [p.name for p in analysis.params if p.required and given.get(p.name) in (None, "")]
    if missing:
        raise AnalysisUsageError(f"analysis {analysis.name!r} needs --{' --'.join(missing)}")
    names = [p.name for p in analysis.params]
    extra = [n for n, v in given.items() if v not in (None, "") and n not in names]
    if extra:
        takes = f"it takes --{', --'.join(names)}" if names else "it takes no options"
        raise AnalysisUsageError(f"analysis {analysis.name!r} does not take --{', --'.join(extra)}; {takes}")
    if given.get("rule") not in (None, ""):
        given = {**given, "rule": normalise_rule(given["rule"])}
    return {n: "" if given.get(n) is None else str(given[n]) for n in names if f":{n}" in analysis.sql}


def _years(years: list[int]) -> str:
    """2016, 2017, 2018, 2020 -> '2016–2018, 2020'."""
    spans: list[list[int]] = []
    for y in years:
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


_CURRENT = "current_version_id IS NOT NULL"  # a report whose source no longer holds it (store.load) is none


def check_reports(conn, agency, year, why: str = "") -> None:
    """Raise NoReports, naming what there is instead, when no report is for this agency (an Agency or None) and
    year (or None) — with neither, when the database has no report at all; `why` follows the year in the message."""
    from govreports.query.agencies import agency_years

    if agency is None and year is None:
        if conn.execute(f"SELECT 1 FROM reports WHERE {_CURRENT} LIMIT 1").fetchone() is None:
            raise NoReports("the database has no reports yet: load or crawl reports first")
    elif agency is not None:
        years = agency_years(conn, agency.id)
        if year is None and not conn.execute(f"SELECT 1 FROM reports WHERE agency_id = ? AND {_CURRENT}",
                                             [agency.id]).fetchone():
            raise NoReports(f"{agency.name} has no reports in the database")
        if year is not None and int(year) not in years:
            raise NoReports(f"{agency.name} has no report for {year}{why}"
                            + (f" (its reports: {_years(years)})" if years else " (it has no reports)"))
    elif year is not None and not conn.execute(f"SELECT 1 FROM reports WHERE year = ? AND {_CURRENT}",
                                               [int(year)]).fetchone():
        years = [r[0] for r in conn.execute(
            f"SELECT DISTINCT year FROM reports WHERE year IS NOT NULL AND {_CURRENT} ORDER BY year")]
        raise NoReports(f"no reports for {year}{why}"
                        + (f" (years in the database: {_years(years)})" if years else " (the database is empty)"))


def check_dated(conn, agency) -> None:
    """Raise NoReports when the agency (an Agency) has reports but none names a year (FORMAT.md §9: a copy can drop
    the title's digits): what is read year by year (`year_over_year`, `report`) has no row to show."""
    from govreports.query.agencies import agency_years

    if agency_years(conn, agency.id):
        return
    n = conn.execute(f"SELECT count(*) FROM reports WHERE agency_id = ? AND year IS NULL AND {_CURRENT}",
                     [agency.id]).fetchone()[0]
    if n:
        raise NoReports(f"{agency.name} has no report with a year: its {n} report{'s' if n != 1 else ''} "
                        f"name{'s' if n == 1 else ''} none (`govreports export -t reports --agency` lists them)")


def check_due(conn, year: int) -> None:
    """Raise NoReports when no agency's report for `year` is due yet (china_time.visible, as `late` reads it: FORMAT.md
    §1's deadline has not passed): nobody can be missing it, and an empty listing would say nobody was."""
    from govreports.runs.health import legal_deadline

    if conn.execute(f"SELECT 1 FROM agency_years y WHERE y.year = ? AND {visible('y')} LIMIT 1",
                    [year]).fetchone() is None:
        dept, gov = (f"{legal_deadline(year, government=g):%d %B %Y}".lstrip("0") for g in (False, True))
        due = f"every report by {gov}" if dept == gov else \
            f"a department's by {dept}, a people's government's own by {gov}"
        raise NoReports(f"no report for {year} is due yet (FORMAT.md §1: {due}), so nobody is missing it")


# how a format without the 2019/2021 tables is named (schema.FORMATS less TABLE_FORMATS: FORMAT.md §7, §8)
_TABLELESS = {"pre2019": "in the pre-2019 format", "unknown": "of no recognised format"}
# the reports the analyses' and the charts' filters select ('' = any): query.analyses' _CUR, charts.specs.FILTER
_SELECTED = """FROM reports r JOIN agencies a ON a.id = r.agency_id
  WHERE r.current_version_id IS NOT NULL AND (:year = '' OR r.year = CAST(:year AS INTEGER)) AND (:agency = '' OR a.norm_name = :agency OR a.name = :agency)
    AND (:province = '' OR a.province = :province)"""


def check_tables(conn, params: dict, what: str, agency_name: str | None = None) -> None:
    """Raise NoTables, naming the format and the years that have tables, when the reports `params` select (year,
    agency, province; '' or absent = any) are all free-form: pre-2019 reports and those whose format was not
    recognised have no table 三 or 四 and no rule to check (FORMAT.md §7), so what is `what` would come out empty.
    Reports of several formats are read for those that have tables, as before."""
    given = {p: "" if params.get(p) is None else str(params.get(p)) for p in ("year", "agency", "province")}
    tabled = ", ".join(f"'{f}'" for f in schema.TABLE_FORMATS)
    if conn.execute(f"SELECT 1 {_SELECTED} AND r.format IN ({tabled}) LIMIT 1", given).fetchone() is not None:
        return
    formats = [f for (f,) in conn.execute(f"SELECT DISTINCT r.format {_SELECTED} ORDER BY r.format", given)]
    if not formats:
        return  # no report at all: check_reports' to say
    of = (f" of {agency_name or given['agency']}" if given["agency"] else "") + \
        (f" in {given['province']}" if given["province"] else "")
    years = [y for (y,) in conn.execute(
        f"SELECT DISTINCT r.year {_SELECTED} AND r.year IS NOT NULL AND r.format IN ({tabled}) ORDER BY r.year",
        {**given, "year": ""})]
    named = list(dict.fromkeys(f if f in _TABLELESS else "unknown" for f in formats))
    why = (f"in the pre-2019 format, which has no {what}" if named == ["pre2019"] else
           f"{' or '.join(_TABLELESS[f] for f in named)}, so they have no {what}")
    raise NoTables(f"the {given['year'] + ' ' if given['year'] else ''}reports{of} are {why}; "
                   + (f"years with tables: {_years(years)}" if years else f"no report{of} has tables"))


def open_analysis(path, name: str, *, timeout: float | None = DEFAULT_TIMEOUT_S, limit: int | None = None,
                  **given):
    """Start a named analysis read-only and return its rows as a QueryStream (query.readonly): fetched from
    SQLite as they are consumed, so memory holds one batch whatever the size of the result (a listing of every
    report holds 300,000 rows at national scale). `agency` is resolved by query.agencies.resolve_agency (exact
    name, then normalised; else AgencyNotFound with suggestions), `rule` is validated; an analysis computed from
    reports says so (NoReports) when its filters select none. `limit`: at most this many rows."""
    from govreports.query.agencies import resolve_agency
    from govreports.query.readonly import connect_readonly, open_query

    if name not in ANALYSES:
        raise AnalysisUsageError(f"unknown analysis {name!r}; choose one of: {', '.join(ANALYSES)}")
    analysis = ANALYSES[name]
    params = sql_params(analysis, given)
    if given.get("agency") not in (None, "") or analysis.needs_reports:  # unfiltered: an empty database says so
        conn = connect_readonly(path)
        try:
            agency = resolve_agency(conn, str(given["agency"])) if given.get("agency") not in (None, "") else None
            if agency is not None:
                params["agency"] = agency.norm_name
                if analysis is YEAR_OVER_YEAR:  # a row per year: none for reports that name no year
                    check_dated(conn, agency)
            if analysis.needs_reports:
                year = given.get("year") if given.get("year") not in (None, "") else None
                if analysis.expected_years and year is not None and conn.execute(
                        "SELECT 1 FROM scorecard WHERE year = ? LIMIT 1", [int(year)]).fetchone():
                    pass  # a year due with no report yet: every agency expected is missing it
                elif year is None or not analysis.reports_year_offset:
                    check_reports(conn, agency, year)
                else:  # `missing --year 1999` with no report for 1998 listed nothing, exit 0
                    check_reports(conn, agency, int(year) + analysis.reports_year_offset,
                                  f", the year `{name}` compares {year} with")
                if analysis.due_years and year is not None:
                    check_due(conn, int(year))
                if analysis.expected_years and year is not None and params.get("region"):
                    from govreports.query.scorecard import check_expected

                    check_expected(conn, int(year), params["region"])  # nobody there expected: not "none late"
                if analysis.needs_tables:  # `rule_failures --year 2018` of free-form reports: "0 rows", exit 0
                    check_tables(conn, {"year": year, "agency": params.get("agency", "")}, analysis.needs_tables,
                                 agency.name if agency is not None else None)
        finally:
            conn.close()
    return open_query(path, analysis.sql, params, timeout=timeout, limit=limit)


def run_analysis(path, name: str, *, timeout: float | None = DEFAULT_TIMEOUT_S, **given):
    """`open_analysis` with every row read: a QueryResult, for results of a known small size (tests, one
    agency); a listing over every report should be streamed with open_analysis instead."""
    from govreports.query.readonly import QueryResult

    with open_analysis(path, name, timeout=timeout, **given) as stream:
        return QueryResult(stream.columns, list(stream))
