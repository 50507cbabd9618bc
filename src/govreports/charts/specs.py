"""The charts, declared once: each is a name, a bilingual title, the SQL that feeds it and a Vega-Lite spec
without data. The Datasette dashboard (charts.dashboard) and `govreports chart` (charts.render) both read them,
so a chart in the browser and the SVG in a paper show the same numbers drawn the same way.

SQL conventions are those of query.analyses: only reports' current versions; named parameters whose "not given"
value is '' (what Datasette substitutes for a missing one), so a filter reads `(:year = '' OR …)`. `:agency`
matches an agency's name as stored or its normalised name (the CLI passes the normalised name; the dashboard's
agency list offers names as stored); `:province` is a province-level name as agencies.province has it (江苏省,
内蒙古自治区, 全国 for national bodies). A row's count is its 总计 cell, else the sum of its cells (row_totals).

Field names are English; Chinese appears in titles, axis titles and category labels, which the charts render in a
CJK font (FONT) so Chinese shows as Chinese in the browser and in SVG/PNG files alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreports import schema
from govreports.query.analyses import RULE_TABLES, TABLE_FOUR_OUTCOMES, TABLE_THREE_REFUSALS
from govreports.store.migrations.china_time import visible
from govreports.store.migrations.late_missing import status_sql
from govreports.store.migrations.rule_counts import RULES

# Fonts with Chinese glyphs, most likely first: Noto Sans CJK (Debian fonts-noto-cjk, also Source Han Sans),
# then what macOS and Windows ship; the renderer and browsers take the first one they have.
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif"
CONFIG = {"font": FONT, "view": {"stroke": None}, "line": {"point": True},
          "axis": {"labelFontSize": 11, "titleFontSize": 12}, "legend": {"labelFontSize": 11, "titleFontSize": 12},
          "title": {"fontSize": 15, "subtitleFontSize": 12, "anchor": "start"}}

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the version drawn (a label; nothing is fetched)
PARAMS = ("year", "agency", "province")  # every chart's SQL takes these (possibly '')

# One agency is looked up by its name and by its normalised name (each indexed) first: its id bounds the agencies
# read (an id range, every id without an agency). The OR alone, with `:agency = ''`, read every agency to find one
# (15 k SQLite steps a chart at 2,577 agencies; without ANALYZE the agency page's scorecard read every agency-year,
# 640 k). A name of one agency that is the normalised name of another bounds both and what lies between.
_PICKED = "(SELECT id FROM agencies WHERE name = :agency UNION ALL SELECT id FROM agencies WHERE norm_name = :agency)"
_AGENCY = (f"a.id BETWEEN (SELECT CASE WHEN :agency = '' THEN -9223372036854775808 ELSE min(id) END FROM {_PICKED})"
           f" AND (SELECT CASE WHEN :agency = '' THEN 9223372036854775807 ELSE max(id) END FROM {_PICKED})"
           " AND (:agency = '' OR a.name = :agency OR a.norm_name = :agency)"
           " AND (:province = '' OR a.province = :province)")
FILTER = f"(:year = '' OR r.year = CAST(:year AS INTEGER)) AND {_AGENCY}"  # the reports charts draw from (r, a)
# of those, the current ones: not a report its source no longer holds (store.load)
CURRENT_FILTER = f"r.current_version_id IS NOT NULL AND {FILTER}"
# one agency's charts read a year that more than one report claims from the report that counts (agency_years: the
# earliest published), as `report` and `year_over_year` do: summed, 甲市教育局's 2021 drew 48 received (18 + 30) where
# its scorecard showed 18. Over many agencies every report counts (`analyze doubled` lists the years counted twice).
# The agency first (CROSS JOIN keeps it outer): without the statistics of ANALYZE (a database no writer has closed
# since store.db.optimize), SQLite read every report by its year index to find one agency's (tests/test_query_plans.py).
_CUR = f"""cur AS (
  SELECT r.id AS report_id, r.current_version_id AS vid, a.name AS agency, r.year
  FROM agencies a CROSS JOIN reports r ON r.agency_id = a.id
  WHERE {CURRENT_FILTER}
    AND (:agency = '' OR r.year IS NULL OR NOT EXISTS (SELECT 1 FROM agency_years y WHERE y.agency_id = r.agency_id
      AND y.year = r.year AND y.report_id IS NOT NULL AND y.report_id != r.id)))"""


# Every agency (no agency, no province; a year or not): the sums the loader keeps per year over current versions
# (current_sums, m009; year 0 for a report without one) give the same figures as every report's row totals and
# cells, which the charts summed at every draw (at 30,000 reports review_litigation took 2.4 s, answers 2.0 s;
# ten times that at 300,000, past Datasette's 3-second limit). `analyze refusals` and `outcomes` read them too.
_ALL = "(:agency = '' AND :province = '')"
_SUMS = (_ALL + " AND (:year = '' OR cs.year = CAST(:year AS INTEGER)) AND cs.table_name = '{table}'"
         " AND cs.col_key = '{col}'")  # the conditions on current_sums cs: every agency, the year, a row's total
# Unfiltered, those charts read no report (cur is empty), and the years with a report (cur_years: the span of a
# chart over years, and its years without one) are found by a step down the reports' year index, as the
# overview's years are (dashboard.YEARS_SQL): every current report was read for them, ~570 k SQLite steps a chart
# at 25,000 reports. A chart that counts reports unfiltered too (rule_failures) reads cur whole.
_CUR_FILTERED = _CUR.replace("  WHERE r.current_version_id IS NOT NULL AND",
                             f"  WHERE NOT {_ALL} AND r.current_version_id IS NOT NULL AND")
assert _CUR_FILTERED != _CUR
_CUR_YEARS = f"""ry(year) AS (SELECT max(year) FROM reports WHERE {_ALL}
  UNION ALL SELECT (SELECT max(year) FROM reports WHERE year < ry.year) FROM ry WHERE ry.year IS NOT NULL),
