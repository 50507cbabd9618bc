"""`discover`: from a page a person names to checked `[[portal]]` blocks and a preview of what each would crawl.

Why one Fetcher for walk and preview: both are visits to one site the person chose, so both go through the
crawl's polite Fetcher — robots.txt, per-host delay, the address guard (`allow_private_addresses` only when asked
for) — held to that one host, with an archive in a temporary directory: discovery writes nothing under data/.
The preview is the crawl's own (`crawl.preview`), run on the drafted config, so what it shows is what
`govreports crawl` will list.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from govreports.crawl.preview import Preview, Status, preview
from govreports.discover import draft
from govreports.discover.navigate import Candidate, ranked, walk
from govreports.discover.session import Failure, Session
from govreports.discover.signals import BARE, is_year_column, link_score
from govreports.errors import EXIT_FAILED, EXIT_USAGE, GovreportsError
from govreports.fetch import Archive, Fetcher, FetchPolicy, browser
from govreports.fetch.policy import url_netloc
from govreports.portals.config import Politeness, PortalConfig
from govreports.portals.titles import title_year
from govreports.regions import infer_region

MAX_PAGES = 30
_PRIVATE = re.compile(r"\S+ (?:is a|resolves to) [^;]*? address")
PREVIEW_LIMIT = 10


class DiscoverError(GovreportsError):
    """Discovery could not start or found nothing; the message says what to do (exit 2 for a usage problem
    such as a private address without --allow-private-addresses, else 1)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Column:
    """One report column found: its candidate (page, trail, family), its block, and the preview of its lists."""

    candidate: Candidate
    name: str
    reason: str
    block: str
    portal: PortalConfig | None = None
    preview: Preview | None = None


@dataclass
class Discovery:
    start_url: str
    allow_private_addresses: bool
    columns: list[Column] = field(default_factory=list)
    rejected: list[Candidate] = field(default_factory=list)  # pages named like a column whose lists hold no report
    pages: int = 0  # pages requested by the walk (robots.txt and previews not counted)
    gated: bool = False  # a JavaScript gate answered and headless Chromium passed it: the blocks say fetch = "browser"
    visited: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def document(self) -> str:
        """The TOML file: [safety] when needed, then one block per column, best first."""
        return draft.document([c.block for c in self.columns], self.allow_private_addresses)


def fetch_policy(host: str, allow_private_addresses: bool, **politeness) -> FetchPolicy:
    """The crawl's politeness defaults (robots obeyed, per-host delay), one host, addresses as the person said."""
    settings = Politeness(**{"retries": 1, **politeness}).model_dump()
    return FetchPolicy(allowed_hosts=frozenset({host}), allow_private_addresses=allow_private_addresses, **settings)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DiscoverError(f"not an http(s) URL: {url!r} (give a portal's home page or its 政府信息公开 page)",
                            EXIT_USAGE)
    return url_netloc(url)  # as the Fetcher names it: https://x.gov.cn:443/ is x.gov.cn


async def discover(url: str, *, allow_private_addresses: bool = False, max_pages: int = MAX_PAGES,
                   preview_limit: int = PREVIEW_LIMIT, taken: set[str] | None = None,
                   fetcher: Fetcher | None = None, fetch: str = "auto",
                   progress: Callable[[str], None] | None = None, **politeness) -> Discovery:
    """Walk from `url` (at most `max_pages` pages of its host), draft a block per report column found, best
    first, check the blocks load, and preview each (`preview_limit` listings; 0: none). `taken`: portal names
    already used (a file the blocks will be added to). `fetch`: the crawl's fetch mode for the walk — "auto"
    (default) passes a JavaScript gate in headless Chromium when one answers, "http" never starts a browser.
    `progress`: told of each page as the walk asks for it, and of each preview. `politeness`: overrides of the
    [politeness] defaults."""
    host = check_url(url)
    if fetch not in browser.MODES:
        raise DiscoverError(f"fetch must be one of {', '.join(browser.MODES)}, not {fetch!r}", EXIT_USAGE)
    args = (url, host, allow_private_addresses, max_pages, preview_limit, taken, fetch, progress)
    if fetcher is not None:
        return await _discover(fetcher, *args)
    with tempfile.TemporaryDirectory(prefix="govreports-discover-") as scratch:
        async with Fetcher(fetch_policy(host, allow_private_addresses, **politeness),
                           Archive(scratch, batched=True)) as own:  # scratch: never synced
            return await _discover(own, *args)


