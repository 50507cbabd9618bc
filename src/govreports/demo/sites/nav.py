"""The navigation around each site's report column: home page, 政府信息公开 hub, the other 信息公开 columns,
the look-alike columns beside the report column (decoys), top-navigation sections, news, 网站地图, 联系我们.

What is imitated (PORTALS.md §2, §9): the report column sits one or two clicks below the home page — most homes
link only a 政府信息公开 / 政务公开 hub, whose column grid lists 信息公开指南, 信息公开制度, 法定主动公开内容, 依申请公开,
the report column and, beside it, 政府网站工作年度报表, 政务公开工作要点 and 统计年度报告, each a real list with items
in the site's own CMS markup. The GBK site's home links the column directly. Where everything is: demo.sitemap.
"""

from __future__ import annotations

from html import escape

from govreports.demo import chrome
from govreports.demo.base import Request, Response, html
from govreports.demo.documents import nonreport_body
from govreports.demo.sitemap import SITEMAPS
from govreports.demo.sites import custom, gkmlpt, govcn, hanweb, tax, trs

_TRS = {"ordos": trs.ORDOS, "gbk": trs.GBK}
_DESCRIPTIONS = {
    "nb": "各年度政府信息公开工作情况报告", "wzbb": "政府网站年度工作报表", "gzyd": "年度政务公开工作安排",
    "tjnb": "国民经济和社会发展统计数据", "zn": "公开的范围、方式和程序", "zd": "政府信息公开相关制度规定",
    "fdzd": "机构职能、规划计划、财政资金等", "ysq": "依申请公开的受理与答复",
}
_TEXTS = {
    "zn": ("为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。",
           "公民、法人或者其他组织可以通过门户网站、政务服务中心查阅点获取主动公开的政府信息。"),
    "zd": ("本机关建立健全政府信息公开审查、主动公开、依申请公开、监督考核等工作制度。",),
    "fdzd": ("主动公开机构职能、法规文件、规划计划、财政预决算、重大建设项目、公共资源配置等信息。",),
    "ysq": ("申请人可通过在线申请、信函、当面提交等方式提出政府信息公开申请。", "受理机关：本机关政务公开办公室。"),
    "bsfw": ("个人办事、法人办事、部门服务、便民服务。",), "hdjl": ("领导信箱、在线访谈、征集调查、咨询投诉。",),
    "zj": ("历史沿革、自然地理、行政区划、经济发展。",), "lxwm": ("地址：人民路1号　邮编：000000　电话：0000-0000000",),
}


def respond(site: str, text: str, modified: float) -> Response:
    """The site's bytes: the GBK site's pages are GBK with the charset only in <meta>, like the rest of it."""
    if site == "gbk":
        return trs.GBK.response(text, modified)
    return html(text, last_modified=modified)


def _charset(site: str) -> str:
    return "gb2312" if site == "gbk" else "utf-8"


def home_page(site: str, portal) -> Response:
    return respond(site, chrome.home(site, portal.catalog.news[site], _charset(site)), portal.started)


def hub_page(site: str, portal) -> Response:
    sm = SITEMAPS[site]
    cards = []
    for key in sm.hub_order:
        link = sm.link(key)
        cards.append(f'<li class="col-card"><a href="{link.url}">{escape(link.label)}</a>'
                     f'<p>{escape(_DESCRIPTIONS[key])}</p></li>')
    main = (f'<div class="xxgk-hub"><h2>{escape(sm.hub.label)}</h2><ul class="col-grid">{"".join(cards)}</ul>'
            '<div class="xxgk-search"><form action="search" method="get"><input name="q" type="text">'
            '<input type="submit" value="信息检索"></form></div></div>')
    text = chrome.page(site, sm.hub.label, main, charset=_charset(site),
                       crumbs=chrome.crumbs(site, (sm.hub.url, sm.hub.label)))
    return respond(site, text, portal.started)


def static_page(site: str, portal, key: str, label: str, under_hub: bool) -> Response:
    sm = SITEMAPS[site]
    paragraphs = "".join(f'<p style="text-indent:2em">{escape(p)}</p>' for p in _TEXTS.get(key, ("",)))
    main = f'<div class="article"><h1 class="title">{escape(label)}</h1><div class="content">{paragraphs}</div></div>'
    steps = ((sm.hub.url, sm.hub.label), (None, label)) if under_hub else ((None, label),)
    text = chrome.page(site, label, main, charset=_charset(site), crumbs=chrome.crumbs(site, *steps))
    return respond(site, text, portal.started)


