"""What every adapter shares: the listing it yields, the context it fetches through, and link helpers (a list API's
pages: listapi).

An adapter is a small object per CMS family (zavod's "a crawler is a small function over a context"): `discover`
walks the annual-report column and yields listings; `report_body` turns a fetched report page into the document
to parse (most pages are the document; gkmlpt hides it in a script); `attachments` names the files to try when
the page itself holds no tables. Fetching, politeness, archiving and logging are the context's job.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree

from govreports.fetch.policy import url_host_in, url_netloc
from govreports.portals.adapters.datafile import content_html, data_script, data_text, report_page

if TYPE_CHECKING:  # the config imports this registry to check names and params; we only name its type
    from govreports.portals.config import PortalConfig

DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# the file kinds a report may be linked as; one list for <a> links and script-written ones, which had only PDF and
# Word: an OFD written by a TRS template's `var att = '<a href="./P0….ofd">'` was never fetched, its report lost
_FILE_KINDS = r"pdf|docx|doc|wps|ofd|rtf|xlsx?|zip"
_ATTACHMENT = re.compile(rf"\.(?:{_FILE_KINDS})(?:[?#]|$)|downfile\.jsp", re.I)
_SCRIPT_LINK = re.compile(rf"""href\s*=\s*\\?["']([^"'\\\s]+?(?:\.(?:{_FILE_KINDS})"""
                          r"""|downfile\.jsp\?[^"'\\\s]*))\\?["']""", re.I)
# the formats the parser reads, best first: DOCX keeps the tables exactly, PDF needs layout analysis
# .doc via LibreOffice, OFD: read too, after DOCX and PDF; a spreadsheet last: beside a report file it is more often a
# data annex than the report, and a page whose only file is one (PORTALS.md §3 `./P0….xls`) still has it read; a zip
# after all (the report packed in it, extract.packed: beside the report's own file, more often its annexes)
_RANK = {"docx": 0, "pdf": 1, "jsp": 1, "doc": 2, "ofd": 2, "rtf": 2, "xlsx": 3, "xls": 3, "zip": 4}
_HTML_PARSER = etree.HTMLParser(remove_comments=True, no_network=True)
_TYPE_NAMES = {int: "a whole number", str: "text (in quotes)", bool: "true or false", float: "a number",
               dict: "a table", list: "a list"}


@dataclass(frozen=True)
class Listing:
    title: str
    url: str
    list_date: str | None = None  # ISO date as the list shows it (not necessarily the report's date)


class Fetched(Protocol):
    ok: bool
    status: int | None
    final_url: str
    body: bytes | None
    text: str | None


class Context(Protocol):
    """Fetching for adapters: list pages are counted, failures recorded against their URL by the context."""

    async def fetch_list(self, url: str, *, method: str = "GET", data: dict | None = None,
                         headers: dict | None = None, referer: str | None = None,
                         expect: str = "html", probe: bool = False) -> Fetched:
        """A list page; one that does not answer is recorded as a failed list page, unless it is a `probe`: a
        request the adapter has another way for (Hanweb's POST, where GET page=N may be what the server takes),
        whose failure the adapter names itself if the other way fails too."""

    def capped(self, next_url: str) -> None:
        """The listing stops at the portal's max_pages with more of it to read, from `next_url` on."""

    def unreadable(self, url: str, why: str) -> None:
        """`url` answered, but not with the list the adapter reads (`why`): a failed list page."""

    def short(self, url: str, read: int, total: int, repeated: bool, why: str | None = None) -> None:
        """The listing ended at `url` (a page that `repeated` the ones before it, else an empty one; or `why`,
        where the adapter knows better) after `read` of the `total` items the list API counts."""

    def miscounted(self, url: str, read: int, total: int, why: str) -> None:
        """`url` counted `total` items in the column after `read` had been read: a count not the column's, which the
        adapter no longer believes (`why`: what it did instead). Logged against the run, not a failure."""


