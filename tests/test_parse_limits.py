"""Bounded work per document (issue 8, item 1): static limits refuse hostile documents before any extractor
expands them; the bounded parser's deadline and memory cap catch the rest, and a killed or dead worker is
replaced so the next document parses. The hostile documents are built by govreports.demo.hostile."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SAMPLES, require_samples
from govreports.cli import app
from govreports.demo import hostile
from govreports.extract import limits
from govreports.parse import ParseError, parse_bytes, parse_path
from govreports.parse.api import ParseLimitError
from govreports.parse.bounded import BoundedParser, parse_job


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
    assert "inflates past the 1,024 bytes" in str(result)
    assert peak < 8_000_000  # 1 MB steps, output discarded (zipfile itself would inflate all 31 MB at once)


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
    err = pickle.loads(pickle.dumps(ParseLimitError("too_slow", "parsing took longer than 20 s")))
    assert isinstance(err, ParseError) and err.kind == "too_slow"
    assert err.line == "too_slow: parsing took longer than 20 s"


def test_real_documents_pass_every_check():
    require_samples()
    from govreports.demo.records import make_record
    from govreports.render import to_docx, to_pdf

    record = make_record(3, "北京市海淀区人民政府办公室", 2021, 1.0)
    assert limits.check(to_pdf(record), "pdf") is None
    assert limits.check(to_docx(record), "docx") is None
    for path in (SAMPLES / "html").glob("*"):
        assert limits.check(path.read_bytes(), "html") is None


# --- the bounded parser -----------------------------------------------------------------------------------------
def test_real_reports_parse_exactly_as_before_through_workers():
    require_samples()
    from govreports.demo.records import make_record
    from govreports.render import to_docx, to_html, to_pdf

    record = make_record(5, "威海市文登区信访局", 2022, 1.0)
    documents = [to_pdf(record), to_docx(record), to_html(record, style="word").encode("utf-8")]
    documents += [p.read_bytes() for d in ("html", "seed", "texts") for p in sorted((SAMPLES / d).glob("*"))[:6]]
    with BoundedParser(workers=1) as parser:
        for data in documents:
            try:
                expected = parse_bytes(data, "doc", {"title": "t"})
            except ParseError as exc:
                with pytest.raises(ParseError, match="^" + str(exc)[:40].replace("(", r"\(")):
                    parser.parse(data, "doc", {"title": "t"})
            else:
                assert parser.parse(data, "doc", {"title": "t"}) == expected


def test_workers_start_with_the_job_module_preloaded_and_without_the_http_stack():
    """A worker runs parse_job: the fork server preloads its module, so a worker (and its replacement after a
    kill) does not import it again; and neither it nor the ToolCache every job carries loads govreports.fetch and
    httpx, which only the crawler uses (0.1–0.4 s of CPU a worker start, measured)."""
    from govreports.parse.bounded import PRELOAD

    assert parse_job.__module__ in PRELOAD
    script = ("import importlib, sys\n"
              f"for name in {PRELOAD!r} + ('govreports.extract.toolcache',): importlib.import_module(name)\n"
              "print(sorted(m for m in ('httpx', 'govreports.fetch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_document_past_the_deadline_is_too_slow_and_the_next_one_parses():
    """A 70×70 grid is under the static limits but takes pdfplumber seconds: the deadline kills its worker."""
    require_samples()
    slow = hostile.line_grid_pdf(70)
    assert limits.check(slow, "pdf") is None
    good = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes()
    with BoundedParser(workers=1, deadline=0.3) as parser:
        start = time.perf_counter()
        with pytest.raises(ParseLimitError, match=r"^parsing took longer than 0\.3 s$") as info:
            parser.parse(slow, "grid.pdf")
        assert info.value.kind == "too_slow"
        assert time.perf_counter() - start < 15  # ends within: killed, not waited for
        for _ in range(2):
            assert parser.parse(good, "seed.txt")["year"] == 2020


def die_on_marker(data: bytes, name: str, hints, http_charset):
    """A worker job for the tests: dies as told by the document, else parses it."""
    if data == b"exit":
        os._exit(3)
    if data == b"kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if data == b"memory":
        raise MemoryError
    if data == b"bug":
        raise RuntimeError("a parser bug")
    return parse_job(data, name, hints, http_charset)


def test_a_dead_worker_is_replaced_and_no_later_document_fails():
    require_samples()
    good = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes()
    with BoundedParser(workers=2, job=die_on_marker) as parser:
        # "exit code 3" / "signal SIGKILL"; or, when pebble saw the death before the task's start, "died (twice)"
        with pytest.raises(ParseLimitError, match=r"the parse worker died \((exit code 3|twice)\)") as info:
            parser.parse(b"exit")
        assert info.value.kind == "crashed"
        with pytest.raises(ParseLimitError, match=r"the parse worker died \((signal SIGKILL|twice)\)") as info:
            parser.parse(b"kill")
        assert info.value.kind == "crashed"
        with pytest.raises(ParseLimitError, match="more than 1024 MB") as info:
            parser.parse(b"memory")
        assert info.value.kind == "out_of_memory"
        for _ in range(4):
            assert parser.parse(good, "seed.txt")["agency"] == "牡丹江市科学技术局"


def niceness(data: bytes, name: str, hints, http_charset) -> int:
    """A worker job for the tests: the worker's niceness (it dies first when told)."""
    if data == b"exit":
        os._exit(3)
    return os.nice(0)


