"""Datasette metadata for the database: titles, bilingual column descriptions, facets, canned analyses.

Generated from the code (schema labels, the analyses' SQL) rather than kept as a hand-written YAML file, so the
web view cannot drift from the CLI: `govreports analyze NAME` and the canned query NAME run the same SQL.
"""

from __future__ import annotations

from govreports import schema
from govreports.charts.dashboard import PLUGIN as DASHBOARDS_PLUGIN
from govreports.charts.dashboard import dashboards
from govreports.query.analyses import ANALYSES
from govreports.store.fts import LIKE_SQL
from govreports.store.migrations import wide_columns

_REPORT_FACETS = ["year", "format", "agency_id"]
_VIEW_FACETS = ["year", "format", "agency"]

_COMMON = {
    "report_id": "报告 / report id",
    "version_id": "报告版本 / report version id",
    "agency": "机关名称 / agency (as written)",
    "agency_id": "机关 / agency",
    "year": "报告年度 / year the report covers",
    "format": "表格格式（2019、2021、pre2019、unknown）/ table format",
    "title": "报告标题 / report title",
    "published": "发布日期 / publication date (ISO)",
    "row_key": "行 / row key (SCHEMA.md)",
    "row_label": "行名称 / official row label",
}

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "agencies": ("机关 / Agencies", {
        "name": "机关名称（首次写法）/ name as first written",
        "norm_name": "规范化名称 / normalised name (NFKC, simplified, no spaces)",
        "region": "省级地区 / province-level region, where known"}),
    "documents": ("来源文件 / Source documents", {
        "url": "网址 / URL", "final_url": "跳转后网址 / URL after redirects", "fetched_at": "抓取时间 / fetched at",
        "sha256": "内容哈希 / content sha256", "archive_path": "存档路径 / archive path",
        "media_type": "文件类型 / media type"}),
    "reports": ("年度报告 / Annual reports", {
        "source_key": "来源键 / document URL or path ('' if unknown)",
        "document_id": "来源文件 / source document", "parser_version": "解析器版本 / parser version",
        "current_version_id": "当前版本 / current version", "first_seen": "首次发现 / first seen",
        "last_seen": "当前内容首次发现 / current content first seen"}),
    "report_versions": ("报告版本 / Report versions (a portal edit gives a new version)", {
        "version": "版本号 / version number", "sha256": "规范 JSON 的哈希 / sha256 of the canonical JSON",
        "agency_written": "机关名称原文 / agency as written", "loaded_at": "入库时间 / loaded at",
        "record_json": "规范记录 / canonical record (JSON)"}),
    "sections": ("报告正文 / Report sections 一…六", {
        "section": "部分编号 / section number 1–6", "heading": "标题 / canonical heading", "body": "正文 / text"}),
    "cells": ("表格单元格（长表）/ Table cells, long form", {
        "table_name": "表 / table (active 主动公开, applications 依申请, review_litigation 复议诉讼)",
        "col_key": "列 / column key", "value": "数值 / numeric value (null = blank)",
        "raw": "原文 / raw text (e.g. amount unit 元/万元)"}),
    "checks": ("勾稽关系检查 / Accounting checks R1–R4", {
        "seq": "序号 / order", "rule": "规则 / rule (FORMAT.md §6)", "location": "位置 / where",
        "ok": "是否相符 / 1 holds, 0 broken, null not evaluable", "detail": "说明 / detail"}),
    "fetch_log": ("抓取记录 / Fetch log", {
        "url": "网址 / URL", "status": "状态 / status", "error": "错误 / error", "logged_at": "时间 / logged at"}),
    "partitions": ("抓取分区 / Crawl partitions", {
        "portal": "门户 / portal", "status": "状态 / status", "attempts": "尝试次数 / attempts",
        "last_error": "最近错误 / last error", "updated_at": "更新时间 / updated at"}),
    "portal_runs": ("门户运行记录 / Each portal in each run", {
        "run_id": "运行 / run", "portal": "门户 / portal", "kind": "类型 / crawl, nightly or backfill",
        "outcome": "结果 / ok, partial or unreachable (no list page answered)",
        "pages": "列表页数 / list pages requested", "list_failed": "失败列表页 / list pages that failed",
        "listed": "列出条目 / items the lists showed", "found": "年报条目 / annual reports found on the lists",
        "parse_failed": "解析失败 / failures to read a report (parse, too slow, too large, …)",
        "failures_json": "失败类型 / failures by kind (JSON)"}),
    "health_flags": ("门户健康警示 / Portal health flags raised by each run", {
        "run_id": "运行 / run", "portal": "门户 / portal",
        "flag": "警示 / unreachable, list_failing, empty, parse_failures_jump, overdue",
        "level": "级别 / error or warning", "detail": "说明 / what was seen, against the portal's history"}),
    "portal_health": ("门户健康状况 / Portal health: how each portal stands", {
        "portal": "门户 / portal", "last_run_at": "最近运行 / last run", "last_outcome": "最近结果 / its outcome",
        "last_listed": "最近列出条目 / items listed in the last run",
        "last_success_at": "最近成功 / last run that reached the portal and listed items",
        "reports_known": "已知报告 / reports known from this portal",
        "latest_year": "最新年度 / latest report year seen",
        "problems": "未解决问题 / open problems (flags of the latest run)", "errors": "错误 / of which errors",
        "flags": "警示 / the open flags", "details": "说明 / one line per open flag"}),
}

