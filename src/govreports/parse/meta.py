"""Title, agency, covered year and publication date of a report (FORMAT.md §9 "Year, date, metadata").

Each fact has an ordered list of places it is found in, most reliable first: what the crawler saw on the list page
(hints), the page's own metadata, the report's title line, its 统计期限 sentence, the date under the title, and
the date under the signature.
"""

from __future__ import annotations

import re
from datetime import date

from govreports.extract.document import Block
from govreports.text import has_han, t2s

_YEAR = r"((?:19|20)\d{2})"
# '…年度报告' or '…年度报告（2019年度）', the covered year in brackets after it
_TITLE = re.compile(r"(?:政府|政务)?信息公开.{0,12}?(?:报告|总结)(?:[（(](?:19|20)\d{2}年度?[)）])?$")
_TITLE_YEAR = re.compile(_YEAR + r"年度?")
# a title's year in full-width digits (２０１９年) or Chinese numerals (二〇一九年): not found, the year was missed and
# the agency read as what stands before the next year-like text ('…办公厅２０１９年'). Folded to ASCII digits one
# character for one (NFKC's other folds would change the length), so a match's positions are the title's own.
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0}
_CN_YEAR_DIGITS = str.maketrans({c: str(d) for c, d in _CN_DIGITS.items()})
_CN_YEAR = re.compile(r"[一二][〇零○ＯO0一二三四五六七八九]{3}(?=年)")
# '…办公厅关于2019年度…报告': the words before the year that introduce it are not the agency's
_ABOUT = re.compile(r"关于(?:印发|发布|公布)?$")
# the first year of a span the title's year closes ('…办公厅2018-2019年…'): not the agency's
_SPAN_START = re.compile(r"[0-9０-９]{4}\s*[-－–—~～至到]+\s*$")
_TITLE_PREFIX = re.compile(r"^(?:#+|Page\d+[-–—:：]?|第\d+页[-–—:：]?|P\.\d+|(?:名称|标题|题名)[:：]?)+", re.I)
_SENTENCE_START = ("根据", "按照", "现将", "依据", "本报告", "本年度", "为", "关于")
_SUFFIX = re.compile(r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:年度)?(?:报告|总结)?$")
_GOVERNMENT_OF = ("市", "省", "县", "区", "镇", "乡", "人民", "自治州", "自治区", "旗")
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计周期|数据统计).{0,12}?" + _YEAR + r"年")
_PERIOD_SPAN = re.compile(_YEAR + r"年[1一]月[1一]日(?:起)?(?:至|到|—|-)")
_YEAR_PHRASE = re.compile(_YEAR + r"年度?(?:的)?(?:政府信息公开|政务公开|信息公开)")
_LEAD_YEAR = re.compile(r"^" + _YEAR + r"年(?:度)?[,，:：]")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_BOOK_TITLE = re.compile(r"《[^》]*》")
_ONLY_DATE = re.compile(r"^[（(]?\s*" + _DATE.pattern + r"\s*[)）]?$")
_AGENCY_END = ("局", "委", "办", "厅", "室", "府", "院", "会", "署", "部", "镇", "乡", "街道办事处", "中心", "所", "处")
_COMPILED_BY = re.compile(r"由(.{2,30}?)(?:负责)?编制")
# Text whose line breaks were lost keeps its title only inside the run: at its start, after any page chrome
# ('河北省工业和信息化厅 2020年政府信息公开工作年度报告 2020年，…', see _head_title) or in its first sentence, where
# the report is published ('现发布《XX市人民政府2017年度政府信息公开工作年度报告》'); a 《…》 elsewhere names another
# document.
_BLOB = 200
_ANNOUNCED_TITLE = re.compile(
    r"(?:发布|公布|公开|编制|编写|形成|印发|现将)(?:了|本|如下)?《([^《》]{6,60})》|《([^《》]{6,60})》(?:予以)?(?:发布|公布)")
_FIRST_SENTENCE = re.compile(r"^[^。！？]{0,300}")
# a signature run into the last sentence: '…申诉案。遂溪县建新镇人民政府2018年12月31日'
_SIGNATURE = re.compile(r"[。！；;]([^。！；;，,:：]{2,30}?)[（(]?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日[)）]?$")


