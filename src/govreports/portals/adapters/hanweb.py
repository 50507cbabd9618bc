"""Hanweb (大汉) columns: the visible list is empty; records ship as CDATA in a <datastore> XML island, and the
rest come from dataproxy.jsp, asked one of two ways.

Most servers take a strict POST with the record range in the query and the column in the body: the island's
<nextgroup> link is a ready template with real-world quirks (a duplicated appid, a double percent-encoded
webname) whose query gives the form fields; the pager call `jpage({totalRecord, perPage, groupSize})` gives the
ranges. Older pages have no <nextgroup>: their jpage call passes the fields as `ajaxParam:{…}`, and where neither
is there the page itself names the column (/col/col{N}/), the unit (the island's <div id>) and the site (webid=…
in its scripts' links).

Some servers take only GET of the template itself with its `page=N` swapped (jshrss.jiangsu, dl.gov.cn,
wzkj.wenzhou's older /module/jpage/; PORTALS.md §4): 100 records a page from record 1, <totalrecord> and
<totalpage>. They answer the POST with an error or an empty datastore (or, reading only page=, with page 1), and
a crawler that only POSTs lists the island's records and loses the rest. The POST goes first, as the page's own
pager sends it; when its answer is not the range asked for, the column is read by GET pages for the rest of the
listing, the template's other parameters sent as the page gave them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from govreports.portals.adapters.base import Adapter, Listing, absolute
from govreports.portals.adapters.listapi import ListPage, ended_past_miscount, numbered_pages
from govreports.portals.adapters.listpage import links, soup
from govreports.portals.titles import is_report_title

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
_PAGE_NUMBER = re.compile(r"(?<=[?&])page=\d+")
_DATASTORE = re.compile(r"<datastore\b", re.I)
_ISLAND = re.compile(r"<datastore\b.*?</datastore>", re.S | re.I)
# the <div id="{unitid}"><script type="text/xml"> an island begins with (searched in the text just before it)
_ISLAND_UNIT = re.compile(r"""<div\s+id=["']?(\w+)["']?[^>]*>\s*<script\s+type=["']text/xml["'][^>]*>\s*\Z""",
                          re.I)
_JPAGE_CALL = re.compile(r"""\$\(\s*["']#(\w+)["']\s*\)\s*\.jpage\s*\(\s*\{.*?\}\s*\)""", re.S)
_NO_COLUMN = ("no Hanweb <datastore> island and no jpage({totalRecord: …}) call on the page: is it a Hanweb column's "
              "list page (/col/col{N}/index.html)?")  # an empty column's page has its island, with no record
_NO_RECORDS = ("dataproxy.jsp answered no records: it may reject the request (a Referer, XHR or cookie check) or have "
               "moved (proxy_path)")
_MISCOUNTED = ("dataproxy.jsp's <totalrecord> is below the records it had served: the listing read on while its "
               "answers came full, to the first short of its range")
FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
               "permissiontype")


