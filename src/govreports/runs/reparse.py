"""Re-parse archived documents with the current parser — no network — and load what changed.

Every loaded item points at the document its record was read from (page or attachment); the page goes through
its portal adapter's `report_body` again (gkmlpt keeps the report inside a script), so a re-parse reads exactly
what the crawl read. A record that differs from the stored one becomes a new version; the rest are unchanged.
Documents are parsed under the crawl's limits (parse.bounded: one worker process, a deadline, a memory cap), so an
archived document that would hang or exhaust the parser fails alone, logged with its limit's kind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from govreports import PARSER_VERSION
from govreports.fetch import Archive
from govreports.parse import ParseError
from govreports.parse.api import ParseLimitError
from govreports.parse.bounded import BoundedParser
from govreports.portals.adapters import adapter_for
from govreports.portals.config import CrawlConfig
from govreports.store.load import load_record
from govreports.store.logs import log_fetch


@dataclass
class ReparseSummary:
    documents: int = 0
    counts: Counter = field(default_factory=Counter)  # new / changed / unchanged / failed / missing

    @property
    def changed(self) -> int:
        return self.counts["changed"] + self.counts["new"]

    def row(self) -> dict:
        return {"documents": self.documents, **{k: self.counts[k] for k in
                                                ("changed", "new", "unchanged", "failed", "missing")}}


class _Page:
    """The archived page as the adapters see a fetched one."""

    def __init__(self, url: str, body: bytes, encoding: str | None):
        self.url = self.final_url = url
        self.body = body
        self.ok, self.status, self.encoding = True, 200, encoding
        self.text = body.decode(encoding or "utf-8", errors="replace")


def reparse(db: Database, archive_root: str | Path, config: CrawlConfig | None = None,
            parser: BoundedParser | None = None) -> ReparseSummary:
    """Re-parse every loaded item's document; `parser` defaults to one worker with the default limits."""
    if parser is None:
        with BoundedParser(workers=1) as own:
            return reparse(db, archive_root, config, own)
    archive = Archive(archive_root)
    adapters = {p.name: adapter_for(p) for p in (config.portal if config else [])}
    summary = ReparseSummary()
    rows = db.execute(
        "SELECT i.portal, i.url, i.list_title, i.attachment_url, d.url, d.sha256, d.archive_path, d.encoding,"
        " d.final_url, d.fetched_at, d.media_type FROM items i JOIN documents d ON d.id = i.document_id"
        " WHERE i.status = 'loaded' ORDER BY i.portal, i.url").fetchall()
    for portal, url, title, attachment_url, doc_url, sha, path, encoding, final_url, fetched_at, media in rows:
        summary.documents += 1
        try:
            body = archive.get(sha)
        except (FileNotFoundError, ValueError):
            summary.counts["missing"] += 1
            log_fetch(db, doc_url, "archive_missing", f"archived body {sha} not found")
            continue
        adapter = adapters.get(portal)
        if attachment_url is None and adapter is not None:
            body = adapter.report_body(_Page(doc_url, body, encoding)) or body
        try:
            record = parser.parse(body, doc_url, {"title": title}, encoding)
        except ParseLimitError as exc:
            summary.counts["failed"] += 1
            log_fetch(db, doc_url, exc.kind, exc.line, kind=exc.kind)
            continue
        except ParseError as exc:
            summary.counts["failed"] += 1
            log_fetch(db, doc_url, "parse_error", str(exc))
            continue
        document = {"url": doc_url, "final_url": final_url, "fetched_at": fetched_at, "sha256": sha,
                    "archive_path": path, "media_type": media}
        loaded = load_record(db, record, document, parser_version=PARSER_VERSION, source_key=url)
        summary.counts[loaded.status] += 1
    return summary
