"""The raw archive: content-addressed layout, idempotent writes, nothing outside the root."""

from __future__ import annotations

import hashlib

import pytest

from govreports.fetch import Archive


def test_put_layout_and_dedup(tmp_path):
    a = Archive(tmp_path / "archive")
    body = "政府信息公开工作年度报告".encode()
    sha = a.put(body)
    assert sha == hashlib.sha256(body).hexdigest()
    assert a.path_for(sha) == (tmp_path / "archive" / sha[:2] / sha[2:4] / sha).resolve()
    assert a.relpath(sha) == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert a.get(sha, verify=True) == body and a.exists(sha)
    mtime = a.path_for(sha).stat().st_mtime_ns
    assert a.put(body) == sha
    assert a.path_for(sha).stat().st_mtime_ns == mtime  # not rewritten
    files = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert files == [a.path_for(sha)]  # one file, no temp leftovers


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "ab/../../x", "0" * 63, "0" * 65, "g" * 64, "/" + "0" * 63, "", "0" * 62 + "/.", None],
)
def test_refuses_non_digest_names(tmp_path, name):
    a = Archive(tmp_path)
    for call in (a.path_for, a.exists, a.get):
        with pytest.raises(ValueError):
            call(name)


def test_uppercase_digest_is_normalised(tmp_path):
    a = Archive(tmp_path)
    sha = a.put(b"x")
    assert a.get(sha.upper()) == b"x"


def test_get_verify_detects_corruption(tmp_path):
    a = Archive(tmp_path)
    sha = a.put(b"abc")
    a.path_for(sha).write_bytes(b"abd")
    with pytest.raises(ValueError):
        a.get(sha, verify=True)
    with pytest.raises(FileNotFoundError):
        a.get("0" * 64)
