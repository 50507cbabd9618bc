"""The walk: from the page a person named, best link first, to the pages that are annual-report columns.

Why best-first over a few words rather than a crawl: the column is one or two clicks from a home page or a
信息公开 page, behind links whose words say so (`signals`). Links saying 信息公开年报 are visited before bare
年度报告 ones, those before 政府信息公开 / 政务公开 hubs, shallower before deeper; any other link is never
followed (except a column's year sub-columns, 2023年, as district year trees have), nor one to another host,
nor one robots.txt forbids (the Fetcher refuses it). A page's meta refresh or redirecting script, and its
frames, are part of the page: followed at its depth and rank. The session's page budget ends the walk.

A visited page is a candidate column when the link, its breadcrumb or its <title> names a column (or gkmlpt's
category tree does) *and* its first list holds annual reports — a column whose words are right but whose list
holds none (统计年度报告, a moved column) is rejected, and says why.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from govreports.discover.family import Family, complete, detect
from govreports.discover.pages import Page
from govreports.discover.session import Session
from govreports.discover.signals import BARE, HUB, NONE, crumb_score, is_year_column, link_score
from govreports.errors import StorageError

_INDEX = re.compile(r"/(?:index|default)\.s?html?$", re.I)
MAX_DEPTH = 4


@dataclass
class Candidate:
    """A page that names itself a report column, what reached it, and what its family detection found."""

    page: Page
    trail: list[str]  # link words from the start page (首页 › 政务公开 › 信息公开年报)
    evidence: str  # why it is a column: 'link "信息公开年报"', 'breadcrumb …'
    score: int  # COLUMN or BARE; NONE for the page named, a column only when nothing better is found
    depth: int
    family: Family | None = None
    rejected: str | None = None  # why it is not used

    @property
    def reports(self) -> list:
        return self.family.reports if self.family else []


@dataclass
class Walk:
    start: Page | None = None
    candidates: list[Candidate] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    moved: str | None = None  # the start page sends the browser to another host (a meta refresh, a script)
    unread: list[str] = field(default_factory=list)  # links named like a column that could not be read, and why
    elsewhere: dict[str, str] = field(default_factory=dict)  # column or hub links to other hosts: URL -> words


def page_key(url: str) -> str:
    """…/xxgknb/ and …/xxgknb/index.html are one page: visit it once."""
    return _INDEX.sub("/", urldefrag(url)[0])


async def walk(session: Session, start_url: str) -> Walk:
    result = Walk()
    queued = {page_key(start_url)}
    framed: set[str] = set()
    frontier: list[tuple] = [(-NONE, 0, 0, start_url, [], NONE)]
    order = 0
    while frontier and not session.spent:
        _, depth, _, url, trail, score = heapq.heappop(frontier)
        page = await session.page(urldefrag(url)[0], referer=None)
        if page is None:
            if score >= BARE and page_key(url) not in framed and \
                    (failure := session.first_failure(urldefrag(url)[0])) is not None:
                result.unread.append(f'{urldefrag(url)[0]} (link "{trail[-1]}"): {failure.kind}: {failure.message}')
            continue
        result.visited.append(page.url)
        if depth == 0 and (result.start is None or (result.start.redirect == url and result.start.is_stub)):
            result.start = page  # the page named, or the page its stub sends the browser to
        if (target := page.redirect) is not None and page_key(target) not in queued:
            if session.on_host(target):  # a redirect is not a click: same depth, trail and rank
                queued.add(page_key(target))
                order += 1
                heapq.heappush(frontier, (-score, depth, order, target, trail, score))
            elif depth == 0 and not page.frames:  # a frameset's script sending phones to m.…: not where it went
                result.moved = target
        for frame in page.frames:  # part of the page a person sees: same depth, trail and rank
            if session.on_host(frame) and page_key(frame) not in queued:
                queued.add(page_key(frame))
                framed.add(page_key(frame))  # a widget that does not answer is no column link that did not
                order += 1
                heapq.heappush(frontier, (-score, depth, order, frame, trail, score))
        candidate = _candidate(page, trail, score, depth, url)
        if candidate is not None:
            await _judge(candidate, session, urldefrag(url)[1])
            result.candidates.append(candidate)
        if depth >= MAX_DEPTH:
            continue
        column = candidate is not None and candidate.score >= BARE
        for link in page.links:
            if not session.on_host(link.page):
                if link_score(link.text, link.page) >= HUB and link.page not in result.elsewhere:
                    result.elsewhere[link.page] = link.text
                continue
            if page_key(link.url) in queued:
                continue
            rank = link_score(link.text, link.page)
            if rank == NONE and column and is_year_column(link.text):
                rank = BARE  # a column split by year (…/zfxxgknb/2023n/): each year is a column of its own
            if rank == NONE:
                continue
            queued.add(page_key(link.url))
            order += 1
            heapq.heappush(frontier, (-rank, depth + 1, order, link.url, [*trail, link.text], rank))
    return result


def _candidate(page: Page, trail: list[str], score: int, depth: int, url: str) -> Candidate | None:
    crumb = crumb_score(page.crumb)
    titled = link_score(page.column_name())
    if score >= BARE:
        return Candidate(page, trail, f'link "{trail[-1]}"', score, depth)
    if crumb >= BARE:
        return Candidate(page, trail, f"breadcrumb {page.crumb!r}", crumb, depth)
    if titled >= BARE:
        return Candidate(page, trail, f"page title {page.title!r}", titled, depth)
    if "window._CONFIG" in page.text:  # a gkmlpt entry: its category tree names the column
        return Candidate(page, trail, "gkmlpt category tree", BARE, depth)
    if depth == 0:  # the page named by the person: a column only if nothing better is found
        return Candidate(page, trail, "the page named", NONE, depth)
    return None


async def _judge(candidate: Candidate, session: Session, fragment: str) -> None:
    try:
        family = detect(candidate.page, fragment)
        if family.pending:
            await complete(family, session)
    except StorageError:  # the scratch archive's disk is full: no later page could be read either
        raise
    except Exception as exc:  # noqa: BLE001 - a page that chokes the detection is not a column; the walk goes on
        candidate.rejected = f"its family could not be told: {type(exc).__name__}: {exc}"
        return
    candidate.family = family
    if not family.reports:
        source = "its gkmlpt list API" if family.adapter == "gkmlpt" else f"its list (read as {family.adapter})"
        candidate.rejected = f"{source} names no 信息公开 annual report"


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Accepted columns, best first (a pager's first page; most reports on it; the clearer words; the shallower),
    one per column: a second URL listing the same reports, or another page of its pager, is the same column."""
    good = [c for c in candidates if c.rejected is None]
    if any(c.score >= BARE for c in good):  # a start page that merely lists a report or two is not a column
        good = [c for c in good if c.score >= BARE]
    good.sort(key=lambda c: (_later_page(c.page.url), -min(len(c.reports), 100), -c.score, c.depth,
                             _implicit_index(c.page.url)))
    chosen: list[Candidate] = []
    for c in good:
        mine = {item.url for item in c.reports}
        if any(_pager_page(o.page.url, c.page.url) or
               len(mine & {item.url for item in o.reports}) * 2 >= min(len(mine), len(o.reports)) for o in chosen):
            continue
        chosen.append(c)
    return chosen


def _pager_page(one: str, other: str) -> bool:
    """Two pages of one column's pager (index.html and index_2.html, home_1.htm and home.htm, …/ and
    …/index_1.html): same folder, same file stem once the page number is taken off."""
    here, there = urlsplit(one), urlsplit(other)
    return (here.path.rpartition("/")[0] == there.path.rpartition("/")[0]
            and _stem(here.path) == _stem(there.path))


def _stem(path: str) -> str:
    name = path.rpartition("/")[2].split(".", 1)[0] or "index"
    return re.sub(r"_\d+$", "", name)


def _later_page(url: str) -> bool:
    """home_1.htm, index_2.html: a later page of a pager (a block starts from the first)."""
    return re.search(r"_\d+(?:\.\w+)?$", urlsplit(url).path) is not None


def _implicit_index(url: str) -> bool:
    """Prefer …/index.html to …/ (what menus link, and what a TRS pager's names are relative to)."""
    return url.endswith("/")


__all__ = ["Candidate", "Walk", "page_key", "ranked", "walk"]
