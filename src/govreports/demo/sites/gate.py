"""A TRS-like report column behind a 瑞数-like JavaScript gate (/gate/), for the crawler's browser fetch mode.

What real gates do (PORTALS.md §2.2): the first answer is **412** with a few KB of obfuscated script, a telltale
``<meta id="9Dhef…">``, ``$_ts`` and a server cookie ``…80S``; the script computes the ``…80T`` cookie and reloads;
only a request carrying a valid ``…80T`` gets the page. Here the script derives the cookie from a server-signed seed
(issue time + signature, in the meta tag) through 64 rounds of a 32-bit multiply-xor hash, so it must really run;
the server checks the signature, the hash and the age, so the cookie stops working after ``gate_ttl`` seconds (its
Max-Age too): a long crawl has to solve the gate again. A plain client never gets past the 412.
The gate stands in front of /robots.txt too, as a site-wide gate does: behind it, robots.txt disallows
``PRIVATE`` (a path no list links to), which a crawler obeys only if it passed the gate for robots.txt itself.

The site is on when the demo portal is made with ``gate=True`` (``make demo`` sets GOVREPORTS_DEMO_GATE=1 for its
portal): then its reports are in the ground truth. Off, the column is there, ungated and empty, so a config naming
it (config/demo.toml's demo-gate) crawls nothing and fails no URL (a backfill leaves its partitions failed: a
column that shows no report at all is not done).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from html import escape

from govreports.demo.base import Request, Response
from govreports.demo.hosts import SITE_ADDRESSES
from govreports.demo.catalog import Item, site_reports

PREFIX = "/gate/"
HOST = SITE_ADDRESSES["gate"]  # the loopback address it is served from (demo/hosts.py)
COLUMN = "/gate/xxgk/xxgknb/"
START = COLUMN + "index.html"
COOKIE_S = "GRgateDemo80S"  # the server's cookie (瑞数's FSSBBIl1UgzbN7N80S shape)
COOKIE_T = "GRgateDemo80T"  # the cookie the challenge script computes
META_ID = "9DhefwqGPrzGxEp9hPaoag"
AGENCIES = ("国家税务总局泉州市税务局", "泉州海关", "泉州市药品监督管理局")
PER_PAGE = 8
NAME = "泉州市政务公开（演示：瑞数式防护）"
PRIVATE = "/gate/private/"  # robots.txt (behind the gate) disallows it


def reports(seed: int) -> list[Item]:
    """The column's reports, newest first (HTML articles: the gate, not the format, is the point here)."""
    items = site_reports("gate", AGENCIES, seed)
    for it in items:
        ymd, index = it.url_date.replace("-", ""), int(it.id.split("-")[1])
        it.path = f"{COLUMN}{ymd[:6]}/t{ymd}_{8800000 + index * 100 + it.year - 2000}.html"
    return sorted(items, key=lambda it: (it.list_date, it.id), reverse=True)


# --- the gate ------------------------------------------------------------------------------------------------------

def _secret(portal) -> bytes:
    return f"gate|{portal.seed}".encode()


def _signature(portal, issued: int) -> str:
    return hmac.new(_secret(portal), str(issued).encode(), hashlib.sha256).hexdigest()[:12]


def answer(seed_text: str) -> str:
    """What the challenge script computes from the seed (the same 32-bit arithmetic as its JavaScript)."""
    h = 0x1505
    for _ in range(64):
        for ch in seed_text:
            h = ((h * 33) & 0xFFFFFFFF) ^ ord(ch)
    return format(h, "x")


def _valid(portal, value: str | None) -> bool:
    try:
        issued, sig, got = (value or "").split(".")
        age = time.time() - int(issued)
    except ValueError:
        return False
    return (0 <= age <= portal.gate_ttl and hmac.compare_digest(sig, _signature(portal, int(issued)))
            and got == answer(f"{issued}.{sig}"))


def _codes(text: str) -> str:
    return ",".join(str(ord(c)) for c in text)