cur_years(year) AS MATERIALIZED (SELECT year FROM cur WHERE year IS NOT NULL
  UNION SELECT ry.year FROM ry WHERE ry.year IS NOT NULL AND (:year = '' OR ry.year = CAST(:year AS INTEGER))
    AND EXISTS (SELECT 1 FROM reports r WHERE r.year = ry.year AND r.current_version_id IS NOT NULL))"""
# Filtered, the reports' row totals (or cells) are added up by row first, the reports the outer loop (CROSS JOIN:
# grouped, SQLite read every row total and looked its report up): joined as they were to a chart's categories (a
# few constant rows), they were materialized and read again for each category, 2.1, 1.7 and 2.5 M SQLite steps
# for a province's answers, refusals and review_litigation at 25,000 reports (tests/test_query_plans.py).


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _values(name: str, columns: tuple[str, ...], rows: list[tuple]) -> str:
    """A small constant table as a CTE: `name(col, …) AS (VALUES (…), …)`."""
    body = ", ".join("(" + ", ".join(_sql_str(v) if isinstance(v, str) else str(v) for v in row) + ")"
                     for row in rows)
    return f"{name}({', '.join(columns)}) AS (VALUES {body})"


def _domain(rows: list[tuple]) -> list[str]:
    """The category labels (second column) in their declared order, for a colour scale's domain."""
    return [row[1] for row in rows]


@dataclass(frozen=True)
class Chart:
    name: str
    title_zh: str
    title: str
    description: str
    sql: str
    spec: dict  # Vega-Lite without data, title, size or config
    height: int | dict = 260  # pixels, or {"step": N}: N pixels a category of a nominal y axis
    params: tuple[str, ...] = field(default=PARAMS)
    # True: drawn from the reports the filters select, so a filter that selects none draws an empty chart (the
    # scorecard's late_missing draws expected agency-years: a province with no report for a year is all missing)
    needs_reports: bool = True
    # what it is drawn from that only the 2019/2021 forms have: when every report the filters select is free-form
    # (pre-2019, or of no recognised format) the chart would be empty, and says why instead (the analyses too)
    needs_tables: str = ""

    @property
    def label(self) -> str:
        return f"{self.title_zh} / {self.title}"

    def vega_lite(self, rows: list[dict], subtitle: str | None = None, width: int = 560) -> dict:
        """The complete Vega-Lite spec for a file: data inline, title, size and the CJK font."""
        title: dict = {"text": self.label}
        if subtitle:
            title["subtitle"] = subtitle
        return {"$schema": SCHEMA, "title": title,
                "width": width, "height": self.height, "config": CONFIG, "data": {"values": rows}, **self.spec}

    def display(self) -> dict:
        """The spec for datasette-dashboards (its script adds the data and the container width; the card shows
        the title)."""
        return {"$schema": SCHEMA, "height": self.height, "config": {**CONFIG, "background": "#00000000"},
                **self.spec}


