"""Exports for spreadsheets: xlsx (a sheet per table or view, Chinese headers), CSV for Excel (byte-order mark),
agency names beside ids in every export, several tables at once, filters resolved like every other command."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from samplesdb import sample_db
from storehelp import A, cli_app

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_xlsx(path) -> dict[str, list[list]]:
    """Sheet name -> rows (a small reader for what XlsxWriter writes: inline strings and numbers)."""
    book = zipfile.ZipFile(path)
    names = [s.get("name") for s in ElementTree.fromstring(book.read("xl/workbook.xml")).iterfind(".//m:sheet", NS)]
    sheets = {}
    for i, name in enumerate(names, 1):
        rows = []
        for row in ElementTree.fromstring(book.read(f"xl/worksheets/sheet{i}.xml")).iterfind(".//m:row", NS):
            values: dict[int, object] = {}
            for c in row.iterfind("m:c", NS):
                letters = re.match(r"[A-Z]+", c.get("r")).group()
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                if c.get("t") == "inlineStr":
                    values[col - 1] = "".join(t.text or "" for t in c.iterfind(".//m:t", NS))
                else:
                    v = c.find("m:v", NS).text
                    values[col - 1] = float(v) if "." in v else int(v)
            width = max(len(rows[0]) if rows else 0, max(values, default=-1) + 1)
            rows.append([values.get(i) for i in range(width)])
        sheets[name] = rows
    return sheets


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return sample_db(tmp_path_factory)


def export(path, *args):
    return CliRunner().invoke(cli_app(), ["export", *args, "--db", str(path)])


def test_xlsx_has_a_sheet_per_table_with_numbers_as_numbers(path, tmp_path):
    target = tmp_path / "out.xlsx"
    out = export(path, "-t", "applications_wide", "-t", "agencies", "-o", str(target))  # xlsx from the suffix
    assert out.exit_code == 0, out.output
    assert re.search(r"rows written to .*out.xlsx \(applications_wide \d+, agencies \d+\)", out.stderr)
    sheets = read_xlsx(target)
    assert list(sheets) == ["applications_wide", "agencies"]
    header, *rows = sheets["applications_wide"]
    assert header[:6] == ["report_id", "agency", "year", "format", "row_key", "row_label"]
    new = {r[1]: r[header.index("total")] for r in rows if r[4] == "new" and r[2] == 2020}
    assert new[A] == 12 and isinstance(new[A], int)
    assert [r[1] for r in sheets["agencies"][1:]][:1] and sheets["agencies"][0][:2] == ["id", "name"]
    assert not list(tmp_path.glob("*.tmp"))


def test_xlsx_chinese_headers_and_text_that_looks_like_a_formula(path, tmp_path):
    target = tmp_path / "zh.xlsx"
    out = export(path, "-t", "reports", "-f", "xlsx", "--headers", "zh", "-o", str(target))
    assert out.exit_code == 0, out.output
    header = read_xlsx(target)["reports"][0]
    assert header[:4] == ["报告", "机关", "机关名称", "报告年度"]  # the agency's name beside its id
    both = tmp_path / "both.csv"
    assert export(path, "-t", "agencies", "--headers", "both", "-o", str(both)).exit_code == 0
    assert both.read_text(encoding="utf-8").splitlines()[0].startswith("机关 (id),机关名称 (name)")


def _with_schema(path):
    """A govreports database (the reading commands refuse a file without its tables), for a table of the test's."""
    from govreports.store import connect

    with connect(path):
        pass
    return path


def test_xlsx_strings_stay_strings_and_long_tables_continue_on_another_sheet(tmp_path):
    from govreports.query.export import export_xlsx

    db = _with_schema(tmp_path / "t.db")
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE t (a, b, c); INSERT INTO t VALUES ('=1+1', 'http://x.cn/甲', NULL),"
                       " ('x', 2.5, 3), ('y', NULL, 4), ('z', 1, 2);")
    conn.close()
    counts = export_xlsx(db, ["t"], tmp_path / "t.xlsx", max_rows=3)
    sheets = read_xlsx(tmp_path / "t.xlsx")
    assert counts == {"t": 4} and list(sheets) == ["t", "t (2)"]
    assert sheets["t"] == [["a", "b", "c"], ["=1+1", "http://x.cn/甲", None], ["x", 2.5, 3]]
    assert sheets["t (2)"] == [["a", "b", "c"], ["y", None, 4], ["z", 1, 2]]
    book = zipfile.ZipFile(tmp_path / "t.xlsx")
    assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")  # a formula nowhere


