"""The database commands: load, query, analyze, search, export (cli.export), serve.

Errors go to stderr with exit code 1; usage errors (unknown analysis, missing parameter, bad option) exit 2.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from govreports.cli.common import fail
from govreports.cli.export import export
from govreports.errors import GovreportsError
from govreports.cli.options import (DEFAULT_DB, DEFAULT_TIMEOUT_S, DEFAULT_WAIT_S, DbOption, FormatOption, OutFormat,
                                    TimeoutOption, WaitOption, YEAR_RANGE)
from govreports.query import ANALYSES, QueryError, heap_limit, open_query, render
from govreports.query.readonly import holds_statement
from govreports.store.lock import DatabaseBusy, writer_lock


def _files(paths: list[Path]) -> tuple[list[Path], list[OSError]]:
    """The files to load, each folder's in name order, and the folders that could not be listed (their
    permissions, a disk error): Path.rglob skips those in silence, which left their files out of a load that
    then ended "0 failed", exit 0. Symbolic links to folders are not followed (as rglob did not). Hidden files and
    the files of hidden folders (.git's objects, a notebook's checkpoint copies) are skipped: every git object
    was a failed report, and a checkpoint's copy, read first, made the report itself the duplicate."""
    files: list[Path] = []
    unreadable: list[OSError] = []
    for path in paths:
        if path.is_dir():
            found = []
            for top, folders, names in os.walk(path, onerror=unreadable.append):
                folders[:] = [name for name in folders if not name.startswith(".")]
                found += [Path(top, name) for name in names if not name.startswith(".")]
            files += sorted(p for p in found if p.is_file())
        else:
            files.append(path)
    return files, unreadable


def load(paths: Annotated[list[Path], typer.Argument(help="report files or directories")],
         db: DbOption = DEFAULT_DB, wait: WaitOption = DEFAULT_WAIT_S) -> None:
    """Parse report files and load them (one transaction per report; identical reloads change nothing).

    Exit codes: 0 all loaded, 1 some files failed (named on stderr), 74 the database could not be written (a
    full disk) or its file was removed or replaced during the load, 75 another run holds the database.
    Files are parsed in worker processes, one a core, under the crawl's limits (size, expansion, deadline, memory
    cap), and loaded in the order given."""
    from govreports.parse.bounded import BoundedParser
    from govreports.store.db import connect

    with (writer_lock(db, wait=wait, command="load"), BoundedParser() as parser,
          connect(db) as database):
        _load(paths, database, parser)


def _load(paths: list[Path], database, parser) -> None:
    from govreports.store.db import still_the_same_file, storage_cause
    from govreports.store.load import path_text

    # the database file removed or replaced during the load (`rm`, a backup restored with `mv`): SQLite writes on to
    # the file it opened, and the load would end "106 new" with nothing under the name; checked before each write
    # and at the end, as the crawl checks it
    same_file = functools.partial(still_the_same_file, database, again="load the files again")
    counts = {"new": 0, "changed": 0, "unchanged": 0, "duplicate": 0, "failed": 0}
    found, unreadable = _files(paths)
    for error in unreadable:
        _say(f"{error.filename}: this folder cannot be read ({error.strerror}): its files are not loaded", err=True)
        counts["failed"] += 1
    files = [(path, path.is_file()) for path in found]
    outcomes = parser.parse_paths(path for path, present in files if present)  # side by side, in this order
    for number, (path, present) in enumerate(files, 1):
        try:
            _load_one(path, present, outcomes, database, same_file, counts)
        except Exception as exc:
            if storage_cause(exc) is not None:
                # a full disk said only "could not write the database: database or disk is full": not where the
                # load stopped (main prints the note after the error's own line, which names the database)
                exc.add_note(f"the load stopped at {path_text(path)} (file {number} of "
                             f"{len(files)}): it and the files after it are not loaded, those before it are done; "
                             "run the same command again once the database can be written (a file already "
                             "loaded is found unchanged)")
            raise
    same_file()
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