class HanwebAdapter(Adapter):
    @classmethod
    def defaults(cls):
        # unitid: the island read where a page has several (its <div id>), when the page's own signs do not say
        return {"proxy_path": "/module/web/jpage/dataproxy.jsp", "per_request": 45, "unitid": ""}

    async def discover(self, ctx):
        page = await ctx.fetch_list(self.portal.start_url)
        if not page.ok:
            return
        start = page.final_url  # a moved column's: its column id, proxy and Referer are the new page's
        html = page.text or ""
        if not (_DATASTORE.search(html) or _RECORD.search(html) or _TOTAL.search(html)):
            # no column here (a home page pasted for its column, another CMS's page): it listed nothing, unsaid
            ctx.unreadable(start, _NO_COLUMN)
            return
        whole, html = html, column_island(html, start, str(self.params["unitid"]),
                                          lambda title: is_report_title(title, self.portal.title_include,
                                                                        self.portal.title_exclude))
        inline = list(_records(html, page.final_url))
        for listing in inline:
            yield listing
        # records read, not listings: totalRecord and the ranges count every record, a junk one with no link
        # (`<li style=<br/>`) too; counted by listings, each range began at a record read before, and the column
        # ended "short" one request past its last record
        seen = len(_RECORD.findall(html))
        total = int(m.group(1)) if (m := _TOTAL.search(html)) else seen
        if seen >= total:
            return
        form = self._form(html, start, whole)
        if not form:  # no column or unit to ask for the rest with, in a template, the pager's call or the page
            ctx.short(start, seen, total, repeated=False, why="the page names no columnid and unitid (no <nextgroup> "
                                                           "link, no ajaxParam) to ask dataproxy.jsp for the rest with")
            return
        proxy = urljoin(start, m.group(1)) if (m := _PROXY.search(html)) else _proxy_url(html, start,
                                                                                          self.params["proxy_path"])
        per_page = int(m.group(1)) if (m := _PER_PAGE.search(html)) else 15
        step = max(per_page, int(self.params["per_request"]))
        template = _page_template(html, start)

        counted = True  # the column's count believed: totalRecord, then each answer's <totalrecord>

        def last_of(first: int) -> int:  # a range ends at the count, where the count is believed
            return min(total, first + step - 1) if counted else first + step - 1

        def range_url(first: int) -> str:
            return f"{proxy}?startrecord={first}&endrecord={last_of(first)}&perpage={per_page}"

        # Which way the column's server answers is learnt on the first request and kept for the listing: the POST
        # the page's own pager sends (most sites), else GET page=N of the template. That first POST is a probe
        # (its failure not recorded as a failed list page) when there is a template to fall back on.
        url = range_url(seen + 1)
        reply = await _post(ctx, url, form, start, probe=template is not None)
        if template is not None and not _answers_range(reply, start, inline):
            async for listing in self._pages(ctx, template, start, inline, (url, reply), total):
                yield listing
            return
        listed, requests, asked = {x.url for x in inline}, 1, last_of(seen + 1) - seen
        while reply.ok:  # one that did not answer is recorded by fetch_list
            text = reply.text or ""
            if counted and (m := _TOTAL_XML.search(text)):
                total = int(m.group(1))
            got = [x for x in _records(text, start) if x.url not in listed]
            if not got:  # an empty recordset, as a server answers a request it rejects (a Referer or XHR check, a
                # moved proxy, a session cookie): the column ended short of totalRecord and the portal was "ok"
                repeated = bool(_RECORD.search(text))
                if counted and seen < total:
                    ctx.short(url, seen, total, repeated=repeated, why=None if repeated else _NO_RECORDS)
                elif not counted:  # past a count not believed, such an answer may be the column's end or a request
                    # rejected (a server that ignores the range): ended without a word, a run's log told neither
                    ended_past_miscount(ctx, url, seen, total, repeated)
                return
            records = len(_RECORD.findall(text))
            seen += records
            listed.update(x.url for x in got)
            for listing in got:
                yield listing
            if counted and total < seen:  # a count below the records read is not the column's: believed, the
                # listing ended at a full page, the column's later records never asked. The pages say where it
                # ends now (the first short of its range; max_pages at most), and the anomaly is named
                counted = False
                ctx.miscounted(url, seen, total, why=_MISCOUNTED)
            if seen >= total if counted else records < asked:
                return
            url, asked = range_url(seen + 1), last_of(seen + 1) - seen
            if requests >= self.portal.max_pages:
                ctx.capped(url)
                return
            reply = await _post(ctx, url, form, start)
            requests += 1

    async def _pages(self, ctx, template, start: str, inline: list[Listing], posted: tuple, total: int):
        """The column read as GET page=1, 2, … of its template, to <totalrecord>, its server having answered the
        POST (`posted`: its URL and answer) with no records of the range. Page 1 holds the island's records too:
        they are not listed twice. A server that answers page 1 with no records either is named with both answers.
        """
        first = await ctx.fetch_list(template(1), referer=start, expect="xml", probe=True)
        if not first.ok or not _RECORD.search(first.text or ""):
            url, reply = posted
            ctx.short(url, len(inline), total, repeated=False, why=(
                f"dataproxy.jsp answered records neither to the POST of a record range ({_said(reply)}) nor to GET "
                f"page=1 of the page's <nextgroup> template {template(1)} ({_said(first)})"))
            return

        async def fetch(n: int) -> ListPage | None:
            reply = first if n == 1 else await ctx.fetch_list(template(n), referer=start, expect="xml")
            if not reply.ok:  # recorded by fetch_list
                return None
            text = reply.text or ""
            count = int(m.group(1)) if (m := _TOTAL_XML.search(text)) else None
            return ListPage(len(_RECORD.findall(text)), list(_records(text, start)), count)

        listed = {x.url for x in inline}
        async for listing in numbered_pages(ctx, self.portal.max_pages, fetch, template):
            if listing.url not in listed:
                yield listing

    @staticmethod
    def _form(html: str, start: str, page: str | None = None) -> dict[str, str] | None:
        """The dataproxy form body, from the nextgroup template (values decoded once more where double-encoded),
        else from the jpage call's ajaxParam, else from what the page says of its column, unit and site. Without
        a column and a unit there is nothing to ask for."""
        m = _NEXTGROUP.search(html)
        href = _HREF.search(m.group(1)) if m else None
        if href:
            query = dict(parse_qsl(urlsplit(href.group(1).replace("&amp;", "&")).query, keep_blank_values=True))
        elif m := _AJAX_PARAM.search(html):
            query = _js_fields(m.group(1))
        else:
            query = _page_facts(html, start, page or html)
        if not query.get("columnid") or not query.get("unitid"):
            return None
        form = {"col": "1", "appid": "1", "webid": "", "path": "/", "sourceContentType": "1", "permissiontype": "0"}
        for key in FORM_FIELDS:
            if key in query:
                form[key] = unquote(query[key]) if "%" in query[key] else query[key]
        return form


