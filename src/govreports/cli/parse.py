"""`govreports parse`: report files into the canonical record, printed as a summary or as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from govreports import schema
from govreports.cli.common import say
from govreports.extract.limits import DEFAULT_DEADLINE, DEFAULT_MEMORY_MB


def _cells_read(record: dict) -> tuple[int, int]:
    cells = [v for t, r, c, v in schema.iter_cells(record) if c != "amount_unit"]
    return sum(v is not None for v in cells), len(cells)


def _summary(path: str, kind: str | None, record: dict) -> str:
    read, total = _cells_read(record)
    checks = record.get("checks", [])
    failed = [c for c in checks if c["ok"] is False]
    unknown = sum(c["ok"] is None for c in checks)
    lines = [
        f"{path}  ({kind})",
        f"  title      {record.get('title') or '—'}",
        f"  agency     {record.get('agency') or '—'}",
        f"  year       {record.get('year') or '—'}    format {record.get('format')}    "
        f"published {record.get('published') or '—'}",
        f"  sections   {', '.join(record.get('sections', {})) or '—'}",
        f"  cells read {read}/{total}",
        f"  checks     {len(checks)} evaluated: {len(failed)} failed, {unknown} not evaluable (blank cells)",
    ]
    lines += [f"    ✗ {c['rule']} {c['where']}: {c['detail']}" for c in failed[:10]]
    if record.get("reason"):
        lines.append(f"  reason     {record['reason']}")
    return "\n".join(lines)


def parse(
    paths: Annotated[list[Path], typer.Argument(help="Report files: HTML, PDF, DOCX, legacy .doc, RTF, OFD, .xlsx/.xls "
                                                     "or plain text (the kind read from the content).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the canonical record (JSON Lines for several files).")] = False,
    deadline: Annotated[float, typer.Option(
        "--deadline", min=0.1, help="give up on a file after this many seconds of CPU time parsing it (and after 3× as many on the clock)")] = DEFAULT_DEADLINE,
    max_memory: Annotated[int, typer.Option(
        "--max-memory", min=128, help="memory cap of the parse worker, in MiB")] = DEFAULT_MEMORY_MB,
) -> None:
    """Parse report files into the canonical record.

    The kind of each file is detected from its content. Exit code 0 when every file parsed, 1 when some could
    not (each is named on stderr with the reason), 2 for usage errors.

    Files are parsed in worker processes, one a core, under the crawl's limits (size, expansion, pages, a
    deadline, a memory cap), and printed in the order given; a file past a limit is named with it, e.g.
    `too_slow: parsing took more than 20 s of CPU time`.
    """
    from govreports.parse.bounded import BoundedParser

    failures = 0
    workers = min(len(paths), os.cpu_count() or 1)
    with BoundedParser(workers, deadline=deadline, memory_mb=max_memory) as parser:
        for path, outcome in zip(paths, parser.parse_paths(paths)):
            if not outcome.ok:
                failures += 1
                say(f"error: {path}: {outcome.error}")
                continue
            if as_json:
                indent = 2 if len(paths) == 1 else None
                typer.echo(json.dumps(outcome.record, ensure_ascii=False, indent=indent))
            else:
                typer.echo(_summary(str(path), outcome.kind, outcome.record))
    raise typer.Exit(1 if failures else 0)


def register(app: typer.Typer) -> None:
    app.command()(parse)