def _load_one(path: Path, present: bool, outcomes, database, same_file, counts: dict) -> None:
    """Load one file of `load` (its parse outcome is the next of `outcomes`) and count and print what became of it."""
    from govreports.store import document_from_path, load_record, log_fetch
    from govreports.store.load import path_text
    from govreports.store.index_repair import with_search_indexes_mended

    if not present:
        _say(f"{path}: no such file", err=True)
        counts["failed"] += 1
        return
    outcome = next(outcomes)
    same_file()
    error = outcome.error or (None if outcome.record is not None else "parser returned no record")
    if error:
        _say(f"{path}: {error}", err=True)
        kind = outcome.error_kind  # a limit's kind: too_large, too_slow, …
        log_fetch(database, path_text(path), kind or "parse_error", path_text(error), kind=kind or "parse")
        counts["failed"] += 1
        return
    # a report already loaded from another file (the same report saved twice, under two names) is a duplicate, as
    # a re-post is in a crawl: loaded again, every sum over reports counted it twice
    result = with_search_indexes_mended(database, lambda: load_record(
        database, outcome.record, document_from_path(path, outcome.kind), dedupe=True))
    counts[result.status] += 1
    what = "duplicate of report" if result.status == "duplicate" else "report"
    replaced = "".join(f"; report {n}, which this file held, is no longer current" for n in result.withdrawn)
    _say(f"{path}: {result.status} ({what} {result.report_id}, version {result.version_id}{replaced})")


def _say(line: str, err: bool = False) -> None:
    """A line of `load` naming a file: a name that is not UTF-8 printed with its undecodable bytes as \\xNN, as
    it is stored (store.load.path_text); printed as it was, the terminal's encoder raised and the load stopped."""
    from govreports.store.load import path_text

    typer.echo(path_text(line), err=err)


def query(sql: Annotated[str, typer.Argument(help="one SQL statement (read-only)")],
          db: DbOption = DEFAULT_DB,
          format: FormatOption = OutFormat.table,
          timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
          limit: Annotated[Optional[int], typer.Option(min=1, help="print at most this many rows")] = None,
          max_memory: Annotated[int, typer.Option(
              "--max-memory", min=0, help="SQLite heap limit in MiB for this query (0: no limit)")] = 1024,
          ) -> None:
    """Run read-only SQL; a statement that would write is refused. Rows are printed as SQLite produces them."""
    if not holds_statement(sql):  # SQLite runs nothing and answers no columns: "0 rows", exit 0, said nothing
        fail("give one SQL statement, e.g. govreports query \"SELECT name FROM agencies\"", 2)
    try:
        with heap_limit(max_memory * 2**20), open_query(db, sql, timeout=timeout, limit=limit,
                                                                any_schema=True) as stream:
            twice = [c for c, n in collections.Counter(stream.columns).items() if n > 1]
            if format == OutFormat.json and twice:  # an object keeps one `id` of `r.id, a.id`: the last, silently
                raise QueryError(f"the result names {', '.join(twice)} more than once, and a JSON object holds one "
                                 "value a name: name them apart with AS (SELECT r.id AS report_id, a.id AS "
                                 "agency_id …), or use -f csv")
            render(stream.columns, stream, format.value, stream.writer(sys.stdout))
    except QueryError as exc:
        sys.stdout.flush()
        fail(str(exc))


