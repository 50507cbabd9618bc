"""The dashboard in a real browser: `govreports serve` on a crawled demo database, opened in headless Chromium
(Debian's `chromium`, driven by Playwright; no browser is ever downloaded). Each page must draw its charts, log no
console error, fetch nothing from outside 127.0.0.1 (the plugin's Vega scripts are bundled) and draw Chinese as
Chinese; screenshots are saved under the session's temp dir (and in $GOVREPORTS_SCREENSHOTS when set).

Chromium comes from the system: `.ci/run` installs the `chromium` and `fonts-noto-cjk` packages when missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from govreports.charts.dashboard import AGENCY_CHARTS, OVERVIEW_CHARTS
from govreports.charts.specs import UNKNOWN_REGION

playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs `pip install playwright`")

TIMEOUT_MS = 20_000


def _chromium() -> str | None:
    """The system's Chromium binary (the Debian launcher script execs /usr/lib/chromium/chromium)."""
    for candidate in (os.environ.get("GOVREPORTS_CHROMIUM"), "/usr/lib/chromium/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run "
                                                         "installs it)")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A database crawled from the demo portal (its ten-odd agencies over seven years)."""
    from crawlhelp import crawl_demo
    from govreports.demo import DemoPortal

    workdir = tmp_path_factory.mktemp("dashboard-db")
    portal = DemoPortal(seed=0).start(port=0)
    try:
        db, _ = crawl_demo(portal, workdir)
        db.conn.close()
    finally:
        portal.stop()
    return workdir / "reports.db"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served(demo_db, tmp_path_factory):
    """`govreports serve` as a user starts it; yields its base URL and the lines it printed on stderr."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    with open(log, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "govreports", "serve", "--db", str(demo_db),
                                    "--port", str(port)], stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    """One browser for this file. Module scope, not session: Playwright's sync API runs an event loop in the main
    thread until it is stopped, and every later test that calls asyncio.run() would fail while it runs."""
    manager = playwright_api.sync_playwright().start()
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # root needs it
    try:
        browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    except Exception as exc:
        manager.stop()
        pytest.fail(f"chromium at {CHROMIUM} did not start under Playwright: {exc}")
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


class Visit:
    """One page in a fresh context: every request, console error and page error recorded; requests that would
    leave 127.0.0.1 are recorded and refused."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith((self.base + "/", "data:", "blob:")) or (self.base.startswith("file:") and
                                                                  url.startswith("file:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return self.page

    def charts_drawn(self, names) -> None:
        """Each chart's Vega view is on the page with a size (SVG or canvas), and its data was fetched."""
        for name in names:
            self.page.wait_for_selector(f"#chart-{name} svg.marks, #chart-{name} canvas.marks", state="visible")
            box = self.page.locator(f"#chart-{name} .marks").first.bounding_box()
            # late_missing is 20 pixels a province (specs.LATE_MISSING): one province is one bar
            assert box and box["width"] > 200 and box["height"] > (50 if name == "late_missing" else 100), (name, box)

    def chinese_glyphs(self) -> bool:
        """Two different Chinese words drawn in the charts' font give different pixels (boxes would not)."""
        from govreports.charts.specs import FONT

        return self.page.evaluate("""(font) => {
            const draw = (text) => { const c = document.createElement('canvas'); c.width = 120; c.height = 30;
                const g = c.getContext('2d'); g.font = '20px ' + font; g.fillText(text, 2, 24);
                return Array.from(g.getImageData(0, 0, 120, 30).data).join(','); };
            return draw('申请公开') !== draw('复议诉讼');
        }""", FONT)

    def finish(self, shots: Path, name: str) -> Path:
        self.page.wait_for_load_state("networkidle")
        path = shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if out := os.environ.get("GOVREPORTS_SCREENSHOTS"):
            Path(out).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(out) / path.name)
        print(f"screenshot: {path}")
        self.context.close()
        assert self.errors == [], self.errors
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        return path


