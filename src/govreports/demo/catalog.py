"""What each demo site lists: reports, re-posts and column noise, with their list titles and dates (URLs: paths.py).

Why a catalog separate from the records: building 10,000 list rows must take well under a second, so rows carry
only (agency, year) plus presentation choices; the record itself is built when a page or ground_truth() needs it.
Every choice comes from random.Random seeded by a string naming the thing chosen, so adding agencies under
`scale` never changes the rows that were already there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice

from govreports.demo import agencies as A
from govreports.demo.paths import assign_paths, digest, gd_post, nav_path, trs_file
from govreports.demo.records import YEARS, format_for, record_meta
from govreports.demo.sitemap import GKMLPT_DECOYS, SITEMAPS

SITES = ("ordos", "gbk", "hanweb", "gd", "govcn", "custom", "tax")
# The "hostile" fault: report-titled items on the ordos column whose page or attachment is a pathological document
# (demo.hostile), and the way each is served: "page" = the article itself, "pdf"/"docx" = its attachment.
HOSTILE = (("zip_bomb", "docx"), ("size_lie", "docx"), ("entity_bomb", "docx"), ("line_grid", "pdf"),
           ("dense_text", "pdf"), ("many_pages", "pdf"), ("truncated", "pdf"), ("huge_html", "page"),
           ("empty", "page"), ("error_page", "page"))
# Reports published in the formats real portals also use, beyond PDF and DOCX: a few on the default portal, chosen
# (seeded) among the default agencies' reports so that `scale` neither moves nor multiplies them (a .doc takes
# LibreOffice 2–4 s to make, a scan 2–7 s a page to read by OCR). kind -> the sites that get one each: Word 97 .doc
# on the TRS sites, OFD on the gkmlpt and the custom site, one scanned 图片版 PDF on a TRS site, then an OFD on a
# TRS site, then a PDF packed in a zip on a TRS site (last, so that the earlier choices stay where they were).
LEGACY_KINDS = (("doc", ("ordos", "gbk")), ("ofd", ("gd", "custom")), ("scan", ("ordos",)), ("ofd", ("ordos",)),
                ("zip", ("gbk",)))
# How a TRS site links a legacy kind, when not by insertfileTag: ndrc-style TRS sites post OFD files, and older TRS
# templates write the attachment list with JavaScript (`var att = '<a href="./P0….ofd">'; document.write(…)`).
LEGACY_LINKS = {("ofd", "ordos"): "jsatt"}
# Reports published only as a spreadsheet (PORTALS.md §3: TRS attachments ./P0….xls and ./P0….xlsx, §11 "DOC/DOCX/XLS
# only"): (kind, site, how the article links it, table format). The .xlsx as the older TRS template's script writes it (`var att =
# '<a href="./P020160711317006236449.xlsx">…'`), the .xls as the newer markup's needdownload link (`<a appendix="true"
# data-appendix="true" needdownload="true" href="./P0….xls">`); one report of each table format (the 2021 form's table 三
# has two more rows). Chosen after every other choice (_add_spreadsheets).
SPREADSHEETS = (("xlsx", "ordos", "jsatt", "2021"), ("xls", "gbk", "appendix", "2019"))
# the TRS sites with one report shown only as pictures of its pages in its article (a 图片版 report: Catalog._add_pictured)
PICTURED = ("ordos",)
MULTIPAGE = ("ordos",)  # the TRS sites with one report article split over two pages
# the sites with reports whose body is only in a JavaScript data file (`let content = "…"`, sites/custom.py)
SCRIPT_BODIES = ("custom",)
# the TRS sites that list a PDF report twice: the plain file, and its （超链版） beside it (PORTALS.md: 上海市黄浦区人民政府
# 2022年政府信息公开工作年度报告（超链版）.pdf) — the same report, which must load once
EDITIONS = ("ordos",)
GKMLPT_CATEGORY = 721


@dataclass
class Item:
    id: str
    site: str
    role: str  # "report" | "repost" | "nonreport" | "hostile" | "decoy" (a look-alike column's item) | "news"
    list_title: str
    list_date: str  # ISO date shown in the list
    # report body: "html" | "pdf" | "docx" | "doc" | "ofd" | "scan" (an image-only .pdf) | "xlsx" | "xls" |
    # "pictures" (the article shows its pages as pictures, ./W0…_N.jpg: a 图片版 report);
    # nonreport, decoy, news: "news" | "wzbb" | "notice" | "gzyd" | "tjnb"
    kind: str = "html"
    agency: str | None = None
    year: int | None = None
    size: float = 1.0
    style: str = "word"
    quirk: str | None = None
    # TRS attachment link: "insertfile" | "js" (rel_appendix) | "jsatt" (var att) | "plain" | "appendix" (needdownload)
    link: str = "insertfile"
    canonical: str | None = None  # repost -> id of the original report
    url_date: str = ""  # date in the article URL (TRS tYYYYMMDD, Hanweb /Y/M/D/, gov.cn YYYYMM)
    path: str = ""
    attachment_path: str | None = None  # as linked from the article
    attachment_file: str | None = None  # where the bytes are served (differs for Hanweb's downfile.jsp 302)
    extra: dict = field(default_factory=dict)


def site_reports(site: str, agencies: tuple[str, ...], seed: int) -> list[Item]:
    """The reports of a site that keeps its own agencies outside the catalog (sites/gate.py, sites/wenzhou.py): one
    HTML article an agency a year it publishes, three in ten in clean markup, the rest Word's; the site gives paths."""
    items = []
    for index, agency in enumerate(agencies):
        size = A.agency_size(seed, agency)
        for year in YEARS:
            if year in A.missing_years(seed, agency, YEARS):
                continue
            item_id = f"{site}-{index:04d}-{year}"
            style = "clean" if random.Random(f"item|{seed}|{item_id}").random() < 0.3 else "word"
            title, published = record_meta(seed, agency, year)
            items.append(Item(item_id, site, "report", title, published, agency=agency, year=year, size=size,
                              style=style, url_date=published))
    return items


