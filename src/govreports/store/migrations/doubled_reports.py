"""m023: a source's report that the loader before m021 stored twice, merged into one.

A page read again with its agency's name mended (甲市教肓局 → 甲市教育局, …办公厅关于 → …办公厅), or the very same
document body read again by a better parser giving another agency or year, became a second report beside the
first, both current: every analysis counted that agency-year twice. Today's loader gives the source's report a
new version instead (store.load._rekeyed), but only when the source holds one report, so the doubles it inherited
stayed, and a third reading could add a third. Here they become what that loader would have made: one report.

Within a source, two reports are one when of the same year under agency names one of which mends the other
(`store.same_report.mended`), or when their current versions were read from the same body; a fixed address serving next year's
report, or a reused path holding another agency's, stays a report of its own. The report whose current version
was loaded last survives with its agency, year and current version; the others' versions follow its own, in the
order they were loaded, except one whose content it already has (it and its rows go).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from govreports.store.migrations.agency_years import refresh_agency_years
from govreports.store.migrations.registry import migrations

# The reports of every source holding more than one (the source index alone answers which: no report is read
# when none does), each source's in the order their current versions were loaded
_SHARED_SOURCES = """SELECT r.id, r.source_key, r.agency_id, r.year, a.norm_name, r.current_version_id, d.sha256
FROM (SELECT source_key FROM reports WHERE source_key != '' GROUP BY source_key HAVING count(*) > 1) s
JOIN reports r ON r.source_key = s.source_key JOIN agencies a ON a.id = r.agency_id
JOIN report_versions v ON v.id = r.current_version_id LEFT JOIN documents d ON d.id = v.document_id
ORDER BY r.source_key, v.loaded_at, v.id"""
_CHILDREN = ("cell_values", "check_values", "sections", "row_totals")


def merge_doubled_reports(conn) -> int:
    """Merge every source's doubled reports, in the caller's transaction; how many reports were merged away."""
    from govreports.store.children import add_current_sums  # (the loader imports this package)

    by_source: dict[str, list[tuple]] = {}
    for row in conn.execute(_SHARED_SOURCES):
        by_source.setdefault(row[1], []).append(row)
    groups = [group for rows in by_source.values() for group in _one_report(rows) if len(group) > 1]
    if not groups:
        return 0
    losers = [row for group in groups for row in group[:-1]]
    # the sums lose the merged-away current versions while every row they read is still there
    add_current_sums(conn, [(row[5], row[3], -1) for row in losers])
    conn.executemany("UPDATE reports SET current_version_id = NULL WHERE id = ?", [(row[0],) for row in losers])
    for *merged, survivor in groups:
        _move_versions(conn, survivor[0], [row[0] for row in merged])
    # the crawl's items follow, in one pass over them (no index has their report): {merged id: survivor id}
    mapping = json.dumps({row[0]: group[-1][0] for group in groups for row in group[:-1]})
    conn.execute("UPDATE items SET report_id = json_extract(:map, '$.\"' || report_id || '\"')"
                 " WHERE report_id IN (SELECT CAST(key AS INTEGER) FROM json_each(:map))", {"map": mapping})
    conn.executemany("DELETE FROM reports WHERE id = ?", [(row[0],) for row in losers])
    refresh_agency_years(conn, {row[2] for group in groups for row in group})
    return len(losers)


def _one_report(rows: list[tuple]) -> list[list[tuple]]:
    """One source's reports (loaded-last last) grouped into the reports they are: two are one when one's agency
    name mends the other's in the same year, or their current versions share a body (store.load._rekeyed's
    rules); each group in load order, its survivor last."""
    from govreports.store.same_report import mended

    group = list(range(len(rows)))
    for later, (_, _, _, year, norm, _, body) in enumerate(rows):
        for earlier in range(later):
            _, _, _, old_year, old_norm, _, old_body = rows[earlier]
            if (body is not None and body == old_body) or (year == old_year and mended(old_norm, norm)):
                old_group = group[earlier]
                group = [group[later] if g == old_group else g for g in group]
    found: dict[int, list[tuple]] = {}
    for row, g in zip(rows, group):
        found.setdefault(g, []).append(row)
    return list(found.values())


def _move_versions(conn, survivor: int, merged: list[int]) -> None:
    """The versions of the reports `merged` numbered on after `survivor`'s, in load order, with their child rows;
    one whose content (sha256) `survivor` already has is deleted with its rows. `survivor` was first seen when
    the first of them was."""
    ids = json.dumps(merged)
    shas = {sha for (sha,) in conn.execute("SELECT sha256 FROM report_versions WHERE report_id = ?", [survivor])}
    number = conn.execute("SELECT max(version) FROM report_versions WHERE report_id = ?", [survivor]).fetchone()[0]
    for version_id, sha in conn.execute("SELECT id, sha256 FROM report_versions WHERE report_id IN"
                                        " (SELECT value FROM json_each(?)) ORDER BY loaded_at, id", [ids]).fetchall():
        if sha in shas:
            for table in _CHILDREN:  # (a deleted section leaves the search index through its trigger)
                conn.execute(f"DELETE FROM {table} WHERE version_id = ?", [version_id])
            conn.execute("DELETE FROM report_versions WHERE id = ?", [version_id])
            continue
        shas.add(sha)
        number += 1
        conn.execute("UPDATE report_versions SET report_id = ?, version = ? WHERE id = ?",
                     [survivor, number, version_id])
        for table in ("sections", "row_totals"):  # (a section updated is indexed again by its trigger)
            conn.execute(f"UPDATE {table} SET report_id = ? WHERE version_id = ?", [survivor, version_id])
    conn.execute("UPDATE reports SET first_seen = (SELECT min(first_seen) FROM reports WHERE id = :id"
                 " OR id IN (SELECT value FROM json_each(:ids))) WHERE id = :id", {"id": survivor, "ids": ids})


@migrations()
def m023_doubled_reports_merged(db: Database) -> None:
    merge_doubled_reports(db.conn)
