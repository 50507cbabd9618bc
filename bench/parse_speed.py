"""Parse speed on one core: reports per second for the real 2019 HTML report and for a ~100 KB Word-export
portal page (a generated report in the Word-export layout, with long sections, inside portal chrome); and a 6-page
2021-format PDF report (200 cells; the fixture's sections repeated until reportlab sets six A4 pages) read by the
fast path (PDFium, extract.pdfium) and by pdfplumber side by side, with the cells each read right; and the 2021
form as a DOCX and an OFD.

Goals (issues "Parse any annual report…", 12): ≥ 150 reports/s for HTML; a 6-page PDF in ≤ 40 ms, same cells.
Prints figures (CPU time, best of several runs: the machine is shared; the HTML and seed-text rates are wall clock,
a mean, and say so); asserts nothing. `--pdf FILE` adds a real PDF's
figures (both paths, cells read, the fast path's doubts).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from govreports.extract import limits  # noqa: E402
from govreports.extract.pdf import extract_pdf  # noqa: E402
from govreports.parse import parse_bytes  # noqa: E402
from govreports.parse.report import build_record  # noqa: E402
from govreports.render import to_html, to_pdf  # noqa: E402
from strategies import record_fixture  # noqa: E402

from accuracy import cells_right  # noqa: E402  (one count: a lost cell is never right, numbers apart from blanks)

SAMPLES = Path(os.environ.get("GOVREPORTS_SHARED", ROOT.parent / "shared")) / "samples"


def word_page(target_bytes: int = 100_000) -> bytes:
    record = record_fixture("2019")
    base = dict(record["sections"])
    page = to_html(record, style="word").encode("utf-8")
    factor = 1
    while len(page) < target_bytes:  # grow the narrative sections until the page is the size of a real one
        factor += 1
        record["sections"] = {k: "\n".join([v] * factor) for k, v in base.items()}
        page = to_html(record, style="word").encode("utf-8")
    return page


def rate(name: str, data: bytes, seconds: float = 3.0) -> None:
    """Wall clock, the mean of every parse in `seconds` (not a best of: other work on the machine counts in it);
    said on the line, as the other lines are CPU time, best of N."""
    parse_bytes(data)  # warm up (imports, OpenCC dictionaries)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        parse_bytes(data)
        n += 1
    elapsed = time.perf_counter() - start
    print(f"{name:<48} {len(data) / 1000:>7.1f} KB  {n / elapsed:>8.1f} reports/s  {1000 * elapsed / n:>6.2f} ms/report"
          f"  (wall, mean of {n})")


def html_stages(data: bytes, repeats: int = 15, n: int = 20) -> None:
    """Where an HTML parse's time goes (issue 12, part 4): CPU time per stage, best of `repeats` batches of `n`
    (process time, so other work on a shared machine counts less than in the wall-clock rates above)."""
    import copy

    from lxml import etree

    from govreports.extract.decode import decode_bytes
    from govreports.extract.html import _PARSER, _UNREAD_ATTRS, extract_html
    from govreports.parse.normalize import annotate
    from govreports.parse.report import build_record

    text, _ = decode_bytes(data, None)
    styleless = _UNREAD_ATTRS.sub("", text)
    document = extract_html(text)

    def fresh():
        return copy.deepcopy(document)

    def cpu(fn, setup=None) -> float:
        best = float("inf")
        for _ in range(repeats):
            args = [setup() for _ in range(n)] if setup else [None] * n
            start = time.process_time()
            for a in args:
                fn(a)
            best = min(best, (time.process_time() - start) / n)
        return best * 1000

    stages = [
        ("decode (bytes → str)", cpu(lambda _: decode_bytes(data, None))),
        ("lxml parse", cpu(lambda _: etree.fromstring(text, _PARSER))),
        ("  unread attributes (style, width, …) dropped first",
         cpu(lambda _: _UNREAD_ATTRS.sub("", text))),
        ("  lxml parse of what is left", cpu(lambda _: etree.fromstring(styleless, _PARSER))),
        ("extract_html (parse + walk + report region)", cpu(lambda _: extract_html(text))),
        ("build_record (keys, tables, sections, meta, checks)", cpu(lambda d: build_record(d, {}), fresh)),
        ("  of which match keys (NFKC + OpenCC)", cpu(lambda d: annotate(d.blocks), fresh)),
        ("parse_bytes, all of it", cpu(lambda _: parse_bytes(data))),
        ("parse_bytes, in a parse worker's GC settings (gcpolicy)", in_a_worker(cpu, parse_bytes, data)),
    ]
    for name, ms in stages:
        print(f"  {name:<58} {ms:>6.2f} ms CPU")


def in_a_worker(cpu, parse, data: bytes) -> float:
    """`cpu` of a parse under the collector settings a parse worker has (gcpolicy); this process's restored after."""
    import gc

    from govreports import gcpolicy

    threshold = gc.get_threshold()
    gcpolicy.for_document_batches()
    try:
        return cpu(lambda _: parse(data))
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def six_page_pdf() -> tuple[dict, bytes]:
    """The 2021 fixture (200 cells) with its sections repeated until the PDF has six pages."""
    import pypdfium2

    record = record_fixture("2021")
    base = dict(record["sections"])
    data, factor = to_pdf(record), 1
    while len(pypdfium2.PdfDocument(data)) < 6:
        factor += 1
        record["sections"] = {k: "\n".join([v] * factor) for k, v in base.items()}
        data = to_pdf(record)
    return record, data


