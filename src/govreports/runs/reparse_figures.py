"""A re-parse's figures: what became of each document it read (changed, new, unchanged, failed, missing, skipped),
and what it could not read. Apart from the re-parse itself (runs.reparse, with its parser's imports) so that
`status`, a quick reader, can say them of a re-parse that did not complete, from its `runs` row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from govreports.store.statuses import LoadStatus

_OUTCOMES = ("changed", "new", "unchanged", "failed", "missing", "skipped")  # a document's, in a re-parse's figures


def not_crawled(conn) -> int:
    """Reports no crawled item holds (`conn`: sqlite3 or sqlite_utils): `govreports load` stored them from files,
    and nothing of theirs is in the archive. "re-parsed 0 document(s)" of a database of such reports read as if it
    held nothing to re-parse, and `status` as if it held nothing at all."""
    (reports,), = conn.execute("SELECT count(*) FROM reports WHERE current_version_id IS NOT NULL").fetchall()
    if not reports:
        return 0
    # (a page's report that a copy of another's replaced is no item's, and no longer current: store.load)
    (crawled,), = conn.execute("SELECT count(DISTINCT i.report_id) FROM items i JOIN reports r ON r.id = i.report_id"
                               " WHERE r.current_version_id IS NOT NULL").fetchall()
    return max(reports - crawled, 0)


def loaded_from_files(count: int) -> str:
    """How the re-parse and `status` name the reports `not_crawled` counts."""
    return f"{count} report(s) were loaded from files (govreports load), not crawled"


@dataclass
class ReparseSummary:
    counts: Counter = field(default_factory=Counter)  # new / changed / unchanged / failed / missing / skipped
    unconfigured: Counter = field(default_factory=Counter)  # documents skipped, by a portal the config lacks
    not_crawled: int = 0  # reports no crawled item holds (`govreports load`'s): nothing of theirs is archived

    def not_crawled_line(self) -> str:
        """Reports the re-parse could not read again, and how to ("" when there were none)."""
        if not self.not_crawled:
            return ""
        return (f"{loaded_from_files(self.not_crawled)}: a re-parse reads only the crawl's archive; load those files"
                " again to read them with this parser")

    def skipped_line(self, config: str, left_out: list[tuple[str, str]] | None = None) -> str:
        """What was left as it was, and why, for the command's warning line ("" when nothing was); `left_out`:
        the config's files that could not be used, where those portals may be."""
        if not self.unconfigured:
            return ""
        portals = ", ".join(f"{p} ({n})" for p, n in sorted(self.unconfigured.items()))
        where = (f" (or only in its files that could not be used: {', '.join(path for path, _ in left_out)})"
                 if left_out else "")
        return (f"{sum(self.unconfigured.values())} document(s) left as they are: their portals are not in {config}"
                f"{where}: {portals}; re-parse them with the config they were crawled with (--config)")

    @property
    def changed(self) -> int:
        return self.counts[LoadStatus.CHANGED] + self.counts[LoadStatus.NEW]

    @property
    def documents(self) -> int:
        """The documents whose outcome is known (loaded, failed, missing, skipped): all it read once it has
        finished; a re-parse stopped midway had read some ahead of the batch it was loading, not re-parsed."""
        return sum(self.counts[k] for k in _OUTCOMES)

    def row(self) -> dict:
        """The run's figures, for its `runs` row (noted as it goes, so a stopped one keeps them) and summary."""
        return {"documents": self.documents, **{k: self.counts[k] for k in _OUTCOMES}}

    @staticmethod
    def line(row: dict) -> str:
        """The figures of a row (`row`) in words, as the re-parse ends and `status` says them of one stopped."""
        return (f"re-parsed {row.get('documents', 0)} document(s): {row.get('changed', 0) + row.get('new', 0)} "
                f"record(s) changed, {row.get('unchanged', 0)} unchanged, {row.get('failed', 0)} failed, "
                f"{row.get('missing', 0)} missing from the archive")