async def _discover(fetcher: Fetcher, url: str, host: str, allow_private: bool, max_pages: int,
                    preview_limit: int, taken: set[str] | None, mode: str,
                    progress: Callable[[str], None] | None) -> Discovery:
    session = Session(fetcher, host, max_pages, mode, progress=progress)
    walked = await walk(session, url)
    result = Discovery(url, allow_private, pages=session.pages, visited=walked.visited, failures=session.failures,
                       gated=session.gated)
    if walked.start is None:
        raise _start_failed(url, session)
    chosen = ranked(walked.candidates)
    result.rejected = [c for c in walked.candidates if c.rejected is not None]
    if not chosen and walked.moved:
        raise DiscoverError(f"{url}: the start page redirects to {walked.moved}, another host (a meta refresh or "
                            "a script); discovery stays on the host it is given: run it on that URL")
    if not chosen:
        named = [c for c in result.rejected if c.score >= BARE]
        looked = "; ".join(f"{c.page.url} ({c.evidence}): {c.rejected}" for c in named) or "no page named like one"
        unread = f"; links named like a column that could not be read: {'; '.join(walked.unread)}" \
            if walked.unread else ""  # robots.txt, a 404, a timeout: else read as "the site has no such link"
        raise DiscoverError(f"no annual-report column found from {url} within {session.pages} page(s) "
                            f"(columns looked at: {looked}{unread}{_elsewhere(walked, host)})")
    names = set(taken or ())
    site = walked.start.site_name()
    blocks = []  # each column's block, drafted again with the hosts its reports are on (_allow_report_hosts)
    for i, candidate in enumerate(chosen, 1):
        name = draft.portal_name(candidate.family.start_url, names)
        reason = _reason(candidate, i, len(chosen))
        title = f"{site} {_column_name(candidate)}".strip()
        f = candidate.family
        where = infer_region(site)
        if result.gated:
            reason += "; behind a JavaScript gate, passed in headless Chromium"
        drafted = functools.partial(draft.block, name=name, adapter=f.adapter, title=title, start_url=f.start_url,
                                    params=f.params, comment=reason, region=where.path if where else None,
                                    fetch="browser" if result.gated else None)
        hosts = _report_hosts(candidate)
        result.columns.append(Column(candidate, name, reason, drafted(allowed_hosts=hosts or None)))
        blocks.append(drafted)
    config = draft.check(result.document)
    redrafted = False
    for column, portal, drafted in zip(result.columns, config.portal, blocks):
        column.portal = portal
        if preview_limit:
            if progress is not None:
                progress(f"previewing {portal.name}: its first {preview_limit} listing(s)")
            column.preview = await preview(config, portal, limit=preview_limit, fetcher=fetcher)
            redrafted |= _allow_report_hosts(column, drafted)
    if redrafted:  # the blocks with their report hosts load as a crawl's config
        for column, portal in zip(result.columns, draft.check(result.document).portal):
            column.portal = portal
    return result


def _report_hosts(candidate: Candidate) -> list[str]:
    """The hosts other than the column's that the reports on its first page are on (all of them, not only the
    preview's first few, and with no preview at all)."""
    own = url_netloc(candidate.family.start_url)
    return sorted({host for item in candidate.reports if (host := url_netloc(item.url)) != own})


def _allow_report_hosts(column: Column, drafted) -> bool:
    """A column that links its reports on another host (a Hanweb list on www.… linking zwgk.…): the block names
    those hosts in allowed_hosts. Drafted without them, the preview called every report new and the crawl failed
    each as host_not_allowed, exit 0. The first page's are drafted already (`_report_hosts`); these are the ones
    the preview met on later pages."""
    off = [item for item in column.preview.items if item.status == Status.OFF_HOST]
    if not off:
        return False
    hosts = sorted({url_netloc(item.url) for item in off} | set(column.portal.allowed_hosts))
    column.block = drafted(allowed_hosts=hosts)
    column.preview.items = [replace(item, status=Status.NEW) if item.status == Status.OFF_HOST else item
                            for item in column.preview.items]
    return True


def _elsewhere(walked, host: str, most: int = 5) -> str:
    """The column and hub links to other hosts (a www.… home linking xxgk.…), column words first: discovery stays
    on its host, so the user is told where to run it instead."""
    if not walked.elsewhere:
        return ""
    links = sorted(walked.elsewhere.items(), key=lambda kv: -link_score(kv[1], kv[0]))[:most]
    return (f"; links on another host (discovery stays on {host}; run it on that page): "
            + "; ".join(f'{u} (link "{text}")' for u, text in links))


def _start_failed(url: str, session: Session) -> DiscoverError:
    failure = session.first_failure(url.split("#", 1)[0])
    if failure is None:
        return DiscoverError(f"{url}: the start page is not an HTML page")
    if failure.kind == "private_address":
        m = _PRIVATE.search(failure.message)
        where = m.group(0) if m else "its address is not public"
        return DiscoverError(f"{url}: {where} (private_address); discovery, like the crawl, connects to public "
                             "addresses only. A portal on a local or intranet address needs "
                             "--allow-private-addresses (the drafted config then says [safety] "
                             "allow_private_addresses = true)", EXIT_USAGE)
    if failure.kind in ("host_not_allowed", "cross_portal_redirect") and failure.final_url != url:
        return DiscoverError(f"{url}: the start page redirects to {failure.final_url}, another host; discovery "
                             "stays on the host it is given: run it on that URL")
    if failure.kind == "blocked" and session.mode == "http":
        return DiscoverError(f"{url}: the start page could not be read ({failure.kind}: {failure.message}); "
                             "run discover with --fetch auto to pass the gate in headless Chromium")
    return DiscoverError(f"{url}: the start page could not be read ({failure.kind}: {failure.message})")


def _column_name(candidate: Candidate) -> str:
    if candidate.family and candidate.family.adapter == "gkmlpt":
        return candidate.family.pager.split("(category ", 1)[-1].split(",", 1)[0]
    page = candidate.page
    name = (page.crumb and page.column_name()) or (candidate.trail[-1] if candidate.trail else page.column_name())
    if is_year_column(name) and len(candidate.trail) >= 2:  # 信息公开年报 2023年, not a bare 2023年
        name = f"{candidate.trail[-2]} {name}"
    return name


def _reason(candidate: Candidate, rank: int, total: int) -> str:
    f = candidate.family
    reports = f.reports
    years = sorted({y for item in reports if (y := title_year(item.title))})
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
    trail = " › ".join(candidate.trail) if candidate.trail else "the page named"
    return (f"{rank} of {total}: {f.adapter} — {f.pager}; reached by {trail} ({candidate.evidence}); "
            f"{len(reports)} of {len(f.listings)} listing(s) on its first page are annual reports"
            + (f" ({span})" if span else ""))