def pdf_paths(repeats: int = 15) -> None:
    """parse_bytes (limits, fast path, parser, and pdfplumber's second reading where parse.api asks for one)
    against the same steps with pdfplumber as the reader; CPU time, best of `repeats`."""
    record, data = six_page_pdf()
    for name, fast in (("PDF 6 pages, fast path (PDFium)", True), ("PDF 6 pages, pdfplumber", False)):
        parsed, ms, n = pdf_timing(data, fast, repeats if fast else max(repeats // 5, 3))
        right, total, numbers_right, numbers = cells_right(record, parsed)
        print(f"{name:<48} {len(data) / 1000:>7.1f} KB  {1000 / ms:>8.1f} reports/s  {ms:>6.2f} ms/report"
              f"  (CPU, best of {n}; {right}/{total} cells right, {numbers_right}/{numbers} numbers;"
              f" read by {parsed.get('pdf_reader')})")


def pdf_timing(data: bytes, fast: bool, n: int) -> tuple[dict, float, int]:
    """The record and the best CPU milliseconds of n parses: parse_bytes on the fast path, or the same steps with
    pdfplumber as the only reader."""
    def slow() -> dict:
        limits.check(data, "pdf")
        document = extract_pdf(data, fast=False)
        return {**(build_record(document, {}) or {}), "pdf_reader": document.meta.get("pdf_reader")}

    parsed, ms = best_cpu((lambda: parse_bytes(data)) if fast else slow, n)
    return parsed, ms, n


def best_cpu(fn, n: int):
    """fn's result (a warm-up call) and the best CPU milliseconds of n more calls."""
    result = fn()
    best = float("inf")
    for _ in range(n):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return result, 1000 * best


def office_forms(repeats: int = 15) -> None:
    """The 2021 fixture as a Word document (python-docx's template: 0.8 MB of styles XML the reader never parses)
    and as an OFD; CPU time, best of `repeats`, with the cells read right."""
    from govreports.render import to_docx
    from govreports.render.ofd import to_ofd

    record = record_fixture("2021")
    for name, data in (("DOCX 2021 form (python-docx template)", to_docx(record)), ("OFD 2021 form", to_ofd(record))):
        parsed, ms = best_cpu(lambda: parse_bytes(data), repeats)
        right, total, numbers_right, numbers = cells_right(record, parsed)
        print(f"{name:<48} {len(data) / 1000:>7.1f} KB  {1000 / ms:>8.1f} reports/s  {ms:>6.2f} ms/report"
              f"  (CPU, best of {repeats}; {right}/{total} cells right, {numbers_right}/{numbers} numbers)")


def real_pdf(path: Path, repeats: int = 10) -> None:
    """A real PDF given on the command line (`--pdf FILE`; never in the repository): both paths' CPU time and
    the form cells each read (parse.api.cells_read_share), and the fast path's doubts if it has any."""
    from govreports.parse.api import cells_read_share

    data = path.read_bytes()
    fast_only = build_record(extract_pdf(data), {}) or {}
    doubts = extract_pdf(data).meta.get("pdf_doubts", "none")
    for label, fast in (("fast path (PDFium)", True), ("pdfplumber", False)):
        parsed, ms, n = pdf_timing(data, fast, repeats if fast else max(repeats // 5, 3))
        print(f"{path.name + ', ' + label:<48} {len(data) / 1000:>7.1f} KB  {ms:>6.2f} ms CPU (best of {n})"
              f"  cells read {cells_read_share(parsed):.3f}; read by {parsed.get('pdf_reader')}")
    print(f"  the fast path alone reads {cells_read_share(fast_only):.3f} of the cells; its doubts: {doubts}")


def main() -> int:
    rate("real 2019 HTML (02_shanghai_szfbgt_2019_fragment)",
         (SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html").read_bytes())
    rate("Word-export portal page (generated)", word_page())
    html_stages(word_page())
    seed = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    rate("seed text (tab-separated PDF text)", seed.read_bytes())
    office_forms()
    pdf_paths()
    if "--pdf" in sys.argv:
        real_pdf(Path(sys.argv[sys.argv.index("--pdf") + 1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
