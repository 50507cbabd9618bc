"""Generic list following, for gov.cn-style lists (home.htm, home_1.htm…), simple sites, and any site through CSS
selectors.

Without selectors every link on a list page is a candidate, kept when its title reads as an annual report (the
navigation around a list has many links); list pages are the links matching `page_pattern` or saying 下一页.
With `item_selector` (and the other `*_selector` params, copied from the browser's developer tools) each matched
row is a listing, whatever its title — the crawl's title filter decides, so `crawl --dry-run` can show what it
excluded — and the next page is `next_selector`'s link.
"""

from __future__ import annotations

import re

from govreports.portals.adapters.base import Adapter, Listing
from govreports.portals.adapters.listpage import Selectors, links, next_links, soup
from govreports.portals.titles import is_report_title


class GenericAdapter(Adapter):
    @classmethod
    def defaults(cls):
        return {"page_pattern": None, "item_pattern": None, **{key: None for key in Selectors.PARAMS}}

    @classmethod
    def check_params(cls, params):
        super().check_params(params)
        for key in ("page_pattern", "item_pattern"):
            if params.get(key):
                try:
                    re.compile(str(params[key]))
                except re.error as exc:
                    raise ValueError(f"{key}: invalid regular expression: {exc}") from exc
        Selectors.check(params)

    async def discover(self, ctx):
        page_re = re.compile(self.params["page_pattern"]) if self.params["page_pattern"] else None
        item_re = re.compile(self.params["item_pattern"]) if self.params["item_pattern"] else None
        selectors = Selectors.from_params(self.params)
        queue = [self.portal.start_url]
        visited: set[str] = set()
        emitted: set[str] = set()
        while queue and len(visited) < self.portal.max_pages:
            url = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            page = await ctx.fetch_list(url)
            if not page.ok:
                continue
            tree = soup(page.text)
            found = links(tree, page.final_url)
            rows = selectors.rows(tree, page.final_url) if selectors else found
            for title, href, date in rows:
                if page_re is not None and page_re.search(href) and selectors is None:
                    continue
                if item_re is not None and not item_re.search(href) or href in emitted:
                    continue
                if selectors is None and not is_report_title(title, self.portal.title_include,
                                                             self.portal.title_exclude):
                    continue
                emitted.add(href)
                yield Listing(title, href, date)
            pages = [href for _, href, _ in found if page_re is not None and page_re.search(href)]
            pages += next_links(tree, page.final_url, selectors.next if selectors else None)
            queue.extend(href for href in pages if href not in visited)
