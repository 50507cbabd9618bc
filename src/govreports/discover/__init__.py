"""`govreports discover URL`: find a portal's annual-report column(s) and draft the `[[portal]]` config for them.

From a home page or a 政府信息公开 page, a bounded, polite, same-host walk (`navigate`, words from `signals`)
reaches the pages that name themselves a report column and list reports; `family` tells the CMS family and its
pager from the page (TRS, Hanweb, gkmlpt, gov.cn numbered pages, 下一页, or CSS selectors from `rows`); `draft`
writes and checks the blocks; `run` ties them together and previews each block with the crawl's own listing.
"""

from govreports.discover.run import MAX_PAGES, PREVIEW_LIMIT, Column, DiscoverError, Discovery, discover

__all__ = ["MAX_PAGES", "PREVIEW_LIMIT", "Column", "DiscoverError", "Discovery", "discover"]
