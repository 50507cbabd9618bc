"""Generic list following, for gov.cn-style lists (home.htm, home_1.htm…), simple sites, and any site through CSS
selectors.

Without selectors every link on a list page is a candidate, kept when its title reads as an annual report (the
navigation around a list has many links); list pages are the links matching `page_pattern` or saying 下一页.
With `item_selector` (and the other `*_selector` params, copied from the browser's developer tools) each matched
row is a listing, whatever its title — the crawl's title filter decides, so `crawl --dry-run` can show what it
excluded — and the next page is `next_selector`'s link.

Pagers written only by a script (`maxPage = parseInt('12')`, `createPage(12, …)`) have no link to follow:
`page_template` names page k's URL (`"{page}.html"`, `"index_{page}.html"`, relative to the start URL), pages
`first_page`, `first_page + 1`, … follow the start page, up to the page count `page_count_pattern` reads from the
first page (its first group; the start page counted), or, without one, until a page answers with no link (row) that
no page before it showed.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from govreports.portals.adapters.base import Adapter, Listing
from govreports.portals.adapters.listpage import Selectors, links, next_links, read_page
from govreports.portals.titles import is_report_title


# a title as a column of reports lists them, annual report or look-alike (年度报表, 工作要点, 通知): a year and a kind
_LISTED_TITLE = re.compile(r"(?:19|20)\d\d|年度|年报|报告|报表")

class GenericAdapter(Adapter):
    PATTERNS = ("page_pattern", "item_pattern", "page_count_pattern")
    TEXT = (*PATTERNS, *Selectors.PARAMS, "page_template")
    URLS = ("page_template",)

    @classmethod
    def defaults(cls):
        return {"page_pattern": None, "item_pattern": None, **{key: None for key in Selectors.PARAMS},
                "page_template": None, "page_count_pattern": None, "first_page": 2}

    @classmethod
    def check_params(cls, params):
        super().check_params(params)
        template = params.get("page_template")
        if template is not None and "{page}" not in str(template):
            raise ValueError("page_template must contain {page}, e.g. \"index_{page}.html\"")
        if params.get("page_count_pattern") and not template:
            raise ValueError("page_count_pattern needs page_template")
        Selectors.check(params)

    async def discover(self, ctx):
        page_re = re.compile(self.params["page_pattern"]) if self.params["page_pattern"] else None
        item_re = re.compile(self.params["item_pattern"]) if self.params["item_pattern"] else None
        selectors = Selectors.from_params(self.params)
        template = self.params["page_template"]
        count_re = re.compile(self.params["page_count_pattern"]) if self.params["page_count_pattern"] else None
        last_page = None  # the template's last page number, when the first page says it
        queue: list[tuple[str, int | None]] = [(self.portal.start_url, None)]  # (url, template page number)
        base = self.portal.start_url  # the template's pages are beside the first page where its redirects ended
        visited: set[str] = set()
        emitted: set[str] = set()
        # every candidate link titled as a column's entry, report or look-alike: a page of look-alikes only
        # (网站工作年度报表, 通知) is no end of a template's pages; counting only report titles, the listing stopped
        # there and later pages went unread. Any link would not do: a page past the end answering 200 with a link
        # to itself (页面不存在 … 重新加载) went on to max_pages, a false max_pages failure
        candidates: set[str] = set()
        while queue and len(visited) < self.portal.max_pages:
            url, number = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            page = await ctx.fetch_list(url)
            if not page.ok:
                continue
            if number is None and url == self.portal.start_url:
                base = page.final_url

            first = number is None and url == self.portal.start_url

            def read(tree, base=page.final_url, first=first):
                found = links(tree, base)
                rows = selectors.rows(tree, base) if selectors else found
                # why the first page gave no row, while the tree is at hand: see `_no_rows`
                why = selectors and first and not rows and _no_rows(selectors, len(tree.select(selectors.item)))
                return found, rows, next_links(tree, base, selectors.next if selectors else None), why

            found, rows, following_links, why = await read_page(page.text, read)
            if why:  # the selectors match nothing on the column's first page: named, not an empty column
                ctx.unreadable(url, why)
                continue
            fresh = 0  # links (rows) no page before showed: the template's pages go on while there are any
            for title, href, date in rows:
                if page_re is not None and page_re.search(href) and selectors is None:
                    continue
                if item_re is not None and not item_re.search(href):
                    continue
                fresh += href not in candidates and (selectors is not None or bool(_LISTED_TITLE.search(title)))
                candidates.add(href)
                if href in emitted or selectors is None and not is_report_title(title, self.portal.title_include,
                                                                                 self.portal.title_exclude):
                    continue
                emitted.add(href)
                yield Listing(title, href, date)
            if not fresh and number is not None and last_page is not None and number <= last_page:
                # a page the count says the column has, showing nothing no page before did: no page past the end
                ctx.unreadable(url, _nothing_new(number, last_page, int(self.params["first_page"])))
            pages = [href for _, href, _ in found if page_re is not None and page_re.search(href)]
            pages += following_links
            # a page that showed nothing new leads nowhere: a server that clamps a page number past the end serves
            # its last page again, whose 下一页 names one more, and the listing read on to max_pages, a false failure
            if first or fresh:
                queue.extend((href, None) for href in pages if href not in visited)
            if template is None:
                continue
            if number is None and count_re is not None and (m := count_re.search(page.text or "")):
                # the script counts the column's pages, the start page first: the template's first_page is page 2
                # (read as the last page's number, a column numbered list_1, list_2… was asked one page past its end)
                last_page = int(m.group(1)) + int(self.params["first_page"]) - 2
            following = int(self.params["first_page"]) if number is None else number + 1
            if (last_page is not None and following <= last_page
                    or last_page is None and (fresh or number is None)):
                queue.append((urljoin(base, str(template).replace("{page}", str(following))), following))
        if unread := [url for url, _ in queue if url not in visited]:
            ctx.capped(unread[0])


def _nothing_new(number: int, last_page: int, first_page: int) -> str:
    """Why a page of the template within the count the first page gives (page_count_pattern) is named, for
    `Context.unreadable`: it showed no row no page before it did (the column's template served without its rows, an
    error page answered as 200, page 1 again from a server that ignored the number). Passed over unsaid, its
    reports were not listed that night and the portal was "ok"."""
    return (f"page {number - first_page + 2} of the {last_page - first_page + 2} the page count (page_count_pattern) "
            "reads shows no row that no page before it showed: the column's template served without its rows, an "
            "error page answered as 200, or the pages before it again (a server that ignored the page number)")


def _no_rows(selectors, matched: int) -> str:
    """Why selectors gave no row on a column's first page, for `Context.unreadable`. A selector copied wrong
    listed nothing, unsaid ("0 listing(s)" in --dry-run, the crawl exit 0); the first page is where a config's
    selectors meet the site (a later page with no row is a script pager's page past the end)."""
    read = "read on the page as served, before any script ran"
    if not matched:
        return f"item_selector {selectors.item!r} matched nothing on the page ({read})"
    link = f"link_selector {selectors.link!r}" if selectors.link else "no <a href> in them"
    return f"item_selector {selectors.item!r} matched {matched} row(s), none with a link ({link})"
