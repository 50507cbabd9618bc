"""Legacy Word (.doc, Word 97–2003 binary) → blocks, through wvWare's wvHtml (Debian package `wv`).

wvHtml writes the document as HTML with its tables as real <table>s, merged cells as rowspan/colspan, and Chinese
intact (measured on .doc files LibreOffice converts from the DOCX renderer's output: every cell of both forms read
back; antiword drops the wide application table, catdoc breaks its rows). The HTML then goes through the HTML
extractor, so a .doc is parsed exactly as a Word export page is. wvHtml runs as a subprocess in a scratch
directory (it also writes the document's images there), with a timeout below the parse deadline and under the
worker's memory cap (a child inherits its address-space limit); its HTML is held to the HTML size limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from govreports.extract.document import Document, MissingTool
from govreports.extract.limits import DEFAULT_DEADLINE, DEFAULT_LIMITS, MB

PROGRAM, PACKAGE = "wvHtml", "wv"
TIMEOUT = DEFAULT_DEADLINE * 0.75  # seconds: the worker's deadline must not kill the worker first (orphaning wvHtml)


class DocError(ValueError):
    """wvHtml could not read the file (damaged, encrypted, not Word); the message says what it printed."""


def available() -> bool:
    return shutil.which(PROGRAM) is not None


def doc_to_html(data: bytes, timeout: float = TIMEOUT) -> str:
    program = shutil.which(PROGRAM)
    if program is None:
        raise MissingTool("Word .doc files", PROGRAM, PACKAGE)
    with tempfile.TemporaryDirectory(prefix="govreports-doc-") as scratch:
        source = Path(scratch) / "in.doc"
        source.write_bytes(data)
        done = _run([program, "--charset=utf-8", f"--targetdir={scratch}", "in.doc", "out.html"], scratch, timeout)
        out = Path(scratch) / "out.html"
        if done.returncode != 0 or not out.exists():
            said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise DocError(f"{PROGRAM} failed (exit {done.returncode}): {said[-1][:200] if said else 'no output'}")
        size = out.stat().st_size
        if size > DEFAULT_LIMITS.html_bytes:
            from govreports.parse.api import ParseLimitError

            raise ParseLimitError("too_large", f".doc unpacks to {size / MB:.1f} MB of HTML "
                                               f"(limit {DEFAULT_LIMITS.html_bytes / MB:.0f} MB)")
        return out.read_text(encoding="utf-8", errors="replace")


def _run(argv: list[str], cwd: str, timeout: float) -> subprocess.CompletedProcess:
    """Run wvHtml in a process group of its own and, past `timeout`, kill the whole group: wvHtml is a shell
    script whose wvWare loops for ever on some files (a LibreOffice-made .doc did), and killing only the script
    left wvWare spinning as an orphan, one more per such file."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}, process_group=0)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        from govreports.parse.api import ParseLimitError

        _kill_group(proc)
        raise ParseLimitError("too_slow", f"{PROGRAM} took longer than {timeout:g} s on this .doc") from None
    except BaseException:
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def extract_doc(data: bytes) -> Document:
    from govreports.extract.html import extract_html

    document = extract_html(doc_to_html(data))
    document.kind = "doc"
    if (document.meta.get("html_title") or "").strip() == "Untitled":  # wvHtml's word for a file without a title
        del document.meta["html_title"]
    return document
