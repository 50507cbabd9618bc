"""List APIs (gkmlpt, json-api, Hanweb's GET pages): a column read as numbered pages of items, where it ends, and
why an answer is not the list (an error the API answered, a field the config names that it does not hold).

An end read wrong is a night's reports lost without a word, so `numbered_pages` says where the column ended and
names every end that contradicts the API's own count or an error it answered.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import NamedTuple

from govreports.portals.adapters.base import Context, Listing

_TAG = re.compile(r"<[^>]*>")
_EXCERPT = 80  # characters of an unreadable answer quoted in its failure


_MISCOUNTED = ("a count below the items served is not the column's: the listing read on, page by page, to an empty "
               "page or one that repeated the pages before it")
# past a count not believed, a listing that came to an answer of nothing new after a full one (a list API's page,
# Hanweb's dataproxy.jsp range) ended there: the column's end, or a request the server no longer answers, which a run's
# log could not tell. Noted against that answer (`ended_past_miscount`)
_ENDED_EMPTY = ("the listing, read on past that count, ended at this answer, empty: the column's end if its items fill "
                "whole pages (or record ranges), else a request the server rejected (a Referer, XHR or cookie check)")
_ENDED_REPEATED = ("the listing, read on past that count, ended at this answer, of items listed before: the column's "
                   "end if the server serves its last items past it, else a server that ignores the page number (or "
                   "the record range)")


class ListPage(NamedTuple):
    """One page of a list API: how many items it held, the listings among them (items with a link), and the count
    of the whole column when the API gives one."""

    items: int
    listings: list[Listing]
    total: int | None = None
    error: str | None = None  # an answer of the API's error (系统繁忙) in place of the list: why, for the failure


def ended_past_miscount(ctx: Context, url: str, read: int, total: int, repeated: bool) -> None:
    """A listing read on past a count not believed (`total`, below the items read) that ended at `url`, an answer
    empty or (`repeated`) of items listed before, after a full one: named (`ctx.miscounted`), not failed."""
    ctx.miscounted(url, read, total, why=_ENDED_REPEATED if repeated else _ENDED_EMPTY)


def count(value) -> int | None:
    """A list API's count of items (a number, or digits as text), else None: a count that cannot be read is as
    good as none."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if type(value) is int and value >= 0 else None


async def numbered_pages(ctx: Context, max_pages: int, fetch: Callable[[int], Awaitable[ListPage | None]],
                         url_of: Callable[[int], str]) -> AsyncIterator[Listing]:
    """The listings of a column read as pages 1, 2, 3… of a list API (gkmlpt, json-api): `fetch(n)` reads page
    n (None when it did not answer or did not parse, its failure recorded by then: `fetch_list` records a page
    that did not answer, the adapter one that answered other than the list, `ctx.unreadable`). The column ends at
    an empty page, or at one whose listings were all listed before: the last page again, which APIs that clamp the
    page number serve for every page past the end; read on to max_pages, such an API cost 200 requests a night and
    a false `max_pages` failure. A page of items with no link is passed over, as before. Past max_pages one more
    page is read, only to tell whether the column goes on (`ctx.capped`): a column of exactly max_pages pages is
    not cut short.

    An API that ignores the page number (a misnamed page parameter) serves page 1 for every page: the column
    "ended" at page 2 with only its first page read, every night, quietly. Where the API counts the column's items
    (`total`), an end before that many were read is named (`ctx.short`); a clamping API's last page repeated
    comes after all of them. Once that many are read, the column is whole: no page after it is asked for. A count
    below the items read is not believed, and named (`ctx.miscounted`) unless it is 0, which gov.cn's always is; the
    pages then say where the column ends, and an end at an empty or repeated page right after a full one (as many
    items as any page before) is named too (`ended_past_miscount`): the column's end, or a server that stopped
    answering the pages, as Hanweb's ranges are. After a short page it is the column's last, unsaid.

    A page answering the API's error (`page.error`: 系统繁忙) where the column has more items — before its count, or
    after two pages as full as any — is a failed list page (`ctx.unreadable`): the listing ended there quietly, the
    column's later reports unlisted that night. With a count the pages after it are still read (two errors in a row
    end it: the API is down); without one nothing says they exist. Elsewhere (page 2 of a column without a count,
    after a short page) it may be how the API answers past the end (页码超出范围): the end, unsaid."""
    seen: set[str] = set()
    read, total, counted = 0, None, True
    miscount, size, full = 0, 0, False  # the count not believed; the most items a page held; the last page had so many
    erred = False  # the page before answered the API's error
    for n in range(1, max_pages + 2):
        page = await fetch(n)
        if page is None:
            return
        if page.error is not None:
            if not (total is not None and read < total or n > 2 and full):
                return
            ctx.unreadable(url_of(n), page.error)
            if total is None or erred:
                return
            erred = True
            continue
        erred = False
        total = page.total if page.total is not None and counted else total
        fresh = [x for x in page.listings if x.url not in seen]
        if not page.items or (page.listings and not fresh):
            if total is not None and read < total:
                ctx.short(url_of(n), read, total, repeated=bool(page.items))
            elif miscount and full:  # read on past a count not believed: ended without a word
                ended_past_miscount(ctx, url_of(n), read, miscount, repeated=bool(page.items))
            return
        if n > max_pages:
            if fresh:
                ctx.capped(url_of(n))
            return
        read += page.items
        full, size = page.items >= size, max(size, page.items)
        seen.update(x.url for x in fresh)
        for listing in fresh:
            yield listing
        if total is not None and read > total:  # a count below what was read is not the column's (gov.cn's search
            # API answers totalCount 0 beside its items): the pages say where it ends. A count of 0 is no count
            # (gov.cn's always is); another (a gkmlpt "total": 1 beside 20 articles) is the site's error, named once
            if total:
                ctx.miscounted(url_of(n), read, total, why=_MISCOUNTED)
                miscount = total
            total, counted = None, False
        if total is not None and read >= total:  # all the API counts: not asked for the next page, which a
            return  # single-page deployment (gkmlpt at 肇庆) answers 404, a false list failure every night


