"""Every column of every table and view, documented once: Chinese label, English name, meaning, unit.

The one source of `docs/columns.md` (`python -m govreports.query.columns > docs/columns.md`, kept up to date by
tests/test_columns_doc.py), of the column descriptions Datasette shows (serve.metadata) and of the Chinese
headers of exports (`export --headers zh`). The columns of the views built from the record's tables (the wide
views, `report_flat`) are generated from govreports.schema, so a new cell cannot go undocumented.

    TABLES: name -> Table(name, zh, title, kind, columns, note)
    column(table, name) -> Column | None         label(table, name) -> Chinese label or ''
    markdown() -> the text of docs/columns.md
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from govreports import schema
from govreports.query.cell_names import (ACTIVE_ITEMS_EN, APPLICANTS_EN, APPLICATION_ROWS_EN, CASES, MEASURE_ZH,
                                         MEASURES, REVIEW_GROUPS_EN, REVIEW_MEASURES_EN, TABLE_EN, TABLE_ZH)
from govreports.store import migrations


@dataclass(frozen=True)
class Column:
    name: str
    zh: str          # Chinese label
    meaning: str     # what it holds, in English
    unit: str = ""   # 件, 项, 万元, a date, …; '' when the value is a name or a code

    def description(self) -> str:
        """The one line Datasette shows: `中文 / meaning [unit]`."""
        return f"{self.zh} / {self.meaning}" + (f" [{self.unit}]" if self.unit else "")


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    title: str       # English
    kind: str        # table | view
    columns: tuple[Column, ...]
    note: str = ""

    @property
    def heading(self) -> str:
        return f"{self.zh} / {self.title}"


C = Column
DATE = "date (ISO 8601)"
TIME = "time (ISO 8601, UTC)"

# Columns that mean the same wherever they appear.
REPORT_ID = C("report_id", "报告", "report id (reports.id)")
VERSION_ID = C("version_id", "报告版本", "report version id (report_versions.id)")
AGENCY = C("agency", "机关名称", "agency name, as first written")
AGENCY_ID = C("agency_id", "机关", "agency id (agencies.id)")
YEAR = C("year", "报告年度", "the year the report covers (not the year it was published)")
# added by `export` beside version_id where a table holds every version's rows (query.export)
CURRENT = C("current", "现行版本", "1: the report's current version (the one the analyses read); 0: superseded")
FORMAT = C("format", "表格格式", "table format: 2019, 2021, pre2019 or unknown (from the table labels)")
TITLE = C("title", "报告标题", "report title")
PUBLISHED = C("published", "发布日期", "date the report was published, as the page or document gives it", DATE)
REGION = C("region", "地区", "where the agency sits: province/city/county, e.g. 江苏省/宿迁市/沭阳县 (全国 for national "
                          "bodies); null when unknown")
PROVINCE = C("province", "省级地区", "province-level region (省、自治区、直辖市), or 全国; null when unknown")
CITY = C("city", "地级市", "prefecture-level city, where there is one")
COUNTY = C("county", "县级地区", "county-level region (县、区、县级市), where there is one")
KIND = C("kind", "机关类型", "government (a people's government's own report, due 31 March) or department (due "
                         "31 January from the 2019 reports)")
PUBLISHED_SOURCE = C("published_source", "发布日期来源", "where the publication date was read: meta (the page's "
                     "publish metadata), page (发布时间 by the title), list (the portal list's date), closing (the "
                     "report's closing lines); null when there is no date")
ROW_KEY = C("row_key", "行", "row key of the official table (SCHEMA.md)")
CHECK_SEQ = C("seq", "序号", "order of the check in the record")
CHECK_RULE = C("rule", "规则", "rule R1, R2, R3 or R4 (FORMAT.md §6)")
CHECK_LOCATION = C("location", "位置", "where the rule was checked (table.row or table.column)")
CHECK_OK = C("ok", "是否相符", "1 holds, 0 broken, null not evaluable (a blank input)")
CHECK_DETAIL = C("detail", "说明", "the sums compared")
ROW_LABEL = C("row_label", "行名称", "official row label")
DOCUMENT_ID = C("document_id", "来源文件", "source document id (documents.id)")
PORTAL = C("portal", "门户", "portal name (config)")
RUN_ID = C("run_id", "运行", "run id (runs.id)")
RULES_FAILED = C("rules_failed", "不符规则", "rules R1–R4 the report breaks, e.g. R1,R2; null none")
SOURCE = C("source", "来源", "where the report was read from: document URL, else file path; null unknown")

# --- The record's cells: names, meanings, units (their words in query.cell_names) ---------------------------------


def _application_row_zh(row: str) -> str:
    """A row's label that stands on its own: the group's label before a numbered sub-row (（三）不予公开 1.属于国家秘密),
    the parenthetical instruction of 部分公开 left out."""
    label = re.sub(r"（区分处理的[^）]*）", "", schema.APPLICATION_ROW_LABELS[row])
    group = next((g for g in ("withheld", "unavailable", "rejected") if row.startswith(g + "_")), None)
    if group is None and row.startswith("other_"):
        group = "other"
    return f"{schema.APPLICATION_GROUPS[group]}{label}" if group else label


def _formats(present: list[str]) -> str:
    return "" if len(present) == len(schema.TABLE_FORMATS) else f" ({' and '.join(present)} format only)"


def cell_columns() -> list[tuple[str, str, str, Column]]:
    """(table, row, column key, Column) for every cell of the three tables, in report_flat's order and with its
    names (store.migrations.flat_cells: `table__row__column`, the union over formats)."""
    out = []
    for table, row, key, name in migrations.flat_cells():
        if table == "active":
            fmts = [f for f in schema.TABLE_FORMATS if key in schema.ACTIVE_MEASURES[f].get(row, ())]
            meaning, unit = MEASURES[key]
            out.append((table, row, key, C(
                name, f"{TABLE_ZH[table]}：{schema.ACTIVE_ITEM_LABELS[row]}：{MEASURE_ZH[key]}",
                f"{TABLE_EN[table]}, {ACTIVE_ITEMS_EN[row]}: {meaning}{_formats(fmts)}", unit)))
        elif table == "applications":
            fmts = [f for f in schema.TABLE_FORMATS if row in schema.APPLICATION_ROWS[f]]
            out.append((table, row, key, C(
                name, f"{TABLE_ZH[table]}：{_application_row_zh(row)}：{schema.APPLICANT_LABELS[key]}",
                f"{TABLE_EN[table]}, {APPLICATION_ROWS_EN[row]}: {APPLICANTS_EN[key]}{_formats(fmts)}", CASES)))
        else:
            out.append((table, row, key, C(
                name, f"{TABLE_ZH[table]}：{schema.REVIEW_GROUP_LABELS[row]}：{schema.REVIEW_MEASURE_LABELS[key]}",
                f"{TABLE_EN[table]}, {REVIEW_GROUPS_EN[row]}: {REVIEW_MEASURES_EN[key]}", CASES)))
    return out


def _wide_columns(table: str, names: dict[str, str]) -> tuple[Column, ...]:
    """A wide view's columns: one row per report and table row, a column per measure of the table."""
    cols = [REPORT_ID, AGENCY, YEAR, FORMAT, ROW_KEY, ROW_LABEL]
    for key in migrations.wide_columns()[table]:
        name = names.get(key, key)
        if table == "active":
            meaning, unit = MEASURES[key]
            cols.append(C(name, MEASURE_ZH[key], meaning, unit))
        elif table == "applications":
            cols.append(C(name, schema.APPLICANT_LABELS[key], f"applications from {APPLICANTS_EN[key]}", CASES))
        else:
            cols.append(C(name, schema.REVIEW_MEASURE_LABELS[key], REVIEW_MEASURES_EN[key], CASES))
    return tuple(cols)


