"""Discovery's fetches: the crawl's polite Fetcher, one host, a page budget, each URL fetched once.

Why a budget: discovery runs against a site it has never seen, at a person's request; it must stay a visitor
(about 30 pages, one at a time, robots.txt obeyed, the per-host delay kept) and never wander off the host the
person named. The Fetcher enforces hosts, robots and addresses; this counts pages and remembers answers, so that
navigation and family detection can look at the same page twice without asking the server twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from govreports.discover.pages import Page
from govreports.fetch import Fetcher, FetchResult, browser
from govreports.fetch.policy import url_netloc


@dataclass
class Failure:
    url: str
    kind: str
    message: str
    final_url: str = ""  # where it ended (a redirect's target)


@dataclass
class Session:
    fetcher: Fetcher
    host: str  # the netloc discovery stays on (fetch.policy.url_netloc)
    max_pages: int = 30
    mode: str = "http"  # the crawl's fetch modes: "browser"/"auto" pass a JavaScript gate in headless Chromium
    pages: int = 0  # requests made (robots.txt not counted)
    failures: list[Failure] = field(default_factory=list)
    # told of each page before it is asked for: a walk of 30 pages at the host's delay (a Crawl-delay of 3 s) is
    # a minute or more, silent without it
    progress: Callable[[str], None] | None = None
    _seen: dict[tuple, FetchResult | None] = field(default_factory=dict)
    _pages: dict[str, Page] = field(default_factory=dict)  # parsed once: soups are the costly part

    @property
    def spent(self) -> bool:
        return self.pages >= self.max_pages

    def on_host(self, url: str) -> bool:
        return url_netloc(url) == self.host  # lower-case, no default port, no user: as the Fetcher compares

    async def fetch(self, url: str, *, expect: str = "html", method: str = "GET", data: dict | None = None,
                    headers: dict | None = None, referer: str | None = None) -> FetchResult | None:
        """The answer for `url` (a failed one too), or None when it is off the host or over the budget."""
        key = (method, url, tuple(sorted((data or {}).items())))
        if key in self._seen:
            return self._seen[key]
        if not self.on_host(url) or self.spent:
            return None
        self.pages += 1
        if self.progress is not None:
            self.progress(f"page {self.pages} of at most {self.max_pages}: {url}")
        kwargs = dict(method=method, data=data, headers=headers, referer=referer, conditional=False, expect=expect)
        if self.mode == "http":
            result = await self.fetcher.fetch(url, hosts=[self.host], **kwargs)
        else:
            result = await browser.fetch(self.fetcher, url, [self.host], self.mode, **kwargs)
        self._seen[key] = result
        if not result.ok and not result.attempts:  # never sent (robots.txt, the address guard): no page spent
            self.pages -= 1
        if not result.ok:
            self.failures.append(Failure(url, result.error_kind or "http", result.error or "", result.final_url))
        return result

    async def page(self, url: str, referer: str | None = None) -> Page | None:
        """An HTML page that answered, else None (the failure is in `failures`)."""
        if url in self._pages:
            return self._pages[url]
        result = await self.fetch(url, referer=referer)
        if result is None or not result.ok or result.text is None:
            return None
        page = self._pages[url] = Page(url, result.final_url, result.text)
        return page

    @property
    def gated(self) -> bool:
        """Whether a JavaScript gate answered and the host's browser passed it (the drafted block then needs
        `fetch = "browser"` for the crawl to get past it too)."""
        pool = self.fetcher.browsers
        return pool is not None and any(pool.generations().values())

    def first_failure(self, url: str) -> Failure | None:
        return next((f for f in self.failures if f.url == url), None)
