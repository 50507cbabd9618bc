"""Ready-made analyses: the SQL lives here once, and both `govreports analyze` and Datasette's canned queries use it.

Every query reads only reports' current versions. Parameters are SQLite `:named` parameters whose "not given"
value is '' — the value Datasette substitutes for a missing one — so optional filters read `(:year = '' OR …)`.
A row's count is its 总计 cell, else the sum of its applicant columns: real reports often leave 总计 blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreports import schema
from govreports.query.readonly import DEFAULT_TIMEOUT_S


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


AGENCY = Param("agency", "agency name (matched after normalisation)")
YEAR = Param("year", "report year")

_CUR = """cur AS (
  SELECT r.id AS report_id, r.current_version_id AS vid, a.name AS agency, r.year, r.format
  FROM reports r JOIN agencies a ON a.id = r.agency_id
  WHERE (:year = '' OR r.year = CAST(:year AS INTEGER)) AND (:agency = '' OR a.norm_name = :agency))"""


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
    (AGENCY, YEAR))

REFUSALS = Analysis(
    "refusals", "Refusals and non-disclosure by reason", "不予公开、无法提供、不予处理的理由分布",
    "Applications answered 不予公开 / 无法提供 / 不予处理, summed over current reports, per reason.",
    f"""WITH {_CUR},
t AS (SELECT t.row_key, sum(t.n) AS applications, count(CASE WHEN t.n > 0 THEN 1 END) AS reports
      FROM cur JOIN row_totals t ON t.table_name = 'applications' AND t.row_key IN ({_keys(_REFUSAL_ROWS)})
      AND t.version_id = cur.vid GROUP BY t.row_key)
SELECT {_CATEGORY} AS category, {_CATEGORY_LABEL} AS category_label, l.key AS reason, l.label,
  coalesce(t.applications, 0) AS applications, coalesce(t.reports, 0) AS reports
FROM labels l LEFT JOIN t ON t.row_key = l.key
WHERE l.table_name = 'applications' AND l.kind = 'row' AND l.key IN ({_keys(_REFUSAL_ROWS)})
ORDER BY l.seq""",
    (AGENCY, YEAR))

RULE_FAILURES = Analysis(
    "rule_failures", "Reports that break the accounting rules R1–R4", "勾稽关系不符的报告",
    "Reports with at least one failed check (ok = 0); not-evaluable checks (null inputs) are not failures.",
    f"""WITH {_CUR},
bad AS (SELECT k.version_id, k.rule, k.location, k.detail FROM checks k
        WHERE k.ok = 0 AND (:rule = '' OR k.rule = :rule))
SELECT cur.agency, cur.year, cur.report_id,
  (SELECT group_concat(rule, ',') FROM (SELECT DISTINCT rule FROM bad WHERE version_id = cur.vid ORDER BY rule))
    AS rules,
  count(*) AS failures, min(bad.location || ': ' || coalesce(bad.detail, '')) AS example
FROM cur JOIN bad ON bad.version_id = cur.vid
GROUP BY cur.report_id ORDER BY cur.agency, cur.year, cur.report_id""",
    (AGENCY, YEAR, Param("rule", "only this rule (R1, R2, R3 or R4)")))

YEAR_OVER_YEAR = Analysis(
    "year_over_year", "Year-over-year change for one agency", "单个机关的逐年变化",
    "One agency's applications received, granted, withheld, reviews and lawsuits per year, with changes.",
    f"""WITH {_CUR},
yr AS (SELECT year, max({_n('new')}) AS received, max({_n('granted')}) AS granted,
         max({_sum_n(schema.WITHHELD_ROWS)}) AS withheld, max({_n('review', 'review_litigation')}) AS reviews,
         max({_sum_n(schema.REVIEW_GROUPS[1:], 'review_litigation')}) AS lawsuits
       FROM cur WHERE :agency != '' GROUP BY year)
