"""Which row or column a label names, across the variants real reports use (FORMAT.md §9).

Matching is on keys (parse.normalize) with numbering and parenthetical notes removed, by the distinctive words of
each official label rather than the whole label: PDF wraps cut labels ("属于四类过程性信" + "息"), templates add
notes ("规章(县级无此项)"), and typos occur ("三类内容事务信息", "只计这一情况").
"""

from __future__ import annotations

import re
from functools import lru_cache

from govreports.parse.normalize import label_core, strip_numbering

# Table 二 row labels: prefixes of the label core (after numbering and notes are dropped)
_ACTIVE_ITEMS = (
    ("normative_documents", ("规范性文件", "行政规范性文件", "规范性档案", "行政规范性档案")),
    ("rules", ("规章",)),
    ("licensing", ("行政许可",)),
    ("other_services", ("其他对外管理服务",)),
    ("penalty", ("行政处罚",)),
    ("coercion", ("行政强制",)),
    ("fees", ("行政事业性收费",)),
    ("procurement", ("政府集中采购",)),
)

# Table 二 column labels (contained words)
_MEASURES = (
    ("made", ("本年新制作", "新制作")),
    ("published", ("本年新公开", "新公开")),
    ("total", ("对外公开总数",)),
    ("issued", ("本年制发", "制发件数")),
    ("repealed", ("本年废止", "废止件数")),
    ("in_force", ("现行有效",)),
    ("prior_year_items", ("上一年项目", "上年项目")),
    ("change", ("本年增/减", "本年增减", "增/减", "增减", "本年数量")),
    ("amount_10k_yuan", ("收费金额",)),
    ("decisions", ("处理决定",)),
    ("projects", ("采购项目",)),
    ("amount", ("采购总金额", "采购金额")),
)

# Table 三 row labels: (row key, words any of which identifies it); order matters (更具体的在前)
_APPLICATION_ROWS = (
    ("new", ("本年新收",)),
    ("carried_in", ("上年结转",)),
    ("carried_out", ("结转下年度", "结转下一年度")),
    ("partly_granted", ("部分公开",)),
    ("withheld_state_secret", ("国家秘密",)),
    ("withheld_law_prohibited", ("禁止公开", "法律行政法规")),
    ("withheld_security_stability", ("三安全一稳定", "危及")),
    ("withheld_third_party", ("第三方",)),
    ("withheld_internal_affairs", ("内部事务", "内容事务")),
    ("withheld_process_info", ("过程性",)),
    ("withheld_enforcement_file", ("执法案卷",)),
    ("withheld_admin_inquiry", ("行政查询",)),
    ("unavailable_not_held", ("不掌握",)),
    ("unavailable_needs_creation", ("另行制作", "没有现成")),
    ("unavailable_unclear", ("仍不明确", "补正后")),
    ("rejected_petition", ("信访",)),
    ("rejected_repeated", ("重复申请",)),
    ("rejected_publication", ("出版物",)),
    ("rejected_excessive", ("大量反复",)),
    ("rejected_confirmation", ("重新出具", "确认或", "要求行政机关确认")),
    ("other_overdue_correction", ("逾期不补正", "无正当理由逾期")),
    ("other_overdue_fee", ("收费通知", "缴纳费用")),
    ("granted", ("予以公开",)),
)
_SUBTOTAL = ("小计",)


# Labels repeat from report to report (the official ones, a few hundred variants), and these run for every label
# line of every table: each answer is a pure function of the key, so a worker keeps the answers it has found.
_CACHE = 4096


@lru_cache(maxsize=_CACHE)
def active_item(key: str) -> str | None:
    core = label_core(key)
    for item, prefixes in _ACTIVE_ITEMS:
        if core.startswith(prefixes):
            return item
    return None


@lru_cache(maxsize=_CACHE)
def measure(key: str) -> str | None:
    core = strip_numbering(key)
    for name, words in _MEASURES:
        if any(w in core for w in words):
            return name
    return None


# the other-handling row's label, after its numbering: a circled number (③其他) is '3其他' once NFKC has read it, a
# number with no separator for strip_numbering to take
_OTHER = re.compile(r"\d{0,2}(?:其他处理|其他)")


@lru_cache(maxsize=_CACHE)
def application_row(key: str) -> str | None:
    """Row key of a table 三 label; 'other' for （六）其他处理 / 3.其他 (the caller resolves it by format)."""
    core = label_core(key)
    if not core:
        return None
    for row, words in _APPLICATION_ROWS:
        if any(w in core for w in words):
            if row == "granted" and ("不予" in core or "部分" in core):
                continue
            return row
    if core in ("总计", "合计"):
        return "total"
    if _OTHER.fullmatch(core):
        # numbered '3.其他' is the 2021 sub-row; '（六）其他处理' or a bare label is the 2019 row
        return "other_misc" if key.lstrip("(（").startswith("3") else "other"
    return None


def other_form_row(key: str, fmt: str, parts_seen: bool) -> str | None:
    """The key of the other form's （六）其他处理 row a table 三 label names, which the format has no key for: in a
    2021 table the 2019 form's single row ('other'); in a 2019 table the 2021 form's sub-rows 1 and 2, and its
    3.其他 once `parts_seen` (else 3.其他 is the 2019 row, as application_row's caller reads it). Else None."""
    row = application_row(key)
    if fmt == "2021":
        return "other" if row == "other" else None
    if row in ("other_overdue_correction", "other_overdue_fee") or row == "other_misc" and parts_seen:
        return row
    return None


@lru_cache(maxsize=_CACHE)
def is_subtotal(key: str) -> bool:
    """小计, 法人或其他组织小计, 小计（法人或其他组织）: the unofficial subtotal column of table 三."""
    return label_core(key).endswith(_SUBTOTAL)
