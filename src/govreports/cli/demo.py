"""`govreports demo` (the demo portal, the nightly flow against config/demo.toml, how to query the result — what
`make demo` runs) and `govreports demo-portal` (the demo portal in the foreground, for demos and out-of-process
crawls)."""

from __future__ import annotations

from typing import Annotated

import typer

from govreports.cli.options import DEFAULT_ARCHIVE, DEFAULT_DB, ArchiveOption, DbOption


def demo(port: Annotated[int, typer.Option(help="Port of the demo portal.")] = 8765,
         db: DbOption = DEFAULT_DB, archive: ArchiveOption = DEFAULT_ARCHIVE) -> None:
    """Start the demo portal, run the nightly flow against config/demo.toml, print how to query the result."""
    from govreports.demo.run import main

    raise typer.Exit(main(port=port, db=str(db), archive=str(archive)))


def demo_portal(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (the index) and on each site's host, "
                                           "127.0.0.2–127.0.0.11 (0 = any free port).")] = 8765,
    scale: Annotated[int | None, typer.Option(help="Grow the sites until there are at least N reports.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated agencies, reports and faults.")] = 0,
    faults: Annotated[str, typer.Option(
        help="Comma-separated faults: 500,503,429,slow,reset,truncate,redirect-loop,robots,antibot-412,"
             "antibot-521,hostile (pathological documents) (or all, none); hung-host (the custom site's host takes "
             "connections and never answers; not in all); no-pager (the TRS columns lose their pager script; "
             "not in all).")] = "none",
    attachments: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Share of reports published only as a PDF/DOCX attachment.")] = 0.2,
    prerender: Annotated[bool, typer.Option(
        help="Render every attachment and report page before serving, as a real portal serves static files.")] = False,
) -> None:
    """Serve the local demo portal (imitation government sites; ground truth at /_demo/ground-truth.json)."""
    from govreports.demo.faults import FaultConfig
    from govreports.demo.server import serve_forever

    try:
        FaultConfig.parse(faults)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from exc
    serve_forever(port=port, seed=seed, scale=scale, faults=faults, attachments=attachments, prerender=prerender)


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command("demo-portal")(demo_portal)
