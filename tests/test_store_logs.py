"""Fetch log (issues view) and crawl partitions."""

from __future__ import annotations

import pytest

from govreports.store import log_fetch, open_db, set_partition


def test_fetch_log_and_issues_view(tmp_path):
    db = open_db(tmp_path / "l.db")
    log_fetch(db, "http://a.gov.cn/1.html", 200, now="t1")
    log_fetch(db, "http://a.gov.cn/2.html", 404, "Not Found", now="t2")
    assert db["fetch_log"].count == 2
    assert [(r["url"], r["status"], r["error"]) for r in db.view("issues").rows] == [
        ("http://a.gov.cn/2.html", "404", "Not Found")]


def test_partition_attempts_and_errors(tmp_path):
    db = open_db(tmp_path / "p.db")
    set_partition(db, "shanghai", 2021, "running", now="t1")
    row = set_partition(db, "shanghai", 2021, "failed", "timeout", now="t2")
    assert (row["status"], row["attempts"], row["last_error"], row["updated_at"]) == ("failed", 1, "timeout", "t2")
    row = set_partition(db, "shanghai", 2021, "running", now="t3")
    row = set_partition(db, "shanghai", 2021, "done", now="t4")
    assert (row["status"], row["attempts"], row["last_error"]) == ("done", 2, None)
    with pytest.raises(ValueError):
        set_partition(db, "shanghai", 2021, "bogus")
