"""Charts' files and the command that writes them: SVG, PNG and HTML keep Chinese legible, the HTML is self-contained,
and the dashboards carry the same SQL and specs (the numbers drawn are tested in test_charts.py)."""

from __future__ import annotations

import io
import json
import re

import pytest
from typer.testing import CliRunner

from govreports.charts import CHARTS, FORMATS, chart_rows, cjk_glyphs_ok, dashboards, render
from govreports.charts.render import VL_VERSION, png_pixels
from govreports.serve import build_metadata
from storehelp import A, chart_app, known_db_path


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    return known_db_path(tmp_path_factory.mktemp("chart_files"))


# --- one source: the dashboard config ------------------------------------------------------------------------

def test_dashboards_carry_the_charts_sql_and_specs():
    from govreports.charts.dashboard import AGENCY_CHARTS, OVERVIEW_CHARTS

    meta = build_metadata("govreports")
    config = meta["plugins"]["datasette-dashboards"]
    assert config == dashboards("govreports")
    assert set(config) == {"overview", "agency"}
    assert set(OVERVIEW_CHARTS) == set(CHARTS) and set(AGENCY_CHARTS) == set(CHARTS) - {"late_missing"}
    for slug, names in (("overview", OVERVIEW_CHARTS), ("agency", AGENCY_CHARTS)):
        board = config[slug]
        drawn = {k: c for k, c in board["charts"].items() if c["library"] == "vega-lite"}
        assert set(drawn) == set(names), slug
        for name, entry in drawn.items():
            assert entry["query"] == CHARTS[name].sql and entry["db"] == "govreports"
            assert all(entry["display"][key] == value for key, value in CHARTS[name].spec.items())
        for row in board["layout"]:
            assert set(row) <= set(board["charts"])
        assert {c for row in board["layout"] for c in row} == set(board["charts"])  # every panel placed
    assert set(config["agency"]["filters"]) == {"agency"}
    assert set(config["overview"]["filters"]) == {"year", "province"}
    for chart in CHARTS.values():  # only parameters Datasette fills with '' when the page does not give them
        assert set(re.findall(r":(\w+)", chart.sql)) <= {"year", "agency", "province"}, chart.name


# --- files, with Chinese that is Chinese ----------------------------------------------------------------------

def test_svg_keeps_chinese_as_text_in_a_cjk_font(known):
    chart = CHARTS["refusals"]
    svg = render(chart, chart_rows(known, chart), "svg", subtitle="机关 / agency: 甲市教育局").decode("utf-8")
    assert svg.startswith("<svg")
    texts = re.findall(r"<text[^>]*font-family=\"([^\"]*)\"[^>]*>([^<]*)</text>", svg)
    shown = {t for _, t in texts}
    assert {"不予公开、无法提供、不予处理的理由 / Refusals by reason", "本机关不掌握相关政府信息",
            "机关 / agency: 甲市教育局"} <= shown
    assert all(family.startswith("Noto Sans CJK SC") for family, _ in texts)


def _other_reasons(rows: list[dict]) -> list[dict]:
    """The rows with every CJK character of the reasons (the axis labels) shifted to another CJK character: the
    same layout and bars, other glyphs. (The categories stay: they are the colour scale's fixed domain.)"""
    def shift(text):
        return re.sub(r"[\u4e00-\u9fff]", lambda m: chr(0x4e00 + (ord(m.group()) - 0x4e00 + 7) % 0x5200), text)
    return [{**r, "reason": shift(r["reason"])} for r in rows]


def _pixels(png: bytes) -> bytes:
    from PIL import Image  # installed with reportlab (test extra); png_pixels is pure Python, slow for big images

    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA").tobytes()


def test_png_pixels_reads_what_pillow_reads():
    png = render(CHARTS["rule_failures"], [], "png")
    assert png_pixels(png)[2] == _pixels(png)


def test_png_draws_chinese_glyphs_not_boxes(known):
    """Missing glyphs are drawn as the same box (or nothing) whatever the character, so a picture of other
    Chinese characters laid out alike must differ; with a font that does not exist, it does not. Pixels are
    compared, not bytes: two encodings of one picture are not always byte-equal."""
    import vl_convert

    assert cjk_glyphs_ok(), "no CJK font: install fonts-noto-cjk (or set GOVREPORTS_CJK_FONT_DIR)"
    chart = CHARTS["refusals"]
    rows = chart_rows(known, chart)
    other = _other_reasons(rows)
    assert other != rows
    png = render(chart, rows, "png")
    assert _pixels(png) != _pixels(render(chart, other, "png"))

    def without_cjk_font(rows):  # the control: the same check on a tofu rendering says "the same picture"
        spec = chart.vega_lite(rows)
        spec["config"] = {**spec["config"], "font": "No Such Font"}
        spec["title"] = "."
        return vl_convert.vegalite_to_png(spec, vl_version=VL_VERSION)

    assert _pixels(without_cjk_font(rows)) == _pixels(without_cjk_font(other))


