"""Which official format a report follows, from its labels (FORMAT.md §8) — never from the year alone.

The 2019 and 2021 tables differ in table 二 and in （六）其他处理; when a report's copy lacks those tables (an
excerpt, a page of a flipbook), the six-section structure still shows it is one of the two post-2019 formats,
and only then does the covered year choose between them (the 2021 format applies from the 2021 reports on).
"""

from __future__ import annotations

_SIGNALS_2021 = ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额", "逾期不补正", "收费通知要求缴纳费用")
_SIGNALS_2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "第二十条第(九)项", "政府集中采购")
# wording that exists only in the post-2019 structure (the 2019 and 2021 formats share it)
_STRUCTURE = (
    "勾稽关系", "收到和处理政府信息公开申请情况", "主动公开政府信息情况", "政府信息公开行政复议、行政诉讼情况",
    "被申请行政复议", "第二十条第(一)项", "本年新收政府信息公开申请数量",
)


def detect_format(full_key: str, headings: dict[str, str], year: int | None) -> str:
    """full_key: the whole document as one match key; headings: section number → heading key."""
    score_2021 = sum(s in full_key for s in _SIGNALS_2021)
    score_2019 = sum(s in full_key for s in _SIGNALS_2019)
    if score_2021 or score_2019:
        return "2021" if score_2021 >= score_2019 else "2019"
    structured = any(s in full_key for s in _STRUCTURE) or "总体情况" in headings.get("1", "")
    if structured and year is not None and year >= 2019:
        return "2021" if year >= 2021 else "2019"
    return "pre2019"
