"""Portal chrome shared by the demo sites: top navigation, the 信息公开 left menu, the footer with 网站标识码,
ICP and 公安备案 numbers, the conac badge and the `_jiucuo_` error-report widget (served locally as empty JS).

Why bother: crawlers and parsers must find the report inside a real-looking page, not in a bare fragment; the
menu and footer are where naive text extraction picks up noise (PORTALS.md §2, samples/html/trs_ordos_…list.html).
"""

from __future__ import annotations

from html import escape

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
}

_MENU = ("信息公开规定", "信息公开制度", "信息公开指南", "信息公开目录", "依申请公开")
_MENU_DIRS = ("xxgkgd", "xxgkzd", "xxgkzn", "xxgkml", "ysqgk")


def left_menu(site: str) -> str:
    name, _, _, _, column = SITE_INFO[site]
    rows = [f'<li><a href="/{site}/zwgk/{d}/" target="_self">{label}</a></li>' for label, d in zip(_MENU, _MENU_DIRS)]
    rows.append(f'<li><a href="{column}" target="_self">信息公开年报</a></li>')
    if site == "ordos":  # robots.txt disallows /ordos/private/: a polite crawler never follows this link
        rows.append('<li><a href="/ordos/private/index.html" target="_self">内部资料</a></li>')
    return f'<div class="gl_left"><h3>信息公开</h3><ul>{"".join(rows)}</ul></div>'


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
    nav = "".join(f'<li><a href="/{site}/{href}">{label}</a></li>' for href, label in
                  (("", "首页"), ("zwgk/", "政务公开"), ("bsfw/", "办事服务"), ("hdjl/", "互动交流"), ("zjdq/", "走进本地")))
    return (f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            f'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f"<title>{escape(title)}_{escape(name)}</title>\n{head}\n"
            f'<link href="/{site}/images/gl.css" type="text/css" rel="stylesheet"></head>\n<body>\n'
            f'<div class="top"><div class="logo">{escape(name)}</div>'
            f'<form name="frmSearch" action="/{site}/was40/search" method="get"><input name="searchword" type="text">'
            f'<input type="submit" value="搜索"></form></div>\n<ul class="nav">{nav}</ul>\n'
            f'<div class="main"><div class="left">{left_menu(site)}</div>\n<div class="right">'
            f'<div class="pos">您现在的位置是：<a href="/{site}/">首页</a>{crumbs}</div>\n{main}\n</div></div>\n'
            f"{footer(site)}\n</body></html>\n")


def home(site: str, charset: str = "utf-8") -> str:
    name, _, _, _, column = SITE_INFO[site]
    main = (f'<div class="home"><h2>政务公开</h2><ul><li><a href="{column}">政府信息公开年报</a></li>'
            f'<li><a href="/{site}/zwgk/xxgkzn/">政府信息公开指南</a></li></ul></div>')
    return page(site, name, main, charset=charset)


def root_index() -> str:
    """/ : the sites of the demo portal (not a real portal page; for people opening the server in a browser)."""
    links = "".join(f'<li><a href="/{s}/">{escape(info[0])}</a> — <a href="{info[4]}">信息公开年报</a></li>'
                    for s, info in SITE_INFO.items())
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>govreports demo portal</title></head><body>'
            f"<h1>govreports demo portal</h1><ul>{links}</ul>"
            f'<p><a href="/_demo/ground-truth.json">ground truth</a> · <a href="/_demo/requests.json">requests</a></p>'
            f"</body></html>\n")
