"""Guangdong gkmlpt (政府信息公开目录管理平台): a JSON list API per category, the body only in a script.

The entry page embeds `window._CONFIG = {SID: '…', TREE: [{id, name, …}]}`: the site id and the category whose
name is 政府信息公开年报 (or the configured one). Detail pages carry the report only as a JSON string in
`window._CONFIG.DETAIL.content`, so `report_body` lifts it out for the parser.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin, urlsplit

from govreports.portals.adapters.base import Adapter, Listing, absolute, find_attachments, find_images, iso_date
from govreports.portals.adapters.listapi import ListPage, count, error_said, missing, not_json, numbered_pages

_SID = re.compile(r"""SID\s*:\s*['"]?(\w+)['"]?""")
_NODE = re.compile(r"""\{\s*['"]?id['"]?\s*:\s*(\d+)\s*,\s*['"]?name['"]?\s*:\s*['"]([^'"]+)['"]""")
# the object runs to the first "}" before the script's end: matched a "}"-ended run at a time ([^}]* is one scan), which
# finds what the lazy `\{.*?\}` found, 5x faster on a 75 KB page (it tried the rest of the pattern at every character)
_DETAIL = re.compile(r"DETAIL\s*=\s*(\{(?:[^}]*\})+?)\s*;?\s*</script>")
_PERCENT_U = re.compile(r"%u([0-9a-fA-F]{4})")


def unescape_percent_u(text: str) -> str:
    return _PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), text)


class GkmlptAdapter(Adapter):
    @classmethod
    def defaults(cls):
        return {"category": None, "category_name": "政府信息公开年报"}

    async def discover(self, ctx):
        entry = await ctx.fetch_list(self.portal.start_url)
        if not entry.ok:
            return
        start = entry.final_url  # the API is beside the entry page where a moved one's redirect ended (not the old)
        html = entry.text or ""
        sid = m.group(1) if (m := _SID.search(html)) else None
        category = self.params["category"]
        if category is None and (fragment := urlsplit(self.portal.start_url).fragment.strip()).isdigit():
            category = int(fragment)  # …/gkmlpt/index#725, as the browser links a category (PORTALS.md §5)
        if category is None:
            wanted = self.params["category_name"]
            category = next((cid for cid, name in _NODE.findall(html) if wanted in name), None)
        # named, not a silent end: the portal would be "ok" with nothing found (a wrong category_name, a site that
        # is no gkmlpt page); the crawl records the adapter's error against the start page, the portal partial
        if sid is None:
            raise LookupError("no gkmlpt site id (SID) on the start page: is it a gkmlpt 信息公开 page?")
        if category is None:
            raise LookupError(f"no category named like {self.params['category_name']!r} on the start page (set "
                              "category_name, or category to its id)")

        def url_of(n: int) -> str:
            return urljoin(start, f"api/all/{category}?page={n}&sid={sid}")

        async def fetch(n: int) -> ListPage | None:
            reply = await ctx.fetch_list(url_of(n), expect="json")
            if not reply.ok:
                return None
            try:
                answer = json.loads(reply.text or "{}")
                articles = answer.get("articles") or []
            except (ValueError, AttributeError) as exc:
                # an HTML 系统繁忙 page, JSON cut short, JSON of no object: named, or the listing ends unsaid
                problem = str(exc) if isinstance(exc, ValueError) else "no object"
                ctx.unreadable(url_of(n), not_json(reply.text, problem))
                return None
            # a first page without its list (an error object, a list moved elsewhere) is no empty column: named, as
            # json-api's is; later, an answer without it is the column's end
            if n == 1 and "articles" not in answer and count(answer.get("total")) != 0:
                ctx.unreadable(url_of(n), not_json(reply.text, missing(answer, "articles")))
                return None
            if n > 1 and "articles" not in answer and (said := error_said(answer)):  # 系统繁忙: numbered_pages
                return ListPage(0, [], None, not_json(reply.text, f"the API answered an error: {said}"))
            listings = [Listing(unescape_percent_u(str(art.get("title") or "")), url,
                                iso_date(str(art.get("created_at") or "")))
                        for art in articles if isinstance(art, dict) and art.get("url")
                        and (url := absolute(start, str(art["url"]))) is not None]
            return ListPage(len(articles), listings, count(answer.get("total")))

        async for listing in numbered_pages(ctx, self.portal.max_pages, fetch, url_of):
            yield listing

    def report_body(self, page):
        detail = _detail(page.text or "")
        content = detail.get("content") if detail else None
        if not content:
            return page.body
        title = html.escape(str(detail.get("title") or ""))
        published = html.escape(str(detail.get("publish_time") or detail.get("created_at") or ""))
        # the content has the title but no date: the detail's own fields become the page's metadata
        return (f"<html><head><meta charset='utf-8'><title>{title}</title><meta name='ArticleTitle' content='{title}'>"
                f"<meta name='PubDate' content='{published}'></head><body>{content}</body></html>").encode("utf-8")

    def attachments(self, page):
        detail = _detail(page.text or "") or {}
        return find_attachments(str(detail.get("content") or "") + (page.text or ""), page.final_url)

    def images(self, page):
        """The pictures of the detail's content (the page's own body is empty: its script writes the content)."""
        detail = _detail(page.text or "") or {}
        return find_images(f"<body><div class='xxgk_content'>{detail.get('content') or ''}</div></body>",
                           page.final_url) if detail.get("content") else super().images(page)


def _detail(text: str) -> dict | None:
    m = _DETAIL.search(text)
    if not m:
        return None
    try:
        value = json.loads(m.group(1))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
