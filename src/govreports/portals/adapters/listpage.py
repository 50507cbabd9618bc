"""List pages, read with BeautifulSoup: the links of a column page, and the rows a user's CSS selectors name.

Why BeautifulSoup here and lxml for report bodies: list pages are few per crawl (one per 15–45 reports) and are
where portals' markup is most broken (unclosed <li>, tables in <a>, CDATA islands), and where a user adding a site
copies CSS selectors from the browser's developer tools — soupsieve reads those selectors as the browser does. The
bodies (every report, 100 KB each) stay on the fast lxml path in `extract.html`.
"""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import soupsieve
from bs4 import BeautifulSoup, NavigableString, Tag

from govreports.portals.adapters.base import DATE, absolute, base_href, iso_date
from govreports.portals.titles import is_report_title
from govreports.text import compact

_SKIP_HREF = ("javascript:", "#", "mailto:")
_ROW_TAGS = ("li", "tr", "dd", "p")
NEXT_WORDS = ("下一页", "下页", "后一页")
# what pagers dress the word in: 下一页&gt;, 下一页 &gt;&gt;, [下一页], 【下一页】, 下一页», <<后一页>>
_NEXT_DRESS = re.compile(r"[\s<>＜＞«»‹›\[\]【】()（）]+")


def is_next_word(text: str) -> bool:
    """Whether a link's text says "next page", bare or dressed with arrows and brackets."""
    return _NEXT_DRESS.sub("", text) in NEXT_WORDS


_T = TypeVar("_T")
# A list page this long (characters) is read off the event loop. Real columns are tens of KB; a hostile or broken
# one of 10 MB (the max_text_bytes cap) took 12 s of CPU to read, and the loop that serves every other portal waited.
LARGE = 1 << 20


def soup(text: str | None) -> BeautifulSoup:
    return BeautifulSoup(text or "", "lxml")


# The one thread that reads large list pages, for every portal and event loop of the process (a nightly's portal
# tasks each run a loop of their own): one large tree at a time. Two portals serving 10 MB pages at once built two
# trees of ~360 MB side by side. Its thread starts with the first large page; its queue, not the default executor's
# few threads, holds the pages that wait.
_LARGE_PAGES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="large-list-page")


def _read_large(text: str, read: Callable[[BeautifulSoup], _T]) -> _T:
    gc.collect()  # what the last large page left (see read_page), now that it is no longer in use
    return read(soup(text))


async def read_page(text: str | None, read: Callable[[BeautifulSoup], _T]) -> _T:
    """`read(soup(text))`: at once for a page of ordinary size; for a large one, in the process's one thread for
    large pages, so that other portals' requests go on meanwhile (the GIL is handed back to the loop every few
    milliseconds) and no two large trees are held at once. A large tree's objects are reference cycles that live
    into the collector's oldest generation, which the crawl's settings (gcpolicy) seldom collect: four pages of
    4.6 MB held 496 MB, so what the last large page left is collected first (164 MB)."""
    if len(text or "") < LARGE:
        return read(soup(text))
    return await asyncio.get_running_loop().run_in_executor(_LARGE_PAGES, _read_large, text, read)


def text_of(el: Tag) -> str:
    return re.sub(r"\s+", " ", el.get_text(" ")).strip()


# how a list cuts a title short for its column's width, once compact (NFKC: … and ．．． are "..."): 政府信息公开工作年…
_CUT_END = re.compile(r"(?:\.{2,}|。{2,})$")
_EMPTY_BRACKETS = re.compile(r"[\[(（【]\s*[\])）】]")  # what a date in [2024-01-15] leaves once taken out


def title_of(el: Tag, attr: str | None = None) -> str:
    """A link's (a row's title element's) title: its text, or its title= attribute where that is the better title.

    Portals fill title= with the whole title when the text is cut short (…政府信息公开工作年…), or hold the title only
    there (the text a bare 查看, a picture); but others with 点击查看, 详情, a target's _blank, or a title cut shorter
    than the text, and taken over the text such a title lost 年度报告 and its report was dropped. So the attribute is
    taken when the text says nothing (`_better`). A config's `attr` (title_attr) names where the title is: read so."""
    text = text_of(el)
    if attr:
        return (el.get(attr) or "").strip() or text
    said = re.sub(r"\s+", " ", el.get("title") or "").strip()
    return said if said and said != text and _better(said, text) else text


