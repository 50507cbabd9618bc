"""Property-based round trips: random valid records of both formats, rendered into the layouts real reports come
in, parse back to the same record (every cell, the metadata and the section texts)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from govreports.parse import parse_bytes
from govreports.render import HTML_STYLES, TEXT_STYLES, to_docx, to_html, to_pdf, to_text
from govreports.render.sheet import to_xls, to_xlsx
from strategies import record_fixture, records

RENDERERS = {
    **{f"html-{s}": (lambda r, s=s: to_html(r, style=s).encode("utf-8")) for s in HTML_STYLES},
    **{f"text-{s}": (lambda r, s=s: to_text(r, style=s).encode("utf-8")) for s in TEXT_STYLES},
    "docx": to_docx,
    "xlsx": to_xlsx,  # numbers of table 四 stored as text, its blanks "/" (render.sheet.XLSX_QUIRKS)
    "xls": to_xls,  # table 二's numbers as text, table 三's blanks "——"
    "pdf": to_pdf,
}
FAST = [name for name in RENDERERS if name != "pdf"]


def assert_round_trip(original: dict, parsed: dict, layout: str) -> None:
    for key in ("title", "agency", "year", "format", "published"):
        assert parsed[key] == original[key], (layout, key)
    for table in ("active", "applications", "review_litigation"):
        for row, cols in original[table].items():
            for col, value in cols.items():
                got = parsed[table][row][col]
                assert got == value and type(got) is type(value), (layout, table, row, col, value, got)
        assert set(parsed[table]) == set(original[table]), (layout, table)
    for number, text in original["sections"].items():
        assert parsed["sections"].get(number) == text, (layout, "section", number)


@pytest.mark.parametrize("fmt", ["2019", "2021"])
@pytest.mark.parametrize("layout", list(RENDERERS))
def test_fixture_round_trip(layout, fmt):
    record = record_fixture(fmt)
    assert_round_trip(record, parse_bytes(RENDERERS[layout](record)), layout)


@pytest.mark.parametrize("layout", FAST)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(max_paragraphs=3))
def test_random_records_round_trip(layout, record):
    assert_round_trip(record, parse_bytes(RENDERERS[layout](record)), layout)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(max_paragraphs=2))
def test_random_records_round_trip_pdf(record):
    assert_round_trip(record, parse_bytes(to_pdf(record)), "pdf")
