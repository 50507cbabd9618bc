"""Split a report into its numbered sections (一 … 六), without splitting inside tables.

Table 三's row labels (一、本年新收… 四、结转下年度…) look like headings, so a heading must be a paragraph, come
next in order, and carry its section's words; pre-2019 reports have their own headings and are numbered as written.
"""

from __future__ import annotations

import itertools
import re

from govreports.extract.document import Block

NUMERALS = "一二三四五六七八九十"
_HEADING = re.compile(r"^#*([一二三四五六七八九十])[、.．]")
_WORDS = {
    1: ("总体情况", "基本情况", "概述", "工作情况", "总体", "概况"),
    2: ("主动公开",),
    3: ("申请",),
    4: ("复议", "诉讼"),
    5: ("问题", "改进", "不足", "整改"),
    6: ("其他", "需要报告", "说明"),
}
# A section heading's own words, which a sub-item numbered as that section would hardly carry
_OWN_WORDS = {
    1: ("总体情况",),
    2: ("主动公开政府信息",),
    3: ("收到和处理",),
    4: ("复议", "诉讼"),
    5: ("存在的主要问题",),
    6: ("需要报告",),
}
_MAX_HEADING = 40

# Scrapes that deleted every line break (Hebei CSVs, copy-paste) leave a whole report in one paragraph. A section
# heading inside it starts after a sentence end, a full stop's space or a table cell's number, and ends at its
# closing word ("一、概述", "五、存在的主要问题及改进措施" – a word followed by 的/及/和/与 does not close it). The
# text is as written, so the words are in traditional characters too (a 繁體 mirror's 情況: no section was found).
_BLOB = 300
_RUN_HEADING = re.compile(
    r"(?:^|(?<=[。！？；;\d）)])\s*)([一二三四五六七八九十]、[^。，,；;：:！？\s]{0,26}?"
    r"(?:情况|情況|概述|概况|概況|措施|事项|事項|说明|說明|打算|计划|計劃|計畫|附表|成效))(?![的及和与與、])"
)


# Headings numbered otherwise than 一、 (1、 / 1. / （一） / 第一部分): tried, one style at a time, only for a report with
# the official tables whose 一、 headings were not found, and only with their section's words (the official form's
# numbering is 一、; (一) and 1. also number section 一's sub-heads and table 三's rows, which lack those words)
_OTHER_HEADINGS = (
    re.compile(r"^#*(10|[1-9])[、.．](?!\d)"),
    re.compile(r"^#*[(（]([一二三四五六七八九十])[)）]"),
    re.compile(r"^#*第([一二三四五六七八九十])部分"),
)


def find_headings(blocks: list[Block], structured: bool) -> list[tuple[int, int]]:
    """Return [(block index, section number)] in document order: the longest run of candidate headings whose
    numbers rise with at most one missing, so a stray "六、…" link in a sidebar cannot hijack the sequence."""
    best = _best_run(blocks, _HEADING, structured)
    if structured and len(best) < 2:
        for pattern in _OTHER_HEADINGS:
            if len(other := _best_run(blocks, pattern, structured)) >= max(2, len(best) + 1):
                best = other
    elif structured and len(best) < len(_WORDS):
        best = _gaps_filled(blocks, best)
    return best


