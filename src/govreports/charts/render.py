"""Charts as files, without a browser: the chart's SQL run read-only, its Vega-Lite spec filled with the rows and
rendered by vl-convert (Vega and Vega-Lite compiled into a Rust library; PNG text drawn with resvg).

Chinese needs a font with CJK glyphs. vl-convert reads the system's fonts; directories it may not know (a font
installed by hand, GOVREPORTS_CJK_FONT_DIR) are registered before the first conversion. Whether a CJK font is
really there is checked the honest way: two different Chinese strings drawn as PNG must differ, as they do not
when both come out as the same missing-glyph boxes.
"""

from __future__ import annotations

import functools
import os
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

from govreports.charts.specs import CHARTS, CONFIG, CURRENT_FILTER, FILTER, PARAMS, Chart
from govreports.errors import EXIT_USAGE, GovreportsError

FORMATS = ("svg", "png", "html")
VL_VERSION = "6.4"  # the Vega-Lite that datasette-dashboards bundles (6.4.1): files and browser draw alike
PNG_SCALE = 2.0  # pixels per chart unit: sharp on slides and in print
_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/wqy",
              "/usr/share/fonts/opentype/adobe-source-han-sans", "/usr/local/share/fonts",
              str(Path.home() / ".local/share/fonts"), str(Path.home() / ".fonts"),
              "/System/Library/Fonts", "/Library/Fonts", "C:/Windows/Fonts")


class ChartError(GovreportsError):
    """An unknown chart name or file format; the message is for the user (a usage error, exit 2)."""

    exit_code = EXIT_USAGE


def _vlc():
    import vl_convert

    return vl_convert


def cjk_font_dirs() -> list[str]:
    """Directories holding fonts with Chinese glyphs: GOVREPORTS_CJK_FONT_DIR, fontconfig's answer, known places."""
    found: list[str] = []
    if extra := os.environ.get("GOVREPORTS_CJK_FONT_DIR"):
        found += [d for d in extra.split(os.pathsep) if d]
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        if path := line.split(":", 1)[0].strip():
            found.append(str(Path(path).parent))
    found += [d for d in _FONT_DIRS if Path(d).is_dir()]
    return [d for d in dict.fromkeys(found) if Path(d).is_dir()]


@functools.cache
def setup_fonts() -> tuple[str, ...]:
    """Register the CJK font directories with vl-convert once per process; returns them."""
    vlc = _vlc()
    dirs = tuple(cjk_font_dirs())
    for directory in dirs:
        try:
            vlc.register_font_directory(str(Path(directory).resolve()))
        except Exception:  # pragma: no cover - an unreadable directory: the others may do
            continue
    return dirs