def test_xlsx_text_past_excel_s_cell_limit_is_cut_by_utf16_units_and_the_row_keeps_its_other_cells(tmp_path):
    """Excel's 32,767 characters per cell are UTF-16 units: a character past U+FFFF (CJK Extension B, found in
    names: 𠀀) is two. A text of 20,000 such characters (40,000 units) passed the cut by Python's len, XlsxWriter
    cut it itself without the '…', and its write_row stopped there: every cell right of it was left blank."""
    from govreports.query.export import XLSX_MAX_TEXT, export_xlsx

    db = _with_schema(tmp_path / "t.db")
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (body TEXT, n INTEGER, tail TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [("𠀀" * 20_000, 3, "后"), ("甲" * 40_000, 4, "后"),
                                                        (b"\x01" * 20_000, 5, "后")])  # a blob: 40,000 hex digits
    conn.commit()
    conn.close()
    export_xlsx(db, ["t"], tmp_path / "t.xlsx")
    rows = read_xlsx(tmp_path / "t.xlsx")["t"][1:]
    assert [r[1:] for r in rows] == [[3, "后"], [4, "后"], [5, "后"]]
    for body, *_ in rows:
        assert body.endswith("…") and len(body.encode("utf-16-le")) // 2 <= XLSX_MAX_TEXT


def test_excel_csv_has_a_byte_order_mark_and_crlf(path, tmp_path):
    target = tmp_path / "agencies.csv"
    out = export(path, "-t", "agencies", "--excel", "-o", str(target))
    assert out.exit_code == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,name,") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert A in {r["name"] for r in rows}
    plain = export(path, "-t", "agencies")
    assert not plain.stdout.startswith("\ufeff")
    assert export(path, "-t", "agencies", "--excel", "-f", "jsonl").exit_code == 2
    # a workbook was written, --excel silently dropped: its text is never a formula there (strings stay strings,
    # test_xlsx_strings_stay_strings_…), and no option of CSV's applies; it is refused as with JSON Lines
    for args in (["-o", str(tmp_path / "x.xlsx")], ["-f", "xlsx", "-o", str(tmp_path / "x.xlsx")]):
        out = export(path, "-t", "agencies", "--excel", *args)
        assert out.exit_code == 2 and "--excel is for CSV" in out.stderr, out.output
        assert not (tmp_path / "x.xlsx").exists()


def test_excel_csv_keeps_a_portal_s_text_from_being_a_formula(tmp_path):
    """Titles and agency names are a portal's text: one starting with = (or + - @) was written as it is into the
    CSV made for Excel, which would run it as a formula (`=HYPERLINK(…)`). It is led by an apostrophe there, as
    Excel shows text; plain CSV keeps it as stored, and numbers (negative ones too) stay numbers."""
    db = sqlite3.connect(_with_schema(tmp_path / "t.db"))
    db.execute("CREATE TABLE t (title TEXT, n INTEGER)")
    titles = ['=HYPERLINK("http://evil.example/","报告")', "+1", "-2", "@SUM(A1)", "\t=1", "某市2024年报告"]
    db.executemany("INSERT INTO t VALUES (?, ?)", [(t, -i) for i, t in enumerate(titles)])
    db.commit()
    db.close()
    excel = export(tmp_path / "t.db", "-t", "t", "--excel")
    rows = list(csv.reader(io.StringIO(excel.stdout.lstrip("\ufeff"), newline="")))[1:]
    assert [r[0] for r in rows] == ["'" + t for t in titles[:-1]] + [titles[-1]]
    assert [r[1] for r in rows] == [str(-i) for i in range(len(titles))]
    plain = export(tmp_path / "t.db", "-t", "t")
    assert [r[0] for r in list(csv.reader(io.StringIO(plain.stdout, newline="")))[1:]] == titles


@pytest.mark.parametrize("table", ["reports", "cells", "checks", "sections", "row_totals", "report_versions"])
def test_every_export_names_the_agency(path, table):
    out = export(path, "-t", table, "-f", "jsonl")
    assert out.exit_code == 0, out.output
    first = json.loads(out.stdout.splitlines()[0])
    assert first["agency"] and "year" in first
    keys = list(first)
    anchor = "agency_id" if "agency_id" in first else "report_id"
    assert keys[keys.index(anchor) + 1] == "agency"  # beside the id it names


def test_filters_by_agency_and_year_take_one_rule(path, tmp_path):
    out = export(path, "-t", "cells", "--agency", "甲市 教育局", "--year", "2020", "-f", "jsonl")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert out.exit_code == 0 and rows and {(r["agency"], r["year"]) for r in rows} == {(A, 2020)}
    bad = export(path, "-t", "cells", "--agency", "教育")
    assert bad.exit_code == 1 and "no agency '教育'; did you mean" in bad.stderr
    nofilter = export(path, "-t", "runs", "--year", "2020")
    assert nofilter.exit_code == 2 and "'runs' has no year" in nofilter.stderr