def test_workers_run_at_the_lower_cpu_priority_asked_and_so_does_a_replacement():
    here = os.nice(0)
    with BoundedParser(workers=1, job=niceness, nice=10) as parser:
        assert parser.parse(b"any") == min(here + 10, 19)
        with pytest.raises(ParseLimitError):
            parser.parse(b"exit")
        assert parser.parse(b"any") == min(here + 10, 19)
    with BoundedParser(workers=1, job=niceness) as parser:
        assert parser.parse(b"any") == here


def test_the_memory_cap_holds_and_the_worker_is_replaced():
    """A 9 MB page passes the byte cap but peaks at ~300 MB of address space parsing: a 200 MB cap (an idle
    worker holds ~75 MB) is hit, the worker leaves, and its replacement parses the next document."""
    require_samples()
    with BoundedParser(workers=1, memory_mb=200) as parser:
        with pytest.raises(ParseLimitError, match="more than 200 MB") as info:
            parser.parse(hostile.huge_html(9), "huge.html")
        assert info.value.kind == "out_of_memory"
        assert parser.parse((SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes())["year"] == 2020


def test_parse_async_runs_documents_side_by_side_and_a_bad_one_fails_alone():
    require_samples()
    good = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes()

    async def run(parser):
        jobs = [parser.parse_async(good, f"{i}.txt") for i in range(4)]
        jobs.insert(2, parser.parse_async(b"kill"))
        jobs.insert(4, parser.parse_async(hostile.zip_bomb_docx()))
        return await asyncio.gather(*jobs, return_exceptions=True)

    with BoundedParser(workers=2, job=die_on_marker) as parser:
        results = asyncio.run(run(parser))
    kinds = [r.kind if isinstance(r, ParseLimitError) else r["year"] for r in results]
    assert kinds == [2020, 2020, "crashed", 2020, "bomb", 2020]


def stamp(data: bytes, name: str, hints, http_charset) -> dict:
    """A worker job for the tests: which worker ran the document and when; b"sleep" takes a minute."""
    start = time.monotonic()
    time.sleep(60 if data == b"sleep" else 0.3)
    return {"pid": os.getpid(), "start": start, "end": time.monotonic()}


def test_parse_many_answers_in_order_and_a_bad_document_fails_alone():
    require_samples()
    good = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes()
    documents = [(i, (good, f"{i}.txt", None, None)) for i in range(5)]
    documents.insert(2, ("kill", (b"kill", "", None, None)))
    documents.insert(4, ("bomb", (hostile.zip_bomb_docx(), "bomb.docx", None, None)))
    for workers in (2, 0):  # 0: in the calling process, where the job is parse_job (no b"kill")
        with BoundedParser(workers=workers, job=die_on_marker) as parser:
            answers = list(parser.parse_many(d for d in documents if workers or d[0] != "kill"))
        keys = [k for k, _ in answers]
        assert keys == [k for k, _ in documents if workers or k != "kill"]
        kinds = {k: a.kind if isinstance(a, ParseLimitError) else a["year"] for k, a in answers}
        assert kinds == {0: 2020, 1: 2020, 2: 2020, 3: 2020, 4: 2020, "bomb": "bomb", **({"kill": "crashed"}
                                                                                          if workers else {})}


def test_parse_many_keeps_every_worker_busy_reading_only_a_window_ahead():
    pulled = []

    def documents():
        for i in range(6):
            pulled.append(i)
            yield i, (b"x", "", None, None)

    with BoundedParser(workers=2, job=stamp) as parser:
        answers = []
        for key, answer in parser.parse_many(documents(), window=3):
            answers.append(answer)
            if key == 0:
                assert len(pulled) == 3  # the window, no more: the memory a stream of documents holds is bounded
    assert len(pulled) == 6 and len({a["pid"] for a in answers}) == 2
    overlaps = [(a, b) for a in answers for b in answers if a["pid"] != b["pid"] and a["start"] < b["end"]
                and b["start"] < a["end"]]
    assert overlaps  # both workers parsed at the same time


def test_parse_many_left_early_leaves_no_job_running():
    """A caller that stops reading (an error while loading) must not leave the documents read ahead running: a
    minute-long one would hold the worker the next parse needs."""
    with BoundedParser(workers=1, job=stamp, deadline=120) as parser:
        answers = parser.parse_many([(0, (b"x", "", None, None)), (1, (b"sleep", "", None, None))], window=2)
        assert next(answers)[0] == 0
        answers.close()
        start = time.monotonic()
        assert parser.parse(b"x")["end"] - start < 20


def test_parse_paths_keeps_the_order_given_and_names_each_file_s_failure(tmp_path):
    """Files that fail before reaching a worker (missing, a directory) keep their place among those parsed side
    by side; a parser bug is that file's error, not the batch's end."""
    require_samples()
    good = SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    (tmp_path / "bug.txt").write_bytes(b"bug")
    (tmp_path / "kill.txt").write_bytes(b"kill")
    paths = [tmp_path / "absent.txt", good, tmp_path, tmp_path / "bug.txt", good, tmp_path / "kill.txt", good,
             tmp_path / "absent2.txt"]
    with BoundedParser(workers=2, job=die_on_marker) as parser:
        outcomes = list(parser.parse_paths(paths))
    assert [o.path for o in outcomes] == [str(p) for p in paths]
    got = [(o.kind, o.record["year"]) if o.ok else o.error.split(":")[0] for o in outcomes]
    assert got == ["cannot read file", ("text", 2020), "is a directory", "parser crashed", ("text", 2020),
                   "crashed", ("text", 2020), "cannot read file"]
    assert outcomes[3].error == "parser crashed: RuntimeError: a parser bug"


class Unrebuildable(Exception):
    """An exception some library might raise: it pickles, but cannot be rebuilt from its args."""

    def __init__(self, what: str, why: str):
        super().__init__(f"{what}: {why}")


def troublesome(data: bytes, name: str, hints, http_charset):
    """A worker job for the tests: b"raise…" raises Unrebuildable; b"break…" returns one (which the caller cannot
    read back: pebble breaks the pool); b"once:PATH\0…" returns one the first time, when PATH does not exist yet,
    and the next time, if it ends "then sleep", sleeps a minute; else a small dict."""
    if data.startswith(b"raise"):
        raise Unrebuildable("a library", "its own error type")
    if data.startswith(b"break"):
        return Unrebuildable("a result", "that cannot be read back")
    if data.startswith(b"once:"):
        flag = Path(data[5:data.index(b"\0")].decode())
        if not flag.exists():
            flag.write_text("broke the pool once")
            return Unrebuildable("a result", "that cannot be read back")
        if data.endswith(b"then sleep"):
            time.sleep(60)
    return {"size": len(data)}


def test_an_exception_that_cannot_be_sent_back_fails_its_document_alone():
    documents = [(i, (b"x" * 1000, "", None, None)) for i in range(4)]
    documents.insert(1, ("bad", (b"raise", "", None, None)))
    with BoundedParser(workers=2, job=troublesome) as parser:
        answers = dict(parser.parse_many(documents))
        assert parser.parse(b"x")["size"] == 1
    assert isinstance(answers.pop("bad"), RuntimeError)
    assert answers == {i: {"size": 1000} for i in range(4)}
    with BoundedParser(workers=1, job=troublesome) as parser:
        with pytest.raises(RuntimeError, match="^Unrebuildable: a library: its own error type$"):
            parser.parse(b"raise")


def test_a_broken_pool_strands_no_document_queued_behind_a_large_one(tmp_path):
    """pebble writes a job to a worker's pipe and blocks while the pipe is full (a document over ~64 KB); the jobs
    queued behind it are not yet its own. When the pool breaks, it aborts only its own: every other document must
    still get an answer (here: a second try, on a new pool), not a wait that never ends."""
    padding = b"x" * 300_000
    documents = [(i, (padding, "", None, None)) for i in range(12)]
    documents[1] = (1, (b"once:" + str(tmp_path / "flag").encode() + b"\0" + padding, "", None, None))
    answers: list = []
    with BoundedParser(workers=2, job=troublesome) as parser:
        walk = threading.Thread(target=lambda: answers.extend(parser.parse_many(documents, window=12)), daemon=True)
        walk.start()
        walk.join(timeout=120)
        assert not walk.is_alive(), f"stranded after {len(answers)} answers"
    assert (tmp_path / "flag").exists()  # the pool did break
    assert [k for k, _ in answers] == list(range(12))
    assert all(isinstance(a, dict) for _, a in answers), answers


def test_a_document_that_breaks_the_pool_fails_alone_among_many_in_flight(monkeypatch):
    """pebble does not say which job broke a pool: each document it held is tried once more, and in a pool of its
    own, so that a second break names the one that broke it. Tried side by side, every document in flight with it
    in a crawl broke again with it and was failed as crashed (14 of 16). Each of a pool's waiters retires it, from
    its own thread: it is stopped once (twice, from two threads, a pipe could be closed twice, and the second
    close take another pool's pipe that had been given the same number: an innocent document failed so once)."""
    from govreports.parse import bounded

    stopped: list = []
    stop = bounded._stop
    monkeypatch.setattr(bounded, "_stop", lambda pool: (stopped.append(pool), stop(pool)))

    def documents(bad: set[int]):
        return [(i, (b"break" if i in bad else b"x" * 1000, "", None, None)) for i in range(16)]

    async def crawl(parser):
        return await asyncio.gather(*(parser.parse_async(*args) for _, args in documents({3})),
                                    return_exceptions=True)

    with BoundedParser(workers=2, job=troublesome) as parser:
        crawled = dict(enumerate(asyncio.run(crawl(parser))))
        walked = dict(parser.parse_many(documents({3, 4, 9}), window=16))
        assert parser.parse(b"x")["size"] == 1
    assert len(stopped) == len(set(stopped)) > 4  # the broken pools, and the second tries' own
    for answers, bad in ((crawled, {3}), (walked, {3, 4, 9})):
        failed = {i: a for i, a in answers.items() if not isinstance(a, dict)}
        assert set(failed) == bad, failed
        assert all(isinstance(a, ParseLimitError) and a.kind == "crashed" for a in failed.values())
        assert all(a == {"size": 1000} for i, a in answers.items() if i not in bad)


def test_closing_the_parser_stops_a_second_try_in_its_own_pool(tmp_path):
    document = b"once:" + str(tmp_path / "flag").encode() + b"\0then sleep"
    errors: list = []
    parser = BoundedParser(workers=2, job=troublesome, deadline=None)

    def parse():
        try:
            parser.parse(document)
        except Exception as exc:  # noqa: BLE001 - what the waiter is told is the point
            errors.append(exc)

    waiter = threading.Thread(target=parse, daemon=True)
    waiter.start()
    deadline = time.monotonic() + 60
    while not (tmp_path / "flag").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the second try is under way, a minute long
    started = time.monotonic()
    parser.close()
    waiter.join(timeout=30)
    assert not waiter.is_alive() and time.monotonic() - started < 30
    assert [str(e) for e in errors] == ["the parser is closed"]


def test_in_process_mode_keeps_the_static_limits():
    with BoundedParser(workers=0) as parser:
        assert parser.in_process
        with pytest.raises(ParseLimitError) as info:
            parser.parse(hostile.zip_bomb_docx())
        assert info.value.kind == "bomb"


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
    grid.write_bytes(hostile.line_grid_pdf(70))
    result = CliRunner().invoke(app, ["parse", "--deadline", "0.3", str(grid)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {grid}: too_slow: parsing took longer than 0.3 s"
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
        server.route("/a1.pdf", Reply(200, hostile.line_grid_pdf(70), {"Content-Type": "application/pdf"}))
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


SCRIPT = """\
from govreports.parse.bounded import BoundedParser

def main():
    with BoundedParser(workers=1, deadline=60) as parser:
        print(parser.parse(DATA, "report.html")["year"], flush=True)

DATA = open(__file__.replace(".py", ".html"), "rb").read()
{call}
"""


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_starting_workers_at_its_top_level_is_told_at_once(guarded, tmp_path):
    """The workers import the caller's script again (forkserver): a script that starts them outside
    `if __name__ == "__main__":` would start them in each worker. It is stopped before any worker starts, with the
    fix in the message (it used to fail every document as `crashed`, a minute later); a guarded script parses."""
    import subprocess
    import sys

    from conftest import ROOT
    from govreports.render import to_html
    from strategies import record_fixture

    call = 'if __name__ == "__main__":\n    main()' if guarded else "main()"
    script = tmp_path / "crawl_script.py"
    script.write_text(SCRIPT.format(call=call), encoding="utf-8")
    (tmp_path / "crawl_script.html").write_bytes(to_html(record_fixture("2021")).encode("utf-8"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    if guarded:
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == str(record_fixture("2021")["year"])
    else:
        assert done.returncode != 0 and "crashed" not in done.stderr
        assert f'{script}: the parse workers import this script again' in done.stderr
        assert 'under `if __name__ == "__main__":`' in done.stderr