def _compact(text: str) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", "", text)


# a list's note on which edition a link is (宿州市…年度报告（图片版）, 黄浦区…（超链版）.pdf): not part of the title
_EDITION = re.compile(r"[（(](?:图片版|超链版|超链接版|文字版|扫描版|pdf版|PDF版|word版|Word版)[)）]$")


def _date_text(text: str) -> str:
    """Text to find dates in: full-width digits folded (２０２０年１月３１日), one character for one (str.translate
    runs per character in Python: only a text that holds one is folded)."""
    return text.translate(_WIDE_DIGITS) if _WIDE_DIGIT.search(text) else text


_WIDE_DIGIT = re.compile("[０-９]")
# characters of the traditional forms of date labels (發布日期, 發文日期, 時間, 上傳, 公開, 索引號): only a text holding
# one is converted (OpenCC costs ~10 µs a line, and every line of a page's head is searched)
_TRADITIONAL_LABEL = re.compile("[發時間傳開號佈]")


def _label_text(text: str) -> str:
    """Text to find date labels in: _date_text, with traditional labels simplified (mirrors)."""
    text = _date_text(text)
    return _simple(text) if _TRADITIONAL_LABEL.search(text) else text


def _simple(text: str) -> str:
    """Text to match title and agency patterns on: mirrors write 政府信息公開工作年度報告, 辦公廳 (OpenCC t2s keeps
    the length of such text, so a match's positions are the text's own)."""
    return t2s(text) if has_han(text) else text


def _as_written(text: str, simple: str, start: int, end: int) -> str:
    """The span start:end of `simple` (_simple of `text`) as `text` writes it."""
    return text[start:end] if len(simple) == len(text) else simple[start:end]


def _without_prefix(text: str) -> tuple[str, str]:
    """The text, and its _simple form, without a leading label (名称, 名稱, 标题: …) or page mark."""
    simple = _simple(text)
    m = _TITLE_PREFIX.match(simple)
    if not m or not m.end():
        return text, simple
    return _as_written(text, simple, m.end(), len(simple)), simple[m.end():]


def _title_hint(hints: dict) -> str | None:
    title = hints.get("title")
    return _EDITION.sub("", _compact(title)) if title else None


def _is_generic(title: str) -> bool:
    """'政府信息公开工作年度报告' names no agency and no year: a template's title (a PDF's /Title property, a
    page's <title>), which the report's own title line says better."""
    return not _title_year(title) and _agency_of(title) is None


def find_title(blocks: list[Block], meta: dict[str, str], hints: dict) -> str | None:
    generic = None
    for candidate in (_title_hint(hints), meta.get("title"), meta.get("doc_title")):
        if candidate and _TITLE.search(_simple(_compact(candidate))):
            if not _is_generic(_compact(candidate)):
                return _compact(candidate)
            generic = generic or _compact(candidate)
    for i, b in enumerate(blocks[:25]):
        if b.is_row and len([c for c in b.cells if c]) > 1:
            continue
        compact = _compact(b.text)
        if len(compact) > 80:  # no title, whatever label stands before it (and t2s of a paragraph costs)
            continue
        text, simple = _without_prefix(compact)
        if len(text) > 60 or not _TITLE.search(simple) or simple.startswith(_SENTENCE_START):
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
            if _TITLE.search(_simple(part)):
                return part
    return generic or _title_hint(hints)


def _title_in_run(blocks: list[Block]) -> str | None:
    """The title of a report whose text runs together: at the start of its first paragraph, after any page chrome
    the scrape joined to it ('名称宿迁市…年度报告索引号…', '…您当前的位置:首页>…>政府信息公开年报重庆市…报告日期:…'),
    or the 《…》 its first sentence announces. Later sentences may name last year's report ('公开发布《…2021年…年度
    报告》' in a 2022 report), so they are not read."""
    for i, b in enumerate(blocks[:3]):
        if b.is_row:
            continue
        full = _compact(b.cells[0])
        # the patterns read simplified text (a mirror's run); only the head, where the title stands, is converted
        head = full[: _RUN_HEAD * 3]
        text, simple = _without_prefix(head)
        unlabelled = len(full) - (len(head) - len(text))  # the paragraph's length without its leading label
        if (i == 0 or unlabelled >= _BLOB) and (title := _head_title(simple)):
            return _written_as(text, simple, title)
        for m in _ANNOUNCED_TITLE.finditer(_FIRST_SENTENCE.match(simple).group()):
            title = _compact(m.group(1) or m.group(2))
            if _TITLE.search(title) and _title_year(title):
                return _written_as(text, simple, title)
    return None