def test_several_tables_to_a_directory_or_all_to_a_workbook(path, tmp_path):
    out = export(path, "-t", "agencies", "-t", "reports", "-o", str(tmp_path))
    assert out.exit_code == 0
    assert (tmp_path / "agencies.csv").is_file() and (tmp_path / "reports.csv").is_file()
    assert export(path, "-t", "agencies", "-t", "reports").exit_code == 2  # two tables on stdout: no
    target = tmp_path / "all.xlsx"
    out = export(path, "--all", "--agency", A, "-o", str(target))
    assert out.exit_code == 0, out.output
    sheets = read_xlsx(target)
    assert {"reports", "cells", "applications_wide", "agencies"} <= set(sheets)
    assert "runs" not in sheets and "_sqlite_migrations" not in sheets  # nothing to filter by / internal
    assert {r[1] for r in sheets["applications_wide"][1:]} == {A}
    assert export(path, "--all", "-t", "reports").exit_code == 2
    assert export(path).exit_code == 2


def test_a_new_folder_and_standard_output_by_its_usual_name(path, tmp_path, monkeypatch):
    """`-o out` for several tables is a folder made for them (it was refused as if no folder had been given), and
    `-o -` is standard output (it wrote a file named "-")."""
    out = export(path, "-t", "agencies", "-t", "reports", "-o", str(tmp_path / "new" / "out"))
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "new" / "out").iterdir()) == ["agencies.csv", "reports.csv"]
    monkeypatch.chdir(tmp_path)
    out = export(path, "-t", "agencies", "-o", "-")
    assert out.exit_code == 0 and not (tmp_path / "-").exists()
    assert out.stdout.splitlines()[0].startswith("id,") and len(out.stdout.splitlines()) > 1


def test_an_empty_output_name_is_a_usage_error(path, tmp_path, monkeypatch):
    """`-o "$OUT"` with OUT unset or blank wrote the export into the working folder (`-o ""`: agencies.csv there,
    exit 0) or into a file named " ": refused, as an empty --agency is."""
    monkeypatch.chdir(tmp_path)
    for name in ("", " "):
        out = export(path, "-t", "agencies", "-o", name)
        assert out.exit_code == 2 and "--output is empty" in out.stderr, out.output
    assert list(tmp_path.iterdir()) == []


def test_a_number_json_or_a_workbook_cannot_hold_is_blank(path, tmp_path):
    """A REAL ±Inf stored in a column (SQLite keeps 1e999 so in an INTEGER column) was exported to JSON Lines as
    `Infinity`, which no JSON parser need read, and ended an xlsx export in xlsxwriter's TypeError traceback ("NAN/INF
    not supported"). Both write it blank, as `query -f json` writes null."""
    import shutil

    copy = tmp_path / "inf.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE reports SET year = 1e999 WHERE id = (SELECT min(id) FROM reports)")
    out = export(copy, "-t", "reports", "-f", "jsonl")
    refuse = lambda name: pytest.fail(f"{name} is not JSON")  # noqa: E731 - json.loads takes it
    lines = [json.loads(line, parse_constant=refuse) for line in out.stdout.splitlines()]
    assert out.exit_code == 0 and lines[0]["year"] is None and lines[1]["year"], out.output
    out = export(copy, "-t", "reports", "-o", str(tmp_path / "inf.xlsx"))
    assert out.exit_code == 0, out.output
    rows = read_xlsx(tmp_path / "inf.xlsx")["reports"]
    year = rows[0].index("year")
    assert rows[1][year] is None and rows[2][year], rows[:3]


def test_a_name_ending_in_a_slash_is_a_folder(path, tmp_path):
    """`-t reports -o out/` wrote a file named `out`: the option is read as a Path, which drops the trailing slash.
    A name ending in / names a folder, as -o DIR says (made if need be): the table is written into it, by its name,
    and a workbook as export.xlsx, as into a folder that exists."""
    import os

    for fmt, name in (("csv", "reports.csv"), ("jsonl", "reports.jsonl"), ("xlsx", "export.xlsx")):
        folder = tmp_path / fmt
        out = export(path, "-t", "reports", "-f", fmt, "-o", str(folder) + os.sep)
        assert out.exit_code == 0 and folder.is_dir(), (fmt, out.output)
        assert [p.name for p in folder.iterdir()] == [name] and f"written to {folder / name}" in out.stderr
    out = export(path, "-t", "reports", "-o", str(tmp_path / "csv") + "/")  # a folder that exists: as before
    assert out.exit_code == 0 and (tmp_path / "csv" / "reports.csv").is_file()
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    out = export(path, "-t", "reports", "-o", str(tmp_path / "taken") + "/")
    assert out.exit_code == 1 and "is a file, not a folder" in out.stderr
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file\n"


