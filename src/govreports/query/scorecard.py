"""The compliance analyses (issue 11): who reported, on time, in the right format, with numbers that add up.

They read the `scorecard` and `late` views (store.migrations.SCORECARD_SQL: one row per agency and year it is
expected to report for — from its first report through its latest, and each later year once its deadline under
FORMAT.md §1 has passed, whether or not any report covers that year yet (store.migrations.due_years) — with its
deadline), so `govreports analyze scorecard|late|compliance`, Datasette's canned queries and anyone's own SQL
agree. Since m011 the views read `agency_years` (a row per expected agency-year, kept by the loader), in the
listings' order by an index, so a listing's first page streams; compliance adds up the counts m028 keeps of that
table (agency_year_counts) for every agency, a year or a province, and counts the table's covering index for a
city, county or path, with the view's condition (china_time.visible). `--region` matches a level of an agency's
region, the full name or its start: 江苏省, 江苏, 宿迁市, 宿迁, 沭阳县, 全国 (national bodies) — the highest level it
names anywhere (海南 is 海南省, not 青海省's 海南藏族自治州); a path matches every level it names (上海市/普陀区, not
浙江省舟山市's 普陀区; 青海/海南 reaches the prefecture).
"""

from __future__ import annotations

import json

from govreports.errors import GovreportsError
from govreports.query.analyses import YEAR, Analysis, Param
from govreports.regions import NATIONAL, PROVINCES
from govreports.store.migrations.china_time import visible
from govreports.store.migrations.late_missing import status_sql
from govreports.text import compact, t2s

REGION = Param("region", "province, city or county, or the start of one: 江苏省, 江苏, 宿迁市, 全国 (the highest level "
                          "it names: 海南 is 海南省); a path matches each level it names: 上海市/普陀区, 青海/海南")


def _level(value: str, row: str = "s") -> str:
    """SQL: `value` is one of the levels of the row `row`, or the start of one (江苏 → 江苏省); NULL where no level
    matches and one is NULL."""
    return (f"({value} IN ({row}.province, {row}.city, {row}.county) OR instr({row}.province, {value}) = 1"
            f" OR instr({row}.city, {value}) = 1 OR instr({row}.county, {value}) = 1)")


# every province-level name and 全国: an agency's province is always one of them (regions.parse_region)
_PROVINCES = json.dumps([*PROVINCES, NATIONAL], ensure_ascii=False).replace("'", "''")

# whitespace dropped from a region in SQL too, as the CLI drops it (text.compact): Datasette's canned queries run
# this SQL on the form's text as typed, where '江苏 ' selected nothing. The spaces one types or pastes (ASCII
# whitespace, no-break, ideographic): the rest of what \s matches (U+2000–U+200A …) would be 21 more calls in SQL
# that Datasette shows on the query's page
_SPACES = (32, 9, 10, 11, 12, 13, 160, 12288)


def _compact(value: str) -> str:
    """SQL: `value` without the whitespace of _SPACES (most of what text.compact removes; not its NFKC, nor t2s)."""
    for space in _SPACES:
        value = f"replace({value}, char({space}), '')"
    return value


# `arg` is the region asked for, without whitespace; the queries read it as _TEXT (once: an uncorrelated subquery).
# A path ("上海市/普陀区") matches where every level it names does: read as its last level alone, 上海市/普陀区 also
# listed 浙江省舟山市's 普陀区. Its levels (`want`, split once: json_each over the path made a JSON array by
# json_quote, which escapes what a string may not hold; pasted between quotes, a tab or control character in the
# text failed the whole query with "malformed JSON") are matched per row, each at any level.
# A single name matches one level (`tier`, decided once): the highest it is the start of — a province (from the
# full list), else a city of an agency in the database, else a county. Matched at any level, 海南 also listed 青海省's
# 海南藏族自治州 (a user typing the start of a province means the province; 青海/海南 reaches the prefecture), and
# 朝阳 now means 辽宁省's 朝阳市, not 北京市's 朝阳区 as well (北京/朝阳 is the district). tier: 0 no region given,
# 1 province, 2 city, 3 county, 4 a path.
_TEXT = "(SELECT text FROM arg)"
_WANT = f"""arg AS MATERIALIZED (SELECT {_compact(':region')} AS text),
want AS MATERIALIZED (SELECT value FROM arg, json_each('[' || replace(json_quote(text), '/', '","') || ']')
  WHERE instr(text, '/') > 0 AND value <> ''),
tier AS MATERIALIZED (SELECT CASE WHEN text = '' THEN 0 WHEN instr(text, '/') > 0 THEN 4
    WHEN EXISTS (SELECT 1 FROM json_each('{_PROVINCES}') WHERE instr(value, text) = 1) THEN 1
    WHEN EXISTS (SELECT 1 FROM agencies WHERE instr(city, text) = 1) THEN 2 ELSE 3 END AS level FROM arg)"""


