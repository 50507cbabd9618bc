"""extract.toolcache: what Tesseract and LibreOffice answered, kept under the hash of program, arguments and input.

The cache only saves time, so these tests check what would make it wrong: a key that misses a change (a new
Tesseract, other arguments, other bytes) and so serves a stale answer; a failure or timeout kept as if it were an
answer; a cache that cannot be written breaking the parse. The real programs' outputs through the cache are checked
in test_doc_ofd_ocr (a .doc and a scan, each read twice: the second time without the program, the same record).
"""

from __future__ import annotations

import io
import os
import stat

import pytest

from govreports.extract import ocr
from govreports.extract.toolcache import ENV, ToolCache, identity, tool_cache_for
from govreports.fetch import Archive


class Counter:
    """A stand-in program: how often it ran, and what it answers."""

    def __init__(self, answer: bytes | None = b"out"):
        self.calls = 0
        self.answer = answer

    def __call__(self) -> bytes | None:
        self.calls += 1
        return self.answer


def test_an_answer_is_kept_and_served_without_running_the_program(tmp_path):
    cache, run = ToolCache(tmp_path / "tc"), Counter(b"the docx")
    assert cache.output("soffice:1", ["--convert-to", "docx"], b"a .doc", run) == b"the docx"
    assert cache.output("soffice:1", ["--convert-to", "docx"], b"a .doc", run) == b"the docx"
    assert run.calls == 1
    key = cache.key("soffice:1", ["--convert-to", "docx"], b"a .doc")
    assert Archive(tmp_path / "tc").get(key) == b"the docx"


def test_the_key_changes_with_the_program_its_arguments_and_the_input(tmp_path):
    cache = ToolCache(tmp_path)
    base = cache.key("tesseract:5", ["--psm", "3"], b"png")
    others = {cache.key("tesseract:6", ["--psm", "3"], b"png"), cache.key("tesseract:5", ["--psm", "6"], b"png"),
              cache.key("tesseract:5", ["--psm", "3"], b"png2"), cache.key("tesseract:5", ["--psm", "3", ""], b"png"),
              cache.key("tesseract:5", ["--psm 3"], b"png")}
    assert base not in others and len(others) == 5
    assert cache.key("tesseract:5", ["--psm", "3"], b"png") == base  # and only with them


def test_a_refused_answer_is_not_kept(tmp_path):
    """None is the caller's "timed out" or "failed": the program is asked again next time."""
    cache, run = ToolCache(tmp_path), Counter(None)
    assert cache.output("t", [], b"x", run) is None
    assert cache.output("t", [], b"x", run) is None
    assert run.calls == 2
    run.answer = b"now"
    assert cache.output("t", [], b"x", run) == b"now" and cache.output("t", [], b"x", run) == b"now"
    assert run.calls == 3


def test_a_cache_that_cannot_be_written_costs_the_saving_not_the_answer(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_bytes(b"not a folder")
    cache, run = ToolCache(blocked), Counter(b"answer")
    assert cache.output("t", [], b"x", run) == b"answer"
    assert cache.output("t", [], b"x", run) == b"answer"
    assert run.calls == 2 and blocked.read_bytes() == b"not a folder"


def test_identity_follows_the_file_a_package_upgrade_replaces(tmp_path):
    program = tmp_path / "tesseract"
    program.write_bytes(b"v5")
    link = tmp_path / "bin-tesseract"
    link.symlink_to(program)
    first = identity(link)
    assert str(program) in first and identity(program) == first  # the link is resolved
    program.write_bytes(b"v5.1")  # another size
    assert identity(link) != first
    assert identity(tmp_path / "gone").endswith(":absent")


def test_put_as_takes_only_a_digest_and_writes_once(tmp_path):
    archive = Archive(tmp_path)
    key = "ab" * 32
    assert archive.put_as(key, b"one") is True
    assert archive.put_as(key, b"two") is False  # the first answer stands
    assert archive.get(key) == b"one"
    for bad in ("../" + "a" * 61, "g" * 64, "ab" * 31):
        with pytest.raises(ValueError):
            archive.put_as(bad, b"x")
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.name != key]


def test_where_the_cache_lives(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert tool_cache_for(tmp_path / "data" / "archive") == ToolCache((tmp_path / "data" / "toolcache").resolve())
    assert tool_cache_for(None) is None
    monkeypatch.setenv(ENV, str(tmp_path / "shared"))
    assert tool_cache_for(tmp_path / "data" / "archive") == ToolCache((tmp_path / "shared").resolve())
    assert tool_cache_for(None) == ToolCache((tmp_path / "shared").resolve())
    monkeypatch.setenv(ENV, "")  # set but empty: no cache at all
    assert tool_cache_for(tmp_path / "data" / "archive") is None and tool_cache_for(None) is None


# --- Tesseract through the cache, with a stand-in tesseract ---------------------------------------------------------

TSV = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
       "5\t1\t1\t1\t1\t1\t100\t100\t300\t40\t95\t年度报告\n")