def _text_png(text: str) -> bytes:
    spec = {"width": 60, "height": 20, "config": CONFIG, "data": {"values": [{}]},
            "mark": {"type": "text", "text": text, "fontSize": 16}}
    return _vlc().vegalite_to_png(spec, vl_version=VL_VERSION)


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw pixel rows) of a non-interlaced PNG: what the picture shows, whatever the encoder's
    compression (two encodings of one picture need not be byte-equal)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        body = png[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if interlace:
        raise ValueError("interlaced PNG")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bpp = max(1, channels * depth // 8)
    stride = (width * channels * depth + 7) // 8
    data, out, prev = zlib.decompress(idat), bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        out += line
        prev = line
    return width, height, bytes(out)


@functools.cache
def cjk_glyphs_ok() -> bool:
    """Whether charts draw Chinese as Chinese: two different words must give different pictures (missing glyphs
    are drawn as identical boxes, or not at all)."""
    setup_fonts()
    return png_pixels(_text_png("申请公开")) != png_pixels(_text_png("复议诉讼"))


def chart(name: str) -> Chart:
    try:
        return CHARTS[name]
    except KeyError:
        raise ChartError(f"no chart {name!r}; charts: {', '.join(CHARTS)}") from None


@dataclass(frozen=True)
class Filters:
    """What a chart is drawn for: SQL parameters ('' = all) and the subtitle that says so."""
    params: dict
    subtitle: str | None = None
    # why the charts drawn from reports would be empty, when the filters select no report but agency-years the
    # scorecard expects (a due year nobody has published for yet): late_missing draws them, the others refuse
    no_reports: str | None = None
    agency_name: str | None = None  # the agency as stored (params hold its normalised name), for messages


class NoAgencies(GovreportsError):
    """A province no agency in the database is in (exit 1); the message names the provinces there are."""


def _province(conn, text: str) -> str:
    """The province-level name `text` means (江苏 -> 江苏省), checked against the agencies in the database."""
    from govreports.regions import parse_region

    try:
        region = parse_region(text)
    except ValueError as exc:
        raise ChartError(str(exc).replace("region ", "--province ", 1)) from None
    # a municipality (北京 天津 上海 重庆) is read with itself as its city: it is still the province-level name
    if region.county or region.city not in (None, region.province):
        raise ChartError(f"--province {text!r}: give a province-level name (江苏省, 内蒙古, 全国), not a city or county")
    if conn.execute("SELECT 1 FROM agencies WHERE province = ? LIMIT 1", [region.province]).fetchone() is None:
        there = [r[0] for r in conn.execute(
            "SELECT DISTINCT province FROM agencies WHERE province IS NOT NULL ORDER BY province")]
        raise NoAgencies(f"no agency in {region.province}"
                         + (f" (provinces in the database: {', '.join(there)})" if there else ""))
    return region.province


def resolve_filters(db_path: str | Path, *, year: int | str | None = None, agency: str | None = None,
                    province: str | None = None) -> Filters:
    """The filters checked against the database the way `analyze` checks them: the agency by the one matching
    rule (exact, then normalised; else an error with suggestions), a province by its name (short forms too), and
    a year or agency without reports is an error naming what there is, never an empty chart."""
    from govreports.query.agencies import resolve_agency
    from govreports.query.analyses import NoReports, check_reports
    from govreports.query.readonly import connect_readonly

    conn = connect_readonly(db_path)
    no_reports = None
    try:  # unfiltered too: a database without reports draws nothing
        found = resolve_agency(conn, agency) if agency else None
        province = _province(conn, province) if province else None
        params = {"year": "" if year is None else str(year), "agency": found.norm_name if found else "",
                  "province": province or ""}
        try:
            check_reports(conn, found, year)
        except NoReports as exc:
            # a year due that no report covers yet: every agency expected is missing it (as `analyze late --year`
            # lists them), which late_missing draws; "no reports for Y" had refused that chart too
            if year is None or conn.execute(
                    f"SELECT 1 FROM scorecard r JOIN agencies a ON a.id = r.agency_id WHERE {FILTER} LIMIT 1",
                    params).fetchone() is None:
                raise
            no_reports = str(exc)
    finally:
        conn.close()
    parts = [f"机关 / agency: {found.name}" if found else "", f"地区 / province: {province}" if province else "",
             f"年度 / year: {year}" if year is not None else ""]
    return Filters(params, "；".join(p for p in parts if p) or None, no_reports, found.name if found else None)


def check_province_reports(db_path: str | Path, chart_: Chart, filters: Filters) -> None:
    """NoReports when a chart drawn from reports would be drawn empty: the filters select none (a due year no report
    covers yet, which resolve_filters let through for late_missing), or a province is given and, with the agency
    and year, selects no report (resolve_filters checks the agency and the year each on its own)."""
    from govreports.query.analyses import NoReports
    from govreports.query.readonly import run_query

    if not chart_.needs_reports:
        return
    if filters.no_reports:  # a due year without a report: only late_missing has something to draw
        raise NoReports(filters.no_reports)
    if not filters.params.get("province"):
        return
    params = {p: filters.params.get(p, "") for p in PARAMS}
    if not run_query(db_path, "SELECT 1 FROM reports r JOIN agencies a ON a.id = r.agency_id"
                              f" WHERE {CURRENT_FILTER} LIMIT 1", params).rows:
        raise NoReports(f"no report for {filters.subtitle}: the chart {chart_.name} would be empty")


def check_chart_tables(db_path: str | Path, chart_: Chart, filters: Filters) -> None:
    """NoTables when a chart drawn from table 三, 四 or the rules' checks would be empty because every report the
    filters select is free-form (`chart refusals --year 2018` of pre-2019 reports drew an empty chart, exit 0):
    the same check, and words, as `analyze refusals --year 2018` (query.analyses.check_tables)."""
    from govreports.query.analyses import check_tables
    from govreports.query.readonly import connect_readonly

    if not chart_.needs_tables:
        return
    conn = connect_readonly(db_path)
    try:
        check_tables(conn, filters.params, chart_.needs_tables, filters.agency_name)
    finally:
        conn.close()


def chart_rows(db_path: str | Path, chart_: Chart, filters: Filters | None = None) -> list[dict]:
    """The chart's data: its SQL run read-only with the filters."""
    from govreports.query.readonly import run_query

    given = (filters or Filters({})).params
    params = {p: given.get(p, "") for p in chart_.params if f":{p}" in chart_.sql}
    return run_query(db_path, chart_.sql, params).dicts()


def render(chart_: Chart, rows: list[dict], fmt: str, *, subtitle: str | None = None) -> bytes:
    """The chart as a file's bytes: SVG (text kept as text, in the CJK font list), PNG, or an HTML page with
    Vega, Vega-Lite and vega-embed inlined (it opens offline)."""
    if fmt not in FORMATS:
        raise ChartError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    setup_fonts()
    vlc = _vlc()
    spec = chart_.vega_lite(rows, subtitle)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=VL_VERSION).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=PNG_SCALE)
    return _html_page(chart_.label, spec).encode("utf-8")


