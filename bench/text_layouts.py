"""Cells read per text layout (issue 14), printed by bench/accuracy.py after its own figures.

Real texts: the seed (tab-separated PDF text) and sample 13 (the text of expected record 02) as published, with tabs
turned into spaces (a pypdf/pdfium text layer: blank cells leave no trace) and with all whitespace deleted (a scrape
that joined text nodes); the Hebei scrapes 43 (cells counted out by newlines), 45 and 47 as published (no expected
record: cells read, ambiguous, unsplit). Generated: reports rendered by render.text_layer and render.stripped. A cell is right when value and
type match, wrong when a value is given that is not the report's, null when left null where the report has a value
or listed by the parser as not read (text_layout ambiguous, unsplit): such a cell is lost even where the report left
it blank, and sample 02 has 135 blanks in 199 cells. A lossy layout may leave cells null (its text does not
determine them), never wrong.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from govreports import schema
from govreports.parse import parse_bytes
from govreports.render.text import stripped, text_layer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TRANSFORMS = {
    "as published": lambda body: body,
    "tabs as spaces": lambda body: body.replace("\t", " "),
    "whitespace deleted": lambda body: re.sub(r"\s+|\||#+|-{3,}", "", body),
}


def _body(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return raw.split("\n---\n", 1)[1] if raw.startswith("url:") else raw


def _score(record: dict, truth: dict) -> tuple[int, int, int, int]:
    notes = record.get("text_layout") or {}
    lost = {*notes.get("ambiguous", ()), *notes.get("unsplit", ())}  # left null as not read, not as read blank
    right = wrong = null = cells = 0
    for table, row, col, value in schema.iter_cells(truth):
        got = ((record.get(table) or {}).get(row) or {}).get(col)
        cells += 1
        if got is None:
            lost_cell = value is not None or f"{table}.{row}.{col}" in lost
            null += lost_cell
            right += not lost_cell
        elif got == value and type(got) is type(value):
            right += 1
        else:
            wrong += 1
    return right, wrong, null, cells


def _line(name: str, layout: str, right: int, wrong: int, null: int, cells: int, extra: str = "") -> None:
    print(f"  {name:<28} {layout:<20} {right:>5}/{cells:<5} wrong {wrong:<3} null {null:<4} {extra}")


def _generated(fmt: str, rng: random.Random) -> dict:
    """A record whose tables 三 and 四 keep R1–R4 (as real ones mostly do), a blank now and then in table 二."""
    from strategies import record_fixture

    record = record_fixture(fmt)
    pick = lambda: rng.choice((0, 0, 0, 1, 2, 5, 12, 25, rng.randint(0, 400)))  # noqa: E731
    for cols in record["active"].values():
        for m in cols:
            if m != "amount_unit" and cols[m] is not None and rng.random() < 0.3:
                cols[m] = pick() if isinstance(cols[m], int) else cols[m]
    apps = record["applications"]
    outcome = {r: [pick() for _ in range(6)] for r in schema.OUTCOME_ROWS[fmt]}
    total = [sum(v[i] for v in outcome.values()) for i in range(6)]
    carried_out = [pick() for _ in range(6)]
    carried_in = [min(pick(), t + o) for t, o in zip(total, carried_out)]
    new = [t + o - c for t, o, c in zip(total, carried_out, carried_in)]
    for row, vals in {**outcome, "new": new, "carried_in": carried_in, "total": total,
                      "carried_out": carried_out}.items():
        apps[row] = dict(zip(schema.APPLICANT_COLUMNS, [*vals, sum(vals)]))
    for group in record["review_litigation"]:
        parts = [pick() for _ in range(4)]
        record["review_litigation"][group] = dict(zip(schema.REVIEW_MEASURES, [*parts, sum(parts)]))
    return record


def report(samples: Path, n_generated: int = 40) -> None:
    print("\ncells read per text layout (issue 14)")
    expected = samples / "expected"
    pairs = [("seed 000 (PDF text)", samples / "seed" / "000_dc3a28ed7fcc2bfa.txt", expected / "000_dc3a28ed7fcc2bfa.json"),
             ("13 (text of 02)", samples / "texts" / "13_shanghai_szfbgt_2019.txt",
              expected / "02_shanghai_szfbgt_2019_fragment.json")]
    for name, path, truth_path in pairs:
        if not (path.is_file() and truth_path.is_file()):
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for layout, transform in TRANSFORMS.items():
            record = parse_bytes(transform(_body(path)).encode("utf-8"))
            _line(name, layout, *_score(record, truth))
    for stem, layout in (("43_hebei_jyt_2019", "newline-counted cells"), ("45_hebei_gxt_2020", "stripped scrape"),
                         ("47_hebei_kjt_2021", "stripped scrape")):
        path = samples / "texts" / f"{stem}.txt"
        if path.is_file():
            record = parse_bytes(_body(path).encode("utf-8"))
            cells = list(schema.iter_cells(record))
            notes = record.get("text_layout", {})
            print(f"  {stem:<28} {layout:<20} {sum(v is not None for *_, v in cells):>5}/{len(cells):<5} "
                  f"recovered {len(notes.get('recovered', ()))}, ambiguous {len(notes.get('ambiguous', ()))}, "
                  f"unsplit {len(notes.get('unsplit', ()))}")
    _metadata_kept(samples)
    rng = random.Random(14)
    for layout, render in (("text_layer (pypdf)", text_layer), ("stripped scrape", stripped)):
        totals = [0, 0, 0, 0]
        for i in range(n_generated):
            record = _generated(("2019", "2021")[i % 2], rng)
            for k, v in enumerate(_score(parse_bytes(render(record).encode("utf-8")), record)):
                totals[k] += v
        _line(f"{n_generated} generated reports", layout, *totals)


def _metadata_kept(samples: Path) -> None:
    """Title, agency, year, format and date of every real text, as published and with whitespace deleted: a scrape
    that ran the page together (chrome, title, date, body) should name the same facts, or none."""
    keys = ("title", "agency", "year", "format", "published")
    paths = sorted((samples / "texts").glob("*.txt")) + sorted((samples / "seed").glob("*.txt"))
    same = {k: 0 for k in keys}
    lost = {k: 0 for k in keys}
    for path in paths:
        body = _body(path)
        original = parse_bytes(body.encode("utf-8"))
        scraped = parse_bytes(TRANSFORMS["whitespace deleted"](body).encode("utf-8"))
        for k in keys:
            same[k] += scraped.get(k) == original.get(k)
            lost[k] += scraped.get(k) is None and original.get(k) is not None
    print(f"  metadata of {len(paths)} real texts, whitespace deleted, same as published: "
          + ", ".join(f"{k} {same[k]}" for k in keys)
          + (f" (lost: {', '.join(f'{k} {n}' for k, n in lost.items() if n)})" if any(lost.values()) else ""))
