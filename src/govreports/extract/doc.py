"""Legacy Word (.doc, Word 97–2003 binary) → blocks, through LibreOffice (Debian package libreoffice-writer-nogui),
or catdoc (Debian package catdoc) where LibreOffice is missing.

Measured on the expected records rendered as DOCX and converted to .doc by LibreOffice (bench/accuracy.py, doc
kind): wvHtml (package wv) loops for ever on every such file (0 of 398 cells, each file costing the whole
timeout), antiword drops the wide application table and the tables after it (178 cells), catdoc garbles a few
words at a piece boundary and splits some rows (340 cells then; 366 since its rows are joined again, below);
LibreOffice reads every cell (398). So `soffice
--convert-to docx` writes the document as DOCX (merged cells as gridSpan/vMerge, Chinese intact) and the DOCX
extractor reads it: a .doc is parsed exactly as a DOCX is, held to the same zip limits. LibreOffice runs in a
scratch directory with a profile of its own (concurrent parses do not share one), in its own process group killed
whole past the timeout, under the worker's memory cap (a child inherits its address-space limit); it costs about
1.3 s a file, most of it LibreOffice starting.

Without LibreOffice, catdoc gives the text with a table row as tab-separated cells, broken over lines where a
cell is blank (rows_rejoined makes each one line again, read as the text extractor reads any such line): title,
agency and year, and most cells. Without either, the parse fails
as `missing_tool` naming the package.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from govreports.extract.cputime import children_cpu, cpu_limited, past_limit, whole_seconds
from govreports.extract.document import Document, MissingTool
from govreports.extract.limits import DEFAULT_DEADLINE, WALL_FACTOR
from govreports.extract.lines import text_to_blocks
from govreports.parse.values import parse_value
from govreports.extract.toolcache import ToolCache, ask, identity

SOFFICE, SOFFICE_PACKAGE = "soffice", "libreoffice-writer-nogui"
CATDOC, CATDOC_PACKAGE = "catdoc", "catdoc"
# seconds of CPU time, and WALL_FACTOR times as many on the clock: the worker's bounds (the deadline's CPU time,
# WALL_FACTOR deadlines on the clock) must not kill the worker first (orphaning soffice)
TIMEOUT = DEFAULT_DEADLINE * 0.75


class DocError(ValueError):
    """The reader could not read the file (damaged, encrypted, not Word); the message says what it printed."""


def available() -> bool:
    return shutil.which(SOFFICE) is not None or shutil.which(CATDOC) is not None


def extract_doc(data: bytes, timeout: float = TIMEOUT, tools: ToolCache | None = None) -> Document:
    return extract_office(data, "doc", timeout, tools)


def extract_office(data: bytes, kind: str, timeout: float = TIMEOUT, tools: ToolCache | None = None) -> Document:
    """A .doc (or another file LibreOffice reads, such as RTF: `kind` names it) as blocks, through LibreOffice's
    DOCX (taken from `tools` when this file was converted before); a .doc through catdoc where LibreOffice is
    missing."""
    soffice = shutil.which(SOFFICE)
    if soffice is not None:
        from govreports.extract import limits
        from govreports.extract.docx import extract_docx

        docx = ask(tools, identity(soffice), ["--convert-to", "docx:MS Word 2007 XML", kind], data,
                   lambda: to_docx(data, soffice, kind, timeout))
        hit = limits.check(docx, "docx")
        if hit is not None:
            from govreports.parse.api import ParseLimitError

            raise ParseLimitError(hit.kind, f"the .{kind} converted: {hit.message}")
        document = extract_docx(docx)
        document.kind = kind
        document.meta["doc_reader"] = "libreoffice"
        return document
    catdoc = shutil.which(CATDOC)
    if kind != "doc" or catdoc is None:
        raise MissingTool("Word .doc files" if kind == "doc" else f".{kind} files", SOFFICE, SOFFICE_PACKAGE
                          if kind != "doc" else f"{SOFFICE_PACKAGE} (or catdoc, for the text without every cell)")
    text = rows_rejoined(_catdoc(data, catdoc, timeout))
    return Document(kind="doc", blocks=text_to_blocks(text), meta={"doc_reader": "catdoc"})


def rows_rejoined(text: str) -> str:
    """catdoc's table rows made whole again. It writes a row's cells with tabs between them, but a blank cell inside
    the row as a line break ('（一）予以公开⇥14⇥17' then '23⇥26⇥29⇥32' for 14, 17, blank, 23, …; a label cell alone
    on its line when the first value cell is blank): read line by line, the numbers after a break fell into the
    wrong columns, silently (23 of the fixture's 199 cells). A line of numbers only is joined to the table row line
    before it (a line with a tab, holding numbers or no more than two text cells, as a row's label does; never a
    header of many labels, nor prose) with one blank cell for the break."""
    out: list[str] = []
    joinable = False
    for line in text.split("\n"):
        filled = [c for c in map(str.strip, line.split("\t")) if c]
        texts = sum(1 for c in filled if not _number(c))  # cells that are no number
        values_only = bool(filled) and texts == 0
        if values_only and joinable and out:
            out[-1] += "\t\t" + line
            continue
        out.append(line)
        joinable = "\t" in line and bool(filled) and texts <= 2
    return "\n".join(out)


def _number(cell: str) -> bool:
    value = parse_value(cell)
    return value is not None and value.number is not None


def to_docx(data: bytes, soffice: str, kind: str = "doc", timeout: float = TIMEOUT) -> bytes:
    with tempfile.TemporaryDirectory(prefix="govreports-doc-") as scratch:
        folder = Path(scratch)
        (folder / f"in.{kind}").write_bytes(data)
        argv = [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
                "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(folder / "out"), str(folder / f"in.{kind}")]
        done = _run(argv, scratch, timeout)
        out = folder / "out" / "in.docx"
        if done.returncode != 0 or not out.exists():
            said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise DocError(f"LibreOffice could not read the .{kind} (exit {done.returncode}): "
                           f"{said[-1][:200] if said else 'no output'}")
        return out.read_bytes()


def _catdoc(data: bytes, program: str, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="govreports-doc-") as scratch:
        (Path(scratch) / "in.doc").write_bytes(data)
        done = _run([program, "-w", "-d", "utf-8", "in.doc"], scratch, timeout)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocError(f"catdoc failed (exit {done.returncode}): {said[-1][:200] if said else 'no output'}")
    return done.stdout.decode("utf-8", "replace")


def _run(argv: list[str], cwd: str, timeout: float, wall_factor: float = WALL_FACTOR) -> subprocess.CompletedProcess:
    """Run a reader in a process group of its own, within `timeout` seconds of CPU time (rounded up) for it and for
    each process it starts, and `wall_factor` times that on the clock, past which the whole group is killed: soffice
    is a shell script around soffice.bin (and wvHtml, read here before, looped for ever in its wvWare child); killing
    only the script would leave the child spinning as an orphan, one more per such file.

    The CPU limit is the kernel's (extract.cputime). A limit on the clock alone failed good .doc files as
    too_slow whenever other work kept the niced parse workers' children from the cores."""
    from govreports.parse.api import ParseLimitError

    cpu = whole_seconds(timeout)
    name = Path(argv[0]).name
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": cwd}
    before = children_cpu()
    proc = subprocess.Popen(cpu_limited(argv, cpu), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, process_group=0)
    try:
        stdout, stderr = proc.communicate(timeout=cpu * wall_factor)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ParseLimitError("too_slow", f"{name} took longer than {cpu * wall_factor:g} s on the clock (its limit is "
                                          f"{cpu} s of CPU time: it waited, or the machine was too busy to run it)"
                              ) from None
    except BaseException:
        _kill_group(proc)
        raise
    if past_limit(proc.returncode, children_cpu() - before, cpu):
        raise ParseLimitError("too_slow", f"{name} took more than {cpu} s of CPU time on this file")
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()
