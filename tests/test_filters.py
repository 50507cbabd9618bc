"""Filters that say what went wrong: one agency-matching rule for every command (exact, normalised, else an error
with suggestions), `--rule` validated, and an analysis of an agency with no reports saying so."""

from __future__ import annotations

import json
import sqlite3

import pytest

from govreports.clock import china_today
from govreports.query.agencies import AgencyNotFound, agency_years, resolve_agency
from govreports.runs.health import legal_deadline
from samplesdb import sample_db
from storehelp import A


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return sample_db(tmp_path_factory)


@pytest.fixture
def conn(path):
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def test_exact_and_normalised_names_match(conn):
    agency = resolve_agency(conn, A)
    assert agency.name == A and agency_years(conn, agency.id) == [2020, 2021]
    assert resolve_agency(conn, "甲市 教育局").id == agency.id  # spacing
    assert resolve_agency(conn, "甲市\u3000教育局 ").id == agency.id  # ideographic space
    assert resolve_agency(conn, "河北省教育廳").name == "河北省教育厅"  # traditional characters


@pytest.mark.parametrize("text, suggested", [
    ("信访局", ["威海市文登区信访局"]),                       # part of a name: a suggestion, never a result
    ("工业和信息化", ["乌海市工业和信息化局", "河北省工业和信息化厅"]),
    ("甲市教育局2020", ["甲市教育局"]),                         # more than a name
    ("河北省教育局", ["河北省教育厅", "甲市教育局"]),            # close by characters, closest first
    # the government's own reports are under 上海市政府: suggesting only the 办公厅, whose name contains the text,
    # sent `report 上海市人民政府` to another agency's reports
    ("上海市人民政府", ["上海市人民政府办公厅", "上海市政府"]),
])
def test_a_name_that_matches_no_agency_lists_suggestions(conn, text, suggested):
    with pytest.raises(AgencyNotFound) as caught:
        resolve_agency(conn, text)
    assert caught.value.suggestions == suggested and caught.value.exit_code == 1
    assert str(caught.value) == f"no agency {text!r}; did you mean {', '.join(suggested)}?"


def test_the_blank_agency_of_reports_that_name_none_is_never_suggested(path, tmp_path):
    """Reports whose agency could not be read are stored under an agency named '': every name "contains" it, so it
    was suggested for every unknown name (`did you mean ?`, `did you mean , 国家数据局?`)."""
    import shutil

    shutil.copy(path, tmp_path / "blank.db")
    conn = sqlite3.connect(tmp_path / "blank.db")
    conn.execute("INSERT INTO agencies (name, norm_name) VALUES ('', '')")
    for text, suggested in (("不存在的局", []), ("信访局", ["威海市文登区信访局"])):
        with pytest.raises(AgencyNotFound) as caught:
            resolve_agency(conn, text)
        assert caught.value.suggestions == suggested, text
    conn.close()


def test_a_name_like_nothing_says_where_the_names_are(conn):
    with pytest.raises(AgencyNotFound, match="no agency '不存在的局' .*SELECT name FROM agencies"):
        resolve_agency(conn, "不存在的局")


# Analyses ---------------------------------------------------------------------------------------------------------

from typer.testing import CliRunner  # noqa: E402

from govreports.query import run_analysis  # noqa: E402
from govreports.query.analyses import AnalysisUsageError, NoReports  # noqa: E402
from storehelp import B, cli_app  # noqa: E402


def analyze(path, *args):
    return CliRunner().invoke(cli_app(), ["analyze", *args, "--db", str(path)])


def test_rule_is_case_insensitive_and_validated(path):
    upper = run_analysis(path, "rule_failures", rule="R2").dicts()
    assert [(r["agency"], r["year"]) for r in upper] == [(B, 2020)]
    assert run_analysis(path, "rule_failures", rule=" r2").dicts() == upper
    out = analyze(path, "rule_failures", "--rule", "r5")
    assert out.exit_code == 2 and "unknown rule 'r5'; valid rules: R1, R2, R3, R4" in out.stderr
    with pytest.raises(AnalysisUsageError):
        run_analysis(path, "rule_failures", rule="R")


def test_the_canned_rule_failures_query_takes_a_rule_in_any_case(path):
    """Datasette runs the analysis's SQL as it is, without the CLI's normalise_rule: `r2` typed in its form (the
    CLI's help says any case) selected no check and showed no rows, nothing said."""
    from govreports.query import ANALYSES, run_query

    sql = ANALYSES["rule_failures"].sql
    upper = run_query(path, sql, {"agency": "", "year": "", "rule": "R2"}).rows
    assert upper and [r[0] for r in upper] == [B]
    for typed in ("r2", " R2 ", "r2\n"):
        assert run_query(path, sql, {"agency": "", "year": "", "rule": typed}).rows == upper, typed