def _agencies(db: Path, province: str | None = None) -> list[tuple[str, int]]:
    """Agencies with reports in the order the overview lists them (by province, then name)."""
    return _query(db, "SELECT a.name, count(*) FROM agencies a JOIN reports r ON r.agency_id = a.id"
                      " WHERE ? IS NULL OR a.province = ? GROUP BY a.id ORDER BY a.province, a.name",
                  province, province)


def _query(db: Path, sql: str, *params) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_serve_prints_where_the_dashboard_is(served):
    base, log = served
    assert f"dashboard: {base}/-/dashboards/overview" in log.read_text(encoding="utf-8")


def test_overview_dashboard(served, browser, shots, demo_db):
    base, _ = served
    visit = Visit(browser, base)
    page = visit.open("/-/dashboards/overview")
    visit.charts_drawn(OVERVIEW_CHARTS)
    assert page.locator("h1").inner_text().startswith("政府信息公开工作年度报告：总览")
    assert "申请数 / applications" in page.locator("#chart-applications").inner_text()  # SVG text, not a bitmap
    names = page.locator("#chart-agencies tbody tr td:first-child a").all_inner_texts()
    assert names == [name for name, _ in _agencies(demo_db)]
    # the years of reports and the years the scorecard holds due (a year due that nobody has published for yet,
    # every agency missing it: it was not offered)
    offered = page.locator("select#year option").evaluate_all("os => os.map(o => o.value).filter(v => v)")
    assert offered == [str(y) for (y,) in _query(demo_db, "SELECT year FROM reports WHERE year IS NOT NULL"
                                                         " UNION SELECT year FROM scorecard ORDER BY year DESC")]
    assert visit.chinese_glyphs(), "Chinese is drawn as boxes: no CJK font (apt-get install fonts-noto-cjk)"
    # how many reports the charts add up: a due year nobody has published for drew them all empty, unexplained
    (everything,), = _query(demo_db, "SELECT count(*) FROM reports")
    page.locator("#chart-reports").get_by_text(str(everything), exact=True).wait_for()
    # every chart's rows came from Datasette's JSON API on this server, and the scripts from the plugin
    assert sum("/reports.json?sql=" in u for u in visit.requests) >= len(OVERVIEW_CHARTS) + 1
    assert any(u.endswith("/datasette_dashboards/vega-lite.min.js") for u in visit.requests)
    visit.finish(shots, "overview")


def test_overview_for_one_year_and_province(served, browser, shots, demo_db):
    """Who was late or missing in 2023, by province; then one province's agencies."""
    base, _ = served
    visit = Visit(browser, base)
    page = visit.open("/-/dashboards/overview")
    page.select_option("select#year", "2023")
    page.click("input[type=submit]")
    page.wait_for_url("**/-/dashboards/overview?year=2023*")
    visit.charts_drawn(OVERVIEW_CHARTS)
    x_axis = page.locator("#chart-applications [aria-roledescription=axis][aria-label^=X-axis]").get_attribute(
        "aria-label")
    assert "1 value: 2023" in x_axis, x_axis
    (of_2023,), = _query(demo_db, "SELECT count(*) FROM reports WHERE year = 2023")
    page.locator("#chart-reports").get_by_text(str(of_2023), exact=True).wait_for()
    provinces = [p for (p,) in _query(demo_db, "SELECT DISTINCT province FROM scorecard WHERE year = 2023"
                                               " AND province IS NOT NULL")]
    y_axis = page.locator("#chart-late_missing [aria-roledescription=axis][aria-label^=Y-axis]").get_attribute(
        "aria-label")
    # Vega names a long axis's first five values and its last ("with 8 values: 全国, …, ending with 甘肃省")
    axis = re.fullmatch(r"Y-axis for a discrete scale with (\d+) values?: (.*)", y_axis or "")
    assert axis and provinces, y_axis
    regions = [p for (p,) in _query(demo_db, "SELECT DISTINCT coalesce(province, ?) FROM scorecard WHERE year = 2023",
                                    UNKNOWN_REGION)]  # an agency placed nowhere has a bar of its own
    assert int(axis[1]) == len(regions) and set(re.split(r", (?:ending with )?", axis[2])) <= set(regions), y_axis
    visit.finish(shots, "overview-2023")

    province = provinces[0]
    visit = Visit(browser, base)
    page = visit.open(f"/-/dashboards/overview?year=&province={quote(province)}")
    visit.charts_drawn(OVERVIEW_CHARTS)
    assert page.locator("select#province").input_value() == province
    names = page.locator("#chart-agencies tbody tr td:first-child a").all_inner_texts()
    assert names == [name for name, _ in _agencies(demo_db, province)]
    visit.finish(shots, "overview-province")