_LEGEND = {"orient": "bottom", "columns": 3}  # wraps in a dashboard card's width


def _count(field_: str, title: str, channel: str = "y") -> dict:
    """A count on an axis: whole-number ticks only, even for one agency's handful (no more ticks than the
    largest value; Vega's tickMinStep did not do it), and an axis from 0 to at least 1 when every count is 0."""
    room = "height / 40" if channel == "y" else "width / 80"
    ticks = f"max(1, min(ceil({room}), domain('{channel}')[1]))"
    return {"field": field_, "type": "quantitative", "title": title, "scale": {"domain": {"unionWith": [0, 1]}},
            "axis": {"format": "d", "tickCount": {"expr": ticks}}}


def _year_x() -> dict:
    return {"field": "year", "type": "ordinal", "title": "年度 / year", "axis": {"labelAngle": 0}}


# --- Years without a report: a chart over years shows them ------------------------------------------------------
# An axis of 2022, 2024 with a line drawn straight between them reads as two consecutive years. A chart over years
# adds, for each year from the first to the last that it has no row for, a row per series without a value, and
# no_report = 1 when the filters select no report for that year (as analyze year_over_year leaves a change across
# a missing year blank): a line breaks there, a bar chart keeps the year (`invalid: show`), and _with_gaps marks it.
NO_REPORT = "无报告 / no report"
NO_REPORT_SQL = "span.year NOT IN (SELECT year FROM cur_years)"


def _span(first_last: str = "cur_years") -> str:
    """CTE `span(year)`: every year from the first to the last year of `first_last` (a CTE with a year column)."""
    return f"""span(year) AS (SELECT year FROM (SELECT min(year) AS year FROM {first_last}) WHERE year IS NOT NULL
  UNION ALL SELECT year + 1 FROM span WHERE year < (SELECT max(year) FROM {first_last}))"""


def _every_year(main: str, series: str, blanks: str) -> str:
    """The end of a chart's WITH: `main` (its rows by year and series, no_report 0), then for every year from the
    first to the last that `main` has no row for, a row per series of `series` (a CTE) without a value: `blanks`
    are the series' columns and the values' NULLs, in `main`'s order, before no_report."""
    return f"""{_span()},
main AS ({main})
SELECT * FROM main
UNION ALL SELECT span.year, {blanks}, {NO_REPORT_SQL}
FROM span CROSS JOIN {series} WHERE span.year NOT IN (SELECT year FROM main)
ORDER BY year, seq"""


def _with_gaps(spec: dict) -> dict:
    """A chart over years with its years without a report (no_report = 1) marked by a dashed rule labelled
    无报告 / no report: an empty place on the axis alone could be a year of zeros."""
    # the tooltip's words are a field: Vega-Lite drops a {"datum": …} from a tooltip list (it showed the year alone)
    gap = {"transform": [{"filter": "datum.no_report === 1"}, {"calculate": f"'{NO_REPORT}'", "as": "report"}],
           "encoding": {"x": _year_x(), "tooltip": [{"field": "year", "title": "年度"},
                                                    {"field": "report", "title": "报告 / report"}]}}
    return {"layer": [spec,
                      {**gap, "mark": {"type": "rule", "color": "#888888", "strokeDash": [4, 4], "tooltip": True}},
                      {**gap, "mark": {"type": "text", "text": NO_REPORT, "color": "#666666", "angle": 270,
                                       "align": "right", "baseline": "bottom", "dx": -4, "y": 0}}]}


# --- 1. Applications received, carried in and carried over, per year ------------------------------------------
_APP_SERIES = [("new", "本年新收 / received", 1), ("carried_in", "上年结转 / carried in", 2),
               ("carried_out", "结转下年度 / carried over", 3)]
