"""The `govreports` command: a thin layer over the package's functions, one module per group of commands, each
adding its module-level command functions in `register(app)`:

    parse    parse                                        store   load, query, analyze, report, search, export, serve
    crawl    crawl                                        flows   nightly, backfill, reparse, serve-flows
    demo     demo, demo-portal                            status  status
    discover discover                                     charts  chart

Shared options and their defaults: cli.options; how a command ends: cli.common. Exit codes: 0 success, 1 some
input failed (each named on stderr), 2 usage error; the run commands add 3 (nothing could be fetched), 69 (the
Prefect server could not start or stopped answering), 74 (the database or the archive could not be written: a full
disk), 75 (another run holds the database, or SQLite stayed locked) and 124 (the run reached its --time-limit),
which `main` maps. Any command whose reader goes away (`| head`) ends quietly with 141, as SIGPIPE's victims do,
unless it failed on its own: its own code wins.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import signal
import sqlite3
import sys

import typer
from typer.core import TyperGroup

from govreports import gcpolicy
from govreports.cli import charts, crawl, demo, discover, flows, parse, status, store
from govreports.cli.common import say
from govreports.errors import EXIT_BUSY, EXIT_STORAGE, GovreportsError, StorageError
from govreports.lifecycle import StopSignals, cut_short_in, signal_name, stop_signal_in
from govreports.store.db import (BUSY_TIMEOUT_S, cannot_write, could_not_write, damaged, database_of, locked,
                                  storage_cause)

__all__ = ["app", "entry", "main"]

# how a shell reports a command SIGPIPE killed: `yes | head -1`, then ${PIPESTATUS[0]}
EXIT_READER_GONE = 128 + signal.SIGPIPE


class ReaderGone(Exception):
    """The reader of standard output (or of standard error) closed its end: `govreports query … | head -1`."""


class _Commands(TyperGroup):
    """The root group: the command runs (and `govreports --help` is printed) under `_reader_gone_raised`, and what
    is left of its output is flushed there, while a broken pipe can still be told apart (at the interpreter's exit
    it was 'Exception ignored … BrokenPipeError' and exit 120)."""

    def make_context(self, *args, **kwargs):
        with _reader_gone_raised():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _reader_gone_raised():
            try:
                result = super().invoke(ctx)
            except typer.Exit:
                sys.stdout.flush()
                raise
            sys.stdout.flush()
            return result


@contextlib.contextmanager
def _reader_gone_raised():
    """The EPIPE of a reader of stdout or stderr that went away, as ReaderGone, for `main` to end quietly. Click's
    own handling of it was exit 1 with nothing said (rich's, for its tables and help, the same), which a
    `set -o pipefail` script took for a failed command."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EPIPE and _widowed_streams():
            raise ReaderGone() from exc
        raise  # another pipe (a child's stdin, a socket): a failure of its own
    except SystemExit as exc:
        # rich's Console.on_broken_pipe: its own file's reader went away, its output sent to the null device
        if isinstance(exc.__context__, BrokenPipeError) and exc.code == 1:
            raise ReaderGone() from exc.__context__
        raise


def _widowed_streams() -> list[int]:
    """stdout's and stderr's descriptors that are pipes whose reader has gone (poll says POLLERR for them, on
    Linux); both when poll cannot say, as click assumed."""
    import select

    if not hasattr(select, "poll"):
        return [1, 2]
    widowed = []
    for fd in (1, 2):
        poll = select.poll()
        try:
            poll.register(fd, select.POLLOUT)
            if any(events & select.POLLERR for _, events in poll.poll(0)):
                widowed.append(fd)
        except (OSError, ValueError):
            continue
    return widowed


app = typer.Typer(
    cls=_Commands,
    help="Crawl, parse and query 政府信息公开工作年度报告 (government information disclosure annual reports).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """govreports — exit codes: 0 success, 1 some inputs failed (named on stderr), 2 usage error."""


for _module in (parse, store, crawl, flows, demo, status, discover, charts):
    _module.register(app)


def entry() -> None:
    """The installed `govreports` command and `python -m govreports`: `main` in a process of its own, so with the
    collector's settings for document batches (gcpolicy). Tests call `main` in their own process, which keeps its."""
    gcpolicy.for_document_batches()
    _closed_streams_discarded()
    _unwritable_escaped()
    try:
        main()
    finally:
        _say_what_was_escaped()


def _closed_streams_discarded() -> None:
    """A stream its caller closed (`>&-`, a daemon's closed descriptors) is None in Python: the first line written
    there ended the command in a traceback, exit 1, after work that went well, and a night's exit code lied. What
    is written there now goes nowhere, as the caller asked (the null device takes the closed descriptor's number,
    so the programs a run starts inherit it too)."""
    import os

    for name in ("stdin", "stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "r" if name == "stdin" else "w", encoding="utf-8"))


_ESCAPED = "govreports-escaped"  # the codecs error handler of stdout (`_unwritable_escaped`)
_FIRST_ESCAPED: list[str] = []  # the first character stdout's encoding could not write


def _escape_and_remember(exc: UnicodeEncodeError) -> tuple[str, int]:
    if not _FIRST_ESCAPED:
        _FIRST_ESCAPED.append(exc.object[exc.start])
    return codecs.backslashreplace_errors(exc)


def _unwritable_escaped() -> None:
    """An encoding that cannot write Chinese (PYTHONIOENCODING=ascii or latin-1, a legacy locale, a Windows code
    page under a redirect) ended a command in a UnicodeEncodeError traceback at the first agency name, even in
    `--help`. What stdout's encoding cannot write is written as a \\uXXXX escape (as Python does on stderr), and
    `_say_what_was_escaped` says so once: the encoding stays the one the user chose (gbk users get GBK), what it
    can write is written as it is, and the command ends as it would have. An escape, not '?': visibly not the
    data, and reversible. A handler the user named (PYTHONIOENCODING=ascii:replace) is theirs and kept."""
    codecs.register_error(_ESCAPED, _escape_and_remember)
    for name, errors in (("stdout", _ESCAPED), ("stderr", "backslashreplace")):
        stream = getattr(sys, name)
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)
    _click_writes_through(sys.stdout, sys.stderr)


def _click_writes_through(*streams) -> None:
    """click's echo (typer's own copy of click, and click), which writes every plain line (`load`'s, each
    `error:` line), takes an ASCII stream for a misconfigured locale and writes UTF-8 to its bytes through a
    stream of its own: under PYTHONIOENCODING=ascii those lines came out as mojibake, beside tables escaped, and
    unannounced. For `streams` (stdout and stderr, as `_unwritable_escaped` set them up) the encoding is the
    user's choice, not a misconfiguration: echo writes through them, escaped as the tables are. (click has no
    public switch for this; a click without the private check it makes is left as it is.)"""
    import importlib

    for name in ("typer._click._compat", "click._compat"):
        try:
            compat = importlib.import_module(name)
        except ImportError:
            continue
        misconfigured = getattr(compat, "_stream_is_misconfigured", None)
        if misconfigured is None or getattr(misconfigured, "streams", None) is not None:
            continue
        compat._stream_is_misconfigured = _Misconfigured(misconfigured, streams)


class _Misconfigured:
    """click's `_stream_is_misconfigured`, except for the streams govreports set up itself."""

    def __init__(self, check, streams):
        self.check, self.streams = check, streams

    def __call__(self, stream) -> bool:
        return not any(stream is ours for ours in self.streams) and self.check(stream)


def _say_what_was_escaped() -> None:
    """One warning at the end of stderr when stdout's encoding could not write some characters."""
    if not _FIRST_ESCAPED:
        return
    with contextlib.suppress(OSError, ValueError):  # stderr closed or gone too: nobody to tell
        # through stderr's own encoding, escaped as need be
        sys.stderr.write(f"warning: standard output's encoding ({sys.stdout.encoding}) cannot write "
                         f"{_FIRST_ESCAPED[0]} and other characters: they were written as \\uXXXX escapes; set "
                         "PYTHONIOENCODING=utf-8 (or a UTF-8 locale) to have them as they are\n")
        sys.stderr.flush()


def main() -> None:
    """Run the command; a GovreportsError that escapes it (a busy database, a bad config given to a flow command)
    ends as one line on stderr and that error's exit code, never a traceback. Ctrl-C, SIGTERM and SIGHUP unwind
    it (its cleanup runs, the processes it started stop) and end it with one line and 128 + the signal's number,
    as a shell reports a process the signal killed. Whatever the ending, a reader of stdout that has gone is
    found before the interpreter exits: a command that failed after writing rows still waiting in stdout's buffer
    (`query -f csv … | head -0` on a damaged database) ended in 'Exception ignored … BrokenPipeError' and exit
    120, the interpreter's flush of them at exit meeting the gone reader; it ends with its error line and its own
    code (74), what is left for the reader discarded; so does one whose error line meets a reader of stderr that
    has gone (`2>&1 | head -0`: cli.common.say). 141 is for a command that the gone reader ended, or that succeeded
    with output left unwritten."""
    try:
        _main()
    except SystemExit as exc:
        if (shown := _click_error_cut(exc)) is not None:
            _discard_widowed()  # what is still buffered for the gone reader: the interpreter's flush of it gave 120
            sys.exit(shown)
        if _stdout_reader_gone() and not _failed_on_its_own(exc):
            sys.exit(EXIT_READER_GONE)
        raise
    except BaseException as exc:
        # stderr's reader gone as the error line was written (`2>&1 | head -0`); or a bug, its traceback kept
        if (isinstance(exc, OSError) and exc.errno == errno.EPIPE and _widowed_streams()) or _stdout_reader_gone():
            _discard_widowed()
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                sys.exit(EXIT_READER_GONE)
        raise


def _failed_on_its_own(exc: SystemExit) -> bool:
    """Whether a command's exit is a failure of its own (74 for a damaged database, 1 for inputs that failed), which
    a scheduler must see whatever became of its output: a reader gone with rows still buffered made it 141, the
    code of a command the gone reader alone ended (that one, and one that succeeded, keep 141). A 1 that rich or
    click gave for the broken pipe itself is not the command's."""
    code = exc.code
    if code is None or code == 0 or code == EXIT_READER_GONE:
        return False
    return not (code == 1 and isinstance(exc.__context__, BrokenPipeError))


def _click_error_cut(exc: SystemExit) -> int | None:
    """The code of click's own error (a usage error: 2) whose drawing, by rich on stderr, met a gone reader, else
    None: rich ends such a write with exit 1 (Console.on_broken_pipe) and the interpreter's flush of stderr at exit
    made it 120, never the usage error's 2 that `fail`'s usage errors end with."""
    broken = exc.__context__
    if exc.code != 1 or not isinstance(broken, BrokenPipeError):
        return None
    shown = broken.__context__
    code = getattr(shown, "exit_code", None)  # typer's own click's errors (typer._click), TyperException's
    return code if isinstance(shown, typer.TyperException) and isinstance(code, int) else None


def _stdout_reader_gone() -> bool:
    """Whether what stdout still buffers cannot be written, its reader gone; it then goes to the null device
    (`_discard_widowed`), as does what the interpreter writes there as it exits."""
    try:
        with _reader_gone_raised():
            if sys.stdout is not None:
                sys.stdout.flush()
    except ReaderGone:
        _discard_widowed()
        return True
    except (OSError, ValueError):  # stdout closed, or failing otherwise: the command's own ending stands
        return False
    return False


def _discard_widowed() -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in _widowed_streams():
        os.dup2(null, fd)
    os.close(null)


def _main() -> None:
    stops = StopSignals().install()
    try:
        app()
    except ReaderGone:
        # the command unwound (its cleanup ran); what is still buffered for the gone reader goes to the null device,
        # and so does what the interpreter writes there as it exits
        _discard_widowed()
        sys.exit(EXIT_READER_GONE)
    except GovreportsError as exc:
        say(f"error: {exc}{_notes(exc)}")
        sys.exit(exc.exit_code)
    except sqlite3.DatabaseError as exc:  # OperationalError, and the damaged file's DatabaseError itself
        if cannot_write(exc):  # a full disk under a write outside the crawl's batches (`load`, a run's own row)
            kept = "" if damaged(exc) else "; what was committed before stays"
            say(f"error: {could_not_write(exc, path=database_of(exc))}{kept}{_notes(exc)}")
            sys.exit(EXIT_STORAGE)
        if not locked(exc):
            raise
        # a writer outside govreports' lock (another tool, a copy of the file in use) kept SQLite busy
        say(f"error: the database stayed locked for {BUSY_TIMEOUT_S:.0f} s: another program is writing it; try "
            "again when it has finished")
        sys.exit(EXIT_BUSY)
    except BaseException as exc:
        cut = cut_short_in(exc)  # the run's own bounds stopped it (runs.watchdog): its time limit, Prefect gone
        if cut is not None:
            say(f"error: {cut.ending.reason}; what was stored before it stays")
            sys.exit(cut.ending.code)
        signum = stop_signal_in(exc)  # Ctrl-C, SIGTERM, SIGHUP (lifecycle): the run unwound, its children stopped
        if signum is None:
            # SystemExit: the command ended itself, having said why (a failed export's `cannot write …`: exit 1)
            if not isinstance(exc, Exception) or (full := storage_cause(exc)) is None:
                raise
            # a full disk behind another failure (Prefect's server, on the same disk, could not record the run)
            said = (str(full) if isinstance(full, StorageError)
                    else could_not_write(full, path=database_of(full)) if isinstance(full, sqlite3.Error)
                    else f"storage failed: {full}")
            then = "" if full is exc else f" (then {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]})"
            say(f"error: {said}; what was committed before stays{then}{_notes(exc)}")
            sys.exit(EXIT_STORAGE)
        signum = stops.received or signum  # a SIGTERM inside asyncio.run unwinds as Ctrl-C does there
        say(f"stopped by {signal_name(signum)}: what was stored before it stays")
        sys.exit(128 + signum)


def _notes(exc: BaseException) -> str:
    """What a command added to its error on the way out (`load`: the file it stopped at), after the error's line."""
    return "".join(f"; {note}" for note in getattr(exc, "__notes__", ()))