_VIEW_TITLES = {"active": "主动公开（宽表）/ Active disclosure, wide",
                "applications": "依申请公开（宽表）/ Applications, wide",
                "review_litigation": "行政复议、行政诉讼（宽表）/ Review and litigation, wide"}


def _col_labels() -> dict[str, dict[str, str]]:
    active = {**schema.MEASURE_LABELS, "amount_unit": "采购总金额单位"}
    return {"active": active, "applications": schema.APPLICANT_LABELS,
            "review_litigation": schema.REVIEW_MEASURE_LABELS}


def build_metadata(db_name: str = "govreports") -> dict:
    """The metadata dict for `datasette serve DB -m metadata.json` (DB's file stem must be `db_name`)."""
    tables: dict = {}
    for name, (title, columns) in TABLES.items():
        tables[name] = {"title": title, "description": title, "columns": {**_COMMON, **columns}}
    tables["reports"]["facets"] = _REPORT_FACETS
    tables["reports"]["sort_desc"] = "year"
    tables["agencies"]["label_column"] = "name"
    tables["agencies"]["facets"] = ["region"]
    tables["sections"]["fts_table"] = "sections_fts"
    tables["sections"]["fts_pk"] = "id"
    tables["cells"]["facets"] = ["table_name", "row_key"]
    tables["checks"]["facets"] = ["rule", "ok"]
    labels = _col_labels()
    for table, cols in wide_columns().items():
        descr = {c: f"{labels[table].get(c, c)} / {c}" for c in cols}
        tables[f"{table}_wide"] = {"title": _VIEW_TITLES[table], "description": _VIEW_TITLES[table],
                                   "columns": {**_COMMON, **descr}, "facets": _VIEW_FACETS}
    queries = {a.name: {"title": f"{a.title_zh} / {a.title}", "description": a.description, "sql": a.sql}
               for a in ANALYSES.values()}
    queries["search_sections"] = {
        "title": "全文检索（任意长度）/ Search report text (any length, LIKE)",
        "description": "Substring search in sections; works for 1–2 character words that the trigram index "
                       "cannot match (use the sections table's search box for ≥3 characters).",
        "sql": LIKE_SQL}
    return {
        "title": "政府信息公开工作年度报告 / Government information disclosure annual reports",
        "description": "Parsed 政府信息公开工作年度报告: tables 二、三、四 as cells, sections as text, checks R1–R4.",
        "databases": {db_name: {"tables": tables, "queries": queries}},
        "plugins": {DASHBOARDS_PLUGIN: dashboards(db_name)},  # /-/dashboards/overview, /-/dashboards/agency
    }