_APPLICATIONS_BY_YEAR = f"""SELECT cur.year, s.series, s.seq, sum(t.n) AS applications, count(t.n) AS reports,
    0 AS no_report
  FROM cur JOIN row_totals t ON t.version_id = cur.vid AND t.table_name = 'applications'
  JOIN s ON s.key = t.row_key
  WHERE NOT {_ALL} AND cur.year IS NOT NULL
  GROUP BY cur.year, s.key
  UNION ALL
  SELECT cs.year, s.series, s.seq, cs.total, cs.n, 0 FROM current_sums cs JOIN s ON s.key = cs.row_key
  WHERE {_SUMS.format(table='applications', col='')} AND cs.year != 0"""
APPLICATIONS = Chart(
    "applications", "各年度政府信息公开申请", "Applications per year",
    "Applications received (本年新收), carried in from the year before and carried over, summed over reports.",
    f"""WITH {_CUR_FILTERED},
{_CUR_YEARS},
{_values('s', ('key', 'series', 'seq'), _APP_SERIES)},
{_every_year(_APPLICATIONS_BY_YEAR, 's', 's.series, s.seq, NULL, 0')}""",
    _with_gaps({"mark": {"type": "line", "point": True, "tooltip": True},
                "encoding": {"x": _year_x(),
                             "y": _count("applications", "申请数 / applications"),
                             "color": {"field": "series", "type": "nominal", "title": None,
                                       "scale": {"domain": _domain(_APP_SERIES)}, "legend": _LEGEND},
                             "tooltip": [{"field": "year", "title": "年度"}, {"field": "series", "title": "项目"},
                                         {"field": "applications", "title": "申请数"},
                                         {"field": "reports", "title": "报告数 / reports"}]}}),
    needs_tables="table 三 (applications received)")

# --- 2. How applications were answered, per year ---------------------------------------------------------------
def _row_totals_by_year(table: str) -> str:
    """`table`'s row totals by year and row (year, row_key, n): each filtered report's own, or, unfiltered, the
    per-year sums the loader keeps (current_sums), as `analyze` reads them."""
    return f"""(SELECT cur.year, t.row_key, sum(t.n) AS n FROM cur CROSS JOIN row_totals t ON t.version_id = cur.vid
          AND t.table_name = '{table}' WHERE NOT {_ALL} AND cur.year IS NOT NULL GROUP BY cur.year, t.row_key
        UNION ALL
        SELECT cs.year, cs.row_key, cs.total FROM current_sums cs
        WHERE {_SUMS.format(table=table, col='')} AND cs.year != 0)"""


_ANSWER_GROUPS = [("granted", "予以公开 / granted", 1), ("partly_granted", "部分公开 / partly granted", 2),
                  ("withheld", "不予公开 / withheld", 3), ("unavailable", "无法提供 / unavailable", 4),
                  ("rejected", "不予处理 / not processed", 5), ("other", "其他处理 / other", 6)]
_ANSWER_ROWS = [(row, next(g for g, _, _ in _ANSWER_GROUPS if row == g or row.startswith(g + "_")))
                for fmt in schema.TABLE_FORMATS for row in schema.OUTCOME_ROWS[fmt]]
_ANSWER_MAP = sorted(set(_ANSWER_ROWS))
_ANSWERS_BY_YEAR = f"""SELECT t.year, g.outcome, g.seq, sum(t.n) AS applications, 0 AS no_report
  FROM {_row_totals_by_year('applications')} t
  JOIN m ON m.row_key = t.row_key JOIN g ON g.key = m.grp
  GROUP BY t.year, g.key HAVING sum(t.n) IS NOT NULL"""
ANSWERS = Chart(
    "answers", "申请办理结果", "How applications were answered",
    "Outcomes of the applications handled (table 三, rows (一)–(六)), summed over reports, per year.",
    f"""WITH {_CUR_FILTERED},
{_CUR_YEARS},
{_values('g', ('key', 'outcome', 'seq'), _ANSWER_GROUPS)},
{_values('m', ('row_key', 'grp'), _ANSWER_MAP)},
{_every_year(_ANSWERS_BY_YEAR, 'g', 'g.outcome, g.seq, NULL')}""",
    _with_gaps({"mark": {"type": "bar", "tooltip": True, "invalid": "show"},
                "encoding": {"x": _year_x(),
                             "y": _count("applications", "申请数 / applications"),
                             "color": {"field": "outcome", "type": "nominal", "title": None,
                                       "scale": {"domain": _domain(_ANSWER_GROUPS)}, "legend": _LEGEND},
                             "order": {"field": "seq", "type": "quantitative"},
                             "tooltip": [{"field": "year", "title": "年度"}, {"field": "outcome", "title": "办理结果"},
                                         {"field": "applications", "title": "申请数"}]}}),
    needs_tables="table 三 (how applications were answered)")