# The page vl-convert's vegalite_to_html writes (its bundle of Vega, Vega-Lite and vega-embed inlined: it opens
# offline), but with the spec written safely: vl-convert put the spec's JSON into the <script> as it is, and an
# agency name (a portal's text, in the subtitle and the rows) holding `</script>` ended the script there, so the page
# drew no chart and ran what followed as the page's own script.
_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <meta charset="UTF-8">
    <title>{title}</title>
    <style>
        vega-chart.vega-embed {{ width: 100%; display: flex; }}
        vega-chart.vega-embed details, vega-chart.vega-embed details summary {{ position: relative; }}
    </style>
    <script type="text/javascript">{bundle}</script>
  </head>
  <body>
    <div id="vega-chart"></div>
    <script type="text/javascript">
    const spec = {spec};
    const opts = {{"renderer": "svg"}};
    vegaEmbed('#vega-chart', spec, opts).catch(console.error);
    </script>
  </body>
</html>
"""
# what could end or re-mode a <script> element (</script>, <!--) or a JS string (U+2028/9 before ES2019), as JSON
# escapes: the same text to JSON.parse and to JavaScript
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                                 "\u2029": "\\u2029"})


def _html_page(title: str, spec: dict) -> str:
    """A self-contained HTML page drawing `spec`, whose text cannot end the script that carries it."""
    import html
    import json

    bundle = _vlc().javascript_bundle(vl_version=VL_VERSION)  # what vegalite_to_html(bundle=True) inlines
    return _PAGE.format(title=html.escape(title), bundle=bundle,
                        spec=json.dumps(spec, ensure_ascii=False).translate(_SCRIPT_ESCAPES))


def draw_chart(db_path: str | Path, name: str, fmt: str, filters: Filters | None = None) -> bytes:
    """Chart `name` drawn from the database: the file's bytes (`chart -o -` writes them to stdout)."""
    chart_ = chart(name)
    filters = filters or Filters({})
    check_province_reports(db_path, chart_, filters)
    check_chart_tables(db_path, chart_, filters)
    return render(chart_, chart_rows(db_path, chart_, filters), fmt, subtitle=filters.subtitle)


def write_chart(db_path: str | Path, name: str, fmt: str, out: str | Path, filters: Filters | None = None) -> Path:
    """Draw chart `name` from the database into `out`, written as `export -o` writes (query.atomic_path): whole or
    absent, a pipe or a device (/dev/stdout) in place. An OSError names `out`, never the temporary file."""
    from govreports.query import atomic_path

    data = draw_chart(db_path, name, fmt, filters)
    out = Path(out)
    try:
        with atomic_path(out) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(out)) from exc
    return out
