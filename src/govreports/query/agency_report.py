"""`govreports report AGENCY`: one agency over all its years, on one screen.

For each year the agency is expected to report for (the `scorecard` view: from its first report through its latest,
and each later year whose deadline has passed): found or missing, and how many reports claim the year (the earliest
published is the one shown, as everywhere); the publication date and where it came from, the deadline and days
late, the format (✓ when it is the one the year calls for), the rules R1–R4 that fail (marked OCR when the report
was read by OCR: a failure may be a misread digit), the share of blank cells, the sections present, and the
applications it received, granted (予以公开), partly granted (部分公开) and refused (不予公开, all eight reasons) —
each the row's 总计 cell, else the sum of its applicant columns. The agency is named as every command names one
(query.agencies.resolve_agency: exact, then normalised, else suggestions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TextIO

from govreports import schema

COLUMNS = ("year", "found", "published", "published_source", "deadline", "days_late", "on_time", "format",
           "format_ok", "rules_failed", "rules_ok", "blank_share", "sections_present", "received", "granted",
           "partly_granted", "refused", "report_id", "ocr_pages", "reports")

def claims_sql(card: str) -> str:
    """SQL: how many current reports claim the agency-year of scorecard row `card` (more than one: `found ×N`,
    analyze doubled); shared with the agency dashboard's scorecard (charts.tables). Named index: without ANALYZE's
    statistics SQLite counted them off the year's reports (reports_recent, covering: 114 k steps for one agency's
    scorecard at 25,000 reports)."""
    return (f"(SELECT count(*) FROM reports o INDEXED BY reports_agency_year WHERE o.agency_id = {card}.agency_id"
            f" AND o.year = {card}.year"
            " AND o.current_version_id IS NOT NULL)")


def ocr_pages_sql(report_id: str) -> str:
    """SQL: the `ocr_pages` of report `report_id`'s current version, null when it was read from text: its broken
    rules may be misread digits (`R1 (OCR)`); shared with the agency dashboard's scorecard (charts.specs)."""
    return (f"(SELECT json_extract(v.extra_json, '$.ocr_pages') FROM reports r JOIN report_versions v"
            f" ON v.id = r.current_version_id WHERE r.id = {report_id})")


_WITHHELD = ", ".join(f"'{k}'" for k in schema.WITHHELD_ROWS)
_YEARS_SQL = f"""SELECT s.year, s.found, s.published, s.published_source, s.deadline, s.days_late, s.on_time,
  s.format, s.format_ok, s.rules_failed, s.rules_ok, s.blank_share, s.sections_present,
  (SELECT n FROM row_totals t WHERE t.version_id = r.current_version_id AND t.table_name = 'applications'
     AND t.row_key = 'new') AS received,
  (SELECT n FROM row_totals t WHERE t.version_id = r.current_version_id AND t.table_name = 'applications'
     AND t.row_key = 'granted') AS granted,
  (SELECT n FROM row_totals t WHERE t.version_id = r.current_version_id AND t.table_name = 'applications'
     AND t.row_key = 'partly_granted') AS partly_granted,
  (SELECT sum(n) FROM row_totals t WHERE t.version_id = r.current_version_id AND t.table_name = 'applications'
     AND t.row_key IN ({_WITHHELD})) AS refused,
  s.report_id,
  {ocr_pages_sql('s.report_id')} AS ocr_pages,
  {claims_sql('s')} AS reports
FROM scorecard s LEFT JOIN reports r ON r.id = s.report_id
WHERE s.agency_id = ? ORDER BY s.year"""

_KIND = {"government": "本级政府 people's government: due 31 March",
         "department": "部门 department: due 31 January (31 March up to the 2018 reports)"}


@dataclass
class AgencyReport:
    name: str
    region: str | None
    kind: str | None
    rows: list[tuple] = field(default_factory=list)  # COLUMNS, one per expected year

    def dicts(self) -> list[dict]:
        return [dict(zip(COLUMNS, row)) for row in self.rows]

    @property
    def summary(self) -> str:
        rows = self.dicts()
        if not rows:
            return "no report with a year in the database"
        found = sum(r["found"] for r in rows)
        late = sum(r["on_time"] == 0 for r in rows)
        undated = sum(r["found"] == 1 and r["on_time"] is None for r in rows)
        failing = sum(bool(r["rules_failed"]) for r in rows)
        misread = sum(bool(r["rules_failed"]) and bool(r["ocr_pages"]) for r in rows)
        doubled = sum(r["reports"] > 1 for r in rows)
        span = f"{rows[0]['year']}–{rows[-1]['year']}" if len(rows) > 1 else str(rows[0]["year"])
        parts = [f"{span}: {found} of {len(rows)} reports found", f"{len(rows) - found} missing", f"{late} late"]
        if undated:
            parts.append(f"{undated} without a date")
        # a report read by OCR that breaks a rule may hold a misread digit: not the agency's arithmetic, maybe ours
        parts.append(f"{failing} breaking rules R1–R4" + (f" ({misread} read by OCR)" if misread else ""))
        if doubled:  # the row shows the earliest's figures; the others may differ (a correction, a re-post)
            parts.append(f"{doubled} claimed by more than one report (the earliest published counts; "
                         "analyze doubled compares them)")
        return ", ".join(parts)


