"""A database written by another govreports: an older one's (migrations pending) read by today's read-only
commands, which never migrate it, and a newer one's (migrations this govreports does not know)."""

from __future__ import annotations

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from govreports.store import connect
from govreports.store.migrations import latest_version, migrations
from storehelp import chart_app, cli_app

OLD = 5  # before m006 (regions, the scorecard view): agencies have no province or kind yet


@pytest.fixture
def old_db(tmp_path):
    """A database of schema version 5 holding one report, as a govreports of that time wrote it."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m006_published_source_regions_scorecard")
    db.execute(f"PRAGMA user_version = {OLD}")
    with db.conn:
        db.execute("INSERT INTO agencies (id, name, norm_name) VALUES (1, '甲市教育局', '甲市教育局')")
        db.execute("INSERT INTO reports (id, agency_id, year, source_key, format, first_seen, last_seen)"
                   " VALUES (1, 1, 2020, '/data/a.html', '2019', '2021-01-01', '2021-01-01')")
        db.execute("INSERT INTO report_versions (id, report_id, version, sha256, format, loaded_at, record_keys)"
                   " VALUES (1, 1, 1, 'x', '2019', '2021-01-01', '[]')")
        db.execute("UPDATE reports SET current_version_id = 1")
    db.close()
    return path


READERS = [(cli_app, ["analyze", "rule_failures"]), (cli_app, ["analyze", "scorecard"]),
           (cli_app, ["report", "甲市教育局"]), (chart_app, ["chart", "applications", "-o", "{tmp}/a.svg"])]


@pytest.mark.parametrize("app, args", READERS, ids=lambda v: v[1] if isinstance(v, list) else "")
def test_a_read_only_command_on_an_older_database_says_how_to_bring_it_up_to_date(old_db, tmp_path, app, args):
    """Read-only commands do not migrate (a write, under a running writer), so a table or column an older schema
    lacks failed them: with a traceback (`report`, `chart`, `analyze rule_failures`: "no such column: a.province")
    or a bare "SQL error: no such table: scorecard". They say what the database is and what upgrades it, as
    `export` does, and leave it as it was."""
    command = [a.replace("{tmp}", str(tmp_path)) for a in args] + ["--db", str(old_db)]
    out = CliRunner().invoke(app(), command)
    assert out.exit_code == 1 and isinstance(out.exception, (SystemExit, type(None))), out.exception
    assert f"schema version {OLD}, this govreports writes {latest_version()}" in out.stderr, out.stderr
    assert "`govreports serve` or the next load or crawl upgrades it" in out.stderr
    assert Database(old_db).execute("PRAGMA user_version").fetchone()[0] == OLD  # not migrated
    with connect(old_db):
        pass  # what a load or crawl does first
    again = CliRunner().invoke(app(), command)
    assert "schema version" not in again.stderr and isinstance(again.exception, (SystemExit, type(None)))


@pytest.fixture
def newer_db(tmp_path):
    """A database a later govreports wrote: one more migration applied than this one has."""
    from govreports.store.migrations import MIGRATION_SET

    path = tmp_path / "newer.db"
    with connect(path) as db:
        db["_sqlite_migrations"].insert({"migration_set": MIGRATION_SET, "name": "m999_from_a_later_govreports",
                                         "applied_at": "2027-01-01 00:00:00+00:00"})
        db.execute(f"PRAGMA user_version = {latest_version() + 1}")
    return path


@pytest.fixture
def command(monkeypatch, capsys):
    """`govreports ARGS…` run in this process as from the shell: (exit code, stdout, stderr)."""
    import sys

    from govreports.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["govreports", *args])
        with pytest.raises(SystemExit) as ended:
            main()
        out = capsys.readouterr()
        return ended.value.code or 0, out.out, out.err

    return run


@pytest.mark.parametrize("args", [["load", "{sample}"], ["analyze", "applications"], ["report", "甲市教育局"],
                                  ["search", "政府信息"], ["status"]], ids=lambda a: a[0])
def test_a_database_of_a_newer_govreports_is_refused_in_one_line(newer_db, command, args):
    """An older govreports given a database a newer one wrote found nothing pending and went on: its loader wrote
    reports without what the newer schema keeps beside them (a later migration's tables and rules), and its
    readers read the new schema by the old rules. It refuses, naming the migrations it does not know; nothing is
    written. `query` (SQL the user wrote) still reads it."""
    from storehelp import SHARED

    sample = SHARED / "samples" / "seed" / "000_dc3a28ed7fcc2bfa.txt"
    code, _, err = command(*[a.replace("{sample}", str(sample)) for a in args], "--db", str(newer_db))
    assert code == 1 and err.startswith(f"error: {newer_db} was written by a newer govreports"), err
    assert "(m999_from_a_later_govreports)" in err and "Traceback" not in err
    db = Database(newer_db)
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    assert db.execute("PRAGMA user_version").fetchone() == (latest_version() + 1,)
    assert command("query", "SELECT count(*) AS n FROM reports", "-f", "csv", "--db", str(newer_db))[:2] == \
        (0, "n\n0\n")


def test_versions_loaded_before_m022_find_their_re_posts_dated_by_a_list_entry(tmp_path):
    """m022 gave each version its hash without the publication date, so that a re-post dated by its list entry is
    a duplicate; versions loaded before it kept none (NULL), and a re-post of one of them, dated otherwise, was
    loaded as a second report of its agency's year, counted twice by every sum (measured on a database crawled at
    schema 20: every one of its 83 reports). Their hash is computed again from the stored record (m027), only
    where the record read back hashes to the version's own sha256."""
    import copy

    from govreports.store import load_record
    from storehelp import KNOWN

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m027_undated_hash_of_older_versions")
    first = load_record(old, copy.deepcopy(KNOWN[0]), source_key="http://a.example/1.html", dedupe=True)
    other = load_record(old, copy.deepcopy(KNOWN[2]), source_key="http://a.example/2.html", dedupe=True)
    old.execute("UPDATE report_versions SET undated_sha = NULL")  # as a loader before m022 left them
    old.execute("UPDATE report_versions SET sha256 = 'not this record' WHERE id = ?", [other.version_id])
    old.conn.commit()
    old.close()
    with connect(path) as db:
        assert db.execute("SELECT id FROM report_versions WHERE undated_sha IS NULL").fetchall() == [
            (other.version_id,)]  # a record that does not hash back to its version is left as it was
        repost = {**copy.deepcopy(KNOWN[0]), "published": "2021-03-09"}
        again = load_record(db, repost, source_key="http://b.example/9.html", dedupe=True)
        assert (again.status, again.report_id) == ("duplicate", first.report_id)
