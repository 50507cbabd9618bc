"""What a link text, a breadcrumb or a URL says about where the annual reports are.

Why words and not structure: menus differ per CMS, but the words an agency uses for the column are few and fixed
by the regulation (政府信息公开工作年度报告, shortened to 信息公开年报, 公开年报, 年度报告), and so are the hubs that lead
there (政府信息公开, 政务公开, 信息公开). The look-alikes are just as fixed: 政府网站工作年度报表 (website statistics),
政务公开工作要点 (the year's plan), 统计年度报告 / 统计年报 (statistics). A decoy is never followed; a column whose
words are ambiguous (a bare 年度报告) is judged by what it lists (`portals.titles.is_report_title`).
"""

from __future__ import annotations

import re

from govreports.portals.titles import is_report_title, title_year
from govreports.text import compact, has_han, t2s

COLUMN, BARE, HUB, NONE = 3, 2, 1, 0  # link scores: a report column, an ambiguous column, a hub, not followed

_COLUMN = re.compile(r"(?:政府|政务)?信息公开(?:工作)?(?:年报|年度报告|年度工作报告|工作报告)|公开年报|公开年度报告")
_BARE = re.compile(r"^(?:工作)?(?:年度报告|年报)(?:专栏)?$")
_HUB = re.compile(r"^(?:政府|政务)?(?:信息)?公开(?:专栏|专题|平台|目录|栏目)?$|^政府信息公开|^政务公开$|^信息公开目录$"
                  r"|^(?:法定)?主动公开(?:内容|目录)?$")
_DECOY = re.compile(r"网站|报表|要点|统计|年鉴|财政|预算|决算|规划|计划|总结|审计|通知|公告|解读|指南|规定|制度|申请")
# paths naming a report column or a look-alike (PORTALS.md §9: /zfxxgk/zfxxgknb/, /xxgk/xxgknb/ beside /xxgk/wzndbb/)
_COLUMN_PATH = re.compile(r"(?:xxgk|gk)nb|ndbg|gknb", re.I)
_DECOY_PATH = re.compile(r"wzndbb|wzbb|gzyd|tjnb|tjgb", re.I)
_PAGER_WORDS = {"首页", "上一页", "下一页", "尾页", "末页", "上页", "下页", "前页", "后页", "›", "»", "‹", "«", ">", "<"}
_YEAR_COLUMN = re.compile(r"^(?:19|20)\d{2}(?:年度?)?(?:年报)?$")  # short: 2023年政府信息公开工作年度报告 is a report
_CRUMB_SPLIT = re.compile(r">>|>|»|›|→|/|＞")
# a menu's dressing around a label: a count (12), a list number 1. and bullets, brackets, arrows at either end
_COUNT = re.compile(r"[(（\[【]\d+[)）\]】]$")
_LIST_NUMBER = re.compile(r"^\d{1,2}[.、．]")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def fold(text: str) -> str:
    """Spacing, width and script folded away (`text.compact`, then 繁→简), as titles are compared."""
    text = compact(text or "")
    return t2s(text) if has_han(text) else text


def is_decoy(text: str, url: str = "") -> bool:
    """A look-alike column (website statistics, work plans, statistics reports, notices): never followed."""
    words = fold(text)
    return bool(_DECOY.search(words)) or bool(_DECOY_PATH.search(url.rsplit("?", 1)[0]))


def link_score(text: str, url: str = "") -> int:
    """COLUMN for a report column's words, BARE for a bare 年度报告, HUB for a 信息公开 hub, NONE otherwise.

    A text with a year is an article (2023年政府信息公开工作年度报告), not a column; long texts are news items."""
    words = fold(text)
    if not words:  # an image button without alt text: only its path can say
        return BARE if _COLUMN_PATH.search(url.rsplit("?", 1)[0]) and not is_decoy("", url) else NONE
    if is_decoy(words, url) or title_year(words) is not None or len(words) > 20:
        return NONE
    if words.isdigit() or words in _PAGER_WORDS:  # a pager's link: the column's own next page
        return NONE
    words = undressed(words) or words  # 【政务公开】, ·政务公开, 年报>>
    if _COLUMN.search(words):
        return COLUMN
    if _BARE.search(words):
        return BARE
    if _HUB.search(words):
        return HUB
    if _COLUMN_PATH.search(url.rsplit("?", 1)[0]) and len(words) <= 8:
        return BARE  # an image or a terse label on a …/xxgknb/ path
    return NONE


def undressed(words: str) -> str:
    """A menu label without its dressing: a count (12), a list number 1., bullets, brackets and arrows at its
    ends ('' when it is all dressing, as >> is)."""
    return _EDGES.sub("", _LIST_NUMBER.sub("", _COUNT.sub("", words)))


def is_year_column(text: str) -> bool:
    """A year's sub-column of a report column (2023年, 2023年度): district year trees (…/zfxxgknb/2023n/)."""
    return bool(_YEAR_COLUMN.match(fold(text)))


def crumb_score(crumb: str) -> int:
    """The score of a breadcrumb's last step (您现在的位置：首页 >> 信息公开 >> 信息公开年报)."""
    steps = [s for s in _CRUMB_SPLIT.split(fold(crumb)) if s]
    if not steps:
        return NONE
    last = steps[-1].split("：")[-1].split(":")[-1]
    score = link_score(last)
    return score if score >= BARE else NONE


def is_report(title: str) -> bool:
    """A listed annual report: a report title that names its year (a menu entry 信息公开年报 has none)."""
    return is_report_title(title) and title_year(title) is not None