def test_a_refused_export_of_several_tables_writes_none_of_them(path, tmp_path):
    """`-t reports -t nosuch -o DIR` wrote reports.csv, then stopped on the misspelt name (exit 1): the folder held
    half an export, or beside an earlier one, files of two moments. A table without the agency or year asked for
    did the same (exit 2), and a usage error found later (JSON Lines with --headers zh) left the folder it had
    made. Every name, filter and option is checked before the first file is written."""
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "reports.csv").write_text("earlier export\n", encoding="utf-8")
    for args, code in ((["-t", "reports", "-t", "nosuch"], 1), (["-t", "reports", "-t", "labels", "--agency", A], 2),
                       (["-t", "reports", "-t", "labels", "--year", "2020"], 2)):
        for target in (earlier, tmp_path / "book.xlsx"):
            out = export(path, *args, "-o", str(target))
            assert out.exit_code == code and "rows written" not in out.stderr, (args, target, out.stderr)
        assert sorted(p.name for p in earlier.iterdir()) == ["reports.csv"], args
        assert (earlier / "reports.csv").read_text(encoding="utf-8") == "earlier export\n", args
        assert not (tmp_path / "book.xlsx").exists()
    out = export(path, "--all", "-f", "jsonl", "--headers", "zh", "-o", str(tmp_path / "new"))
    assert out.exit_code == 2 and not (tmp_path / "new").exists(), out.stderr


def test_report_flat_is_one_row_per_report_with_every_cell(path, tmp_path):
    conn = sqlite3.connect(path)
    reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    conn.close()
    out = export(path, "-t", "report_flat", "-f", "jsonl")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert out.exit_code == 0 and len(rows) == reports
    a2020 = next(r for r in rows if r["agency"] == A and r["year"] == 2020)
    assert a2020["applications__new__total"] == 12 and a2020["applications__total__total"] is None  # blank stays null
    assert a2020["applications__new__natural_person"] == 10 and a2020["review_litigation__review__upheld"] == 1
    assert a2020["published"] == "2021-01-20" and a2020["rules_failed"] == "R1" and a2020["format"] == "2019"
    shanghai = next(r for r in rows if r["agency"] == "上海市人民政府办公厅")
    assert shanghai["province"] == "上海市" and shanghai["active__rules__new_published"] == 13
    target = tmp_path / "flat.xlsx"
    assert export(path, "-t", "report_flat", "--headers", "zh", "-o", str(target)).exit_code == 0
    header = read_xlsx(target)["report_flat"][0]
    assert header[:3] == ["报告", "机关名称", "机关"] and "依申请：（一）予以公开：总计" in header
    assert "依申请：（三）不予公开1.属于国家秘密：自然人" in header


def test_a_database_older_than_a_view_says_how_to_upgrade(tmp_path):
    from sqlite_utils import Database

    from govreports.store.migrations import latest_version, migrations

    old = tmp_path / "old.db"
    db = Database(old)
    migrations.apply(db, stop_before="m007_unambiguous_names_report_flat")
    db.execute("PRAGMA user_version = 6")
    db.close()
    for args in (["-t", "report_flat"], ["-t", "report_flat", "-o", str(tmp_path / "x.xlsx")]):
        out = export(old, *args)
        assert out.exit_code == 1 and f"schema version 6, this govreports writes {latest_version()}" in out.stderr


def test_xlsx_working_files_go_beside_the_workbook_and_never_stay(path, tmp_path, monkeypatch):
    """XlsxWriter's working files (constant memory's row files, the parts it zips: several times the workbook)
    went to /tmp whatever -o said: a /tmp smaller than the sheets (a tmpfs) failed a large export whose own disk
    had room, and a failed export left its row files there for good. They go to a hidden folder beside the
    workbook, on the disk that must hold it anyway, removed whether the export succeeds or fails."""
    import tempfile

    from govreports.query import export as export_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "full-tmp"))  # /tmp full: nothing can be made there
    target = tmp_path / "out" / "book.xlsx"
    target.parent.mkdir()
    out = export(path, "-t", "agencies", "-t", "reports", "-o", str(target))
    assert out.exit_code == 0, out.output
    assert list(read_xlsx(target)) == ["agencies", "reports"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.xlsx"]

    (tmp_path / "full-tmp").mkdir()  # the old place, to see nothing is left there either
    calls = []

    def fails_after_twenty_cells(value):
        calls.append(value)
        if len(calls) > 20:
            raise OSError(28, "No space left on device")
        return value

    monkeypatch.setattr(export_module, "_xlsx_value", fails_after_twenty_cells)
    failed = export(path, "-t", "reports", "-o", str(tmp_path / "out" / "other.xlsx"))
    assert failed.exit_code == 1 and "No space left on device" in failed.stderr, failed.output
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.xlsx"]
    assert list((tmp_path / "full-tmp").iterdir()) == []
