"""Title, agency, covered year and publication date of a report (FORMAT.md §9 "Year, date, metadata").

Each fact has an ordered list of places it is found in, most reliable first: what the crawler saw on the list page
(hints), the page's own metadata, the report's title line, its 统计期限 sentence, the date under the title, and
the date under the signature.
"""

from __future__ import annotations

import re
from datetime import date

from govreports.extract.document import Block

_YEAR = r"((?:19|20)\d{2})"
_TITLE = re.compile(r"(?:政府|政务)?信息公开.{0,12}?(?:报告|总结)$")
_TITLE_YEAR = re.compile(_YEAR + r"年度?")
_TITLE_PREFIX = re.compile(r"^(?:#+|Page\d+[-–—:：]?|第\d+页[-–—:：]?|P\.\d+|(?:名称|标题|题名)[:：]?)+", re.I)
_SENTENCE_START = ("根据", "按照", "现将", "依据", "本报告", "本年度", "为", "关于")
_SUFFIX = re.compile(r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:年度)?(?:报告|总结)?$")
_GOVERNMENT_OF = ("市", "省", "县", "区", "镇", "乡", "人民", "自治州", "自治区", "旗")
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计周期|数据统计).{0,12}?" + _YEAR + r"年")
_PERIOD_SPAN = re.compile(_YEAR + r"年1月1日(?:起)?(?:至|到|—|-)")
_YEAR_PHRASE = re.compile(_YEAR + r"年度?(?:的)?(?:政府信息公开|政务公开|信息公开)")
_LEAD_YEAR = re.compile(r"^" + _YEAR + r"年(?:度)?[,，:：]")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_DATE_LABEL = re.compile(r"(?:发布日期|发文日期|发布时间|成文日期|公开日期|生成日期|日期|时间)\s*[:：]?\s*")
_BOOK_TITLE = re.compile(r"《[^》]*》")
_ONLY_DATE = re.compile(r"^[（(]?\s*" + _DATE.pattern + r"\s*[)）]?$")
_AGENCY_END = ("局", "委", "办", "厅", "室", "府", "院", "会", "署", "部", "镇", "乡", "街道办事处", "中心", "所", "处")
_COMPILED_BY = re.compile(r"由(.{2,30}?)(?:负责)?编制")
# Text whose line breaks were lost keeps its title only inside the run: at its very start
# ('河北省工业和信息化厅 2020年政府信息公开工作年度报告 2020年，…') or in its first sentence, where the report is
# published ('现发布《XX市人民政府2017年度政府信息公开工作年度报告》'); a 《…》 elsewhere names another document.
_BLOB = 200
_HEAD_TITLE = re.compile(r"^[^。，,；;：:|《》]{2,50}?信息公开[^。，,；;：:|《》]{0,12}?(?:报告|总结)")
_ANNOUNCED_TITLE = re.compile(
    r"(?:发布|公布|公开|编制|编写|形成|印发|现将)(?:了|本|如下)?《([^《》]{6,60})》|《([^《》]{6,60})》(?:予以)?(?:发布|公布)")
_FIRST_SENTENCE = re.compile(r"^[^。！？]{0,300}")
# a signature run into the last sentence: '…申诉案。遂溪县建新镇人民政府2018年12月31日'
_SIGNATURE = re.compile(r"[。！；;]([^。！；;，,:：]{2,30}?)[（(]?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日[)）]?$")


def _compact(text: str) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", "", text)


def find_title(blocks: list[Block], meta: dict[str, str], hints: dict) -> str | None:
    for candidate in (hints.get("title"), meta.get("title"), meta.get("doc_title")):
        if candidate and _TITLE.search(_compact(candidate)):
            return _compact(candidate)
    for i, b in enumerate(blocks[:25]):
        if b.is_row and len([c for c in b.cells if c]) > 1:
            continue
        text = _TITLE_PREFIX.sub("", _compact(b.text))
        if len(text) > 60 or not _TITLE.search(text) or text.startswith(_SENTENCE_START):
            continue
        before = _compact(blocks[i - 1].text) if i else ""
        if _agency_of(text) is None and _is_agency_line(before):
            text = before + text  # agency and "YYYY年…报告" on two lines (PDF title pages)
        return text
    if title := _title_in_run(blocks):
        return title
    title = meta.get("html_title")
    if title:
        for part in re.split(r"[_|｜]| - |-{2,}", title):
            part = _compact(part)
            if _TITLE.search(part):
                return part
    return _compact(hints["title"]) if hints.get("title") else None