@dataclass
class Adapter:
    portal: PortalConfig
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {**self.defaults(), **self.portal.params}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {}

    # parameters read as regular expressions, and parameters that default to None but are text when given: checked
    # on load, as a wrong value would otherwise surface in the crawl as the adapter's crash on the first list page
    PATTERNS: tuple[str, ...] = ()
    TEXT: tuple[str, ...] = ()
    URLS: tuple[str, ...] = ()  # parameters naming list pages' URLs (relative to start_url): checked against its hosts

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Raise ValueError naming a parameter the adapter does not know, or one whose value it cannot use: of
        another type than its default (`page_offset = "1"`), a regular expression that does not compile."""
        defaults = cls.defaults()
        unknown = set(params) - set(defaults)
        if unknown:
            valid = ", ".join(defaults) or "none"
            raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}; this adapter takes: {valid}")
        for key, value in params.items():
            default = defaults[key]
            wanted = str if key in cls.TEXT else (None if default is None else type(default))
            if wanted is not None and not (type(value) is wanted or wanted is float and type(value) is int):
                raise ValueError(f"{key}: {_TYPE_NAMES.get(wanted, wanted.__name__)} expected, not {value!r}")
        for key in cls.PATTERNS:
            if params.get(key):
                try:
                    re.compile(params[key])
                except re.error as exc:
                    raise ValueError(f"{key}: invalid regular expression: {exc}") from exc

    @classmethod
    def check_hosts(cls, portal: PortalConfig) -> None:
        """Raise ValueError naming a URL parameter on a host the portal does not name: every list page asked there
        would fail host_not_allowed, the portal unreachable, after `crawl --check` had passed it (gov.cn's search
        API is on sousuo.www.gov.cn, its column on www.gov.cn)."""
        for key in cls.URLS:
            value = portal.params.get(key)
            url = absolute(portal.start_url, str(value)) if value else None
            if url is not None and urlsplit(url).hostname and not url_host_in(portal.hosts, url):
                raise ValueError(f"{key}: its host {url_netloc(url)} is not start_url's and not in allowed_hosts: "
                                 f"add \"{url_netloc(url)}\" to allowed_hosts, or every list page asked there fails "
                                 "host_not_allowed")

    async def discover(self, ctx: Context) -> AsyncIterator[Listing]:
        raise NotImplementedError
        yield  # pragma: no cover

    def report_body(self, page: Fetched) -> bytes | None:
        return page.body

    def attachments(self, page: Fetched) -> list[str]:
        return find_attachments(page.text or "", page.final_url)

    def images(self, page: Fetched) -> list[str]:
        """The pictures the report's article shows, in order (find_images): read by OCR as the report's pages when
        neither the page nor a file it links holds a report (a 图片版 report)."""
        return find_images(page.text or "", page.final_url)

    def later_pages(self, page: Fetched) -> list[str]:
        """The URLs of the report article's pages after this one, for a CMS that splits a long article (TRS:
        t…_1.html, t…_2.html): read with it, or half a report is loaded as if it were whole. None by default."""
        return []

    def later_page_guesses(self, url: str) -> list[str]:
        """The URLs a report article's later pages would have, in order, from the article's URL alone, for a CMS
        that splits long articles (TRS: t…_{id}_1.html, t…_{id}_2.html, …); none by default. Those of a known
        report's that the archive holds are asked again with its unchanged page (a correction may be on them
        alone), without its stored body read to name them."""
        return []

    def data_file(self, page: Fetched) -> str | None:
        """The URL of the JavaScript data file the page's script writes its report from (`let content = "…"`, the
        Shanghai sample's source; the rule in adapters.datafile), else None."""
        return data_script(page.text or "", page.final_url)

    def document(self, page: Fetched, later: list[Fetched],
                 data: Fetched | None = None) -> tuple[bytes | None, str | None]:
        """What is parsed of a report page, and its encoding: with its `data` file (data_file), the page's head over
        the HTML the data file holds (UTF-8; DataFileError when it holds none); else the page with its later pages'
        bodies appended to its own (UTF-8), else its report body (None: none found). The crawl and `reparse` both
        ask here."""
        if data is not None:
            return report_page(page.text or "", content_html(data_text(data.body, page.encoding))), "utf-8"
        if later:
            return join_pages(page.text or "", [p.text or "" for p in later]), "utf-8"
        return self.report_body(page), page.encoding


def parse_html(text: str):
    """A report page, read with lxml (fast; list pages are read with BeautifulSoup in `listpage`)."""
    root = etree.fromstring(text or "<html/>", _HTML_PARSER)
    return root if root is not None else etree.fromstring("<html/>", _HTML_PARSER)


