"""Deterministic canonical records (random.Random seeded by strings, never hypothesis): the one synthetic-record
generator, for the demo portal, the store's tests and the load benchmark (`make_record(..., checks=True)`).

Why a generator of its own: the portal must build 10,000 reports in seconds and give the same bytes for the same
seed in every process, so a record is a pure function of (seed, agency, year) and is only built when asked for.
Values are mostly consistent with rules R1–R4 (FORMAT.md §6) with a few deliberate breaks, blanks (None), signed
changes, decimal fees and procurement amounts with or without a unit — the shapes a parser meets in real reports.
Section sentences never start like a heading ("一、") and never contain a table label.
"""

from __future__ import annotations

import random

from govreports import schema
from govreports.validate.checks import evaluate

YEARS = tuple(range(2018, 2025))

SENTENCES = {
    "1": (
        "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，扎实推进政务公开工作。",
        "调整充实了政务公开工作领导小组，明确分管负责同志和专职工作人员，工作力量得到加强。",
        "严格落实信息发布审核制度，坚持先审后发，确保发布内容准确、及时、规范。",
        "围绕中心工作加强政策发布和解读，通过门户网站、政务新媒体等渠道及时回应社会关切。",
        "持续优化门户网站政务公开专栏，对栏目设置进行梳理调整，方便公众查阅。",
        "将政务公开工作纳入年度目标考核，定期开展自查自纠，推动各项任务落到实处。",
        "全年共组织业务培训{n}次，参训人员的业务水平和保密意识明显提升。",
    ),
    "2": (
        "本年度通过门户网站主动公开各类信息{n}条，内容涵盖机构职能、财政预决算、重点工作进展等方面。",
        "及时更新政府信息公开指南和主动公开基本目录，确保公开内容全面准确。",
        "对重要政策文件同步开展解读，采用图文、问答等形式增强解读效果。",
        "通过政务微信公众号发布信息{n}条，进一步拓宽了公开渠道。",
    ),
    "3": (
        "本年度严格按照法定时限和程序办理政府信息公开申请，答复内容规范、依据充分。",
        "进一步规范受理、登记、办理、答复等环节，做到全程留痕、闭环管理。",
        "办理过程中加强与申请人的沟通，准确把握申请诉求，提高答复质量。",
    ),
    "4": (
        "本年度未发生因政府信息公开工作引发的复议或诉讼案件。",
        "本机关依法应诉，积极配合复议机关和人民法院的审理工作。",
        "对复议机关和人民法院指出的问题认真整改，不断提高依法办理水平。",
    ),
    "5": (
        "本年度政务公开工作取得了一定成效，但仍存在信息更新不够及时、政策解读形式较为单一等问题。",
        "工作人员业务能力有待进一步提高，公开内容的深度和广度还需拓展。",
        "下一步，将加强业务培训，提升工作人员的业务水平和责任意识。",
        "进一步完善工作机制，强化督促检查，推动政务公开工作提质增效。",
    ),
    "6": (
        "本年度未收取信息处理费。",
        "本机关将按照上级部署，继续做好政务公开各项工作。",
        "本年度共办理人大代表建议{n}件、政协委员提案{n}件，均已按时办结并公开答复情况。",
    ),
}

# free-form pre-2019 reports (old 条例 第三十二条): headings as written, numbered by the parser as written
PRE2019_HEADINGS = ("一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息办理情况",
                    "四、政府信息公开的收费及减免情况", "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
                    "六、政府信息公开工作存在的主要问题及改进措施", "七、其他需要报告的事项")
PRE2019_SENTENCES = (
    "本年度全年共主动公开政府信息{n}条，其中通过门户网站公开{n}条。",
    "全年共收到政府信息公开申请{n}件，均在规定时限内予以答复。",
    "本年度未收取任何费用。",
    "本年度未发生因政府信息公开引起的行政复议和行政诉讼。",
    "对照上级要求，信息公开的及时性和完整性还有差距，下一步将加强培训和督查。",
    "本年度无其他需要报告的事项。",
    "本机关高度重视政府信息公开工作，明确了分管领导和具体工作人员。",
)


def _fill(rng: random.Random, sentence: str) -> str:
    while "{n}" in sentence:
        sentence = sentence.replace("{n}", str(rng.randint(2, 900)), 1)
    return sentence


