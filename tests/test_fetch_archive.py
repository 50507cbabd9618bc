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


def test_sweep_removes_only_old_temp_files(tmp_path):
    import os
    import time

    a = Archive(tmp_path / "archive")
    sha = a.put(b"report body")
    folder = a.path_for(sha).parent
    stale, fresh = folder / ".tmp-killed", folder / ".tmp-writing"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(a.path_for(sha), (two_hours_ago, two_hours_ago))  # old real files are never temp files
    assert a.sweep(older_than=3600) == 1
    assert not stale.exists() and fresh.exists() and a.get(sha, verify=True) == b"report body"
    assert a.sweep(older_than=0) == 1 and not fresh.exists()
    assert a.sweep() == 0
    assert Archive(tmp_path / "never-created").sweep() == 0


def test_put_fsyncs_the_file_then_every_directory_it_changed(tmp_path, monkeypatch):
    """A rename is durable only once its directory is synced; so is a new directory in its parent."""
    import os
    import stat

    from govreports.fetch import archive as archive_module

    events: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync-dir", (info.st_dev, info.st_ino)) if stat.S_ISDIR(info.st_mode) else ("fsync-file", None))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", None))
        real_replace(src, dst)

    monkeypatch.setattr(archive_module.os, "fsync", fsync)
    monkeypatch.setattr(archive_module.os, "replace", replace)

    def inode(p):
        return (p.stat().st_dev, p.stat().st_ino)

    root = tmp_path / "archive"
    a = Archive(root)
    sha = a.put(b"first")
    folder = a.path_for(sha).parent
    kinds = [e[0] for e in events]
    assert kinds.index("fsync-file") < kinds.index("replace") < len(kinds) - 1
    assert events[-1] == ("fsync-dir", inode(folder))  # after the rename: the new name is durable
    synced = {e[1] for e in events if e[0] == "fsync-dir"}
    assert {inode(root), inode(folder.parent), inode(folder)} <= synced  # new ab/ and ab/cd/ recorded too
    events.clear()
    assert a.put(b"first") == sha and events == []  # already stored: nothing written, nothing synced
