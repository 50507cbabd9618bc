"""Portal health: each recorded run compares every portal it crawled with that portal's own history.

A run can succeed while a portal silently stops giving reports (a moved column, a new CMS, a parser regression):
nothing fails, the gap just grows. So after a run is recorded (`crawl.record_run` → `assess_run`), each of its
portals is judged against its previous `portal_runs` rows and its known reports, and what looks wrong becomes a
flag, stored in `health_flags` (the `portal_health` view and `govreports status` show the latest run's flags as
the portal's open problems) and put on the run's summary for the CLI and the flows to print.

The rules (`error` = we are losing reports now, `warning` = look soon):

- `unreachable` (error): no list page of the portal answered this run.
- `list_failing` (error): some list pages failed this run, and an earlier run read all of them.
- `empty` (error): the lists answered but listed nothing, and an earlier run listed items; or they listed items
  but none titled as an annual report, and an earlier run found reports (a moved column, titles changed).
- `nothing_found` (warning): the lists answered, and neither this run nor any before found an annual report on
  them: a new portal whose config points at the wrong column, selector or title filter (`crawl --dry-run`).
- `list_shrank` (warning): the lists answered, no list page failed, and they listed less than `SHRINK_FRACTION` of
  the portal's usual (the median of its previous `HISTORY` such listings), at least `SHRINK_MIN` items fewer: a
  TRS page 1 that lost its pager script read as a one-page column, an API ignoring its page number, a capped list.
  The items on the pages not read are not seen, new ones among them never found, and nothing failed. Judged on
  the runs that list each column once (nightly, crawl, with or without --year), never a backfill (its row adds up
  a listing per partition). It stays open while the column stays short. A warning: the column's first page, its
  newest items, was still read, and a site may really have cut its column.
- `parse_failures_jump` (warning): at least `JUMP_MIN` parse-type failures, and at least `JUMP_FACTOR` times the
  most of any of the previous `HISTORY` runs (a portal that always has a few stays quiet).
- `overdue` (warning): no report for the latest year whose reports are due, later than both the portal's usual
  time (the median delay after year end with which its previous years' reports were listed) and the legal
  deadline (FORMAT.md §1). Judged only when the portal's lists were read this run.

Plain functions over the database (no Prefect), so they are tested directly.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import statistics
from dataclasses import dataclass

from sqlite_utils import Database

from govreports import clock
from govreports.store.db import write_transaction
from govreports.store.statuses import ItemStatus, PortalOutcome

HISTORY = 10  # previous runs of a portal that parse failures are compared with
JUMP_MIN = 3  # parse failures below this are never a jump
JUMP_FACTOR = 2  # ... and at least this many times the previous maximum
USUAL_YEARS = 5  # previous report years whose listing dates give the portal's usual time
MAX_DELAY_DAYS = 366  # a report listed later than this after its year is a re-post, not a publication date
# list_shrank: a column whose pages answered but listed less than SHRINK_FRACTION of its usual (the median of its
# previous HISTORY clean listings): a lost pager reads one page of N (1/N), an API ignoring its page number one page
# of many; a site taking down a report or two, or the newest page filling up, moves it by a few percent. Half is far
# below the one and far above the other. And at least SHRINK_MIN items fewer: a one-page column the site tidied
# (11 to 2) has no pager to lose, and is no listing that stopped short.
SHRINK_FRACTION = 0.5
SHRINK_MIN = 10
# the runs that list each column once, whatever year they ask (`crawl --year` filters what it found, not what it
# listed): one history. A backfill lists the column once per partition and adds them up; how many, its row does not
# say, so it is neither judged nor a night's usual.
ONE_LISTING_KINDS = ("nightly", "crawl")

ERROR, WARNING = "error", "warning"
LEVELS = {"unreachable": ERROR, "list_failing": ERROR, "empty": ERROR, "nothing_found": WARNING,
          "parse_failures_jump": WARNING, "overdue": WARNING, "list_shrank": WARNING}
ICONS = {ERROR: "✗", WARNING: "⚠"}

_RUN_COLUMNS = ("run_id", "kind", "started_at", "finished_at", "outcome", "pages", "list_failed", "listed", "found",
                "report_titles", "parse_failed", "failures_json")
# items titled as reports in a run; `found` in the rows written before m018 (then, of the years it asked)
_TITLED = "coalesce(report_titles, found)"
# items whose report is known: loaded, a re-post, or one whose last fetch failed (it keeps its report)
_REPORTED = (f"(i.status IN ('{ItemStatus.LOADED.value}', '{ItemStatus.DUPLICATE.value}') OR (i.status IN "
             f"('{ItemStatus.FAILED.value}', '{ItemStatus.BLOCKED.value}') AND i.report_id IS NOT NULL))")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


@dataclass(frozen=True)
class Flag:
    portal: str
    flag: str  # unreachable | list_failing | empty | nothing_found | list_shrank | parse_failures_jump | overdue
    level: str  # error | warning
    detail: str  # one line: what was seen now, against what history

    def line(self) -> str:
        return f"{ICONS.get(self.level, '!')} {self.portal}: {self.flag} — {self.detail}"

    def row(self, run_id: int) -> dict:
        return {"run_id": run_id, "portal": self.portal, "flag": self.flag, "level": self.level,
                "detail": self.detail}


@dataclass(frozen=True)
class PortalRun:
    """One `portal_runs` row, as far as health needs it."""

    run_id: int
    kind: str
    started_at: str
    finished_at: str | None
    outcome: PortalOutcome
    pages: int
    list_failed: int
    listed: int
    found: int
    report_titles: int | None  # None in rows written before m018
    parse_failed: int
    failures_json: str | None

    @property
    def day(self) -> str:
        return (self.started_at or "")[:10]

    @property
    def failures(self) -> dict[str, int]:
        return json.loads(self.failures_json or "{}")


def _flag(portal: str, name: str, detail: str) -> Flag:
    return Flag(portal, name, LEVELS[name], detail)


# --- history -------------------------------------------------------------------------------------------------------

def _runs(db: Database, where: str, params: list, limit: int | None = None) -> list[PortalRun]:
    sql = f"SELECT {', '.join(_RUN_COLUMNS)} FROM portal_runs WHERE {where} ORDER BY run_id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_run(dict(zip(_RUN_COLUMNS, row))) for row in db.execute(sql, params).fetchall()]


def _run(row: dict) -> PortalRun:
    return PortalRun(**{**row, "outcome": PortalOutcome(row["outcome"])})


def _last_before(db: Database, now: PortalRun, portal: str, condition: str, params: tuple = ()) -> PortalRun | None:
    found = _runs(db, f"portal = ? AND run_id < ? AND {condition}", [portal, now.run_id, *params], limit=1)
    return found[0] if found else None


# --- the rules -------------------------------------------------------------------------------------------------------

def _failure_text(failures: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(failures.items()))


def unreachable(db: Database, portal: str, now: PortalRun) -> Flag | None:
    if now.outcome != PortalOutcome.UNREACHABLE:
        return None
    reached = _last_before(db, now, portal, "outcome != ?", (PortalOutcome.UNREACHABLE.value,))
    since = f"last reached {reached.day}" if reached else "never reached"
    failures = _failure_text(now.failures)
    if now.failures and set(now.failures) == {"list"}:  # every page answered, not with the list (Context.unreadable):
        # "no list page answered" sent the user to the network, where the config or the site's markup was wrong
        return _flag(portal, "unreachable", f"no list page could be read: they answered, but not with the list "
                                            f"expected ({now.list_failed} of {now.pages} failed: {failures}; "
                                            f"`govreports crawl --dry-run` says why); {since}")
    return _flag(portal, "unreachable", f"no list page answered ({now.list_failed} of {now.pages} failed"
                                        f"{': ' + failures if failures else ''}); {since}")


def list_failing(db: Database, portal: str, now: PortalRun) -> Flag | None:
    if now.outcome == PortalOutcome.UNREACHABLE or now.list_failed <= 0:
        return None
    clean = _last_before(db, now, portal, "pages > 0 AND list_failed = 0")
    if clean is None:
        return None
    return _flag(portal, "list_failing", f"{now.list_failed} of {now.pages} list pages failed now; "
                                         f"all {clean.pages} answered on {clean.day}")


def _titled(run: PortalRun) -> int:
    return run.found if run.report_titles is None else run.report_titles


def empty(db: Database, portal: str, now: PortalRun) -> Flag | None:
    if now.outcome == PortalOutcome.UNREACHABLE or _titled(now) > 0:
        return None
    if now.listed == 0:
        before = _last_before(db, now, portal, "listed > 0")
        return before and _flag(portal, "empty", f"listed {before.listed} on {before.day}, 0 now")
    before = _last_before(db, now, portal, f"{_TITLED} > 0")
    return before and _flag(portal, "empty", f"{_titled(before)} annual reports listed on {before.day}; now "
                                             f"{now.listed} items listed and none titled as one")


def nothing_found(db: Database, portal: str, now: PortalRun) -> Flag | None:
    if now.outcome == PortalOutcome.UNREACHABLE or _titled(now) > 0:
        return None
    found_before = _last_before(db, now, portal, f"{_TITLED} > 0")
    listed_before = now.listed == 0 and _last_before(db, now, portal, "listed > 0")
    if found_before or listed_before:  # reports found before, or items listed where none are now: that is `empty`
        return None
    seen = f"{now.listed} items listed, none titled as an annual report" if now.listed else "nothing listed"
    return _flag(portal, "nothing_found", f"{seen}, in this run or any before: check the portal's config "
                                          "(`govreports crawl --dry-run`)")


def parse_failures_jump(portal: str, now: PortalRun, previous: list[PortalRun]) -> Flag | None:
    if not previous or now.parse_failed < JUMP_MIN:
        return None
    most = max(p.parse_failed for p in previous)
    if now.parse_failed < JUMP_FACTOR * most:
        return None
    return _flag(portal, "parse_failures_jump",
                 f"{now.parse_failed} parse failures of {now.found} found; at most {most} in the previous "
                 f"{len(previous)} run{'s' if len(previous) != 1 else ''}")


def _usual_listings(db: Database, portal: str, now: PortalRun) -> list[PortalRun]:
    """The portal's previous HISTORY clean listings of its whole column: runs that list it once, every list page
    answered, some item titled as a report, and not themselves named `list_shrank` (a column that stays short stays
    named, as an empty one does: the nights it was short, or empty, are not its usual)."""
    kinds = ", ".join("?" * len(ONE_LISTING_KINDS))
    return _runs(db, f"portal = ? AND run_id < ? AND kind IN ({kinds}) AND list_failed = 0 AND {_TITLED} > 0"
                     " AND outcome != ? AND run_id NOT IN (SELECT run_id FROM health_flags WHERE portal = ?"
                     " AND flag = 'list_shrank')",
                 [portal, now.run_id, *ONE_LISTING_KINDS, PortalOutcome.UNREACHABLE.value, portal], limit=HISTORY)


def _pages(n: int) -> str:
    return f"{n} list page{'s' if n != 1 else ''}"


def list_shrank(db: Database, portal: str, now: PortalRun) -> Flag | None:
    if (now.kind not in ONE_LISTING_KINDS or now.outcome == PortalOutcome.UNREACHABLE or now.list_failed > 0
            or _titled(now) == 0):  # a failed page is list_failing's; no report title (or nothing) listed, empty's
        return None  # (a column moved to a look-alike) or nothing_found's
    usual_runs = _usual_listings(db, portal, now)
    if not usual_runs:
        return None  # a first run has no usual
    usual = statistics.median_low(r.listed for r in usual_runs)
    if now.listed >= SHRINK_FRACTION * usual or usual - now.listed < SHRINK_MIN:
        return None
    last = usual_runs[0]
    if len(usual_runs) == 1:
        history = f"on {last.pages} pages on {last.day}, the previous run"
    else:
        history = (f"the median of the previous {len(usual_runs)} runs; {last.listed} on {last.pages} pages on "
                   f"{last.day}")
    return _flag(portal, "list_shrank", f"listed {now.listed} items on {_pages(now.pages)} now; usually {usual} "
                                        f"({history}): a lost pager, an ignored page parameter or a capped list? "
                                        "(`govreports crawl --dry-run` lists its pages)")


def legal_deadline(year: int, government: bool = True) -> dt.date:
    """The last day the report for `year` may be published (FORMAT.md §1): 31 March of the next year; from the
    2019 reports, 31 January for government departments (本级政府, people's governments, keep 31 March)."""
    if year >= 2019 and not government:
        return dt.date(year + 1, 1, 31)
    return dt.date(year + 1, 3, 31)


def _date(text: str | None) -> dt.date | None:
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def report_years(db: Database, portal: str) -> dict[int, dt.date | None]:
    """The years the portal has given reports for, each with the first date one of them was listed (list date,
    else the report's own publication date, else when we first saw the item)."""
    rows = db.execute(
        "SELECT coalesce(r.year, i.year), i.list_date, r.published, i.first_seen FROM items i"
        " LEFT JOIN reports r ON r.id = i.report_id"
        f" WHERE i.portal = ? AND {_REPORTED}", [portal]).fetchall()
    years: dict[int, dt.date | None] = {}
    for year, list_date, published, first_seen in rows:
        if year is None:
            continue
        when = _date(list_date) or _date(published) or _date(first_seen)
        known = years.get(year)
        years[year] = when if known is None else (min(known, when) if when else known)
    return years


def _government(db: Database, portal: str) -> bool:
    """Whether the later deadline applies: the portal's reports include a people's government's, or none are known.
    A government as the scorecard's deadline reads it (agencies.kind, regions.agency_kind: also one named by its
    place alone, 北京市, and 国务院), so that `status` and the scorecard call the same year due."""
    kinds = [k for (k,) in db.execute(
        "SELECT DISTINCT coalesce(a.kind, 'department') FROM items i JOIN reports r ON r.id = i.report_id"
        f" JOIN agencies a ON a.id = r.agency_id WHERE i.portal = ? AND {_REPORTED} AND a.norm_name != ''",
        [portal]).fetchall()]
    return not kinds or "government" in kinds


def _end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def usual_date(years: dict[int, dt.date | None], year: int) -> dt.date | None:
    """The end of the month by which the portal usually lists a year's report, applied to `year`: the median
    delay after year end over its last USUAL_YEARS earlier years (re-posts listed years later are left out)."""
    delays = []
    for y in sorted((y for y in years if y < year), reverse=True)[:USUAL_YEARS]:
        when = years[y]
        if when is None:
            continue
        delay = (when - dt.date(y + 1, 1, 1)).days
        if delay <= MAX_DELAY_DAYS:
            delays.append(max(delay, 0))
    if not delays:
        return None
    return _end_of_month(dt.date(year + 1, 1, 1) + dt.timedelta(days=int(statistics.median(delays))))


def overdue(db: Database, portal: str, now: PortalRun, today: dt.date) -> Flag | None:
    if now.outcome == PortalOutcome.UNREACHABLE or now.listed == 0:
        return None  # the lists were not read: unreachable / empty say why
    years = report_years(db, portal)
    if not years:
        return None  # a portal that never gave a report has no usual time to be late against
    government = _government(db, portal)
    for year in (today.year - 1, today.year - 2):  # the latest year whose reports are due by today
        deadline = legal_deadline(year, government)
        usual = usual_date(years, year)
        due = max(deadline, usual) if usual else deadline
        if today > due:
            break
    else:
        return None
    if year in years:
        return None
    usually = f"usually listed by {usual:%B}" if usual else "no usual month known"
    return _flag(portal, "overdue", f"no report for {year} yet ({usually}, legal deadline {deadline}); "
                                    f"latest year {max(years)}")


# --- a run ---------------------------------------------------------------------------------------------------------

def assess_portal(db: Database, portal: str, now: PortalRun, today: dt.date) -> list[Flag]:
    previous = _runs(db, "portal = ? AND run_id < ?", [portal, now.run_id], limit=HISTORY)
    checks = (unreachable(db, portal, now), list_failing(db, portal, now), empty(db, portal, now),
              nothing_found(db, portal, now), list_shrank(db, portal, now), parse_failures_jump(portal, now, previous),
              overdue(db, portal, now, today))
    return [flag for flag in checks if flag is not None]


def assess_run(db: Database, run_id: int, *, today: dt.date | None = None) -> list[Flag]:
    """Judge every portal of run `run_id` and store its flags (again: assessing a run twice replaces them)."""
    today = today or clock.china_today()  # the deadline is China's midnight (FORMAT.md §1), not the machine's
    flags: list[Flag] = []
    for (portal,) in db.execute("SELECT portal FROM portal_runs WHERE run_id = ? ORDER BY portal",
                                [run_id]).fetchall():
        now = _runs(db, "portal = ? AND run_id = ?", [portal, run_id])[0]
        flags += assess_portal(db, portal, now, today)
    flags.sort(key=lambda f: (f.level != ERROR, f.portal, f.flag))
    with write_transaction(db):
        db.execute("DELETE FROM health_flags WHERE run_id = ?", [run_id])
        if flags:
            db["health_flags"].insert_all(f.row(run_id) for f in flags)
    return flags


def open_problems(db: Database) -> list[Flag]:
    """The flags of each portal's latest run."""
    rows = db.execute(
        "SELECT f.portal, f.flag, f.level, f.detail FROM health_flags f"
        " JOIN (SELECT portal, max(run_id) AS run_id FROM portal_runs GROUP BY portal) l"
        " ON l.portal = f.portal AND l.run_id = f.run_id ORDER BY f.portal, f.level = 'warning', f.flag").fetchall()
    return [Flag(*row) for row in rows]


def markdown(flags: list[Flag], portals: int, title: str) -> str:
    """The flags as a markdown report (the flows' `portal-health` artifact)."""
    lines = [f"# {title}", ""]
    if not flags:
        lines.append(f"All {portals} portal{'s' if portals != 1 else ''} healthy: no flags.")
        return "\n".join(lines) + "\n"
    lines += ["| portal | level | flag | detail |", "|---|---|---|---|"]
    for f in flags:
        detail = f.detail.replace("|", "\\|")
        lines.append(f"| {f.portal} | {ICONS.get(f.level, '')} {f.level} | {f.flag} | {detail} |")
    return "\n".join(lines) + "\n"