def not_json(text: str | None, problem: str) -> str:
    """Why a list API's answer is not read, for `Context.unreadable`: the problem and the start of the answer's text,
    which tells a 系统繁忙 page or a login page from an API that changed its JSON."""
    excerpt = " ".join(_TAG.sub(" ", text or "").split())
    excerpt = excerpt[:_EXCERPT] + "…" if len(excerpt) > _EXCERPT else excerpt
    return f"the answer is not the JSON list expected ({problem})" + (f": {excerpt!r}" if excerpt else "")


_OK_CODES = {"0", "200", "true", "ok", "success"}
_END_WORDS = ("没有更多", "暂无", "无数据", "没有数据", "no more", "no data")


def error_said(answer) -> str | None:
    """What an answer without the list says when it is an error (a code/status/errcode not 0/200, success: false,
    or an error field): its message, for the failure; None for a plain answer without the list, or one saying there
    is no more (404, 没有更多数据), which some APIs answer past a column's end."""
    if not isinstance(answer, dict):
        return None
    said = next((str(answer[k]) for k in ("msg", "message", "errmsg", "errMsg", "error", "error_description")
                 if answer.get(k) not in (None, "")), "")
    codes = [answer[k] for k in ("code", "status", "errcode", "errCode", "resultCode") if k in answer]
    failed = answer.get("success") is False or any(str(c).strip().lower() not in _OK_CODES for c in codes) \
        or "error" in answer and answer["error"] not in (None, "", False, 0)
    if not failed or any(str(c) == "404" for c in codes) or any(w in said.lower() for w in _END_WORDS):
        return None
    return said or ", ".join(f"{k}={answer[k]}" for k in answer)[:200]


def missing(value, path: str) -> str | None:
    """Where a dotted path leaves an answer that does not hold it, with what the answer holds there ("no 'list' in
    data (it holds: records, total)"), for a config whose field name is not the API's; None when it is there (a
    null there included: an empty column's answer, as some APIs give it)."""
    where = "the answer"
    for part in path.split(".") if path else ():
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            return f"no {part!r} in {where} (it holds: {', '.join(map(str, value)) or 'nothing'})"
        else:
            return f"no {part!r} in {where}, which is {json.dumps(value, ensure_ascii=False)[:40]}"
        where = part if where == "the answer" else f"{where}.{part}"
    return None
