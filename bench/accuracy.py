"""Cell accuracy of the parser on every real sample with an exact expected record (../shared/samples/expected).

Prints, per sample and overall, the table cells parsed right out of the cells expected, and which metadata fields
match. A cell is right only when value and JSON type agree (a null is not a 0, an int is not a float), and a null
only where the parser did not say it could not read the cell (text_layout ambiguous, unsplit). A record that read
nothing still leaves a blank cell null, so beside every cell figure the numbers right (cells with a value in the
expected record) are printed: sample 02 has 135 blanks of 199 cells, and a record of nulls scored 135/199. Then each
expected record rendered as a PDF (reportlab, ruled tables) and read back by both PDF paths, the fast one (PDFium,
extract.pdfium) and pdfplumber: every cell pdfplumber reads right and the fast path does not is named, cell by cell
(the two counts can be equal while the fast path loses a cell and gets another right). Then
the share of cells read per input kind (HTML, DOCX, PDF, OFD, Word .doc, .xlsx, Excel 97 .xls, scanned PDF), and per
text layout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from govreports.extract import limits
from govreports.extract.pdf import extract_pdf
from govreports.parse import parse_path
from govreports.parse.report import build_record

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("GOVREPORTS_SHARED", ROOT.parent / "shared")) / "samples"
META = ("title", "agency", "year", "format", "published")


def cell_results(expected: dict, record: dict) -> dict[str, tuple[bool, bool]]:
    """Every expected cell, "table.row.col": (right, has a value in the expected record). A cell the parser lists as
    not read (text_layout ambiguous or unsplit) is never right: it is null because it was lost, not read blank."""
    notes = record.get("text_layout") or {}
    lost = {*notes.get("ambiguous", ()), *notes.get("unsplit", ())}
    results = {}
    for table in ("active", "applications", "review_litigation"):
        for row, cols in expected.get(table, {}).items():
            for col, value in cols.items():
                key = f"{table}.{row}.{col}"
                got = ((record.get(table) or {}).get(row) or {}).get(col, "missing")
                results[key] = (got == value and type(got) is type(value) and key not in lost, value is not None)
    return results


def cells_right(expected: dict, record: dict) -> tuple[int, int, int, int]:
    """(cells right, cells, numbers right, numbers): the numbers are the cells with a value in the expected record,
    which a record that lost every cell cannot get right."""
    results = cell_results(expected, record).values()
    return (sum(r for r, _ in results), len(results), sum(r for r, number in results if number),
            sum(number for _, number in results))


def _share(right: int, cells: int) -> str:
    return f"{right:>6}/{cells:<7}"


def pdf_paths(expected_dir: Path) -> None:
    from govreports.render import to_pdf

    print(f"\n{'as PDF (rendered)':<45} {'fast path':>14} {'pdfplumber':>14} {'numbers: fast':>14} {'pdfplumber':>14}")
    totals = [0, 0, 0, 0, 0, 0]
    lost: list[str] = []  # cells pdfplumber reads right and the fast path does not: equal counts can hide them
    for path in sorted(expected_dir.glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        data = to_pdf(expected)
        assert limits.check(data, "pdf") is None
        fast_record = build_record(extract_pdf(data), {}) or {}
        slow_record = build_record(extract_pdf(data, fast=False), {}) or {}
        fast, _, fast_numbers, _ = cells_right(expected, fast_record)
        slow, cells, slow_numbers, numbers = cells_right(expected, slow_record)
        fast_results = cell_results(expected, fast_record)
        lost += [f"{path.stem}: {key}" for key, (right, _) in cell_results(expected, slow_record).items()
                 if right and not fast_results[key][0]]
        totals = [t + v for t, v in zip(totals, (fast, slow, cells, fast_numbers, slow_numbers, numbers))]
        print(f"{path.stem:<45} {_share(fast, cells)} {_share(slow, cells)} {_share(fast_numbers, numbers)} "
              f"{_share(slow_numbers, numbers)}")
    print(f"{'overall':<45} {_share(totals[0], totals[2])} {_share(totals[1], totals[2])} "
          f"{_share(totals[3], totals[5])} {_share(totals[4], totals[5])}"
          f" {f'(CELLS LOST by the fast path: {len(lost)})' if lost else '(no cell lost)'}")
    for cell in lost:
        print(f"  lost by the fast path: {cell}")


def input_kinds(expected_dir: Path, scans: int = 2) -> None:
    """The share of cells read from each input kind a portal serves (issue 13): every expected record rendered as
    HTML, DOCX, PDF, OFD, .xlsx, (where xlwt is installed) .xls and (where LibreOffice can make one) Word .doc, and
    the first `scans` as an image-only PDF and as pictures of its pages (150-dpi JPEGs, a 图片版 report) read by OCR
    (2–7 s a page). Goes through parse_bytes, as the crawl does."""
    from govreports.demo.documents import can_make_doc, can_make_xls, picture_pages, scanned_pdf, word97
    from govreports.extract.images import bundle
    from govreports.parse import parse_bytes
    from govreports.render import to_docx, to_html, to_pdf
    from govreports.render.ofd import to_ofd
    from govreports.render.sheet import to_xls, to_xlsx

    makers = {"html": lambda r: to_html(r).encode("utf-8"),
              "docx": to_docx, "pdf": to_pdf, "ofd": to_ofd, "xlsx": to_xlsx}
    if can_make_xls():
        makers["xls"] = to_xls
    if can_make_doc():
        makers["doc"] = lambda r: word97(to_docx(r))
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(expected_dir.glob("*.json"))]
    print(f"\n{'input kind':<12} {'reports':>8} {'cells read':>16} {'numbers read':>22}")
    ocr_kinds = [("scan", lambda r: scanned_pdf(to_pdf(r))), ("pictures", lambda r: bundle(picture_pages(r)))]
    for kind, make in [*makers.items(), *ocr_kinds]:
        chosen = records[:scans] if kind in ("scan", "pictures") else records
        right = cells = numbers_right = numbers = 0
        for record in chosen:
            try:
                got = parse_bytes(make(record), f"r.{kind}")
            except Exception as exc:  # noqa: BLE001 - a kind that fails is counted as no cell read
                print(f"  {kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
                got = {}
            r, c, nr, n = cells_right(record, got)
            right, cells, numbers_right, numbers = right + r, cells + c, numbers_right + nr, numbers + n
        print(f"{kind:<12} {len(chosen):>8} {right:>7}/{cells:<7} {100 * right / max(cells, 1):5.1f}%"
              f" {numbers_right:>7}/{numbers:<7} {100 * numbers_right / max(numbers, 1):5.1f}%")
    if "doc" not in makers:
        print("doc: not measured (LibreOffice, Debian package libreoffice-writer-nogui, makes the test files)")


def main() -> int:
    expected_dir = SAMPLES / "expected"
    if not expected_dir.is_dir():
        print(f"no expected records at {expected_dir}", file=sys.stderr)
        return 1
    sources = {p.stem: p for d in ("seed", "html", "texts") for p in (SAMPLES / d).glob("*") if p.is_file()}
    total_right = total_cells = total_numbers_right = total_numbers = 0
    print(f"{'sample':<45} {'cells right':>14} {'numbers right':>14} {'metadata':>10}")
    for path in sorted(expected_dir.glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        outcome = parse_path(sources[path.stem])
        record = outcome.record or {}
        right, cells, numbers_right, numbers = cells_right(expected, record)
        meta = sum(record.get(k) == expected.get(k) for k in META)
        total_right, total_cells = total_right + right, total_cells + cells
        total_numbers_right, total_numbers = total_numbers_right + numbers_right, total_numbers + numbers
        print(f"{path.stem:<45} {_share(right, cells)} {_share(numbers_right, numbers)} {meta:>6}/{len(META)}")
    print(f"{'overall':<45} {_share(total_right, total_cells)} {_share(total_numbers_right, total_numbers)}"
          f" = {100 * total_right / max(total_cells, 1):.2f}% of cells, "
          f"{100 * total_numbers_right / max(total_numbers, 1):.2f}% of numbers")
    pdf_paths(expected_dir)
    input_kinds(expected_dir)
    from text_layouts import report as text_layouts  # cells read per text layout (issue 14): bench/text_layouts.py

    text_layouts(SAMPLES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