def _gaps_filled(blocks: list[Block], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`found` (一、 headings) with a section it lacks found numbered in another style, with its section's words,
    where it stands in the order: one heading written 6、 among 一、… had its text merged into the section before.
    One that only continues the numbering of the sub-items before it (（五）… then （六）其他…, in a 五 with no 六 after
    it) is a sub-item, unless it carries its heading's own words (（六）其他需要报告的事项)."""
    missing = set(_WORDS) - {n for _, n in found}
    filled = list(found)
    for pattern in _OTHER_HEADINGS:
        numbered = _candidates(blocks, pattern, False, None)  # every block numbered so, sub-items and paragraphs
        for i, n in _candidates(blocks, pattern, True):  # with its section's words
            if n in missing and all(k < n for j, k in filled if j < i) and all(k > n for j, k in filled if j > i):
                since = max((j for j, _ in filled if j < i), default=-1)
                before = [k for j, k in numbered if since < j < i]
                if before and before[-1] == n - 1 and not any(w in blocks[i].text for w in _OWN_WORDS[n]):
                    continue
                filled = sorted([*filled, (i, n)])
                missing.discard(n)
    return filled


def _best_run(blocks: list[Block], heading: re.Pattern[str], structured: bool) -> list[tuple[int, int]]:
    candidates = _contents_dropped(blocks, _candidates(blocks, heading, structured))
    best: list[tuple[int, int]] = []
    for start, (_, first) in enumerate(candidates):
        if first > 2 and not structured:
            continue  # an excerpt may begin at any section only where the section words confirm the headings
        run = [candidates[start]]
        for i, n in candidates[start + 1 :]:
            if run[-1][1] < n <= run[-1][1] + 2:
                run.append((i, n))
        if len(run) > len(best):
            best = run
    if len(best) == 1 and best[0][1] > 2:
        return []  # a lone "四、…" or "六、…" is more likely a link or a table label than a report's only heading
    return best


_CONTENTS_GAP = 4  # blocks from one entry of a table of contents to the next, sub-entries included


def _contents_dropped(blocks: list[Block], candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The candidates without the entries of a table of contents (目录): a heading whose number heads a later
    candidate too, and which the next candidate follows within a few short lines. Read as headings, a contents
    list was the first run of rising numbers: sections 一–五 were empty and 六 held the whole report."""
    if len({n for _, n in candidates}) == len(candidates):
        return candidates  # no number twice: no contents (nearly every report)
    dropped = set()
    for k, (i, n) in enumerate(candidates[:-1]):
        j = candidates[k + 1][0]
        if (j - i <= _CONTENTS_GAP and any(m == n for _, m in candidates[k + 1 :])
                and all(len(blocks[x].text) <= _MAX_HEADING for x in range(i + 1, j))):
            dropped.add(k)
    return [c for k, c in enumerate(candidates) if k not in dropped]


def _candidates(blocks: list[Block], heading: re.Pattern[str], structured: bool,
                longest: int | None = _MAX_HEADING) -> list[tuple[int, int]]:
    """(block index, section number) of every block that reads as a heading numbered by `heading` (`structured`:
    and carries its section's words; `longest`: and is no longer than that), in document order."""
    candidates: list[tuple[int, int]] = []
    for i, b in enumerate(blocks):
        if b.is_row and len(b.cells) - b.cells.count("") > 1:
            continue
        keys = b.keys
        key = keys[0] if keys and keys[0] else next((k for k in keys if k), "")
        m = heading.match(key)
        if not m or longest is not None and len(key) > longest:
            continue
        number = m.group(1)
        n = int(number) if number.isdigit() else NUMERALS.index(number) + 1
        if structured and n in _WORDS and not any(w in key for w in _WORDS[n]):
            continue
        candidates.append((i, n))
    return candidates


def split_run_together(blocks: list[Block]) -> list[Block]:
    """Cut paragraphs that hold several sections (text whose line breaks were lost) at their headings, so the
    headings become blocks of their own as in any other report; ordinary paragraphs are left as they are (a
    document without a cell of _BLOB characters, nearly every one, is told so by one pass in C)."""
    if max(map(len, itertools.chain.from_iterable([b.cells for b in blocks])), default=0) < _BLOB:
        return list(blocks)
    out: list[Block] = []
    for b in blocks:
        if max(map(len, b.cells), default=0) < _BLOB:
            out.append(b)
        elif b.is_row:  # a '|' inside run-together text made a "row" of paragraphs ('作者:本站原创|来源:…')
            out.extend(split_run_together([Block([c]) for c in b.cells if c]))
        else:
            out.extend(_split_blob(b))
    return out


# A heading wrapped onto a second line: a numbered first line that does not end its heading, then a short line that
# does (a PDF's text or a narrow page's copy: '四、因政府信息公开工作被申请行政复议、提起行政诉' / '讼情况')
_WRAP_START = re.compile(r"^#*(?:[一二三四五六七八九十]、|(?:10|[1-9])[、.．](?!\d)|[(（][一二三四五六七八九十][)）]"
                         r"|第[一二三四五六七八九十]部分)")
_WRAP_END = re.compile(r"(?:情况|情況|概述|概况|概況|措施|事项|事項|说明|說明|打算|计划|計劃|計畫|附表|成效)$")
_WRAP_FIRST = 10  # a first line shorter than this did not run to the end of its line
_WRAP_TAIL = 12
_SENTENCE = re.compile(r"[。，,；;：:！？!?]")


def split_inline_headings(blocks: list[Block]) -> list[Block]:
    """The blocks with each paragraph that starts with a section heading ('一、总体情况。2019年，…', '五、…改进情况2025
    年，…': a heading run into its first paragraph, or a copy that lost the line break) cut after the heading, as
    split_run_together cuts text that lost every line break: longer than a heading, the paragraph was none, and its
    section was lost (一's text left out, the others' merged into the section before)."""
    out: list[Block] = []
    for b in blocks:
        text = b.cells[0] if not b.is_row and len(b.cells) == 1 else ""
        m = _RUN_HEADING.match(text) if text[1:2] == "、" else None
        rest = text[m.end(1):].lstrip("。：:．. \u3000") if m else ""
        # a heading-length paragraph is cut only where what follows is a sentence or a numbered item ('六、其他需要
        # 报告的事项无。', '五、…改进情况（一）主要问题'): a heading may go on after a closing word (一、总体情况概述)
        if rest and (len(text) > _MAX_HEADING or rest.endswith("。") or _WRAP_START.match(rest)):
            out.extend([Block([m.group(1)]), Block([rest])])
        else:
            out.append(b)
    return out


def rejoin_wrapped_headings(blocks: list[Block]) -> list[Block]:
    """The blocks with each heading that line breaks cut into pieces made one again; a wrapped heading's tail was
    the first line of its section, and a first line without its section's words (三、收到和处理政府信 / 息公开申请情况)
    was no heading at all, its section merged into the one before. A numbered line of _WRAP_FIRST characters or
    more with one short line that ends it; a shorter first line or more lines (a narrow column: 一、总 / 体 / 情况)
    only where they make a section's 一、 heading with its words, and each line after the first holds words and no
    digit (a table label over lines and its value, a sub-item and its text, stay apart)."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        end = _wrap_end(blocks, i)
        if end is None:
            out.append(blocks[i])
            i += 1
        else:
            out.append(Block(["".join(b.cells[0].strip() for b in blocks[i:end])]))
            i = end
    return out


def _wrap_end(blocks: list[Block], i: int) -> int | None:
    """Where the lines of a heading wrapped from blocks[i] end (the index after its last line), or None."""
    head = blocks[i]
    if head.is_row or len(head.cells) != 1:
        return None
    text = head.cells[0].strip()
    if not (len(text) < _MAX_HEADING and _WRAP_START.match(text) and not _WRAP_END.search(text)
            and not _SENTENCE.search(text)):
        return None
    for k in range(i + 1, len(blocks)):
        b = blocks[k]
        tail = b.cells[0].strip() if not b.is_row and len(b.cells) == 1 else ""
        if (not tail or len(tail) > _WRAP_TAIL or _SENTENCE.search(tail) or _WRAP_START.match(tail)
                or len(text) + len(tail) > _MAX_HEADING):
            return None
        text += tail
        if _WRAP_END.search(text):
            if k == i + 1 and len(head.cells[0].strip()) >= _WRAP_FIRST:
                return k + 1
            return k + 1 if _words_of_heading(tail) and _is_section_heading(text) else None
        if not _words_of_heading(tail):
            return None
    return None


_DIGIT = re.compile(r"[0-9０-９]")
_HAN_OR_COMMA = re.compile(r"[\u4e00-\u9fff、]")


def _words_of_heading(line: str) -> bool:
    """A line that can be a piece of a heading wrapped over several: words, no number (not a table label's value,
    not a year)."""
    return _HAN_OR_COMMA.search(line) is not None and _DIGIT.search(line) is None


def _is_section_heading(text: str) -> bool:
    """Whether `text` is a section heading numbered as the official form numbers them (一、) with its section's
    words, as find_headings takes one."""
    m = _HEADING.match(text)
    if m is None:
        return False
    n = NUMERALS.index(m.group(1)) + 1
    return n not in _WORDS or any(w in text for w in _WORDS[n])


def _split_blob(block: Block) -> list[Block]:
    text = block.cells[0]
    cuts = [m.span(1) for m in _RUN_HEADING.finditer(text)]
    if not cuts:
        return [block]
    out, pos = [], 0
    for start, end in cuts:
        out.extend(Block([piece]) for piece in (text[pos:start].strip(), text[start:end]) if piece)
        pos = end
    if rest := text[pos:].strip():
        out.append(Block([rest]))
    return out


def repeated_body(blocks: list[Block], headings: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(where the second copy of the report's body starts, how many copies there are) when the body is printed
    again after itself, else None. Some portals print the article twice (once more in a hidden print div): the
    second copy, tables as text, was read into section 六. A copy is the first heading's block met again, word for
    word, with a later heading of the run met again after it; it starts where the blocks before it (title, date,
    preamble) repeat those before the first heading."""
    if len(headings) < 2:
        return None
    first, later = headings[0][0], [blocks[i].keys for i, _ in headings[1:]]
    key = blocks[first].keys
    again = [j for j in range(first + 1, len(blocks)) if blocks[j].keys == key and not blocks[j].is_row]
    if not again:
        return None
    j = again[0]
    if not any(b.keys in later for b in blocks[j + 1 :]):
        return None  # one heading quoted again (an attachment's 一、总体情况): no copy of the body
    before = max(i for i, _ in headings if i < j)  # the first copy's last heading stays with it
    start, k = j, first
    while start - 1 > before and k > 0 and blocks[start - 1].keys == blocks[k - 1].keys:
        start, k = start - 1, k - 1
    # and the copy's own title line, which the first copy's region may not hold (a print div's <h1>)
    while start - 1 > before and not blocks[start - 1].is_row and _TITLE_LINE.match("".join(blocks[start - 1].keys)):
        start -= 1
    return start, 1 + len(again)


_TITLE_LINE = re.compile(r"[^。；;]{0,40}信息公开[^。；;]{0,20}(?:报告|年报)$")  # a report's title, as a key


def split_sections(blocks: list[Block], headings: list[tuple[int, int]], skip: set[int] = frozenset()) -> dict[str, str]:
    """Section number → its text (paragraphs joined by newlines), leaving out the blocks in `skip` (tables)."""
    sections: dict[str, str] = {}
    bounds = headings + [(len(blocks), 0)]
    for (start, n), (end, _) in zip(bounds, bounds[1:]):
        body = "\n".join(blocks[i].text for i in range(start + 1, end) if i not in skip).strip()
        sections[str(n)] = body
    return sections