def _region(row: str) -> str:
    """SQL: the row `row` (with province, city and county) is in the region asked for."""
    return f"""CASE (SELECT level FROM tier) WHEN 0 THEN 1 WHEN 1 THEN instr({row}.province, {_TEXT}) = 1
    WHEN 2 THEN instr({row}.city, {_TEXT}) = 1 WHEN 3 THEN instr({row}.county, {_TEXT}) = 1
    ELSE NOT EXISTS (SELECT 1 FROM want p WHERE NOT coalesce({_level('p.value', row)}, 0)) END"""


_REGION = _region("s")
_YEAR = "(:year = '' OR s.year = CAST(:year AS INTEGER))"
_WHERE = f"""{_YEAR}
  AND {_REGION}"""

# The agency-years `s` of the agencies in the region: each place the agencies are in (province, city, county: the
# covering index agencies_province, in its order) tested for the region once, then its agencies (`a`, by that index)
# and theirs by key, as a range (see COMPLIANCE). Testing each agency cost ~57 SQLite steps for a path (each of its
# levels against each of the agency's), in the region or not; a country has far fewer places than agencies. An
# agency-year carries its agency's region (agency_years' copies): one in its agency's place is in the region
# without testing it again, and one whose copy differs is tested, so the rows are those of testing each.
_PLACES_YEARS = """(SELECT DISTINCT province, city, county FROM agencies) p
  CROSS JOIN agencies a ON a.province IS p.province AND a.city IS p.city AND a.county IS p.county
  CROSS JOIN agency_years s ON s.agency_id BETWEEN a.id AND a.id"""
_IN_PLACE = f"(s.province IS p.province AND s.city IS p.city AND s.county IS p.county OR {_REGION})"

SCORECARD = Analysis(
    "scorecard", "Compliance scorecard: each agency, each year", "政府信息公开年报合规情况（机关 × 年度）",
    "One row per agency and year it is expected to report for (from its first report through its latest, and each "
    "later year once its deadline has passed, whether or not any report covers it yet): "
    "found or missing, published (and which source gave the date: meta, page, list, closing), the deadline "
    "(≤2018: 31 March for all; from 2019: 31 January for departments, 31 March for a people's government's own "
    "report), days late, the format expected and found, failed rules R1–R4, share of blank cells, sections 一–六.",
    f"""WITH {_WANT}
SELECT s.province, s.city, s.county, s.agency, s.kind, s.year, s.found, s.published, s.published_source,
  s.deadline, s.days_late, s.on_time, s.format_expected, s.format, s.format_ok, s.rules_failed, s.rules_ok,
  s.blank_share, s.sections_present, s.report_id, s.agency_id
FROM scorecard s
WHERE {_WHERE}
ORDER BY s.province IS NULL, s.province, s.city, s.county, s.agency, s.year""",
    (YEAR, REGION), needs_reports=True, expected_years=True)

LATE = Analysis(
    "late", "Late and missing reports, by province", "逾期发布或缺报的年报（按地区）",
    "Scorecard rows whose report is missing (a year from its first report on, once its deadline has passed) or "
    "was published "
    "after the deadline; a report without a date is neither. Ordered by province, city, county, then agency.",
    f"""WITH {_WANT}
SELECT s.province, s.city, s.county, s.agency, s.kind, s.year,
  CASE WHEN s.found = 0 THEN 'missing' ELSE 'late' END AS status, s.published, s.published_source, s.deadline,
  s.days_late, s.report_id, s.agency_id
FROM late s
WHERE {_WHERE}
ORDER BY s.province IS NULL, s.province, s.city, s.county, s.agency, s.year""",
    (YEAR, REGION), needs_reports=True, expected_years=True)