def iso_date(text: str | None) -> str | None:
    m = DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def absolute(base_url: str, href: str) -> str | None:
    """`href` made absolute, else None: a CMS template's placeholder left in a page (`http://[站群地址]/`) or an API's
    item makes urljoin raise ValueError, and one such link ended the whole listing (in a footer: every page's), its
    page's and later pages' reports never listed; in a report page, the report itself failed as an internal error."""
    try:
        return urljoin(base_url, href)
    except ValueError:
        return None


def base_href(url: str, href: str | None) -> str:
    """The URL a page's relative links resolve against, as a browser resolves them: its <base href> (`href`, itself
    resolved against the page's `url`) when it names an http(s) URL, else `url`. A template whose links are relative
    to <base href="http://www.….gov.cn/"> had every one resolved against the page's own folder: each a 404."""
    joined = absolute(url, href.strip()) if href and href.strip() else None
    return joined if joined and joined.lower().startswith(("http://", "https://")) else url


def html_base(root, url: str) -> str:
    """`base_href` of an lxml-parsed page: the first <base href> in its <head>, where the parser puts it."""
    base = root.find("head/base[@href]") if root is not None else None
    return base_href(url, base.get("href")) if base is not None else url


# where a report article's body is (PORTALS.md §3, §10): the first such element of a page, else its <body>
_BODY_CLASSES = frozenset(("TRS_Editor", "trs_editor_view", "TRS_UEDITOR", "Custom_UnionStyle", "xxgk_content"))
_BODY_IDS = frozenset(("zoom", "ivs_content", "UCAP-CONTENT"))


def _body_of(root):
    for el in root.iter():
        if isinstance(el.tag, str) and (el.get("id") in _BODY_IDS
                                        or not _BODY_CLASSES.isdisjoint((el.get("class") or "").split())):
            return el
    return root.find("body") if root.find("body") is not None else root


def join_pages(first: str, later: list[str]) -> bytes:
    """`first` (a page's HTML) with each later page's body container appended to its own, as UTF-8: one document
    whose tables and sections are all there, in order, and whose title and dates are the first page's. The later
    pages' chrome (menus, footers, their own pager) stays out, so the parser sees no more of it than on one page."""
    root = parse_html(first)
    target = _body_of(root)
    for text in later:
        body = _body_of(parse_html(text))
        part = etree.SubElement(target, "div", {"class": "later-page"})
        part.text = body.text
        part.extend(list(body))
    return etree.tostring(root, encoding="utf-8", method="html")


# where a page puts a file besides a link: shown in a frame, embedded, or as an object
_EMBEDS = (("iframe", "src"), ("embed", "src"), ("object", "data"), ("frame", "src"))
# the query parameter a document viewer takes the file in (pdf.js: /pdfjs/web/viewer.html?file=/attach/x.pdf)
_VIEWER_PARAMS = frozenset(("file", "url", "src", "path", "filepath", "fileurl"))
_VIEWER_QUERY = re.compile(r"[?&](?:%s)=" % "|".join(_VIEWER_PARAMS), re.I)


def _may_hold_file(href: str) -> bool:
    """A cheap look before a link is made absolute: a file's name, or a viewer's file parameter."""
    return bool(href) and (_ATTACHMENT.search(href) is not None or _VIEWER_QUERY.search(href) is not None)


def find_attachments(html: str, base_url: str) -> list[str]:
    """Report files linked from a page: plain links, insertfileTag links, links written by JavaScript, and files
    shown in the page (an iframe, embed or object, directly or through a viewer such as pdf.js's viewer.html?file=):
    a page that showed its report only so, with no link to download it, was "not a report" and the report missed."""
    found: list[str] = []
    root = parse_html(html)
    base_url = html_base(root, base_url)  # as the browser that downloads them resolves them
    for a in root.iter("a"):
        if _may_hold_file(href := (a.get("href") or "").strip()):
            found.append(_shown_file(absolute(base_url, href)))
    for tag, attr in _EMBEDS:
        for el in root.iter(tag):
            if _may_hold_file(src := (el.get(attr) or "").strip()):
                found.append(_shown_file(absolute(base_url, src)))
    for script in root.iter("script"):
        for m in _SCRIPT_LINK.finditer(script.text or ""):
            found.append(absolute(base_url, m.group(1)))
    unique = [url for url in dict.fromkeys(found) if url is not None]
    readable = [u for u in unique if _kind(u) in _RANK]
    return sorted(readable, key=lambda u: _RANK[_kind(u)])


