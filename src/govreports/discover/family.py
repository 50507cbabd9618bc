"""Which CMS family serves a column page, the adapter params that crawl it, and what its first page lists.

Why fingerprints in this order: each family leaves one unmistakable trace in the raw HTML (PORTALS.md §1) —
gkmlpt its `window._CONFIG` with SID and TREE, Hanweb its `<datastore>` island with `jpage`/dataproxy.jsp, TRS its
pager script (`createPageHTML(count, current, name, ext)` or `countPage = N`) — and a page saved from a browser
can show a TRS script *and* the 下一页 links it wrote, so the scripts are looked for before plain links. What is
left is the generic adapter: numbered pages (`home_1.htm`, gov.cn style) as `page_pattern`, 下一页 links, plain
report links, or, when no link carries a report title, CSS selectors inferred from the rows (`rows.py`).

A column whose script alone fills its list from chinatax's `getFileListByCodeId` (PORTALS.md §7) is the json-api
adapter with that API's form, read from the script (the API's address and the channelId it names); so is a jpaas
column, whose unitbuild.js script names its unit build API and query (PORTALS.md §4).

`detect` reads one page and needs no network; `complete` (async) asks what only the site can answer: gkmlpt's and
the chinatax API's first list, and which numbering a TRS pager uses (0-based index_1 or 1-based index_2).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

from govreports.discover.pages import Page
from govreports.discover.rows import infer
from govreports.discover.signals import BARE, is_report, link_score
from govreports.portals.adapters import ADAPTERS, Listing
from govreports.portals.adapters.gkmlpt import unescape_percent_u
from govreports.portals.adapters.hanweb import column_island
from govreports.portals.adapters.jsonapi import page_form, page_url, read_answer
from govreports.portals.adapters.listapi import ListPage
from govreports.portals.adapters.listpage import Selectors, anchors, document_url, is_next_word, links, soup
from govreports.portals.adapters.trs import has_pager_call
from govreports.portals.adapters.trs import numbering as trs_numbering
from govreports.portals.adapters.trs import pager as trs_pager
from govreports.portals.titles import is_report_title

_GK_CONFIG = re.compile(r"window\._CONFIG\s*=")
_GK_SID = re.compile(r"""SID\s*:\s*['"]?(\w+)['"]?""")
_GK_NODE = re.compile(r"""\{\s*['"]?id['"]?\s*:\s*(\d+)\s*,\s*['"]?name['"]?\s*:\s*['"]([^'"]+)['"]""")
_HW_STORE = re.compile(r"<datastore>", re.I)
_HW_PAGER = re.compile(r"\.jpage\s*\(|dataproxy\.jsp", re.I)
_HW_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_HW_TOTAL = re.compile(r"totalRecord\s*:\s*(\d+)")
# (count, current), after the pager <div>'s id where the call names it first: createPageHTML("page_div", 50, 1, …)
_TRS_CALL = re.compile(r"createPageHTML\s*\(\s*(?:['\"][^'\"\d][^'\"]*['\"]\s*,\s*)?['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)")
_TRS_COUNT = re.compile(r"countPage\s*=\s*(\d+)")
_TRS_ARTICLE = ADAPTERS["trs"].defaults()["article_pattern"]
_SCRIPT_COUNT = re.compile(r"\b(?P<var>maxPage|totalPages?|pageCount|pageTotal|page_count|pagecount|totalpage)"
                           r"\s*=\s*(?:parseInt\(\s*)?['\"]?(?P<n>\d+)")
# chinatax's list API, as its column's script names it: the address, and the channel (32 hex digits) it POSTs
_JP_API = re.compile(r"""['"]([^'"\s]*/getFileListByCodeId)['"]""")
_JP_CHANNEL = re.compile(r"""\bchannelId['"]?\s*[:=]\s*['"]([0-9a-fA-F]{32})['"]""")
_JP_SIZE = re.compile(r"""(?<![-\w])size['"]?\s*[:=]\s*['"]?(\d{1,3})\b""")
# jpaas (PORTALS.md §4):
#   <script src="…/unitbuild.js" url="/api-gateway/jpaas-publish-server/…/unit" queryData="{'webId':…}">
_JPAAS_TAG = re.compile(r"<script\b[^>]*unitbuild\.js[^>]*>", re.I)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_JPAAS_LIST = re.compile(r"列表|list", re.I)
_SCRIPTS = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_NUMBERED = re.compile(r"^(?P<stem>[A-Za-z][\w-]*?)_(?P<n>\d+)\.(?P<ext>s?html?|jsp|aspx?|php)$")


