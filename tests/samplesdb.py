"""A small database from the real samples, built once per test session and shared read-only by the query, filter
and export tests: every report text of samples/texts that names its agency, the two canonical records of
samples/expected, and the hand-made records of storehelp.KNOWN (whose answers are worked out by hand).

Tests must not write to it: use `sample_db_copy` for one that a test may change."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SAMPLES, load_expected, sample_text
from storehelp import KNOWN

_BUILT: dict[str, Path] = {}


def sample_records() -> list[dict]:
    from govreports.parse import parse_bytes

    records = []
    for path in sorted((SAMPLES / "texts").glob("*.txt")):
        header, body, hints = sample_text(path)
        record = parse_bytes(body.encode("utf-8"), path.name, hints=hints)
        if record.get("agency") and record.get("year"):
            records.append(record)
    records += [load_expected(p) for p in sorted((SAMPLES / "expected").glob("*.json"))]
    return records + KNOWN


def sample_db(tmp_path_factory) -> Path:
    """The shared database file (built on first use)."""
    if "db" not in _BUILT:
        from govreports.store import connect, load_record

        path = tmp_path_factory.mktemp("samples") / "samples.db"
        with connect(path) as db:
            for record in sample_records():
                load_record(db, record)
        _BUILT["db"] = path
    return _BUILT["db"]


def sample_db_copy(tmp_path_factory, tmp_path) -> Path:
    path = tmp_path / "samples.db"
    shutil.copy(sample_db(tmp_path_factory), path)
    return path
