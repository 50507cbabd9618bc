"""Generic link following, for gov.cn-style lists (home.htm, home_1.htm…) and simple sites: every link on a
list page is a candidate item; list pages are the links matching `page_pattern` or saying 下一页."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from govreports.portals.adapters.base import Adapter, Listing, links, parse_html, text_of
from govreports.portals.titles import is_report_title

_NEXT_WORDS = ("下一页", "下页", "后一页")


class GenericAdapter(Adapter):
    @classmethod
    def defaults(cls):
        return {"page_pattern": None, "item_pattern": None}

    async def discover(self, ctx):
        page_re = re.compile(self.params["page_pattern"]) if self.params["page_pattern"] else None
        item_re = re.compile(self.params["item_pattern"]) if self.params["item_pattern"] else None
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
            root = parse_html(page.text or "")
            for title, href, date in links(root, page.final_url):
                if page_re is not None and page_re.search(href):
                    if href not in visited:
                        queue.append(href)
                    continue
                if (item_re is None or item_re.search(href)) and is_report_title(title) and href not in emitted:
                    emitted.add(href)
                    yield Listing(title, href, date)
            for a in root.iter("a"):
                if text_of(a) in _NEXT_WORDS and a.get("href"):
                    nxt = urljoin(page.final_url, a.get("href"))
                    if nxt not in visited:
                        queue.append(nxt)