# --- 3. Refusals by reason --------------------------------------------------------------------------------------
_REFUSAL_CATEGORY = {"withheld": "不予公开 / withheld", "unavailable": "无法提供 / unavailable",
                     "rejected": "不予处理 / not processed"}
_REFUSAL_REASONS = [
    (row, schema.APPLICATION_ROW_LABELS[row].split(".", 1)[-1], i, _REFUSAL_CATEGORY[row.split("_", 1)[0]])
    for i, row in enumerate(schema.WITHHELD_ROWS + schema.UNAVAILABLE_ROWS + schema.REJECTED_ROWS)]
REFUSALS = Chart(
    "refusals", "不予公开、无法提供、不予处理的理由", "Refusals by reason",
    "Applications answered 不予公开 / 无法提供 / 不予处理, summed over reports, per reason (no bar where no report gave "
    "a number: a year of free-form pre-2019 reports drew a zero for every reason).",
    f"""WITH {_CUR_FILTERED},
{_values('l', ('key', 'reason', 'seq', 'category'), _REFUSAL_REASONS)}
SELECT l.category, l.reason, l.seq, sum(t.n) AS applications, coalesce(sum(t.positive), 0) AS reports
FROM l LEFT JOIN (SELECT t.row_key, sum(t.n) AS n, sum(CASE WHEN t.n > 0 THEN 1 ELSE 0 END) AS positive
                  FROM cur CROSS JOIN row_totals t ON t.version_id = cur.vid AND t.table_name = 'applications'
                  WHERE NOT {_ALL} GROUP BY t.row_key
                  UNION ALL
                  SELECT cs.row_key, cs.total, cs.positive FROM current_sums cs
                  WHERE {_SUMS.format(table='applications', col='')}) t
  ON t.row_key = l.key
GROUP BY l.key ORDER BY l.seq""",
    {"mark": {"type": "bar", "tooltip": True},
     "encoding": {"y": {"field": "reason", "type": "nominal", "title": None, "axis": {"labelLimit": 320},
                        "sort": {"field": "seq", "order": "ascending"}},
                  "x": _count("applications", "申请数 / applications", "x"),
                  "color": {"field": "category", "type": "nominal", "title": None,
                            "scale": {"domain": list(_REFUSAL_CATEGORY.values())},
                            "legend": {**_LEGEND, "columns": 2}},
                  "tooltip": [{"field": "category", "title": "类别"}, {"field": "reason", "title": "理由"},
                              {"field": "applications", "title": "申请数"},
                              {"field": "reports", "title": "报告数 / reports"}]}},
    height=380, needs_tables=TABLE_THREE_REFUSALS)

# --- 4. Administrative review and litigation outcomes ----------------------------------------------------------
_PROCEEDINGS = [(key, f"{label} / {en}", i) for i, (key, label, en) in enumerate(zip(
    schema.REVIEW_GROUPS, schema.REVIEW_GROUP_LABELS.values(),
    ("administrative review", "lawsuit without review", "lawsuit after review")))]
_RESULTS = [("upheld", "结果维持 / upheld", 1), ("corrected", "结果纠正 / corrected", 2),
            ("other", "其他结果 / other", 3), ("pending", "尚未审结 / pending", 4)]
