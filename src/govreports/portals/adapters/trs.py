"""TRS WCM (拓尔思) columns: static index.html, index_1.html… whose page links exist only in the pager script.

The page count comes from `createPageHTML(count, current, "index", "html")` or `countPage = N`; the raw HTML has
no <a href="index_1.html">. Sites disagree on numbering: most are 0-based with an unsuffixed first page
(page 2 = index_1), some start the suffixes at 2 (`page_offset = 1`: page 2 = index_2); a config that does not
say is read as the first page's pager numbers itself (`numbering`), page 2 tried the other way where it is not
there. A long article is split the same way (t…_{id}.html, t…_{id}_1.html, …), its pages named by its own pager
script: `later_pages`.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from govreports.portals.adapters.base import Adapter, Listing, html_base, parse_html
from govreports.portals.adapters.listpage import document_url, links, read_page
from govreports.portals.titles import is_report_title

_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_COUNT_PAGE = re.compile(r"countPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
# the countPage form writes its links itself, the name and extension in the script's strings: "index"+"_" + i +
# "."+"shtml" (the ordos sample's), "index_" + nextPage + ".html", … ; read once the strings are joined
_JOINED = re.compile(r"""["']\s*\+\s*["']""")
_WRITTEN_PAGE = re.compile(r"""href\s*=\s*\\?["']([\w-]+)_["']\s*\+\s*\(?\s*\w+(?:\s*[-+]\s*\d+)?\s*\)?\s*\+\s*["']"""
                           r"""\.(s?html?)\\?["']""")


def _calls(html: str):
    """(numbers, names) of each createPageHTML call: its unquoted arguments as numbers, a variable's read from its
    `name = N` in the page (`createPageHTML(countPage, currentPage, "index", "html")`, None where the page sets none),
    and its quoted ones. The function's own definition (names only, none set to a number) is no call."""
    for m in _CREATE_PAGE.finditer(html):
        args = [a.strip() for a in m.group(1).split(",")]
        args = [a.strip("'\"") if a.strip("'\"").isdigit() else a for a in args]  # createPageHTML("5", "0", …)
        names = [a.strip("'\"") for a in args if a[:1] in ("'", '"')]
        unquoted = [a for a in args if a and a[:1] not in ("'", '"')]
        numbers = [_number(a, html) for a in unquoted]
        if numbers and numbers[0] is not None and (names or unquoted[0].isdigit()):
            yield numbers, names


def _number(arg: str, html: str) -> int | None:
    if arg.isdigit():
        return int(arg)
    m = re.search(rf"\b{re.escape(arg)}\s*=\s*(\d+)", html) if re.fullmatch(r"[A-Za-z_$][\w$]*", arg) else None
    return int(m.group(1)) if m else None


def has_pager_call(html: str) -> bool:
    """Whether the page calls createPageHTML with a page count it gives (a number, or a variable it sets)."""
    return next(_calls(html), None) is not None


def pager(html: str) -> tuple[int, str | None, str | None]:
    """(page count, page name, extension) from the pager script; (1, None, None) when there is none."""
    for numbers, strings in _calls(html):
        names = strings[-2:] if len(strings) >= 2 else [None, None]
        return numbers[0], names[0], names[1]
    if m := _COUNT_PAGE.search(html):
        written = _WRITTEN_PAGE.search(_JOINED.sub("", html[m.start():]))
        return int(m.group(1)), *(written.groups() if written else (None, None))
    return 1, None, None


def pager_index(html: str) -> int | None:
    """The number the pager gives the page it is on (createPageHTML's second number, else `currentPage = N`), None
    where it names none. On a column's first page it says how the column is numbered: 0 where page 2 is index_1
    (most TRS sites), 1 where page 2 is index_2 (PORTALS.md §3)."""
    for numbers, _ in _calls(html):
        return numbers[1] if len(numbers) > 1 else None
    m = _CURRENT_PAGE.search(html)
    return int(m.group(1)) if m else None


_ARTICLE_FILE = re.compile(r"(t\d{8}_\d+)\.(s?html?)$")
MAX_ARTICLE_PAGES = 20  # a report split over more pages than this is read to here


def article_pages(html: str, url: str) -> list[str]:
    """The URLs of an article's later pages: TRS writes them with the same pager script as a list's, named by
    the article (`createPageHTML(2, 0, "t20211108_2082308", "html")` → t20211108_2082308_1.html). A pager
    naming anything else (a list's "index", a sidebar's) is not the article's. The links it writes resolve against
    the page's <base href>, as a browser resolves them."""
    file = urlsplit(url).path.rsplit("/", 1)[-1]
    m = _ARTICLE_FILE.fullmatch(file)
    count, name, ext = pager(html)
    if not m or count <= 1 or name != m.group(1):
        return []
    base = html_base(parse_html(html), url)
    return [urljoin(base, f"{name}_{k}.{ext or m.group(2)}") for k in range(1, min(count, MAX_ARTICLE_PAGES))]


class TrsAdapter(Adapter):
    PATTERNS = ("article_pattern",)
    TEXT = ("page_name", "page_ext")

    @classmethod
    def defaults(cls):
        return {"page_offset": 0, "page_name": None, "page_ext": None,
                "article_pattern": r"(?:^|/)t\d{8}_\d+(?:_\d+)?\.s?html?$"}

    @classmethod
    def check_params(cls, params):
        super().check_params(params)
        if params.get("page_offset", 0) < 0:  # index_-1.html: asked every night, a 404
            raise ValueError(f"page_offset: 0 (index_1 is page 2) or more, not {params['page_offset']}")
        if str(params.get("page_ext") or "").startswith("."):  # index_2..shtml: every page after the first a 404
            raise ValueError(f"page_ext: the extension without its dot, e.g. \"shtml\", not {params['page_ext']!r}")

    async def discover(self, ctx):
        first = await ctx.fetch_list(self.portal.start_url)
        if not first.ok:
            return
        start = first.final_url  # a moved column's old URL redirects there; its old folder has no index_1.html
        count, name, ext = pager(first.text or "")
        stem = urlsplit(start).path.rsplit("/", 1)[-1] or "index.html"
        default_name, _, default_ext = stem.partition(".")
        name = self.params["page_name"] or name or default_name
        ext = self.params["page_ext"] or ext or default_ext or "html"
        pattern = re.compile(self.params["article_pattern"])
        # page k+1 is name_{k + offset}: as the config says, else as the first page's pager numbers it (discover's
        # reading, `numbering`): a 1-based column read as 0-based lost its last page and failed index_1 nightly
        given = "page_offset" in self.portal.params
        offset = self.params["page_offset"] if given else numbering(first.text or "")
        page, seen = first, set()

        async def lists_new(candidate) -> bool:  # a page 2 that lists an article page 1 does not: not its copy
            found = await read_page(candidate.text, lambda tree: links(tree, candidate.final_url, pattern))
            return any(url not in seen for _, url, _ in found)

        for k in range(min(count, self.portal.max_pages)):
            if k == 1 and not given:
                page, offset = await _page_two(ctx, lambda n: urljoin(start, f"{name}_{n}.{ext}"), offset,
                                               lists_new)
            elif k:
                page = await ctx.fetch_list(urljoin(start, f"{name}_{k + offset}.{ext}"))
            if not page.ok:
                continue

            def read(tree, base=page.final_url, k=k):
                found = links(tree, base, pattern)
                every = [] if found else links(tree, base)
                # why the page gave no article, while the tree is at hand: the pattern matches none of the reports
                # the first page lists (`_unmatched`: the listing ends), or one of the pages the pager counts lists
                # nothing at all (`_no_rows`: the pages after it are read)
                unmatched = not (k or found) and self._unmatched(every)
                return found, unmatched, not (found or unmatched) and _no_rows(every, k, count), \
                    document_url(tree, base)

            found, unmatched, empty, base = await read_page(page.text, read)
            if not k:  # the pager's script writes its links into the first page: they resolve against its <base href>
                start = base
            if unmatched or empty:
                ctx.unreadable(page.final_url, unmatched or empty)
                if unmatched:  # not an empty column
                    return
                continue
            if not k:
                seen.update(url for _, url, _ in found)
            for title, url, date in found:
                yield Listing(title, url, date)
        if count > self.portal.max_pages:
            ctx.capped(urljoin(start, f"{name}_{self.portal.max_pages + offset}.{ext}"))

    def _unmatched(self, found: list[tuple[str, str, str | None]]) -> str | None:
        """Why the column's first page gave no article, when it lists reports: links titled as annual reports (by
        the portal's title filter, as the crawl reads them) in rows with a date, none of which `article_pattern`
        matched (a site whose articles are /art/…/art_N.html, a pattern written for .shtml). It listed nothing,
        unsaid ("0 listing(s)" in --dry-run, the crawl exit 0). Else None: a column that lists no article at all
        is empty, and its page still links 政府信息公开年报 from its menu and crumb (no date there, or today's date
        in a table layout's crumb row: a link to a column is no article, `_is_column`), as does a site's front page
        given for a moved column."""
        listed = [url for title, url, date in found
                  if date and not _is_column(url) and is_report_title(title, self.portal.title_include,
                                                                       self.portal.title_exclude)]
        if not listed:
            return None
        return (f"article_pattern {self.params['article_pattern']!r} matched no link on the page, which lists "
                f"{len(listed)} dated link(s) titled as annual reports (the first: {listed[0]}): set "
                "article_pattern to match the column's article links")

    def later_pages(self, page):
        return article_pages(page.text or "", page.final_url)

    def later_page_guesses(self, url):
        m = _ARTICLE_FILE.fullmatch(urlsplit(url).path.rsplit("/", 1)[-1])
        return [urljoin(url, f"{m.group(1)}_{k}.{m.group(2)}") for k in range(1, MAX_ARTICLE_PAGES)] if m else []


def _no_rows(found: list[tuple[str, str, str | None]], k: int, count: int) -> str | None:
    """Why page k+1 of the `count` (more than one) the column's pager counts listed nothing: no dated link on it but
    to a column (the menu and crumb of the column's template, served without its rows; an error page answered as
    200). It was passed over without a word, its reports not listed that night, the portal "ok" (the first page so,
    its later pages listed: the portal's health saw items listed). None where it has dated links (rows that are no
    articles, news linking elsewhere), as before, and for a column of one page: empty, which health names."""
    if count < 2 or any(date and not _is_column(url) for _, url, date in found):
        return None
    return (f"page {k + 1} of the {count} the column's pager counts lists no article, and no dated row: the column's "
            "template served without its rows, or an error page answered as 200; its reports are not listed")


def numbering(html: str) -> int:
    """`page_offset` as a column's first page numbers itself: 1 where its pager says it is page 1 (page 2 is
    index_2), else 0 (page 2 is index_1, most TRS sites); the rule discover drafts page_offset by."""
    return 1 if pager_index(html) == 1 else 0


async def _page_two(ctx, url_of, offset: int, lists_new):
    """(page 2, the offset it was found at) of a column whose config does not say its numbering: asked as `offset`
    says, then, where that page is not there or lists nothing page 1 does not (`lists_new`: a 1-based column whose
    pager says page 0 and whose index_1 is a copy of page 1, which read as page 2 had the last page never asked),
    the other way (index_1 / index_2), both as probes: a wrong guess is no failed list page. Where neither lists
    anything new, the first that answered; where neither answers, page 2 is asked again the first way, its
    failure recorded. discover's `_trs_offset` keeps the numbering by the same test."""
    answered = None
    for guess in (offset, 1 - offset):
        page = await ctx.fetch_list(url_of(1 + guess), probe=True)
        if page.ok:
            if await lists_new(page):
                return page, guess
            answered = answered or (page, guess)
    if answered is not None:
        return answered
    return await ctx.fetch_list(url_of(1 + offset)), offset


_COLUMN_PATH = re.compile(r"(?:/|/index(?:_\d+)?\.\w+)$")


def _is_column(url: str) -> bool:
    """Whether a link is to a column (its folder or index page: the column's own crumb and menu entries, a sibling
    column's), never an article: table-layout portals put the crumb and today's date in one row, and an empty
    column was named a failed article_pattern for its own crumb link."""
    return _COLUMN_PATH.search(urlsplit(url).path or "/") is not None