def test_html_is_self_contained(known):
    chart = CHARTS["applications"]
    html = render(chart, chart_rows(known, chart), "html").decode("utf-8")
    assert '<meta charset="utf-8">' in html.lower()
    assert not re.search(r"<script[^>]+src=", html)  # Vega, Vega-Lite and vega-embed inlined: opens offline
    spec = json.loads(re.search(r"const spec = (.*?);\s*const opts", html, re.S).group(1))
    assert spec["title"]["text"] == "各年度政府信息公开申请 / Applications per year"
    assert spec["config"]["font"].startswith("Noto Sans CJK SC") and len(spec["data"]["values"]) == 6



def test_an_agency_name_cannot_end_the_html_chart_s_script():
    """The HTML file carries the chart's spec, its subtitle and rows (agency names, a portal's text), inside a
    <script>: a name holding `</script>` ended that script, the page drew no chart and ran the name's own script
    (`chart late_missing -f html` of a database with such an agency: two alert dialogs in Chromium). The spec is
    JSON with <, > and & escaped, so the page's scripts are its own two and the name is drawn as written."""
    from lxml import html as lxml_html

    name = "</script><script>alert(1)</script><!--<script>x局&amp;"
    chart = CHARTS["late_missing"]
    rows = [{"province": "江苏省", "status": "缺报 / missing", "seq": 1, "agencies": 1, "who": f"{name}（2023）",
             "late_or_missing": 1}]
    page = render(chart, rows, "html", subtitle=f"机关 / agency: {name}").decode("utf-8")
    scripts = lxml_html.document_fromstring(page).xpath("//script")
    assert len(scripts) == 2 and "alert(1)" not in scripts[0].text
    spec = json.loads(re.search(r"const spec = (.*?);\s*const opts", scripts[1].text, re.S).group(1))
    assert spec["title"]["subtitle"] == f"机关 / agency: {name}"
    assert spec["data"]["values"][0]["who"] == f"{name}（2023）"


# --- the command -----------------------------------------------------------------------------------------------