def _written_as(text: str, simple: str, found: str) -> str:
    """`found` (a part of `simple`, the _simple form of `text`) as `text` writes it."""
    at = simple.find(found)
    return found if at < 0 else _as_written(text, simple, at, at + len(found))


# where a report title ends in run-together text, and what may stand before it: page chrome up to a separator
_RUN_TITLE_END = re.compile(r"(?:政府|政务)?信息公开(?:工作)?(?:(?:19|20)\d{2})?(?:年度)?(?:工作)?(?:年度)?报告")
_RUN_TITLE_START = re.compile(r"(?:^|[>:：|])([^。，,；;：:|《》<>“”（）()\[\]【】\s]{0,40})$")
_RUN_CHROME = re.compile(r"^(?:登录|注册|名称|标题|题名|首页|正文|政府信息公开年报|信息公开年报|政务公开|政府信息公开|信息公开)+")
_RUN_HEAD = 300  # the title of a scraped page stands in its first lines: chrome, breadcrumbs, a metadata table


def _head_title(text: str) -> str | None:
    """The first report title in the head of a run: the text before a title ending ('…信息公开工作年度报告') back to
    the start of the run or a chrome separator ('>' of a breadcrumb, ':' of a label), less chrome words the scrape
    ran into it. It must name a year, or open the run."""
    if text.startswith(_SENTENCE_START):
        return None
    for m in _RUN_TITLE_END.finditer(text[:_RUN_HEAD]):
        if not (lead := _RUN_TITLE_START.search(text[: m.start()])):
            continue  # inside a sentence or a 《…》: another document's name
        start = lead.start(1)
        title = text[start: m.end()]
        rest = _RUN_CHROME.sub("", title)
        if rest != title and (end := _RUN_TITLE_END.search(rest)) and end.start() > 0:
            title = rest  # '政府信息公开福州市…报告' loses its column name; '政府信息公开工作年度报告' stays
        if title.startswith(_SENTENCE_START) or not _TITLE.search(title):
            continue
        if _title_year(title) or start == 0:
            return title
    return None


def _is_agency_line(text: str) -> bool:
    return (2 <= len(text) <= 30 and _simple(text).endswith(_AGENCY_END) and not re.search(r"[，。,;；:：、\d]", text))


def _title_year(title: str) -> re.Match | None:
    """The year of a title (_TITLE_YEAR) in any of the digits titles write it in; group 1 is ASCII digits."""
    return _TITLE_YEAR.search(fold_years(title))


def fold_years(text: str) -> str:
    """`text` with its years in full-width digits or Chinese numerals (２０１９年, 二〇一九年) in ASCII digits, one
    character for one (a match's positions are the text's own)."""
    folded = text.translate(_WIDE_DIGITS)
    if "年" in folded and _CN_YEAR.search(folded):
        folded = _CN_YEAR.sub(lambda m: m[0].translate(_CN_YEAR_DIGITS), folded)
    return folded


def _agency_of(title: str) -> str | None:
    """'牡丹江市科学技术局2020年…报告' and '2019年上海市人民政府办公厅…报告' both name the agency; so does the
    title's text before the year ('…外事办公室政府信息公开工作2022年度报告') or before a span of years
    ('…办公厅2018-2019年…', whose year stays the span's last). A traditional-character title's agency is found in
    its simplified form and given as the title writes it (the store keys agencies by t2s)."""
    simple = _simple(title)
    agency = _agency_in(simple)
    return agency if agency is None or simple == title else _written_as(title, simple, agency)


_BRACKETED_YEAR = re.compile(r"[（(](?:19|20)\d{2}年度?[)）]$")


def _agency_in(title: str) -> str | None:
    title = _BRACKETED_YEAR.sub("", title.strip("《》“”\""))  # '…年度报告（2019年度）': the agency stands before
    m = _title_year(title)
    if m and m.start() >= 2:
        return _plausible_agency(_ABOUT.sub("", _SUFFIX.sub("", _SPAN_START.sub("", title[: m.start()]))))
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