def test_a_partial_agency_name_is_an_error_with_suggestions_not_zero_rows(path):
    out = analyze(path, "applications", "--agency", "信息化")
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr == "error: no agency '信息化'; did you mean 乌海市工业和信息化局, 河北省工业和信息化厅?\n"
    out = analyze(path, "refusals", "--agency", "不存在的局")
    assert out.exit_code == 1 and "no agency '不存在的局'" in out.stderr and out.stdout == ""
    ok = analyze(path, "applications", "--agency", "河北省 教育厅", "-f", "json")
    assert ok.exit_code == 0 and '"agency": "河北省教育厅"' in ok.stdout


def test_an_agency_or_year_without_reports_says_so(path):
    out = analyze(path, "refusals", "--agency", A, "--year", "2019")
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr == f"error: {A} has no report for 2019 (its reports: 2020–2021)\n"
    with pytest.raises(NoReports, match=r"no reports for 2030 \(years in the database: 2016–2025\)"):
        run_analysis(path, "outcomes", year=2030)
    assert analyze(path, "refusals", "--agency", A, "--year", "2020").exit_code == 0
    # `missing` is about reports that are not there: it runs for a year without any, if the year before has some,
    # once that year is due (沐阳县人民政府's 2026 report: by 31 March 2027; it was listed missing on 2026-12-07)
    gone = analyze(path, "missing", "--year", "2026", "-f", "json")
    if china_today() > legal_deadline(2026, government=True):  # the deadline is China's (m031)
        assert gone.exit_code == 0 and '"previous_year": 2025' in gone.stdout
    else:
        assert '"previous_year": 2025' not in gone.stdout, gone.stdout
    # and says so when the year before has none either (it listed nothing, exit 0, as if all had published)
    out = analyze(path, "missing", "--year", "2030")
    assert out.exit_code == 1 and out.stdout == "" and out.stderr == (
        "error: no reports for 2029, the year `missing` compares 2030 with (years in the database: 2016–2025)\n")


def test_an_option_the_analysis_does_not_take_is_a_usage_error(path):
    out = analyze(path, "missing", "--year", "2021", "--agency", A)
    assert out.exit_code == 2 and "analysis 'missing' does not take --agency; it takes --year" in out.stderr
    out = analyze(path, "applications", "--rule", "R1")
    assert out.exit_code == 2 and "does not take --rule" in out.stderr


# Search and export: the same filters, the same answer ---------------------------------------------------------------

@pytest.mark.parametrize("command", [["search", "公开"], ["export", "-t", "reports", "-f", "jsonl"]])
def test_a_search_or_export_whose_filters_select_no_report_says_so(path, command):
    """They printed an empty result and exited 0: a mistyped year looked like a year without a word of it."""
    run = lambda *args: CliRunner().invoke(cli_app(), [*command, *args, "--db", str(path)])  # noqa: E731
    out = run("--year", "1999")
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr == "error: no reports for 1999 (years in the database: 2016–2025)\n"
    out = run("--agency", A, "--year", "2019")
    assert out.exit_code == 1 and out.stderr == f"error: {A} has no report for 2019 (its reports: 2020–2021)\n"
    found = run("--agency", A, "--year", "2021", "-f", "json") if command[0] == "search" else run("--year", "2021")
    assert found.exit_code == 0 and "2021" in found.stdout



def test_an_export_of_a_table_with_a_year_of_its_own_needs_no_report_of_that_year(path, tmp_path):
    """A year whose every item failed has items and partitions but no report: exporting them is what one does to
    see why, and it must not be refused for want of a report; a year with no row anywhere is."""
    import shutil

    copy = tmp_path / "c.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("INSERT INTO items (portal, url, year, status, error, first_seen, last_seen) VALUES"
                     " ('p', 'http://a.gov.cn/2030.html', 2030, 'failed', 'http: 500', 'x', 'x')")
    run = lambda *args: CliRunner().invoke(cli_app(), ["export", "-f", "jsonl", *args, "--db", str(copy)])  # noqa: E731
    out = run("-t", "items", "--year", "2030")
    assert out.exit_code == 0 and '"url": "http://a.gov.cn/2030.html"' in out.stdout
    out = run("-t", "items", "--year", "2031")
    assert out.exit_code == 1 and out.stderr == "error: no reports for 2031 (years in the database: 2016–2025)\n"