def _title_in_run(blocks: list[Block]) -> str | None:
    """The title of a report whose text runs together: the start of its first long paragraph, or the 《…》 its
    first sentence announces, when either has a year and reads as a report title. Later sentences may name last
    year's report ('公开发布《…2021年…年度报告》' in a 2022 report), so they are not read."""
    for b in blocks[:3]:
        if b.is_row:
            continue
        text = b.cells[0].lstrip()
        if len(text) >= _BLOB and not text.startswith(_SENTENCE_START) and (m := _HEAD_TITLE.match(text)):
            title = _compact(m.group())
            if _TITLE_YEAR.search(title):
                return title
        for m in _ANNOUNCED_TITLE.finditer(_FIRST_SENTENCE.match(_compact(text)).group()):
            title = _compact(m.group(1) or m.group(2))
            if _TITLE.search(title) and _TITLE_YEAR.search(title):
                return title
    return None


def _is_agency_line(text: str) -> bool:
    return (2 <= len(text) <= 30 and text.endswith(_AGENCY_END) and not re.search(r"[，。,;；:：、\d]", text))


def _agency_of(title: str) -> str | None:
    """'牡丹江市科学技术局2020年…报告' and '2019年上海市人民政府办公厅…报告' both name the agency; so does the
    title's text before the year ('…外事办公室政府信息公开工作2022年度报告')."""
    title = title.strip("《》“”\"")
    m = _TITLE_YEAR.search(title)
    if m and m.start() >= 2:
        return _plausible_agency(_SUFFIX.sub("", title[: m.start()]))
    rest = title[m.end():] if m else title
    suffix = _SUFFIX.search(rest)
    agency = rest[: suffix.start()] if suffix else rest
    if suffix and suffix.group().startswith("政府") and agency.endswith(_GOVERNMENT_OF):
        agency += "政府"  # '上海市政府信息公开…': 政府 belongs to the agency
    return _plausible_agency(agency)


def _plausible_agency(name: str) -> str | None:
    """Titles of look-alikes ('政府信息公开情况统计表（2018年度）') leave no agency behind, only debris."""
    if len(name) < 2 or re.search(r"信息公开|统计表|[（(《“]$|^[）)》”]", name):
        return None
    return name


def find_agency(title: str | None, blocks: list[Block], meta: dict[str, str]) -> str | None:
    if title and (agency := _agency_of(title)):
        return agency
    for b in blocks[:40]:
        if m := _COMPILED_BY.search(_compact(b.text)):
            return m.group(1)
    for b in reversed(blocks[-8:]):
        text = _compact(b.text)
        if _is_agency_line(text):
            return text
    if blocks and (m := _SIGNATURE.search(_compact(blocks[-1].text)[-80:])) and _is_agency_line(m.group(1)):
        return m.group(1)
    return meta.get("agency")


def find_year(title: str | None, blocks: list[Block], hints: dict) -> int | None:
    for candidate in (title, hints.get("title")):
        if candidate and (m := _TITLE_YEAR.search(_compact(candidate))):
            return int(m.group(1))
    # keys, not text: mirrors write 2020年度 in traditional characters too; 《…》 quotes name other reports
    head = [_BOOK_TITLE.sub("", "".join(b.keys)) for b in blocks[:60]]
    for pattern in (_PERIOD, _PERIOD_SPAN, _YEAR_PHRASE, _LEAD_YEAR):
        for text in head:
            if m := pattern.search(text):
                return int(m.group(1))
    return None


def _iso(m: re.Match) -> str | None:
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _date_after_label(text: str) -> str | None:
    for label in _DATE_LABEL.finditer(text):
        m = _DATE.match(text, label.end())
        if m and (iso := _iso(m)):
            return iso
    return None


def find_published(blocks: list[Block], meta: dict[str, str], hints: dict, first_heading: int | None) -> str | None:
    for candidate in (meta.get("published"), hints.get("published")):
        if candidate and (m := _DATE.search(candidate)) and (iso := _iso(m)):
            return iso
    head = blocks[: first_heading if first_heading is not None else 15][:30]
    for b in head:
        if iso := _date_after_label(" ".join(b.cells)):
            return iso
    outside = meta.get("_outside", "")
    if outside and (iso := _date_after_label(outside)):
        return iso
    for b in head:
        if (m := _ONLY_DATE.match(_compact(b.text))) and (iso := _iso(m)):
            return iso
    for b in reversed(blocks[-6:]):
        if (m := _ONLY_DATE.match(_compact(b.text))) and (iso := _iso(m)):
            return iso
    return None
