"""The context adapters list a portal through (portals.adapters.base.Context): list pages fetched and counted, and
what a listing says of itself (a page that failed or was not the list, a column cut short or miscounted) written
to the portal's sink against its URL. PortalCrawl is this context with the per-item work added."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govreports.crawl.events import Failed, Noted, Sink, fetch_failed
from govreports.crawl.stats import PortalStats

if TYPE_CHECKING:  # the crawl's fetcher as one portal sees it (crawl.portal), named only
    from govreports.crawl.portal import PortalFetcher
    from govreports.portals.config import PortalConfig


class ListContext:
    portal: PortalConfig
    fetcher: PortalFetcher
    sink: Sink
    stats: PortalStats

    async def fetch_list(self, url: str, *, method: str = "GET", data: dict | None = None,
                         headers: dict | None = None, referer: str | None = None, expect: str = "html",
                         probe: bool = False):
        result = await self.fetcher.fetch(url, method=method, data=data, headers=headers, referer=referer,
                                          conditional=False, expect=expect)
        self.stats.pages += 1
        if not result.ok and not probe:  # a probe's failure is the adapter's to name (Context.fetch_list)
            self.stats.list_failed += 1
            self.sink.emit(fetch_failed(url, result))
        return result

    def capped(self, next_url: str) -> None:
        """Named against the first list page not read: a column longer than max_pages was cut short without a word
        (an endless pager, or a real column of more than 200 pages, ended "ok")."""
        self.sink.emit(Failed(next_url, "list", "max_pages",
                              f"max_pages: the listing stopped after {self.portal.max_pages} list pages; this page "
                              "and any after it were not read (raise max_pages in the portal's config)"))

    def unreadable(self, url: str, why: str) -> None:
        """A list page that answered, but not with the list the adapter reads (an HTML 系统繁忙 page, malformed
        JSON): a failed list page, named against its URL. The listing ended there without a word: mid-column its
        later pages vanished, and a page 1 so answered made the portal an empty column, "ok"."""
        self.stats.list_failed += 1
        self.sink.emit(Failed(url, "list", "list", f"list: {why}"))

    def short(self, url: str, read: int, total: int, repeated: bool, why: str | None = None) -> None:
        """Named against the page the listing ended at: an API that ignores the page number (a misnamed page
        parameter) gave only its first page, every night, and the crawl called the portal ok."""
        if why is None:  # the adapter's own reason where a numbered page's empty/repeated one does not fit
            why = ("it repeated the pages before it: the API may ignore the page number (check the page parameter "
                   "in the portal's config)") if repeated else "it was empty: the API may serve only so many pages"
        self.sink.emit(Failed(url, "list", "pager", f"pager: the listing ended at this page after {read} of the "
                                                    f"{total} items the list API counts; {why}"))

    def miscounted(self, url: str, read: int, total: int, why: str) -> None:
        """Noted against the page whose count of the column's items is below those read: such a count, believed,
        ended a Hanweb listing at a full page, the column's later records never asked, unsaid. The adapter reads
        on (`why`); the run's log says the site's count is wrong, and the portal is not failed for it."""
        self.sink.emit(Noted(url, "miscount", f"miscount: the list API counts {total} items in the column after "
                                              f"{read} were read; {why}"))
