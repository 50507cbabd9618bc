"""Publication dates a lateness verdict can rest on (issue 11): the page's metadata, then a 发布日期 label next to
the title or in the 索引号 table, then the list entry's date, then the report's own closing date — and never a
header clock ("2025年12月30日 星期二"), a footer's update time or copyright year. Real pages and texts from
../shared/samples, and small pages written here that reproduce what real county portals do."""

from __future__ import annotations

import pytest

import opencc

from conftest import SAMPLES, require_samples
from govreports.parse import parse_bytes, parse_path

# (sample, published, source): what each real sample says, and where
REAL = [
    ("html/02_shanghai_szfbgt_2019_fragment.html", "2020-01-31", "page"),  # 发布日期：2020-01-31 under the title
    ("seed/000_dc3a28ed7fcc2bfa.txt", "2021-01-14", "closing"),  # the PDF's date line under its title
    ("texts/13_shanghai_szfbgt_2019.txt", "2020-01-31", "page"),
    ("texts/14_shuyang_xzf_2025.txt", "2026-01-23", "closing"),  # （2026年1月23日） under the title
    ("texts/19_shulan_scjgj_2016.txt", "2017-02-23", "page"),  # 发布日期:2017-02-23
    ("texts/21_fzjinan_qzf_2016.txt", "2017-01-12", "page"),  # 来源:… 时间:2017-01-12 10:01
    ("texts/23_suqian_szf_2017.txt", "2018-02-26", "page"),  # 索引号 table: 发文日期 2018-02-26
    ("texts/25_taizhou_szf_2017.txt", "2018-02-28", "page"),  # 索引号 table, pipe-separated
    ("texts/27_suqian_szfb_2024.txt", "2025-01-21", "closing"),  # 发文日期 left empty; (2025年1月21日) under the title
    ("texts/35_suixi_jianxinzhen_2018.txt", "2019-01-18", "page"),  # posted date, not the signature's 2018-12-31
    ("texts/37_hechuan_erlangzhen_2019.txt", "2020-08-06", "page"),  # a late one: 日期:2020-08-06
    ("texts/39_qionghai_daluzhen_2019.txt", "2020-01-20", "page"),
    ("texts/43_hebei_jyt_2019.txt", "2020-01-15", "closing"),  # 河北省教育厅 / 2020年1月15日 at the end
    ("texts/01_shanghai_gov_2022.txt", None, None),  # an excerpt with no date at all: none is invented
]


@pytest.mark.parametrize("name,published,source", REAL, ids=[r[0].split("/")[-1] for r in REAL])
def test_real_samples(name, published, source):
    require_samples()
    record = parse_path(SAMPLES / name).record
    assert (record["published"], record["published_source"]) == (published, source)


_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
_WIDE_PUNCTUATION = str.maketrans("0123456789-/.:", "０１２３４５６７８９－／．：")


@pytest.mark.parametrize("copy", ["full-width digits", "full-width digits and punctuation", "traditional characters"])
@pytest.mark.parametrize("name,published,source", REAL, ids=[r[0].split("/")[-1] for r in REAL])
def test_real_samples_copied_with_wide_digits_or_traditional_characters(name, published, source, copy):
    """Copies write dates in full-width digits (发布日期：２０２０-０１-３１) and mirrors in 繁體 (發布日期, 發文日期, 時間):
    the date was lost (None) or another one taken (the signature's), though the report says the same."""
    require_samples()
    text = (SAMPLES / name).read_text(encoding="utf-8")
    if copy.startswith("full-width"):  # a portal's full-width conversion turns the separators too: ２０２０－０１－３１
        text = text.translate(_WIDE_PUNCTUATION if copy.endswith("punctuation") else _WIDE)
    else:
        text = opencc.OpenCC("s2t").convert(text)
    record = parse_bytes(text.encode("utf-8"), name)
    assert (record["published"], record["published_source"]) == (published, source)


def test_the_list_date_fills_a_page_without_one_but_never_beats_the_page():
    require_samples()
    data = (SAMPLES / "texts" / "05_baokang_nyncj_2021.txt").read_bytes()  # no date anywhere
    assert parse_bytes(data, "r.txt")["published"] is None
    record = parse_bytes(data, "r.txt", hints={"published": "2022-02-25"})
    assert (record["published"], record["published_source"]) == ("2022-02-25", "list")
    dated = (SAMPLES / "texts" / "19_shulan_scjgj_2016.txt").read_bytes()
    record = parse_bytes(dated, "r.txt", hints={"published": "2017-03-09"})
    assert (record["published"], record["published_source"]) == ("2017-02-23", "page")
    closing = (SAMPLES / "texts" / "43_hebei_jyt_2019.txt").read_bytes()  # only the report's own date
    record = parse_bytes(closing, "r.txt", hints={"published": "2020-02-03"})
    assert (record["published"], record["published_source"]) == ("2020-02-03", "list")


