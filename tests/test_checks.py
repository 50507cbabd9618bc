"""Rules R1–R4 (validate.checks) where a report leaves cells blank: not evaluable, unless the cells it gives
already break the identity whatever the blanks hold (counts are never negative)."""

from __future__ import annotations

import pytest

from conftest import SAMPLES, require_samples, sample_text
from govreports.parse import parse_bytes
from govreports.validate.checks import _check


@pytest.mark.parametrize(("left", "right"), [
    ([7], [6, None, None, 2]),  # the parts given already exceed the 总计
    ([10, 0], [12, None]),  # R1: 新收 + 结转 given, 总计 alone above them
    ([None, 3], [1, 1]),  # the side with the blank is the larger already
])
def test_cells_given_that_exceed_the_other_side_fail_whatever_the_blanks_hold(left, right):
    check = _check("R4", "review_litigation.review", left, right)
    assert check["ok"] is False
    assert "null" in check["detail"] and "blank" in check["detail"]


@pytest.mark.parametrize(("left", "right"), [
    ([7], [5, None, None, 2]),  # the blanks may be 0: holds, but blank is not 0
    ([9], [5, None, None, 2]),  # the blanks may hold the 2 missing
    ([None], [5, 2]),  # no 总计: nothing to compare with
    ([10, None], [12, None]),  # blanks on both sides: either may make up the difference
    ([1], [3, -1, None]),  # a negative cell: the blanks bound nothing
])
def test_cells_given_that_a_blank_could_still_balance_are_not_evaluable(left, right):
    check = _check("R4", "review_litigation.review", left, right)
    assert check["ok"] is None
    assert check["detail"].endswith("(blank cells: not evaluable)")


def test_a_report_leaving_zeros_blank_whose_group_of_four_cannot_add_up_fails_r4():
    """Sample 13 leaves its zero cells blank (7 = 5 + _ + _ + 2): with 结果维持 written 6, no reading of its blanks
    makes 6 + 2 add up to 7, yet R4 came out not evaluable and the report's R1–R4 'ok' (its two R1 checks hold)."""
    require_samples()
    header, body, hints = sample_text(SAMPLES / "texts" / "13_shanghai_szfbgt_2019.txt")
    row = "\n5\t\t\t2\t7\t8\t\t\t1\t9"
    assert row in body
    r4 = {c["where"]: c["ok"] for c in parse_bytes(body.encode("utf-8"), hints=hints)["checks"] if c["rule"] == "R4"}
    assert r4["review_litigation.review"] is None  # as given: the blanks may be 0
    broken = parse_bytes(body.replace(row, "\n6" + row[2:]).encode("utf-8"), hints=hints)
    assert broken["review_litigation"]["review"]["upheld"] == 6
    r4 = {c["where"]: c["ok"] for c in broken["checks"] if c["rule"] == "R4"}
    assert r4 == {"review_litigation.review": False, "review_litigation.litigation_direct": None,
                  "review_litigation.litigation_after_review": None}
