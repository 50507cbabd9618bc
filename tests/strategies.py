"""Hypothesis strategies for canonical records, for round-trip tests (render -> parse -> same record).

Records are valid in shape (every key the schema lists for the format, via schema.empty_tables) but not necessarily
consistent (rules R1-R4 may fail), because the parser must reproduce numbers, not check them. Section texts come from
a fixed list of sentences that never start like a heading and never contain a table label, so a parser cannot be
excused for cutting a section short. The `checks` key is left out: the parser computes it.
"""

from __future__ import annotations

import copy
import datetime as dt

from hypothesis import strategies as st

from govreports import schema
from govreports.demo.records import SENTENCES as DEMO_SENTENCES

AGENCIES = (
    "牡丹江市科学技术局",
    "上海市人民政府办公厅",
    "保康县农业农村局",
    "威海市文登区信访局",
    "来凤县政务服务和大数据管理局",
    "武汉市汉阳区人民政府办公室",
    "武汉市生态环境局",
    "乌海市工业和信息化局",
    "沭阳县人民政府",
    "河北省教育厅",
    "重庆市大足区卫生健康委员会",
    "琼海市大路镇人民政府",
)

FORMAT_YEARS = {"2019": (2019, 2020), "2021": (2021, 2025)}

# the demo portal's section sentences (never heading-like, no table labels), with their counts filled in
SENTENCES = {number: tuple(s.replace("{n}", "12") for s in pool) for number, pool in DEMO_SENTENCES.items()}

counts = st.one_of(st.none(), st.integers(0, 100000))
changes = st.one_of(st.none(), st.integers(-50, 50))
# decimals are built from integers so that repr() gives back exactly the digits a report would print
three_decimals = st.integers(0, 10**8).map(lambda n: n / 1000)
two_decimals = st.integers(0, 10**10).map(lambda n: n / 100)


def _paragraph(number: str):
    return st.lists(st.sampled_from(SENTENCES[number]), min_size=1, max_size=3, unique=True).map("".join)


def _section(number: str, max_paragraphs: int):
    return st.lists(_paragraph(number), min_size=1, max_size=max_paragraphs, unique=True).map("\n".join)


@st.composite
def _active(draw, fmt: str) -> dict:
    active = schema.empty_tables(fmt)["active"]
    for item, cols in active.items():
        for measure in cols:
            if measure == "change":
                cols[measure] = draw(changes)
            elif measure == "amount_10k_yuan":
                cols[measure] = draw(st.one_of(st.none(), st.integers(0, 100000), three_decimals))
            elif measure == "amount":
                cols[measure] = draw(st.one_of(st.none(), st.integers(0, 10**8), two_decimals))
            elif measure == "amount_unit":
                cols[measure] = None if cols["amount"] is None else draw(st.sampled_from(("元", "万元", None)))
            else:
                cols[measure] = draw(counts)
    return active


@st.composite
def _table(draw, fmt: str, key: str) -> dict:
    table = schema.empty_tables(fmt)[key]
    for cols in table.values():
        for col in cols:
            cols[col] = draw(counts)
    return table


@st.composite
def records(draw, fmt: str | None = None, max_paragraphs: int = 1) -> dict:
    """Records of format `fmt` ("2019" | "2021", both if None). Sections hold up to `max_paragraphs` paragraphs
    joined by "\\n" (renderers write one paragraph per line / <p>)."""
    fmt = fmt or draw(st.sampled_from(schema.TABLE_FORMATS))
    agency = draw(st.sampled_from(AGENCIES))
    year = draw(st.integers(*FORMAT_YEARS[fmt]))
    published = draw(st.one_of(st.none(), st.dates(dt.date(year + 1, 1, 1), dt.date(year + 1, 3, 31))))
    return {
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "agency": agency,
        "year": year,
        "format": fmt,
        "published": published.isoformat() if published else None,
        "sections": {n: draw(_section(n, max_paragraphs)) for n in schema.SECTION_HEADINGS},
        "active": draw(_active(fmt)),
        "applications": draw(_table(fmt, "applications")),
        "review_litigation": draw(_table(fmt, "review_litigation")),
    }


