"""A crawl context for adapter tests: saved pages served by URL, and what the adapter said of its listing."""

from __future__ import annotations

import asyncio


class FakeContext:
    """Serves saved pages by URL, as the crawl context would after fetching them."""

    def __init__(self, pages: dict, redirects: dict[str, str] | None = None):
        # URL -> text, or (status, text) for an answer other than 200, or (None, kind) for none (a timeout); a key
        # (method, URL) answers that method only
        self.pages = pages
        self.redirects = redirects or {}  # URL -> where its redirect ends (a moved column's old URL)
        self.requested: list[tuple[str, str]] = []
        self.capped_at: list[str] = []
        self.short_at: list[tuple] = []
        self.unreadable_at: list[tuple[str, str]] = []
        self.miscounted_at: list[tuple[str, int, int]] = []
        self.forms: list[dict | None] = []  # the body of each request, in order
        self.probes: list[tuple[str, str]] = []  # the requests asked with probe=True (a failure not recorded)

    def unreadable(self, url, why):
        self.unreadable_at.append((url, why))

    def miscounted(self, url, read, total, why=None):
        self.miscounted_at.append((url, read, total))
        self.miscounted_why = why

    def capped(self, next_url):
        self.capped_at.append(next_url)

    def short(self, url, read, total, repeated, why=None):
        self.short_at.append((url, read, total, repeated))
        self.short_why = why

    async def fetch_list(self, url, *, method="GET", data=None, headers=None, referer=None, expect="html",
                         probe=False):
        self.requested.append((method, url))
        self.forms.append(data)
        if probe:
            self.probes.append((method, url))
        final = self.redirects.get(url, url)
        answer = self.pages.get((method, final), self.pages.get(final))
        status, text = answer if isinstance(answer, tuple) else (200 if answer is not None else 404, answer)
        error_kind = text if status is None else None  # (None, "timeout"): no answer, for that reason
        text = None if status is None else text

        class Page:
            ok = status is not None and 200 <= status < 300
            final_url = final
            body = text.encode() if text else None

        Page.status, Page.text, Page.error_kind = status, text, error_kind
        return Page()


def _collect(adapter, ctx):
    async def run():
        return [listing async for listing in adapter.discover(ctx)]

    return asyncio.run(run())