@dataclass
class Family:
    adapter: str
    start_url: str
    params: dict = field(default_factory=dict)
    pager: str = ""  # how the lists are paged, for people (the block's reason line)
    listings: list[Listing] = field(default_factory=list)  # the first page as the adapter reads it
    pending: str | None = None  # what `complete` must still ask the site: "gkmlpt" | "trs-offset"
    extra: dict = field(default_factory=dict)  # what `complete` needs (gkmlpt sid/category, TRS numbering)

    @property
    def reports(self) -> list[Listing]:
        return [item for item in self.listings if is_report(item.title)]


def detect(page: Page, fragment: str = "") -> Family:
    """The family of the column shown on `page` (no network); `fragment` is the link's #part (a gkmlpt category)."""
    html = page.text or ""
    url = urldefrag(page.final_url)[0]
    return (_gkmlpt(html, url, fragment) or _hanweb(html, url) or _jpaas(html, url) or _trs(html, url)
            or _jsonpost(html, url) or _generic(page, url))


def _gkmlpt(html: str, url: str, fragment: str) -> Family | None:
    if not _GK_CONFIG.search(html) or not (sid := _GK_SID.search(html)):
        return None
    nodes = [(int(i), name) for i, name in _GK_NODE.findall(html)]
    named = dict(nodes)
    wanted = int(fragment) if fragment.isdigit() and link_score(named.get(int(fragment), "")) >= BARE else None
    if wanted is None:
        ranked = sorted(((link_score(name), -n, i) for n, (i, name) in enumerate(nodes)), reverse=True)
        wanted = ranked[0][2] if ranked and ranked[0][0] >= BARE else None
    if wanted is None:
        return None
    default = ADAPTERS["gkmlpt"].defaults()["category_name"]
    by_default = next((i for i, name in nodes if default in name), None)  # what the adapter picks unaided
    params = {} if by_default == wanted else {"category": wanted}
    name = named[wanted]
    return Family("gkmlpt", url, params, f"gkmlpt JSON list api/all/{wanted} (category {name}, SID {sid.group(1)})",
                  pending="gkmlpt", extra={"sid": sid.group(1), "category": wanted})


def _hanweb(html: str, url: str) -> Family | None:
    if not _HW_STORE.search(html) or not _HW_PAGER.search(html):
        return None
    html = column_island(html, url)  # the column's own island, where a sidebar unit has one too
    listings = [Listing(t, u, d) for record in _HW_RECORD.findall(html) for t, u, d in links(soup(record), url)]
    total = int(m.group(1)) if (m := _HW_TOTAL.search(html)) else len(listings)
    return Family("hanweb", url, {}, f"Hanweb datastore island ({len(listings)} records) + dataproxy.jsp, "
                  f"{total} records in all", listings)


def _trs(html: str, url: str) -> Family | None:
    call = _TRS_CALL.search(html) or has_pager_call(html)  # (variables the page sets: pageCount, curPage, …)
    if not call and not _TRS_COUNT.search(html):
        return None
    count, name, ext = trs_pager(html)
    stem = urlsplit(url).path.rsplit("/", 1)[-1] or "index.html"
    name = name or stem.partition(".")[0] or "index"
    ext = ext or stem.partition(".")[2] or "html"
    offset = trs_numbering(html)  # the first page says which page it is: 0 (0-based) or 1 (1-based)
    params: dict = {}
    if name != "index":
        params["page_name"] = name
    if ext != "html":
        params["page_ext"] = ext
    tree = soup(html)
    found = links(tree, url)
    listings = [Listing(t, u, d) for t, u, d in found if re.search(_TRS_ARTICLE, u)]
    if not any(is_report(item.title) for item in listings):  # reports under another URL shape
        if pattern := _article_pattern([u for t, u, _ in found if is_report(t)]):
            params["article_pattern"] = pattern
            listings = [Listing(t, u, d) for t, u, d in found if re.search(pattern, u)]
    script = "createPageHTML" if call else "countPage"
    return Family("trs", url, params, f"TRS {script} pager: {count} page(s), {name}.{ext}, {name}_N.{ext}",
                  listings, pending="trs-offset" if count > 1 else None,
                  extra={"count": count, "name": name, "ext": ext, "offset": offset,
                         "pages_at": document_url(tree, url)})  # where the script's links resolve: its <base href>


def _jsonpost(html: str, url: str) -> Family | None:
    """chinatax's getFileListByCodeId, POSTed by the column's script (its list is in no HTML): the params of
    config/portals/chinatax.toml, with this page's API address and channel. `url` keeps its query (?tab=gknb
    picks the column's tab: the crawl's Referer)."""
    if "getFileListByCodeId" not in html:
        return None
    script = "\n".join(_SCRIPTS.findall(html))  # not a style's font-size nor an <input size=…>
    api, channel = _JP_API.search(script), _JP_CHANNEL.search(script)
    if not api or not channel:
        return None
    size = m.group(1) if (m := _JP_SIZE.search(script)) else "20"
    form = {"channelId": channel.group(1), "page": "{page}", "size": size, "relateSubChannels": "true"}
    params = {"list_url": urljoin(url, api.group(1)), "method": "POST", "form": form, "items": "results.data.results",
              "title_field": "titleHtml", "url_field": "url", "date_field": "publishedTimeStr",
              "total_field": "results.data.total"}
    return Family("json-api", url, params, f"JSON list API POST {api.group(1)} (channelId {channel.group(1)}, "
                  f"{size} a page)", pending="json-api")