def sitemap_page(site: str, portal) -> Response:
    """网站地图: every section and column, the report column among them."""
    sm = SITEMAPS[site]
    zwgk = "".join(f'<li><a href="{sm.link(k).url}">{escape(sm.link(k).label)}</a></li>' for k in sm.hub_order)
    rest = "".join(f'<li><a href="{x.url}">{escape(x.label)}</a></li>' for x in (sm.news, *sm.sections))
    main = (f'<div class="wzdt"><h3><a href="{sm.hub.url}">{escape(sm.hub.label)}</a></h3><ul>{zwgk}</ul>'
            f"<h3>其他栏目</h3><ul>{rest}</ul></div>")
    text = chrome.page(site, "网站地图", main, charset=_charset(site), crumbs=chrome.crumbs(site, (None, "网站地图")))
    return respond(site, text, portal.started)


def news_list(site: str, portal) -> Response:
    sm = SITEMAPS[site]
    rows = "".join(f'<li><a href="{it.path}" target="_blank">{escape(it.list_title)}</a>'
                   f"<span>{it.list_date}</span></li>" for it in portal.catalog.news[site])
    main = f'<ul class="news-list">{rows}</ul>'
    text = chrome.page(site, sm.news.label, main, charset=_charset(site),
                       crumbs=chrome.crumbs(site, (sm.news.url, sm.news.label)))
    return respond(site, text, portal.started)


def news_article(site: str, portal, it) -> Response:
    main = (f'<div class="article"><h1 class="title">{escape(it.list_title)}</h1>'
            f'<div class="info">发布时间：{it.list_date}　来源：{escape(chrome.SITE_INFO[site][0])}</div>'
            f'<div class="content">{nonreport_body(it.list_title, "news")}</div></div>')
    text = chrome.page(site, it.list_title, main, charset=_charset(site), crumbs=chrome.item_crumbs(site, it))
    return respond(site, text, portal.modified(it))


def decoy_list(site: str, portal, key: str) -> Response | None:
    """A look-alike column's list page, in the site's own markup (gkmlpt's are categories of its tree)."""
    items = portal.catalog.decoy_column(site, key)
    if site in _TRS:
        spec = _TRS[site]
        folder = SITEMAPS[site].link(key).path.rsplit("/", 1)[0] + "/"
        return trs.column_page(spec, portal, items, folder, key, 0, portal.started)
    if site == "hanweb":
        return hanweb.decoy_column(portal, key)
    if site == "govcn":
        return govcn.column_page(portal, items, key, 0)
    return None  # custom: its own handler (list?page=N); tax: tabs of its column page (sites/tax.py)


def article(site: str, portal, it) -> Response:
    """A decoy's or a news item's page."""
    if it.role == "news":
        return news_article(site, portal, it)
    if site in _TRS:
        return trs.article(_TRS[site], portal, it)
    if site == "hanweb":
        return hanweb.article(portal, it)
    if site == "gd":
        return gkmlpt.detail_page(portal, it)
    if site == "govcn":
        return govcn.content_page(portal, it)
    if site == "tax":
        return tax.detail_page(portal, it)
    return custom.detail_page(portal, it)


def handle(req: Request, portal) -> Response | None:
    site = req.path.split("/", 2)[1]
    sm = SITEMAPS.get(site)
    if sm is None:
        return None
    path = req.path
    if path in sm.homes:
        return home_page(site, portal)
    if path in (sm.hub.path, *sm.hub_aliases):
        return hub_page(site, portal)
    for link in sm.others:
        if path == link.path or path == link.path.rsplit("/", 1)[0] + "/":
            return static_page(site, portal, link.key, link.label, True)
    for link in sm.sections:
        if path == link.path or path == link.path.rsplit("/", 1)[0] + "/":
            return static_page(site, portal, link.key, link.label, False)
    if path in (f"/{site}/wzdt/", f"/{site}/wzdt/index.html"):
        return sitemap_page(site, portal)
    if path in (f"/{site}/lxwm/", f"/{site}/lxwm/index.html"):
        return static_page(site, portal, "lxwm", "联系我们", False)
    if path == sm.news.path:
        return news_list(site, portal)
    for link in sm.decoys:
        folder = link.path.rsplit("/", 1)[0] + "/"
        if site not in ("gd", "custom", "tax") and path in (link.path, folder):
            return decoy_list(site, portal, link.key)
    it = portal.catalog.nav_by_path.get(path)
    if it is None and req.query:
        it = portal.catalog.nav_by_path.get(f"{path}?{req.query}")
    if it is not None and it.site == site:
        return article(site, portal, it)
    return None

