"""The loader's fast paths give exactly what the plain ones gave: the version hash (orjson where it writes json's
bytes) and the cells (one JSON object per version for ints, text and None; floats and bools bound as themselves)."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from govreports.demo.records import make_record
from govreports.store import connect, get_record, load_record, record_sha256
from govreports.store.cell_rows import CELL_INT_LIMIT
from govreports.store.load import load_records, prepare
from storehelp import expected_records

UNHASHED = ("source", "published_source")


def json_sha256(record: dict) -> str:
    """How every stored version hash was made before orjson: the record without volatile and provenance keys,
    json.dumps with sorted keys, compact, not ASCII-escaped, in UTF-8."""
    content = {k: v for k, v in record.items() if k not in UNHASHED and not k.startswith("_")}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode("utf-8")).hexdigest()


def test_hash_of_every_sample_and_demo_record_is_the_json_hash():
    records = [*expected_records().values(),
               *(make_record(seed, f"测试市第{seed}局", year, checks=True) for seed in range(4) for year in (2018, 2020, 2022))]
    assert len(records) >= 14
    for record in records:
        assert record_sha256(record) == json_sha256(record)


FLOATS = st.one_of(st.floats(), st.sampled_from([1e-7, 9.999e-05, 1e-4, 1e16, 9999999999999998.0, -0.0, 1e22,
                                                 math.nan, math.inf, -math.inf, 5e-324]))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), FLOATS,
                   st.text(max_size=12))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                      max_leaves=20)
CELLS = st.one_of(st.none(), st.integers(min_value=-2**63, max_value=2**63 - 1), FLOATS, st.text(max_size=8),
                  st.booleans())


@settings(max_examples=300, deadline=None)
@example(extra={"active": None}, cells=[None])  # a table replaced by a non-object (found in a clean-clone CI run)
@example(extra={"sections": True}, cells=[None])  # the sections, too (found in a clean-clone CI run: 'bool' has no items)
@example(extra={"checks": "ab"}, cells=[None])  # and the checks by a text, or a list of other than objects
@example(extra={"checks": [1, None]}, cells=[None])
@given(extra=st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: not k.startswith("_")), VALUES,
                             max_size=4),
       cells=st.lists(CELLS, min_size=1, max_size=6))
def test_hash_is_the_json_hash_for_any_json_value(extra, cells):
    record = copy.deepcopy(BASE)
    record.update(extra)
    for (table, row, col), value in zip(CELL_KEYS, cells):
        rows = record.get(table)  # `extra` may have replaced a table with any JSON value (None, a list, a text)
        if isinstance(rows, dict) and isinstance(rows.get(row), dict):
            record[table][row][col] = value
    assert record_sha256(record) == json_sha256(record)
    # the loader's second hash, joined from the same pieces without the publication date, is json's too
    prepared = prepare(record)
    assert (prepared.sha, prepared.undated_sha) == (
        json_sha256(record), json_sha256({k: v for k, v in record.items() if k != "published"}))


BASE = make_record(1, "测试市第1局", 2022, checks=True)
CELL_KEYS = [(t, r, c) for t in ("active", "applications", "review_litigation")
             for r, cols in BASE[t].items() for c in cols][::17]


def test_hash_of_what_json_cannot_write_still_fails_as_json_fails():
    """orjson writes datetimes, dataclasses and int keys; json refuses or changes them: json decides."""
    for odd in ({"when": datetime.date(2024, 1, 1)}, {"big": 2**80}, {"ints": {1: "a", 2: "b"}},
                {"tuple": (1, 2.5e-9)}):
        record = {**BASE, **odd}
        try:
            expected = json_sha256(record)
        except TypeError:
            with pytest.raises(TypeError):
                record_sha256(record)
        else:
            assert record_sha256(record) == expected


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with connect(tmp_path_factory.mktemp("exact") / "t.db") as database:
        yield database


def _cell_rows(db, version_id):
    return {(t, r, c): (v, raw, kind) for t, r, c, v, raw, kind in db.execute(
        "SELECT table_name, row_key, col_key, value, raw, typeof(value) FROM cells WHERE version_id = ?",
        [version_id])}


def test_cells_keep_their_exact_value_and_type(db):
    record = copy.deepcopy(BASE)
    odd = [0.1, 1e-7, 12345.678, 1e20, 10**12, -10**12, 2**53 + 1, "万元", None, 0, -5, 1 / 3, True, '"\\\n\x01😀', "a\x00b",
           10**12 + 1, -2**62, 2**63 - 1]
    for (table, row, col), value in zip(CELL_KEYS, odd):
        record[table][row][col] = value
    result = load_record(db, {**record, "agency": "精确市局"})
    rows = _cell_rows(db, result.version_id)
    for (table, row, col), value in zip(CELL_KEYS, odd):
        stored, raw, kind = rows[table, row, col]
        if isinstance(value, str):
            assert (stored, raw) == (None, value)
        elif type(value) is int and abs(value) > CELL_INT_LIMIT:  # kept as written, no number
            assert (stored, raw) == (None, str(value))
        elif value is None:
            assert (stored, raw, kind) == (None, None, "null")
        else:
            assert raw is None and stored == value and type(stored) is (int if type(value) is bool else type(value))
            assert kind == ("real" if type(value) is float else "integer")
    assert len(rows) == result.cells == sum(len(cols) for t in ("active", "applications", "review_litigation")
                                            for cols in record[t].values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.one_of(st.none(), st.integers(min_value=-2**63, max_value=2**63 - 1),
                                st.floats(allow_nan=False), st.text(max_size=8)), min_size=1, max_size=len(CELL_KEYS)),
       n=st.integers(min_value=0, max_value=10**9))
def test_any_cell_values_come_back_as_loaded(db, cells, n):
    record = copy.deepcopy(BASE)
    for (table, row, col), value in zip(CELL_KEYS, cells):
        record[table][row][col] = value
    record["agency"] = f"往返市第{n}局"
    [result] = load_records(db, [record])
    back = get_record(db, result.report_id)
    for table, row, col in CELL_KEYS[:len(cells)]:
        value, got = record[table][row][col], back[table][row][col]
        if type(value) is int and abs(value) > CELL_INT_LIMIT:
            value = str(value)  # past CELL_INT_LIMIT a count is kept as written
        assert got == value and type(got) is type(value), (table, row, col)


def test_an_absurd_count_costs_neither_its_batch_nor_the_analyses(tmp_path):
    """A cell of 24 digits (merged digits of a misread row; the parser reads any run of digits as a number) is kept
    as text: its batch loads, no SQL sum overflows, and the analyses still answer."""
    from govreports.parse.values import parse_value
    from govreports.query.analyses import ANALYSES, run_analysis

    huge = parse_value("123456789012345678901234").number
    records = [make_record(i, f"溢出市第{i}局", 2022, checks=True) for i in range(3)]
    records[1]["applications"]["new"]["natural_person"] = huge
    records[1]["applications"]["new"]["total"] = huge
    records[2]["review_litigation"]["review"]["upheld"] = 2**63 - 1
    with connect(tmp_path / "o.db") as db:
        results = load_records(db, records)
        assert [r.status for r in results] == ["new"] * 3
        back = get_record(db, results[1].report_id)
        assert back["applications"]["new"]["natural_person"] == str(huge)
        assert load_records(db, records)[1].status == "unchanged"  # the hash is the record's, as parsed
        totals = dict(db.execute("SELECT row_key, n FROM row_totals WHERE version_id = ? AND table_name ="
                                 " 'applications'", [results[1].version_id]).fetchall())
        assert totals["new"] is not None and abs(totals["new"]) <= CELL_INT_LIMIT
        for name in ANALYSES:
            params = {"agency": "溢出市第1局"} if name == "year_over_year" else {"year": 2023} if name == "missing" else {}
            assert run_analysis(tmp_path / "o.db", name, **params) is not None  # no "integer overflow"