def agency_report(path, text: str) -> AgencyReport:
    """The report for the agency `text` names (AgencyNotFound, with suggestions, when none does; NoReports when it
    has no report)."""
    from govreports.query.agencies import resolve_agency
    from govreports.query.analyses import check_dated, check_reports
    from govreports.query.readonly import connect_readonly

    conn = connect_readonly(path)
    try:
        agency = resolve_agency(conn, text)
        # a name left without reports (its report corrected to another agency's name) says so, as `analyze` does,
        # instead of an empty table, exit 0
        check_reports(conn, agency, None)
        row = conn.execute("SELECT name, region, kind FROM agencies WHERE id = ?", [agency.id]).fetchone()
        rows = [tuple(r) for r in conn.execute(_YEARS_SQL, [agency.id]).fetchall()]
        if not rows:  # its reports name no year (FORMAT.md §9: copies drop the title's digits): no year to show
            check_dated(conn, agency)
    finally:
        conn.close()
    return AgencyReport(row[0], row[1], row[2], rows)


def _share(value) -> str:
    """A share as a whole percent, but 0% and 100% only for exactly 0 and 1: one filled cell of 200 (0.995) is
    '>99%', not '100%', which reads as a report with nothing filled in (the dashboard's scorecard does the same)."""
    if value is None:
        return ""
    percent = math.floor(100 * value + 0.5)  # half up, as SQLite's round() on the dashboard (Python's: half even)
    if percent == 100 and value < 1:
        return ">99%"
    if percent == 0 and value > 0:
        return "<1%"
    return f"{percent}%"


def _table_rows(report: AgencyReport) -> list[list[str]]:
    out = []
    for r in report.dicts():
        if not r["found"]:
            out.append([str(r["year"]), "[bold red]missing[/]", "", r["deadline"], "", "", "", "", "", "", "", "",
                        ""])
            continue
        late = r["days_late"]
        source = f" ({r['published_source']})" if r["published_source"] else ""  # unknown for older loads
        when = f"{r['published']}{source}" if r["published"] else "[yellow]no date[/]"
        late_text = "" if late is None else ("[green]on time[/]" if r["on_time"] else f"[red]{late} days[/]")
        fmt = r["format"] or ""
        if r["format_ok"] == 1:
            fmt += " ✓"
        elif r["format_ok"] == 0:
            fmt = f"[red]{fmt} ✗[/]"
        # 'ok' only when a rule was checked and held (rules_ok 1): blank inputs leave no verdict, as on the dashboard
        rules = f"[red]{r['rules_failed']}[/]" if r["rules_failed"] else ("ok" if r["rules_ok"] == 1 else "")
        if r["rules_failed"] and r["ocr_pages"]:
            rules += " (OCR)"
        found = "found" if r["reports"] <= 1 else f"found ×{r['reports']}"
        out.append([str(r["year"]), found, when, r["deadline"], late_text, fmt, rules, _share(r["blank_share"]),
                    f"{r['sections_present']}/6", *("" if r[k] is None else str(r[k]) for k in
                                                   ("received", "granted", "partly_granted", "refused"))])
    return out


def print_report(report: AgencyReport, fmt: str, out: TextIO) -> None:
    """A table for people (a title line, one row per year); CSV or JSON rows (COLUMNS) for programs."""
    if fmt != "table":
        from govreports.query.output import render

        render(list(COLUMNS), report.rows, fmt, out)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out) if out.isatty() else Console(file=out, width=160)
    # the name and region are a portal's text: escaped, or '[/…]' in a name ended `report` with MarkupError
    console.print(f"[bold]{escape(report.name)}[/]  {escape(report.region or '(region unknown)')}  ·  "
                  f"{_KIND.get(report.kind or '', report.kind or '')}")
    console.print(report.summary)
    table = Table(show_lines=False)
    for header in ("year", "report", "published (source)", "deadline", "late", "format", "R1–R4", "blank",
                   "sections", "received", "granted", "partly", "refused"):
        table.add_column(header, overflow="fold", justify="right" if header in (
            "blank", "received", "granted", "partly", "refused") else "left")
    for row in _table_rows(report):
        table.add_row(*row)
    console.print(table)
    console.print("received 本年新收 · granted 予以公开 · partly 部分公开 · refused 不予公开 (总计, else the sum of the row) · "
                  "blank: share of the form's cells left blank or not read (none for a free-form report) · sources: meta (page metadata), page (a label on the "
                  "page), list (the list entry), closing (the report's own date) · R1–R4 (OCR): the report was read by OCR, "
                  "so a broken rule may be a misread digit · found ×N: N reports claim the year, the earliest published is shown "
                  "(analyze doubled --agency compares them)")