def _better(said: str, text: str) -> bool:
    """Whether a title attribute is a better title than the link's text: longer than what the text shows (a date in
    the link, as mva.gov.cn's rows put it, and the ellipsis of a cut left out), and either holding it, or the text
    cut short, or itself a report's title where the text is none (a bare 查看); or the text shows nothing."""
    shown = compact(_EMPTY_BRACKETS.sub("", DATE.sub("", text)))
    cut = _CUT_END.search(shown)
    core = shown[:cut.start()] if cut else shown
    whole = compact(said)
    if not core or whole == core:  # the text shows nothing else, or the same title with a date beside it
        return True
    if len(whole) <= len(core):
        return False
    return core in whole or cut is not None or (is_report_title(said) and not is_report_title(text))


def _href(el: Tag | None) -> str | None:
    href = (el.get("href") or "").strip() if el is not None else ""
    # a scheme in any case (`JavaScript:void(0)`, as older templates spell it): a browser reads it so
    return href if href and not href.lower().startswith(_SKIP_HREF) else None


def anchors(page: BeautifulSoup | Tag) -> list[Tag]:
    """Every <a> with an href: `find_all("a", href=True)`, by BeautifulSoup's fast path for a bare tag name (an
    attribute filter sends every element through its general matcher). With `_row_of`, `links` reads 12 demo and
    real list pages in 3.2 ms instead of 8.0."""
    return [a for a in page.find_all("a") if a.get("href") is not None]


def document_url(page: BeautifulSoup | Tag, url: str) -> str:
    """The URL `page`'s relative links resolve against, as a browser resolves them: its <base href> (itself
    resolved against `url`) when the page is a whole document that has one, else `url`. A template whose links
    are relative to <base href="http://www.….gov.cn/"> had every one resolved against the page's own folder:
    each report a 404, each menu link a page that is not there. Looked for in <head> only, where the parser
    puts it: a page without one is not walked through."""
    head = page.head if isinstance(page, BeautifulSoup) else None
    base = head.find("base", href=True) if head is not None else None
    return base_href(url, base.get("href")) if base is not None else url


def _row_of(a: Tag) -> Tag | None:
    """The link's row: its nearest <li>, <tr>, <dd> or <p> (`find_parent(_ROW_TAGS)` without the general matcher)."""
    for parent in a.parents:
        if parent.name in _ROW_TAGS:
            return parent
    return None


# how far above a link its <div> row is looked for (a, its title's <div> or <span>, the row), and the most text a row
# holds: a container of more is a list or a page's chrome, not one row
_ROW_DEPTH = 4
_ROW_TEXT = 1000
_PAGE_TOP = frozenset(("body", "html", "[document]"))


def row_date(a: Tag) -> str | None:
    """The first date in the text of the link's row: its nearest <li>, <tr>, <dd> or <p> (`_row_of`); else (or a
    <p> with no date, the title's line in a row of <p>s) the nearest element above it that repeats as its siblings
    do (`div.news-item` beside `div.news-item`): lists built from <div>s, whose dates in a sibling <span> or <div>
    were never read. Such a row holding a link elsewhere, or more text than a row, is no row of this link's: no
    date, rather than its neighbour's or the page header's. A list of one such row (a new column, a last page)
    has no sibling to repeat: there the nearest element above the link that holds a date and no other link is its
    row, unless it is a part of the page itself (a child of <body>: its header or footer, dated today)."""
    row = _row_of(a)
    if row is not None:
        date = iso_date(text_of(row))
        if date is not None or row.name != "p":
            return date
    start = row if row is not None else a
    href = a.get("href")
    for node, _ in zip(start.parents, range(_ROW_DEPTH)):
        if node.name in _PAGE_TOP:
            return None
        repeated = _repeated(node)
        if repeated or (node.parent is not None and node.parent.name not in _PAGE_TOP):
            text = _row_text(node, href)
            date = iso_date(text) if text is not None else None
            if repeated or date is not None:
                return date
            if text is None:  # links elsewhere (or holds a list's text): no element above is this link's row
                return None
    return None


def _classes(el: Tag | None) -> tuple[str, ...] | None:
    return tuple(sorted(el.get("class") or ())) if el is not None else None


def _repeated(el: Tag) -> bool:
    """Whether a sibling beside `el` (the nearest one of its tag, before or after it) has its tag and classes."""
    own = _classes(el)
    return own in (_classes(_sibling(el.previous_siblings, el.name)), _classes(_sibling(el.next_siblings, el.name)))


