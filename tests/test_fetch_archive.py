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


def test_a_batched_archive_syncs_once_for_many_writes_and_not_for_none(tmp_path, monkeypatch):
    """A crawl's archive: no fsync per write; `sync()` makes the writes so far durable in one call."""
    import os

    from govreports.fetch import archive as archive_module

    fsyncs, syncs = [], []
    monkeypatch.setattr(archive_module.os, "fsync", lambda fd: fsyncs.append(fd))
    monkeypatch.setattr(archive_module, "sync_filesystem", lambda root: syncs.append(root))
    a = Archive(tmp_path / "archive", batched=True)
    a.sync()
    assert syncs == []  # nothing written: nothing to sync
    shas = [a.put(f"body {i}".encode()) for i in range(5)]
    assert fsyncs == [] and syncs == []
    a.sync()
    assert syncs == [a.root]
    a.sync()
    a.put(b"body 0")  # already stored: nothing new to make durable
    a.sync()
    assert syncs == [a.root]
    assert [a.get(s, verify=True) for s in shas] == [f"body {i}".encode() for i in range(5)]
    assert not any(p.name.startswith(".tmp-") for p in a.root.rglob("*")) and os.listdir(a.root)


def test_a_write_that_ends_during_a_sync_is_synced_by_the_next(tmp_path, monkeypatch):
    """Writes run in the fetcher's threads while the sink syncs: one that lands while the sync runs is not
    counted as synced by it (its row is written after the next sync)."""
    from govreports.fetch import archive as archive_module

    a = Archive(tmp_path / "archive", batched=True)
    syncs = []

    def sync_while_another_write_lands(root):
        syncs.append(root)
        if len(syncs) == 1:
            a.put(b"written while the first sync ran")

    monkeypatch.setattr(archive_module, "sync_filesystem", sync_while_another_write_lands)
    a.put(b"first")
    a.sync()
    a.sync()
    assert len(syncs) == 2
    a.sync()
    assert len(syncs) == 2


def test_a_file_a_crash_cut_short_is_written_again(tmp_path):
    """After a power cut before the batch's sync, a new file's name can be there with its data short or missing:
    the body is stored again rather than taken as there (which would keep the damaged file for ever)."""
    for batched in (False, True):
        a = Archive(tmp_path / f"archive-{batched}", batched=batched)
        body = "政府信息公开工作年度报告".encode() * 100
        sha = a.put(body)
        a.path_for(sha).write_bytes(b"")
        assert a.store(body) == (sha, True)
        assert a.get(sha, verify=True) == body
        a.path_for(sha).write_bytes(body[:100])
        assert a.store(body) == (sha, True) and a.get(sha, verify=True) == body
        assert a.store(body) == (sha, False)


def test_sync_filesystem_makes_the_call_the_platform_has(tmp_path, monkeypatch):
    """syncfs(2) on the archive's own filesystem where libc has it (Linux); os.sync() where it has not."""
    from govreports import durable

    if durable._syncfs() is not None:
        durable.sync_filesystem(tmp_path)  # a real syncfs on a real directory: no error
    calls = []
    monkeypatch.setattr(durable, "_syncfs", lambda: None)
    monkeypatch.setattr(durable.os, "sync", lambda: calls.append("sync"))
    durable.sync_filesystem(tmp_path)
    assert calls == ["sync"]
    failing = []

    def syncfs_that_fails(fd):
        failing.append(fd)
        return -1

    monkeypatch.setattr(durable, "_syncfs", lambda: syncfs_that_fails)
    with pytest.raises(OSError, match="syncfs"):
        durable.sync_filesystem(tmp_path)
    assert len(failing) == 1


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_an_archived_file_gets_the_mode_a_new_file_gets(tmp_path, umask, mode):
    """The temp file a write starts from is mkstemp's, 0600, and the rename kept that: every archived body and
    tool output was readable by its owner alone, where the database beside it is 0644 under the same umask. A
    re-parse, a backup or a server run by another user of the group read none of them (a re-parse counts each
    such body `missing`: "could not be read: Permission denied"). Now a file gets what `open()` would give it,
    as `export` does."""
    import os
    import stat

    before = os.umask(umask)
    try:
        for batched in (False, True):
            a = Archive(tmp_path / f"archive-{batched}", batched=batched)
            assert stat.S_IMODE(a.path_for(a.put(b"report")).stat().st_mode) == mode
            key = "ab" * 32
            a.put_as(key, b"tool output")
            assert stat.S_IMODE(a.path_for(key).stat().st_mode) == mode
    finally:
        os.umask(before)
