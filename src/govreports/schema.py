"""The canonical record's vocabulary (../shared/reference/SCHEMA.md), in one place.

Every other module (parser, renderers, database, demo portal) takes key names and official labels from here,
so a key is spelled once and the formats cannot drift apart.
"""

from __future__ import annotations

import functools

FORMATS = ("2019", "2021", "pre2019", "unknown")
TABLE_FORMATS = ("2019", "2021")

# --- Table 二: active disclosure -------------------------------------------------------------------------------
# item key -> official row label (2019 label first; variants are matched in parse.labels)
ACTIVE_ITEM_LABELS = {
    "rules": "规章",
    "normative_documents": "规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}

# item key -> measures, per format, in the column order of the official table
ACTIVE_MEASURES: dict[str, dict[str, tuple[str, ...]]] = {
    "2019": {
        "rules": ("made", "published", "total"),
        "normative_documents": ("made", "published", "total"),
        "licensing": ("prior_year_items", "change", "decisions"),
        "other_services": ("prior_year_items", "change", "decisions"),
        "penalty": ("prior_year_items", "change", "decisions"),
        "coercion": ("prior_year_items", "change", "decisions"),
        "fees": ("prior_year_items", "change"),
        "procurement": ("projects", "amount", "amount_unit"),
    },
    "2021": {
        "rules": ("issued", "repealed", "in_force"),
        "normative_documents": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "penalty": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("amount_10k_yuan",),
    },
}

# the 第二十条 block each item belongs to (block header "第二十条第（N）项")
ACTIVE_BLOCKS = {
    "一": ("rules", "normative_documents"),
    "五": ("licensing", "other_services"),
    "六": ("penalty", "coercion"),
    "八": ("fees",),
    "九": ("procurement",),
}

MEASURE_LABELS = {
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total": "对外公开总数量",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "prior_year_items": "上一年项目数量",
    "change": "本年增/减",
    "decisions": "处理决定数量",
    "amount_10k_yuan": "本年收费金额（单位：万元）",
    "projects": "采购项目数量",
    "amount": "采购总金额",
}

# --- Table 三: applications -------------------------------------------------------------------------------------
APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
APPLICANT_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_services": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}

WITHHELD_ROWS = (
    "withheld_state_secret", "withheld_law_prohibited", "withheld_security_stability", "withheld_third_party",
    "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_file", "withheld_admin_inquiry",
)
UNAVAILABLE_ROWS = ("unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear")
REJECTED_ROWS = (
    "rejected_petition", "rejected_repeated", "rejected_publication", "rejected_excessive", "rejected_confirmation",
)
OTHER_ROWS = {"2019": ("other",), "2021": ("other_overdue_correction", "other_overdue_fee", "other_misc")}

# the rows that (七)总计 adds up (rule R2), per format
OUTCOME_ROWS = {
    fmt: ("granted", "partly_granted") + WITHHELD_ROWS + UNAVAILABLE_ROWS + REJECTED_ROWS + OTHER_ROWS[fmt]
    for fmt in TABLE_FORMATS
}
APPLICATION_ROWS = {
    fmt: ("new", "carried_in") + OUTCOME_ROWS[fmt] + ("total", "carried_out") for fmt in TABLE_FORMATS
}

APPLICATION_ROW_LABELS = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_in": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partly_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld_state_secret": "1.属于国家秘密",
    "withheld_law_prohibited": "2.其他法律行政法规禁止公开",
    "withheld_security_stability": "3.危及“三安全一稳定”",
    "withheld_third_party": "4.保护第三方合法权益",
    "withheld_internal_affairs": "5.属于三类内部事务信息",
    "withheld_process_info": "6.属于四类过程性信息",
    "withheld_enforcement_file": "7.属于行政执法案卷",
    "withheld_admin_inquiry": "8.属于行政查询事项",
    "unavailable_not_held": "1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "2.没有现成信息需要另行制作",
    "unavailable_unclear": "3.补正后申请内容仍不明确",
    "rejected_petition": "1.信访举报投诉类申请",
    "rejected_repeated": "2.重复申请",
    "rejected_publication": "3.要求提供公开出版物",
    "rejected_excessive": "4.无正当理由大量反复申请",
    "rejected_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other": "（六）其他处理",
    "other_overdue_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_misc": "3.其他",
    "total": "（七）总计",
    "carried_out": "四、结转下年度继续办理",
}