# --- Tables and views ---------------------------------------------------------------------------------------------

SCORECARD = (
    AGENCY_ID, AGENCY, PROVINCE, CITY, COUNTY, KIND, YEAR,
    REPORT_ID,
    C("found", "已发布", "1 a report for the year is in the database, 0 missing"), PUBLISHED, PUBLISHED_SOURCE,
    C("deadline", "法定期限", "the legal deadline for this report (31 January or 31 March of the next year)", DATE),
    C("days_late", "逾期天数", "days published after the deadline (0 on time); null without a date", "天"),
    C("on_time", "按时发布", "1 published by the deadline, 0 late, null without a date"),
    C("format_expected", "应用格式", "the table format in force for the year: pre2019, 2019 or 2021"), FORMAT,
    C("format_ok", "格式正确", "1 the report uses the format in force, 0 another, null missing or unreadable"),
    RULES_FAILED,
    C("rules_ok", "勾稽相符", "1 every evaluable rule holds, 0 one breaks, null none evaluable"),
    C("blank_share", "空白比例", "share of the cells of the report's form (tables 二、三、四 of its format: 198 in the "
      "2019 form, 200 in the 2021 form) left blank or not read; null for a free-form (pre2019) report, which has no "
      "form", "0–1"),
    C("sections_present", "部分数", "how many of the sections 一 … 六 the report has", "个"),
)