SELECT year, lag(year) OVER w AS prev_year, received, received - lag(received) OVER w AS received_change,
  round(100.0 * (received - lag(received) OVER w) / nullif(lag(received) OVER w, 0), 1) AS received_change_pct,
  granted, granted - lag(granted) OVER w AS granted_change, withheld, reviews, lawsuits
FROM yr WINDOW w AS (ORDER BY year) ORDER BY year""",
    (Param("agency", "agency name (matched after normalisation)", required=True), YEAR))

MISSING = Analysis(
    "missing", "Agencies that published for year N−1 but not for year N", "上一年度有报告而本年度缺报的机关",
    "Agencies with a report for year − 1 and none for year.",
    """SELECT a.name AS agency, a.region, r.year AS previous_year, min(r.title) AS previous_title
FROM reports r JOIN agencies a ON a.id = r.agency_id
WHERE :year != '' AND r.year = CAST(:year AS INTEGER) - 1
  AND NOT EXISTS (SELECT 1 FROM reports r2 WHERE r2.agency_id = r.agency_id AND r2.year = CAST(:year AS INTEGER))
GROUP BY a.id ORDER BY a.name""",
    (Param("year", "report year N", required=True),))

_MEASURES = ",\n    ".join(f"sum(CASE WHEN c.col_key = '{m}' THEN c.value END) AS {m}"
                           for m in schema.REVIEW_MEASURES[:-1])
OUTCOMES = Analysis(
    "outcomes", "Administrative review and litigation outcomes", "行政复议、行政诉讼结果",
    "Per year and proceeding: outcomes summed over current reports (total: 总计 cell, else the sum of outcomes).",
    # cells are read in primary-key order (version, row) so only the small per-report result gets sorted
    f"""WITH {_CUR},
g AS (SELECT c.version_id, c.row_key,
    {_MEASURES}
  FROM cells c WHERE c.version_id IN (SELECT vid FROM cur) AND c.table_name = 'review_litigation'
  GROUP BY c.version_id, c.row_key)
SELECT cur.year, g.row_key AS proceeding, l.label, sum(g.upheld) AS upheld, sum(g.corrected) AS corrected,
  sum(g.other) AS other, sum(g.pending) AS pending, sum(t.n) AS total, count(*) AS reports
FROM cur JOIN g ON g.version_id = cur.vid
LEFT JOIN row_totals t ON t.version_id = cur.vid AND t.table_name = 'review_litigation' AND t.row_key = g.row_key
JOIN labels l ON l.table_name = 'review_litigation' AND l.kind = 'row' AND l.key = g.row_key
GROUP BY cur.year, g.row_key ORDER BY cur.year, l.seq""",
    (AGENCY, YEAR))

ANALYSES: dict[str, Analysis] = {a.name: a for a in
                                 (APPLICATIONS, REFUSALS, RULE_FAILURES, YEAR_OVER_YEAR, MISSING, OUTCOMES)}


def sql_params(analysis: Analysis, given: dict) -> dict:
    """Every named parameter of the SQL, '' where not given (as Datasette does); raises on a missing required one."""
    missing = [p.name for p in analysis.params if p.required and given.get(p.name) in (None, "")]
    if missing:
        raise ValueError(f"analysis {analysis.name!r} needs --{' --'.join(missing)}")
    names = {"agency", "year", "rule"}
    return {n: "" if given.get(n) is None else str(given[n]) for n in names if f":{n}" in analysis.sql}


def run_analysis(path, name: str, *, timeout: float | None = DEFAULT_TIMEOUT_S, **given):
    """Run a named analysis read-only; `agency` is normalised the way the loader normalised names."""
    from govreports.query.readonly import QueryError, run_query
    from govreports.store.agency import normalise_agency

    if name not in ANALYSES:
        raise QueryError(f"unknown analysis {name!r}; choose one of: {', '.join(ANALYSES)}")
    if given.get("agency"):
        given["agency"] = normalise_agency(given["agency"])
    analysis = ANALYSES[name]
    try:
        params = sql_params(analysis, given)
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    return run_query(path, analysis.sql, params, timeout=timeout)