# --- a county portal page, written the way real ones are --------------------------------------------------------

TITLE = "沭阳县财政局2024年政府信息公开工作年度报告"
BODY = """<p>一、总体情况</p><p>2024年，本局坚持公开为常态、不公开为例外。</p><p>二、主动公开政府信息情况</p><p>详见下表。</p>
<p>三、收到和处理政府信息公开申请情况</p><p>本年度未收到申请。</p><p>四、政府信息公开行政复议、行政诉讼情况</p><p>无。</p>
<p>五、存在的主要问题及改进情况</p><p>公开深度有待提高。</p><p>六、其他需要报告的事项</p><p>无。</p>{closing}"""


def county_page(header: str = "", *, head: str = "", info: str = "", closing: str = "", wrapped: bool = True,
                footer: str = '<div class="footer">版权所有：沭阳县人民政府 2003-2025 更新时间：2025年12月30日</div>'
                ) -> bytes:
    body = BODY.format(closing=closing)
    if wrapped:
        body = f'<div class="article"><div class="content">{body}</div></div>'
    return f"""<html><head><meta charset="utf-8"><title>{TITLE}_沭阳县人民政府</title>{head}</head><body>
{header}<div class="main"><div class="pos">您现在的位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<h1>{TITLE}</h1>{info}{body}</div>{footer}</body></html>""".encode("utf-8")


CLOCKS = {
    "clock in the header": '<div class="top"><span>今天是：</span><span id="date">2025年12月30日 星期二</span></div>',
    "date and weekday in two divs": '<div class="top"><div>2025年12月30日</div><div>星期二</div></div>',
    "unmarked header": '<div><div class="d">2025年12月30日</div><div class="w">星期二</div></div>',
    "labelled clock": '<div class="head"><span>当前时间：2025年12月30日 星期二</span></div>',
    "日期 label with a weekday": '<div class="x">日期：2025年12月30日 星期二</div>',
    "html5 header": "<header><p>2025年12月30日</p></header>",
}


@pytest.mark.parametrize("wrapped", [True, False], ids=["body in a container", "flat page"])
@pytest.mark.parametrize("header", list(CLOCKS.values()), ids=list(CLOCKS))
def test_a_header_clock_is_never_the_publication_date(header, wrapped):
    record = parse_bytes(county_page(header, wrapped=wrapped), "p.html")
    assert record["title"] == TITLE
    assert (record["published"], record["published_source"]) == (None, None)
    listed = parse_bytes(county_page(header, wrapped=wrapped), "p.html", hints={"published": "2025-02-25"})
    assert (listed["published"], listed["published_source"]) == ("2025-02-25", "list")


def test_the_page_label_next_to_the_title_beats_the_clock():
    page = county_page(CLOCKS["date and weekday in two divs"],
                       info='<div class="info">发布时间：2025-01-20 09:12 来源：县财政局 浏览次数：12</div>')
    record = parse_bytes(page, "p.html", hints={"published": "2025-02-25"})
    assert (record["published"], record["published_source"]) == ("2025-01-20", "page")


@pytest.mark.parametrize("name", ["PubDate", "pubdate", "publishdate", "firstpublishedtime", "ArticlePubDate",
                                  "PublishTime"])
def test_page_metadata_comes_first(name):
    page = county_page(CLOCKS["clock in the header"], head=f'<meta name="{name}" content="2025-01-22 10:00:00">',
                       info="<p>发布日期：2025-01-23</p>")
    record = parse_bytes(page, "p.html", hints={"published": "2025-02-25"})
    assert (record["published"], record["published_source"]) == ("2025-01-22", "meta")


def test_the_closing_date_when_nothing_else_says():
    for closing, iso in (("<p>沭阳县财政局</p><p>2025年1月20日</p>", "2025-01-20"),
                         ("<p>沭阳县财政局 2025年1月21日</p>", "2025-01-21"),
                         ("<p>沭阳县财政局</p><p>二〇二五年一月二十二日</p>", "2025-01-22")):
        record = parse_bytes(county_page(closing=closing), "p.html")
        assert (record["published"], record["published_source"]) == (iso, "closing"), closing
        listed = parse_bytes(county_page(closing=closing), "p.html", hints={"published": "2025-02-25"})
        assert listed["published_source"] == "list"  # the list entry is trusted before the report's own date