REVIEW_LITIGATION = Chart(
    "review_litigation", "行政复议、行政诉讼结果", "Review and litigation outcomes",
    "Cases of administrative review and litigation by result (table 四), summed over reports.",
    f"""WITH {_CUR_FILTERED},
{_values('p', ('key', 'proceeding', 'seq'), _PROCEEDINGS)},
{_values('o', ('key', 'result', 'seq'), _RESULTS)}
SELECT p.proceeding, p.seq AS proceeding_seq, o.result, o.seq, sum(c.value) AS cases
FROM (SELECT k.row_key, k.col_key, sum(v.value) AS value  -- the view cells' tables (its report_versions unread)
      FROM cur CROSS JOIN cell_keys k CROSS JOIN cell_values v ON v.version_id = cur.vid AND v.key_id = k.id
      WHERE k.table_name = 'review_litigation' AND NOT {_ALL} GROUP BY k.row_key, k.col_key
      UNION ALL
      SELECT cs.row_key, cs.col_key, cs.total FROM current_sums cs WHERE {_ALL}
        AND (:year = '' OR cs.year = CAST(:year AS INTEGER)) AND cs.table_name = 'review_litigation'
        AND cs.col_key NOT IN ('', '*')) c
JOIN p ON p.key = c.row_key JOIN o ON o.key = c.col_key
GROUP BY p.key, o.key HAVING sum(c.value) IS NOT NULL ORDER BY p.seq, o.seq""",
    {"mark": {"type": "bar", "tooltip": True},
     "encoding": {"y": {"field": "proceeding", "type": "nominal", "title": None, "axis": {"labelLimit": 320},
                        "sort": {"field": "proceeding_seq", "order": "ascending"}},
                  "x": _count("cases", "案件数 / cases", "x"),
                  "color": {"field": "result", "type": "nominal", "title": None,
                            "scale": {"domain": _domain(_RESULTS)}, "legend": _LEGEND},
                  "order": {"field": "seq", "type": "quantitative"},
                  "tooltip": [{"field": "proceeding", "title": "案件类型"}, {"field": "result", "title": "结果"},
                              {"field": "cases", "title": "案件数"}]}},
    height=200, needs_tables=TABLE_FOUR_OUTCOMES)

# --- 5. Reviews and lawsuits per year ----------------------------------------------------------------------------
_CASE_SERIES = [("review", "行政复议 / reviews", 1), ("litigation", "行政诉讼 / lawsuits", 2)]
_CASES_BY_YEAR = f"""SELECT t.year, s.series, s.seq, sum(t.n) AS cases, 0 AS no_report
  FROM {_row_totals_by_year('review_litigation')} t
  JOIN s ON s.key = CASE WHEN t.row_key = 'review' THEN 'review' ELSE 'litigation' END
  GROUP BY t.year, s.key HAVING sum(t.n) IS NOT NULL"""
CASES_PER_YEAR = Chart(
    "cases_per_year", "各年度行政复议、行政诉讼案件", "Reviews and lawsuits per year",
    "Administrative reviews and lawsuits (with or without review first) per year: each row's 总计, summed.",
    f"""WITH {_CUR_FILTERED},
{_CUR_YEARS},
{_values('s', ('key', 'series', 'seq'), _CASE_SERIES)},
{_every_year(_CASES_BY_YEAR, 's', 's.series, s.seq, NULL')}""",
    _with_gaps({"mark": {"type": "line", "point": True, "tooltip": True},
                "encoding": {"x": _year_x(),
                             "y": _count("cases", "案件数 / cases"),
                             "color": {"field": "series", "type": "nominal", "title": None,
                                       "scale": {"domain": _domain(_CASE_SERIES)}, "legend": _LEGEND},
                             "tooltip": [{"field": "year", "title": "年度"}, {"field": "series", "title": "类型"},
                                         {"field": "cases", "title": "案件数"}]}}),
    needs_tables="table 四 (reviews and lawsuits)")

