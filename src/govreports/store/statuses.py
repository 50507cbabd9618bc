"""The statuses the store's rows and results carry, declared once as `StrEnum`s.

A member equals its string (`ItemStatus.LOADED == "loaded"`), so SQL rows, JSON summaries and callers that pass
plain strings keep working; the store writes `.value`, a plain `str`, to SQLite (sqlite-utils cannot map an enum
type to a column type), and JSON encodes a member as its string.

- `ItemStatus`: an `items` row, what became of a listed report page.
- `LoadStatus`: what `load_record` did with a record (`LoadResult.status`).
- `PartitionState`: a backfill partition (portal × year) in `partitions`.
- `PortalOutcome`: a portal's run in `portal_runs` (`PortalStats.outcome`).
- `RunOutcome`: how a run in `runs` ended (NULL while it runs, and for ever when its process died).
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    LOADED = "loaded"  # its report is loaded (a version of it is current)
    DUPLICATE = "duplicate"  # a re-post of a report already loaded from another page
    FAILED = "failed"  # the page or its attachment could not be fetched or was refused by a limit
    BLOCKED = "blocked"  # an anti-bot gate answered
    NOT_REPORT = "not_report"  # fetched, but no report could be read from it


class LoadStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"  # a new version of a known report
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"  # not loaded: the same content is loaded from another source key


class PartitionState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # entering it counts an attempt; left running by a killed run, it counts as missing
    DONE = "done"
    NOT_YET_DUE = "not_yet_due"  # crawled before its year's reports were all due (runs.partitions.finish): run again
    FAILED = "failed"


class PortalOutcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some URLs failed or were blocked
    UNREACHABLE = "unreachable"  # no list page answered: nothing of the portal is known this run


class RunOutcome(StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"  # a stop signal (SIGTERM, SIGHUP, Ctrl-C) or the crawl cancelled: what it stored stays
    FAILED = "failed"  # ended by an exception (named in runs.error)
    KILLED = "killed"  # its process died with no word (SIGKILL, out of memory): marked when the next run begins
