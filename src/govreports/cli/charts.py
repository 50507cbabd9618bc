"""The chart command: the dashboard's charts as SVG, PNG or HTML files, drawn without a browser.

Errors go to stderr: an unknown agency, or filters that select no report (a year, a province in a year, an empty
database), exits 1 (with suggestions); an unknown chart or a missing name exits 2. late_missing draws a year that
is due though no report covers it yet (every agency expected is missing it, as `analyze late --year` lists them).
A chart of table 三, 四 or the rules whose filters select only free-form reports (`--year 2018`: pre-2019 reports
have no tables) says so and exits 1, as `analyze refusals --year 2018` does (query.analyses.check_tables).
An empty --agency or --province is a usage error (exit 2), as with `analyze`.
`--all` draws every chart it can: one that cannot be drawn (a province without a report for the year: late_missing
still draws) is named with why, and the command exits 1 after the others. `-o -` writes the chart to stdout, as
`export -o -` does (a PNG to a terminal is a usage error, exit 2, as export's workbook is).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from govreports.charts.specs import CHARTS
from govreports.cli.common import fail
from govreports.cli.options import DEFAULT_DB, YEAR_RANGE, DbOption
from govreports.errors import EXIT_USAGE, GovreportsError


class ChartFormat(str, enum.Enum):
    svg = "svg"
    png = "png"
    html = "html"


def chart(name: Annotated[Optional[str], typer.Argument(
              help="the chart: " + ", ".join(CHARTS), show_default=False)] = None,
          db: DbOption = DEFAULT_DB,
          format: Annotated[Optional[ChartFormat], typer.Option(
              "--format", "-f", help="svg (text stays text), png (2x pixels), html (opens offline); default from -o's "
                                     "suffix, else svg", show_default=False)] = None,
          output: Annotated[Optional[Path], typer.Option(
              "--output", "-o", help="file to write (default: NAME.FORMAT here); - for stdout, in -f's format, "
                                     "else svg", show_default=False)] = None,  # ([default: …] is markup to rich)
          all_: Annotated[bool, typer.Option("--all", help="every chart, as NAME.FORMAT in --out-dir")] = False,
          out_dir: Annotated[Path, typer.Option("--out-dir", help="folder for --all (created)")] = Path("."),
          year: Annotated[Optional[int], typer.Option(help="only reports for this year", **YEAR_RANGE)] = None,
          agency: Annotated[Optional[str], typer.Option(
              help="only this agency (exact, or the same after normalisation; a partial name lists suggestions)")
          ] = None,
          province: Annotated[Optional[str], typer.Option(
              help="only agencies in this province (江苏省 or 江苏, 内蒙古, 全国 for national bodies)")] = None,
          list_: Annotated[bool, typer.Option("--list", help="list the charts and exit")] = False,
          ) -> None:
    """Draw the dashboard's charts into files for papers and slides, in a font that shows Chinese.

    Charts: applications per year, how applications were answered, refusals by reason, review and litigation
    outcomes, reviews and lawsuits per year, rule failures, on time / late / missing by region. `--agency` gives
    one agency's numbers over the years; `--year 2023 late_missing` who was late or missing in 2023, by province.
    `-o -` writes to stdout: `govreports chart answers -f png -o - > answers.png`."""
    from govreports.charts import cjk_glyphs_ok, draw_chart, resolve_filters, write_chart

    if list_:
        for chart_ in CHARTS.values():
            typer.echo(f"{chart_.name:<18} {chart_.label}")
        return
    if all_ == (name is not None):
        fail("name one chart, or give --all (charts: " + ", ".join(CHARTS) + ")", EXIT_USAGE)
    if name is not None and name not in CHARTS:
        fail(f"no chart {name!r}; charts: {', '.join(CHARTS)}", EXIT_USAGE)
    # an empty filter (a script's --agency "$NAME" with NAME unset) drew every agency, titled as unfiltered, exit 0
    for option, value, wanted in (("agency", agency, "an agency name"),
                                  ("province", province, "a province (江苏省 or 江苏, 内蒙古, 全国)")):
        if value is not None and not value.strip():
            fail(f"--{option} is empty: give {wanted}, or leave the option out", EXIT_USAGE)
    if all_ and output is not None:
        fail("--output names one file; with --all use --out-dir", EXIT_USAGE)
    to_stdout = output is not None and str(output) == "-"  # the usual name for stdout, as export reads it
    format = _format(format, output)  # "-" has no suffix: -f, else svg
    if to_stdout and format is ChartFormat.png and sys.stdout.isatty():
        fail("a PNG is not for a terminal: redirect it (-o - > chart.png), or give -o FILE.png", EXIT_USAGE)
    if not Path(db).is_file():
        fail(f"no database at {db} (create one with `govreports load` or `govreports crawl`)")
    try:
        filters = resolve_filters(db, year=year, agency=agency, province=province)
        if format is ChartFormat.png and not cjk_glyphs_ok():
            typer.echo("warning: no font with Chinese glyphs found: Chinese text will show as boxes "
                       "(install fonts-noto-cjk, or set GOVREPORTS_CJK_FONT_DIR to a folder of CJK fonts)", err=True)
        if to_stdout:  # the bytes as drawn: a PNG through the binary stream, not the text one
            data = draw_chart(db, name, format.value, filters)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        if not all_:
            typer.echo(write_chart(db, name, format.value, output or Path(f"{name}.{format.value}"), filters))
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        _draw_all(db, format.value, out_dir, filters)
    except GovreportsError as exc:
        fail(str(exc), exc.exit_code)
    except OSError as exc:
        if exc.filename:  # the file asked for (write_chart names it, not its temporary file)
            fail(f"cannot write {exc.filename}: {exc.strerror or exc}")
        fail(f"cannot write: {exc}")


_SUFFIXES = {".svg": ChartFormat.svg, ".png": ChartFormat.png, ".html": ChartFormat.html, ".htm": ChartFormat.html}


def _format(given: ChartFormat | None, output: Path | None) -> ChartFormat:
    """The format to draw: -f, else the one -o's suffix names, else svg. `-o late.png` alone wrote an SVG into
    late.png (slides and word processors call it a broken picture); a -f its suffix contradicts (`-f svg -o
    x.png`), or a suffix that is no chart format (`-o x.jpg`), is a usage error, as `export` treats its -o."""
    suffix = output.suffix.lower() if output is not None else ""
    if not suffix:
        return given or ChartFormat.svg
    named = _SUFFIXES.get(suffix)
    if named is None:
        fail(f"{output.name}: a chart is drawn as svg, png or html; name the file .svg, .png or .html", EXIT_USAGE)
    if given is not None and given is not named:
        fail(f"--format {given.value} does not go with {output.name}", EXIT_USAGE)
    return named


def _draw_all(db: Path, fmt: str, out_dir: Path, filters) -> None:
    """Every chart into out_dir. One that cannot be drawn is named on stderr with why and the others are still
    drawn (the first failure had left the rest, late_missing among them, unwritten); then exit non-zero (the
    failures' code, 1 for filters that leave a chart empty) if any was not drawn."""
    from govreports.charts import write_chart

    failed: dict[str, int] = {}
    for chart_name in CHARTS:
        try:
            typer.echo(write_chart(db, chart_name, fmt, out_dir / f"{chart_name}.{fmt}", filters))
        except GovreportsError as exc:
            typer.echo(f"error: {chart_name}: {exc}", err=True)
            failed[chart_name] = exc.exit_code
    if failed:
        fail(f"{len(failed)} of {len(CHARTS)} charts not drawn: {', '.join(failed)}", max(failed.values()))


def register(app: typer.Typer) -> None:
    app.command()(chart)