def analyze(name: Annotated[str, typer.Argument(help="one of: " + ", ".join(ANALYSES))],
            db: DbOption = DEFAULT_DB,
            agency: Annotated[Optional[str], typer.Option(
                help="agency name (exact, or the same after normalisation; a partial name lists suggestions)")] = None,
            year: Annotated[Optional[int], typer.Option(help="report year (N for `missing`)", **YEAR_RANGE)] = None,
            rule: Annotated[Optional[str], typer.Option(help="R1, R2, R3 or R4, any case (rule_failures)")] = None,
            region: Annotated[Optional[str], typer.Option(
                help="province, city or county, or its start: 江苏省, 江苏, 宿迁市 (the highest level it names: "
                     "海南 is 海南省); a path: 上海市/普陀区, 青海/海南 (scorecard, late, compliance)")
            ] = None,
            format: FormatOption = OutFormat.table,
            timeout: TimeoutOption = DEFAULT_TIMEOUT_S) -> None:
    """Ready-made analyses (the same SQL as the Datasette canned queries)."""
    from govreports.query.analyses import open_analysis

    analysis = ANALYSES.get(name)
    if analysis is None:
        fail(f"unknown analysis {name!r}; choose one of: {', '.join(ANALYSES)}", 2)
    # an empty filter (a script's --agency "$NAME" with NAME unset) read as none: every agency's rows, exit 0
    for option, value, wanted in (("agency", agency, "an agency name"), ("rule", rule, "R1, R2, R3 or R4"),
                                  ("region", region and region.replace("/", ""),
                                   "a province, city or county (江苏省, 宿迁市, 沭阳县)")):
        if value is not None and not value.strip():
            fail(f"--{option} is empty: give {wanted}, or leave the option out", 2)
    try:  # the agency resolved (exact, normalised, else suggestions), --rule validated, no reports said so
        if region is not None and any(p.name == "region" for p in analysis.params):
            region = _region(db, region)  # '江苏 / 宿迁市' → 江苏/宿迁市; a region no agency is in: exit 1
        stream = open_analysis(db, name, timeout=timeout, agency=agency, year=year, rule=rule, region=region)
    except GovreportsError as exc:
        fail(str(exc), exc.exit_code)
    try:  # rows printed as SQLite produces them: a listing of every report is never held whole
        with stream:
            render(stream.columns, stream, format.value, stream.writer(sys.stdout),
                   title=f"{analysis.title_zh} / {analysis.title}")
    except QueryError as exc:
        sys.stdout.flush()
        fail(str(exc))


def _region(db, text: str) -> str:
    from govreports.query.readonly import connect_readonly
    from govreports.query.scorecard import resolve_region

    conn = connect_readonly(db)
    try:
        return resolve_region(conn, text)
    finally:
        conn.close()


def search(terms: Annotated[list[str], typer.Argument(
               help="words to find, all of them, in any order, as typed: 依申请 公开 复议 (any length; Chinese works)")],
           db: DbOption = DEFAULT_DB,
           year: Annotated[Optional[int], typer.Option(help="only reports for this year", **YEAR_RANGE)] = None,
           agency: Annotated[Optional[str], typer.Option(
               help="only this agency (exact, or the same after normalisation; a partial name lists suggestions)")
           ] = None,
           limit: Annotated[int, typer.Option(min=1, help="at most this many sections")] = 50,
           format: FormatOption = OutFormat.table,
           timeout: TimeoutOption = DEFAULT_TIMEOUT_S) -> None:
    """Full-text search of report sections (current versions): agency, year, section and a snippet per hit that
    starts at the beginning of a clause, the words found marked (bold in the table, **word** in CSV and JSON)."""
    from govreports.query.agencies import resolve_agency
    from govreports.query.analyses import check_reports
    from govreports.query.readonly import connect_readonly
    from govreports.store.fts import COLUMNS, run_search, search_terms
    from govreports.store.snippets import hits

    words = search_terms(terms)
    if not words:
        fail("give at least one word to search for", 2)
    try:
        # a filter that selects no report says so (exit 1), as does a database with no report at all: "0 rows",
        # exit 0, told its user that no report says these words
        conn = connect_readonly(db)
        try:
            found_agency = resolve_agency(conn, agency) if agency is not None else None
            check_reports(conn, found_agency, year)
            agency_id = found_agency.id if found_agency is not None else None
        finally:
            conn.close()
        found = run_search(db, words, limit, year=year, agency_id=agency_id, timeout=timeout)
    except GovreportsError as exc:
        fail(str(exc), exc.exit_code)
    if format == OutFormat.table:
        from rich.text import Text

        rows = []
        for *head, (snippet, spans) in hits(found, words, mark=None):
            text = Text(snippet)
            for a, b in spans:
                text.stylize("bold reverse", a, b)
            rows.append((*head, text))
    else:
        rows = list(hits(found, words))
    render(COLUMNS, rows, format.value, sys.stdout)


