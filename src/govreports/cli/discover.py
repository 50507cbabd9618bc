"""`govreports discover URL`: find a portal's annual-report column(s) and print a ready `[[portal]]` block each.

Stdout is one TOML document — `[safety]` when the portal is on a private address, then a block per column, best
first, each under a one-line reason — with the preview of each block's first listings as comment lines below it,
so the output can be read by a person and saved or piped as it is. `--write FILE` saves the blocks (a new file,
or appended to an existing config after checking the result still loads).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Annotated, Optional

import typer

from govreports.cli.common import fail
from govreports.errors import EXIT_FAILED, EXIT_USAGE


def discover(
    url: Annotated[str, typer.Argument(help="An agency's home page or its 政府信息公开 page.")],
    write: Annotated[Optional[Path], typer.Option(
        "--write", help="Save the blocks to FILE (appended, and checked, when FILE is a config already).")] = None,
    allow_private_addresses: Annotated[bool, typer.Option(
        "--allow-private-addresses",
        help="The portal is on a local or intranet address (the blocks then carry \\[safety]).")] = False,
    max_pages: Annotated[int, typer.Option(min=1, max=200, help="Pages the walk may ask for.")] = 30,
    preview: Annotated[int, typer.Option(min=0, help="Listings to preview per block (0: none).")] = 10,
    delay: Annotated[Optional[float], typer.Option(
        min=0, help="Seconds between requests to the host (default: the crawl's per_host_delay).")] = None,
    fetch: Annotated[str, typer.Option(
        help="auto: pass a JavaScript gate (瑞数, 加速乐, WZWS) in headless Chromium when one answers, and draft "
             "fetch = \"browser\"; http: never start a browser; browser: as auto, failing when no Chromium.")] = "auto",
) -> None:
    """Find the column(s) holding the 政府信息公开工作年度报告 and print a config that crawls them.

    The walk stays on the URL's host, obeys robots.txt and the crawl's per-host delay, and asks for at most
    --max-pages pages. Exit codes: 0 a column was found (and its preview lists reports); 1 none was found, the
    start page could not be read, or the best block's preview lists no report; 2 usage error (a private address
    without --allow-private-addresses, a --write FILE that cannot take the blocks).
    """
    from govreports.discover import DiscoverError
    from govreports.discover import draft
    from govreports.discover import discover as run
    from govreports.portals.config import ConfigError

    try:
        if write:
            draft.check_writable(write)
        taken = draft.existing_names(write) if write else set()
    except ConfigError as exc:
        fail(f"--write: {exc}", EXIT_USAGE)
    politeness = {} if delay is None else {"per_host_delay": delay}
    try:
        found = asyncio.run(run(url, allow_private_addresses=allow_private_addresses, max_pages=max_pages,
                                preview_limit=preview, taken=taken, fetch=fetch, progress=_progress(),
                                **politeness))
    except DiscoverError as exc:
        fail(str(exc), exc.exit_code)
    typer.echo(render(found), nl=False)
    if write:
        try:
            text = draft.merged(write, [c.block for c in found.columns], allow_private_addresses)
        except ConfigError as exc:
            fail(f"--write: {exc}", EXIT_USAGE)
        try:
            draft.write(write, text)
        except OSError as exc:  # the blocks are on stdout still
            fail(f"--write: cannot write {write}: {exc.strerror or exc}", EXIT_USAGE)
        typer.echo(f"wrote {len(found.columns)} portal block(s) to {write}", err=True)
    best = found.columns[0].preview
    if best is not None and not any(item.status != "excluded" for item in best.items):
        fail(f"the best block ({found.columns[0].name}) lists no annual report in its preview: check it before "
             "crawling", EXIT_FAILED)


def _progress():
    """Each page as the walk asks for it, on a terminal's stderr (a minute's walk was silent); nothing when stderr
    is a file or a pipe, whose reader wants the outcome, not the steps."""
    import sys

    if not sys.stderr.isatty():
        return None
    return lambda line: typer.echo(f"discover: {line}", err=True)


def render(found) -> str:
    """The TOML document with each block's preview and the rejected look-alikes as comments."""
    from govreports.discover import draft

    out = [draft.safety(found.allow_private_addresses)] if found.allow_private_addresses else []
    for column in found.columns:
        out.append(column.block)
        if column.preview is not None:
            out.append(_commented(_preview_text(column.preview)))
    rejected = [c for c in found.rejected if c.score >= 2]
    if rejected:
        out.append("# not used (named like a column, but not one):\n" + "".join(
            f"#   {c.page.url} ({c.evidence}): {c.rejected}\n" for c in rejected))
    out.append(f"# {found.pages} page(s) asked for from {found.start_url}\n")
    return "\n".join(out)


def _preview_text(result) -> str:
    from rich.console import Console

    from govreports.crawl.preview import print_preview

    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None, force_terminal=False, highlight=False)
    print_preview(result, console, title=f"{result.portal}: the first listings a crawl would fetch")
    return buffer.getvalue()


def _commented(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def register(app: typer.Typer) -> None:
    app.command()(discover)