# --- 6. Reports that break the accounting rules, per year -------------------------------------------------------
# Each selected report's version holds whether a check could be evaluated (rules_ok not null) and the rules its
# checks fail (rules_failed: m008, as `analyze rule_failures` reads them). Asking each report's checks (a rule at a
# time, the failed ones' index) took 3.25 M SQLite steps for every agency at 25,000 reports (375 ms, 1.1 s with
# ANALYZE's statistics: SQLite then read every failed check into a Bloom filter first). Over every agency (a year or
# not) the counts the triggers of m030 keep (rule_counts, `kept`) are read instead: reading every current report's
# version took 1.19 M steps at 25,000 reports (~14 M at 300,000).
_RULES = RULES  # FORMAT.md §6
RULE_FAILURES = Chart(
    "rule_failures", "勾稽关系不符的报告", "Reports that break rules R1–R4",
    "Per year and rule: reports with at least one failed check, out of the reports with a check that could be "
    "evaluated (not-evaluable checks are not failures; pre-2019 reports have none).",
    f"""WITH {_CUR_FILTERED},
{_CUR_YEARS},
{_values('rules', ('rule',), [(r,) for r in _RULES])},
facts AS MATERIALIZED (SELECT cur.year, v.rules_ok, v.rules_failed FROM cur CROSS JOIN report_versions v
                       ON v.id = cur.vid WHERE v.rules_ok IS NOT NULL),
kept AS (SELECT rc.year, rc.rule, rc.reports FROM rule_counts rc
         WHERE {_ALL} AND (:year = '' OR rc.year = CAST(:year AS INTEGER)) AND rc.reports > 0),
checked AS (SELECT f.year, count(*) AS reports_checked FROM facts f WHERE f.year IS NOT NULL GROUP BY f.year
            UNION ALL SELECT kept.year, kept.reports FROM kept WHERE kept.rule = ''),
bad AS (SELECT f.year, rules.rule, count(*) AS reports FROM facts f CROSS JOIN rules
        WHERE f.rules_failed IS NOT NULL AND instr(',' || f.rules_failed || ',', ',' || rules.rule || ',') > 0
        GROUP BY f.year, rules.rule
        UNION ALL SELECT kept.year, kept.rule, kept.reports FROM kept WHERE kept.rule != ''),
{_span("checked")}
SELECT checked.year, rules.rule, coalesce(bad.reports, 0) AS reports, checked.reports_checked, 0 AS no_report
FROM checked CROSS JOIN rules LEFT JOIN bad ON bad.year = checked.year AND bad.rule = rules.rule
UNION ALL SELECT span.year, rules.rule, NULL, 0, {NO_REPORT_SQL}
FROM span CROSS JOIN rules WHERE span.year NOT IN (SELECT year FROM checked)
ORDER BY year, rule""",
    _with_gaps({"mark": {"type": "bar", "tooltip": True, "invalid": "show"},
                "encoding": {"x": _year_x(),
                             "y": _count("reports", "报告数 / reports"),
                             "color": {"field": "rule", "type": "nominal", "title": "规则 / rule",
                                       "scale": {"domain": list(_RULES)}, "legend": {**_LEGEND, "columns": 4}},
                             "xOffset": {"field": "rule", "scale": {"domain": list(_RULES)}},
                             "tooltip": [{"field": "year", "title": "年度"}, {"field": "rule", "title": "规则"},
                                         {"field": "reports", "title": "不符的报告 / failing"},
                                         {"field": "reports_checked", "title": "已检查的报告 / checked"}]}}),
    needs_tables=RULE_TABLES)

# --- 7. On time, late and missing, by region (the scorecard's agency-years, FORMAT.md §1 deadlines) --------------
_STATUSES = [("missing", "缺报 / missing", 1), ("late", "迟报 / late", 2), ("no_date", "无发布日期 / no date", 3),
             ("on_time", "按时 / on time", 4)]
UNKNOWN_REGION = "未知地区 / unknown"
# who was late or missing, in the tooltip: the first agency-years by name, then how many in all (every one of
# 16,500 missing in a province made a 324,000-character tooltip and a 730 kB SVG, the list in each bar's aria-label)
WHO_NAMED = 20


def _named(kind: str, cond: str) -> str:
    """SQL: the first WHO_NAMED agency-years of province n.province that are `kind` (late or missing), by name and
    year, joined: read from the index of the `kind` agency-years (m028) in its order, or, for one year, from that
    year's agency-years (sorted: a province's of one year; the index of all years read every one before the
    year's 20th)."""
    pick = f"""SELECT m.agency || '（' || m.year || '）' AS x FROM agency_years m INDEXED BY {{index}}
      WHERE {cond} AND m.province IS n.province AND {visible('m')} AND {{year}}
      ORDER BY m.agency, m.year LIMIT {WHO_NAMED}"""
    every = pick.format(index=f"agency_years_{kind}", year="(:year = '' OR m.year = CAST(:year AS INTEGER))")
    one = pick.format(index="agency_years_year", year="m.year = CAST(:year AS INTEGER)")
    return (f"CASE WHEN :year = '' THEN (SELECT group_concat(w.x, '、') FROM ({every}) w)\n"
            f"      ELSE (SELECT group_concat(w.x, '、') FROM ({one}) w) END")