def _sections(rng: random.Random) -> dict[str, str]:
    out = {}
    for number, pool in SENTENCES.items():
        if number == "6" and rng.random() < 0.15:
            continue  # some reports have no section 六
        paragraphs = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            picked = rng.sample(pool, k=min(len(pool), rng.choice((1, 2))))
            paragraphs.append("".join(_fill(rng, s) for s in picked))
        out[number] = "\n".join(dict.fromkeys(paragraphs))
    return out


def is_government(agency: str) -> bool:
    """本级政府 reports (the government itself, not a department) are due by Mar 31 rather than Jan 31."""
    return agency.endswith(("人民政府", "市", "县", "区", "旗"))


def published_date(rng: random.Random, agency: str, year: int) -> str:
    y = year + 1
    roll = rng.random()
    if year == 2018 and roll < 0.2:
        return f"{y}-05-{rng.randint(10, 30):02d}"  # 2018 reports posted in May 2019 (ordos sample)
    if roll < 0.04:
        return f"{y}-09-{rng.randint(1, 28):02d}"  # late
    if is_government(agency) or year == 2018:
        month = rng.randint(1, 3)
        return f"{y}-{month:02d}-{rng.randint(1, 31 if month != 2 else 28):02d}"
    return f"{y}-01-{rng.randint(5, 31):02d}"


def title_for(agency: str, year: int, variant: int) -> str:
    """The title the document itself carries (the record's title): with/without 工作, or 年度."""
    if variant == 1:
        return f"{agency}{year}年政府信息公开年度报告"
    if variant == 2:
        return f"{agency}{year}年度政府信息公开工作报告"
    return f"{agency}{year}年政府信息公开工作年度报告"


# --- tables ---------------------------------------------------------------------------------------------------------

_COLS = schema.APPLICANT_COLUMNS[:-1]