def test_chart_command_writes_every_format(known, tmp_path):
    runner = CliRunner()
    result = runner.invoke(chart_app(), ["chart", "--all", "--out-dir", str(tmp_path / "out"), "--db", str(known),
                                    "-f", "png"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{n}.png" for n in CHARTS)
    for fmt in FORMATS:
        out = tmp_path / f"a.{fmt}"
        result = runner.invoke(chart_app(), ["chart", "answers", "--db", str(known), "-f", fmt, "-o", str(out),
                                        "--agency", A])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == str(out) and out.stat().st_size > 1000
    assert "甲市教育局" in (tmp_path / "a.svg").read_text(encoding="utf-8")


def test_chart_command_errors(known, tmp_path):
    runner = CliRunner()
    result = runner.invoke(chart_app(), ["chart", "nope", "--db", str(known)])
    assert result.exit_code == 2 and "charts: applications" in result.output
    result = runner.invoke(chart_app(), ["chart", "--db", str(known)])
    assert result.exit_code == 2
    result = runner.invoke(chart_app(), ["chart", "answers", "--db", str(known), "--agency", "教育局",
                                    "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 1 and "did you mean 甲市教育局" in result.output
    assert not (tmp_path / "x.svg").exists()
    result = runner.invoke(chart_app(), ["chart", "--list"])
    assert result.exit_code == 0 and "refusals" in result.output and "不予公开" in result.output


@pytest.mark.parametrize("option", ["--agency", "--province"])
def test_an_empty_filter_is_a_usage_error_not_every_agency(known, tmp_path, option):
    """`chart applications --agency "$NAME"` with NAME unset drew every agency's applications, titled as if
    unfiltered, exit 0 (a script's chart of one agency silently showed the whole database); `analyze` refuses an
    empty --agency or --region, and so does `chart` now."""
    out = tmp_path / "x.svg"
    for value in ("", "  "):
        result = CliRunner().invoke(chart_app(), ["chart", "applications", "--db", str(known), option, value,
                                             "-o", str(out)])
        assert result.exit_code == 2, result.output
        assert f"{option} is empty" in result.output and not out.exists()


def test_an_agency_name_is_text_in_the_dashboard_s_table_and_its_link(tmp_path):
    """The dashboard plugin puts every table cell in as HTML (innerHTML), and an agency name is a portal's text: a
    `"` in it closed the link's href, and the rest became attributes of the portal's choosing (an onmouseover
    script ran on hover). The name is text, and its link leads to its own page."""
    from urllib.parse import parse_qs, urlsplit

    from lxml import html

    from govreports.charts.tables import AGENCY_LIST_SQL
    from govreports.store.db import connect
    from govreports.store.load import load_record
    from storehelp import record

    name = """某市"onmouseover="document.title='x'"x="<b>&%+#'局"""
    with connect(tmp_path / "x.db") as db:
        load_record(db, record(name, 2024, "2021", {}), document={"url": "http://x.gov.cn/1.html"})
        db.execute("UPDATE agencies SET region = '<i>x</i>'")
        db.conn.commit()
        [(cell, region)] = [row[:2] for row in db.execute(AGENCY_LIST_SQL, {"year": "", "agency": "",
                                                                             "province": ""})]
        [(stored,)] = db.execute("SELECT name FROM agencies").fetchall()
    assert '"' in stored and "<b>" in stored  # as the portal wrote it
    link = html.fragment_fromstring(cell)
    assert link.tag == "a" and list(link.attrib) == ["href"] and len(link) == 0
    assert link.text_content() == stored
    assert parse_qs(urlsplit(link.get("href")).query)["agency"] == [stored]
    assert html.fragment_fromstring(f"<td>{region}</td>").text_content() == "<i>x</i>"


def test_the_agency_whose_name_was_not_read_is_labelled_or_left_out(tmp_path):
    """Reports whose agency could not be read share an agency row with an empty name: it was a blank choice in
    the agency dashboard's list (the same as no choice: all agencies) and a blank row of the overview's agency
    list linking to `agency?agency=`. The list labels it, without a link; the choice leaves it out, as the
    scorecard does."""
    from urllib.parse import parse_qs, urlsplit

    from lxml import html

    from govreports.charts.tables import AGENCY_LIST_SQL
    from govreports.store.db import connect
    from govreports.store.load import load_record
    from storehelp import record

    with connect(tmp_path / "x.db") as db:
        load_record(db, record("", 2023, "2021", {}), document={"url": "http://x.gov.cn/1.html"})
        load_record(db, record(A, 2023, "2021", {}), document={"url": "http://x.gov.cn/2.html"})
        names = build_metadata("x")["databases"]["x"]["queries"]["agency_names"]["sql"]
        choices = [row[0] for row in db.execute(names, {"q": ""})]
        listed = [row[0] for row in db.execute(AGENCY_LIST_SQL, {"year": "", "agency": "", "province": ""})]
        scored = {row[0] for row in db.execute("SELECT agency FROM scorecard")}
    assert choices == [A] and scored == {A}
    cells = [html.fragment_fromstring(cell, create_parent="td") for cell in listed]
    links = [a.get("href") for cell in cells for a in cell.iter("a")]
    assert [parse_qs(urlsplit(href).query).get("agency") for href in links] == [[A]]
    [unread] = [cell.text_content() for cell in cells if not list(cell.iter("a"))]
    assert unread.strip() and "未能识别" in unread


def test_the_output_file_s_suffix_chooses_the_format(known, tmp_path):
    """`chart answers -o answers.png` (no -f) wrote an SVG into answers.png, exit 0: a file that slides and word
    processors refuse as a broken picture. The suffix of -o chooses the format when -f is not given (as `export`
    reads it); a -f that the suffix contradicts, or a suffix that is no chart format, is a usage error, no file."""
    runner = CliRunner()
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<svg"), ("html", b"<!DOCTYPE html>")):
        out = tmp_path / f"answers.{fmt.upper() if fmt == 'png' else fmt}"
        result = runner.invoke(chart_app(), ["chart", "answers", "--db", str(known), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().lstrip()[:len(magic)].lower() == magic.lower(), fmt
    for args, name in ((["-f", "svg"], "x.png"), ([], "x.jpg"), (["-f", "png"], "x.pdf")):
        result = runner.invoke(chart_app(), ["chart", "answers", "--db", str(known), *args, "-o", str(tmp_path / name)])
        assert result.exit_code == 2, result.output
        assert name in result.output and not (tmp_path / name).exists()
    result = runner.invoke(chart_app(), ["chart", "answers", "--db", str(known), "-f", "png", "-o", str(tmp_path / "x")])
    assert result.exit_code == 0 and (tmp_path / "x").read_bytes()[:4] == b"\x89PNG"  # no suffix: -f decides



def test_a_chart_that_cannot_be_written_names_its_file(known, tmp_path):
    """`chart answers -o nodir/a.svg` said "cannot write: No such file or directory (nodir/.a.svg.tmp)": a hidden
    temporary name the user never gave. The error names the file asked for; nothing is left behind."""
    out = tmp_path / "nodir" / "a.svg"
    result = CliRunner().invoke(chart_app(), ["chart", "answers", "--db", str(known), "-o", str(out)])
    assert result.exit_code == 1
    assert f"cannot write {out}: No such file or directory" in result.output and ".tmp" not in result.output
