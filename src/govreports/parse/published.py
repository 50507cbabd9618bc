"""When a report was published (FORMAT.md §9): the page's own metadata, a 发布日期 label near the title or in the
索引号 table, the list entry's date, or the date the report itself carries, in that order of trust. Apart from
parse.meta (title, agency, year), whose text helpers it shares."""

from __future__ import annotations

import re
from datetime import date

from govreports.extract.document import Block
from govreports.parse.meta import _AGENCY_END, _CN_DIGITS, _WIDE_DIGITS, _compact, _is_agency_line, _simple

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_ONLY_DATE = re.compile(r"^[（(]?\s*" + _DATE.pattern + r"\s*[)）]?$")


def _date_text(text: str) -> str:
    """Text to find dates in: full-width digits and date separators folded (２０２０年１月３１日, 2020－01－31: a
    portal's full-width conversion), one character for one (str.translate runs per character in Python: only a text
    that holds one is folded)."""
    return text.translate(_WIDE_DATE) if _WIDE_DIGIT.search(text) else text


_WIDE_DIGIT = re.compile("[０-９－／．]")
_WIDE_DATE = {**_WIDE_DIGITS, **str.maketrans("－／．", "-/.")}
# characters of the traditional forms of date labels (發布日期, 發文日期, 時間, 上傳, 公開, 索引號): only a text holding
# one is converted (OpenCC costs ~10 µs a line, and every line of a page's head is searched)
_TRADITIONAL_LABEL = re.compile("[發時間傳開號佈]")


def _label_text(text: str) -> str:
    """Text to find date labels in: _date_text, with traditional labels simplified (mirrors)."""
    text = _date_text(text)
    return _simple(text) if _TRADITIONAL_LABEL.search(text) else text



def _iso(m: re.Match) -> str | None:
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


# --- publication date ------------------------------------------------------------------------------------------
# Sources in order of trust (issue 11): the page's own metadata (<meta name="PubDate"…>: "meta"), a 发布日期 /
# 发布时间 / 发文日期 label near the title or in the 索引号 metadata table ("page"), the list entry's date the crawler
# saw ("list", hints["published"]), then the date the report itself carries — its dateline under the title or
# under the signature at its end ("closing"). Never a header clock (a date followed by 星期X, or after 今天是),
# a copyright year, a date in the site's header/nav/footer (extract.html marks those blocks as chrome), a crawl
# date, or a date before December of the year the report covers.
PUBLISHED_SOURCES = ("meta", "page", "list", "closing")
_STRONG_LABEL = re.compile(r"(?:发布日期|发布时间|发文日期|发文时间|公开日期|公开时间|公布日期|公布时间|发表日期|发表时间"
                           r"|发稿时间|发稿日期|上传时间|上传日期|信息时间|发布于)\s*[:：]?\s*")