# Every agency, a year or a province: the counts m028 keeps by province, year, kind and tail (which decide whether an
# agency-year is due: `visible`) and status (late_missing's) answer it; counting every agency-year took 1.36 M SQLite
# steps at 25,000 reports (31,000 agency-years), --year 368 k, --region 江苏 732 k. A city, a county or a path is not in
# them: those count the agency-years of the agencies in the region (_PLACES_YEARS: each agency's by its key, the
# agencies read first: testing every agency-year for the region took 1.9 M SQLite steps at 25,000 reports, an agency's
# agency-years carry its region; the key as a range: as an equality, with ANALYZE's statistics, SQLite read every
# agency-year into a Bloom filter first). Each branch reads the region's tier first (CROSS JOIN: the outer loop), so the
# one it does not want reads no row (a condition on a subquery was tested on every row: SQLite only tests a constant one
# before its loops). HAVING: a count of 0 (the triggers delete them) is no agency expected.
COMPLIANCE = Analysis(
    "compliance", "Compliance by province and year", "各地区各年度年报发布情况汇总",
    "Per province and year: agencies expected to report, reports found, missing, on time, late, without a date, "
    "and the share published on time (of those expected).",
    f"""WITH {_WANT},
c AS (
  SELECT s.province, s.year, s.status, s.n FROM tier CROSS JOIN agency_year_counts s
  WHERE tier.level <= 1 AND {visible('s')} AND (:year = '' OR s.year = CAST(:year AS INTEGER))
    AND (tier.level = 0 OR instr(s.province, {_TEXT}) = 1)
  UNION ALL
  SELECT s.province, s.year, {status_sql('s')}, 1 FROM tier CROSS JOIN {_PLACES_YEARS}
  WHERE tier.level > 1 AND {_region('p')} AND {visible('s')} AND {_YEAR} AND {_IN_PLACE})
SELECT c.province, c.year, sum(c.n) AS expected, sum(CASE WHEN c.status != 'missing' THEN c.n ELSE 0 END) AS found,
  sum(CASE WHEN c.status = 'missing' THEN c.n ELSE 0 END) AS missing,
  sum(CASE WHEN c.status = 'on_time' THEN c.n ELSE 0 END) AS on_time,
  sum(CASE WHEN c.status = 'late' THEN c.n ELSE 0 END) AS late,
  sum(CASE WHEN c.status = 'no_date' THEN c.n ELSE 0 END) AS no_date,
  round(100.0 * sum(CASE WHEN c.status = 'on_time' THEN c.n ELSE 0 END) / sum(c.n), 1) AS on_time_pct
FROM c
GROUP BY c.province, c.year HAVING sum(c.n) > 0
ORDER BY c.year, c.province IS NULL, c.province""",
    (YEAR, REGION), needs_reports=True, expected_years=True)

ANALYSES = {a.name: a for a in (SCORECARD, LATE, COMPLIANCE)}


# the agency-years `s` of the agencies in the region (_PLACES_YEARS: the places that match read first, then their
# agencies, each one's agency-years by its key)
_REGIONS_YEARS = f"{_PLACES_YEARS} AND {_region('p')} AND {_IN_PLACE}"


def check_expected(conn, year: int, region: str) -> None:
    """Raise NoReports when no agency in `region` (resolve_region's value) is expected to report for `year`: the
    listing would be empty, which for `late` reads "nobody there was late" (`late --region 广东 --year 2019`, an
    agency whose first report is for 2023). Read from agency_years, as compliance counts it, the region's agencies
    first: testing every agency-year for a region took ~1 M SQLite steps at 25,000 reports (a path 2.2 M) when
    none was expected."""
    from govreports.query.analyses import NoReports, _years

    params = {"year": str(year), "region": region}
    if conn.execute(f"WITH {_WANT} SELECT 1 FROM {_REGIONS_YEARS} WHERE {visible('s')} AND {_YEAR} LIMIT 1",
                    params).fetchone() is not None:
        return
    years = [y for (y,) in conn.execute(
        f"WITH {_WANT} SELECT DISTINCT s.year FROM {_REGIONS_YEARS} WHERE {visible('s')} ORDER BY s.year", params)]
    raise NoReports(f"no agency in {region} is expected to report for {year}"
                    + (f" (years expected there: {_years(years)})" if years else ""))


class RegionNotFound(GovreportsError):
    """No agency is in the region asked for (exit 1); the message lists the provinces there are."""


def resolve_region(conn, text: str) -> str:
    """The value `--region` filters by: a name, or a path whose every level is matched ("江苏省 / 宿迁市" →
    江苏省/宿迁市), normalised; an error naming the provinces in the database when no agency is there."""
    parts = [t2s(compact(p)) for p in str(text).split("/") if compact(p)]
    if not parts:
        raise RegionNotFound("give a region: a province, city or county (江苏省, 宿迁市, 沭阳县)")
    value = "/".join(parts)
    hit = conn.execute(f"WITH {_WANT} SELECT 1 FROM agencies s WHERE {_REGION} LIMIT 1", {"region": value}).fetchone()
    if hit is None:
        provinces = [r[0] for r in conn.execute(
            "SELECT province FROM agencies WHERE province IS NOT NULL GROUP BY province ORDER BY count(*) DESC")]
        there = f"; provinces in the database: {', '.join(provinces)}" if provinces else \
            " (no agency in the database has a region)"
        raise RegionNotFound(f"no agency in region {text!r}{there}")
    return value