def _sibling(siblings, name: str) -> Tag | None:
    """The first of `siblings` named `name` (`find_next_sibling(name)` without BeautifulSoup's general matcher)."""
    return next((el for el in siblings if isinstance(el, Tag) and el.name == name), None)


def _row_text(row: Tag, href: str | None) -> str | None:
    """`row`'s text, None when it links elsewhere than `href` or holds more than `_ROW_TEXT` characters (read no
    further than that: a page's containers are not read whole for every link in them)."""
    parts: list[str] = []
    size = 0
    for node in row.descendants:
        if isinstance(node, Tag):
            if node.name == "a" and node.get("href") not in (None, href):
                return None
        elif type(node) is NavigableString:
            size += len(node)
            if size > _ROW_TEXT:
                return None
            parts.append(node)
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def links(page: BeautifulSoup | Tag, base_url: str,
          pattern: re.Pattern | None = None) -> list[tuple[str, str, str | None]]:
    """(title, absolute url, date) for every <a href> (matching `pattern`), the date from the link's row."""
    out = []
    base_url = document_url(page, base_url)
    for a in anchors(page):
        href = _href(a)
        if href is None or (pattern is not None and not pattern.search(href)):
            continue
        url = absolute(base_url, href)
        if url is None:
            continue
        out.append((title_of(a), url, row_date(a)))
    return out


def next_links(page: BeautifulSoup, base_url: str, selector: str | None = None) -> list[str]:
    """The next page's URL: the `selector`'s link when one is given, else links saying 下一页."""
    if selector:
        found = [page.select_one(selector)]
    else:
        found = [a for a in anchors(page) if is_next_word(text_of(a))]
    hrefs = [href for el in found if (href := _href(_link_in(el))) is not None]
    base_url = document_url(page, base_url)
    return [url for href in hrefs if (url := absolute(base_url, href)) is not None]


def _link_in(el: Tag | None) -> Tag | None:
    if el is None or el.name == "a":
        return el
    return el.find("a", href=True)


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for a list whose markup no CMS family knows (the generic adapter's `*_selector` params).

    Each `item` is one listing; inside it, the title is `title_attr` of the first `title` match (default:
    `title_of`: its text, or its `title` attribute where that is the whole title of a text cut short with …), the
    URL the href of the first `link` match (default: the title element when it is a link, else the row's first
    link), the date the first date in `date`'s text (default: the row's text).
    """

    item: str
    title: str | None = None
    title_attr: str | None = None
    link: str | None = None
    date: str | None = None
    next: str | None = None

    PARAMS = {"item_selector": "item", "title_selector": "title", "title_attr": "title_attr",
              "link_selector": "link", "date_selector": "date", "next_selector": "next"}

    @classmethod
    def from_params(cls, params: dict) -> Selectors | None:
        if not params.get("item_selector"):
            return None
        return cls(**{field: params.get(key) for key, field in cls.PARAMS.items()})

    @classmethod
    def check(cls, params: dict) -> None:
        """A selector soupsieve cannot compile, or one that means nothing without `item_selector`, is a config
        error naming the parameter (checked on load, before any request)."""
        given = [k for k in cls.PARAMS if params.get(k)]
        if given and not params.get("item_selector"):
            raise ValueError(f"{', '.join(given)} need(s) item_selector (the CSS selector of one list row)")
        for key in given:
            if key.endswith("_selector"):
                try:
                    soupsieve.compile(str(params[key]))
                except (soupsieve.SelectorSyntaxError, TypeError) as exc:
                    raise ValueError(f"{key}: not a CSS selector: {params[key]!r} ({exc})") from exc

    def rows(self, page: BeautifulSoup, base_url: str) -> list[tuple[str, str, str | None]]:
        """(title, absolute url, date) per row; rows without a link are skipped (headers, separators)."""
        out = []
        base_url = document_url(page, base_url)
        for row in page.select(self.item):
            title_el = row.select_one(self.title) if self.title else None
            if self.link:
                link = row.select_one(self.link)
            elif title_el is not None and title_el.name == "a" and title_el.get("href"):
                link = title_el
            else:
                link = _link_in(row)
            href = _href(link)
            url = absolute(base_url, href) if href is not None else None
            if url is None:
                continue
            source = title_el if title_el is not None else link
            title = title_of(source, self.title_attr)
            date_el = row.select_one(self.date) if self.date else row
            out.append((title, url, iso_date(text_of(date_el)) if date_el is not None else None))
        return out