def _jpaas(html: str, url: str) -> Family | None:
    """A jpaas 集约化 column (PORTALS.md §4): its list is no part of the page; a unitbuild.js script asks the unit
    build API it names (url=) with its queryData (webId, pageId, tplSetId, tagId…: single-quoted JSON) and
    paramJson={"pageNo":N,"pageSize":15}, and the answer's data.html holds the rows. A page builds several units
    (navigation, footer): the list's is the one whose tagId says 列表/list, else the page's only one."""
    units = []
    for tag in _JPAAS_TAG.findall(html):
        attrs = {m.group(1).lower(): unescape(m.group(2) if m.group(2) is not None else m.group(3))
                 for m in _ATTR.finditer(tag)}
        try:
            query = json.loads(attrs.get("querydata", "").replace("'", '"'))
        except ValueError:
            continue
        if isinstance(query, dict) and attrs.get("url") and query.get("pageId"):
            units.append((attrs["url"], query))
    listed = [u for u in units if _JPAAS_LIST.search(str(u[1].get("tagId", "")))]
    if not (listed or len(units) == 1):
        return None
    api, query = (listed or units)[0]
    size = 15
    if isinstance(query.get("paramJson"), str):  # the unit's own page size, where it names one
        try:
            size = int(json.loads(query["paramJson"]).get("pageSize", size))
        except (ValueError, TypeError, AttributeError):
            pass
    fields = urlencode({k: str(v) for k, v in query.items() if k != "paramJson"})
    list_url = urljoin(url, api) + "?" + fields + '&paramJson={"pageNo":{page},"pageSize":' + str(size) + "}"
    return Family("json-api", url, {"list_url": list_url, "items": "data.html"},
                  f"jpaas unit build API {urlsplit(urljoin(url, api)).path} (pageId {query['pageId']}, tagId "
                  f"{query.get('tagId', '')}, {size} a page): the rows in its data.html", pending="json-api")


def _article_pattern(urls: list[str]) -> str | None:
    """One regex for the file names of these report URLs (digits generalised), when they share a shape."""
    shapes = {re.sub(r"\d+", r"\\d+", re.escape(urlsplit(u).path.rsplit("/", 1)[-1])) for u in urls}
    shapes.discard("")
    return f"(?:^|/){shapes.pop()}$" if len(shapes) == 1 else None


def _generic(page: Page, url: str) -> Family:
    tree = page.soup
    found = links(tree, url)
    listings = [Listing(t, u, d) for t, u, d in found if is_report_title(t)]  # what the adapter yields
    selectors = infer(tree, url) if not any(is_report(t) for t, _, _ in found) else None
    if selectors:
        listings = [Listing(t, u, d) for t, u, d in Selectors.from_params(selectors).rows(tree, url)]
    family = Family("generic", url, dict(selectors or {}), "", listings)
    if selectors and "next_selector" in selectors:
        family.pager = f"next page {selectors['next_selector']}"
    elif pattern := _numbered(found, url):
        family.params["page_pattern"] = pattern
        family.pager = f"numbered pages ({pattern})"
    elif any(is_next_word(a.get_text(strip=True)) for a in anchors(tree)):
        family.pager = "下一页 links"
    elif script := _SCRIPT_COUNT.search(page.text or ""):
        _script_pager(family, script)
    else:
        family.pager = "one page, no pager"
    if selectors:
        family.pager = f"CSS selectors (rows {selectors['item_selector']}); {family.pager}"
    return family


def _script_pager(family: Family, script: re.Match) -> None:
    """A page count only in a script (`maxPage = parseInt('12')`): page k's URL from this page's name — 1.html →
    {page}.html, list.html → list_{page}.html (whether list_1 or list_2 is page 2 is asked by `complete`)."""
    name = urlsplit(family.start_url).path.rpartition("/")[2]
    stem, _, ext = (name or "index.html").partition(".")
    count = int(script["n"])
    if stem.isdigit():
        family.params["page_template"] = f"{{page}}.{ext}" if ext else "{page}"
        if int(stem) + 1 != 2:
            family.params["first_page"] = int(stem) + 1
    else:
        family.params["page_template"] = f"{stem}_{{page}}.{ext}" if ext else f"{stem}_{{page}}"
        family.pending = "template-first"
    family.params["page_count_pattern"] = re.escape(script["var"]) + r"""\s*=\s*(?:parseInt\(\s*)?['"]?(\d+)"""
    family.pager = f"{count} page(s) named in a script ({script['var']}), page k = {family.params['page_template']}"


