"""Filters that say what went wrong: one agency-matching rule for every command (exact, normalised, else an error
with suggestions), `--rule` validated, and an analysis of an agency with no reports saying so."""

from __future__ import annotations

import sqlite3

import pytest

from govreports.query.agencies import AgencyNotFound, agency_years, resolve_agency
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
])
def test_a_name_that_matches_no_agency_lists_suggestions(conn, text, suggested):
    with pytest.raises(AgencyNotFound) as caught:
        resolve_agency(conn, text)
    assert caught.value.suggestions == suggested and caught.value.exit_code == 1
    assert str(caught.value) == f"no agency {text!r}; did you mean {', '.join(suggested)}?"


def test_a_name_like_nothing_says_where_the_names_are(conn):
    with pytest.raises(AgencyNotFound, match="no agency '不存在的局' .*SELECT name FROM agencies"):
        resolve_agency(conn, "不存在的局")