def test_export_refuses_a_format_its_file_name_contradicts(path, tmp_path):
    for fmt, name in (("jsonl", "x.csv"), ("csv", "x.jsonl"), ("xlsx", "x.csv"), ("csv", "x.xlsx")):
        out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-f", fmt, "-o", str(tmp_path / name),
                                             "--db", str(path)])
        assert out.exit_code == 2 and out.stderr == f"error: --format {fmt} does not go with {name}\n"
        assert not (tmp_path / name).exists()
    ok = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-f", "csv", "-o", str(tmp_path / "x.txt"),
                                        "--db", str(path)])
    assert ok.exit_code == 0 and (tmp_path / "x.txt").read_text(encoding="utf-8").startswith("id,")


@pytest.mark.parametrize("sql", ["", "  ;\n", "/* nothing */", "-- nothing", "; -- a\n/* b */ ;\f", "/* open",
                                 "--\n--"])
def test_a_query_without_a_statement_is_a_usage_error(path, sql):
    """SQL of comments and semicolons alone ran nothing and printed "0 rows" (exit 0), where an empty string is a
    usage error: the same answer now, whatever holds no statement."""
    out = CliRunner().invoke(cli_app(), ["query", "--db", str(path), "--", sql])  # (-- a comment is no option)
    assert out.exit_code == 2 and out.stdout == "" and "give one SQL statement" in out.stderr



@pytest.mark.parametrize("sql", ["SELECT 1 -- one", "/* a */ SELECT 1", "--x\nSELECT 1;", "/**/SELECT 1"])
def test_a_statement_beside_comments_runs(path, sql):
    out = CliRunner().invoke(cli_app(), ["query", "--db", str(path), "-f", "csv", "--", sql])
    assert out.exit_code == 0 and out.stdout.splitlines()[1:] == ["1"], out.output


@pytest.mark.parametrize("command", [["analyze", "scorecard"], ["search", "公开"], ["export", "-t", "reports"],
                                     ["chart", "applications"]])
def test_a_year_no_report_can_have_is_a_usage_error_not_a_traceback(path, command, tmp_path):
    """A year past SQLite's integers (a pasted id) ended each of these in an OverflowError traceback."""
    from govreports.cli import app

    output = ["-o", str(tmp_path / "x.svg")] if command[0] == "chart" else []
    for year in ("99999999999999999999", "0"):
        out = CliRunner().invoke(app, [*command, "--year", year, "--db", str(path), *output])
        assert out.exit_code == 2 and "--year" in out.stderr, (command, year, out.output, out.exception)
    assert not (tmp_path / "x.svg").exists()


def test_export_refuses_a_file_name_of_a_format_it_does_not_write(path, tmp_path):
    """`export -t report_flat -o reports.json` wrote CSV into reports.json, exit 0 (json.load fails on it); so
    with .xls (Excel warns the file is not what its name says) and .tsv (opened as tab-separated: one column).
    Without -f such a name is a usage error saying what export writes; -f chooses on purpose."""
    for name in ("x.json", "x.XLS", "x.tsv"):
        out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-o", str(tmp_path / name),
                                             "--db", str(path)])
        assert out.exit_code == 2, out.output
        assert name in out.stderr and ".jsonl" in out.stderr and not (tmp_path / name).exists()
    ok = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-f", "jsonl", "-o", str(tmp_path / "x.json"),
                                        "--db", str(path)])
    assert ok.exit_code == 0 and json.loads((tmp_path / "x.json").read_text(encoding="utf-8").splitlines()[0])


def test_export_refuses_a_compressed_file_name(path, tmp_path):
    """`export -t report_flat -o reports.csv.gz` wrote plain CSV into reports.csv.gz, exit 0: gunzip says 'not in
    gzip format' and pandas.read_csv, which reads the suffix, 'Not a gzipped file'; -f csv did the same. Export
    compresses nothing, so a compressed file's name is a usage error with or without -f; so is a .parquet."""
    for name, fmt in (("x.csv.gz", []), ("x.csv.GZ", ["-f", "csv"]), ("x.jsonl.bz2", ["-f", "jsonl"]),
                      ("x.zip", []), ("x.csv.xz", []), ("x.parquet", [])):
        out = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", *fmt, "-o", str(tmp_path / name),
                                             "--db", str(path)])
        assert out.exit_code == 2, (name, out.output)
        assert name in out.stderr and not (tmp_path / name).exists()
    ok = CliRunner().invoke(cli_app(), ["export", "-t", "agencies", "-o", str(tmp_path / "x.v2.csv"),
                                        "--db", str(path)])  # a dot inside the name is no suffix of its own
    assert ok.exit_code == 0 and (tmp_path / "x.v2.csv").read_text(encoding="utf-8").startswith("id,")