# a picture drawn smaller than this (its width or height attribute, in pixels) is an icon, a bullet or a seal, never a
# page of a report
_ICON = 120
# where a page that loads its pictures lazily puts a picture's address (its src a placeholder: loading.gif), then src
_LAZY_SRC = ("data-original", "data-src", "data-lazy-src", "data-url", "original", "src")


class Shown(list):
    """The pictures an article shows (their URLs, in order: a list), and `drawn`: the width and height the tags of
    those they are drawn by say, in pixels, or as a share of the column ("100%"; None for a side not said), by URL;
    none for a thumbnail linking its picture (the thumbnail's size, not the picture's)."""

    def __init__(self, urls=(), drawn: dict[str, tuple[int | str | None, int | str | None]] | None = None):
        super().__init__(urls)
        self.drawn = drawn or {}


def find_images(html: str, base_url: str) -> Shown:
    """The pictures of a report's article, in the order the page shows them: those in its body container (TRS_Editor,
    #zoom, …: _body_of), or where a page has none, those beside it in its own folder (TRS's ./W0….jpg), so that a
    banner or a logo of the site is no page of the report. Icons (drawn under _ICON pixels), inline data and
    non-http addresses are left out. Shown: the size each is drawn at, where its tag says, too."""
    root = parse_html(html)
    base_url = html_base(root, base_url)
    body = _body_of(root)
    folder = base_url.rsplit("/", 1)[0] + "/"
    contained = body is not root.find("body") and body is not root
    found, drawn = [], {}
    for img in body.iter("img"):
        linked = _linked_picture(img)
        src = linked or next((value.strip() for value in map(img.get, _LAZY_SRC) if value and value.strip()), "")
        if not src or src.lower().startswith("data:") or (not linked and _drawn_small(img)):
            continue
        url = absolute(base_url, src)
        if url and url.lower().startswith(("http://", "https://")) and (contained or url.startswith(folder)):
            found.append(url)
            if not linked and (size := _drawn_size(img)) != (None, None):
                drawn.setdefault(url, size)
    return Shown(dict.fromkeys(found), drawn)


_STYLE_SIZE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*(px|%)\s*(?=;|$)", re.I)
_SHARE = re.compile(r"\d+(?:\.\d+)?%")


def _drawn_size(img) -> tuple[int | str | None, int | str | None]:
    """The width and height an <img> is drawn at, in pixels, as its attributes (600, 600px) or, for a side they do
    not say, its style says; a side said as a share of the column as said ("100%"); None for a side said nowhere."""
    style = {side.lower(): int(float(value)) if unit.lower() == "px" else f"{value}%"
             for side, value, unit in _STYLE_SIZE.findall(img.get("style") or "")}
    size = []
    for side in ("width", "height"):
        value = (img.get(side) or "").strip().lower().removesuffix("px").strip()
        size.append(int(value) if value.isdigit() else value if _SHARE.fullmatch(value) else style.get(side))
    return size[0], size[1]


def _linked_picture(img) -> str | None:
    """The full-size picture a thumbnail links to (`<a href="p1.jpg"><img src="p1_small.jpg">`), if it does."""
    from govreports.extract.images import image_name

    link = next(img.iterancestors("a"), None)
    href = (link.get("href") or "").strip() if link is not None else ""
    return href if href and image_name(urlsplit(href).path) else None


def _drawn_small(img) -> bool:
    for attr in ("width", "height"):
        value = (img.get(attr) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _ICON:
            return True
    return False


def _shown_file(url: str | None) -> str | None:
    """The file a viewer URL shows (its file= parameter, made absolute from the viewer's address as the viewer
    does), else the URL itself."""
    if url is None or _kind(url) in _RANK:
        return url
    for key, value in parse_qsl(urlsplit(url).query):
        if key.lower() in _VIEWER_PARAMS and _kind(value) in _RANK:
            return absolute(url, value.strip())
    return url


def _kind(url: str) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith("downfile.jsp"):
        name = urlsplit(url).query.lower()
        return next((ext for ext in ("pdf", "docx", "doc", "ofd", "rtf", "xlsx", "xls", "zip") if f".{ext}" in name),
                    "jsp")
    return path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
