"""The datasette-dashboards configuration: the charts of charts.specs laid out on two dashboards.

- `overview` (/-/dashboards/overview): every chart over all agencies (on time, late and missing by region first),
  filtered by year and province, and the list of agencies, each name a link to its own page;
- `agency` (/-/dashboards/agency?agency=NAME): one agency's numbers over the years and its scorecard, year by year
  (report found or missing, published on time, format, rules, blank cells, sections).

The plugin bundles Vega, Vega-Lite and vega-embed (no CDN), runs each chart's SQL through Datasette's JSON API
with the filters as named parameters (a missing one is '', as the charts' SQL expects) and draws in the browser.
The config goes into the Datasette metadata under `plugins`, which serve.metadata builds.
"""

from __future__ import annotations

from govreports import schema
from govreports.charts.specs import CHARTS
from govreports.charts.tables import AGENCY_LIST_SQL, AGENCY_SCORECARD_SQL
from govreports.store.migrations.china_time import visible

PLUGIN = "datasette-dashboards"


def _chart(db_name: str, name: str) -> dict:
    chart = CHARTS[name]
    return {"title": chart.label, "db": db_name, "query": chart.sql, "library": "vega-lite",
            "display": chart.display()}


def _table(db_name: str, title: str, sql: str) -> dict:
    return {"title": title, "db": db_name, "query": sql, "library": "table"}


def _count(db_name: str, title: str, sql: str) -> dict:
    """A figure (datasette-dashboards' metric): `sql` answers one row with a `n` column."""
    return {"title": title, "db": db_name, "query": sql, "library": "metric",
            "display": {"field": "n", "prefix": "", "suffix": ""}}


# the reports the overview's charts add up, for the year and province chosen: a due year nobody has published
# for yet (offered since its agencies are all missing) drew every chart of the reports empty, unexplained; "0"
# says why, beside late_missing's missing agencies. The agencies first (CROSS JOIN): without ANALYZE's statistics
# a province's reports were counted off every report, 225 k SQLite steps at 25,000 reports (16 k so)
REPORTS_SQL = ("SELECT count(*) AS n FROM agencies a CROSS JOIN reports r ON r.agency_id = a.id"
               " WHERE r.current_version_id IS NOT NULL AND (:year = '' OR r.year = CAST(:year AS INTEGER))"
               " AND (:province = '' OR a.province = :province)")
# and of them, those in a form with tables 二、三、四: a year of free-form pre-2019 reports (?year=2018: 16 reports)
# drew every chart of table 三, 四 and the rules empty, unexplained (an empty refusals chart reads as no refusals;
# `chart refusals --year 2018` says why)
TABLED_SQL = REPORTS_SQL + f" AND r.format IN ({', '.join(repr(f) for f in schema.TABLE_FORMATS)})"


OVERVIEW_CHARTS = ("late_missing", "applications", "answers", "refusals", "review_litigation", "cases_per_year",
                   "rule_failures")
AGENCY_CHARTS = ("applications", "answers", "cases_per_year", "rule_failures", "refusals", "review_litigation")


# The overview's years: those of reports, and those due that no report covers yet — the scorecard's agency-years,
# by its own rule (china_time.visible, as compliance reads agency_years): a due year nobody has published for is
# every agency missing, which late_missing draws, and it could not be chosen. Each table's years are found by a
# step down its year index (the next lower year), not by reading every row: 15 ms for 300,000 reports and 425,000
# agency-years, where DISTINCT over the reports alone took 137 ms (an in-memory copy of the two indexes).
YEARS_SQL = f"""WITH RECURSIVE
r(year) AS (SELECT max(year) FROM reports
  UNION ALL SELECT (SELECT max(year) FROM reports WHERE year < r.year) FROM r WHERE r.year IS NOT NULL),
d(year) AS (SELECT max(year) FROM agency_years
  UNION ALL SELECT (SELECT max(year) FROM agency_years WHERE year < d.year) FROM d WHERE d.year IS NOT NULL)
SELECT CAST(year AS TEXT) FROM (SELECT year FROM r WHERE year IS NOT NULL
  UNION SELECT d.year FROM d WHERE EXISTS (SELECT 1 FROM agency_years s WHERE s.year = d.year AND {visible('s')}))
ORDER BY year DESC"""


