"""How a document reaches a parse worker and how a pool that stopped taking documents is found, without workers
(issue 12): the spool's files (parse.spool) and the watch's rule (parse.stall). The same with workers is in
test_parse_workers.py."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from govreports.parse.spool import Spool, Spooled
from govreports.parse.stall import PoolJobs


def _running() -> Future:
    future: Future = Future()
    future.set_running_or_notify_cancel()
    return future


def test_a_pool_that_stands_still_with_a_worker_free_is_stalled_after_the_wait():
    lost, queued = Future(), Future()
    pool = PoolJobs(workers=2, jobs={_running(), lost, queued})
    assert [pool.stalled(t, after=10) for t in (0, 1, 5, 9.5)] == [False] * 4
    assert pool.stalled(10, after=10)


def test_a_pool_whose_documents_start_is_never_stalled_however_often_one_is_seen_waiting():
    """Short documents, or workers replaced one after another: each look finds some document waiting beside a free
    worker, but not the one the look before found (the review's false positive, with one timer for the pool)."""
    pool = PoolJobs(workers=2)
    waiting = Future()
    pool.jobs = {_running(), waiting}
    for t in range(60):
        assert not pool.stalled(t, after=10)
        waiting.set_running_or_notify_cancel()  # it started: the next look finds another one waiting
        waiting.set_result(None)
        pool.jobs.discard(waiting)
        waiting = Future()
        pool.jobs.add(waiting)


def test_every_worker_busy_starts_the_wait_again():
    busy, queued = _running(), Future()
    pool = PoolJobs(workers=2, jobs={busy, queued})
    assert not pool.stalled(0, after=10)
    other = _running()
    pool.jobs.add(other)
    assert not pool.stalled(8, after=10)  # both busy: queued waits its turn
    other.set_result(None)
    pool.jobs.discard(other)
    assert [pool.stalled(t, after=10) for t in (9, 18)] == [False, False]
    assert pool.stalled(19, after=10)


def test_closing_the_spool_while_a_document_is_written_leaves_nothing_and_warns_of_nothing(tmp_path, monkeypatch,
                                                                                       caplog):
    """close() from another thread between put() finding the directory and writing the file: the file failed to be
    written and the pipe fallback's warning was logged for no reason, or the file was made after rmtree had listed
    the directory, which was left behind (4 runs in 300, in review). Here close() is started at that moment."""
    from govreports.parse import spool as module

    spool = Spool(1000, root=tmp_path)
    spool.discard(spool.put(b"y" * 2000))  # the directory exists
    closer = threading.Thread(target=spool.close)

    def open_once_closing(path, mode="r", *args, **kwargs):
        if mode == "xb" and not closer.is_alive() and closer.ident is None:
            closer.start()
            closer.join(timeout=0.5)  # close() runs now, or waits for this write to end
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(module, "open", open_once_closing, raising=False)
    sent = spool.put(b"z" * 2000)
    closer.join(timeout=10)
    spool.discard(sent)
    assert list(tmp_path.iterdir()) == []
    assert not [r.getMessage() for r in caplog.records if r.name == "govreports.parse.spool"]


def test_a_spool_file_removed_before_the_worker_reads_it_says_so(tmp_path):
    with pytest.raises(RuntimeError, match="^the document's file for the parse worker was removed before it was read"):
        Spooled(str(tmp_path / "gone")).read()