def _applications(rng: random.Random, fmt: str, size: float) -> dict:
    table = schema.empty_tables(fmt)["applications"]
    outcomes = schema.OUTCOME_ROWS[fmt]
    weights = [40, 8] + [1] * (len(outcomes) - 2)
    weights[outcomes.index("unavailable_not_held")] = 12
    for col in _COLS:
        scale = size if col == "natural_person" else size * (0.2 if col == "commercial" else 0.03)
        new = int(rng.expovariate(1 / max(scale, 0.01))) if rng.random() < 0.85 else 0
        carried_in = rng.randint(0, max(0, new // 10))
        carried_out = rng.randint(0, max(0, (new + carried_in) // 8))
        done = new + carried_in - carried_out
        counts = dict.fromkeys(outcomes, 0)
        for row in rng.choices(outcomes, weights=weights, k=done):
            counts[row] += 1
        table["new"][col], table["carried_in"][col], table["carried_out"][col] = new, carried_in, carried_out
        for row in outcomes:
            table[row][col] = counts[row]
        table["total"][col] = done
    for row, cols in table.items():
        cols["total"] = sum(cols[c] for c in _COLS)
    return table


def _review(rng: random.Random) -> dict:
    table = schema.empty_tables("2019")["review_litigation"]
    for cols in table.values():
        for m in ("upheld", "corrected", "other", "pending"):
            cols[m] = rng.choice((0, 0, 0, 0, 1, 2, rng.randint(0, 12)))
        cols["total"] = cols["upheld"] + cols["corrected"] + cols["other"] + cols["pending"]
    return table


def _decimal(rng: random.Random, digits: int, top: int) -> float | int:
    n = rng.randint(0, top * 10**digits)
    return n // 10**digits if rng.random() < 0.3 else n / 10**digits


def _active(rng: random.Random, fmt: str, size: float) -> dict:
    active = schema.empty_tables(fmt)["active"]
    for item, cols in active.items():
        for m in cols:
            if m == "change":
                cols[m] = rng.randint(-20, 20) if rng.random() < 0.6 else 0
            elif m == "amount_10k_yuan":
                cols[m] = 0 if rng.random() < 0.4 else _decimal(rng, 3, 5000)
            elif m == "amount":
                cols[m] = _decimal(rng, 2, 10**6) if rng.random() < 0.8 else 0
            elif m == "amount_unit":
                cols[m] = rng.choice(("元", "万元", None))
            elif item == "rules":
                cols[m] = 0 if rng.random() < 0.7 else rng.randint(0, 5)
            else:
                cols[m] = int(rng.expovariate(1 / (size * 4 + 1))) if rng.random() < 0.7 else 0
    for item in ("rules", "normative_documents"):
        cols = active[item]
        if fmt == "2019":
            cols["published"] = min(cols["published"], cols["made"]) if rng.random() < 0.8 else cols["published"]
            cols["total"] = max(cols["total"], cols["published"])
        else:
            cols["in_force"] = max(cols["in_force"], cols["issued"])
    return active


def _blank_out(rng: random.Random, tables: dict) -> None:
    """Reports that leave zero cells empty: those cells are None in the record (blank ≠ 0)."""
    for table in ("applications", "review_litigation"):
        for cols in tables[table].values():
            for col, value in cols.items():
                if value == 0 and rng.random() < 0.6:
                    cols[col] = None
    for cols in tables["active"].values():
        for m, value in cols.items():
            if value == 0 and m != "amount_unit" and rng.random() < 0.3:
                cols[m] = None
    procurement = tables["active"].get("procurement")
    if procurement and procurement["amount"] is None:
        procurement["amount_unit"] = None


def _break_rule(rng: random.Random, tables: dict, fmt: str) -> None:
    """A typo of the kind real reports carry: one cell off by a little, totals not updated (R1/R2/R3/R4 fail)."""
    if rng.random() < 0.5:
        row = rng.choice(schema.OUTCOME_ROWS[fmt][:2] + ("carried_out",))
        col = rng.choice(_COLS[:2])
        tables["applications"][row][col] = (tables["applications"][row][col] or 0) + rng.randint(1, 3)
    else:
        group = rng.choice(schema.REVIEW_GROUPS)
        tables["review_litigation"][group]["total"] = (tables["review_litigation"][group]["total"] or 0) + 1


def format_for(year: int) -> str:
    return "pre2019" if year < 2019 else ("2019" if year < 2021 else "2021")


def record_meta(seed: int, agency: str, year: int) -> tuple[str, str]:
    """(title, published) alone: the catalog needs them for every list row without building whole records."""
    rng = random.Random(f"meta|{seed}|{agency}|{year}")
    variant = rng.choices((0, 1, 2), weights=(7, 2, 1))[0]
    return title_for(agency, year, variant), published_date(rng, agency, year)


def make_record(seed: int, agency: str, year: int, size: float = 1.0, *, checks: bool = False) -> dict:
    """The canonical record of `agency`'s report on `year` (SCHEMA.md keys). The demo portal's records carry no
    checks (the parser evaluates them); `checks=True` adds rules R1–R4 evaluated as the parser would, giving a
    record as loaded from a parsed report."""
    record = _record(seed, agency, year, size)
    if checks:
        record["checks"] = evaluate(record)
    return record


def _record(seed: int, agency: str, year: int, size: float) -> dict:
    rng = random.Random(f"record|{seed}|{agency}|{year}")
    fmt = format_for(year)
    title, published = record_meta(seed, agency, year)
    record = {"title": title, "agency": agency, "year": year, "format": fmt, "published": published}
    if fmt == "pre2019":
        count = rng.choice((5, 6, 7))
        record["sections"] = {
            str(i + 1): "".join(_fill(rng, s) for s in rng.sample(PRE2019_SENTENCES, k=rng.choice((1, 2))))
            for i in range(count)
        }
        return record
    record["sections"] = _sections(rng)
    tables = {
        "active": _active(rng, fmt, size),
        "applications": _applications(rng, fmt, size),
        "review_litigation": _review(rng),
    }
    if rng.random() < 0.2:
        _blank_out(rng, tables)
    if rng.random() < 0.08:
        _break_rule(rng, tables, fmt)
    record.update(tables)
    return record


def edited(record: dict, generation: int) -> dict:
    """The record after an editor's correction: one cell changed (a section sentence for table-less reports)."""
    import copy

    new = copy.deepcopy(record)
    if "applications" in new:
        cols = new["applications"]["new"]
        cols["natural_person"] = (cols["natural_person"] or 0) + generation
    else:
        new["sections"]["1"] = new["sections"]["1"] + f"（第{generation}次更正）"
    return new
