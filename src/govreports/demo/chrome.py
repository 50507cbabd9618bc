"""Portal chrome shared by the demo sites: top navigation, the 信息公开 left menu, the footer with 网站标识码,
ICP and 公安备案 numbers, the conac badge and the `_jiucuo_` error-report widget (served locally as empty JS).

Why bother: crawlers and parsers must find the report inside a real-looking page, not in a bare fragment; the
menu and footer are where naive text extraction picks up noise (PORTALS.md §2, samples/html/trs_ordos_…list.html).
"""

from __future__ import annotations

from html import escape

from govreports.demo.sitemap import SITEMAPS

SITE_INFO = {
    # site -> (site name, 网站标识码, ICP number, 公安备案 number, column URL of 信息公开年报)
    "ordos": ("鄂尔多斯恩格贝生态示范区", "1506000140", "蒙ICP备13001412号-2", "蒙公网安备 15062102000168号",
              "/ordos/zwgk/xxgknb/index.html"),
    "gbk": ("鄂尔多斯市人民政府", "1506000001", "蒙ICP备05003347号", "蒙公网安备 15060202000101号",
            "/gbk/zwgk/xxgknb/index.shtml"),
    "hanweb": ("定西市人民政府", "6211000001", "陇ICP备05002313号", "甘公网安备 62110202000012号",
               "/hanweb/col/col12377/index.html"),
    "gd": ("韶关市人民政府", "4402000001", "粤ICP备05009541号", "粤公网安备 44020302000103号", "/gd/gkmlpt/index#721"),
    "govcn": ("中国政府网（演示）", "bm01000001", "京ICP备05070218号", "京公网安备 11000002000001号",
              "/govcn/zhengce/xxgknb/home.htm"),
    "custom": ("景德镇市人民政府", "3602000001", "赣ICP备05004123号", "赣公网安备 36020202000110号",
               "/custom/xxgk/nb/list"),
    "tax": ("国家税务总局（演示）", "bm29000002", "京ICP备05077212号", "京公网安备 11010202000062号",
            "/tax/n810214/c102384r/index.html?tab=gknb"),
}


def left_menu(site: str) -> str:
    """The 信息公开 left menu: the hub as its heading, then its columns (the report column and, on some sites, a
    look-alike beside it)."""
    sm = SITEMAPS[site]
    rows = [f'<li><a href="{sm.link(key).url}" target="_self">{sm.link(key).label}</a></li>' for key in sm.menu]
    if site == "ordos":  # robots.txt disallows /ordos/private/: a polite crawler never follows this link
        rows.append('<li><a href="/ordos/private/index.html" target="_self">内部资料</a></li>')
    return (f'<div class="gl_left"><h3><a href="{sm.hub.url}">{sm.hub.label}</a></h3>'
            f'<ul>{"".join(rows)}</ul></div>')


def top_nav(site: str) -> str:
    sm = SITEMAPS[site]
    items = [(sm.homes[0], "首页"), (sm.hub.url, sm.hub.label)] + [(x.url, x.label) for x in sm.sections]
    return '<ul class="nav">' + "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in items) + "</ul>"


def crumbs(site: str, *steps: tuple[str | None, str]) -> str:
    """Breadcrumb steps after 首页: (href or None, label) each; the hub is usually the first."""
    return "".join(f" &gt; <a href=\"{href}\">{escape(label)}</a>" if href else f" &gt; {escape(label)}"
                   for href, label in steps)


def column_crumbs(site: str, key: str = "nb") -> str:
    """您现在的位置：首页 > 政府信息公开 > 信息公开年报 (or the look-alike column's name)."""
    sm = SITEMAPS[site]
    link = sm.link(key)
    return crumbs(site, (sm.hub.url, sm.hub.label), (link.url, link.label))


def column_label(site: str, item) -> str:
    """The name of the column an item is listed in."""
    key = item.extra.get("column", "nb")
    sm = SITEMAPS[site]
    return sm.news.label if key == "news" else sm.link(key).label


def item_crumbs(site: str, item) -> str:
    """Breadcrumbs of an article: its column's (the report column, a look-alike, or the news column)."""
    key = item.extra.get("column", "nb")
    if key == "news":
        news = SITEMAPS[site].news
        return crumbs(site, (news.url, news.label))
    return column_crumbs(site, key)


def footer(site: str) -> str:
    name, code, icp, police, _ = SITE_INFO[site]
    return (f'<div id="down" class="footer"><p>主办：{escape(name)}　<a href="/{site}/wzdt/">网站地图</a> | '
            f'<a href="/{site}/lxwm/">联系我们</a></p>'
            f'<p><font color="#000000">网站标识码：{code}</font>　<a href="http://www.beian.miit.gov.cn/" target="_blank">'
            f"{icp}</a>　<a target=\"_blank\" href=\"http://www.beian.gov.cn/portal/registerSystemInfo\">{police}</a></p>"
            "<p><script type=\"text/javascript\">document.write(unescape(\"%3Cspan id='_ideConac' %3E%3C/span%3E\"));"
            "</script> "
            f'<script id="_jiucuo_" sitecode="{code}" src="/jiucuo.js"></script></p></div>')