def _numbered(found: list[tuple[str, str, str | None]], url: str) -> str | None:
    """`page_pattern` for pages named like this one plus _N (home.htm, home_1.htm…) in this directory."""
    here = urlsplit(url)
    directory, _, name = here.path.rpartition("/")
    stems = set()
    for _, href, _ in found:
        parts = urlsplit(href)
        folder, _, file = parts.path.rpartition("/")
        if parts.netloc == here.netloc and folder == directory and (m := _NUMBERED.match(file)):
            stems.add((m["stem"], m["ext"]))
    own = name.rpartition(".")
    for stem, ext in sorted(stems):
        if (own[0] == stem and own[2] == ext) or (not name and stem == "index"):
            return f"{re.escape(directory + '/')}{re.escape(stem)}(?:_\\d+)?\\.{re.escape(ext)}$"
    return None


async def complete(family: Family, session) -> Family:
    """Ask the site what the page alone cannot say (at most two requests): gkmlpt's first list, and whether a
    TRS pager's second page is index_1 (0-based) or index_2 (1-based)."""
    if family.pending == "gkmlpt":
        await _gkmlpt_list(family, session)
    elif family.pending == "trs-offset":
        await _trs_offset(family, session)
    elif family.pending == "template-first":
        await _template_first(family, session)
    elif family.pending == "json-api":
        await _json_list(family, session)
    family.pending = None
    return family


async def _gkmlpt_list(family: Family, session) -> None:
    sid, category = family.extra["sid"], family.extra["category"]
    reply = await session.fetch(urljoin(family.start_url, f"api/all/{category}?page=1&sid={sid}"), expect="json",
                                referer=family.start_url)
    articles: list = []
    if reply is not None and reply.ok:
        try:
            articles = json.loads(reply.text or "{}").get("articles") or []
        except (ValueError, AttributeError):
            articles = []
    family.listings = [Listing(unescape_percent_u(str(a.get("title") or "")), urljoin(family.start_url, a["url"]),
                               str(a.get("created_at") or "")[:10] or None)
                       for a in articles if isinstance(a, dict) and a.get("url")]


async def _json_list(family: Family, session) -> None:
    """The first page of a json-api column, read as the adapter reads it (jsonapi.read_answer: a JSON list, or an
    HTML fragment's links; an item whose link cannot be made absolute passed over), the config's params over the
    adapter's defaults. An answer that is not the list expected lists nothing."""
    p = {**ADAPTERS["json-api"].defaults(), **family.params}
    url = page_url(p, family.start_url, 1)
    reply = await session.fetch(url, method=str(p["method"]).upper(), data=page_form(p, 1), expect="json",
                                referer=family.start_url)
    got = await read_answer(reply.text, p, url, family.start_url, first=True) if reply is not None and reply.ok \
        else None
    family.listings = got.listings if isinstance(got, ListPage) else []


async def _trs_offset(family: Family, session) -> None:
    """Try the numbering the pager's first call suggests, then the other; keep the one whose page 2 answers with
    other listings than page 1."""
    name, ext, first = family.extra["name"], family.extra["ext"], family.extra["offset"]
    article = re.compile(family.params.get("article_pattern", _TRS_ARTICLE))
    seen = {item.url for item in family.listings}
    for offset in (first, 1 - first):
        page = await session.page(urljoin(family.extra["pages_at"], f"{name}_{1 + offset}.{ext}"),
                                  referer=family.start_url)
        if page is None:
            continue
        urls = {u for _, u, _ in links(page.soup, page.final_url, article)}
        if urls - seen:
            family.extra["offset"] = offset
            if offset:
                family.params = {"page_offset": offset, **family.params}
            family.pager += f" ({'1' if offset else '0'}-based: page 2 is {name}_{1 + offset}.{ext})"
            return
    family.pager += " (page 2 did not answer)"


async def _template_first(family: Family, session) -> None:
    """list_1.html or list_2.html: the first whose page lists what page 1 does not is page 2."""
    template = family.params["page_template"]
    seen = {item.url for item in family.listings}
    selectors = Selectors.from_params(family.params)
    for first in (1, 2):
        page = await session.page(urljoin(family.start_url, template.replace("{page}", str(first))),
                                  referer=family.start_url)
        if page is None:
            continue
        rows = selectors.rows(page.soup, page.final_url) if selectors else links(page.soup, page.final_url)
        if {u for t, u, _ in rows if is_report_title(t)} - seen:
            if first != 2:
                family.params["first_page"] = first
            family.pager += f" from {first}"
            return
    family.pager += " (page 2 did not answer)"