def _tables() -> dict[str, Table]:
    renamed = migrations.VIEW_COLUMN_NAMES
    head = {c.name: c for c in (REPORT_ID, AGENCY, AGENCY_ID, REGION, PROVINCE, YEAR, FORMAT, PUBLISHED,
                                PUBLISHED_SOURCE, TITLE, SOURCE, RULES_FAILED)}
    tables = [
        Table("report_flat", "报告一览（一行一份报告）", "Reports, one row each, every cell a column", "view",
              tuple(head[n] for n in migrations.FLAT_HEAD) + tuple(c for *_, c in cell_columns()),
              "One row per report (its current version): agency, region, year, format, publication date, then every "
              "cell of tables 二, 三 and 四 as its own column named table__row__column; a blank cell is null. For "
              "spreadsheets and pandas: `govreports export -t report_flat -o reports.xlsx --headers zh`."),
        Table("agencies", "机关", "Agencies", "table", (
            C("id", "机关", "agency id"), C("name", "机关名称", "agency name, as first written"),
            C("norm_name", "规范化名称", "normalised name (NFKC, simplified characters, no spaces): two spellings of "
                                    "one agency share it"),
            REGION, PROVINCE, CITY, COUNTY, KIND)),
        Table("reports", "年度报告", "Annual reports", "table", (
            C("id", "报告", "report id"), AGENCY_ID, YEAR,
            C("source_key", "来源键", "where the report was read from: document URL, else file path, else ''"),
            FORMAT, TITLE, PUBLISHED, DOCUMENT_ID, C("parser_version", "解析器版本", "parser version"),
            C("current_version_id", "当前版本", "the report's current version (report_versions.id); empty when"
              " its file or page now holds a copy of another report (its versions are kept)"),
            C("first_seen", "首次发现", "when the report was first loaded", TIME),
            C("last_seen", "最近发现", "when its current content was first loaded (a reload or a re-crawl that finds it "
              "unchanged writes nothing)", TIME),
            PUBLISHED_SOURCE),
            "One row per report: an agency's report for a year from one source. Every analysis reads its current "
            "version."),
        Table("report_versions", "报告版本", "Report versions (a portal edit gives a new version)", "table", (
            C("id", "报告版本", "version id"), REPORT_ID, C("version", "版本号", "version number, 1, 2, …"),
            C("sha256", "内容哈希", "sha256 of the canonical JSON without volatile keys"),
            C("agency_written", "机关名称原文", "agency name as this version writes it"), FORMAT, TITLE, PUBLISHED,
            DOCUMENT_ID, C("parser_version", "解析器版本", "parser version"),
            C("loaded_at", "入库时间", "when this version was loaded", TIME),
            C("record_keys", "记录键", "JSON list: the record's top-level keys, in order"),
            C("extra_json", "其他键", "JSON object: top-level keys this schema does not model"), PUBLISHED_SOURCE,
            C("table_cells", "表格单元格数", "cells of the form of this version's format (tables 二、三、四: 198 in "
              "2019, 200 in 2021; 0 for pre2019 and unknown, which have no form), amount units not counted "
              "(written at load; the scorecard's blank_share divides by it)", "个"),
            C("blank_cells", "空白单元格数", "of those, the cells left blank (null) or not in the version at all (a "
              "table not read)", "个"),
            RULES_FAILED,
            C("rules_ok", "勾稽相符", "1 every evaluable rule holds, 0 one breaks, null none evaluable"),
            C("sections_present", "部分数", "how many of the sections 一 … 六 the report has", "个"),
            C("undated_sha", "内容哈希（不含发布日期）", "sha256 as sha256, without the publication date: a re-post "
              "dated by its list entry is a duplicate (m022; null for versions loaded before)")),
            "One row per version of a report. table_cells, blank_cells, rules_failed, rules_ok and sections_present "
            "are written at load (migration m008) so that the scorecard reads one row per report."),
        Table("sections", "报告正文", "Report sections 一 … 六", "table", (
            C("id", "正文部分", "section id"), VERSION_ID, REPORT_ID,
            C("section", "部分编号", "section number 1–6"), C("heading", "标题", "canonical heading"),
            C("body", "正文", "the section's text, without its tables"))),
        Table("cells", "表格单元格（长表）", "Table cells, long form", "view", (
            VERSION_ID, REPORT_ID,
            C("table_name", "表", "table: active 主动公开, applications 依申请, review_litigation 复议诉讼"),
            ROW_KEY, C("col_key", "列", "column key (SCHEMA.md)"),
            C("value", "数值", "the cell's number; null = blank in the report (never 0), or a count past 10¹² "
                             "(kept in raw)", "see docs/columns.md"),
            C("raw", "原文", "text cells (amount_unit 元/万元), a count past 10¹² as written (an absurd number, such "
                           "as merged digits, would overflow sums), and the raw text where known")),
            "Every cell of the three tables of every version; units are those of the report_flat column of the "
            "same table, row and column. A view of cell_values with each cell's key spelled out."),
        Table("cell_values", "单元格取值", "Cell values (stored)", "table", (
            VERSION_ID, C("key_id", "单元格键", "the cell's table, row and column (cell_keys.id)"),
            C("value", "数值", "the cell's number; null = blank in the report (never 0), or a count past 10¹² "
                             "(kept in raw)", "see docs/columns.md"),
            C("raw", "原文", "text cells (amount_unit 元/万元), a count past 10¹² as written (an absurd number, such "
                           "as merged digits, would overflow sums), and the raw text where known")),
            "What the cells view reads: one row per cell of every version, its key as a number."),
        Table("cell_keys", "单元格键", "Cell keys", "table", (
            C("id", "单元格键", "cell key id"),
            C("table_name", "表", "table: active 主动公开, applications 依申请, review_litigation 复议诉讼"),
            ROW_KEY, C("col_key", "列", "column key (SCHEMA.md)")),
            "Every table, row and column a cell has, once."),
        Table("row_totals", "行合计", "Row totals", "table", (
            VERSION_ID, REPORT_ID, C("table_name", "表", "table: applications or review_litigation"), ROW_KEY,
            C("n", "合计", "the row's 总计 cell, else the sum of its cells, else null", CASES))),
        Table("current_sums", "现行版本年度汇总", "Sums over current versions, per year (kept at load)", "table", (
            YEAR,
            C("table_name", "表", "table: applications or review_litigation"), ROW_KEY,
            C("col_key", "列", "column key of a review_litigation cell; '' the row's total (row_totals.n); "
                               "'*' the row itself"),
            C("reports", "报告数", "current versions with this cell (with cells in the row, for '*')"),
            C("n", "有数值的报告数", "of them, with a number"),
            C("total", "合计", "sum of those numbers, else null", CASES),
            C("positive", "大于零的报告数", "of them, with a number above 0")),
              "The loader keeps these sums as versions become current or stop being current, so the refusals and "
              "outcomes analyses over every agency read them instead of every report; year 0 holds the reports "
              "without a year."),
        Table("rule_counts", "勾稽关系年度计数", "Reports checked and breaking rules R1–R4, per year (kept)", "table", (
            YEAR, C("rule", "规则", "'' reports with a check that could be evaluated; R1, R2, R3 or R4: of those, "
                    "the reports whose checks break it (FORMAT.md §6)"),
            C("reports", "报告数", "current reports (0: none any more)")),
              "Current reports with a year counted per year and rule, kept by triggers on reports and "
              "report_versions (m030), so the rule_failures chart over every agency reads a few rows a year "
              "instead of every report."),
        Table("agency_reports", "机关报告计数", "Each agency's current reports, counted (kept)", "table", (
            AGENCY_ID, C("reports", "报告数", "its current reports (with a year or not)"),
            C("first_year", "最早年度", "the first year they cover (null: none has a year)"),
            C("last_year", "最近年度", "the latest year they cover (null: none has a year)")),
              "A row per agency with a current report, kept by triggers on reports (m030), so the dashboard's "
              "agency list over every year reads a row an agency instead of every report."),
        Table("agency_years", "机关年度（应报年度）", "Agency-years the scorecard expects (kept at load)", "table", (
            AGENCY_ID, YEAR, REPORT_ID,
            C("tail", "末次报告后", "1 a year after the agency's latest report: expected only once its deadline "
              "has passed"),
            AGENCY, PROVINCE, CITY, COUNTY, KIND, next(c for c in SCORECARD if c.name == "on_time")),
              "A row per agency and year from its first report through the newest report year or the current "
              "year, whichever is later, with the report that counts; the loader keeps them, the scorecard and "
              "late views and the compliance analysis read them (a year after the agency's latest report only "
              "once its deadline has passed, applied when read)."),
        Table("agency_year_counts", "机关年度计数", "Agency-years counted by province, year and status (kept)",
              "table", (
            PROVINCE, YEAR, KIND, C("tail", "末次报告后", "1 years after the agency's latest report"),
            C("status", "情况", "missing, late, on_time or no_date"),
            C("n", "机关·年度数", "agency-years")),
              "agency_years counted by province, year, kind, tail and status, kept by triggers on agency_years, "
              "so the late_missing chart over every agency and the compliance analysis (every agency, a year or "
              "a province) read a few thousand counts instead of every agency-year (whether a year after the "
              "agency's latest report is due is applied when read)."),
        Table("checks", "勾稽关系检查", "Accounting checks R1–R4", "view", (
            VERSION_ID, REPORT_ID, CHECK_SEQ, CHECK_RULE, CHECK_LOCATION, CHECK_OK, CHECK_DETAIL),
            "Every check of every version. A view of check_values with each check's rule and location spelled "
            "out."),
        Table("check_values", "检查结果", "Check results (stored)", "table", (
            VERSION_ID, CHECK_SEQ, C("key_id", "检查键", "the check's rule and location (check_keys.id)"),
            CHECK_OK, CHECK_DETAIL),
            "What the checks view reads: one row per check of every version, its rule and location as a number."),
        Table("check_keys", "检查键", "Check keys", "table", (
            C("id", "检查键", "check key id"), CHECK_RULE, CHECK_LOCATION),
            "Every rule and location a check has, once."),
        Table("labels", "官方标签", "Official labels of rows and columns", "table", (
            C("table_name", "表", "table: active, applications or review_litigation"),
            C("kind", "类型", "row or col"), C("key", "键", "row or column key"),
            C("label", "标签", "official Chinese label"), C("seq", "顺序", "order in the official table"))),
        Table("documents", "来源文件", "Source documents", "table", (
            C("id", "来源文件", "document id"), C("url", "网址", "URL requested"),
            C("final_url", "跳转后网址", "URL after redirects"), C("fetched_at", "抓取时间", "when it was fetched", TIME),
            C("sha256", "内容哈希", "sha256 of the body"), C("archive_path", "存档路径", "path of the body in the archive"),
            C("media_type", "文件类型", "media type"), C("status", "HTTP 状态", "HTTP status code"),
            C("etag", "ETag", "ETag validator (conditional GET)"),
            C("last_modified", "Last-Modified", "Last-Modified validator (conditional GET)"),
            C("headers_json", "响应头", "response headers (JSON)"), C("encoding", "编码", "character encoding"),
            PORTAL)),
        Table("items", "列表条目", "Items the portals list", "table", (
            PORTAL, C("url", "网址", "report page as listed"), C("list_title", "列表标题", "title on the list page"),
            C("list_date", "列表日期", "date on the list page", DATE),
            YEAR,
            C("attachment_url", "附件网址", "where the report was read from when the page had no tables"),
            DOCUMENT_ID, REPORT_ID,
            C("status", "状态", "loaded, duplicate, failed, blocked or not_report"),
            C("error", "错误", "why it failed"), C("first_seen", "首次发现", "first listed", TIME),
            C("last_seen", "最近发现", "when the item's facts last changed (a listing that changes nothing writes "
              "nothing)", TIME))),
        Table("fetch_log", "抓取记录", "Fetch log", "table", (
            C("id", "记录", "log entry id"), C("url", "网址", "URL or file"),
            C("status", "状态", "HTTP status, or what happened"), C("error", "错误", "error message"),
            DOCUMENT_ID, C("logged_at", "时间", "when", TIME),
            C("kind", "失败类型", "failure kind: dns, refused, timeout, http, blocked, parse, too_large, …"),
            PORTAL, RUN_ID)),
        Table("runs", "运行记录", "Runs", "table", (
            C("id", "运行", "run id"), C("kind", "类型", "crawl, nightly, backfill or reparse"),
            C("started_at", "开始时间", "started", TIME), C("finished_at", "结束时间", "finished", TIME),
            C("summary_json", "汇总",
              "per-portal counts (JSON); a reparse: its one row of counts (one stopped midway: of what it did)"),
            C("outcome", "结果", "completed, stopped, failed or killed (found so by the next run); empty while it runs"),
            C("error", "原因", "why it stopped or failed"),
            C("left_out", "未用配置", "config files the run left out, with why (JSON); null when none was"))),
        Table("partitions", "抓取分区", "Crawl partitions (portal × year)", "table", (
            PORTAL, YEAR,
            C("status", "状态", "pending, running, done, not_yet_due (crawled before its year's reports were all due, 31"
              " March of the next year in China's time: a `missing` backfill runs it again) or failed"),
            C("attempts", "尝试次数", "attempts"),
            C("last_error", "最近错误", "last error"), C("updated_at", "更新时间", "last change", TIME),
            C("found", "年报条目", "its year's annual reports its lists showed in its last crawl; empty while it runs,"
              " when its crawl raised, or from before m029", "条"),
            C("loaded", "已入库报告", "of them, the reports the database holds (new, changed, unchanged, or known and not"
              " asked again); re-posts of a report loaded from another page are not counted", "份"),
            C("failed", "失败", "its URLs that failed or were blocked", "条"))),
        Table("portal_runs", "门户运行记录", "Each portal in each run", "table", (
            RUN_ID, PORTAL, C("kind", "类型", "crawl, nightly or backfill"),
            C("started_at", "开始时间", "started", TIME), C("finished_at", "结束时间", "finished", TIME),
            C("outcome", "结果", "ok, partial or unreachable (no list page answered)"),
            C("pages", "列表页数", "list pages requested", "页"),
            C("list_failed", "失败列表页", "list pages that failed", "页"),
            C("listed", "列出条目", "items the lists showed", "条"),
            C("found", "年报条目", "annual reports found on the lists", "条"),
            C("new", "新报告", "reports new to the database", "份"),
            C("changed", "变更报告", "reports whose content changed", "份"),
            C("unchanged", "未变报告", "reports found unchanged", "份"),
            C("duplicate", "重复", "re-posts of reports already loaded", "份"),
            C("failed", "失败", "items that failed", "条"),
            C("parse_failed", "解析失败", "failures to read a report (parse, too slow, too large, …)", "条"),
            C("blocked", "被拦截", "answers that were anti-bot gates", "条"),
            C("failures_json", "失败类型", "failures by kind (JSON)"),
            C("report_titles", "年报标题条目",
              "items titled as annual reports, of any year (found counts the year asked); null before m018", "条"))),
        Table("health_flags", "门户健康警示", "Portal health flags raised by each run", "table", (
            RUN_ID, PORTAL, C("flag", "警示",
                              "unreachable, list_failing, empty, nothing_found, list_shrank, parse_failures_jump or "
                              "overdue"),
            C("level", "级别", "error or warning"),
            C("detail", "说明", "what was seen, against the portal's own history"))),
        Table("active_wide", "主动公开（宽表）", "Active disclosure, wide", "view",
              _wide_columns("active", renamed),
              "One row per report and row of table 二; which measures a row has depends on the row and the format."),
        Table("applications_wide", "依申请公开（宽表）", "Applications, wide", "view",
              _wide_columns("applications", renamed), "One row per report and row of table 三."),
        Table("review_litigation_wide", "行政复议、行政诉讼（宽表）", "Review and litigation, wide", "view",
              _wide_columns("review_litigation", renamed), "One row per report and row of table 四."),
        Table("current_checks", "当前版本检查", "Checks of current versions", "view", (
            REPORT_ID, AGENCY, YEAR, FORMAT, C("rule", "规则", "rule R1, R2, R3 or R4"),
            C("location", "位置", "where the rule was checked"),
            C("ok", "是否相符", "1 holds, 0 broken, null not evaluable"), C("detail", "说明", "the sums compared"))),
        Table("issues", "问题", "Failures, by URL", "view", (
            C("id", "记录", "fetch_log id"), C("logged_at", "时间", "when", TIME), PORTAL,
            C("kind", "失败类型", "failure kind: dns, refused, timeout, http, blocked, parse, too_large, …"),
            C("status", "状态", "HTTP status, or what happened"), C("url", "网址", "URL or file"),
            C("error", "错误", "error message"), DOCUMENT_ID, RUN_ID)),
        Table("portal_health", "门户健康状况", "Portal health: how each portal stands", "view", (
            PORTAL, C("last_run_id", "最近运行", "last run id"), C("last_run_kind", "最近运行类型", "its kind"),
            C("last_run_at", "最近运行时间", "when it ran", TIME), C("last_outcome", "最近结果", "its outcome"),
            C("last_listed", "最近列出条目", "items listed in the last run", "条"),
            C("last_success_run_id", "最近成功运行", "last run that reached the portal and listed items"),
            C("last_success_at", "最近成功时间", "when it ran", TIME),
            C("reports_known", "已知报告", "reports known from this portal", "份"),
            C("latest_year", "最新年度", "latest report year seen"),
            C("problems", "未解决问题", "open problems (flags of the latest run)"),
            C("errors", "错误", "of which errors"), C("flags", "警示", "the open flags"),
            C("details", "说明", "one line per open flag"))),
        Table("scorecard", "合规评分", "Compliance scorecard: each agency and year it is expected to report for",
              "view", SCORECARD,
              "An agency is expected every year from its first report through its latest, and each later year "
              "once that year's deadline has passed (today's date in China, UTC+8: the year `govreports status` calls due), "
              "whether or not any report covers it yet; of several "
              "reports for one year the earliest published counts (report_id; null when missing). Deadlines and "
              "formats by FORMAT.md §1 (store.migrations.SCORECARD_SQL)."),
        Table("late", "迟报与缺报", "Late or missing reports (the scorecard's rows with on_time = 0 or found = 0)",
              "view", SCORECARD),
    ]
    return {t.name: t for t in tables}


