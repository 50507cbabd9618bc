"""Which listed items are annual reports, and which year they cover, from the title alone.

Annual-report columns also hold look-alikes (政府网站工作年度报表, 法治政府建设情况报告, notices about compiling the
report, standalone 统计表, news); a real report's title says 信息公开 and 年度报告/年报/工作报告 in one of several
orders (…工作年度报告, …年度政府信息公开工作报告, …政府信息公开工作2022年度报告, …信息公开年度报告).
A 繁體 mirror's titles (…信息公開工作年度報告) are judged in simplified characters, as the parser reads such mirrors;
a portal's own patterns (title_include / title_exclude) match the title as written or simplified.
Taiwan's term 政府資訊公開 (its 政府資訊公開法) is not the PRC regulation's 政府信息公开, and OpenCC's t2s keeps it as
资讯: such a title is not taken for an annual report. Mirrors of mainland reports convert characters (s2t, s2tw,
s2hk all keep 信息); one that also rewrites phrases (s2twp: 信息 → 資訊) can be named by the portal's title_include.
"""

from __future__ import annotations

import re

from govreports.text import compact, has_han, t2s

_REPORT = re.compile(r"(?:政府|政务)?信息公开.{0,12}?(?:年度报告|年报|工作报告|报告)|年度(?:政府|政务)?信息公开(?:工作)?报告")
_NOT_REPORT = re.compile(
    r"网站.{0,8}(?:报表|年报|工作报告)|报表|通知|会议|要点|法治政府|统计表|解读|一图读懂|图解|征求意见|公告|目录|指南"
)
# a list that cuts long titles ("…政府信息公开工作年度报..."): the kept part must already say 信息公开 and 年
_CUT = re.compile(r"信息公开(?:工作)?年(?:度报?)?(?:…+|\.{2,})$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _clean(title: str) -> str:
    return compact(title)


def _forms(title: str) -> tuple[str, str]:
    """The title as written (compact) and in simplified characters: the patterns here are written in simplified
    characters, and a traditional mirror's 信息公開…年度報告 matched none of them."""
    text = _clean(title)
    return text, t2s(text) if has_han(text) else text


def is_report_title(title: str, include: str | None = None, exclude: str | None = None) -> bool:
    forms = _forms(title)
    if exclude and any(re.search(exclude, text) for text in forms):
        return False
    if include:
        return any(re.search(include, text) is not None for text in forms)
    text = forms[1]
    return bool(_REPORT.search(text) or _CUT.search(text)) and not _NOT_REPORT.search(text)


def title_year(title: str) -> int | None:
    m = _YEAR.search(_clean(title))
    return int(m.group(1)) if m else None
