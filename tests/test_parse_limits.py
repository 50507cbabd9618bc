"""Bounded work per document (issue 8, item 1): static limits refuse hostile documents before any extractor
expands them, the commands name a limit in one line, and a crawl records a hostile attachment with its kind and
goes on. The hostile documents are built by govreports.demo.hostile. The bounded parser's deadline, memory cap
and workers are tested in test_parse_workers.py."""

from __future__ import annotations

import io
import json
import pickle
import re
import time
import tracemalloc

import pytest
from typer.testing import CliRunner

from conftest import SAMPLES, require_samples
from govreports.cli import app
from govreports.demo import hostile
from govreports.extract import limits
from govreports.parse import ParseError, parse_bytes, parse_path
from govreports.parse.api import ParseLimitError
from govreports.parse.bounded import BoundedParser


def _refused(data: bytes, kind: str, match: str = "") -> ParseLimitError:
    with pytest.raises(ParseLimitError, match=match) as info:
        parse_bytes(data)
    assert info.value.kind == kind
    assert "\n" not in str(info.value)
    return info.value


def _traced(fn):
    """(result or exception, seconds, peak bytes Python allocated) of fn()."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001
            result = exc
        return result, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def no_extractors(monkeypatch):
    """No page is read (by PDFium's reader or pdfplumber) and python-docx is not reached: the limit comes first.
    (A PDF's pages are checked as extract_pdf loads each, before it reads the page.)"""
    import govreports.extract.docx as docx_module
    import govreports.extract.pdf as pdf_module
    from govreports.extract import pdfium

    def reached(*_args, **_kwargs):
        raise AssertionError("the extractor ran on a document the limits should have refused")

    monkeypatch.setattr(pdfium, "read_page", reached)
    monkeypatch.setattr(pdf_module, "_plumber_document", reached)
    monkeypatch.setattr(pdf_module, "_plumber_layouts", reached)
    monkeypatch.setattr(docx_module, "extract_docx", reached)


def test_a_pdf_page_past_a_limit_is_refused_before_it_is_read(monkeypatch):
    """A normal page 1, a line grid on page 2: page 1 is read, page 2 is checked as it is loaded and never read,
    and the refusal is limits.check's own."""
    import pypdfium2 as pdfium_lib

    from govreports.extract import pdfium
    from govreports.render import to_pdf
    from strategies import record_fixture

    merged = pdfium_lib.PdfDocument.new()
    for part in (to_pdf(record_fixture("2021")), hostile.line_grid_pdf(250)):
        source = pdfium_lib.PdfDocument(part)
        merged.import_pages(source, [0])
    out = io.BytesIO()
    merged.save(out)
    data = out.getvalue()
    real, read = pdfium.read_page, []

    def reading(page, *args):
        read.append(page)
        return real(page, *args)

    monkeypatch.setattr(pdfium, "read_page", reading)
    err = _refused(data, "too_large", r"PDF page 2 draws 125,500 objects \(limit 50,000\)")
    assert len(read) == 1
    assert limits.check(data, "pdf").message == str(err)


# --- static limits: refused before expansion -------------------------------------------------------------------
def test_zip_bomb_docx_is_a_bomb_refused_from_the_directory(no_extractors):
    data = hostile.zip_bomb_docx()
    assert len(data) < 100_000
    result, seconds, peak = _traced(lambda: parse_bytes(data))
    assert isinstance(result, ParseLimitError) and result.kind == "bomb", result
    assert "word/document.xml" in str(result) and "limit 100×" in str(result)
    assert seconds < 1.0  # generous: ~1 ms here
    assert peak < 5_000_000  # the 31 MB of XML were never inflated


def test_docx_whose_directory_lies_about_a_size_is_caught_inflating_in_steps(no_extractors):
    data = hostile.size_lie_docx()
    result, seconds, peak = _traced(lambda: parse_bytes(data))
    assert isinstance(result, ParseLimitError) and result.kind == "bomb", result
    assert "inflates past twice the 1,024 bytes" in str(result)
    assert peak < 8_000_000  # 1 MB steps, output discarded (zipfile itself would inflate all 31 MB at once)


def test_a_docx_damaged_near_the_end_of_its_document_is_damaged_not_a_bomb():
    """One byte flipped near the end of word/document.xml's deflated data (a download cut or garbled there) made the
    part inflate some bytes past its declared size, in 30 of 38 places: recorded as `bomb`, an attack, where the
    file is damaged (its CRC says so). A stream ending a little past its size is left to the extractor, which
    names the damage; twice the size and a step more is still a bomb (the test above)."""
    import struct
    import zipfile

    from govreports.render import to_docx

    expected = require_samples() / "expected" / "02_shanghai_szfbgt_2019_fragment.json"
    good = to_docx(json.loads(expected.read_text(encoding="utf-8")))
    part = zipfile.ZipFile(io.BytesIO(good)).getinfo("word/document.xml")
    name_len, extra_len = struct.unpack("<HH", good[part.header_offset + 26:part.header_offset + 30])
    end = part.header_offset + 30 + name_len + extra_len + part.compress_size
    kinds = set()
    for back in (5, 10, 20):
        damaged = bytearray(good)
        damaged[end - back] ^= 0x55
        with pytest.raises(ParseError) as err:
            parse_bytes(bytes(damaged))
        kinds.add(getattr(err.value, "kind", "parse"))
        assert "damaged" in str(err.value) and "word/document.xml" in str(err.value), str(err.value)
    assert "bomb" not in kinds, kinds


def _declared_size(data: bytes, name: str, size: int) -> bytes:
    """`data` (a zip) whose directory declares part `name` `size` bytes unpacked."""
    import zipfile

    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        position = archive.start_dir  # the central directory: fixed 46-byte headers, then name, extra, comment
    while data[position + 46:position + 46 + len(name.encode())] != name.encode():
        lengths = [int.from_bytes(data[position + i:position + i + 2], "little") for i in (28, 30, 32)]
        position += 46 + sum(lengths)
    data[position + 24:position + 28] = size.to_bytes(4, "little")
    return bytes(data)


def test_a_size_no_deflate_can_reach_declared_by_a_damaged_directory_is_no_bomb():
    """Found by flipping bytes of XLSX, DOCX and OFD files rendered from the samples: a flipped byte in a part's
    declared size (docProps/app.xml: 398 bytes said to unpack to 2,751.5 MB) was refused as `bomb`, an attack,
    from the directory alone. Deflate unpacks at most 1,032 times what it packs: a size past that is no
    expansion, a damaged (or lying) directory. Such a part is measured inflating, and held to the ratio by what
    it does unpack: this one unpacks its 398 bytes, and the DOCX is read; a bomb declaring such a size is still
    one, told by what it inflates to."""
    from govreports.render import to_docx
    from strategies import record_fixture

    record = record_fixture("2019")
    damaged = _declared_size(to_docx(record), "docProps/app.xml", 0xA400_0000)
    assert limits.check(damaged, "docx") is None
    assert parse_bytes(damaged)["title"] == record["title"]
    bomb = _declared_size(hostile.zip_bomb_docx(), "word/document.xml", 0xA400_0000)
    hit = limits.check(bomb, "docx")
    assert hit is not None and hit.kind == "bomb" and "word/document.xml" in hit.message, hit


def test_entity_bomb_docx_is_refused_and_python_docx_would_not_expand_it(no_extractors):
    _refused(hostile.entity_bomb_docx(), "bomb", "declares a DTD")
    import docx  # the second line of defence: python-docx's parser does not resolve entities
    from lxml import etree

    start = time.perf_counter()
    try:
        document = docx.Document(io.BytesIO(hostile.entity_bomb_docx()))
    except etree.XMLSyntaxError as exc:  # libxml2 ≥ 2.11 refuses the amplification outright
        assert "amplification" in str(exc) or "entity" in str(exc).lower()
    else:
        assert len(document.element.xml) < 100_000  # not 3 × 10**9 characters of "lol"
    assert time.perf_counter() - start < 5.0


def test_line_grid_pdf_is_too_large_before_pdfplumber_runs(no_extractors):
    err = _refused(hostile.line_grid_pdf(250), "too_large", r"PDF page 1 draws 125,500 objects \(limit 50,000\)")
    assert err.line.startswith("too_large: PDF page 1")
    _refused(hostile.line_grid_pdf(100), "too_large", r"PDF page 1 draws 40,400 path segments \(limit 20,000\)")


def test_pdf_characters_and_pages_are_counted(no_extractors):
    _refused(hostile.dense_text_pdf(60_000), "too_large", r"PDF page 1 has 60,\d{3} characters \(limit 20,000\)")
    _refused(hostile.many_pages_pdf(5000), "too_large", r"PDF has 5,000 pages \(limit 1,000\)")


def test_huge_html_is_too_large_and_html_has_a_lower_cap_than_pdf():
    data = hostile.huge_html(30)
    _refused(data, "too_large", r"HTML page too large: 31\.5 MB \(limit 10 MB\)")
    assert limits.check_size(15_000_000, "pdf") is None  # a 15 MB PDF is fine, a 15 MB page is not
    assert limits.check_size(15_000_000, "html").kind == "too_large"


def test_the_zip_of_an_articles_pictures_has_a_larger_bound_than_any_one_file():
    """The crawl's bundle of a 图片版 article's pictures (20 phone photos: 60 MB) is held to images_bytes, within
    what its stored parts may unpack to (zip_expanded: past it, a bomb); one picture, a PDF, to the 40 MB cap."""
    assert limits.check_size(60_000_000, "images") is None
    assert limits.check_size(60_000_000, "image").kind == limits.check_size(60_000_000, "pdf").kind == "too_large"
    assert limits.check_size(limits.DEFAULT_LIMITS.images_bytes + 1, "images").message.startswith("zip of images")
    assert limits.DEFAULT_LIMITS.pdf_bytes < limits.DEFAULT_LIMITS.images_bytes <= limits.DEFAULT_LIMITS.zip_expanded


def test_truncated_pdf_stays_a_damaged_file_not_a_limit():
    with pytest.raises(ParseError, match="damaged or truncated PDF") as info:
        parse_bytes(hostile.truncated_pdf())
    assert not isinstance(info.value, ParseLimitError)


def test_parse_path_reports_the_kind(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(hostile.zip_bomb_docx())
    outcome = parse_path(path)
    assert not outcome.ok and outcome.error_kind == "bomb" and outcome.error.startswith("bomb: DOCX part")


def test_limit_error_crosses_processes_with_its_kind():
    err = pickle.loads(pickle.dumps(ParseLimitError("too_slow", "parsing took more than 20 s of CPU time")))
    assert isinstance(err, ParseError) and err.kind == "too_slow"
    assert err.line == "too_slow: parsing took more than 20 s of CPU time"


def test_real_documents_pass_every_check():
    require_samples()
    from govreports.demo.records import make_record
    from govreports.render import to_docx, to_pdf

    record = make_record(3, "北京市海淀区人民政府办公室", 2021, 1.0)
    assert limits.check(to_pdf(record), "pdf") is None
    assert limits.check(to_docx(record), "docx") is None
    for path in (SAMPLES / "html").glob("*"):
        assert limits.check(path.read_bytes(), "html") is None


# --- the commands -----------------------------------------------------------------------------------------------
def test_cli_parse_names_a_bomb_in_one_line_and_exits_1(tmp_path):
    require_samples()
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(hostile.zip_bomb_docx())
    good = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    result = CliRunner().invoke(app, ["parse", str(bomb), str(good)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bomb}: bomb: DOCX part word/document.xml unpacks ")
    assert lines[0].endswith("to 31.5 MB (343×, limit 100×)")
    assert "牡丹江市科学技术局" in result.stdout


def test_cli_parse_too_slow_and_json_unchanged_for_good_files(tmp_path):
    require_samples()
    grid = tmp_path / "grid.pdf"
    grid.write_bytes(hostile.line_grid_pdf(70, text=True))
    result = CliRunner().invoke(app, ["parse", "--deadline", "0.3", str(grid)])
    assert result.exit_code == 1
    # 0.3 s of CPU in pdfplumber; on a machine too loaded to give the worker a third of a core, the clock's 0.9 s
    assert re.fullmatch(rf"error: {re.escape(str(grid))}: too_slow: parsing took (more than 0\.3 s of CPU time|"
                        r"longer than 0\.9 s on the clock \(.*\))", result.stderr.strip()), result.stderr
    good = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    result = CliRunner().invoke(app, ["parse", "--json", str(good)])
    assert result.exit_code == 0
    assert result.stdout == json.dumps(parse_bytes(good.read_bytes(), good.name), ensure_ascii=False, indent=2) + "\n"


# --- a crawl ----------------------------------------------------------------------------------------------------
def test_crawl_records_hostile_attachments_with_their_kind_and_later_reports_still_load(tmp_path):
    """A local site lists four reports: one whose attachment is a zip bomb, one whose attachment rules a
    250×250 grid, one whose page is 12 MB of HTML, one real report page. The hostile ones fail with their kinds,
    against the attachment URL (or the page) and the item; their bytes stay in the archive; the real report
    loads."""
    require_samples()
    import hashlib

    from httpserver import LocalServer, Reply

    from govreports.crawl import run_crawl
    from govreports.fetch import Archive
    from govreports.portals.config import CrawlConfig
    from govreports.store.db import open_db

    bomb, grid = hostile.zip_bomb_docx(), hostile.line_grid_pdf(250)
    real = (SAMPLES / "html" / "02_shanghai_szfbgt_2019_fragment.html").read_bytes()
    html = {"Content-Type": "text/html; charset=utf-8"}
    huge = hostile.huge_html(12)
    titles = {f"/r{i}.html": f"示范区第{i}局2022年政府信息公开工作年度报告" for i in (1, 2, 3, 4)}
    links = "".join(f'<li><a href="{path}">{title}</a><span>2023-01-1{path[2]}</span></li>'
                    for path, title in titles.items())
    attachment_page = '<html><body><p>{}</p><p>附件：<a href="{}">年度报告</a></p></body></html>'
    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route("/list.html", Reply(200, f"<html><body><ul>{links}</ul></body></html>", html))
        server.route("/r1.html", Reply(200, attachment_page.format(titles["/r1.html"], "/a1.docx"), html))
        server.route("/a1.docx", Reply(200, bomb, {"Content-Type": "application/octet-stream"}))
        server.route("/r2.html", Reply(200, attachment_page.format(titles["/r2.html"], "/a2.pdf"), html))
        server.route("/a2.pdf", Reply(200, grid, {"Content-Type": "application/pdf"}))
        server.route("/r3.html", Reply(200, real, html))
        server.route("/r4.html", Reply(200, huge, html))
        raw = {"portal": [{"name": "local", "adapter": "generic", "start_url": server.url("/list.html")}],
               "safety": {"allow_private_addresses": True}}  # the portal is on 127.0.0.1
        db = open_db(tmp_path / "reports.db")
        # max_text_bytes raised: the fetcher's own cap on HTML answers would refuse the 12 MB page before the
        # parser's limit is reached (tests/test_fetch_basic.py covers that cap)
        summary = run_crawl(CrawlConfig.model_validate(raw), db, tmp_path / "archive", parse_workers=1,
                            per_host_delay=0.0, delay_jitter=0.0, max_text_bytes=50_000_000)
        url = server.url
    stats = summary.portals[0]
    assert stats.failed["bomb"] == 1 and stats.failed["too_large"] == 2 and stats.new == 1, stats
    logged = {u: (k, e) for u, k, e in db.execute("SELECT url, kind, error FROM fetch_log WHERE kind IS NOT NULL")}
    assert logged[url("/a1.docx")][0] == "bomb" and logged[url("/a1.docx")][1].startswith("bomb: DOCX part")
    assert logged[url("/a2.pdf")] == ("too_large", "too_large: PDF page 1 draws 125,500 objects (limit 50,000)")
    items = {u: (s, e) for u, s, e in db.execute("SELECT url, status, error FROM items")}
    assert items[url("/r1.html")][0] == "failed" and items[url("/r1.html")][1].startswith("bomb: ")
    assert items[url("/r2.html")][0] == "failed" and items[url("/r2.html")][1].startswith("too_large: ")
    assert items[url("/r3.html")][0] == "loaded"
    assert items[url("/r4.html")] == ("failed", "too_large: HTML page too large: 12.6 MB (limit 10 MB)")
    assert logged[url("/r4.html")][0] == "too_large"
    archive = Archive(tmp_path / "archive")
    for body in (bomb, grid, huge):
        assert archive.get(hashlib.sha256(body).hexdigest()) == body


def test_the_config_files_limits_bound_a_crawl(tmp_path, monkeypatch):
    """`[limits] parse_deadline` in a portal config is what the crawl's parse workers are held to, and
    `parse_nice` how far below the crawler's CPU priority they run (10 when the file does not say)."""
    from httpserver import LocalServer, Reply

    from govreports.crawl import pipeline, run_crawl
    from govreports.portals.config import CrawlConfig
    from govreports.store.db import open_db

    title = "示范区第1局2022年政府信息公开工作年度报告"
    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route("/list.html", Reply(200, f'<html><body><ul><li><a href="/r1.html">{title}</a></li></ul>'
                                              "</body></html>", {"Content-Type": "text/html; charset=utf-8"}))
        server.route("/r1.html", Reply(200, f'<html><body><p>{title}</p><a href="/a1.pdf">附件</a></body></html>',
                                       {"Content-Type": "text/html; charset=utf-8"}))
        server.route("/a1.pdf", Reply(200, hostile.line_grid_pdf(70, text=True), {"Content-Type": "application/pdf"}))
        raw = {"portal": [{"name": "local", "adapter": "generic", "start_url": server.url("/list.html")}],
               "safety": {"allow_private_addresses": True}, "limits": {"parse_deadline": 0.3, "parse_nice": 7}}
        built: list[BoundedParser] = []

        def building(*args, **kwargs) -> BoundedParser:
            built.append(BoundedParser(*args, **kwargs))
            return built[-1]

        monkeypatch.setattr(pipeline, "BoundedParser", building)
        summary = run_crawl(CrawlConfig.model_validate(raw), open_db(tmp_path / "r.db"), tmp_path / "archive",
                            parse_workers=1, per_host_delay=0.0, delay_jitter=0.0)
    assert summary.portals[0].failed["too_slow"] == 1, summary.portals[0]
    assert [p.nice for p in built] == [7]
    assert CrawlConfig.model_validate({"portal": raw["portal"]}).limits.parse_nice == 10


def _grid_edges(rows: int, cols: int, cell: float = 8.0) -> list[dict]:
    """The ruling lines of a rows × cols grid of `cell`-point cells, as pdfplumber edges (what OCR's _rules and an
    OFD page's paths give)."""
    width, height = cols * cell, rows * cell
    h = [{"x0": 20, "x1": 20 + width, "top": 20 + i * cell, "bottom": 20 + i * cell, "width": width, "height": 0,
          "orientation": "h", "object_type": "line"} for i in range(rows + 1)]
    v = [{"x0": 20 + j * cell, "x1": 20 + j * cell, "top": 20, "bottom": 20 + height, "width": 0, "height": height,
          "orientation": "v", "object_type": "line"} for j in range(cols + 1)]
    return h + v


def test_a_page_ruled_like_graph_paper_is_read_as_text_not_searched_for_tables():
    """A picture (or an OFD page) ruled as graph paper: finding its tables is quadratic in the lines' crossings
    (pdfplumber's intersections_to_cells), 116 s for a 10-point grid on an A4 picture, where no OCR budget or page
    timeout could stop it. Past MAX_CROSSINGS the page has no tables; a report's table, nine times under, still has."""
    from govreports.extract.ofd import MAX_CROSSINGS, tables_from_edges

    [table] = tables_from_edges(_grid_edges(30, 9))  # a 2021 form's table 三 on one page: 310 crossings
    assert len(table) == 30 * 9 and 9 * 31 * 10 <= MAX_CROSSINGS
    assert tables_from_edges(_grid_edges(70, 70)) == []  # 5,041 crossings
