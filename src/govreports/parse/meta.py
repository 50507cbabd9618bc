"""Title, agency and covered year of a report (FORMAT.md §9 "Year, date, metadata"); its publication date is
parse.published's.

Each fact has an ordered list of places it is found in, most reliable first: what the crawler saw on the list page
(hints), the page's own metadata, the report's title line, its 统计期限 sentence.
"""

from __future__ import annotations

import re

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
_BOOK_TITLE = re.compile(r"《[^》]*》")
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


def title_hint(hints: dict) -> str | None:
    """The list's title as a report's title: without its spaces and its note on the edition (（图片版）)."""
    title = hints.get("title")
    return _EDITION.sub("", _compact(title)) if title else None


def _is_generic(title: str) -> bool:
    """'政府信息公开工作年度报告' names no agency and no year: a template's title (a PDF's /Title property, a
    page's <title>), which the report's own title line says better."""
    return not _title_year(title) and _agency_of(title) is None


def find_title(blocks: list[Block], meta: dict[str, str], hints: dict) -> str | None:
    generic = None
    for candidate in (title_hint(hints), meta.get("title"), meta.get("doc_title")):
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
    return generic or title_hint(hints)


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
    return (2 <= len(text) <= 30 and _simple(text).endswith(_AGENCY_END) and not re.search(r"[，。,;；:：、.．\d]", text))


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
    title = title_hint(hints)
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
