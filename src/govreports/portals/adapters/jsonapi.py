"""Site JSON list APIs (chinatax `getFileListByCodeId`, gov.cn search, gkmlpt used generically): a list URL
with the page number in it or in the form body, and dotted paths to the items and their fields; or to an HTML
fragment of the list (jpaas's `data.html`), whose links are the items."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urljoin

from govreports.portals.adapters.base import Adapter, Listing, absolute, iso_date
from govreports.portals.adapters.gkmlpt import unescape_percent_u
from govreports.portals.adapters.listapi import ListPage, count, error_said, missing, not_json, numbered_pages
from govreports.portals.adapters.listpage import links, read_page

_TAGS = re.compile(r"<[^>]+>")


def title_text(value) -> str:
    """An item's title as text: %uXXXX escapes decoded (gkmlpt-style), tags stripped and entities decoded (a title
    sent as HTML, chinatax's `titleHtml`: a highlighted <font color="red">年度报告</font>, spaces as &nbsp;),
    whitespace collapsed as list pages' titles are (listpage.text_of). Entities were kept before: a title
    "…&nbsp;2019&nbsp;年…" had no year, and the record loaded under it named its agency "…&nbsp;2019&nbsp;年"."""
    return " ".join(unescape(_TAGS.sub("", unescape_percent_u(str(value or "")))).split())


def dig(value, path: str):
    for part in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class JsonApiAdapter(Adapter):
    TEXT = ("list_url",)
    URLS = ("list_url",)

    @classmethod
    def defaults(cls):
        return {"list_url": None, "method": "GET", "form": {}, "first_page": 1, "items": "articles",
                "title_field": "title", "url_field": "url", "date_field": "created_at", "total_field": ""}

    @classmethod
    def check_params(cls, params):
        super().check_params(params)
        params = {**cls.defaults(), **params}
        if not params.get("list_url") or "{page}" not in str(params.get("list_url")) + json.dumps(params.get("form", {})):
            raise ValueError("list_url is required and {page} must appear in list_url or form")
        if str(params.get("method", "GET")).upper() not in ("GET", "POST"):
            raise ValueError("method must be GET or POST")

    async def discover(self, ctx):
        p = self.params

        def url_of(n: int) -> str:  # n counts from 1; the API's numbers from first_page
            return page_url(p, self.portal.start_url, n)

        async def fetch(n: int) -> ListPage | None:
            url = url_of(n)
            reply = await ctx.fetch_list(url, method=str(p["method"]).upper(), data=page_form(p, n), expect="json",
                                         referer=self.portal.start_url)
            if not reply.ok:
                return None
            got = await read_answer(reply.text, p, url, self.portal.start_url, first=n == 1)
            if isinstance(got, str):  # an HTML 系统繁忙 page, JSON cut short, a config's field the API lacks: named
                ctx.unreadable(url, got)
                return None
            return got

        async for listing in numbered_pages(ctx, self.portal.max_pages, fetch, url_of):
            yield listing


def page_url(params: dict, start_url: str, n: int) -> str:
    """The URL of list page `n` (counted from 1; the API's numbers from first_page), made absolute from start_url."""
    return urljoin(start_url, str(params["list_url"]).replace("{page}", str(int(params["first_page"]) + n - 1)))


def page_form(params: dict, n: int) -> dict | None:
    """The form body of list page `n` (counted from 1), None for a GET API's."""
    page = str(int(params["first_page"]) + n - 1)
    return {k: str(v).replace("{page}", page) for k, v in (params["form"] or {}).items()} or None


async def read_answer(text: str | None, p: dict, url: str, start_url: str, first: bool) -> ListPage | str:
    """A list API's answer (the text of `url`) read with the params `p`: the page's items, or why the answer is not
    the list expected (for Context.unreadable). The crawl reads every page so and `discover` the first one: a list as
    an HTML fragment (jpaas: data.html) was read by one and not the other."""
    try:
        answer = json.loads(text or "null")
    except ValueError as exc:  # an HTML 系统繁忙 page, JSON cut short: named, or the listing ends unsaid
        return not_json(text, str(exc))
    items = dig(answer, p["items"])
    total = count(dig(answer, p["total_field"])) if p["total_field"] else None
    # the first page is where the config's field names meet the API: one it does not hold listed nothing,
    # unsaid ("0 listing(s)", exit 0); later, an answer without the list is the column's end, as before
    if items is None and first and total != 0 and (problem := missing(answer, p["items"])):
        return not_json(text, problem)
    if items is None and not first and (said := error_said(answer)):  # 系统繁忙 on page 3: numbered_pages says
        return ListPage(0, [], None, not_json(text, f"the API answered an error: {said}"))  # whether it is the end
    if isinstance(items, str) and items.strip():  # a list as an HTML fragment (jpaas: data.html), shown in
        # the column's page: its links are the items, titled and dated as a list page's rows, resolved there
        found = await read_page(items, lambda tree: links(tree, start_url))
        return ListPage(len(found), [Listing(*row) for row in found], total)
    items = items or []
    if not isinstance(items, list):
        return not_json(text, f"{p['items']} is no list")
    if first and items and not any(dig(item, p["url_field"]) for item in items):
        fields = next((", ".join(map(str, item)) for item in items if isinstance(item, dict)), "")
        return not_json(text, f"none of the {len(items)} items has a link at url_field {p['url_field']!r}"
                              + (f" (an item holds: {fields})" if fields else ""))
    listings = []
    for item in items:
        title = title_text(dig(item, p["title_field"]))
        href = dig(item, p["url_field"])
        if href and (link := absolute(url, str(href))) is not None:  # one bad item: not the listing's end
            listings.append(Listing(title, link, iso_date(str(dig(item, p["date_field"]) or ""))))
    return ListPage(len(items), listings, total)
