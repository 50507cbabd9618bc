"""Where things are on each demo site: home page, 政府信息公开 hub, the annual-report column, the look-alike
columns beside it (decoys), the other 信息公开 columns, the top-navigation sections and the news column.

Why a map of its own: real portals bury the report column one or two clicks below the home page, next to columns
whose names look alike (政府网站工作年度报表, 政务公开工作要点, 统计年度报告 — PORTALS.md §9). A crawler that starts
from a home page (`govreports discover`) must find the column and never a decoy, so the demo sites need the same
layout, and the tests need to know the answer (`navigation()`, served at /_demo/navigation.json).
Nothing here imports the rest of the demo package: the catalog, the page chrome and the sites all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# decoy column kinds: key -> default label (sites may label them their own way)
DECOY_LABELS = {"wzbb": "政府网站工作年度报表", "gzyd": "政务公开工作要点", "tjnb": "统计年度报告"}
# the other columns of a 信息公开 hub (static pages): key -> label
OTHER_LABELS = {"zn": "政府信息公开指南", "zd": "政府信息公开制度", "fdzd": "法定主动公开内容", "ysq": "依申请公开"}
# gkmlpt categories of the decoys on /gd/ (the report column is category 721)
GKMLPT_DECOYS = {"wzbb": 722, "tjnb": 723, "gzyd": 724}


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    url: str  # path (with #fragment for gkmlpt categories)

    @property
    def path(self) -> str:
        return self.url.split("#", 1)[0]


@dataclass(frozen=True)
class SiteMap:
    site: str
    homes: tuple[str, ...]  # the home page and its aliases; homes[0] is the canonical one
    hub: Link  # 政府信息公开 / 政务公开 hub
    column: Link  # the annual-report column as the hub links it
    decoys: tuple[Link, ...]
    others: tuple[Link, ...]  # 指南, 制度, 法定主动公开内容, 依申请公开 (static pages)
    sections: tuple[Link, ...]  # 办事服务, 互动交流, 走进… (static pages)
    news: Link  # the news column (要闻动态)
    hub_order: tuple[str, ...]  # keys of others/column/decoys in the order the hub shows them
    menu: tuple[str, ...]  # keys of the 信息公开 left menu (on every page below the home)
    home_direct: tuple[str, ...] = ()  # column/decoy keys the home page links directly (one click)
    hub_aliases: tuple[str, ...] = ()
    place: str = ""  # the region as titles name it (decoy and news titles)
    extra: dict = field(default_factory=dict)

    def link(self, key: str) -> Link:
        if key == "nb":
            return self.column
        return next(x for x in (*self.decoys, *self.others) if x.key == key)

    def decoy(self, key: str) -> Link:
        return next(x for x in self.decoys if x.key == key)


def _links(labels: dict[str, str], urls: dict[str, str], overrides: dict[str, str] | None = None) -> tuple[Link, ...]:
    overrides = overrides or {}
    return tuple(Link(k, overrides.get(k, label), urls[k]) for k, label in labels.items() if k in urls)


def _trs(site: str, ext: str, column_label: str, walk: str, place: str, **kw) -> SiteMap:
    d = {"zn": "xxgkzn", "zd": "xxgkzd", "fdzd": "fdzdgknr", "ysq": "ysqgk", "wzbb": "wzndbb", "gzyd": "gzyd",
         "tjnb": "tjndbg"}
    urls = {k: f"/{site}/zwgk/{v}/index.{ext}" for k, v in d.items()}
    homes = (f"/{site}/", f"/{site}/index.{ext}") + ((f"/{site}/index.html",) if ext != "html" else ())
    return SiteMap(
        site=site, homes=homes,
        hub=Link("hub", "政府信息公开", f"/{site}/zwgk/index.{ext}"),
        column=Link("nb", column_label, f"/{site}/zwgk/xxgknb/index.{ext}"),
        decoys=_links(DECOY_LABELS, urls, kw.pop("decoy_labels", None)),
        others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "办事服务", f"/{site}/bsfw/index.{ext}"), Link("hdjl", "互动交流", f"/{site}/hdjl/index.{ext}"),
                  Link("zj", walk, f"/{site}/zj/index.{ext}")),
        news=Link("news", "要闻动态", f"/{site}/xwzx/index.{ext}"),
        hub_aliases=(f"/{site}/zwgk/",), place=place, **kw)


def _hanweb() -> SiteMap:
    cols = {"zn": 12371, "zd": 12372, "fdzd": 12373, "ysq": 12374, "wzbb": 12378, "gzyd": 12379, "tjnb": 12381}
    urls = {k: f"/hanweb/col/col{n}/index.html" for k, n in cols.items()}
    return SiteMap(
        site="hanweb", homes=("/hanweb/", "/hanweb/index.html"),
        hub=Link("hub", "政府信息公开", "/hanweb/col/col12370/index.html"),
        column=Link("nb", "政府信息公开年报", "/hanweb/col/col12377/index.html"),
        decoys=_links(DECOY_LABELS, urls), others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "办事服务", "/hanweb/col/col12360/index.html"),
                  Link("hdjl", "互动交流", "/hanweb/col/col12361/index.html"),
                  Link("zj", "走进定西", "/hanweb/col/col12362/index.html")),
        news=Link("news", "要闻动态", "/hanweb/col/col12350/index.html"),
        hub_order=("zn", "zd", "fdzd", "ysq", "gzyd", "nb", "wzbb", "tjnb"),
        menu=("zn", "zd", "fdzd", "ysq", "nb", "wzbb", "gzyd"),
        hub_aliases=("/hanweb/col/col12370/",), place="定西市",
        extra={"columns": {**cols, "nb": 12377}})


def _gd() -> SiteMap:
    urls = {k: f"/gd/zwgk/{v}/index.html" for k, v in
            {"zn": "xxgkzn", "zd": "xxgkzd", "fdzd": "fdzdgknr", "ysq": "ysqgk"}.items()}
    urls.update({k: f"/gd/gkmlpt/index#{cat}" for k, cat in GKMLPT_DECOYS.items()})
    return SiteMap(
        site="gd", homes=("/gd/", "/gd/index.html"),
        hub=Link("hub", "政务公开", "/gd/zwgk/index.html"),
        column=Link("nb", "政府信息公开年报", "/gd/gkmlpt/index#721"),
        decoys=_links(DECOY_LABELS, urls), others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "办事服务", "/gd/bsfw/index.html"), Link("hdjl", "互动交流", "/gd/hdjl/index.html"),
                  Link("zj", "走进韶关", "/gd/zjsg/index.html")),
        news=Link("news", "要闻动态", "/gd/xwzx/index.html"),
        hub_order=("zn", "zd", "fdzd", "ysq", "nb", "wzbb", "tjnb", "gzyd"),
        menu=("zn", "zd", "fdzd", "ysq", "nb"),
        hub_aliases=("/gd/zwgk/",), place="韶关市",
        extra={"gkmlpt": "/gd/gkmlpt/index"})


def _govcn() -> SiteMap:
    urls = {k: f"/govcn/zhengce/{v}/index.htm" for k, v in
            {"zn": "xxgkzn", "zd": "xxgkzd", "fdzd": "fdzdgknr", "ysq": "ysqgk"}.items()}
    urls.update({"wzbb": "/govcn/zhengce/wzndbb/home.htm", "gzyd": "/govcn/zhengce/gzyd/home.htm",
                 "tjnb": "/govcn/shuju/tjndbg/home.htm"})
    return SiteMap(
        site="govcn", homes=("/govcn/", "/govcn/index.htm", "/govcn/index.html"),
        hub=Link("hub", "政府信息公开", "/govcn/zhengce/xxgk/index.htm"),
        column=Link("nb", "政府信息公开工作年度报告", "/govcn/zhengce/xxgknb/home.htm"),
        decoys=_links(DECOY_LABELS, urls), others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "办事服务", "/govcn/fuwu/index.htm"), Link("hdjl", "互动交流", "/govcn/hudong/index.htm"),
                  Link("zj", "走进中国", "/govcn/guoqing/index.htm")),
        news=Link("news", "要闻", "/govcn/yaowen/index.htm"),
        hub_order=("zn", "zd", "fdzd", "ysq", "nb", "gzyd", "wzbb", "tjnb"),
        # no decoys in this menu: the generic adapter follows every home*.htm link of a list page
        menu=("zn", "zd", "fdzd", "ysq", "nb"),
        hub_aliases=("/govcn/zhengce/xxgk/",), place="")


def _custom() -> SiteMap:
    urls = {"zn": "/custom/xxgk/zn/index.html", "zd": "/custom/xxgk/zd/index.html",
            "fdzd": "/custom/xxgk/fdzdgk/index.html", "ysq": "/custom/xxgk/ysqgk/index.html",
            "wzbb": "/custom/xxgk/wzbb/list", "gzyd": "/custom/xxgk/gzyd/list", "tjnb": "/custom/xxgk/tjnb/list"}
    return SiteMap(
        site="custom", homes=("/custom/", "/custom/index.html"),
        hub=Link("hub", "政府信息公开", "/custom/xxgk/index.html"),
        column=Link("nb", "政府信息公开工作年度报告", "/custom/xxgk/nb/list"),
        decoys=_links(DECOY_LABELS, urls), others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "办事服务", "/custom/bsfw/index.html"), Link("hdjl", "互动交流", "/custom/hdjl/index.html"),
                  Link("zj", "走进景德镇", "/custom/zjjdz/index.html")),
        news=Link("news", "要闻动态", "/custom/xwzx/list"),
        hub_order=("zn", "zd", "fdzd", "ysq", "tjnb", "nb", "gzyd", "wzbb"),
        menu=("zn", "zd", "fdzd", "ysq", "nb", "tjnb", "gzyd"),
        hub_aliases=("/custom/xxgk/",), place="景德镇市")


def _tax() -> SiteMap:
    """chinatax-like: 信息公开 at /n810214/, the column c102384r whose tabs (?tab=gknb, ?tab=wzbb …) are channels of
    one list API; node ids n…, as on www.chinatax.gov.cn (PORTALS.md §7)."""
    column = "/tax/n810214/c102384r/index.html"
    tabs = {"wzbb": "wzbb", "gzyd": "gzyd", "tjnb": "tjnb"}
    urls = {"zn": "/tax/n810214/n810631/index.html", "zd": "/tax/n810214/n810632/index.html",
            "fdzd": "/tax/n810214/n810633/index.html", "ysq": "/tax/n810214/n810634/index.html"}
    urls.update({k: f"{column}?tab={tab}" for k, tab in tabs.items()})
    return SiteMap(
        site="tax", homes=("/tax/", "/tax/index.html"),
        hub=Link("hub", "政府信息公开", "/tax/n810214/index.html"),
        column=Link("nb", "政府信息公开年报", f"{column}?tab=gknb"),
        decoys=_links(DECOY_LABELS, urls, {"tjnb": "税收统计年度报告"}), others=_links(OTHER_LABELS, urls),
        sections=(Link("bsfw", "纳税服务", "/tax/n810346/index.html"), Link("hdjl", "互动交流", "/tax/n810356/index.html"),
                  Link("zj", "走进税务", "/tax/n810209/index.html")),
        news=Link("news", "税务要闻", "/tax/n810219/index.html"),
        hub_order=("zn", "zd", "fdzd", "ysq", "nb", "gzyd", "wzbb", "tjnb"),
        menu=("zn", "zd", "fdzd", "ysq", "nb", "gzyd"),
        hub_aliases=("/tax/n810214/",), place="国家税务总局",
        extra={"column": column, "tabs": {"nb": "gknb", **tabs}})


SITEMAPS: dict[str, SiteMap] = {
    "ordos": _trs("ordos", "html", "信息公开年报", "走进恩格贝", "恩格贝生态示范区",
                  hub_order=("zn", "zd", "fdzd", "ysq", "nb", "wzbb", "gzyd", "tjnb"),
                  menu=("zn", "zd", "fdzd", "ysq", "nb", "wzbb")),
    # one click: the GBK site's home page lists the report column (and two decoys) itself
    "gbk": _trs("gbk", "shtml", "政府信息公开年报", "走进鄂尔多斯", "鄂尔多斯市",
                decoy_labels={"wzbb": "网站工作年度报表"},
                hub_order=("zn", "zd", "fdzd", "ysq", "nb", "wzbb", "tjnb", "gzyd"),
                menu=("zn", "zd", "fdzd", "ysq", "nb", "gzyd"), home_direct=("nb", "wzbb", "tjnb", "zn")),
    "hanweb": _hanweb(),
    "gd": _gd(),
    "govcn": _govcn(),
    "custom": _custom(),
    "tax": _tax(),
}


def column_list_path(site: str) -> str:
    """The URL path a crawler starts the report column from (gkmlpt: the entry page holding the category tree)."""
    sm = SITEMAPS[site]
    return sm.extra["gkmlpt"] if site == "gd" else sm.column.path
