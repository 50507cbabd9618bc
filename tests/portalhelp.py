"""A crawl context for adapter tests: saved pages served by URL, and what the adapter said of its listing."""

from __future__ import annotations

import asyncio


class FakeContext:
    """Serves saved pages by URL, as the crawl context would after fetching them."""

    def __init__(self, pages: dict[str, str], redirects: dict[str, str] | None = None):
        self.pages = pages
        self.redirects = redirects or {}  # URL -> where its redirect ends (a moved column's old URL)
        self.requested: list[tuple[str, str]] = []
        self.capped_at: list[str] = []
        self.short_at: list[tuple] = []
        self.unreadable_at: list[tuple[str, str]] = []
        self.forms: list[dict | None] = []  # the body of each request, in order

    def unreadable(self, url, why):
        self.unreadable_at.append((url, why))

    def capped(self, next_url):
        self.capped_at.append(next_url)

    def short(self, url, read, total, repeated, why=None):
        self.short_at.append((url, read, total, repeated))
        self.short_why = why

    async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, expect="html"):
        self.requested.append((method, url))
        self.forms.append(data)
        final = self.redirects.get(url, url)
        text = self.pages.get(final)

        class Page:
            ok = text is not None
            status = 200 if text is not None else 404
            final_url = final
            body = text.encode() if text else None

        Page.text = text
        return Page()


def _collect(adapter, ctx):
    async def run():
        return [listing async for listing in adapter.discover(ctx)]

    return asyncio.run(run())
