"""Real portal configs read their real list pages: each config under config/portals/ that has a saved copy of its
list page runs its adapter's `discover` offline over that copy, served by URL.

A page comes from ../shared/samples (read at test time, never copied into the repo) or from tests/fixtures/portals/
(a trimmed copy of a real page found in a public source, named in config/portals/README.md). A URL not in a
portal's page map answers like a missing page (ok=False, 404), so a test also shows which further pages the adapter
asks for. Configs without a saved copy are listed in the README; loading every config is
tests/test_portal_config.py's job.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, require_samples
from govreports.portals.adapters import adapter_for
from govreports.portals.config import load_config
from govreports.portals.titles import is_report_title

PORTALS = ROOT / "config" / "portals"
FIXTURES = ROOT / "tests" / "fixtures" / "portals"
README = PORTALS / "README.md"
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([\w-]+)""", re.I)


def decode(body: bytes) -> str:
    """As the fetcher would: the charset named in the first 4 KB (GB2312/GBK read as GB18030), else UTF-8."""
    m = _CHARSET.search(body[:4096])
    name = m.group(1).decode("ascii").lower() if m else "utf-8"
    if name in ("gb2312", "gbk", "gb18030"):
        name = "gb18030"
    return body.decode(name, errors="replace").removeprefix("\ufeff")


@dataclass
class Page:
    ok: bool
    status: int | None
    final_url: str
    body: bytes | None
    text: str | None


class OfflineContext:
    """The crawl context's `fetch_list`, answered from files by URL; every request is recorded."""

    def __init__(self, pages: dict[str, Path]):
        self.pages = pages
        self.requests: list[tuple[str, str, dict | None]] = []

    async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, expect="html",
                         probe=False):
        self.requests.append((method, url, data))
        path = self.pages.get(url)
        if path is None:
            return Page(False, 404, url, None, None)
        body = path.read_bytes()
        return Page(True, 200, url, body, decode(body))


@dataclass(frozen=True)
class Case:
    config: str  # file under config/portals/
    pages: dict[str, Path]  # URL → saved page; "{start}" stands for the config's start_url
    count: int  # listings discover yields from these pages
    reports: int  # of which the title filter keeps
    samples: tuple[tuple[str, str, str | None], ...]  # (title, url, list date) read by eye from the page
    excluded: tuple[str, ...] = ()  # look-alike titles on the page that the filter must drop
    requests: tuple[str, ...] = ()  # the URLs asked for, in order ("{start}" as above)


ORDOS = "http://www.ordos.gov.cn/ordoszf/engbstsfq/xxgk/xxgknb/"
DINGXI = "http://www.dingxi.gov.cn/"

CASES = [
    Case(
        # TRS: <table class="gl_list"> rows, pager script countPage = 2 → index_1.html (not saved: answers 404)
        config="ordos_engebei.toml",
        pages={"{start}": SAMPLES / "html" / "trs_ordos_engebei_xxgknb_list.html"},
        count=10,
        reports=4,
        samples=(
            ("鄂尔多斯市2019年政府信息公开工作年度报告", ORDOS + "202009/t20200903_2748784.html", "2020-09-03"),
            ("内蒙古自治区2018年政府信息公开工作年度报告", ORDOS + "201905/t20190530_2380967.html", "2019-05-30"),
            ("鄂尔多斯市2018年政府信息公开年度报告", ORDOS + "201905/t20190530_2380968.html", "2019-05-30"),
            # the list date is not the URL's date, as on the real page
            ("恩格贝生态示范区召开2018年度工作会议暨党风廉政建设会议", ORDOS + "201811/t20181102_2290635.html",
             "2018-03-26"),
        ),
        excluded=("恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议", "一图读懂示范区2017年重点工作",
                  "2016，恩格贝，精彩继续！"),
        requests=("{start}", ORDOS + "index_1.html"),
    ),
    Case(
        # Hanweb: records in the <datastore> island; no jpage total, so the six inlined records are all
        config="dingxi.toml",
        pages={"{start}": SAMPLES / "html" / "hanweb_dingxi_datastore_excerpt.xml"},
        count=6,
        reports=0,  # this column holds no annual report (see the config's CAUTION)
        samples=(
            ("2021年度政府网站年度工作报表", DINGXI + "art/2022/1/14/art_12377_1485512.html", "2022-01-14"),
            ("定西市“春节”文明祭祀倡议书", DINGXI + "art/2022/1/20/art_12377_1486865.html", "2022-01-20"),
            # an item of another column on a sub-domain, as the real list has it
            ("甘肃省人民政府教育督导委员会办公室关于开展2021年市（州）人民政府履行教育职责情况满意度调查的通知",
             "http://zwgk.dingxi.gov.cn/art/2021/11/4/art_12480_1461862.html", "2021-11-04"),
        ),
        excluded=("2021年度政府网站年度工作报表",),
        requests=("{start}",),
    ),
]


def _resolve(url: str, start: str) -> str:
    return start if url == "{start}" else url


def _discover(case: Case):
    portal = load_config(PORTALS / case.config).portal[0]
    ctx = OfflineContext({_resolve(u, portal.start_url): p for u, p in case.pages.items()})

    async def run():
        return [listing async for listing in adapter_for(portal).discover(ctx)]

    return portal, ctx, asyncio.run(run())


def _uses_shared(case: Case) -> bool:
    return any(SAMPLES in p.parents for p in case.pages.values())


@pytest.mark.parametrize("case", CASES, ids=[c.config.removesuffix(".toml") for c in CASES])
def test_adapter_reads_the_real_list_page(case):
    if _uses_shared(case):
        require_samples()
    portal, ctx, listings = _discover(case)
    assert [url for _, url, _ in ctx.requests] == [_resolve(u, portal.start_url) for u in case.requests]
    assert len(listings) == case.count
    assert len({x.url for x in listings}) == len(listings)
    found = {(x.title, x.url, x.list_date) for x in listings}
    for sample in case.samples:
        assert sample in found
    kept = [x for x in listings if is_report_title(x.title, portal.title_include, portal.title_exclude)]
    assert len(kept) == case.reports
    titles = {x.title for x in listings}
    for title in case.excluded:
        assert title in titles and not is_report_title(title, portal.title_include, portal.title_exclude)
    for x in listings:  # every listing is an absolute URL on a host the portal may fetch
        assert x.url.startswith(("http://", "https://"))
        assert x.url.split("/")[2] in portal.hosts


def test_every_fixture_file_is_used_and_real_pages_are_small():
    used = {p.resolve() for case in CASES for p in case.pages.values()}
    local = sorted(p for p in FIXTURES.rglob("*") if p.is_file()) if FIXTURES.is_dir() else []
    for path in local:
        assert path.resolve() in used, f"{path.name} is not served by any case"
        assert path.stat().st_size <= 64 * 1024, f"{path.name}: trim the copy to the list and pager"


def test_readme_records_every_config_with_evidence_and_date():
    """config/portals/README.md has one table row per config file, each with a date found and its fixture column."""
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    by_file = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells and cells[0].strip("`").endswith(".toml"):
            by_file[cells[0].strip("`")] = cells
    assert set(by_file) == {p.name for p in PORTALS.glob("*.toml")}
    for name, cells in by_file.items():
        assert re.search(r"\b20\d\d-\d\d-\d\d\b", " ".join(cells)), f"{name}: no date found"
        assert len(cells) >= 7 and cells[4], f"{name}: no evidence"
    tested = {case.config for case in CASES}
    for name in tested:
        assert "none" not in by_file[name][6].lower(), f"{name} has a saved page: name it in the README"