def page(site: str, title: str, main: str, *, charset: str = "utf-8", head: str = "", crumbs: str = "") -> str:
    """A whole page of a site around `main`; `head` adds <meta> tags (ArticleTitle, PubDate …)."""
    name = SITE_INFO[site][0]
    return (f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            f'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f"<title>{escape(title)}_{escape(name)}</title>\n{head}\n"
            f'<link href="/{site}/images/gl.css" type="text/css" rel="stylesheet"></head>\n<body>\n'
            f'<div class="top"><div class="logo">{escape(name)}</div>'
            f'<form name="frmSearch" action="/{site}/was40/search" method="get"><input name="searchword" type="text">'
            f'<input type="submit" value="搜索"></form></div>\n{top_nav(site)}\n'
            f'<div class="main"><div class="left">{left_menu(site)}</div>\n<div class="right">'
            f'<div class="pos">您现在的位置：<a href="{SITEMAPS[site].homes[0]}">首页</a>{crumbs}</div>\n{main}\n</div></div>\n'
            f"{footer(site)}\n</body></html>\n")


def header(site: str, title: str, charset: str = "utf-8", head: str = "") -> str:
    name = SITE_INFO[site][0]
    return (f'<!DOCTYPE html>\n<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f"<title>{escape(title)}</title>\n{head}\n"
            f'<link href="/{site}/images/index.css" type="text/css" rel="stylesheet"></head>\n<body>\n'
            f'<div class="top"><div class="logo"><a href="{SITEMAPS[site].homes[0]}">{escape(name)}</a></div>'
            f'<form name="frmSearch" action="/{site}/was40/search" method="get"><input name="searchword" type="text">'
            f'<input type="submit" value="搜索"></form></div>\n{top_nav(site)}\n')


def home(site: str, news: list, charset: str = "utf-8") -> str:
    """A home page: top navigation, news and notices with ordinary links, service entries, a 政务公开 block that
    links the hub (or, on one-click sites, the report column and its look-alikes), friendly links, the footer.
    No 信息公开 left menu: on a home page the report column is one or two clicks away, never on every block."""
    sm = SITEMAPS[site]
    name = SITE_INFO[site][0]

    def rows(items):
        return "".join(f'<li><a href="{it.path}" target="_blank">{escape(it.list_title)}</a>'
                       f'<span class="date">{it.list_date}</span></li>' for it in items)

    zwgk = [(sm.hub.url, sm.hub.label)] + [(sm.link(k).url, sm.link(k).label) for k in sm.home_direct]
    zwgk += [(sm.sections[0].url, "政务服务事项"), (sm.sections[1].url, "领导信箱")]
    main = (f'<div class="banner"><img src="/{site}/images/banner.jpg" alt="{escape(name)}"></div>\n'
            f'<div class="home-news"><h2>{sm.news.label}<a class="more" href="{sm.news.url}">更多&gt;&gt;</a></h2>'
            f"<ul>{rows(news[:4])}</ul></div>\n"
            f'<div class="home-notice"><h2>通知公告<a class="more" href="{sm.news.url}">更多&gt;&gt;</a></h2>'
            f"<ul>{rows(news[4:])}</ul></div>\n"
            '<div class="home-zwgk"><h2>政务公开</h2><ul>'
            + "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for href, label in zwgk) + "</ul></div>\n"
            '<div class="home-service"><h2>办事服务</h2><ul>'
            + "".join(f'<li><a href="{x.url}">{escape(x.label)}</a></li>' for x in sm.sections)
            + ('<li><a href="/ordos/private/index.html">内部资料</a></li>' if site == "ordos" else "")  # robots.txt
            + "</ul></div>\n"
            '<div class="friend-links">友情链接：<a href="http://www.gov.cn/" target="_blank">中国政府网</a> '
            '<a href="http://www.nmg.gov.cn/" target="_blank">省政府门户网站</a></div>')
    return header(site, name, charset) + f'<div class="main home">\n{main}\n</div>\n{footer(site)}\n</body></html>\n'


def home_of(site: str) -> str:
    """The path of a site's home page (what its host's / leads to)."""
    return SITEMAPS[site].homes[0] if site in SITEMAPS else f"/{site}/"


def root_index(url, columns: tuple[tuple[str, str], ...] = ()) -> str:
    """/ of the directory host: the sites of the demo portal, each on its own host, named beside it (`url`: path ->
    absolute URL; `columns`: (name, column path) of the sites without a home page here; not a real portal page, for
    people opening the server in a browser)."""
    def host(path: str) -> str:
        return escape(url(path).split("/")[2])

    links = "".join(f'<li><a href="{url(SITEMAPS[s].homes[0])}">{escape(info[0])}</a> — '
                    f'<a href="{url(info[4])}">信息公开年报</a> <small>{host(info[4])}</small></li>'
                    for s, info in SITE_INFO.items())
    links += "".join(f'<li>{escape(name)} — <a href="{url(path)}">信息公开年报</a> <small>{host(path)}</small></li>'
                     for name, path in columns)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>govreports demo portal</title></head><body>'
            f"<h1>govreports demo portal</h1><ul>{links}</ul>"
            f'<p><a href="/_demo/ground-truth.json">ground truth</a> · <a href="/_demo/requests.json">requests</a></p>'
            f"</body></html>\n")
