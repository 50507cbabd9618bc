"""The tables shown beside the charts on the dashboard (rows, not drawings): the overview's list of agencies, each
a link to its page, and one agency's scorecard year by year. Their SQL takes the charts' filters (charts.specs)."""

from __future__ import annotations

from govreports.charts.specs import _AGENCY, _sql_str
from govreports.query.agency_report import claims_sql, ocr_pages_sql

# what a name must not carry into the link's query: its own syntax (% & + # and space), and what would end the
# attribute or open markup in the HTML the plugin's table builds from cells (" ' < >); '%' first
_URL_ESCAPES = (("%", "%25"), ("&", "%26"), ("+", "%2B"), ("#", "%23"), (" ", "%20"), ('"', "%22"), ("'", "%27"),
                ("<", "%3C"), (">", "%3E"))


def _link(name_sql: str) -> str:
    """SQL for an HTML link from an agency name to its dashboard page. The plugin's table puts cells in as HTML
    (innerHTML), and an agency name is a portal's text: the name is escaped, and so is the link (a `"` in a name
    had closed the href and added an attribute of the portal's choosing, an onmouseover script)."""
    url = name_sql
    for raw, code in _URL_ESCAPES:
        url = f"replace({url}, {_sql_str(raw)}, '{code}')"
    return f"""'<a href="/-/dashboards/agency?agency=' || {url} || '">' || {_html(name_sql)} || '</a>'"""


def _html(text_sql: str) -> str:
    """SQL for a text as HTML text: the plugin's table puts every cell in as HTML."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        text_sql = f"replace({text_sql}, {_sql_str(raw)}, '{entity}')"
    return text_sql


# Reports whose agency could not be read share the agency row with the empty name. Their reports count in the
# charts, so the overview's list shows them, labelled and without a link (`agency?agency=` shows all agencies);
# the agency dashboard's choice leaves them out, as the scorecard and analyze missing do.
UNREAD_AGENCY = "（机关名称未能识别）/ agency not read"

# The plugin's table breaks on an empty result, so each table says in a row why it has none.
# Over every year each agency's row is read from the counts m030 keeps (agency_reports: its current reports, their
# first and latest year); for a year, its current reports of that year (reports_agency_year). Counting every
# current report of every agency took 750 k SQLite steps to list 2,577 agencies at 25,000 reports (a year 368 k,
# and 318 k to find that a year has none). The agencies are the outer loop (CROSS JOIN), as in the charts.
AGENCY_LIST_SQL = f"""WITH listed AS MATERIALIZED (
  SELECT a.id, a.name, a.norm_name, a.region, a.province, k.reports AS n, k.first_year AS first, k.last_year AS last
  FROM agencies a CROSS JOIN agency_reports k ON k.agency_id = a.id
  WHERE :year = '' AND {_AGENCY}
  UNION ALL
  SELECT a.id, a.name, a.norm_name, a.region, a.province, count(*), r.year, r.year
  FROM agencies a CROSS JOIN reports r INDEXED BY reports_agency_year ON r.agency_id = a.id
  WHERE :year != '' AND r.year = CAST(:year AS INTEGER) AND r.current_version_id IS NOT NULL AND {_AGENCY}
  GROUP BY a.id)
SELECT * FROM (
  SELECT CASE WHEN l.norm_name = '' THEN {_sql_str(UNREAD_AGENCY)} ELSE {_link('l.name')} END AS "机关 / agency",
    {_html("coalesce(l.region, '')")} AS "地区 / region",
    l.n AS "报告 / reports", l.first AS "最早 / first", l.last AS "最近 / latest"
  FROM listed l ORDER BY l.province, l.name)
UNION ALL
SELECT '没有报告 / no reports', NULL, 0, NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM listed)"""

_MARK = "CASE {} WHEN 1 THEN '✓' WHEN 0 THEN '✗' END"
# a share as a whole percent, 0% and 100% only for exactly 0 and 1 (as `govreports report` prints it)
_SHARE = ("CASE WHEN round(100 * {0}) = 100 AND {0} < 1 THEN '>99%' WHEN round(100 * {0}) = 0 AND {0} > 0 THEN '<1%'"
          " ELSE CAST(round(100 * {0}) AS INTEGER) || '%' END")
# a broken rule of a report read by OCR may be a misread digit, not the agency's sum (as `govreports report` marks it)
_OCR_MARK = f"CASE WHEN {ocr_pages_sql('sc.report_id')} IS NOT NULL THEN ' (OCR 识别)' ELSE '' END"
AGENCY_SCORECARD_SQL = f"""WITH sc AS (
  SELECT sc.* FROM scorecard sc JOIN agencies a ON a.id = sc.agency_id
  WHERE :agency != '' AND {_AGENCY} AND (:year = '' OR sc.year = CAST(:year AS INTEGER)))
SELECT * FROM (
  SELECT sc.year AS "年度 / year",
    CASE WHEN NOT sc.found THEN '缺报 / missing' ELSE '有 / found' || coalesce(' ×' || nullif({claims_sql('sc')}, 1),
      '') END AS "报告 / report",  -- ×2: two reports claim the year (as `report` says)
    sc.published AS "发布日期 / published", sc.published_source AS "来源 / date from",
    sc.deadline AS "期限 / deadline",
    CASE WHEN sc.on_time = 0 THEN '迟报 ' || sc.days_late || ' 天 / days late'
      WHEN sc.on_time = 1 THEN '按时 / on time' END AS "按时 / on time",
    sc.format AS "格式 / format", {_MARK.format('sc.format_ok')} AS "格式合规 / format ok",
    coalesce(sc.rules_failed || {_OCR_MARK}, {_MARK.format('sc.rules_ok')}) AS "勾稽关系 / rules",
    {_SHARE.format('sc.blank_share')} AS "空白 / blank", sc.sections_present AS "部分 / sections"
  FROM sc ORDER BY sc.year)
UNION ALL
SELECT CASE WHEN :agency = '' THEN '请选择机关 / choose an agency' ELSE '没有报告 / no reports' END,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM sc)"""
