"""A version's identity: the sha256 of its record's canonical JSON, without volatile keys (`source`, `_…`) and
provenance (`published_source`).

Every stored hash was made by `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` in UTF-8, so
those bytes are the contract: a changed byte would give every stored report a spurious new version. orjson writes
the same bytes five times faster for plain values and is used exactly there (`_canonical_pieces`).
"""

from __future__ import annotations

import hashlib
import json

import orjson


def canonical(record: dict) -> dict:
    """The record without volatile keys."""
    return {k: v for k, v in record.items() if k != "source" and not k.startswith("_")}


# provenance, not content: where the publication date was read (a re-post of one report on another portal, read
# from its <meta> there and from a label here, is the same report)
UNHASHED_KEYS = frozenset(("published_source",))


def record_sha256(record: dict) -> str:
    """The version hash of a record."""
    return version_sha(canonical(record))


def version_sha(content: dict, plain: frozenset = frozenset()) -> str:
    """The version hash of a canonical record (`canonical`). `plain`: top-level keys whose values the caller has
    seen to be plain JSON (dicts of dicts of ints, strings and None), not walked again."""
    return version_shas(content, plain)[0]


def version_shas(content: dict, plain: frozenset = frozenset(), without: str = "published") -> tuple[str, str]:
    """The version hash of a canonical record and the hash of the same record without its key `without` (the
    loader keeps both: a re-post dated by its list entry is the same report), from one walk of its values and one
    serialisation: the record's bytes are its keys' pieces, so the second hash joins them again without one."""
    hashed = {k: v for k, v in content.items() if k not in UNHASHED_KEYS}
    pieces = _canonical_pieces(hashed, plain)
    if pieces is None:
        dated = _json_bytes(hashed)
        undated = _json_bytes({k: v for k, v in hashed.items() if k != without})
    else:
        dated = b"{" + b",".join(pieces.values()) + b"}"
        undated = b"{" + b",".join(piece for k, piece in pieces.items() if k != without) + b"}"
    return hashlib.sha256(dated).hexdigest(), hashlib.sha256(undated).hexdigest()


def _json_bytes(content: dict) -> bytes:
    """The bytes every stored version hash was made of."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _canonical_pieces(content: dict, plain: frozenset = frozenset()) -> dict[str, bytes] | None:
    """Each top-level key's `"key":value` as json writes it in the record's bytes, in json's key order (Python's
    order of strings), written by orjson; None where orjson would write other bytes than json (floats Python
    writes with an exponent, NaN, anything but plain dicts, lists, strings, ints, bools and None) or refuses (a key
    that is not a string, an int past 64 bits): json writes those records whole. orjson writes the very same bytes
    for plain JSON values (tested over every code point and a million floats)."""
    if not all(type(key) is str for key in content):
        return None
    if not all(_orjson_safe(value) for key, value in content.items() if key not in plain):
        return None
    try:
        return {key: orjson.dumps(key) + b":" + orjson.dumps(content[key], option=orjson.OPT_SORT_KEYS)
                for key in sorted(content)}
    except (TypeError, orjson.JSONEncodeError):
        return None


_PLAIN_LEAVES = frozenset((str, int, bool, type(None)))


def _orjson_safe(value) -> bool:
    """Whether orjson and json write `value` alike: plain containers of plain leaves, floats only where Python's
    repr writes no exponent (0 and 1e-4 <= |x| < 1e16; finite)."""
    kind = type(value)
    if kind is dict:
        value = value.values()
    elif kind is not list and kind is not tuple:
        return kind in _PLAIN_LEAVES or (kind is float and (value == 0 or 1e-4 <= abs(value) < 1e16))
    for item in value:
        if type(item) not in _PLAIN_LEAVES and not _orjson_safe(item):
            return False
    return True