def _page_facts(html: str, start: str, page: str) -> dict[str, str]:
    """The form fields a page without a template names: its column (in its own URL), its unit (the div around
    the island, or the one jpage is called on: in `html`, the column's island) and its site (webid= in a
    script's link anywhere on the `page`, as visit.jsp's)."""
    facts = {}
    if m := _COLUMN_PATH.search(urlsplit(start).path):
        facts["columnid"] = m.group(1)
    if m := _UNIT_ID.search(html):
        facts["unitid"] = m.group(1) or m.group(2)
    if m := _WEB_ID.search(page):
        facts["webid"] = m.group(1)
    return facts


def _js_fields(text: str) -> dict[str, str]:
    """The fields of a JavaScript object's body (jpage's ajaxParam: `columnid:282, webname:'…'`)."""
    return {f.group(1): next(v for v in f.groups()[1:] if v is not None) for f in _JS_FIELD.finditer(text)}


def column_island(html: str, start: str, unit: str = "", titled: Callable[[str], bool] = is_report_title) -> str:
    """The part of a column page that is the column's own list, where the page holds more than one <datastore>
    island (a sidebar unit, 通知公告 or 最新信息, beside the column's): that island, from its <div id="{unitid}">,
    with its own `$('#{unitid}').jpage({…})` call. Read whole, the page's first jpage call gave the column's
    totalRecord, every island's records counted as read and the first <nextgroup> named the column asked for: a
    sidebar first had its notices listed and the column's records past its island never asked; second, the
    column's ranges began past as many of its own records as the sidebar held, those reports lost, unsaid.

    The island is the one `unit` names (the config's unitid), else the one whose column is the page's own
    (/col/col{N}/ and the template's or ajaxParam's columnid), else the one with the most records `titled` as
    reports, else the longest column (its totalRecord). A page of one island is read whole, as before."""
    islands = list(_ISLAND.finditer(html))
    if len(islands) < 2:
        return html
    calls = {m.group(1): m.group(0) for m in _JPAGE_CALL.finditer(html)}
    own = m.group(1) if (m := _COLUMN_PATH.search(urlsplit(start).path)) else None
    ranked = []
    for n, found in enumerate(islands):
        div = _ISLAND_UNIT.search(html, max(0, found.start() - 300), found.start())
        part = html[div.start() if div else found.start():found.end()]
        said = dict(parse_qsl(urlsplit(href.group(1).replace("&amp;", "&")).query)) if (
            (m := _NEXTGROUP.search(part)) and (href := _HREF.search(m.group(1)))) else {}
        island_unit = div.group(1) if div else said.get("unitid")
        call = calls.get(island_unit or "", "")
        if not said and (m := _AJAX_PARAM.search(call)):
            said = _js_fields(m.group(1))
        part += "\n" + call
        reports = sum(titled(x.title) for x in _records(found.group(0), start))
        total = int(m.group(1)) if (m := _TOTAL.search(call)) else len(_RECORD.findall(found.group(0)))
        ranked.append(((bool(unit) and island_unit == unit, own is not None and said.get("columnid") == own,
                        reports, total, -n), part))
    return max(ranked)[1]


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


def _page_template(html: str, start: str) -> Callable[[int], str] | None:
    """GET page=N of the <nextgroup> template, as a function of N: the template's URL with its page number swapped
    and nothing else touched (the duplicated appid and the double-encoded webname are what the server's own page
    gives; a query rebuilt from parsed fields loses the one and re-encodes the other). None without a template
    that numbers its page."""
    m = _NEXTGROUP.search(html)
    href = _HREF.search(m.group(1)) if m else None
    if not href:
        return None
    url = absolute(start, href.group(1).replace("&amp;", "&"))
    if url is None or not _PAGE_NUMBER.search(url):
        return None
    return lambda n: _PAGE_NUMBER.sub(f"page={n}", url, count=1)


async def _post(ctx, url: str, form: dict, referer: str, probe: bool = False):
    return await ctx.fetch_list(url, method="POST", data=form, referer=referer, expect="xml", probe=probe,
                                headers={"X-Requested-With": "XMLHttpRequest"})


def _answers_range(reply, base_url: str, inline: list[Listing]) -> bool:
    """Whether a POST was answered with records of the range asked for: not an error, not an empty datastore, and
    not page 1 again (a server that reads only page= answers any POST with page 1, the island's first record in
    it; a range begun with a record listed before is only a column that grew since its page was read)."""
    if not reply.ok:
        return False
    got = [x.url for x in _records(reply.text or "", base_url)]
    return bool(got) and not (inline and inline[0].url in got)


def _said(reply) -> str:
    """What an answer was, in a few words, for the message naming a server that rejects both ways."""
    if not reply.ok:  # a status, else the failure's kind (timeout, dns, reset…): a failure named for what it is
        return f"HTTP {reply.status}" if reply.status else (getattr(reply, "error_kind", None) or "no answer")
    return "records listed before" if _RECORD.search(reply.text or "") else "no records"