def record_fixture(fmt: str) -> dict:
    """One fixed record per format with every kind of value: 0, blanks, a negative change, decimals, a unit."""
    year = {"2019": 2020, "2021": 2022}[fmt]
    agency = "牡丹江市科学技术局" if fmt == "2019" else "威海市文登区信访局"
    tables = copy.deepcopy(schema.empty_tables(fmt))
    for i, (item, cols) in enumerate(tables["active"].items()):
        for j, measure in enumerate(cols):
            cols[measure] = 10 * i + j
    if fmt == "2019":
        tables["active"]["licensing"]["change"] = -3
        tables["active"]["other_services"]["change"] = 0
        tables["active"]["penalty"]["decisions"] = None
        tables["active"]["procurement"].update(projects=6, amount=251000.5, amount_unit="元")
    else:
        tables["active"]["fees"]["amount_10k_yuan"] = 4068.208
        tables["active"]["licensing"]["decisions"] = None
    for i, (row, cols) in enumerate(tables["applications"].items()):
        for j, col in enumerate(cols):
            cols[col] = None if (i + j) % 5 == 4 else (i * 7 + j * 3) % 40
    for i, (group, cols) in enumerate(tables["review_litigation"].items()):
        for j, measure in enumerate(cols):
            cols[measure] = None if (i, j) == (1, 2) else i + j
    sections = {n: SENTENCES[n][0] for n in schema.SECTION_HEADINGS}
    sections["1"] = SENTENCES["1"][0] + "\n" + SENTENCES["1"][2] + SENTENCES["1"][3]
    return {
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "agency": agency,
        "year": year,
        "format": fmt,
        "published": f"{year + 1}-01-14",
        "sections": sections,
        **tables,
    }


# --- layouts that lose information (issue 14): PDF text layers drop blank cells, scrapes drop all whitespace --------

small_counts = st.one_of(st.sampled_from((0, 0, 0, 1, 2, 3, 7, 12, 25)), st.integers(0, 400))


@st.composite
def dense_records(draw, fmt: str | None = None) -> dict:
    """Records whose cells are mostly filled (a blank now and then), so that rows of lossy layouts are often whole."""
    record = draw(records(fmt))
    for table in ("active", "applications", "review_litigation"):
        for cols in record[table].values():
            for col, value in cols.items():
                if value is None and col != "amount_unit" and draw(st.integers(0, 7)):
                    cols[col] = draw(small_counts) if col != "amount_10k_yuan" else draw(three_decimals)
            if "amount_unit" in cols:
                cols["amount_unit"] = None if cols["amount"] is None else cols["amount_unit"]
    return record


@st.composite
def consistent_records(draw, fmt: str | None = None) -> dict:
    """Records whose tables 三 and 四 are whole and keep rules R1–R4 (as most real reports do): the rules are what
    splits a run-together row, so they must hold for a split to be forced."""
    record = draw(records(fmt))
    fmt = record["format"]
    ncol = len(schema.APPLICANT_COLUMNS) - 1
    apps = record["applications"]
    row_of = lambda: [draw(small_counts) for _ in range(ncol)]  # noqa: E731
    outcome = {row: row_of() for row in schema.OUTCOME_ROWS[fmt]}
    total = [sum(v[i] for v in outcome.values()) for i in range(ncol)]
    carried_out = row_of()
    carried_in = [min(c, t + o) for c, t, o in zip(row_of(), total, carried_out)]
    new = [t + o - c for t, o, c in zip(total, carried_out, carried_in)]
    for row, values in {**outcome, "new": new, "carried_in": carried_in, "total": total,
                        "carried_out": carried_out}.items():
        apps[row] = dict(zip(schema.APPLICANT_COLUMNS, [*values, sum(values)]))
    for group in record["review_litigation"]:
        parts = [draw(small_counts) for _ in range(4)]
        record["review_litigation"][group] = dict(zip(schema.REVIEW_MEASURES, [*parts, sum(parts)]))
    return record