# Counted from the kept counts (m028: agency_year_counts) for every agency, a province or a year, and from the
# agency's own rows for one agency; the agency-years named from the indexes of the late and of the missing: the
# old read of every agency-year (a window numbering them, group_concat) took 3.5 M SQLite steps at 33,000
# agency-years (25,000 reports), ~3.5 s at 300,000, past Datasette's time limit
LATE_MISSING = Chart(
    "late_missing", "各地区按时、迟报、缺报", "On time, late and missing by region",
    "Agency-years of the scorecard by province: a year with no report between an agency's first and last is "
    "missing; a report published after its deadline (31 Jan for departments, 31 Mar for governments and before "
    "2019) is late; one whose date is unknown cannot be judged. Provinces with most late and missing first; the "
    f"tooltip names the first {WHO_NAMED} agency-years late or missing and counts the rest.",
    f"""WITH {_values('st', ('key', 'status', 'seq'), _STATUSES)},
pick AS MATERIALIZED (SELECT a.id FROM agencies a WHERE :agency != '' AND {_AGENCY}),
n AS (
  SELECT c.province, c.status, sum(c.n) AS agencies FROM agency_year_counts c
  WHERE :agency = '' AND (:province = '' OR c.province = :province)
    AND (:year = '' OR c.year = CAST(:year AS INTEGER)) AND {visible('c')}
  GROUP BY c.province, c.status HAVING sum(c.n) > 0
  UNION ALL
  SELECT sc.province, {status_sql('sc')} AS status, count(*) AS agencies
  FROM agency_years sc
  WHERE sc.agency_id IN (SELECT id FROM pick) AND {visible('sc')} AND (:year = '' OR sc.year = CAST(:year AS INTEGER))
  GROUP BY sc.province, 2),
g AS (SELECT coalesce(n.province, {_sql_str(UNKNOWN_REGION)}) AS province, n.status, n.agencies,
  CASE WHEN n.status IN ('late', 'missing') THEN CASE
    WHEN :agency != '' THEN (SELECT group_concat(w.x, '、') FROM (
      SELECT sc.agency || '（' || sc.year || '）' AS x FROM agency_years sc
      WHERE sc.agency_id IN (SELECT id FROM pick) AND sc.province IS n.province AND {status_sql('sc')} = n.status AND {visible('sc')}
        AND (:year = '' OR sc.year = CAST(:year AS INTEGER))
      ORDER BY sc.agency, sc.year LIMIT {WHO_NAMED}) w)
    WHEN n.status = 'missing' THEN {_named('missing', 'm.report_id IS NULL')}
    ELSE {_named('late', 'm.on_time = 0')} END
  || CASE WHEN n.agencies > {WHO_NAMED} THEN '…（共 ' || n.agencies || ' 个 / ' || n.agencies || ' in all）' ELSE '' END
  END AS who
  FROM n)
SELECT g.province, st.status, st.seq, g.agencies, g.who,
  sum(CASE WHEN g.status IN ('late', 'missing') THEN g.agencies ELSE 0 END) OVER (PARTITION BY g.province)
    AS late_or_missing
FROM g JOIN st ON st.key = g.status
ORDER BY late_or_missing DESC, g.province, st.seq""",
    {"mark": {"type": "bar", "tooltip": True},
     "encoding": {"y": {"field": "province", "type": "nominal", "title": None, "axis": {"labelLimit": 200},
                        "sort": {"field": "late_or_missing", "op": "max", "order": "descending"}},
                  "x": _count("agencies", "机关·年度 / agency-years", "x"),
                  "color": {"field": "status", "type": "nominal", "title": None,
                            "scale": {"domain": _domain(_STATUSES),
                                      "range": ["#d62728", "#ff7f0e", "#b0b0b0", "#2ca02c"]},
                            "legend": {**_LEGEND, "columns": 4}},
                  "order": {"field": "seq", "type": "quantitative"},
                  "tooltip": [{"field": "province", "title": "地区"}, {"field": "status", "title": "情况"},
                              {"field": "agencies", "title": "机关·年度"},
                              {"field": "who", "title": "机关（年度）"}]}},
    height={"step": 20}, needs_reports=False)  # 20 pixels a province: 33 in a fixed 220 overlapped their names

CHARTS: dict[str, Chart] = {c.name: c for c in (
    APPLICATIONS, ANSWERS, REFUSALS, REVIEW_LITIGATION, CASES_PER_YEAR, RULE_FAILURES, LATE_MISSING)}
