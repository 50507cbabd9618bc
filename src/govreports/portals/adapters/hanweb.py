"""Hanweb (大汉) columns: the visible list is empty; records ship as CDATA in a <datastore> XML island, and the
rest come from a strict POST to dataproxy.jsp with the record range in the query and the column in the body.

The island's <nextgroup> link is a ready template with real-world quirks (a duplicated appid, a double
percent-encoded webname): its query gives the form fields; the pager call `jpage({totalRecord, perPage,
groupSize})` gives the ranges. Older pages have no <nextgroup>: their jpage call passes the fields as
`ajaxParam:{…}`, and where neither is there the page itself names the column (/col/col{N}/), the unit (the
island's <div id>) and the site (webid=… in its scripts' links).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from govreports.portals.adapters.base import Adapter, Listing
from govreports.portals.adapters.listpage import links, soup

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""")
_TOTAL = re.compile(r"totalRecord\s*:\s*(\d+)")
_PER_PAGE = re.compile(r"perPage\s*:\s*(\d+)")
_GROUP = re.compile(r"groupSize\s*:\s*(\d+)")
_PROXY = re.compile(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""")
_TOTAL_XML = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{([^{}]*)\}")
_JS_FIELD = re.compile(r"""["']?(\w+)["']?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s]+))""")
_COLUMN_PATH = re.compile(r"/col/col(\d+)/")
_UNIT_ID = re.compile(r"""\$\(\s*["']#(\d+)["']\s*\)\s*\.jpage"""
                      r"""|<div\s+id=["'](\d+)["']>\s*<script\s+type=["']text/xml""")
_WEB_ID = re.compile(r"[?&;](?:i_)?webid=(\d+)")
FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
               "permissiontype")


class HanwebAdapter(Adapter):
    @classmethod
    def defaults(cls):
        return {"proxy_path": "/module/web/jpage/dataproxy.jsp", "per_request": 45}

    async def discover(self, ctx):
        page = await ctx.fetch_list(self.portal.start_url)
        if not page.ok:
            return
        start = page.final_url  # a moved column's: its column id, proxy and Referer are the new page's
        html = page.text or ""
        seen = 0
        for listing in _records(html, page.final_url):
            seen += 1
            yield listing
        total = int(m.group(1)) if (m := _TOTAL.search(html)) else seen
        if seen >= total:
            return
        form = self._form(html, start)
        if not form:  # no column or unit to ask for the rest with, in a template, the pager's call or the page
            ctx.short(start, seen, total, repeated=False, why="the page names no columnid and unitid (no <nextgroup> "
                                                           "link, no ajaxParam) to ask dataproxy.jsp for the rest with")
            return
        proxy = urljoin(start, m.group(1)) if (m := _PROXY.search(html)) else _proxy_url(html, start,
                                                                                          self.params["proxy_path"])
        per_page = int(m.group(1)) if (m := _PER_PAGE.search(html)) else 15
        step = max(per_page, int(self.params["per_request"]))
        requests = 0
        start_record = seen + 1
        while start_record <= total and requests < self.portal.max_pages:
            end_record = min(total, start_record + step - 1)
            url = f"{proxy}?startrecord={start_record}&endrecord={end_record}&perpage={per_page}"
            reply = await ctx.fetch_list(url, method="POST", data=form, referer=start, expect="xml",
                                         headers={"X-Requested-With": "XMLHttpRequest"})
            requests += 1
            if not reply.ok:
                return
            got = list(_records(reply.text or "", start))
            if m := _TOTAL_XML.search(reply.text or ""):
                total = int(m.group(1))
            if not got:  # an empty recordset, as a server answers a request it rejects (a Referer or XHR check, a
                # moved proxy, a session cookie): the column ended short of totalRecord and the portal was "ok"
                if seen < total:
                    ctx.short(url, seen, total, repeated=False, why="dataproxy.jsp answered no records: it may "
                              "reject the request (a Referer, XHR or cookie check) or have moved (proxy_path)")
                return
            seen += len(got)
            for listing in got:
                yield listing
            start_record = end_record + 1
        if start_record <= total:
            ctx.capped(f"{proxy}?startrecord={start_record}&endrecord={min(total, start_record + step - 1)}"
                       f"&perpage={per_page}")

    @staticmethod
    def _form(html: str, start: str) -> dict[str, str] | None:
        """The dataproxy form body, from the nextgroup template (values decoded once more where double-encoded),
        else from the jpage call's ajaxParam, else from what the page says of its column, unit and site. Without
        a column and a unit there is nothing to ask for."""
        m = _NEXTGROUP.search(html)
        href = _HREF.search(m.group(1)) if m else None
        if href:
            query = dict(parse_qsl(urlsplit(href.group(1).replace("&amp;", "&")).query, keep_blank_values=True))
        elif m := _AJAX_PARAM.search(html):
            query = {f.group(1): next(v for v in f.groups()[1:] if v is not None)
                     for f in _JS_FIELD.finditer(m.group(1))}
        else:
            query = _page_facts(html, start)
        if not query.get("columnid") or not query.get("unitid"):
            return None
        form = {"col": "1", "appid": "1", "webid": "", "path": "/", "sourceContentType": "1", "permissiontype": "0"}
        for key in FORM_FIELDS:
            if key in query:
                form[key] = unquote(query[key]) if "%" in query[key] else query[key]
        return form


def _page_facts(html: str, start: str) -> dict[str, str]:
    """The form fields a page without a template names: its column (in its own URL), its unit (the div around
    the island, or the one jpage is called on) and its site (webid= in a script's link, as visit.jsp's)."""
    facts = {}
    if m := _COLUMN_PATH.search(urlsplit(start).path):
        facts["columnid"] = m.group(1)
    if m := _UNIT_ID.search(html):
        facts["unitid"] = m.group(1) or m.group(2)
    if m := _WEB_ID.search(html):
        facts["webid"] = m.group(1)
    return facts


def _proxy_url(html: str, start: str, default_path: str) -> str:
    m = _NEXTGROUP.search(html)
    href = _HREF.search(m.group(1)) if m else None
    if href:
        return urljoin(start, urlsplit(href.group(1)).path)
    parts = urlsplit(start)
    prefix = parts.path.split("/col/")[0] if "/col/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}{default_path}"


def _records(text: str, base_url: str):
    for record in _RECORD.findall(text):
        for title, url, date in links(soup(record), base_url):
            yield Listing(title, url, date)
