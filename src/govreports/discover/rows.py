"""CSS selectors for a list no CMS family knows, inferred from where the report titles sit on the page.

Why from the titles: a list is a repeated row (`div.doc-row`, `ul.list > li`), and the rows we care about are the
ones around the report titles. So: find every element whose text or title attribute is a report title, climb to
the lowest ancestor that holds a link and repeats among its siblings (the row), and name the parts inside it by
tag and class — the title element (with `title_attr` when the full title is only in the attribute and the text is
cut short or a bare 查看), the link, the date. The result is checked by running it (`listpage.Selectors.rows`,
the generic adapter's own reading): it must find the reports the page shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from govreports.discover.pages import words
from govreports.discover.signals import is_report
from govreports.portals.adapters.base import iso_date
from govreports.portals.adapters.listpage import Selectors, anchors, is_next_word

_SKIP_TAGS = {"script", "style", "title", "head", "html", "body", "meta", "option"}
_NEXT_TEXT = {"›", "»", ">", "＞", "下一页", "下页", "后页", "后一页", "下一頁", "next", "Next", "下一页>", "下一页 >"}


@dataclass(frozen=True)
class Hit:
    element: Tag  # where the title is
    from_attr: bool  # the full title is in its title attribute (the text is cut short or says 查看)


def signature(el: Tag) -> str:
    """`tag.class1.class2`: how a selector names an element (classes sorted; ids are per page, not per row)."""
    classes = [c for c in (el.get("class") or []) if c.replace("-", "").replace("_", "").isalnum()]
    return el.name + "".join(f".{c}" for c in sorted(classes))


def title_hits(page: BeautifulSoup) -> list[Hit]:
    """Elements holding a report title, innermost first: the text's own element, or an element's title attribute."""
    hits: list[Hit] = []
    seen: set[int] = set()
    for el in page.find_all(attrs={"title": True}):
        if el.name not in _SKIP_TAGS and is_report(el["title"]) and words(el) != el["title"].strip():
            hits.append(Hit(el, True))
            seen.add(id(el))
    for text in page.find_all(string=True):
        el = text.parent
        if not isinstance(el, Tag) or el.name in _SKIP_TAGS or id(el) in seen:
            continue
        if is_report(str(text)) and len(str(text).strip()) <= 120:
            hits.append(Hit(el, False))
            seen.add(id(el))
    return hits


def _row_of(el: Tag) -> Tag | None:
    """The lowest ancestor (or `el`) that holds a link and whose signature repeats among its siblings."""
    for node in [el, *el.parents]:
        if not isinstance(node, Tag) or node.name in ("body", "html", "[document]"):
            return None
        if node.name != "a" and node.find("a", href=True) is None:
            continue
        parent = node.parent
        if isinstance(parent, Tag):
            sig = signature(node)
            if sum(1 for sib in parent.find_all(node.name, recursive=False) if signature(sib) == sig) >= 2:
                return node
    return None


def _item_selector(row: Tag) -> str:
    sig = signature(row)
    if "." in sig or not isinstance(row.parent, Tag):
        return sig
    return f"{signature(row.parent)} > {sig}"  # a bare li/tr/div: name its list


def _date_selector(row: Tag) -> str | None:
    for el in row.find_all(True):
        text = words(el)
        if iso_date(text) and len(text) <= 30 and not el.find(True, string=lambda s: s and iso_date(s)):
            return signature(el)
    return None


def next_selector(page: BeautifulSoup) -> str | None:
    """The next-page link's selector when it does not say 下一页 (the adapter follows those by itself)."""
    for a in anchors(page):
        text = words(a)
        if is_next_word(text):  # the adapter follows it by itself
            return None
    for a in anchors(page):
        text = words(a)
        classes = " ".join(a.get("class") or []).lower()
        if text in _NEXT_TEXT or "next" in classes:
            sig = signature(a)
            return sig if "." in sig else (f"{signature(a.parent)} > a" if isinstance(a.parent, Tag) else None)
    return None


def infer(page: BeautifulSoup, base_url: str) -> dict[str, str] | None:
    """The generic adapter's `*_selector` params that read this page's report rows, or None when no repeated
    row holds the report titles."""
    hits = title_hits(page)
    rows: dict[int, tuple[Tag, Hit]] = {}
    for hit in hits:
        row = _row_of(hit.element)
        if row is not None and id(row) not in rows:
            rows[id(row)] = (row, hit)
    if not rows:
        return None
    item = Counter(_item_selector(row) for row, _ in rows.values()).most_common(1)[0][0]
    chosen = [(row, hit) for row, hit in rows.values() if _item_selector(row) == item]
    row, hit = chosen[0]
    params: dict[str, str] = {"item_selector": item}
    link = hit.element if hit.element.name == "a" and hit.element.get("href") else None
    if hit.element is not row and link is None:
        params["title_selector"] = signature(hit.element)
    if hit.from_attr:
        params["title_attr"] = "title"
    if link is None:
        anchor = row if row.name == "a" else row.find("a", href=True)
        if anchor is not None and anchor is not row:
            params["link_selector"] = signature(anchor)
    if date := _date_selector(row):
        params["date_selector"] = date
    if nxt := next_selector(page):
        params["next_selector"] = nxt
    return params if _works(params, page, base_url, len(chosen)) else None


def _works(params: dict[str, str], page: BeautifulSoup, base_url: str, expected: int) -> bool:
    """The selectors, read as the generic adapter reads them, find (at least) the report rows we saw."""
    selectors = Selectors.from_params(params)
    try:
        found = selectors.rows(page, base_url) if selectors else []
    except Exception:  # noqa: BLE001 - a selector soupsieve refuses: no inference rather than a crash
        return False
    return sum(1 for title, _, _ in found if is_report(title)) >= expected