def challenge_body(seed_text: str, ttl: int) -> bytes:
    """The 412 page: $_ts, the meta seed, and the obfuscated script that sets COOKIE_T and reloads."""
    blob = hashlib.sha256(seed_text.encode()).hexdigest() * 3
    script = (
        "(function(_$d,_$w){var _$s=String['fromCharCode'],_$k=_$d['getElementById'](_$s(" + _codes(META_ID) + "))"
        "[_$s(99,111,110,116,101,110,116)],_$h=0x1505,_$i,_$r;"
        "for(_$r=0;_$r<0x40;_$r++)for(_$i=0;_$i<_$k['length'];_$i++)_$h=(Math['imul'](_$h,0x21)^"
        "_$k['charCodeAt'](_$i))>>>0;"
        "_$d[_$s(99,111,111,107,105,101)]=_$s(" + _codes(COOKIE_T) + ")+'='+_$k+'.'+_$h['toString'](0x10)+"
        f"';max-age={ttl};path=/';"
        "_$w[_$s(108,111,99,97,116,105,111,110)][_$s(114,101,108,111,97,100)]();})(document,window);")
    return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta id="{META_ID}" content="{seed_text}" r="m">'
            f'<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts=window[\'$_ts\']={{}};'
            f'$_ts.nsd=31427;$_ts.cd="{blob[:160]}";</script>'
            f'<script type="text/javascript" r="m">{script}</script></head><body></body></html>').encode("utf-8")


def challenge(req: Request, portal) -> Response | None:
    """The 412 challenge for a request to the gated site (or to its host's robots.txt) without a valid cookie; None
    lets it through. The other sites are hosts of their own (demo/hosts.py): their robots.txt is not behind it."""
    if not portal.gate or not (req.path.startswith(PREFIX) or (req.path == "/robots.txt" and req.host == HOST)):
        return None
    cookies = {}
    for part in req.headers.get("Cookie", "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            cookies[k.strip()] = v.strip()
    if _valid(portal, cookies.get(COOKIE_T)):
        return None
    issued = int(time.time())
    seed_text = f"{issued}.{_signature(portal, issued)}"
    ttl = max(1, int(portal.gate_ttl))
    return Response(412, challenge_body(seed_text, ttl), "text/html", validators=False, headers={
        "Set-Cookie": f"{COOKIE_S}={seed_text}; Path=/; HttpOnly", "X-Demo-Fault": "gate"})


# --- the column ----------------------------------------------------------------------------------------------------

_PAGER = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  for(var i=1; i<_nPageCount; i++){
    document.write("<a href=\\"" + _sPageName + "_" + i + "." + _sPageExt + "\\">" + (i+1) + "</a>&nbsp;");
  }
}"""


def _page(title: str, main: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f"<title>{escape(title)}_{NAME}</title>\n{head}\n</head>\n<body>\n"
            f'<div class="top"><div class="logo">{NAME}</div></div>\n'
            f'<div class="main"><div class="pos">您现在的位置：<a href="/gate/">首页</a> &gt; 政府信息公开 &gt; '
            f'<a href="{START}">政府信息公开年报</a></div>\n{main}\n</div>\n'
            f'<div class="footer">网站标识码：3505000001</div>\n</body></html>\n')


def _list(portal, k: int) -> Response | None:
    items = portal.gate_reports
    count = max(1, -(-len(items) // PER_PAGE))
    if k >= count:
        return None
    rows = [f'<tr><td><a href=".{it.path[len(COLUMN) - 1:]}" title="{escape(it.list_title)}" target="_blank">'
            f"{escape(it.list_title)}</a></td><td>{it.list_date}</td></tr>"
            for it in items[k * PER_PAGE:(k + 1) * PER_PAGE]]
    main = (f'<table class="gl_list"><tbody>\n' + "\n".join(rows) + "\n</tbody></table>\n"
            f'<div class="page"><script language="JavaScript" type="text/javascript">\n{_PAGER}\n'
            f'createPageHTML({count}, {k}, "index", "html");\n</script></div>')
    return Response(200, _page("政府信息公开年报", main).encode("utf-8"), last_modified=portal.started)


def _article(portal, it: Item) -> Response:
    record = portal.record(it)
    head = (f'<meta name="ArticleTitle" content="{escape(record["title"])}">\n'
            f'<meta name="PubDate" content="{record["published"]} 09:30:00">\n'
            f'<meta name="ContentSource" content="{escape(record["agency"])}">')
    main = (f'<div class="article"><h1 class="title">{escape(record["title"])}</h1>'
            f'<div class="info">发布时间：{it.list_date}　来源：{escape(record["agency"])}</div>\n'
            f'<div class="TRS_Editor">\n{portal.fragment(it)}\n</div></div>')
    return Response(200, _page(record["title"], main, head).encode("utf-8"), last_modified=portal.modified(it))


def handle(req: Request, portal) -> Response | None:
    path = req.path
    if not path.startswith(COLUMN):
        return None
    rest = path[len(COLUMN):] or "index.html"
    if rest == "index.html":
        return _list(portal, 0)
    if rest.startswith("index_") and rest.endswith(".html") and rest[6:-5].isdigit() and rest[6] != "0":
        return _list(portal, int(rest[6:-5]))
    it = next((x for x in portal.gate_reports if x.path == path), None)
    return _article(portal, it) if it is not None else None