# group labels of table 三 (the rowspan cells), row key -> group label
APPLICATION_GROUPS = {
    "withheld": "（三）不予公开",
    "unavailable": "（四）无法提供",
    "rejected": "（五）不予处理",
    "other": "（六）其他处理",
}
APPLICATION_TABLE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# --- Table 四: review and litigation ----------------------------------------------------------------------------
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_GROUP_LABELS = {
    "review": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_review": "复议后起诉",
}
REVIEW_MEASURES = ("upheld", "corrected", "other", "pending", "total")
REVIEW_MEASURE_LABELS = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

# --- Sections -----------------------------------------------------------------------------------------------------
SECTION_HEADINGS = {
    "1": "一、总体情况",
    "2": "二、主动公开政府信息情况",
    "3": "三、收到和处理政府信息公开申请情况",
    "4": "四、政府信息公开行政复议、行政诉讼情况",
    "5": "五、存在的主要问题及改进情况",
    "6": "六、其他需要报告的事项",
}

RECORD_KEYS = ("title", "agency", "year", "format", "published", "sections", "active", "applications",
               "review_litigation", "checks")


def empty_tables(fmt: str) -> dict:
    """All three tables of a format with every cell null: the shape a parsed report fills in."""
    active = {item: {m: None for m in measures} for item, measures in ACTIVE_MEASURES[fmt].items()}
    applications = {row: {c: None for c in APPLICANT_COLUMNS} for row in APPLICATION_ROWS[fmt]}
    review = {g: {m: None for m in REVIEW_MEASURES} for g in REVIEW_GROUPS}
    return {"active": active, "applications": applications, "review_litigation": review}


def iter_cells(record: dict):
    """Yield (table, row, column, value) for every cell of the three tables present in a record."""
    for table in ("active", "applications", "review_litigation"):
        for row, cols in (record.get(table) or {}).items():
            for col, value in cols.items():
                yield table, row, col, value


@functools.cache
def form_rows(fmt: str | None) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The value cells of the format's form, row by row: (table, row, its columns), amount units left out (a unit
    written beside a number, not a cell of the form). 198 cells in the 2019 form, 200 in the 2021 form; none for
    `pre2019` and `unknown`, which have no fixed tables (FORMAT.md §7)."""
    if fmt not in TABLE_FORMATS:
        return ()
    return tuple((table, row, tuple(c for c in cols if c != "amount_unit"))
                 for table, rows in empty_tables(fmt).items() for row, cols in rows.items())


def form_blanks(record: dict) -> tuple[int, int]:
    """(the cells the record's form has, of those the ones it leaves blank): the blank share of a report, which
    the scorecard, `govreports report` and the dashboard show (report_versions.table_cells / blank_cells, written
    at load), and the share OCR read (parse.api.cells_read_share), counted once here.

    Counted over the form, not over the cells the record has: a half-read scan holds only the tables it found
    (10 cells of table 二, tables 三 and 四 absent), and the cells of its form it lacks are as blank as a null
    one; counted over its own cells it showed 0% blank. A cell holding anything (a number, a text kept as
    written) is filled; None or absent is blank.

    A free-form report (`pre2019`, and `unknown`) has no form and so no blank share: (0, 0), shown as no value,
    never 0% or 100%. Its statistics (an old 附表, if any) are not the 2019/2021 tables (FORMAT.md §7), and a
    table loaded with such a record is not counted."""
    total = blank = 0
    for table, rows, cells in _form_tables(record.get("format")):
        total += cells
        got = record.get(table)
        if not got:
            blank += cells
            continue
        for row, cols in rows:
            values = got.get(row)
            if values is None:
                blank += len(cols)
                continue
            for col in cols:  # a plain loop: 11 µs a report in the loader's prepare (lists counted: 28 µs)
                if values.get(col) is None:
                    blank += 1
    return total, blank


@functools.cache
def _form_tables(fmt: str | None) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], int], ...]:
    """form_rows grouped by table: (table, its rows with their columns, its number of cells)."""
    out: dict[str, list] = {}
    for table, row, cols in form_rows(fmt):
        out.setdefault(table, []).append((row, cols))
    return tuple((table, tuple(rows), sum(len(cols) for _, cols in rows)) for table, rows in out.items())
