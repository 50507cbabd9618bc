"""Tables whose cells were run together: scrapes that joined every text node and deleted whitespace.

"一、本年新收政府信息公开申请数量250000126" holds the row's seven numbers as one digit run. A run is split only
where the split is forced, never guessed:

- every cell is a number as reports write it (no leading zero: "00" is two cells; a sign only in 本年增/减, decimals
  only in amounts, a unit only after the procurement amount);
- table 三 rows: the run holds the row's seven cells (eight with a 小计 column) and 总计 is the sum of the applicant
  columns (R3; 小计 the sum of the five organisations); then R1 and R2 across rows narrow what is left;
- table 四: fifteen cells, each group's 总计 the sum of its four results (R4);
- table 二 has no identity: a cell is read only when every way of cutting the run, blanks included (a blank cell
  leaves no trace in such a text), gives it the same value ("规章000" is 0, 0, 0; "81153" is anything).

A cell every fitting split agrees on is read (and listed as recovered); a cell on which fitting splits differ, or
of a row no split fits, stays null and is listed as ambiguous or unsplit. A row with no digits is blank.
"""

from __future__ import annotations

import itertools
import re

from govreports import schema
from govreports.parse import labels as L
from govreports.parse.values import parse_value
from govreports.text import join_apart

_RUN = re.compile(r"[+\-−]?\d[\d+\-−.]*(?:万元|元)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_PIECE = re.compile(r"(?=[(（][一二三四五六七八九十]+[)）])|(?=[一二三四五六七八九十]、)|(?=\d[.、．](?!\d))")
_INT = r"(?:0|[1-9]\d{0,9})"
_CELL = {
    "count": re.compile(rf"^{_INT}$"),
    "signed": re.compile(rf"^[+\-−]?{_INT}$"),
    "decimal": re.compile(rf"^{_INT}(?:\.\d+)?$"),
    "amount": re.compile(rf"^{_INT}(?:\.\d+)?(?:万元|元)?$"),
}
_MAX_RUN = 60  # longer runs are not table rows
_MAX_CANDIDATES = 5000
_ACTIVE_LABELS = {
    "rules": ("规章",),
    "normative_documents": ("行政规范性文件", "规范性文件"),
    "licensing": ("行政许可",),
    "other_services": ("其他对外管理服务事项",),
    "penalty": ("行政处罚",),
    "coercion": ("行政强制",),
    "fees": ("行政事业性收费",),
    "procurement": ("政府集中采购",),
}
_ACTIVE_END = re.compile(
    "(" + "|".join(sorted({w for ws in _ACTIVE_LABELS.values() for w in ws}, key=len, reverse=True))
    + r")(?:[(（][^()（）]*[)）])?$")


class Split:
    """What splitting found: cell paths ("applications.new.total") read from runs, and those left null."""

    def __init__(self) -> None:
        self.recovered: list[str] = []
        self.ambiguous: list[str] = []  # more than one split fits
        self.unsplit: list[str] = []  # no split fits (a blank cell dropped, a typo in a total)
        # table 三 rows ("applications.granted") whose splits R1 and R2 across rows narrowed: those rules then hold
        # by construction too (validate.checks reads this, as it reads `recovered` for R3 and R4)
        self.narrowed: list[str] = []

    def merge(self, other: Split) -> None:
        self.recovered += other.recovered
        self.ambiguous += other.ambiguous
        self.unsplit += other.unsplit
        self.narrowed += other.narrowed

    def as_record(self) -> dict | None:
        if not (self.recovered or self.ambiguous or self.unsplit):
            return None
        return {k: v for k, v in (("recovered", self.recovered), ("ambiguous", self.ambiguous),
                                  ("unsplit", self.unsplit), ("narrowed", self.narrowed)) if v}


_REVIEW_TOTAL = re.compile(r"(?:总计|审结)[+\-]?\d")
# each table's run-together test: a word its key must hold (found in C over the keys joined), then the rest
_TESTS = (
    ("active", "信息内容", lambda key: _DIGIT.search(key) is not None
        and len({item for item, ws in _ACTIVE_LABELS.items() if any(w in key for w in ws)}) >= 2),
    ("applications", "本年新收", lambda key: "上年结转" in key),
    ("review_litigation", "结果维持", lambda key: _REVIEW_TOTAL.search(key) is not None),
)


def run_together(keys: list[str]) -> frozenset[str]:
    """The tables whose region holds them run together (labels glued to digit runs), among "active",
    "applications" and "review_litigation", from the match keys of the blocks that span all three (in order). A
    table is run together when one key holds its word and the rest of its test. One pass for the three tables: the
    keys are joined and each word found by str.find, so only keys holding a word are tested in Python (the test
    runs over every block of every report)."""
    joined = join_apart(keys, "\n")
    if joined is None:  # a key holding the separator (annotate's never do): key by key
        return frozenset(table for table, word, rest in _TESTS if any(word in k and rest(k) for k in keys))
    found = []
    for table, word, rest in _TESTS:
        at = joined.find(word)
        while at >= 0:
            start = joined.rfind("\n", 0, at) + 1
            end = joined.find("\n", at)
            end = len(joined) if end < 0 else end
            if rest(joined[start:end]):
                found.append(table)
                break
            at = joined.find(word, end)
    return frozenset(found)


def _segments(text: str) -> list[tuple[str, str]]:
    """(label text, digit run) pairs in order; a run's trailing "2." that numbers the next label goes to it."""
    out: list[tuple[str, str]] = []
    label_start = 0
    for m in _RUN.finditer(text):
        start, end = m.span()
        if start < label_start:
            continue
        run = m.group()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if (before and before in "(（" and after and after in ")）") or (before == "第" and after and after in "项条") \
                or before.isdigit():
            continue  # (1), 第1项: part of a label
        if after and (_CJK.match(after) or after in "(（“\""):
            tail = re.search(r"\d[.、．]$", run)
            if tail:  # "00000002." + "其他法律…": the next label's number
                run, end = run[: tail.start()], end - len(tail.group())
        elif after == "、" and end + 1 < len(text) and _CJK.match(text[end + 1]) and run[-1:].isdigit():
            run, end = run[:-1], end - 1  # "…07 1" + "2、申请人…": "1、" numbers the next label
        if not run:
            continue
        out.append((text[label_start:start], run))
        label_start = end
    out.append((text[label_start:], ""))
    return out


def _splits(run: str, kinds: list[str], limit: int = _MAX_CANDIDATES) -> list[tuple[str, ...]] | None:
    """Every way to cut `run` into len(kinds) cells each valid for its kind; None when there are too many."""
    found: list[tuple[str, ...]] = []

    def walk(pos: int, i: int, acc: list[str]) -> bool:
        if i == len(kinds):
            if pos == len(run):
                found.append(tuple(acc))
            return len(found) <= limit
        rest = len(kinds) - i - 1
        for end in range(pos + 1, min(len(run) - rest, pos + 16) + 1):
            cell = run[pos:end]
            if _CELL[kinds[i]].match(cell):
                acc.append(cell)
                if not walk(end, i + 1, acc):
                    return False
                acc.pop()
        return True

    if len(run) > _MAX_RUN or not walk(0, 0, []):
        return None
    return found


def _number(cell: str):
    v = parse_value(cell)
    return None if v is None else v.number


def _agree(candidates: list[tuple], n: int) -> list:
    """Per position, the value all candidates share, else the marker _AMBIGUOUS."""
    return [candidates[0][i] if all(c[i] == candidates[0][i] for c in candidates) else _AMBIGUOUS for i in range(n)]


_AMBIGUOUS = object()


def _settle(split: Split, table: str, row: str, cols: tuple[str, ...], candidates: list[tuple] | None,
            out: dict) -> None:
    """Fill a row from its fitting splits: agreed cells read, the others null and listed."""
    cells = {c: None for c in cols}
    if candidates is None:  # too many splits fit to list them
        split.ambiguous.extend(f"{table}.{row}.{c}" for c in cols)
    elif not candidates:
        split.unsplit.extend(f"{table}.{row}.{c}" for c in cols)
    else:
        for c, value in zip(cols, _agree(candidates, len(cols))):
            if value is _AMBIGUOUS:
                split.ambiguous.append(f"{table}.{row}.{c}")
            else:
                cells[c] = value
                split.recovered.append(f"{table}.{row}.{c}")
    out[row] = cells


def read_active(text: str, fmt: str, split: Split) -> dict:
    wanted = schema.ACTIVE_MEASURES[fmt]
    out = {item: {m: None for m in ms} for item, ms in wanted.items()}
    for label, run in _segments(text):
        m = _ACTIVE_END.search(label)
        item = L.active_item(m.group(1)) if m else None
        if item not in wanted:
            continue
        measures = [x for x in wanted[item] if x != "amount_unit"]
        if not run:
            continue  # a row with no digits is blank
        kinds = ["signed" if x == "change" else "amount" if x == "amount" else
                 "decimal" if x == "amount_10k_yuan" else "count" for x in measures]
        candidates: list[tuple] | None = []
        for k in range(1, len(measures) + 1):  # blanks leave no trace: k cells present, in any k columns
            for places in itertools.combinations(range(len(measures)), k):
                cut = _splits(run, [kinds[i] for i in places])
                if cut is None:
                    candidates = None
                    break
                for cells in cut:
                    row = [None] * len(measures)
                    for i, cell in zip(places, cells):
                        row[i] = cell
                    candidates.append(tuple(row))
            if candidates is None:
                break
        values = None if candidates is None else [
            tuple(None if c is None else _number(c) for c in cand) for cand in candidates]
        units = {None if c[-1] is None else ("万元" if c[-1].endswith("万元") else "元" if c[-1].endswith("元") else None)
                 for c in candidates or []}
        row_out: dict = {}
        _settle(split, "active", item, tuple(measures), values, row_out)
        out[item].update(row_out[item])
        if "amount_unit" in out[item]:
            out[item]["amount_unit"] = next(iter(units)) if len(units) == 1 and out[item]["amount"] is not None else None
    return out


def read_applications(text: str, fmt: str, split: Split, unkeyed: dict | None = None) -> dict:
    """Table 三. `unkeyed` collects a row the format has no key for, as tables.read_applications does: a 2021
    table that kept the 2019 form's single （六）其他处理 row ("applications.other"; its cells are listed in `split`
    under that path), a 2019 table with the 2021 form's three sub-rows ("applications.other_overdue_correction", …)."""
    rows = schema.APPLICATION_ROWS[fmt]
    cols = schema.APPLICANT_COLUMNS
    out = {row: dict.fromkeys(cols) for row in rows}
    segments = _segments(text)
    subtotal = any("小计" in label for label, _ in segments[:1]) or "小计" in text[: text.find("本年新收") + 1]
    n = len(cols) + (1 if subtotal else 0)
    found: dict[str, list[tuple] | None] = {}
    other_form: dict[str, list[tuple] | None] = {}  # rows of the other form's （六）: no key of the format takes them

    def identify(piece: str) -> str | None:
        row = L.application_row(piece)
        if row == "other" and fmt == "2021":
            return None
        if row == "other_misc" and fmt == "2019":
            return None if other_form else "other"  # after the 2021 form's sub-rows 1 and 2, its 3.其他
        return row if row in rows else None

    for label, run in segments:
        pieces = [p for p in _PIECE.split(label) if p]
        named = [identify(p) for p in pieces]
        owner = named[-1] if named else None
        if owner is None and run and unkeyed is not None:
            extra = L.other_form_row(pieces[-1], fmt, bool(other_form)) if pieces else None
            if extra and extra not in other_form:
                other_form[extra] = _row_splits(run, n, subtotal)
        if not run or owner is None or found.get(owner):
            continue  # a row keeps its first run that fits ("数据1…数据6" headers are digits inside labels)
        found[owner] = _row_splits(run, n, subtotal)
    before = {row: len(c) for row, c in found.items() if c}
    _cross_rows(found, fmt)
    split.narrowed.extend(f"applications.{row}" for row, n in before.items() if len(found[row] or ()) < n)
    for row, candidates in found.items():
        _settle(split, "applications", row, cols, candidates, out)
    for row, candidates in other_form.items():
        kept: dict = {}
        _settle(split, "applications", row, cols, candidates, kept)
        unkeyed[f"applications.{row}"] = kept[row]
    return out


def _row_splits(run: str, n: int, subtotal: bool) -> list[tuple] | None:
    """Splits of a table-三 row whose 总计 is the sum of the applicant columns (and 小计 of the organisations)."""
    if not run.isdecimal() or not run.isascii():
        return []  # a sign, a dot or a unit: not a row of counts (a page marker "-5-" run into it, say)
    if len(run) > 6 * n:
        return None  # more digits than a row of counts holds: not a row, or too many ways to cut it
    out: list[tuple] = []
    parts = n - 1  # the cells before 总计 (小计 among them)

    def walk(prefix: str, pos: int, acc: list[int], total: int) -> None:
        if len(acc) == parts:
            if pos == len(prefix):
                nums = acc
                if subtotal:
                    if nums[6] != sum(nums[1:6]):
                        return
                    nums = nums[:6]
                if sum(nums) == total:
                    out.append((*nums, total))
            return
        rest = parts - len(acc) - 1
        budget = total - sum(acc[:6] if subtotal else acc)
        for end in range(pos + 1, min(len(prefix) - rest, pos + 7) + 1):
            cell = prefix[pos:end]
            if len(cell) > 1 and cell[0] == "0":
                break
            value = int(cell)
            if value > budget and not (subtotal and len(acc) == 6):
                break
            acc.append(value)
            walk(prefix, end, acc, total)
            acc.pop()

    for t in range(1, min(len(run) - parts, 7) + 1):
        total_text = run[-t:]
        if len(total_text) > 1 and total_text[0] == "0":
            continue
        walk(run[:-t], 0, [], int(total_text))
        if len(out) > _MAX_CANDIDATES:
            return None
    return out


def _cross_rows(found: dict[str, list[tuple] | None], fmt: str) -> None:
    """Narrow rows with several fitting splits by R1 and R2 across rows, when a consistent combination exists."""
    open_rows = [r for r, c in found.items() if c and len(c) > 1]
    if not open_rows:
        return
    if any(not found.get(r) for r in schema.APPLICATION_ROWS[fmt]):
        return  # a row without a split (blank or unsplit): the identities cannot be evaluated
    _propagate(found, fmt)
    open_rows = [r for r, c in found.items() if len(c) > 1]
    space = 1
    for r in open_rows:
        space *= len(found[r])
    if not open_rows or space > 20000:
        return
    fixed = {r: c[0] for r, c in found.items() if len(c) == 1}
    outcome = schema.OUTCOME_ROWS[fmt]
    keep: dict[str, set] = {r: set() for r in open_rows}
    for combo in itertools.product(*(found[r] for r in open_rows)):
        rows = {**fixed, **dict(zip(open_rows, combo))}
        ok = all(rows["new"][i] + rows["carried_in"][i] == rows["total"][i] + rows["carried_out"][i]
                 and rows["total"][i] == sum(rows[r][i] for r in outcome) for i in range(len(rows["new"])))
        if ok:
            for r, cand in zip(open_rows, combo):
                keep[r].add(cand)
    if all(keep.values()):
        for r in open_rows:
            found[r] = [c for c in found[r] if c in keep[r]]


def _propagate(found: dict[str, list[tuple]], fmt: str) -> None:
    """Drop a row's split when no choice of the other rows' splits lets R1 and R2 hold in some column (column by
    column, so it scales where trying every combination does not); nothing is dropped if the report breaks them."""
    outcome = schema.OUTCOME_ROWS[fmt]
    identities = ((("total",), outcome), (("new", "carried_in"), ("total", "carried_out")))
    cand = {r: list(c) for r, c in found.items()}
    changed = True
    while changed:
        changed = False
        for i in range(len(schema.APPLICANT_COLUMNS)):
            for left, right in identities:
                terms = [(r, 1) for r in left] + [(r, -1) for r in right]
                for k, (row, sign) in enumerate(terms):
                    if len(cand[row]) < 2:
                        continue
                    sums: set[int] | None = {0}
                    for other, s2 in terms[:k] + terms[k + 1 :]:
                        values = {c[i] * s2 for c in cand[other]}
                        sums = {a + b for a in sums for b in values}
                        if len(sums) > 20000:
                            sums = None
                            break
                    if sums is None:
                        continue
                    keep = [c for c in cand[row] if -sign * c[i] in sums]
                    if len(keep) < len(cand[row]):
                        cand[row] = keep
                        changed = True
    if all(cand.values()):
        found.update(cand)


def read_review(text: str, split: Split) -> dict:
    out = {g: dict.fromkeys(schema.REVIEW_MEASURES) for g in schema.REVIEW_GROUPS}
    runs = [run for label, run in _segments(text) if run and re.search(r"(?:总计|审结)[)）]?$", label)]
    if not runs:
        return out
    if len(runs) >= 3:  # one header and run per group (行政复议 …总计27109156 1 行政诉讼（…）…总计30003 …)
        per_group = [_review_splits(run, 1) for run in runs[:3]]
        candidates = None if any(g is None for g in per_group) else [
            sum(combo, ()) for combo in itertools.product(*per_group)][: _MAX_CANDIDATES]
    else:
        candidates = _review_splits(runs[0])
    flat_cols = tuple(f"{g}.{m}" for g in schema.REVIEW_GROUPS for m in schema.REVIEW_MEASURES)
    flat: dict = {}
    _settle(split, "review_litigation", "_", flat_cols, candidates, flat)
    # _settle names cells "review_litigation._.review.upheld": give them their real paths
    for lst in (split.recovered, split.ambiguous, split.unsplit):
        lst[:] = [p.replace("review_litigation._.", "review_litigation.") for p in lst]
    for path, value in flat["_"].items():
        g, m = path.split(".")
        out[g][m] = value
    return out


def _review_splits(run: str, groups: int = 3) -> list[tuple] | None:
    """Splits of `groups` groups of five cells, each group's 总计 the sum of its four results (R4)."""
    if not run.isdecimal() or not run.isascii():
        return []
    results: list[tuple] = []
    budget = [200000]  # cells tried: a hostile run gives up (all ambiguous) instead of costing seconds

    def walk(pos: int, acc: tuple, part: tuple) -> bool:
        budget[0] -= 1
        if budget[0] < 0 or len(results) > _MAX_CANDIDATES:
            return False
        if len(part) == 4:  # the group's 总计 is forced: the sum, written next
            total = str(sum(part))
            if not run.startswith(total, pos):
                return True
            pos, acc, part = pos + len(total), acc + part + (sum(part),), ()
            if len(acc) == 5 * groups:
                if pos == len(run):
                    results.append(acc)
                return True
        for end in range(pos + 1, min(len(run), pos + 7) + 1):
            cell = run[pos:end]
            if len(cell) > 1 and cell[0] == "0":
                break
            if not walk(end, acc, part + (int(cell),)):
                return False
        return True

    if len(run) > 2 * _MAX_RUN or not walk(0, (), ()):
        return None
    return results


def read(text: str, table: str, fmt: str, split: Split, unkeyed: dict | None = None) -> dict:
    """The table from run-together text: `text`, the match keys of the blocks that span all three tables joined
    (a scrape may hold several of them in one paragraph; a heading it ran into is not cut out), for a table that
    run_together found run together. `unkeyed` collects rows the format has no key for (read_applications)."""
    app = min((i for i in (text.find("勾稽关系"), text.find("申请人情况"), text.find("本年新收")) if i >= 0),
              default=len(text))
    review = text.find("行政复议", app)
    review = len(text) if review < 0 else review
    if table == "active":
        return read_active(text[:app], fmt, split)
    if table == "applications":
        return read_applications(text[app:review], fmt, split, unkeyed)
    return read_review(text[review:], split)
