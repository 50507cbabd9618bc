"""Start Datasette over the database with the generated metadata (a child process: Datasette owns its loop).

The child must never outlive `govreports serve`, or it keeps serving the port with nobody to stop it:
- SIGTERM, SIGINT and SIGHUP to the serve process stop Datasette (SIGTERM, then SIGKILL after a grace period)
  and remove the temporary metadata file, as a normal exit does;
- on Linux the child asks the kernel for SIGTERM when its parent dies (`PR_SET_PDEATHSIG`), which covers a
  SIGKILL of the serve process, where no cleanup code can run;
- the temporary metadata file is named `govreports-meta-<pid>-*.json`, so the next `serve` removes files whose
  process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from govreports.errors import GovreportsError
from govreports.lifecycle import die_with_parent, remove_orphans
from govreports.serve.metadata import build_metadata

META_PREFIX = "govreports-meta-"
_META_NAME = re.compile(rf"{re.escape(META_PREFIX)}(\d+)-.*\.json")
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))
GRACE_S = 10.0  # how long Datasette may take to shut down after SIGTERM before it is killed


class ServeError(GovreportsError):
    """Datasette cannot be started as asked (the port is taken, the metadata file cannot be written): exit 1."""


def listen_port(host: str, port: int) -> int:
    """The port Datasette will listen on, checked by binding it as uvicorn does (SO_REUSEADDR) and letting go: a
    port another server listens on is a ServeError before anything starts (Datasette had printed its link, then
    uvicorn's "address already in use", exit 3), and port 0 becomes a free port, so the link printed names it
    (it said `:0`)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            return probe.getsockname()[1]
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ServeError(f"cannot listen on {host} port {port}: {why[:1].lower() + why[1:]}"
                         + (" (another server uses it: choose another with --port)"
                            if exc.errno == errno.EADDRINUSE else "")) from None


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")
SAFE_NAME = "govreports"


def database_name(db_path: str | Path) -> str:
    """The name Datasette serves the database under: its file's stem, as Datasette names it, when that is plain
    (ASCII letters, digits, - and _), else `govreports`. Datasette routes any other name only tilde-encoded, which
    datasette-dashboards does not do: every chart of 年报.db or `my reports.db` fetched a 404 page
    (serve.datasette_main renames the database as Datasette starts)."""
    stem = Path(db_path).stem
    return stem if _PLAIN_NAME.fullmatch(stem) else SAFE_NAME


def write_metadata(db_path: str | Path, out: str | Path | None = None) -> Path:
    """Write metadata JSON for `db_path` to `out` (default: a temporary file named after this process's pid,
    which the caller removes; `sweep_metadata` removes it if this process dies first) and return its path."""
    meta = build_metadata(database_name(db_path))
    if out is None:
        fd, name = tempfile.mkstemp(prefix=f"{META_PREFIX}{os.getpid()}-", suffix=".json")
        os.close(fd)
        out = name
    out = Path(out)
    try:
        out.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as exc:  # `--metadata DIR`, a folder that does not exist: a traceback before
        raise ServeError(f"cannot write the metadata to {out}: {exc.strerror or exc}") from None
    return out


def sweep_metadata(directory: str | Path | None = None) -> int:
    """Delete temporary metadata files left by serve processes that no longer run; returns how many."""
    return remove_orphans(directory or tempfile.gettempdir(), _META_NAME, _unlink)


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:  # another sweeper won, or another user's file
        return False
    return True


def datasette_argv(db_path: str | Path, metadata: str | Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """Facet suggestions off: Datasette tries a facet on every column of a page's table or view, and on
    report_flat's 212 cell columns that is 212 queries over every report (a page of 5,000 reports took 12.7 s);
    the facets worth having are configured in the metadata (serve.metadata). Datasette's own command line, run
    by serve.datasette_main, which serves the database under database_name(db_path)."""
    return [sys.executable, "-m", "govreports.serve.datasette_main", database_name(db_path),
            "serve", str(db_path), "--metadata", str(metadata),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000",
            "--setting", "suggest_facets", "off"]


def dashboard_url(host: str = "127.0.0.1", port: int = 8001, slug: str = "overview") -> str:
    """Where the charts are (datasette-dashboards, configured in the metadata by charts.dashboard)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/-/dashboards/{slug}"


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, metadata_out: str | Path | None = None,
          **popen) -> subprocess.Popen:
    """Start Datasette and return the process (the caller waits for it or terminates it, and removes a
    temporary metadata file); the child dies with the calling process. `run` does all of that."""
    return _start(db_path, write_metadata(db_path, metadata_out), host, port, **popen)


def _start(db_path: str | Path, metadata: Path, host: str, port: int, **popen) -> subprocess.Popen:
    """The Datasette child, made to die with this process (PR_SET_PDEATHSIG) unless the caller says otherwise."""
    popen.setdefault("preexec_fn", die_with_parent())
    return subprocess.Popen(datasette_argv(db_path, metadata, host, port), **popen)


class _Stop(Exception):
    """Raised by the signal handler to break out of waiting for Datasette."""


@contextlib.contextmanager
def _stop_signals() -> Iterator[dict]:
    """While the block runs, the first SIGTERM/SIGINT/SIGHUP raises _Stop (once: cleanup is not interrupted);
    a second one while stopping kills Datasette without waiting out the grace period."""
    state: dict = {"signal": None, "process": None}

    def handler(signum, frame):
        first = state["signal"] is None
        state["signal"] = state["signal"] or signum
        if first:
            raise _Stop
        if state["process"] is not None:
            state["process"].kill()

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield state
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _stop(process: subprocess.Popen, grace: float) -> int:
    """End Datasette: SIGTERM, then SIGKILL if it is still running after `grace` seconds; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _exit_code(code: int) -> int:
    """A child's return code as a shell reports it (killed by signal N: 128 + N)."""
    return 128 - code if code < 0 else code


def run(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, metadata_out: str | Path | None = None,
        grace: float = GRACE_S, **popen) -> int:
    """Serve until Datasette exits or this process gets SIGTERM/SIGINT/SIGHUP; either way Datasette is stopped
    and the temporary metadata removed before returning. Returns 0 for a requested stop, else Datasette's code;
    raises ServeError, before anything starts, when the port is taken or the metadata cannot be written.
    Must run in the main thread (signal handlers)."""
    sweep_metadata()
    process = None
    metadata: Path | None = None
    with _stop_signals() as state:
        try:
            port = listen_port(host, port)
            metadata = write_metadata(db_path, metadata_out)
            process = _start(db_path, metadata, host, port, **popen)
            state["process"] = process
            print(f"dashboard: {dashboard_url(host, port)}", file=sys.stderr, flush=True)
            code = _exit_code(process.wait())
        except _Stop:
            code = 0
        finally:
            state["signal"] = state["signal"] or "done"  # from here on a signal does not raise
            if process is not None:
                _stop(process, grace)
            if metadata is not None and metadata_out is None:
                with contextlib.suppress(FileNotFoundError):
                    metadata.unlink()
    return code