def test_agency_page_from_the_overview(served, browser, shots, demo_db):
    base, _ = served
    name, _ = _agencies(demo_db)[0]
    visit = Visit(browser, base)
    page = visit.open("/-/dashboards/overview")
    visit.charts_drawn(["applications"])
    seen = len(visit.requests)
    page.locator("#chart-agencies a", has_text=name).first.click()
    page.wait_for_url(f"**/-/dashboards/agency?agency={quote(name)}")
    visit.charts_drawn(AGENCY_CHARTS)
    assert page.locator("input#agency").input_value() == name  # a text box: every name was a 338 KB page
    page.locator("input#agency").fill("")
    page.locator("input#agency").type(name[:2])  # offers a few names as they are typed (serve.agency_names)
    # the names for what was typed: the box's focus asked for the first names (none typed), which may answer first
    page.wait_for_function("p => { const o = [...document.querySelectorAll('#agency-names option')];"
                           " return o.length > 0 && o.every((e) => e.value.includes(p)); }", arg=name[:2])
    offered = page.eval_on_selector_all("#agency-names option", "els => els.map(e => e.value)")
    assert 0 < len(offered) <= 20 and all(name[:2] in o for o in offered), offered
    page.locator("#chart-scorecard tbody tr").first.wait_for()
    years = page.locator("#chart-scorecard tbody tr td:first-child").all_inner_texts()
    assert [int(y) for y in years] == [y for (y,) in _query(
        demo_db, "SELECT year FROM scorecard WHERE agency = ? ORDER BY year", name)]
    chart_queries = [unquote(u) for u in visit.requests[seen:] if "/reports.json?sql=" in u]
    assert chart_queries and all(f"agency={name}" in u for u in chart_queries)
    assert visit.chinese_glyphs()
    visit.finish(shots, "agency")


def test_canned_query_page(served, browser, shots):
    base, _ = served
    visit = Visit(browser, base)
    page = visit.open("/reports/refusals")
    page.wait_for_selector("table.rows-and-columns tbody tr")
    assert page.locator("table.rows-and-columns tbody tr").count() == 16
    assert "本机关不掌握相关政府信息" in page.locator("table.rows-and-columns").inner_text()
    assert visit.chinese_glyphs()
    visit.finish(shots, "canned-refusals")


def test_chart_html_file_opens_offline(demo_db, browser, shots, tmp_path):
    """`govreports chart -f html` writes a page that draws with nothing but the file (Vega inlined)."""
    from govreports.charts import resolve_filters, write_chart

    out = write_chart(demo_db, "late_missing", "html", tmp_path / "late_missing.html",
                      resolve_filters(demo_db, year=2023))
    visit = Visit(browser, out.as_uri().rsplit("/", 1)[0])
    page = visit.open("/" + out.name)
    page.wait_for_selector("svg.marks", state="visible")
    assert "各地区按时、迟报、缺报" in page.locator("svg.marks").text_content()
    assert visit.chinese_glyphs()
    visit.finish(shots, "chart-html")
