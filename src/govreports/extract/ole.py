"""The streams of an OLE2 compound file (Word 97 .doc, Excel 97 .xls, .ppt, WPS's .et), read from its bytes.

Two things need them before any reader runs: sniffing (an .xls is a compound file whose root holds a Workbook
stream, or Book for Excel 5; a .doc one holding WordDocument; an .xls with a Word document embedded holds that
deeper down, not at the root) and the spreadsheet limits (extract.sheetgrid walks the Workbook stream's cell
records to learn how large a grid each sheet spans before python-calamine builds it). Layout per [MS-CFB]: a
512-byte header, sectors chained by the FAT (whose own sectors the DIFAT lists), a directory of 128-byte entries
in a red-black tree, and streams under 4,096 bytes kept in the mini stream in 64-byte sectors. Every chain is
walked at most as many steps as the file has sectors, so a looping chain ends; anything out of place answers
None, and the reader (python-calamine) says what is wrong with the file.
"""

from __future__ import annotations

import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFE  # ENDOFCHAIN; above it FREESECT, below it FATSECT/DIFSECT: none is a sector of data
_NOSTREAM = 0xFFFFFFFF
_MAX_SECTOR = 0xFFFFFFFA


class _File:
    def __init__(self, data: bytes):
        if not data.startswith(MAGIC) or len(data) < 512:
            raise ValueError("not a compound file")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise ValueError("unknown sector sizes")
        self.size = 1 << shift
        self.mini_size = 1 << mini_shift
        self.sectors = max(0, (len(data) - self.size) // self.size) + 1
        n_fat, self.dir_start = struct.unpack_from("<I", data, 0x2C)[0], struct.unpack_from("<I", data, 0x30)[0]
        self.cutoff, minifat_start, _n_minifat, difat_start, n_difat = struct.unpack_from("<IIIII", data, 0x38)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s <= _MAX_SECTOR]
        per = self.size // 4 - 1
        for _ in range(min(n_difat, self.sectors)):  # DIFAT sectors: more FAT sector numbers, then the next one
            if difat_start > _MAX_SECTOR:
                break
            entries = struct.unpack_from(f"<{per + 1}I", self._sector(difat_start))
            fat_sectors.extend(s for s in entries[:per] if s <= _MAX_SECTOR)
            difat_start = entries[per]
        fat_sectors = fat_sectors[:max(n_fat, 0) or len(fat_sectors)]
        self.fat = b"".join(self._sector(s) for s in fat_sectors)
        self.entries = self._chain_bytes(self.dir_start)
        self.minifat_start = minifat_start
        self.entry(0)  # the root entry: a directory without one is no compound file

    def _mini(self) -> tuple[bytes, bytes]:
        """The mini stream (the root entry's stream) and the mini FAT, read only for a small stream (sniffing
        reads the directory alone)."""
        start = self.entry(0)[2]
        return (self._chain_bytes(start) if start <= _MAX_SECTOR else b"",
                self._chain_bytes(self.minifat_start) if self.minifat_start <= _MAX_SECTOR else b"")

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.size
        if n > _MAX_SECTOR or start + self.size > len(self.data):
            raise ValueError(f"sector {n} is past the end of the file")
        return self.data[start:start + self.size]

    def _chain(self, start: int, table: bytes, limit: int) -> list[int]:
        out, n = [], start
        while n <= _MAX_SECTOR:
            if len(out) >= limit or 4 * n + 4 > len(table):
                raise ValueError("a sector chain loops or leaves its table")
            out.append(n)
            n = struct.unpack_from("<I", table, 4 * n)[0]
        return out

    def _chain_bytes(self, start: int) -> bytes:
        return b"".join(self._sector(s) for s in self._chain(start, self.fat, self.sectors))

    def entry(self, i: int) -> tuple[str, int, int, int, int, int, int]:
        """(name, type, start sector, size, left sibling, right sibling, child) of directory entry i."""
        raw = self.entries[128 * i:128 * (i + 1)]
        if len(raw) < 128:
            raise ValueError(f"directory entry {i} is missing")
        length = min(struct.unpack_from("<H", raw, 64)[0], 64)
        name = raw[:max(length - 2, 0)].decode("utf-16-le", "replace")
        left, right, child = struct.unpack_from("<III", raw, 68)
        start, size = struct.unpack_from("<II", raw, 116)  # the size's high half is 0 in version 3 files
        return name, raw[66], start, size, left, right, child

    def top_level(self) -> dict[str, tuple[int, int, int]]:
        """The root storage's children: name -> (type, start sector, size)."""
        found: dict[str, tuple[int, int, int]] = {}
        todo, seen = [self.entry(0)[6]], set()
        while todo:
            i = todo.pop()
            if i == _NOSTREAM or i in seen or len(seen) > len(self.entries) // 128:
                continue
            seen.add(i)
            name, kind, start, size, left, right, _child = self.entry(i)
            found.setdefault(name, (kind, start, size))
            todo += [left, right]
        return found

    def read(self, start: int, size: int) -> bytes:
        if size < self.cutoff:  # in the mini stream, 64-byte sectors chained by the mini FAT
            mini_stream, minifat = self._mini()
            chain = self._chain(start, minifat, len(mini_stream) // self.mini_size + 1)
            data = b"".join(mini_stream[s * self.mini_size:(s + 1) * self.mini_size] for s in chain)
        else:
            data = self._chain_bytes(start)
        return data[:size]


def top_level_streams(data: bytes) -> set[str] | None:
    """The names of the streams and storages at the root of a compound file, or None when it cannot be read."""
    try:
        return set(_File(data).top_level())
    except (ValueError, struct.error):
        return None


def read_stream(data: bytes, *names: str) -> bytes | None:
    """The first of `names` found as a stream at the root, or None (no such stream, or a damaged file)."""
    try:
        ole = _File(data)
        streams = ole.top_level()
        for name in names:
            if name in streams and streams[name][0] == 2:
                _kind, start, size = streams[name]
                return ole.read(start, size)
    except (ValueError, struct.error):
        return None
    return None
