"""DemoPortal: the in-process face of the demo portal (catalog, ground truth, request log, edits, faults).

Why in-process: tests and the crawler's own tests need the ground truth and the request log without a second
process; the same data is served at /_demo/*.json for out-of-process use (the `demo-portal` CLI command).
Records and rendered bytes are built on first use and kept in bounded LRU caches keyed by the record's edit
generation, so 10,000 reports cost nothing until asked for and an edit changes bytes, ETag and Last-Modified.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import partial

from govreports.demo import hosts
from govreports.demo.catalog import Catalog, Item
from govreports.demo.documents import attachment_bytes, body_fragment, picture_pages
from govreports.demo.faults import (ANTIBOT_412_PREFIX, ANTIBOT_521_PREFIX, HUNG_SITE, URL_KINDS, FaultConfig,
                                    FaultPlan)
from govreports.demo.hostile import hostile_document
from govreports.demo.records import edited, make_record
from govreports.demo.sites import gate as gate_site
from govreports.demo.sites import taizhou as taizhou_site
from govreports.demo.sites import wenzhou as wenzhou_site

CST = timezone(timedelta(hours=8))
HOME_MODIFIED = datetime(2025, 1, 2, 9, 0, tzinfo=CST).timestamp()


@dataclass
class RequestLog:
    time: float
    method: str
    path: str
    query: str
    status: int  # 0: connection closed without a response (fault "reset")
    headers: dict[str, str]
    conditional: bool
    fault: str | None = None  # the fault applied to this request, if any
    host: str = ""  # the loopback address asked (demo/hosts.py: each site is a host of its own)


class DemoReport:
    """One ground-truth report: where it is listed and served, and (lazily) its canonical record."""

    __slots__ = ("_portal", "_item", "id", "site", "url", "attachment_url", "list_title", "list_date", "kind")

    def __init__(self, portal: DemoPortal, item: Item):
        self._portal, self._item = portal, item
        self.id, self.site, self.kind = item.id, item.site, item.kind
        self.url = portal.url(item.path)
        self.attachment_url = portal.url(item.attachment_path) if item.attachment_path else None
        self.list_title, self.list_date = item.list_title, item.list_date

    @property
    def record(self) -> dict:
        return self._portal.record(self._item)

    def __repr__(self) -> str:
        return f"DemoReport({self.id!r}, {self.kind}, {self.url!r})"


class _LRU:
    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()
        self.building: dict = {}  # key -> Event set when the thread building it is done

    def get(self, key, build):
        while True:
            with self.lock:
                if key in self.data:
                    self.data.move_to_end(key)
                    return self.data[key]
                done = self.building.get(key)
                if done is None:
                    done = self.building[key] = threading.Event()
                    break
            done.wait()  # another thread builds it (a .doc takes seconds): wait for its bytes, not a second copy
        try:
            value = build()  # outside the lock: a PDF takes 0.1 s and other threads must not wait for it
            with self.lock:
                self.data[key] = value
                if len(self.data) > self.size:
                    self.data.popitem(last=False)
        finally:
            with self.lock:
                self.building.pop(key, None)
            done.set()
        return value


# Attachments, shared by every portal of the process and keyed by what decides their bytes: tests start many portals
# of the same seed, and each made its own before (a .doc is made by LibreOffice in 2–4 s, a scan rasterised in
# ~0.5 s, a DOCX ~0.2 s and a PDF ~0.1 s: with seed 0's 17 PDF and DOCX files, 2–3 s of every new portal's crawl).
# SLOW_KINDS are the ones `warm` makes ahead of the first request.
SLOW_KINDS = ("doc", "scan")
_SHARED = _LRU(256)


def _build_record(seed: int, agency: str, year: int, size: float, generation: int) -> dict:
    record = make_record(seed, agency, year, size)
    return edited(record, generation) if generation else record


def _render_page(seed: int, agency: str, year: int, size: float, generation: int, style: str,
                 quirk: str | None) -> str:
    """A report page's body, in a prerender worker (DemoPortal.fragment's, for the same key)."""
    return body_fragment(_build_record(seed, agency, year, size, generation), style, quirk)


def _day_epoch(iso: str, hour: int = 10) -> float:
    return datetime.fromisoformat(iso).replace(hour=hour, minute=12, second=8, tzinfo=CST).timestamp()


class DemoPortal:
    def __init__(self, seed: int = 0, scale: int | None = None, faults: FaultConfig | str | None = None,
                 attachments: float = 0.2, gate: bool = False, gate_ttl: float = 300.0):
        self.seed, self.scale = seed, scale
        # the /gate/ site behind a 瑞数-like JavaScript gate (sites/gate.py): its reports join the ground truth
        self.gate, self.gate_ttl = gate, gate_ttl
        self.gate_reports = gate_site.reports(seed) if gate else []
        # the /wenzhou/ Hanweb column whose dataproxy.jsp takes only GET page=N (sites/wenzhou.py): its own items
        self.wenzhou_items = wenzhou_site.items(seed)
        self.wenzhou_paths = {it.path: it for it in self.wenzhou_items}
        # the /taizhou/ jpaas column whose list a unit build API answers as HTML fragments (sites/taizhou.py)
        self.taizhou_items = taizhou_site.items(seed)
        self.taizhou_paths = {it.path: it for it in self.taizhou_items}
        self.faults = faults if isinstance(faults, FaultConfig) else FaultConfig.parse(faults)
        self.catalog = Catalog(seed, scale, attachments)
        if "hostile" in self.faults:
            self.catalog.add_hostile()
        self.plan = FaultPlan(self.faults, seed)
        reports = self.catalog.reports()
        # the custom-markup site is left alone by the faults (its detail URLs differ only in the query)
        faultable = [it for it in reports if it.site != "custom"]
        # attachment faults hit a PDF or DOCX (cut short, 503), as before the .doc, OFD and scanned reports came
        self.plan.choose([it.path for it in faultable],
                         [it.attachment_file for it in faultable if it.attachment_file and it.kind in ("pdf", "docx")])
        if "hostile" in self.faults:
            self.plan.mislabel(faultable)
        self.started = HOME_MODIFIED
        self.port = 0  # every host's port, once started
        self._edits: dict[str, tuple[int, float]] = {}  # item id -> (generation, edit time)
        attachments_count = sum(1 for it in reports if it.attachment_file)
        # every attachment stays rendered (DOCX ~0.13 s, PDF ~0.02 s each): a nightly run re-validates all of them,
        # and a too-small cache turned each 304 into a re-render (about 40 KB each: 80 MB at 10,000 reports)
        self._records, self._fragments = _LRU(4096), _LRU(max(2048, len(reports)))
        self._attachments = _LRU(max(256, attachments_count))
        self._log: list[RequestLog] = []
        self._log_lock = threading.Lock()
        self._servers: list | None = None  # one per host (demo/hosts.py), once started
        self.stopping = threading.Event()  # set by stop(): a hung host's requests end with the portal

    # --- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The directory host (its index page and /_demo/); each site is served from a host of its own: url()."""
        return f"http://{hosts.DIRECTORY}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path: on its site's host (demo/hosts.py)."""
        return hosts.url(path, self.port)

    def start(self, port: int = 0) -> DemoPortal:
        from govreports.demo.server import make_servers, serve_all

        self.stopping.clear()
        self._servers = make_servers(self, port)
        self.port = self._servers[0].server_address[1]
        serve_all(self._servers, 0.1)
        return self

    def environ(self) -> dict[str, str]:
        """What config/demo.toml reads from the environment to crawl this portal."""
        return {"GOVREPORTS_DEMO_PORT": str(self.port)}

    def stop(self) -> None:
        from govreports.demo.server import shutdown_all

        self.stopping.set()
        if self._servers is not None:
            shutdown_all(self._servers)
            self._servers = None

    def __enter__(self) -> DemoPortal:
        return self if self._servers else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- records and bytes ---------------------------------------------------------------------------------------
    def generation(self, item: Item) -> int:
        return self._edits.get(self.catalog.record_item(item).id, (0, 0.0))[0]

    def record(self, item: Item) -> dict:
        """The record an item serves (a re-post serves its original's); callers get their own copy."""
        source = self.catalog.record_item(item)
        gen = self.generation(source)
        build = partial(_build_record, self.seed, source.agency, source.year, source.size, gen)
        return copy.deepcopy(self._records.get((source.id, gen), build))

    def fragment(self, item: Item, style: str | None = None) -> str:
        key, source = self._fragment_key(item, style)
        return self._fragments.get(key, lambda: body_fragment(self.record(source), key[2], key[3]))

    def _fragment_key(self, item: Item, style: str | None = None) -> tuple[tuple, Item]:
        """What decides a report page's body (record, edit generation, markup style, quirk), and its source item."""
        source = self.catalog.record_item(item)
        style = style or source.style
        quirk = source.quirk if style == source.style else None
        return (source.id, self.generation(source), style, quirk), source

    def attachment(self, item: Item) -> bytes:
        if item.role == "hostile":
            return self._attachments.get((item.id, 0), lambda: hostile_document(item.extra["hostile"]))
        key = (item.id, self.generation(item))
        edition = "edition" in item.extra  # its （超链版）: the same record, hyperlinked
        shared = (self.seed, item.agency, item.year, item.size, key[1], item.kind, edition)
        return self._attachments.get(key, lambda: _SHARED.get(shared, lambda: attachment_bytes(
            self.record(item), item.kind, hyperlinks=edition)))

    def pictures(self, item: Item) -> list[bytes]:
        """A 图片版 report's pages as the pictures its article shows (documents.picture_pages), kept as attachments are:
        its edits (`edit`) change them."""
        key = (item.id, self.generation(item), "pictures")
        shared = (self.seed, item.agency, item.year, item.size, key[1], "pictures")
        return self._attachments.get(key, lambda: _SHARED.get(shared, lambda: picture_pages(self.record(item))))

    def warm(self) -> None:
        """Make the slow attachments (.doc, scans: a few on any portal) in a background thread, so that the first
        crawler asking for one does not wait seconds for LibreOffice (a request meanwhile waits for these bytes).
        The foreground `demo-portal` does this; in-process portals (tests) do not: a thread still running
        LibreOffice when a test forks a process pool (prerender) can leave the pool's workers deadlocked."""
        slow = [it for it in self.catalog.reports() if it.kind in SLOW_KINDS]
        if slow:
            threading.Thread(target=lambda: [self.attachment(it) for it in slow], name="demo-warm",
                             daemon=True).start()

    def prerender(self, workers: int | None = None) -> int:
        """Render every attachment and every HTML report page's body now, in `workers` processes; returns how many
        were rendered.

        A real portal serves its PDF and DOCX files from disk, and its report pages too (TRS and Hanweb publish
        static pages). Benchmarks warm the demo portal first so that the crawler's figures do not include our
        rendering: a DOCX takes ~0.2 s of CPU, a Word-style page body ~1.1 ms, on the crawler's two cores."""
        from concurrent.futures import ProcessPoolExecutor

        todo = [it for it in self.catalog.reports() if it.attachment_file]
        jobs = [(self.record(it), it.kind) for it in todo]
        pages = {}
        for it in self.served_reports():
            if it.kind == "html":
                key, source = self._fragment_key(it)
                pages[key] = (self.seed, source.agency, source.year, source.size, key[1], key[2], key[3])
        pictured = [it for it in self.catalog.reports() if it.kind == "pictures"]
        for item in pictured:  # a few, each ~0.3 s: here rather than in the pool
            self.pictures(item)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rendered = pool.map(attachment_bytes, *zip(*jobs), chunksize=16) if jobs else []
            for item, data in zip(todo, rendered):
                self._attachments.get((item.id, self.generation(item)), lambda data=data: data)
            bodies = pool.map(_render_page, *zip(*pages.values()), chunksize=32) if pages else []
            for key, body in zip(pages, bodies):
                self._fragments.get(key, lambda body=body: body)
        return len(jobs) + len(pages) + len(pictured)

    def modified(self, item: Item) -> float:
        base = _day_epoch(max(item.url_date or item.list_date, item.list_date))
        return max(base, self._edits.get(self.catalog.record_item(item).id, (0, 0.0))[1])

    def list_modified(self, site: str) -> float:
        items = self.catalog.items[site]
        return _day_epoch(items[0].list_date, 18) if items else self.started

    def edit(self, report_id: str) -> dict:
        """Change one cell of a report (ETag, Last-Modified and the parsed record change); returns the new record."""
        item = self.catalog.by_id[report_id]
        gen, _ = self._edits.get(item.id, (0, 0.0))
        stamp = max(time.time(), self.modified(item) + 1)
        self._edits[item.id] = (gen + 1, float(int(stamp) + 1))
        return self.record(item)

    # --- ground truth and views ----------------------------------------------------------------------------------
    def served_reports(self) -> list[Item]:
        """Every report the portal serves: the catalog's, and the sites with items of their own (gate, wenzhou,
        taizhou)."""
        return self.catalog.reports() + self.gate_reports + [it for it in (*self.wenzhou_items, *self.taizhou_items)
                                                             if it.role == "report"]

    def ground_truth(self) -> dict[str, dict]:
        """Report URL -> its record, with "served_as": how the report is published (html | pdf | docx | doc | ofd |
        scan | xlsx | xls | pictures). A scan, and a report shown as pictures, is read by OCR: compare its title,
        agency, year and format, not its cells."""
        return {self.url(it.path): {**self.record(it), "served_as": it.kind}
                for it in self.served_reports()}

    @property
    def reports(self) -> list[DemoReport]:
        return [DemoReport(self, it) for it in self.served_reports()]

    def reposts(self) -> dict[str, str]:
        """Re-post URL -> URL of the original report (the re-post serves the same record; not in ground truth)."""
        return {self.url(it.path): self.url(self.catalog.by_id[it.canonical].path)
                for items in self.catalog.items.values() for it in items if it.role == "repost"}

    def hostile(self) -> dict[str, str]:
        """URL the crawler reads (the attachment, or the page itself) -> which pathological document it serves."""
        return {self.url(it.attachment_path or it.path): it.extra["hostile"]
                for it in self.catalog.items["ordos"] if it.role == "hostile"}

    def nonreports(self) -> dict[str, str]:
        """Column noise: URL -> list title (news, 政府网站工作年度报表, notices)."""
        return {self.url(it.path): it.list_title
                for items in (*self.catalog.items.values(), self.wenzhou_items, self.taizhou_items) for it in items
                if it.role == "nonreport"}

    def decoys(self) -> dict[str, str]:
        """Items of the look-alike columns (政府网站工作年度报表, 政务公开工作要点, 统计年度报告): URL -> title."""
        return {self.url(it.path): it.list_title for site in self.catalog.decoys.values()
                for items in site.values() for it in items}

    def navigation(self) -> dict[str, dict]:
        """Where each site's report column is, and what a crawler starting from the home page must not take for it
        (served at /_demo/navigation.json): home, hub, the column as the hub links it, the URL an adapter starts
        from, how many clicks from the home page, and the look-alike columns (label -> URL)."""
        from govreports.demo.sitemap import SITEMAPS, column_list_path

        out = {}
        for site, sm in SITEMAPS.items():
            out[site] = {"home": self.url(sm.homes[0]), "hub": self.url(sm.hub.url),
                         "column": self.url(sm.column.url), "column_label": sm.column.label,
                         "start_url": self.url(column_list_path(site)),
                         "clicks": 1 if "nb" in sm.home_direct else 2,
                         "decoys": {x.label: self.url(x.url) for x in sm.decoys}}
        return out

    def faulted_urls(self, kind: str) -> list[str]:
        """Absolute URLs a fault acts on; "500-permanent" is the URL that always answers 500; the gates and robots
        act on URL prefixes."""
        if kind == "500-permanent":
            return [self.url(self.plan.permanent_500)] if self.plan.permanent_500 else []
        if kind in URL_KINDS:
            return sorted(self.url(p) for p in self.plan.affected.get(kind, ()))
        prefixes = {"antibot-412": ANTIBOT_412_PREFIX, "antibot-521": ANTIBOT_521_PREFIX, "robots": "/gbk/",
                    "hung-host": f"/{HUNG_SITE}/", "no-pager": "/ordos/"}
        if kind in prefixes:
            return [self.url(prefixes[kind])] if kind in self.faults else []
        raise ValueError(f"unknown fault kind {kind!r}")

    def reset_faults(self) -> None:
        """Forget attempts: every affected URL fails again on its next request."""
        self.plan.reset()

    # --- request log -----------------------------------------------------------------------------------------------
    def log(self, entry: RequestLog) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def requests(self) -> list[RequestLog]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def requests_json(self) -> list[dict]:
        return [asdict(r) for r in self.requests]
