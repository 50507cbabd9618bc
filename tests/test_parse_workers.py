"""The bounded parser (issue 8, item 1; issue 12): documents parsed in worker processes with a deadline and a
memory cap, a dead worker or a broken pool replaced, a document's failure its own, many documents in flight
(parse_async, parse_many, parse_paths), and a script that would start the workers at its top level told so."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import SAMPLES, loop_ticks, require_samples
from govreports.demo import hostile
from govreports.extract import limits
from govreports.parse import ParseError, parse_bytes
from govreports.parse.api import ParseLimitError
from govreports.parse.bounded import BoundedParser, parse_job
from govreports.lifecycle import process_alive
from worker_jobs import die_on_marker, niceness, spin_in_c, stamp, troublesome, wait_then_answer


# --- one document at a time -----------------------------------------------------------------------------------------
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
    slow = hostile.line_grid_pdf(70, text=True)
    assert limits.check(slow, "pdf") is None
    good = (SAMPLES / "seed" / "000_dc3a28ed7fcc2bfa.txt").read_bytes()
    with BoundedParser(workers=1, deadline=0.3, wall_factor=100) as parser:  # the clock's bound out of reach
        start = time.perf_counter()
        with pytest.raises(ParseLimitError, match=r"^parsing took more than 0\.3 s of CPU time$") as info:
            parser.parse(slow, "grid.pdf")
        assert info.value.kind == "too_slow"
        assert time.perf_counter() - start < 25  # ends within: killed at 0.3 s of CPU, not waited for
        for _ in range(2):
            assert parser.parse(good, "seed.txt")["year"] == 2020


def test_the_deadline_counts_the_worker_s_cpu_so_a_starved_worker_s_document_is_not_too_slow():
    """The deadline bounds what a document costs, its CPU time: a worker kept from the cores by other work at
    normal priority (the crawl's workers run at nice 10) took longer than 20 s of wall time over a .doc whose
    LibreOffice needs 2–4 s of CPU, and good reports failed as too_slow (the demo under others' load: 2 of 139). A job
    that waits past the deadline without computing stands in for it; it answers."""
    with BoundedParser(workers=1, job=wait_then_answer, deadline=0.5, wall_factor=20) as parser:
        assert parser.parse(b"2.0") == {"waited": 2.0}  # 4× the deadline on the clock


def test_a_document_past_the_wall_clock_bound_is_too_slow_named_so():
    """Time on the clock is still bounded, at limits.WALL_FACTOR times the deadline: a worker stuck waiting (a
    deadlock, a machine so busy it gets nothing) cannot hold a night."""
    with BoundedParser(workers=1, job=wait_then_answer, deadline=0.3) as parser:
        start = time.perf_counter()
        with pytest.raises(ParseLimitError, match=r"^parsing took longer than 0\.9 s on the clock") as info:
            parser.parse(b"30")
        assert info.value.kind == "too_slow"
        assert time.perf_counter() - start < 15
        assert parser.parse(b"0") == {"waited": 0.0}


def test_the_cpu_deadline_stops_a_worker_computing_in_c(tmp_path):
    """The kernel ends a worker past its CPU time (SIGPROF, whose default action ends the process), so a loop in C
    code, where no Python handler runs, is stopped at the deadline, not at the wall-clock bound."""
    with BoundedParser(workers=1, job=spin_in_c, deadline=0.5, wall_factor=100) as parser:
        with pytest.raises(ParseLimitError, match=r"^parsing took more than 0\.5 s of CPU time$") as info:
            parser.parse(b"spin:" + str(tmp_path / "pid").encode())
        assert info.value.kind == "too_slow"
        assert parser.parse(b"nap") == {"size": 3}


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


@pytest.mark.parametrize("spool_bytes", [None, 64 * 1024], ids=["down-the-pipe", "spooled"])
def test_a_broken_pool_strands_no_document_queued_behind_a_large_one(tmp_path, spool_bytes):
    """pebble writes a job to a worker's pipe and blocks while the pipe is full (a document over ~64 KB, when it is
    not spooled); the jobs queued behind it are not yet its own. When the pool breaks, it aborts only its own:
    every other document must still get an answer (here: a second try, on a new pool), not a wait that never ends."""
    padding = b"x" * 300_000
    documents = [(i, (padding, "", None, None)) for i in range(12)]
    documents[1] = (1, (b"once:" + str(tmp_path / "flag").encode() + b"\0" + padding, "", None, None))
    answers: list = []
    with BoundedParser(workers=2, job=troublesome, spool_bytes=spool_bytes) as parser:
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

    def documents(bad: set[int], good: bytes = b"x" * 1000):
        return [(i, (b"break" if i in bad else good, "", None, None)) for i in range(16)]

    async def crawl(parser):
        """The answers, and the longest wait of the loop's default threads meanwhile: they write the crawl's
        archive, and a second try must not hold one (here there is one thread, and 14 second tries of 0.1 s)."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(1))
        answers = asyncio.gather(*(parser.parse_async(*args) for _, args in documents({3}, b"nap" * 300)),
                                 return_exceptions=True)
        waits = []
        while not answers.done():
            start = time.monotonic()
            await asyncio.to_thread(lambda: None)
            waits.append(time.monotonic() - start)
            await asyncio.sleep(0.02)
        return await answers, max(waits)

    with BoundedParser(workers=2, job=troublesome) as parser:
        crawled, longest_wait = asyncio.run(crawl(parser))
        crawled = dict(enumerate(crawled))
        walked = dict(parser.parse_many(documents({3, 4, 9}), window=16))
        assert parser.parse(b"x")["size"] == 1
    assert len(stopped) == len(set(stopped)) > 4  # the broken pools, and the second tries' own
    assert longest_wait < 1, longest_wait
    for answers, bad, size in ((crawled, {3}, 900), (walked, {3, 4, 9}, 1000)):
        failed = {i: a for i, a in answers.items() if not isinstance(a, dict)}
        assert set(failed) == bad, failed
        assert all(isinstance(a, ParseLimitError) and a.kind == "crashed" for a in failed.values())
        assert all(a == {"size": size} for i, a in answers.items() if i not in bad)


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


def test_closing_the_parser_mid_crawl_tells_every_second_try_so(tmp_path):
    """A crawl's second tries wait in the parser's threads, one here: the first sleeps a minute in its own pool, the
    other three wait for the thread. Closing the parser ends them all as closed, none as cancelled (a task that
    was not cancelled must not end as if it had been)."""
    flag = tmp_path / "flag"
    documents = [b"once:" + str(flag).encode() + b"\0then sleep"] + [b"x"] * 3

    async def crawl(parser):
        answers = asyncio.gather(*(parser.parse_async(d) for d in documents), return_exceptions=True)
        while not flag.exists():
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the first second try is under way, a minute long
        started = time.monotonic()
        await asyncio.to_thread(parser.close)
        return await asyncio.wait_for(answers, 30), time.monotonic() - started

    parser = BoundedParser(workers=1, job=troublesome, deadline=None)
    answers, seconds = asyncio.run(asyncio.wait_for(crawl(parser), 90))
    assert seconds < 30
    assert [(type(a).__name__, str(a)) for a in answers] == [("RuntimeError", "the parser is closed")] * 4


def test_workers_that_cannot_be_started_fail_each_document_by_name_and_the_next_one_tries_again(monkeypatch):
    """A fork the system refuses (too many processes, no memory) broke the pool without a message: a crawl logged
    each document as an `internal error: BrokenProcessPool: `, and `load` or `parse` stopped at the first. Each
    document is now failed as crashed, with the reason, and the next one tries again."""
    import errno

    import pebble.pool.process as pebble_process

    launch = pebble_process.launch_process

    def refused(*_args, **_kwargs):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    why = r"^the parse workers could not be started \(\[Errno 11\] Resource temporarily unavailable\)$"
    documents = [(i, (b"x", "", None, None)) for i in range(3)]
    with BoundedParser(workers=2, job=die_on_marker) as parser:
        monkeypatch.setattr(pebble_process, "launch_process", refused)
        with pytest.raises(ParseLimitError, match=why) as info:
            parser.parse(b"x")
        assert info.value.kind == "crashed"
        with pytest.raises(ParseLimitError, match=why):
            asyncio.run(parser.parse_async(b"x"))
        answers = dict(parser.parse_many(documents))
        assert sorted(answers) == [0, 1, 2]
        assert all(isinstance(a, ParseLimitError) and a.kind == "crashed" for a in answers.values()), answers
        monkeypatch.setattr(pebble_process, "launch_process", launch)
        # no file descriptors left for the pool's pipes: pebble lets the OSError through
        monkeypatch.setattr(pebble_process, "channels", lambda *_: (_ for _ in ()).throw(
            OSError(errno.EMFILE, "Too many open files")))
        answers = dict(parser.parse_many(documents))
        assert {str(a) for a in answers.values()} == {
            "the parse workers could not be started ([Errno 24] Too many open files)"}
        monkeypatch.undo()
        with pytest.raises(ParseError, match="^no annual report found"):  # a worker's answer
            parser.parse(b"x")
    # the one worker dies, and its replacement cannot be started: the pool breaks under the documents queued
    with BoundedParser(workers=1, job=die_on_marker) as parser:
        with pytest.raises(ParseError, match="^no annual report found"):
            parser.parse(b"x")
        monkeypatch.setattr(pebble_process, "launch_process", refused)
        answers = dict(parser.parse_many([("dies", (b"exit", "", None, None)), *documents]))
        assert all(isinstance(a, ParseLimitError) and a.kind == "crashed" for a in answers.values()), answers
        assert {str(a) for k, a in answers.items() if k != "dies"} == {why[1:-1].replace("\\", "")}
        monkeypatch.setattr(pebble_process, "launch_process", launch)
        answers = dict(parser.parse_many(documents))
        assert all(str(a).startswith("no annual report found") for a in answers.values()), answers


def test_close_returns_only_when_every_worker_is_gone_even_from_a_pool_another_thread_is_stopping(tmp_path, monkeypatch):
    """Two documents in one pool, one spinning in C and one that breaks the pool: each waiter retires the pool, one
    of them stops it (3 s: the spinning worker ignores SIGTERM until SIGKILL). A close() meanwhile used to return at
    once, with that worker still running."""
    from govreports.parse import bounded

    stopping = threading.Event()
    stop = bounded._stop
    monkeypatch.setattr(bounded, "_stop", lambda pool: (stopping.set(), stop(pool)))
    pid_file = tmp_path / "pid"
    parser = BoundedParser(workers=2, job=spin_in_c, deadline=None)
    threading.Thread(target=_quietly, args=(parser.parse, b"spin:" + str(pid_file).encode()), daemon=True).start()
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:  # spinning in the shared pool
        time.sleep(0.02)
    spinning = int(pid_file.read_text())
    threading.Thread(target=_quietly, args=(parser.parse, b"break"), daemon=True).start()
    assert stopping.wait(60)
    parser.close()
    for pid in {spinning, int(pid_file.read_text())}:  # and its second try's, if it started
        assert not process_alive(pid), "close() returned with a worker still running"


def test_a_pool_found_broken_when_scheduling_is_stopped_off_the_event_loop(monkeypatch):
    """parse_async schedules on the crawl's event loop: a broken pool it finds there is stopped in a thread of its
    own, and the loop goes on (a worker stuck in C takes 3 s to stop)."""
    from govreports.parse import bounded

    stop = bounded._stop
    monkeypatch.setattr(bounded, "_stop", lambda pool: (time.sleep(2), stop(pool)))

    async def crawl(parser):
        async with loop_ticks(0.02) as ticks:
            await asyncio.sleep(0.1)
            answer = await parser.parse_async(b"x")
        return answer, max(b - a for a, b in zip(ticks, ticks[1:]))

    with BoundedParser(workers=1, job=troublesome) as parser:
        assert parser.parse(b"x") == {"size": 1}
        parser._pool.stop()  # as a pool that broke with no document in flight: the next one sees it inactive
        answer, longest_stall = asyncio.run(crawl(parser))
    assert answer == {"size": 1}
    assert longest_stall < 1, longest_stall


def _quietly(fn, *args):
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - the test looks at processes, not at the answers
        pass


def test_in_process_mode_keeps_the_static_limits():
    with BoundedParser(workers=0) as parser:
        assert parser.in_process
        with pytest.raises(ParseLimitError) as info:
            parser.parse(hostile.zip_bomb_docx())
        assert info.value.kind == "bomb"


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