def _fake_tesseract(folder, exit_code: int) -> None:
    """A `tesseract` that lists chi_sim and answers every image with one word (or fails with `exit_code`),
    counting its reads in `calls`."""
    folder.mkdir(exist_ok=True)
    (folder / "chi_sim.traineddata").write_bytes(b"model")
    (folder / "answer.tsv").write_text(TSV, encoding="utf-8")
    script = folder / "tesseract"
    script.write_text(f"""#!/bin/sh
if [ "$1" = "--list-langs" ]; then printf 'List of available languages in "{folder}/" (1):\\nchi_sim\\n'; exit 0; fi
cat > /dev/null
echo read >> "{folder}/calls"
[ {exit_code} -ne 0 ] && exit {exit_code}
cat "{folder}/answer.tsv"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def _calls(folder) -> int:
    path = folder / "calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def blank_scan() -> bytes:
    """A one-page image-only PDF: no text layer, so the parse goes to OCR."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (400, 560), 255).save(out, format="PDF", resolution=50)
    return out.getvalue()


class OcrTwice:
    """ocr_pdf over the blank scan with a stand-in tesseract that answers (exit 0) or fails (another exit code)."""

    def __init__(self, tmp_path, monkeypatch, scan: bytes, exit_code: int):
        from govreports.extract.pdf import extract_pdf

        self.bin, self.scan = tmp_path / "bin", scan
        _fake_tesseract(self.bin, exit_code)
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ['PATH']}")
        self.cache = ToolCache(tmp_path / "tc")
        self.scanned = extract_pdf(scan)
        assert self.scanned.unreadable and not self.scanned.blocks

    def read(self):
        return ocr.ocr_pdf(self.scan, self.scanned, self.cache)

    @property
    def calls(self) -> int:
        return _calls(self.bin)


def test_tesseract_answers_are_kept_per_page(tmp_path, monkeypatch, blank_scan):
    run = OcrTwice(tmp_path, monkeypatch, blank_scan, 0)
    first = run.read()
    read = run.calls
    assert read >= 1 and "年度报告" in [c for b in first.blocks for c in b.cells]
    assert run.read().blocks == first.blocks and run.calls == read
    (run.bin / "chi_sim.traineddata").write_bytes(b"a newer model")  # an upgraded language model: asked afresh
    run.read()
    assert run.calls == 2 * read


def test_a_failing_tesseract_is_asked_again(tmp_path, monkeypatch, blank_scan):
    run = OcrTwice(tmp_path, monkeypatch, blank_scan, 3)
    assert not run.read().blocks
    read = run.calls
    assert read >= 1
    run.read()
    assert run.calls == 2 * read
    assert not [p for p in run.cache.root.rglob("*") if p.is_file()]


def test_a_run_sweeps_the_temp_files_killed_workers_left_in_the_tool_cache(tmp_path, monkeypatch):
    """A parse worker killed (its deadline, its memory cap) between writing a tool output and renaming it leaves a
    `.tmp-*` file in the tool cache; runs swept only the archive's, so the cache's grew with every killed worker,
    never removed. A run now sweeps both at its start, temp files older than an hour only (a younger one may be a
    running worker's write)."""
    from typer.testing import CliRunner

    import govreports.crawl
    from govreports.cli import app
    from govreports.crawl.stats import CrawlSummary

    monkeypatch.delenv(ENV, raising=False)
    archive = tmp_path / "archive"
    stale, fresh = [], []
    for root in (archive, tmp_path / "toolcache"):  # the cache beside the archive (tool_cache_for)
        folder = root / "ab" / "cd"
        folder.mkdir(parents=True)
        for name, keep in ((".tmp-old", stale), (".tmp-new", fresh)):
            (folder / name).write_bytes(b"half an output")
            keep.append(folder / name)
        os.utime(folder / ".tmp-old", (1, 1))
    monkeypatch.setattr(govreports.crawl, "run_crawl", lambda *args, **kwargs: CrawlSummary([]))
    CliRunner().invoke(app, ["crawl", "--config", "config/demo.toml", "--db", str(tmp_path / "g.db"),
                             "--archive", str(archive), "--no-progress"])
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in fresh] == [True, True]