def serve(db: DbOption = DEFAULT_DB,
          host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port")] = 8001,
          metadata: Annotated[Optional[Path], typer.Option(help="also write the metadata JSON here")] = None,
          wait: WaitOption = DEFAULT_WAIT_S,
          ) -> None:
    """Browse and query the database in Datasette (canned analyses, facets by year, format, agency).

    A database of an older govreports is brought up to date first, under the writer lock (waiting `--wait`
    seconds for a run holding it: exit 75); an up-to-date one is served at once, whoever is writing it.
    SIGTERM, SIGINT or SIGHUP stop Datasette too and remove the temporary metadata file (exit 0)."""
    from govreports import serve as served
    from govreports.store.db import connect, open_db, refuse_newer_schema
    from govreports.store.migrations import migrations

    if not Path(db).is_file():
        fail(f"no database at {db} (create one with `govreports load`)")
    probe = open_db(db, migrate=False)
    try:
        refuse_newer_schema(probe.conn, db)  # its canned queries and views are this govreports' own
        pending = len(migrations.pending(probe))
    finally:
        probe.close()
    if pending:  # a migration is a write, as long as a run's: never in between a running writer's batches
        try:
            with writer_lock(db, wait=wait, command="serve"), connect(db):
                pass
        except DatabaseBusy as exc:
            exc.add_note(f"serve brings the database's schema up to date ({pending} migration(s)) before opening"
                         " it, which waits for the run writing it")
            raise
    try:
        code = served.run(db, host=host, port=port, metadata_out=metadata)
    except GovreportsError as exc:  # the port is taken, the metadata cannot be written: nothing started
        fail(str(exc), exc.exit_code)
    raise typer.Exit(code)


def report(agency: Annotated[str, typer.Argument(
               help="agency name (exact, or the same after normalisation; a partial name lists suggestions)")],
           db: DbOption = DEFAULT_DB,
           format: FormatOption = OutFormat.table) -> None:
    """One agency over all its years on one screen: found or missing, published on time, format, rules R1–R4,
    blank cells, sections, and the applications it received, granted and refused (query.agency_report)."""
    from govreports.query.agency_report import agency_report, print_report

    try:
        found = agency_report(db, agency)
    except GovreportsError as exc:
        fail(str(exc), exc.exit_code)
    print_report(found, format.value, sys.stdout)


def repair_index(db: DbOption = DEFAULT_DB, wait: WaitOption = DEFAULT_WAIT_S) -> None:
    """Check the full-text search index against the sections it indexes, and rebuild it from them if it is
    damaged (nothing else in the database changes).

    A crawl rebuilds it by itself when a write fails on it; a damage that fails only searches (`search` ends
    "the search index … is damaged", exit 74) is mended here. Exit codes: 0 sound or rebuilt, 74 the database
    cannot be read or written, 75 another run holds the database."""
    import time

    from govreports.store.db import open_db
    from govreports.store.index_repair import damaged_search_indexes, rebuild_search_indexes

    if not db.is_file():
        fail(f"no database at {db}")
    with writer_lock(db, wait=wait, command="repair-index"):
        database = open_db(db, migrate=False)
        try:
            start = time.monotonic()
            if not (damaged := damaged_search_indexes(database)):
                typer.echo(f"{db}: search index sound")
                return
            rebuild_search_indexes(database, damaged)
            still = damaged_search_indexes(database)
        finally:
            database.close()
    typer.echo(f"{db}: search index {', '.join(damaged)} was damaged; rebuilt from the stored sections in "
               f"{time.monotonic() - start:.1f} s")
    if still:
        fail(f"{db}: the search index is still damaged after a rebuild: the database is damaged elsewhere too; "
             "restore it from a backup", 74)


def register(app: typer.Typer) -> None:
    for command in (load, query, analyze, search, export, serve, report):
        app.command()(command)
    app.command("repair-index")(repair_index)
