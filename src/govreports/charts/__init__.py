"""Charts of the reports: one declaration each (specs), shown on the Datasette dashboard (dashboard, beside the
lists of `tables`) and written as SVG/PNG/HTML files by `govreports chart` (render).

Public API:
    CHARTS: name -> Chart (title, SQL, Vega-Lite spec)
    dashboards(db_name) -> dict                          the datasette-dashboards config for the metadata
    resolve_filters(db_path, year=, agency=) -> Filters  agency and year checked as `analyze` checks them
    write_chart(db_path, name, fmt, out, filters)       draw one chart into a file
    draw_chart(db_path, name, fmt, filters) -> bytes    draw one chart, its file's bytes
    chart_rows(db_path, chart, filters) -> [dict]       its data
    render(chart, rows, fmt, subtitle=) -> bytes        draw rows already fetched
    cjk_glyphs_ok() -> bool                              whether Chinese renders as Chinese (a CJK font is there)
"""

from govreports.charts.dashboard import dashboards
from govreports.charts.render import (FORMATS, ChartError, Filters, chart_rows, cjk_glyphs_ok, draw_chart, render,
                                      resolve_filters, write_chart)
from govreports.charts.specs import CHARTS, Chart

__all__ = ["CHARTS", "FORMATS", "Chart", "ChartError", "Filters", "chart_rows", "cjk_glyphs_ok", "dashboards",
           "draw_chart", "render", "resolve_filters", "write_chart"]
