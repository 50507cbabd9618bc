"""Cell accuracy of the parser on every real sample with an exact expected record (../shared/samples/expected).

Prints, per sample and overall, the table cells parsed right out of the cells expected, and which metadata fields
match. A cell is right only when value and JSON type agree (a null is not a 0, an int is not a float). Then each
expected record rendered as a PDF (reportlab, ruled tables) and read back by both PDF paths, the fast one (PDFium,
extract.pdfium) and pdfplumber: a cell the fast path loses shows as a difference between the two columns. Then
the share of cells read per input kind (HTML, DOCX, PDF, OFD, Word .doc, scanned PDF), and per text layout.
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


def cells_right(expected: dict, record: dict) -> tuple[int, int]:
    right = cells = 0
    for table in ("active", "applications", "review_litigation"):
        for row, cols in expected.get(table, {}).items():
            for col, value in cols.items():
                got = (record.get(table) or {}).get(row, {}).get(col, "missing")
                cells += 1
                right += got == value and type(got) is type(value)
    return right, cells


def pdf_paths(expected_dir: Path) -> None:
    from govreports.render import to_pdf

    print(f"\n{'as PDF (rendered)':<45} {'fast path':>14} {'pdfplumber':>14}")
    totals = [0, 0, 0]
    for path in sorted(expected_dir.glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        data = to_pdf(expected)
        assert limits.check(data, "pdf") is None
        fast, _ = cells_right(expected, build_record(extract_pdf(data), {}) or {})
        slow, cells = cells_right(expected, build_record(extract_pdf(data, fast=False), {}) or {})
        totals = [totals[0] + fast, totals[1] + slow, totals[2] + cells]
        print(f"{path.stem:<45} {fast:>6}/{cells:<7} {slow:>6}/{cells:<7}")
    print(f"{'overall':<45} {totals[0]:>6}/{totals[2]:<7} {totals[1]:>6}/{totals[2]:<7}"
          f" {'(no cell lost)' if totals[0] >= totals[1] else '(CELLS LOST by the fast path)'}")


def input_kinds(expected_dir: Path, scans: int = 2) -> None:
    """The share of cells read from each input kind a portal serves (issue 13): every expected record rendered as
    HTML, DOCX, PDF, OFD and (where LibreOffice can make one) Word .doc, and the first `scans` as an image-only PDF
    read by OCR (2–7 s a page). Goes through parse_bytes, as the crawl does."""
    from govreports.demo.documents import can_make_doc, scanned_pdf, word97
    from govreports.parse import parse_bytes
    from govreports.render import to_docx, to_html, to_pdf
    from govreports.render.ofd import to_ofd

    makers = {"html": lambda r: to_html(r).encode("utf-8"),
              "docx": to_docx, "pdf": to_pdf, "ofd": to_ofd}
    if can_make_doc():
        makers["doc"] = lambda r: word97(to_docx(r))
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(expected_dir.glob("*.json"))]
    print(f"\n{'input kind':<12} {'reports':>8} {'cells read':>16}")
    for kind, make in [*makers.items(), ("scan", lambda r: scanned_pdf(to_pdf(r)))]:
        chosen = records[:scans] if kind == "scan" else records
        right = cells = 0
        for record in chosen:
            try:
                got = parse_bytes(make(record), f"r.{kind}")
            except Exception as exc:  # noqa: BLE001 - a kind that fails is counted as no cell read
                print(f"  {kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
                got = {}
            r, c = cells_right(record, got)
            right, cells = right + r, cells + c
        print(f"{kind:<12} {len(chosen):>8} {right:>7}/{cells:<7} {100 * right / max(cells, 1):5.1f}%")
    if "doc" not in makers:
        print("doc: not measured (LibreOffice, Debian package libreoffice-writer-nogui, makes the test files)")


def main() -> int:
    expected_dir = SAMPLES / "expected"
    if not expected_dir.is_dir():
        print(f"no expected records at {expected_dir}", file=sys.stderr)
        return 1
    sources = {p.stem: p for d in ("seed", "html", "texts") for p in (SAMPLES / d).glob("*") if p.is_file()}
    total_right = total_cells = 0
    print(f"{'sample':<45} {'cells right':>14} {'metadata':>10}")
    for path in sorted(expected_dir.glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        outcome = parse_path(sources[path.stem])
        record = outcome.record or {}
        right, cells = cells_right(expected, record)
        meta = sum(record.get(k) == expected.get(k) for k in META)
        total_right += right
        total_cells += cells
        print(f"{path.stem:<45} {right:>6}/{cells:<7} {meta:>6}/{len(META)}")
    print(f"{'overall':<45} {total_right:>6}/{total_cells:<7} = {100 * total_right / max(total_cells, 1):.2f}%")
    pdf_paths(expected_dir)
    input_kinds(expected_dir)
    from text_layouts import report as text_layouts  # cells read per text layout (issue 14): bench/text_layouts.py

    text_layouts(SAMPLES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