def _shift(iso: str, days: int) -> str:
    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()


class Catalog:
    def __init__(self, seed: int = 0, scale: int | None = None, attachments: float = 0.2):
        self.attachments = attachments  # share of reports published only as a PDF or DOCX attachment
        self.seed = seed
        self.agencies = self._allocate(scale)
        self.items: dict[str, list[Item]] = {site: [] for site in SITES}
        for site in SITES:
            for index, agency in enumerate(self.agencies[site]):
                self._add_reports(site, index, agency)
        self._add_legacy_kinds()
        self._split_articles()
        self._script_bodies()
        self._add_noise(scale)
        for site in SITES:
            self.items[site].sort(key=lambda it: (it.list_date, it.id), reverse=True)
            assign_paths(self.items[site], site, self.seed)
        self._add_editions()
        self._add_spreadsheets()
        self._add_pictured()
        self.by_id = {it.id: it for items in self.items.values() for it in items}
        self.by_path: dict[str, Item] = {}
        self.attachments: dict[str, Item] = {}
        self.pictured: dict[str, Item] = {}  # the common start of a 图片版 report's picture files -> the report
        for it in self.by_id.values():
            self.by_path[it.path] = it
            if it.kind == "pictures":
                self.pictured[it.extra["pictures"]] = it
            if it.attachment_file:
                self.attachments[it.attachment_file] = it
            if it.attachment_path:
                self.attachments.setdefault(it.attachment_path, it)
        # the other columns' items (decoys beside the report column, the news column): never in self.items, so the
        # report columns, the ground truth and the fault plan stay as they were
        self.decoys: dict[str, dict[str, list[Item]]] = {site: {} for site in SITES}
        self.news: dict[str, list[Item]] = {site: [] for site in SITES}
        self.nav_by_path: dict[str, Item] = {}
        self._add_navigation()

    # --- agencies and reports ------------------------------------------------------------------------------------
    def _allocate(self, scale: int | None) -> dict[str, list[str]]:
        streams = {site: A.agency_stream(site, self.seed) for site in SITES}
        chosen = {site: list(islice(streams[site], A.DEFAULT_COUNTS[site])) for site in SITES}
        if not scale:
            return chosen
        total = sum(len(YEARS) - len(self._missing(a)) for names in chosen.values() for a in names)
        order = [site for site in SITES for _ in range(A.GROWTH_WEIGHTS[site])]
        exhausted: set[str] = set()
        while total < scale and len(exhausted) < len(SITES):
            for site in order:
                if site in exhausted:
                    continue
                agency = next(streams[site], None)
                if agency is None:
                    exhausted.add(site)
                    continue
                chosen[site].append(agency)
                total += len(YEARS) - len(self._missing(agency))
                if total >= scale:
                    break
        return chosen

    def _missing(self, agency: str) -> set[int]:
        keep = (2019,) if agency in A.REGIONS["gbk"][2] else ()  # re-posted on the ordos site
        return A.missing_years(self.seed, agency, YEARS, keep)

    def _add_reports(self, site: str, index: int, agency: str) -> None:
        size = A.agency_size(self.seed, agency)
        for year in YEARS:
            if year in self._missing(agency):
                continue
            item_id = f"{site}-{index:04d}-{year}"
            rng = random.Random(f"item|{self.seed}|{item_id}")
            title, published = record_meta(self.seed, agency, year)
            item = Item(item_id, site, "report", title, published, agency=agency, year=year, size=size)
            roll = rng.random()
            if format_for(year) != "pre2019" and site != "govcn" and roll < self.attachments:
                item.kind = "pdf" if roll < self.attachments / 2 else "docx"
                item.link = "plain" if site in ("gbk", "custom", "tax") else (
                    "js" if item.kind == "docx" and rng.random() < 0.6 else "insertfile")
            item.style = "clean" if rng.random() < 0.25 else "word"
            if item.kind == "html" and item.style == "word" and rng.random() < 0.16:
                item.quirk = rng.choice(("fullwidth", "dashes"))
            if rng.random() < 0.1:
                item.list_title = item.list_title.replace(f"{year}年", f" {year} 年", 1)
            elif item.kind == "html" and rng.random() < 0.05:
                item.list_title += "（图片版）"  # the label survives, the body is still an HTML report
            item.url_date = published if rng.random() > 0.08 else _shift(published, -rng.randint(20, 200))
            self.items[site].append(item)

    def _add_legacy_kinds(self) -> None:
        """Give a few HTML reports of the default agencies the kinds of LEGACY_KINDS (the rng names kind and site:
        stable whatever the scale). Without LibreOffice a .doc cannot be made: that report is a DOCX instead."""
        from govreports.demo.documents import can_make_doc

        taken: set[str] = set()
        for kind, sites in LEGACY_KINDS:
            for site in sites:
                default = set(self.agencies[site][:A.DEFAULT_COUNTS[site]])
                candidates = sorted(
                    (it for it in self.items[site] if it.role == "report" and it.kind == "html"
                     and it.agency in default and it.year >= 2020 and it.id not in taken),
                    key=lambda it: it.id)  # from 2020: no 2019 report, which the ordos site re-posts from gbk
                if not candidates:
                    continue
                item = random.Random(f"legacy|{self.seed}|{kind}|{site}").choice(candidates)
                taken.add(item.id)
                item.kind = "docx" if kind == "doc" and not can_make_doc() else kind
                item.quirk = None
                item.link = LEGACY_LINKS.get((kind, site)) or ("plain" if site in ("gbk", "custom") else "insertfile")
                # a scan's list title stays plain: the crawler hands the list title to the parser, which keeps it
                # verbatim when OCR misses the title line; the article names the file 图片版 (sites/trs.py)

    def _split_articles(self) -> None:
        """Serve one HTML report of each TRS site in MULTIPAGE over two article pages, t…_{id}.html and t…_{id}_1.html
        (TRS splits a long article at the editor's page breaks; PORTALS.md §3): a crawler reading only the first
        page loads half a report. A Word-markup page (one element a line, so a line boundary is an element's), of
        the default agencies (stable whatever the scale), from 2020 (not the 2019 report the ordos site re-posts)."""
        for site in MULTIPAGE:
            default = set(self.agencies[site][:A.DEFAULT_COUNTS[site]])
            candidates = sorted((it for it in self.items[site] if it.role == "report" and it.kind == "html"
                                 and it.style == "word" and it.quirk is None and it.agency in default
                                 and it.year >= 2020), key=lambda it: it.id)
            if candidates:
                random.Random(f"multipage|{self.seed}|{site}").choice(candidates).extra["pages"] = 2

    def _add_editions(self) -> None:
        """On each site of EDITIONS, publish one HTML report of the default agencies as a PDF and list it a second
        time: its （超链版）, an article of its own on the same day linking the hyperlinked PDF (a re-post of the
        report: the same record, render.pdf's `hyperlinks`). The site's other PDF reports stay as they were (tests
        edit one); the edition is placed after every path is assigned, at ids of its own, so no other URL moves."""
        reposted = {it.canonical for items in self.items.values() for it in items if it.role == "repost"}
        for n, site in enumerate(EDITIONS):
            default = set(self.agencies[site][:A.DEFAULT_COUNTS[site]])
            candidates = sorted((it for it in self.items[site] if it.role == "report" and it.kind == "html"
                                 and it.agency in default and not it.extra and it.quirk is None
                                 and it.id not in reposted), key=lambda it: it.id)
            plain = random.Random(f"edition|{self.seed}|{site}").choice(candidates)
            ymd = plain.url_date.replace("-", "")
            folder = plain.path.rsplit("/", 1)[0]
            plain.kind = "pdf"
            plain.attachment_path = plain.attachment_file = f"{folder}/{trs_file(self.seed, plain.id, ymd, 'pdf')}"
            edition = Item(f"{site}-edition-{n:02d}", site, "repost", f"{plain.list_title}（超链版）", plain.list_date,
                           kind="pdf", agency=plain.agency, year=plain.year, size=plain.size, canonical=plain.id,
                           url_date=plain.url_date, extra={"edition": "超链版"})
            edition.path = f"{folder}/t{ymd}_{8800000 + n}.{plain.path.rsplit('.', 1)[1]}"
            edition.attachment_path = f"{folder}/{trs_file(self.seed, edition.id, ymd, 'pdf')}"
            edition.attachment_file = edition.attachment_path
            self.items[site].append(edition)
            self.items[site].sort(key=lambda it: (it.list_date, it.id), reverse=True)

    def _untouched(self, site: str) -> list[Item]:
        """The HTML reports of `site`'s default agencies from 2020 that no other choice touched (no quirk, no split or
        script body, not re-posted), by id: where a late choice (_add_spreadsheets, _add_pictured) takes its report
        so that no other report, URL or choice moves."""
        reposted = {it.canonical for items in self.items.values() for it in items if it.role == "repost"}
        default = set(self.agencies[site][:A.DEFAULT_COUNTS[site]])
        return sorted((it for it in self.items[site] if it.role == "report" and it.kind == "html"
                       and it.agency in default and it.year >= 2020 and not it.extra and it.quirk is None
                       and it.id not in reposted), key=lambda it: it.id)

    def _add_spreadsheets(self) -> None:
        """Publish one HTML report of the default agencies on each site of SPREADSHEETS as a workbook only: the
        article a stub linking its ./P0….xlsx or .xls. Chosen last (_untouched), its file name given here; the same
        whatever the scale. Without xlwt the .xls report is an .xlsx."""
        from govreports.demo.documents import can_make_xls

        for kind, site, link, fmt in SPREADSHEETS:
            candidates = self._untouched(site)
            candidates = [it for it in candidates if format_for(it.year) == fmt] or candidates
            if not candidates:
                continue
            item = random.Random(f"spreadsheet|{self.seed}|{kind}|{site}").choice(candidates)
            item.kind = "xlsx" if kind == "xls" and not can_make_xls() else kind
            item.link = link
            ymd = item.url_date.replace("-", "")
            folder = item.path.rsplit("/", 1)[0]
            item.attachment_path = item.attachment_file = f"{folder}/{trs_file(self.seed, item.id, ymd, item.kind)}"

    def _add_pictured(self) -> None:
        """Publish one HTML report of the default agencies on each site of PICTURED as pictures of its pages shown in
        its article (`<img src="./W0….jpg">`, one a page: the 图片版 reports of PORTALS.md §9, 宿州市人民政府2019年政府
        信息公开工作年度报告（图片版）), its list title so labelled. Chosen last (_untouched); the same whatever the
        scale."""
        for site in PICTURED:
            candidates = [it for it in self._untouched(site) if not it.list_title.endswith("（图片版）")]
            # a 2019-form report (two pages, as the scan's): OCR takes seconds a page in every crawl of the site
            candidates = [it for it in candidates if format_for(it.year) == "2019"] or candidates
            if not candidates:
                continue
            item = random.Random(f"pictured|{self.seed}|{site}").choice(candidates)
            item.kind = "pictures"
            item.list_title += "（图片版）"
            ymd = item.url_date.replace("-", "")
            folder = item.path.rsplit("/", 1)[0]
            item.extra["pictures"] = f"{folder}/W0{ymd}{int(digest(self.seed, item.id)[:12], 16) % 10**12:012d}"

    def _script_bodies(self) -> None:
        """Serve two HTML reports of each site in SCRIPT_BODIES, one of each table format, with an empty detail page
        whose script loads the body from a JavaScript data file (PORTALS.md §9: the source of the Shanghai sample):
        a crawler reading the page alone finds no report. Of the default agencies (stable whatever the scale), chosen
        after every other choice, so the ground truth and the other reports are unchanged."""
        for site in SCRIPT_BODIES:
            default = set(self.agencies[site][:A.DEFAULT_COUNTS[site]])
            for fmt in ("2019", "2021"):
                candidates = sorted((it for it in self.items[site] if it.role == "report" and it.kind == "html"
                                     and format_for(it.year) == fmt and it.agency in default and not it.extra),
                                    key=lambda it: it.id)
                if candidates:
                    random.Random(f"script|{self.seed}|{site}|{fmt}").choice(candidates).extra["body"] = "script"

    def _add_noise(self, scale: int | None) -> None:
        def noise(site, n, title, day, kind="news"):
            self.items[site].append(Item(f"{site}-noise-{n:04d}", site, "nonreport", title, day, kind=kind,
                                         url_date=day))

        noise("ordos", 1, "恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议", "2020-05-06")
        noise("ordos", 2, "2021年度政府网站年度工作报表", "2022-01-14", "wzbb")
        noise("ordos", 3, "关于做好2022年政府信息公开工作年度报告编制发布工作的通知", "2022-12-20", "notice")
        noise("gbk", 1, "鄂尔多斯市人民政府门户网站2020年度政府网站工作年度报表", "2021-01-15", "wzbb")
        noise("gd", 1, "韶关市人民政府门户网站政府网站工作年度报表（2022年度）", "2023-01-16", "wzbb")
        noise("govcn", 1, "国务院办公厅政府信息公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知",
              "2021-09-29", "notice")
        noise("hanweb", 1, "2021年度政府网站年度工作报表", "2022-01-14", "wzbb")
        noise("custom", 1, "景德镇市人民政府门户网站2022年度政府网站工作年度报表", "2023-01-12", "wzbb")
        noise("custom", 2, "关于做好2023年政府信息公开工作年度报告编制发布工作的通知", "2023-12-18", "notice")
        noise("custom", 3, "我市召开政务公开工作推进会", "2021-06-09")
        noise("tax", 1, "国家税务总局门户网站2019年度政府网站工作年度报表", "2020-01-15", "wzbb")
        noise("tax", 2, "国家税务总局办公厅关于做好2021年政府信息公开工作年度报告编制发布工作的通知", "2021-12-27", "notice")
        rng = random.Random(f"noise|{self.seed}")
        topics = ("“春节”文明祭祀倡议书", "城乡居民医疗保险参保缴费的通告", "安全生产专项整治工作的通知",
                  "第四季度全市政府网站和政务新媒体检查情况的通报", "森林草原防灭火工作的通告", "农村人居环境整治工作推进会召开",
                  "重点项目建设情况的公示", "优化营商环境工作要点的通知", "人大代表建议办理情况的公告")
        count = 45 + (len(self.items["hanweb"]) // 10 if scale else 0)
        for n in range(2, count + 2):
            day = _shift("2019-01-01", rng.randint(0, 6 * 365))
            noise("hanweb", n, f"定西市{rng.choice(A.DEPARTMENTS)}关于{rng.choice(topics)}", day)
        # re-posts of the city's own reports (the originals live on the /gbk/ site), listed late
        for agency, listed in (("鄂尔多斯市", "2020-09-03"), ("鄂尔多斯市人民政府办公室", "2020-03-11")):
            index = self.agencies["gbk"].index(agency)
            title, _ = record_meta(self.seed, agency, 2019)
            self.items["ordos"].append(Item(f"ordos-repost-{index:04d}", "ordos", "repost", title, listed,
                                            canonical=f"gbk-{index:04d}-2019", agency=agency, year=2019,
                                            url_date=listed))

    def add_hostile(self) -> None:
        """List the hostile documents on the ordos column, newest first (page 1), without moving any other URL."""
        items = []
        for n, (name, served) in enumerate(HOSTILE):
            day = _shift("2024-01-10", n)
            ymd = day.replace("-", "")
            it = Item(f"ordos-hostile-{n:02d}", "ordos", "hostile", f"恩格贝示范区第{n + 1}测试局2023年政府信息公开工作年度报告",
                      day, kind=served, url_date=day, link="insertfile", extra={"hostile": name})
            it.path = f"/ordos/zwgk/xxgknb/{ymd[:6]}/t{ymd}_{9900000 + n}.html"
            if served != "page":
                it.attachment_path = it.attachment_file = f"/ordos/zwgk/xxgknb/{ymd[:6]}/P0{ymd}{n:06d}.{served}"
            items.append(it)
        self.items["ordos"] = sorted(items, key=lambda it: it.list_date, reverse=True) + self.items["ordos"]
        for it in items:
            self.by_id[it.id] = self.by_path[it.path] = it
            if it.attachment_file:
                self.attachments[it.attachment_file] = it

    # --- navigation: decoy columns and news ------------------------------------------------------------------------
    def _add_navigation(self) -> None:
        """Each site's look-alike columns (PORTALS.md §9) with a few items each, and a news column for the home page.
        Fixed, not seeded: they are the same whatever the seed and scale."""
        def title(sm, key: str, y: int) -> str:  # y: the year covered (a plan: the year planned)
            if key == "wzbb":
                return f"{_SITE_NAMES[sm.site]}{y}年度政府网站工作年度报表"
            if key == "gzyd":
                return f"国务院办公厅关于印发{y}年政务公开工作要点的通知" if sm.site == "govcn" else f"{sm.place}{y}年政务公开工作要点"
            if sm.site == "tax":
                return f"{y}年度税收统计年度报告"
            return f"{sm.place or '中华人民共和国'}{y}年国民经济和社会发展统计年度报告"

        for site in SITES:
            sm = SITEMAPS[site]
            serial = 0
            for link in sm.decoys:
                rows = []
                for n, year in enumerate((2023, 2022, 2021, 2020)):
                    serial += 1
                    covered = year + 1 if link.key == "gzyd" else year
                    day = f"{year + 1}-{_DECOY_MONTH[link.key]}-{9 + 3 * n:02d}"
                    it = Item(f"{site}-{link.key}-{covered}", site, "decoy", title(sm, link.key, covered), day,
                              kind=link.key, url_date=day, extra={"column": link.key})
                    if site == "gd":
                        it.extra["post_id"] = 2900000 + serial * 37
                        it.extra["category"] = GKMLPT_DECOYS[link.key]
                        it.path = gd_post(it.extra["post_id"])
                    else:
                        it.path = nav_path(site, link.key, serial, day)
                    rows.append(it)
                self.decoys[site][link.key] = rows
            for n, (topic, day) in enumerate(_NEWS):
                serial += 1
                it = Item(f"{site}-news-{n:02d}", site, "news", f"{sm.place or '国务院'}{topic}", day, kind="news",
                          url_date=day, extra={"column": "news"})
                it.path = nav_path(site, "news", serial, day)
                if site == "gd":
                    it.extra["post_id"] = 2950000 + serial * 37
                    it.path = f"/gd/xwzx/content/post_{it.extra['post_id']}.html"
                self.news[site].append(it)
        for site in SITES:
            for it in [x for rows in self.decoys[site].values() for x in rows] + self.news[site]:
                assert it.path not in self.by_path and it.path not in self.nav_by_path, it.path
                self.nav_by_path[it.path] = it

    def decoy_column(self, site: str, key: str) -> list[Item]:
        return self.decoys[site].get(key, [])

    # --- queries ---------------------------------------------------------------------------------------------------
    def reports(self) -> list[Item]:
        return [it for site in SITES for it in self.items[site] if it.role == "report"]

    def record_item(self, item: Item) -> Item:
        """The item whose record an article serves (a re-post serves its original's record)."""
        return self.by_id[item.canonical] if item.role == "repost" else item


_SITE_NAMES = {"ordos": "恩格贝生态示范区门户网站", "gbk": "鄂尔多斯市人民政府门户网站", "hanweb": "定西市人民政府门户网站",
               "gd": "韶关市人民政府门户网站", "govcn": "中国政府网", "custom": "景德镇市人民政府门户网站",
               "tax": "国家税务总局门户网站"}
_NEWS = (("召开优化营商环境工作推进会", "2024-12-20"), ("开展安全生产大检查", "2024-12-12"),
         ("部署冬春森林草原防灭火工作", "2024-11-28"), ("举行重点项目集中开工仪式", "2024-11-15"),
         ("召开民生实事项目推进会", "2024-10-30"), ("开展“三下乡”集中示范活动", "2024-10-18"))
_DECOY_MONTH = {"wzbb": "01", "gzyd": "04", "tjnb": "03"}  # website sheets in January, plans in April, statistics March
