"""National scale, simulated (issue 12 part 6): a synthetic database of `--reports` reports, as many agencies'
reports over a decade (2014–2023, every one with the three tables: ~200 cells each, 300,000 reports ~ 60 M cells),
loaded as the one writer does (crawl.events.apply_events: store.load.prepare, then one transaction per batch) with
a `documents` row and an `items` row each.

Prints: load time and rate (overall and per tenth of the load, to show how the one writer slows as the database
grows), database size, every analysis unfiltered and filtered (a year, an agency, a province) streamed through
open_analysis (a listing of more than PAGE rows: the time to its first page, and to its last row), search (a word
of 3+ characters, a 2-character word, a rare word, each alone and with a year), peak RSS, the cost of m011's
agency_years to the writer (its fill, one batch's upkeep), and the database cost per 1,000 reports of a no-change nightly: the 304 path (the validators lookup and the item
lookup each report costs) and an unchanged reload (a document re-fetched whole, its record loaded again: hash,
lookups, nothing written).

Figures are wall clock on whatever machine runs it (a shared machine: take the best of several runs, and say so).
The queries are measured by default without ANALYZE's statistics, the planner's worst case (a crawled database
before 2026-12-08 had none; since, each writer's close runs `PRAGMA optimize`, store.db.optimize, which counts the
tables its queries used); `--analyze` measures them with every table's statistics, as bench runs before 2026-12-07
did (a plan can be better or worse with them: tests/test_query_plans.py holds the analyses to both).
Usage: PYTHONPATH=src python bench/scale.py [--reports 300000] [--db PATH] [--keep] [--reuse] [--analyze]
(--reuse: the reports already in --db are the ones measured, whatever --reports says)
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from govreports.demo.records import make_record
from govreports.query.analyses import ANALYSES, open_analysis
from govreports.store import open_db, search_sections
from govreports.store.documents import get_item, latest_document
from govreports.store.load import LOAD_BATCH, load_prepared, prepare
from govreports.store.migrations.agency_years import rebuild_agency_years, refresh_agency_years
from govreports.store.statuses import LoadStatus

GOAL_MS = 200.0
RSS_GOAL_MB = 300.0
YEARS = range(2014, 2024)
PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区")


def agency_name(i: int) -> str:
    province = PROVINCES[i % len(PROVINCES)]
    return f"{province}测试第{i}局" if i % 10 else f"{province}测试第{i}县人民政府"


def portal_of(i: int) -> str:
    return f"portal-{i % len(PROVINCES):02d}"


def url_of(i: int, year: int) -> str:
    return f"http://www.p{i % len(PROVINCES):02d}.gov.cn/gk/{i}/{year}.html"


def synthetic(n: int, seed: int = 7):
    """(record, document, portal) for n reports: agencies × 2014–2023, ~3% of (agency, year) skipped (missing),
    ~5% failing R1. Years before 2019 get a 2019-format record with the year changed: real pre-2019 reports are
    free-form, but the sizing target is every report with its tables."""
    rnd = random.Random(seed)
    made = 0
    agency = 0
    while made < n:
        name = agency_name(agency)
        for year in YEARS:
            if made >= n:
                break
            if rnd.random() < 0.03:
                continue
            record = make_record(seed, name, max(year, 2019), checks=True)
            record["year"] = year
            if rnd.random() < 0.05:
                record["checks"][0].update(ok=False, detail="synthetic failure")
            url = url_of(agency, year)
            document = {"url": url, "final_url": url, "fetched_at": "2024-04-01T00:00:00+00:00",
                        "sha256": f"{agency:032x}{year:032x}", "media_type": "text/html"}
            yield record, document, portal_of(agency)
            made += 1
        agency += 1


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, n: int, batch: int, analyze: bool = False) -> dict:
    db = open_db(path)
    cells = reports = 0
    load_s = items_s = load_cpu = prepare_s = 0.0
    tenths: list[float] = []
    tenth, tenth_start = max(1, n // 10), (0.0, 0.0, 0)
    pending: list = []
    start = time.perf_counter()

    def flush() -> None:
        """One batch as the writer applies it (crawl.events.apply_events): every record prepared (hash, identity,
        child rows; outside the write lock, but in the writer's process), then written in one transaction. Both
        are timed: prepare left out of the clock (~0.33 ms of CPU a report, a quarter of the writer's) made the
        rate a quarter too high (3,000 reports: ~1,030 reports/s without it, 830 with it)."""
        nonlocal cells, load_s, items_s, load_cpu, prepare_s
        t0, c0 = time.perf_counter(), time.process_time()
        prepared = [(prepare(record, document, source_key=document["url"]), portal)
                    for record, document, portal in pending]
        prepare_s += time.perf_counter() - t0
        results = load_prepared(db, [p for p, _ in prepared])
        t1 = time.perf_counter()
        load_cpu += time.process_time() - c0
        with db.conn:  # the items rows the crawl writes beside each load (save_item), one transaction per batch
            db.conn.executemany(
                "INSERT INTO items (portal, url, list_title, year, document_id, report_id, status, first_seen,"
                " last_seen) VALUES (?, ?, ?, ?, (SELECT max(id) FROM documents WHERE url = ?), ?, 'loaded', ?, ?)",
                [(portal, p.source_key, p.record.get("title"), p.year, p.source_key, r.report_id,
                  "2024-04-01T00:00:00+00:00", "2024-04-01T00:00:00+00:00")
                 for (p, portal), r in zip(prepared, results)])
        items_s += time.perf_counter() - t1
        load_s += t1 - t0
        cells += sum(r.cells for r in results if r.status == LoadStatus.NEW)
        pending.clear()

    for record, document, portal in synthetic(n):
        pending.append((record, document, portal))
        reports += 1
        if len(pending) >= batch:
            flush()
        if reports % tenth == 0 and load_cpu > tenth_start[1]:  # the load's own rate over this tenth: wall, CPU
            done = reports - tenth_start[2] - len(pending)
            tenths.append((done / (load_s - tenth_start[0]), done / (load_cpu - tenth_start[1])))
            tenth_start = (load_s, load_cpu, reports - len(pending))
    if pending:
        flush()
    total_s = time.perf_counter() - start
    t0 = time.perf_counter()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if analyze:
        db.execute("ANALYZE")
    finish_s = time.perf_counter() - t0
    db.close()
    return {"reports": reports, "cells": cells, "load_s": load_s, "items_s": items_s, "total_s": total_s,
            "finish_s": finish_s, "tenths": tenths, "load_cpu": load_cpu, "prepare_s": prepare_s}


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), result


PAGE = 1000  # rows of a listing's first page (Datasette's max_returned_rows)


def streamed(path: Path, name: str, params: dict, repeat: int = 3) -> tuple[float, float, int]:
    """An analysis streamed (open_analysis): the best time to its first PAGE rows, to its last row, and its rows;
    rows are counted, never held."""
    first, whole, count = [], [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        with open_analysis(path, name, timeout=None, **params) as stream:  # a bench measures, never stops
            count = 0
            for _row in stream:
                count += 1
                if count == PAGE:
                    first.append((time.perf_counter() - t0) * 1000)
        whole.append((time.perf_counter() - t0) * 1000)
    return (min(first) if first else min(whole)), min(whole), count


def verdict(ms: float) -> str:
    return "OK" if ms < GOAL_MS else "MISSED"


def queries(path: Path, n_agencies: int) -> list[tuple[str, float]]:
    out = []
    agency = agency_name(min(13, n_agencies - 1))
    cases = []
    for name, analysis in ANALYSES.items():
        accepted = {p.name for p in analysis.params}
        required = {p.name for p in analysis.params if p.required}
        base = {"agency": agency, "year": 2022} if required >= {"agency"} else {}
        base.update({"year": 2022} if "year" in required else {})
        cases.append((name, base))
        if "year" in accepted and "year" not in base:
            cases.append((name, {**base, "year": 2022}))
        if "agency" in accepted and "agency" not in base:
            cases.append((name, {**base, "agency": agency}))
        if "region" in accepted:
            cases.append((name, {**base, "region": "江苏"}))
    for name, params in cases:
        (first_ms, all_ms, rows) = streamed(path, name, params)
        label = f"analysis {name} {' '.join(f'--{k} {v}' for k, v in params.items())}".strip()
        if rows > PAGE:  # a listing: what a reader waits for is its first page; the whole stream is printed too
            print(f"{label:<52} {first_ms:8.1f} ms first {PAGE:,} rows, best of 3 [{verdict(first_ms)}]; "
                  f"all {rows:,} rows streamed {all_ms:,.0f} ms")
            out.append((label, first_ms))
        else:
            print(f"{label:<52} {all_ms:8.1f} ms best of 3, {rows:>7,} rows [{verdict(all_ms)}]")
            out.append((label, all_ms))
    db = open_db(path, migrate=False)
    try:
        for words, year in (("政府信息公开", None), ("政府信息公开", 2022), ("行政复议 决定", None), ("复议", None),
                            ("复议", 2022), ("不存在的词", None), ("监督", 2022), ("监督", None),
                            ("督", None), ("监督 政府信息公开", None), ("复议 开展", None), ("事项 开展", None),
                            ("情况 开展", None), ("总体情况", None)):
            ms, hits = timed(lambda: search_sections(db, words, limit=50, year=year))
            label = f"search {words!r}" + (f" --year {year}" if year else "")
            print(f"{label:<52} {ms:8.1f} ms best of 3, {len(hits):>7,} hits [{verdict(ms)}]")
            out.append((label, ms))
    finally:
        db.close()
    return out


def agency_years_cost(path: Path, repeat: int = 3) -> None:
    """What m011's agency_years costs the writer: its fill from every report (the migration), and the loader's
    upkeep of one batch (LOAD_BATCH agencies rewritten), each in a transaction rolled back; best of `repeat`."""
    db = open_db(path, migrate=False)
    conn = db.conn
    try:
        ids = [r[0] for r in conn.execute("SELECT DISTINCT agency_id FROM agency_years ORDER BY random() LIMIT ?",
                                          [LOAD_BATCH])]

        def rolled_back(fn) -> float:
            conn.execute("BEGIN")
            try:
                t0 = time.perf_counter()
                fn(conn)
                return (time.perf_counter() - t0) * 1000
            finally:
                conn.execute("ROLLBACK")

        fill = min(rolled_back(rebuild_agency_years) for _ in range(repeat))
        batch = min(rolled_back(lambda c: refresh_agency_years(c, ids)) for _ in range(repeat))
        rows = conn.execute("SELECT count(*) FROM agency_years").fetchone()[0]
    finally:
        db.close()
    print(f"agency_years (m011): fill from every report {fill:,.0f} ms for {rows:,} agency-years; loader upkeep "
          f"{batch:.1f} ms per batch of {len(ids)} agencies ({batch / max(len(ids), 1):.2f} ms a report), best of "
          f"{repeat}")


def nightly_cost(path: Path, n: int, sample: int = 1000) -> None:
    """Database cost of a no-change nightly, per 1,000 reports (the HTTP side is bench/crawl_speed's)."""
    rnd = random.Random(11)
    picked = sorted(rnd.sample(range(n), min(sample, n)))
    chosen = [item for i, item in enumerate(synthetic(max(picked) + 1)) if i in set(picked)]
    db = open_db(path, migrate=False)
    try:
        t0 = time.perf_counter()
        for record, document, portal in chosen:
            latest_document(db, document["url"])  # the validators of the conditional GET
            get_item(db, portal, document["url"])  # the item's facts (304: unchanged, nothing written)
        lookups = (time.perf_counter() - t0) * 1000 * 1000 / len(chosen)
        prepared = [prepare(r, d, source_key=d["url"]) for r, d, _ in chosen]
        t0 = time.perf_counter()
        results = load_prepared(db, prepared, dedupe=True)
        reload = (time.perf_counter() - t0) * 1000 * 1000 / len(chosen)
        t1 = time.perf_counter()
        [prepare(r, d, source_key=d["url"]) for r, d, _ in chosen]
        hashing = (time.perf_counter() - t1) * 1000 * 1000 / len(chosen)
    finally:
        db.close()
    assert {r.status for r in results} == {LoadStatus.UNCHANGED}, {r.status for r in results}
    print(f"no-change nightly, database side, per 1,000 reports: 304 path (validators + item lookups) "
          f"{lookups:.0f} ms; whole body re-fetched and its record reloaded unchanged {reload + hashing:.0f} ms "
          f"({hashing:.0f} ms of it preparing the record: hash, identity and child rows, outside the write lock)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=LOAD_BATCH)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument("--analyze", action="store_true",
                        help="measure the queries with ANALYZE's statistics of every table (default: none)")
    parser.add_argument("--reuse", action="store_true",
                        help="--db exists: skip the build, run the queries on the reports it holds")
    args = parser.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="govreports-scale-")
    path = args.db or Path(tmp.name) / "scale.db"
    if not args.reuse:
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        b = build(path, args.reports, args.batch, args.analyze)
        print(f"built {b['reports']:,} reports, {b['cells']:,} cells in {b['total_s']:.1f} s wall (synthesis "
              f"included); the writer (prepare + load_prepared, as apply_events) {b['load_s']:.1f} s, "
              f"{b['prepare_s']:.1f} s of it preparing = {b['cells'] / b['load_s']:,.0f} cells/s, "
              f"{b['reports'] / b['load_s']:,.0f} reports/s (CPU {b['load_cpu']:.1f} s: "
              f"{b['cells'] / b['load_cpu']:,.0f} cells per CPU second); items {b['items_s']:.1f} s; "
              f"checkpoint{' + ANALYZE' if args.analyze else ''} "
              f"{b['finish_s']:.1f} s")
        print("the writer's reports/s per tenth of the build, wall/CPU (does the one writer slow as it grows?): "
              + ", ".join(f"{w:,.0f}/{c:,.0f}" for w, c in b["tenths"]))
    else:  # a database built by an older version: its pending migrations, timed (m009 counts current_sums)
        t0 = time.perf_counter()
        db = open_db(path)
        built = db.execute("SELECT count(*) FROM reports").fetchone()[0]
        if args.analyze:
            db.execute("ANALYZE")
        counted = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is not None
        db.close()
        if counted and not args.analyze:
            print("note: this file holds ANALYZE's statistics (an older bench, or PRAGMA optimize, counted them): "
                  "its queries are measured with them")
        print(f"opened with migrations applied in {time.perf_counter() - t0:.1f} s: {built:,} reports")
        # the size per report, the agency asked for and the nightly's sample are the file's: a --reports that
        # differs (the default 300,000 on a smaller file) gave the wrong kB a report, and the nightly's sample then
        # loaded reports the file never had (new ones, written into it) before its assertion stopped the run
        args.reports = built
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    print(f"database size {size / 1e9:.2f} GB ({size / max(args.reports, 1) / 1e3:.1f} kB per report); "
          f"peak RSS so far {rss_mb():.0f} MB")
    results = queries(path, n_agencies=max(1, args.reports // len(YEARS)))
    agency_years_cost(path)
    nightly_cost(path, args.reports)
    rss = rss_mb()
    print(f"peak RSS {rss:.0f} MB [goal <= {RSS_GOAL_MB:.0f} MB: {'OK' if rss <= RSS_GOAL_MB else 'MISSED'}]")
    slow = [label for label, ms in results if ms >= GOAL_MS]
    print(f"{len(results) - len(slow)} of {len(results)} queries under {GOAL_MS:.0f} ms"
          + (f"; over: {', '.join(slow)}" if slow else ""))
    if args.keep or args.db:
        print(f"database kept at {path}")
    tmp.cleanup()
    return 0  # figures, not a timed test: what is over its goal is printed above


if __name__ == "__main__":
    sys.exit(main())