def test_footer_update_time_and_copyright_are_not_dates_of_the_report():
    footer = '<div id="footer"><p>版权所有 © 2025 沭阳县人民政府</p><p>发布时间：2025年12月30日</p></div>'
    record = parse_bytes(county_page(footer=footer), "p.html")
    assert record["published"] is None


def test_a_date_before_the_covered_year_ends_is_not_a_publication_date():
    page = county_page(head='<meta name="PubDate" content="2023-06-01">', info="<p>发布日期：2025-01-23</p>")
    record = parse_bytes(page, "p.html")  # a 2024 report cannot have been published in June 2023
    assert (record["published"], record["published_source"]) == ("2025-01-23", "page")


def test_the_crawl_fills_a_missing_date_from_the_list_entry_and_the_portal_region_wins(tmp_path):
    """End to end through the crawler: a page without a date gets its list entry's date (source list), a page with
    a header clock too; the portal's configured region is its agencies' region even where a name says otherwise."""
    from httpserver import LocalServer, Reply

    from govreports.crawl import run_crawl
    from govreports.portals.config import CrawlConfig
    from govreports.store.db import open_db
    from govreports.store.read import get_record

    html = {"Content-Type": "text/html; charset=utf-8"}
    clock_page = county_page(CLOCKS["date and weekday in two divs"])
    other = TITLE.replace("沭阳县财政局", "泗阳县审计局")  # the name places it in 泗阳县, the portal in 沭阳县
    bare = county_page(footer="").replace(TITLE.encode(), other.encode())
    links = (f'<li><a href="/r1.html">{TITLE}</a><span>2025-02-25</span></li>'
             f'<li><a href="/r2.html">{other}</a><span>2025-03-02</span></li>')
    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route("/list.html", Reply(200, f"<html><body><ul>{links}</ul></body></html>", html))
        server.route("/r1.html", Reply(200, clock_page, html))
        server.route("/r2.html", Reply(200, bare, html))
        raw = {"portal": [{"name": "shuyang", "adapter": "generic", "start_url": server.url("/list.html"),
                           "region": "江苏/宿迁市/沭阳县"}],
               "safety": {"allow_private_addresses": True}}
        db = open_db(tmp_path / "reports.db")
        summary = run_crawl(CrawlConfig.model_validate(raw), db, tmp_path / "archive", parse_workers=0,
                            per_host_delay=0.0, delay_jitter=0.0)
    assert summary.portals[0].new == 2, summary.portals[0]
    got = {a: (p, s) for a, p, s in db.execute(
        "SELECT a.name, r.published, r.published_source FROM reports r JOIN agencies a ON a.id = r.agency_id")}
    assert got == {"沭阳县财政局": ("2025-02-25", "list"), "泗阳县审计局": ("2025-03-02", "list")}
    regions = {r["name"]: (r["region"], r["province"], r["city"], r["county"], r["kind"]) for r in db["agencies"].rows}
    assert regions["沭阳县财政局"] == ("江苏省/宿迁市/沭阳县", "江苏省", "宿迁市", "沭阳县", "department")
    assert regions["泗阳县审计局"] == regions["沭阳县财政局"]
    # the two pages are fetched side by side, so either may be loaded first: pick 沭阳县财政局's report by name
    report_id = db.execute("SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id"
                           " WHERE a.name = '沭阳县财政局'").fetchone()[0]
    assert get_record(db, report_id)["published_source"] == "list"
    # a re-parse from the archive keeps the list's date (the list entry is not in the archived page)
    from govreports.runs.reparse import reparse

    versions = db.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    outcome = reparse(db, tmp_path / "archive")
    assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == versions, outcome
    assert get_record(db, report_id)["published"] == "2025-02-25"


def test_a_list_title_s_edition_note_is_not_part_of_the_title():
    """宿州市人民政府2019年政府信息公开工作年度报告（图片版） (PORTALS.md): the note says which file the link is."""
    from govreports.parse.meta import find_title

    for note in ("（图片版）", "(超链版)", "（扫描版）"):
        title = find_title([], {}, {"title": f"宿州市人民政府2019年政府信息公开工作年度报告{note}"})
        assert title == "宿州市人民政府2019年政府信息公开工作年度报告", note
