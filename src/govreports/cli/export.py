"""`govreports export`: tables and views as CSV, JSON Lines or an Excel workbook, every name, filter and option
checked before the first file is written, and each file replaced only by a complete export.
"""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from govreports.cli.common import fail
from govreports.cli.options import DEFAULT_DB, DbOption, YEAR_RANGE
from govreports.errors import GovreportsError
from govreports.query import atomic_output, export_table


class ExportFmt(str, enum.Enum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


class Headers(str, enum.Enum):
    en = "en"
    zh = "zh"
    both = "both"


_SUFFIX_FORMATS = {".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
# names of formats export does not write: `-o reports.json` without -f wrote CSV into reports.json (json.load
# fails on it), .xls made Excel warn that the file is not what its name says, .tsv opened as one column
_OTHER_SUFFIXES = (".json", ".xls", ".tsv", ".parquet")
# export compresses nothing: `-o reports.csv.gz` wrote plain CSV under a name gunzip and pandas.read_csv (which
# reads the suffix) refuse as "not in gzip format", with or without -f
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".zst", ".7z")


def export(table: Annotated[Optional[list[str]], typer.Option(
               "--table", "-t", help="table or view; repeat for several (report_flat: one row per report)")] = None,
           all_tables: Annotated[bool, typer.Option("--all", help="every table and view")] = False,
           format: Annotated[Optional[ExportFmt], typer.Option(
               "--format", "-f", help="csv, jsonl or xlsx (one sheet per table); default from -o's suffix, else csv",
               show_default=False)] = None,
           excel: Annotated[bool, typer.Option(
               "--excel", help="CSV for Excel: a byte-order mark (Chinese stays Chinese), CRLF lines, and text that "
                             "would start a formula (= + - @) led by an apostrophe")] = False,
           headers: Annotated[Headers, typer.Option(
               "--headers", help="column headers: en (column names), zh (Chinese labels) or both")] = Headers.en,
           agency: Annotated[Optional[str], typer.Option(
               help="only this agency's rows (exact, or the same after normalisation)")] = None,
           year: Annotated[Optional[int], typer.Option(help="only this year's rows", **YEAR_RANGE)] = None,
           db: DbOption = DEFAULT_DB,
           output_name: Annotated[Optional[str], typer.Option(
               "--output", "-o",
               help="file, or a directory for one file per table (made if need be; a name ending in / is one);"
                    " - or none: stdout")] = None,
           ) -> None:
    """Export tables or views as CSV, JSON Lines or an Excel workbook, with agency names beside their ids.

    An output file is replaced only by a complete export. Examples: `export -t report_flat -o reports.xlsx
    --headers zh`; `export --all -o everything.xlsx`; `export -t report_flat --excel -o reports.csv`."""
    from govreports.query.agencies import resolve_agency
    from govreports.query.analyses import check_reports
    from govreports.query.export import Filters, check_options, check_table, export_sql, export_xlsx, exportable
    from govreports.query.readonly import connect_readonly

    if bool(table) == all_tables:
        fail("name the tables with --table (repeatable), or give --all", 2)
    if output_name is not None and not output_name.strip():  # `-o "$OUT"`, OUT unset: it wrote into the cwd
        fail("--output is empty: give a file or a folder, or - for standard output", 2)
    # the name as given: a Path drops a trailing slash, and `-o out/` wrote a file named out
    folder = output_name is not None and output_name.endswith(("/", os.sep))
    output = None if output_name in (None, "-") else Path(output_name)  # "-": standard output, not a file named "-"
    if folder and output.exists() and not output.is_dir():
        fail(f"{output_name}: {output} is a file, not a folder")
    # the file named, whose suffix says the format (a folder's name says none: `-f xlsx -o out/` was refused as
    # "--format xlsx does not go with out")
    file = output if output is not None and not folder and not output.is_dir() else None
    if file is not None and file.suffix.lower() in _COMPRESSED_SUFFIXES:
        fail(f"{file.name}: export does not compress what it writes: name the file .csv, .jsonl or .xlsx (and "
             "compress it afterwards, gzip reports.csv)", 2)
    if file is not None and format is None and file.suffix.lower() in _OTHER_SUFFIXES:
        fail(f"{file.name}: export writes csv, jsonl (JSON Lines, an object a line) or xlsx: name the file .csv,"
             " .jsonl or .xlsx, or give -f", 2)
    fmt = format.value if format else _SUFFIX_FORMATS.get(file.suffix.lower(), "csv") if file else "csv"
    if file is not None and format is not None and ((file.suffix.lower() == ".xlsx") != (fmt == "xlsx") or
                                                    _SUFFIX_FORMATS.get(file.suffix.lower(), fmt) != fmt):
        fail(f"--format {fmt} does not go with {file.name}", 2)  # (JSON Lines written into a .csv)
    try:
        check_options(fmt, headers.value, excel)  # --excel with a workbook was dropped silently: refused, as jsonl
        names = exportable(db)
        filters = Filters(year=year)
        found = None
        if agency is not None:
            conn = connect_readonly(db)
            try:
                found = resolve_agency(conn, agency)
            finally:
                conn.close()
            filters = Filters(found.id, found.name, year)
        tables = list(dict.fromkeys(table or names))
        # every name and filter checked before the first file is written: `-t reports -t nosuch -o DIR` wrote
        # reports.csv, then stopped, leaving the folder half an export (beside an earlier one, two moments')
        conn = connect_readonly(db)
        try:
            if all_tables:  # every table that has the agency or year to filter by
                tables = [t for t in tables if _filterable(conn, t, filters, export_sql)]
            for name in tables:
                check_table(conn, name, names, filters)
            if filters and not any(_has_rows(conn, t, filters, export_sql) for t in tables):  # printed nothing
                check_reports(conn, found, year)  # no report of the agency or year: named, with what there is
                raise NoRows(f"no rows of {', '.join(tables)} for {found.name if found else ''}"
                             f"{' ' if found and year else ''}{year or ''}")
        finally:
            conn.close()
        if output is not None and not output.exists() and (folder or len(tables) > 1 and fmt != "xlsx"
                                                           and not output.suffix):
            output.mkdir(parents=True)  # `--all -o out`, `-o out/`: a new folder, as -o DIR says
        if fmt == "xlsx":
            _export_xlsx(db, tables, output, headers.value, filters, export_xlsx)
        else:
            _export_text(db, tables, fmt, output, headers.value, excel, filters)
    except GovreportsError as exc:
        fail(str(exc), exc.exit_code)
    except OSError as exc:
        if output is None:
            raise
        fail(f"cannot write {output}: {exc.strerror or exc}")


class NoRows(GovreportsError):
    """An export whose filters select no row of any table it names (exit 1)."""


def _has_rows(conn, table, filters, export_sql) -> bool:
    """Whether the filtered table has a row (a filter it has no column for is the export's own usage error)."""
    if (query := _filtered(conn, table, filters, export_sql)) is None:
        return True
    return conn.execute(f"SELECT 1 FROM ({query[0]}) LIMIT 1", query[1]).fetchone() is not None


def _filterable(conn, table, filters, export_sql) -> bool:
    return _filtered(conn, table, filters, export_sql) is not None


def _filtered(conn, table, filters, export_sql) -> tuple[str, list] | None:
    """The table's export SELECT and its parameters, None when it has no column for a filter."""
    from govreports.query.export import ExportUsageError

    try:
        return export_sql(conn, table, filters)
    except ExportUsageError:
        return None


def _export_text(db, tables, fmt, output, headers, excel, filters) -> None:
    if output is None or not output.is_dir():
        if len(tables) > 1:
            fail(f"{len(tables)} tables: write them to a workbook (-f xlsx -o FILE.xlsx) or to a directory"
                 " (-o DIR: one file per table)", 2)
        if output is None:
            _export_to_stdout(db, tables[0], fmt, headers, excel, filters)
            return
        targets = [(tables[0], output)]
    else:
        targets = [(t, output / f"{t}.{fmt}") for t in tables]
    from govreports.query.export import snapshot

    with snapshot(db) as conn:  # every file as the database was at one moment (a crawl may be committing)
        for name, target in targets:
            with atomic_output(target) as out:
                count = export_table(db, name, fmt, out, headers=headers, excel=excel, filters=filters, conn=conn)
            typer.echo(f"{count} rows written to {target}", err=True)


def _export_to_stdout(db, table, fmt, headers, excel, filters) -> None:
    """Data for a file or a program is UTF-8, as `-o` writes it, whatever the locale's encoding: under a GBK or
    ASCII PYTHONIOENCODING, `export --excel > t.csv` wrote a UTF-8 byte-order mark as the text '\\ufeff' and the rest
    in GBK (or escaped), which Excel and every CSV reader then misread. A terminal keeps its own encoding."""
    import io

    if sys.stdout.isatty():
        export_table(db, table, fmt, sys.stdout, headers=headers, excel=excel, filters=filters)
        return
    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")  # "\r\n" of --excel as written
    try:
        export_table(db, table, fmt, out, headers=headers, excel=excel, filters=filters)
        out.flush()
    finally:
        out.detach()  # sys.stdout's buffer stays open, for the command's end


def _export_xlsx(db, tables, output, headers, filters, export_xlsx) -> None:
    import shutil
    import tempfile

    from govreports.query.export import atomic_path

    if output is None:
        if sys.stdout.isatty():
            fail("an xlsx workbook is not for a terminal: give -o FILE.xlsx", 2)
        with tempfile.TemporaryDirectory() as tmp:
            export_xlsx(db, tables, Path(tmp) / "export.xlsx", headers=headers, filters=filters)
            with open(Path(tmp) / "export.xlsx", "rb") as book:
                sys.stdout.flush()
                shutil.copyfileobj(book, sys.stdout.buffer)
                sys.stdout.buffer.flush()
        return
    target = output / "export.xlsx" if output.is_dir() else output
    with atomic_path(target) as tmp:
        counts = export_xlsx(db, tables, tmp, headers=headers, filters=filters)
    sheets = ", ".join(f"{t} {n}" for t, n in counts.items())
    typer.echo(f"{sum(counts.values())} rows written to {target} ({sheets})", err=True)
