"""Helpers for crawling the demo portal in tests: run a crawl, compare the database with the ground truth."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from conftest import ROOT
from govreports import schema
from govreports.crawl import events, run_crawl
from govreports.crawl.portal import PortalCrawl
from govreports.crawl.stats import PortalStats
from govreports.extract import ocr
from govreports.extract.doc import extract_doc
from govreports.extract.images import bundle
from govreports.extract.toolcache import tool_cache_for
from govreports.fetch.result import FetchResult
from govreports.parse import parse_bytes
from govreports.portals.adapters.base import Adapter, Listing
from govreports.portals.config import load_config
from govreports.store.agency import normalise_agency
from govreports.store.db import open_db
from govreports.store.read import get_record

FAST = {"per_host_delay": 0.0, "per_host_concurrency": 8, "backoff_base": 0.05, "backoff_max": 0.5,
        "retry_after_max": 1.5, "blocked_delay": 0.0}


def demo_config(base_url: str):
    """config/demo.toml for the demo portal whose directory is at `base_url` (its sites: that port, their hosts)."""
    previous = os.environ.get("GOVREPORTS_DEMO_PORT")
    os.environ["GOVREPORTS_DEMO_PORT"] = str(urlsplit(base_url).port)
    try:
        return load_config(ROOT / "config" / "demo.toml")
    finally:
        if previous is None:
            os.environ.pop("GOVREPORTS_DEMO_PORT")
        else:
            os.environ["GOVREPORTS_DEMO_PORT"] = previous


def site(url: str) -> str:
    """The demo site a URL is on: the first segment of its path (ordos, gbk, govcn, …)."""
    return urlsplit(str(url)).path.split("/")[1]


def portals_serving(portal, urls) -> tuple[str, ...]:
    """The demo config's portals whose site serves any of `urls`: a test of what happens to some URLs need crawl
    only those sites."""
    sites = {site(url) for url in urls}
    return tuple(p.name for p in demo_config(portal.base_url).portal if site(p.start_url) in sites)


def truth_of_sites(portal, urls) -> dict[str, dict]:
    """The ground truth of a crawl of `portals_serving(portal, urls)`: the reports of those sites, and the reports
    of other sites they re-post (loaded from these)."""
    sites, everything = {site(url) for url in urls}, portal.ground_truth()
    truth = {url: r for url, r in everything.items() if site(url) in sites}
    return truth | {original: everything[original] for repost, original in portal.reposts().items()
                    if site(repost) in sites}


_SCANS_READ: set = set()  # (tool cache, seed, report id): the scans and .docs this process has had read


def read_scans_once(portal, portals: tuple[str, ...] | None = None) -> None:
    """Have Tesseract read the portal's scanned reports into the session's tool cache (conftest) before a crawl
    does: in a crawl, the scan's OCR shares the two cores with the parse workers, the demo portal and the other
    xdist worker, and a page past its budget (extract.ocr.BUDGET) was left unread: "1/2" pages, a flake of every
    test comparing the scan's record. Read here first, a page the budget cut is read again by the crawl with the
    pages before it from the cache. So with its .doc files: made now (kept by every portal of the process and seed),
    as a real portal's are on its disk (LibreOffice takes 2–4 s a file, under load past a crawl's read timeout: a
    test's is 1.5 s), and read by LibreOffice into the cache (under load past the parse's 15 s: too_slow). Those of
    the sites of `portals` (default: every site), each once per process and seed."""
    tools = tool_cache_for(None)
    if tools is None:
        return
    config = demo_config(portal.base_url)
    sites = {site(p.start_url) for p in config.portal if portals is None or p.name in portals}
    page_timeout, ocr.PAGE_TIMEOUT = ocr.PAGE_TIMEOUT, 120.0  # Tesseract's 15 s a page too (passed at load ~9)
    try:
        _read_scans(portal, tools, sites)
    finally:
        ocr.PAGE_TIMEOUT = page_timeout


def _read_scans(portal, tools, sites: set[str]) -> None:
    for report in portal.reports:
        key = (tools.root, portal.seed, report.id)
        if report.kind in ("scan", "doc", "pictures") and site(report.url) in sites and key not in _SCANS_READ:
            _SCANS_READ.add(key)
            # every page read into the cache, however loaded the machine (a page past OCR's share of the parse
            # deadline is left unread, and the crawl's reading of it cut short too)
            if report.kind == "pictures":  # the pictures its article shows, read as the crawl reads them
                parse_bytes(bundle(portal.pictures(report._item)), report.url, tools=tools, ocr_budget=120.0)
            else:
                data = portal.attachment(report._item)
                if report.kind == "doc":  # LibreOffice's answer into the cache first, however long it takes: its
                    # own limit in a parse (extract.doc.TIMEOUT, 15 s) was passed here on a loaded machine
                    extract_doc(data, timeout=120.0, tools=tools)
                parse_bytes(data, report.attachment_url, tools=tools, ocr_budget=120.0)


def crawl_demo(portal, workdir: Path, db=None, portals: tuple[str, ...] | None = None, **overrides):
    """Crawl config/demo.toml against `portal` (only the named `portals` when given), its scans read into the tool
    cache first (read_scans_once). Its documents are parsed within a minute each, not the 20 s of the default: on
    a loaded machine the parse workers (niced, parse_nice) took longer than that over a .doc, a PDF and a page's
    pictures, each then missing as too_slow (a test that wants a deadline passes its own)."""
    read_scans_once(portal, portals)
    db = db if db is not None else open_db(workdir / "reports.db")
    config = demo_config(portal.base_url)
    if portals is not None:
        config = config.model_copy(update={"portal": [p for p in config.portal if p.name in portals]})
        assert {p.name for p in config.portal} == set(portals), portals
    summary = run_crawl(config, db, workdir / "archive", **{**FAST, "parse_deadline": 60.0, **overrides})
    return db, summary


def answer(url: str, body: bytes | None = None, content_type: str = "text/html", status: int = 200) -> FetchResult:
    """What the Fetcher gives the crawl for `url`: `body` with a 2xx status (archived at an address of its own hash;
    HTML decoded as UTF-8), or an error status (`http`)."""
    if status >= 400:
        return FetchResult(url, url, "GET", status=status, error_kind="http", error=f"{status} Not Found")
    sha = hashlib.sha256(body or b"").hexdigest()
    html = content_type == "text/html"
    return FetchResult(url, url, "GET", status=status, ok=True, body=body, text=body.decode() if html else None,
                       sha256=sha, archive_path=f"{sha[:2]}/{sha}", content_type=content_type,
                       encoding="utf-8" if html else None)


def crawl_one_listing(db, portal, title: str, page_url: str, answers, attachments=None,
                      later=None, kind: type[Adapter] = Adapter) -> tuple[PortalStats, list]:
    """One listed page crawled by PortalCrawl with the adapter's defaults (`kind`'s: the page's body, no later pages
    for the base Adapter; its files `attachments(page)`, its later pages `later(page)` when given), every URL asked
    answered by `answers(url)` (a FetchResult) without a network. Returns the portal's stats and the URLs asked, in
    order."""
    asked = []

    class Fetcher:
        async def fetch(self, url, **kwargs):
            asked.append(url)
            return answers(url)

        async def archive_body(self, body, url):  # a document the crawl made (PortalFetcher.keep): not stored
            return hashlib.sha256(body).hexdigest(), True

        async def unchanged_body(self, res, expect="html", refetch=None):  # every answer here has its body
            return res

        class archive:
            relpath = staticmethod(lambda sha: f"{sha[:2]}/{sha}")

    class OneItem(kind):
        async def discover(self, ctx):
            yield Listing(title, page_url)

    if attachments is not None:
        OneItem.attachments = lambda self, page: attachments(page)
    if later is not None:
        OneItem.later_pages = lambda self, page: later(page)
    crawl = PortalCrawl(portal, Fetcher(), events.Sink(db, portal.name, PortalStats(portal.name)))
    crawl.adapter = OneItem(portal)
    return asyncio.run(crawl.run()), asked


def site_truth(portal, site: str) -> dict[str, dict]:
    """The ground truth of one demo site (URL path /<site>/…)."""
    return {url: record for url, record in portal.ground_truth().items()
            if url.startswith(portal.url(f"/{site}/"))}


def db_records(db) -> dict[tuple[str, int], dict]:
    out = {}
    for (report_id,) in db.execute("SELECT id FROM reports").fetchall():
        record = get_record(db, report_id)
        key = (normalise_agency(record["agency"] or ""), record["year"])
        assert key not in out, f"two reports for {key}"
        out[key] = record
    return out


# what a report read by OCR (the ground truth says served_as "scan", or "pictures") must get right: Tesseract reads
# about 70% of the cells exactly, so its cells and dates are not compared; the record must say it was read by OCR
OCR_FIELDS = ("title", "agency", "year", "format")
OCR_SERVED = ("scan", "pictures")  # an image-only PDF; pictures of the pages shown in the article (a 图片版 report)


def mismatches(db, truth: dict[str, dict], skip_urls=()) -> list[str]:
    """Every difference between the database and the portal's ground truth (empty when equal, cell for cell; a
    scanned report on OCR_FIELDS and its `ocr` flag only)."""
    stored = db_records(db)
    problems = []
    expected = {(normalise_agency(r["agency"]), r["year"]): (url, r) for url, r in truth.items() if url not in skip_urls}
    for key in sorted(set(stored) - set(expected)):
        problems.append(f"unexpected report {key}")
    for key, (url, record) in sorted(expected.items()):
        got = stored.get(key)
        if got is None:
            problems.append(f"missing {key} {url}")
            continue
        scanned = record.get("served_as") in OCR_SERVED
        for field in OCR_FIELDS if scanned else (*OCR_FIELDS, "published"):
            if got[field] != record[field]:
                problems.append(f"{key} {field}: {got[field]!r} != {record[field]!r}")
        if scanned:
            if got.get("ocr") is not True:
                problems.append(f"{key} a scanned report not read by OCR (ocr: {got.get('ocr')!r})")
            continue
        for table, row, col, value in schema.iter_cells(record):
            have = (got.get(table) or {}).get(row, {}).get(col, "missing")
            if have != value or type(have) is not type(value):
                problems.append(f"{key} {table}.{row}.{col}: {have!r} != {value!r}")
    return problems


def crawl_failures(db, run_id: int | None) -> list[tuple]:
    """What a crawl logged as failed (url, kind, error), for an assertion's message: a report missing from the
    ground truth is then shown with its cause."""
    return db.execute("SELECT url, kind, error FROM fetch_log WHERE error IS NOT NULL AND run_id IS ? ORDER BY id",
                      [run_id]).fetchall()


def served_instead(db, archive_root: Path, url: str, body: bytes) -> str:
    """Make `body` the archived document of `url`, as if the portal had served it: stored under its own hash and
    the URL's `documents` row pointed at it (a body written over the old file's name is a damaged archive, which
    a re-parse names as such). Returns its archive path."""
    from govreports.fetch import Archive

    archive = Archive(archive_root)
    sha = archive.put(body)
    with db.conn:
        db.execute("UPDATE documents SET sha256 = ?, archive_path = ? WHERE url = ?", [sha, archive.relpath(sha), url])
    return archive.relpath(sha)


def table_counts(db) -> dict[str, int]:
    names = ("documents", "reports", "report_versions", "cells", "sections", "checks", "agencies", "items")
    return {n: db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def run_cli(*args: str, portal=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`govreports ARGS…` in a child process (exit codes and stderr as a scheduler sees them)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    if portal is not None:
        env.update(portal.environ())
    return subprocess.run([sys.executable, "-m", "govreports", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