# The agency page's choice of agency: a drop-down of every agency's name made a 338 KB page at 2,577 agencies (and
# grew with the country); the page asks this canned query (serve.agency_names) for a few names as one is typed:
# those starting with what was typed (looked up in the names' index), then those containing it, by name; never
# more than AGENCY_NAMES_SHOWN. Only agencies with a readable name and reports (not tables.UNREAD_AGENCY). Names
# containing it are sought (every name read: 12 k SQLite steps at 2,577 agencies) only when fewer than
# AGENCY_NAMES_SHOWN start with it: the count of those is the outer loop (CROSS JOIN), so when they fill the list
# no name is read again (a condition on a subquery alone was tested on every name).
AGENCY_NAMES_QUERY = "agency_names"
AGENCY_NAMES_SHOWN = 20
_OFFERED = "a.norm_name != '' AND EXISTS (SELECT 1 FROM reports r WHERE r.agency_id = a.id)"
AGENCY_NAMES_SQL = f"""WITH starting AS MATERIALIZED (SELECT a.name FROM agencies a INDEXED BY agencies_name
    WHERE a.name >= :q AND a.name < :q || char(1114111) AND {_OFFERED} ORDER BY a.name LIMIT {AGENCY_NAMES_SHOWN})
SELECT name FROM (
  SELECT name, 0 AS k FROM starting
  UNION ALL
  SELECT * FROM (SELECT a.name, 1 AS k FROM (SELECT count(*) AS n FROM starting) s
      CROSS JOIN agencies a INDEXED BY agencies_name
    WHERE s.n < {AGENCY_NAMES_SHOWN} AND :q != '' AND instr(a.name, :q) > 1 AND {_OFFERED}
    ORDER BY a.name LIMIT {AGENCY_NAMES_SHOWN}))
ORDER BY k, name LIMIT {AGENCY_NAMES_SHOWN}"""


def dashboards(db_name: str = "govreports") -> dict:
    """The plugin's config: {slug: dashboard} for `plugins: {datasette-dashboards: …}` in the metadata."""
    years = {"name": "年度 / year", "type": "select", "db": db_name, "query": YEARS_SQL}
    provinces = {"name": "省份 / province", "type": "select", "db": db_name,
                 "query": "SELECT DISTINCT province FROM agencies WHERE province IS NOT NULL"
                          " AND id IN (SELECT agency_id FROM reports) ORDER BY province"}
    # a text box: the names are offered as they are typed (serve.agency_names; AGENCY_NAMES_SQL)
    agencies = {"name": "机关 / agency", "type": "text"}
    overview = {
        "title": "政府信息公开工作年度报告：总览 / Annual reports at a glance",
        "description": "Every agency's current reports added up. Pick a year or a province to narrow them; click an "
                       "agency for its own page. The same charts as files: `govreports chart --all`.",
        "filters": {"year": years, "province": provinces},
        "layout": [["reports", "tabled"],
                   ["late_missing", "late_missing"],
                   ["applications", "answers"],
                   ["refusals", "review_litigation"],
                   ["refusals", "cases_per_year"],
                   ["rule_failures", "agencies"]],
        "charts": {**{name: _chart(db_name, name) for name in OVERVIEW_CHARTS},
                   "agencies": _table(db_name, "机关 / Agencies (click for its page)", AGENCY_LIST_SQL),
                   "reports": _count(db_name, "报告 / Reports in this selection", REPORTS_SQL),
                   "tabled": _count(db_name, "其中有表格二、三、四的 / of them with tables (pre-2019 reports have "
                                             "none)", TABLED_SQL)},
    }
    agency = {
        "title": "单个机关 / One agency over the years",
        "description": "Choose an agency: its applications, answers, refusals, reviews and lawsuits, the rules its "
                       "reports break, and its scorecard year by year. Without a choice the charts add up all "
                       "agencies.",
        "filters": {"agency": agencies},
        "layout": [["applications", "answers"],
                   ["cases_per_year", "rule_failures"],
                   ["refusals", "review_litigation"],
                   ["scorecard", "scorecard"]],
        "charts": {**{name: _chart(db_name, name) for name in AGENCY_CHARTS},
                   "scorecard": _table(db_name, "年度考评 / Its scorecard, year by year", AGENCY_SCORECARD_SQL)},
    }
    return {"overview": overview, "agency": agency}