# a bare 日期 / 时间 label, not 更新时间, 成文日期, 截止日期, 统计时间, 当前时间, 访问时间, 打印时间, 生成日期
_WEAK_LABEL = re.compile(r"(?<![更新成文止计前问印生改办])(?:日期|时间)\s*[:：]\s*")
_WRITTEN_LABEL = re.compile(r"成文日期\s*[:：]?\s*")
_WEEKDAY_AFTER = re.compile(r"\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*[（(]?\s*(?:星期|礼拜|周[一二三四五六日天])")
_CLOCK_BEFORE = re.compile(r"(?:今天|今日|当前|现在|目前|[Tt]oday)[是为:：\s]{0,3}$")
_CN_DATE = re.compile(r"([〇零○ＯO一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
_ONLY_CN_DATE = re.compile(r"^[（(]?\s*" + _CN_DATE.pattern + r"\s*[)）]?$")
_META_TABLE = re.compile(r"索\s*引\s*号")
_TITLE_WINDOW = (2, 10)  # lines before and after the title line that count as "next to the title"


def _cn_number(text: str) -> int:
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def _cn_iso(m: re.Match) -> str | None:
    """二〇二四年一月二十日 → 2024-01-20 (formal documents date their signature so)."""
    try:
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        return date(year, _cn_number(m.group(2)), _cn_number(m.group(3))).isoformat()
    except (KeyError, ValueError):
        return None


class _Dates:
    """Judges candidate dates: a real date, not a header clock, not before the covered year's December."""

    def __init__(self, year: int | None):
        self.earliest = date(year, 12, 1).isoformat() if year else None

    def ok(self, iso: str | None, text: str = "", start: int = 0, end: int = 0) -> str | None:
        if iso is None or (self.earliest and iso < self.earliest):
            return None
        if text and (_WEEKDAY_AFTER.match(text, end) or _CLOCK_BEFORE.search(text[max(0, start - 8):start])):
            return None
        return iso

    def after_label(self, text: str, label: re.Pattern) -> str | None:
        text = _label_text(text)
        for found in label.finditer(text):
            m = _DATE.match(text, found.end())
            if m and (iso := self.ok(_iso(m), text, found.start(), m.end())):
                return iso
        return None

    def only(self, text: str) -> str | None:
        """The date a line consists of ('2024年1月20日', '（2026年1月23日）', '二〇二四年一月二十日')."""
        compacted = _date_text(_compact(text))
        if m := _ONLY_DATE.match(compacted):
            return self.ok(_iso(m))
        if m := _ONLY_CN_DATE.match(compacted):
            return self.ok(_cn_iso(m))
        return None


def _is_weekday_line(text: str) -> bool:
    return bool(_WEEKDAY_AFTER.match(text.strip()))


def find_published(blocks: list[Block], meta: dict[str, str], hints: dict, first_heading: int | None,
                   title: str | None = None, year: int | None = None) -> tuple[str | None, str | None]:
    """(ISO date, source) — source one of PUBLISHED_SOURCES, or (None, None) when nothing trustworthy is found."""
    dates = _Dates(year)
    candidate = meta.get("published")
    if candidate and (m := _DATE.search(_date_text(candidate))) and (iso := dates.ok(_iso(m))):
        return iso, "meta"
    chrome = set(filter(None, meta.get("_chrome", "").split("\n")))
    head = [b for b in blocks[: first_heading if first_heading is not None else 15][:30] if b.text not in chrome]
    outside = [line for line in meta.get("_outside", "").split("\n") if line and line not in chrome]
    near, at_title = _near_title(outside, title, meta)
    labelled = [" ".join(b.cells) for b in head] + near
    for label in (_STRONG_LABEL, _WEAK_LABEL, _WRITTEN_LABEL):
        for text in labelled:
            if iso := dates.after_label(text, label):
                return iso, "page"
    if at_title is None:  # the title is not on the page outside the report: a strong label anywhere outside
        for text in outside:
            if iso := dates.after_label(text, _STRONG_LABEL):
                return iso, "page"
    else:  # a date alone under the title, outside the report's text: the page's own date line
        for i in range(at_title + 1, min(at_title + 3, len(outside))):
            nxt = outside[i + 1] if i + 1 < len(outside) else ""
            if (iso := dates.only(outside[i])) and not _is_weekday_line(nxt):
                return iso, "page"
    candidate = hints.get("published")
    if candidate and (m := _DATE.search(_date_text(candidate))) and (iso := dates.ok(_iso(m))):
        return iso, "list"
    if iso := _closing_date(blocks, head, chrome, dates) or _date_after_title_in_run(head, title, dates):
        return iso, "closing"
    return None, None


# in run-together text the date under the title follows it directly, after the signing agency when it stands there
# ('…年度报告2021年1月14日2020年，…', '…年度报告宿迁市人民政府办公室(2025年1月21日)…'); a period's start is no date
_AFTER_TITLE = re.compile(r"(?:[^。，,；;：:|《》（）()\d]{1,30}?(?:" + "|".join(_AGENCY_END) + r"))?[（(]?("
                          + r"(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}(?!\d)\s*(?:日|(?!日))"
                          + r")[)）]?(?!起|至|到|—|-)")


def _date_after_title_in_run(head: list[Block], title: str | None, dates: _Dates) -> str | None:
    if not title:
        return None
    title = _date_text(title)
    for b in head[:3]:
        text = _date_text(_compact(b.text))
        pos = text.find(title)
        while pos >= 0:
            if (m := _AFTER_TITLE.match(text, pos + len(title))) and (iso := dates.ok(_iso(_DATE.match(m.group(1))))):
                return iso
            pos = text.find(title, pos + 1)
    return None


def _near_title(lines: list[str], title: str | None, meta: dict[str, str]) -> tuple[list[str], int | None]:
    """The page lines next to the title line and those of a 索引号 metadata table; and the title line's index."""
    titles = [_compact(t) for t in (title, meta.get("title"), meta.get("doc_title")) if t]
    at = None
    for i, line in enumerate(lines):
        key = _compact(line)
        if len(key) >= 6 and any(key == t or (t in key and len(key) <= len(t) + 20) for t in titles):
            at = i
            break
    picked: set[int] = set()
    if at is not None:
        picked.update(range(max(0, at - _TITLE_WINDOW[0]), min(len(lines), at + _TITLE_WINDOW[1] + 1)))
    for i, line in enumerate(lines):
        if _META_TABLE.search(_label_text(line)):
            picked.update(range(i, min(len(lines), i + 8)))
    return [lines[i] for i in sorted(picked)], at


def _closing_date(blocks: list[Block], head: list[Block], chrome: set[str], dates: _Dates) -> str | None:
    """The report's own date: a line under its title that is only a date, else the date under its signature
    ('XX局\n2024年1月20日', 'XX局 2024年1月20日', '…。XX镇人民政府2018年12月31日')."""
    for i, b in enumerate(head):
        nxt = head[i + 1].text if i + 1 < len(head) else ""
        if (iso := dates.only(b.text)) and not _is_weekday_line(nxt):
            return iso
    tail = [b for b in blocks[-6:] if b.text not in chrome]
    for b in reversed(tail):
        if iso := dates.only(b.text):
            return iso
    if tail:  # the signature and its date on one line, or run into the last sentence
        last = _date_text(_compact(tail[-1].text))[-60:]
        for pattern, to_iso in ((_TRAILING_DATE, _iso), (_TRAILING_CN_DATE, _cn_iso)):
            if m := pattern.search(last):
                signer = re.split(r"[。！；;，,:：]", last[: m.start()])[-1]
                if _is_agency_line(signer):
                    return dates.ok(to_iso(m))
    return None


_TRAILING_DATE = re.compile(r"[（(]?" + _DATE.pattern + r"[)）]?$")
_TRAILING_CN_DATE = re.compile(r"[（(]?" + _CN_DATE.pattern + r"[)）]?$")
