"""A known report on a later night: whether its page, and what it was read from besides (the file it was read
from, its article's later pages), answer as stored, so that it is called unchanged without being read again; else
the page, with its body, to read it from. PortalCrawl is made of this and the list context (crawl.listcontext)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govreports.crawl.events import GONE_KIND, Doc, Listed, Noted, Sink, Unchanged, fetch_failed
from govreports.fetch.policy import url_host_in

if TYPE_CHECKING:  # named only
    from govreports.crawl.portal import PortalFetcher
    from govreports.portals.adapters import Adapter
    from govreports.portals.config import PortalConfig


GONE = (404, 410)  # a later page's answer that may say the article has fewer pages than the archive holds


class KnownReports:
    portal: PortalConfig
    fetcher: PortalFetcher
    sink: Sink
    adapter: Adapter

    async def _attachment_changed(self, listing: Listed, url: str, page, seen: list[Doc], fetched: dict,
                                  repost: bool = False):
        """A known report read from a file (`url`: an attachment, a data file), its page unchanged: None when the file
        is unchanged too (Unchanged emitted) or the page's body could not be had (failed), else the page, with its
        body, to read the report from (the file's answer in `fetched`)."""
        attachment = await self.fetcher.fetch(url, conditional=True, expect="binary", referer=page.final_url,
                                              body_if_unchanged=False)  # as _read asks
        if self._unchanged(attachment):
            if not attachment.not_modified:  # its validators, if new, for the next night's conditional GET
                seen.append(Doc.of(attachment))
            self.sink.emit(Unchanged(listing, repost))
            return None
        # changed, or failed: read below from this answer, not asked a second time (a file gone tonight was
        # asked twice, a 5xx's retries and waits spent twice over)
        fetched[url] = attachment
        return await self._with_body(listing, page, seen)

    async def _later_changed(self, listing: Listed, page, seen: list[Doc], fetched: dict, repost: bool = False):
        """A known report read from its page, unchanged: None when its article's later pages (a TRS article split over
        t…_{id}_1.html, …) are unchanged too, or it has none (Unchanged emitted), else the page, with its body, to
        read the report from whole (the later pages' answers in `fetched`). A correction on a later page alone had
        the report called unchanged on its first page every night. Its later pages are those the adapter's guesses
        (later_page_guesses) the archive holds, up to the first it does not: no unchanged page's stored body is read
        to name them. One gone (404, 410) that the page, as stored, no longer names is not the article's (an article
        of three pages become two): the page's stored body is read for its links then only, where the report was
        read again every night on that 404. Such a page is noted gone against the page's stored copy (Noted, kind
        GONE_KIND: the run's log says so) and not asked again while that copy stands, where it was asked every night,
        one 404 a night for good: the page changed is read whole, its later pages those its pager names."""
        for url in self.adapter.later_page_guesses(page.final_url):
            if self.sink.archived(url) is None or self.sink.gone(url, page.url):
                break
            if url_host_in(self.portal.hosts, url):
                later = fetched[url] = await self.fetcher.fetch(url, conditional=True, expect="html",
                                                                referer=page.final_url, body_if_unchanged=False)
                if later.status in GONE:  # a page the article may no longer have: asked only the page's links
                    whole = await self._with_body(listing, page, seen)
                    if whole is None or url in self.adapter.later_pages(whole):
                        return whole  # failed (said), or still the article's: read, failing on the gone page
                    # not named by the page, as stored and read: the article has fewer pages than the archive
                    self.sink.emit(Noted(url, GONE_KIND, f"{GONE_KIND}: a later page of the article at {page.url} "
                                                         f"answered {later.status}, and the page as stored no longer "
                                                         "names it: not asked again while that page is unchanged",
                                         status=later.status, against=page.url))
                    break
                if not self._unchanged(later):  # changed, or failed (named when the report is read)
                    return await self._with_body(listing, page, seen)
                if not later.not_modified:  # its validators, if new
                    seen.append(Doc.of(later))
        self.sink.emit(Unchanged(listing, repost))
        return None

    async def _with_body(self, listing: Listed, page, seen: list[Doc]):
        """An unchanged page with its body (read from the archive, or fetched whole where the archive lost it), else
        None, its failure emitted."""
        if page.not_modified:
            page = await self.fetcher.unchanged_body(page)
            if not page.ok:
                self.sink.emit(fetch_failed(listing.url, page, listing))
                return None
            if not page.not_modified:  # the archive had lost the page's file: fetched whole
                seen.append(Doc.of(page))
        return page

    def _unchanged(self, result) -> bool:
        """An answer that is the body last stored for its URL: a 304, or that body answered whole."""
        return result.ok and (result.not_modified or (
            result.sha256 is not None and result.sha256 == self.sink.archived(result.url)))
