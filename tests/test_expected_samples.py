"""Every record in samples/expected is reproduced exactly, cell for cell, from its real source."""

from __future__ import annotations

import pytest

from conftest import expected_records, load_expected, require_samples
from govreports.parse import parse_path

CASES = expected_records()


def test_there_are_expected_records():
    require_samples()
    assert len(CASES) >= 2


@pytest.mark.parametrize("source,expected_path", CASES, ids=[c[0].name for c in CASES])
def test_expected_record_reproduced(source, expected_path):
    expected = load_expected(expected_path)
    outcome = parse_path(source)
    assert outcome.ok, outcome.error
    record = outcome.record
    for key in ("title", "agency", "year", "format", "published"):
        assert record[key] == expected[key], key
    for table in ("active", "applications", "review_litigation"):
        assert set(record[table]) == set(expected[table]), table
        for row, cols in expected[table].items():
            assert set(record[table][row]) == set(cols), (table, row)
            for col, value in cols.items():
                got = record[table][row][col]
                # exact: same value and same JSON type (an int is not a float, a null is not a 0)
                assert (got, type(got)) == (value, type(value)), (table, row, col)


@pytest.mark.parametrize("source,expected_path", CASES, ids=[c[0].name for c in CASES])
def test_expected_record_has_all_six_sections_and_checks(source, expected_path):
    record = parse_path(source).record
    assert list(record["sections"]) == ["1", "2", "3", "4", "5", "6"]
    assert record["sections"]["6"].startswith("无")
    rules = {c["rule"] for c in record["checks"]}
    assert rules == {"R1", "R2", "R3", "R4"}
    assert not [c for c in record["checks"] if c["ok"] is False]
