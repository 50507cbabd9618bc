"""The garbage collector's settings for the processes that handle documents by the thousand: the `govreports`
command, the nightly's early-crawl worker and the parse workers.

CPython looks for reference cycles after every 700 net new container objects. A crawl makes and frees them by the
million (responses, lxml's element proxies, rows), nearly all freed by reference counting the moment they are done
with, so those passes find little and cost more as the heap grows: a 2,000-report HTML crawl ran 964 of them, 0.54 s
of the crawling process's 12.7 s of CPU (measured with gc.callbacks around bench/crawl_speed.py). With the young
generation collected every 20,000 objects instead, and what exists at start-up frozen (modules, classes,
configuration: never garbage, yet a full collection traced all of it again), the same crawl ran 155 passes, 0.22 s.
A parse of the 100 KB Word-export page spent 0.17 of its 3.2 ms in the collector (bench/parse_speed.py). Cycles are
still collected, in fewer and larger passes; a pass of 20,000 young objects takes about a millisecond.

Set once, where such a process starts, never by library code: a program that calls run_crawl keeps its own settings
(and the test suite, which runs the CLI's `main` in-process, the interpreter's).
"""

from __future__ import annotations

import gc

YOUNG_EVERY = 20_000  # new container objects between two collections of the youngest generation (CPython: 700)


def for_document_batches() -> None:
    """Freeze every object alive now and collect the young generation every YOUNG_EVERY objects (older
    generations keep CPython's ratios). Call it after the process's imports: what they made is frozen with them."""
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_EVERY), older, oldest)