# the publishing body a page's metadata names (名称/索引号/发布机构/发文日期 tables, a line under the title)
_PUBLISHER_LABEL = re.compile(r"(?:发布机构|发文机关|发布单位|发文单位)[:：]?")
_PUBLISHER_RUN = re.compile(_PUBLISHER_LABEL.pattern + r"(.{2,30}?)(?=发布日期|发文日期|成文日期|索引号|文号|日期|时间|"
                            r"分类|主题|名称|$)")


def _publisher(blocks: list[Block]) -> str | None:
    """The agency a 发布机构 label names, in the page's head: the cell after the label, or the text after it. Only a
    full name: '市政府办' (sample 25, the 泰州市人民政府's report) names no one outside its own site; and not a
    government's general office (_names_the_reporter)."""
    for b in blocks[:40]:
        if b.is_row:
            cells = [_compact(c) for c in b.cells]
            for i, cell in enumerate(cells[:-1]):
                if (len(cell) <= 5 and ("发" in cell or "發" in cell) and _PUBLISHER_LABEL.fullmatch(_simple(cell))
                        and _names_the_reporter(agency := cells[i + 1])):
                    return agency
            continue
        text = _compact(b.text)
        if len(text) > 200 or not ("发" in text or "發" in text):
            continue
        if m := _PUBLISHER_RUN.search(simple := _simple(text)):
            if _names_the_reporter(agency := _as_written(text, simple, m.start(1), m.end(1))):
                return agency
    return None


def _is_full_name(name: str) -> bool:
    return _is_agency_line(name) and len(name) >= 4 and not name.startswith(("市", "县", "区", "省", "州", "镇", "乡", "本"))


# a government's general office (人民政府办公室, 政府办公厅, 政府办): it posts the government's own report as well as
# its own (sample 23: 宿迁市人民政府's report, 发布机构 宿迁市人民政府办公室; sample 27: that office's own report)
_GENERAL_OFFICE = re.compile(r"政府(?:办公[室厅]|办)$")


def _names_the_reporter(name: str) -> bool:
    """Whether a 发布机构 is the report's agency: a full name, and not a government's general office, whose 发布机构
    alone cannot say whether the report is the office's or its government's (taken for the office, a government's
    report was filed under it, the office's year claimed twice and the government's missing)."""
    return _is_full_name(name) and not _GENERAL_OFFICE.search(_simple(name))


def find_agency(title: str | None, blocks: list[Block], meta: dict[str, str]) -> str | None:
    if title and (agency := _agency_of(title)):
        return agency
    if agency := _publisher(blocks):
        return agency
    for b in blocks[:40]:
        text = _compact(b.text)
        if "由" in text and (m := _COMPILED_BY.search(simple := _simple(text))):  # 由…编制, in a mirror 由…編製
            return _as_written(text, simple, m.start(1), m.end(1))
    for b in reversed(blocks[-8:]):
        text = _compact(b.text)
        if _is_agency_line(text):
            return text
    if blocks and (m := _SIGNATURE.search(_compact(blocks[-1].text)[-80:])) and _is_agency_line(m.group(1)):
        return m.group(1)
    return meta.get("agency")


def title_facts(hints: dict) -> tuple[str | None, int | None]:
    """The agency and year the list's title names ('牡丹江市科学技术局2020年…报告'): all a document none of whose
    text could be read (a scan OCR had no time for, a reader missing) says of itself."""
    title = _title_hint(hints)
    return (find_agency(title, [], {}) if title else None), find_year(title, [], hints)


def find_year(title: str | None, blocks: list[Block], hints: dict) -> int | None:
    for candidate in (title, hints.get("title")):
        if candidate and (m := _title_year(_compact(candidate))):
            return int(m.group(1))
    # keys, not text: mirrors write 2020年度 in traditional characters too; 《…》 quotes name other reports; a
    # period written as formal documents date themselves (统计期限为二〇一九年一月一日至…) is read as the title's year is
    head = [fold_years(_BOOK_TITLE.sub("", "".join(b.keys))) for b in blocks[:60]]
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