TABLES: dict[str, Table] = _tables()


def column(table: str, name: str) -> Column | None:
    t = TABLES.get(table)
    return next((c for c in t.columns if c.name == name), None) if t else None


def label(table: str, name: str) -> str:
    """The Chinese label of a column ('' when undocumented); the columns an export adds (agency, year, current)
    too."""
    found = column(table, name)
    if found is None:
        found = {"agency": AGENCY, "year": YEAR, "current": CURRENT}.get(name)
    return found.zh if found else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    lines = [
        "# Columns",
        "",
        "Every column of every table and view of the database: its Chinese label, its English name, what it",
        "holds and its unit. Generated from `src/govreports/query/columns.py` (which builds the cell columns from",
        "`src/govreports/schema.py`) by `python -m govreports.query.columns > docs/columns.md`; do not edit by hand.",
        "Datasette (`govreports serve`) shows the same descriptions, and `govreports export --headers zh` uses the",
        "Chinese labels as column headers.",
        "",
        "A blank cell of a report is null, never 0. Counts are 件 (applications, documents, cases) unless the unit",
        "says otherwise; times are UTC.",
        "",
        "## Contents",
        "",
    ]
    lines += [f"- [`{t.name}`](#{t.name}) ({t.kind}) — {t.heading}" for t in TABLES.values()]
    for t in TABLES.values():
        lines += ["", f"## {t.name}", "", f"{t.heading} ({t.kind})."]
        if t.note:
            lines += ["", t.note]
        lines += ["", "| column | 中文 | meaning | unit |", "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {_cell(c.zh)} | {_cell(c.meaning)} | {_cell(c.unit)} |" for c in t.columns]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
