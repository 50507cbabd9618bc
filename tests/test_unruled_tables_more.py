"""More tables drawn without ruling lines (see test_unruled_tables): page numbers close under a table's last row,
footnote marks as words of their own inside a row or after a row's only value, table 三 with one or two value
columns set to one side of their cells, and a header cell split in two words over its value."""

from __future__ import annotations

import pytest

from govreports.extract.pdf import extract_pdf
from govreports.parse.report import build_record
from test_unruled_tables import _cells_pdf, _table_three_at_the_foot


@pytest.mark.parametrize("fast", [True, False], ids=["pdfium", "pdfplumber"])
def test_a_page_number_centred_on_the_page_nearer_than_a_row_is_not_joined(fast):
    """The page's number centred on the page 9 pt under the last row (rows 12 pt apart, so nearer than the next row
    would stand), in the table's size, over 商业企业's 38 of 结转下年度: it was joined to it, 387, silently. The column's
    values are centred in their cells (their centres agree, their edges do not): a value's wrapped rest would be
    centred under it, and the page number stands 1.6 pt off that centre."""
    lines, expected, last = _table_three_at_the_foot()
    lines.append((last - 9, [(297.6, "7", "C")]))
    document = extract_pdf(_cells_pdf(lines), fast=fast)
    assert build_record(document, {})["applications"] == expected
