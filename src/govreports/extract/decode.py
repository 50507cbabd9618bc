"""Bytes to text the way Chinese portals need it: BOM, then a declared charset, then detection.

GB2312 and GBK declarations are read as GB18030 (a superset) because real pages labelled gb2312 use GBK-only
characters; a wrong label that fails to decode falls through to detection instead of producing mojibake.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "csgb2312": "gb18030",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Western single-byte labels: servers' defaults (Tomcat and Spring send `charset=ISO-8859-1` unless told otherwise),
# never a Chinese page's real encoding, and they decode any bytes without an error, so a wrong one never fell
# through: every title turned to mojibake and failed the title filter (a portal "ok" with nothing found). On text
# that is not ASCII such a label is passed over for the next clue: the page's own meta charset, UTF-8, detection.
_WEAK = frozenset({"iso8859-1", "cp1252", "iso8859-15", "ascii"})


def _canonical(name: str) -> str | None:
    name = name.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)  # aliases such as euc-cn resolve to gb2312/gbk: widen those too


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    return _canonical(m.group(1).decode("ascii", "ignore")) if m else None


# good non-ASCII characters a broken UTF-8 sequence must come with to be taken for a slip (a title a CMS cut at a
# byte count) in UTF-8 text. GBK read as UTF-8 breaks on most of its characters, far more often than one in 20.
_GOOD_PER_BAD = 20
_GOOD_PER_BAD_DECLARED = 10  # in text labelled GB: the label is the site's word for it (a title cut in a short answer)


def _as_utf8(data: bytes) -> str | None:
    """``data`` read as UTF-8: whole, or with its few broken sequences replaced (see _GOOD_PER_BAD); else None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _mostly(data, "utf-8")


def _mostly(data: bytes, encoding: str, good_per_bad: int = _GOOD_PER_BAD) -> str | None:
    """``data`` read in ``encoding`` with its broken sequences replaced, when they are few (``good_per_bad``)."""
    text = data.decode(encoding, errors="replace")
    replaced = text.count("\ufffd")
    bad = replaced - data.count("\ufffd".encode(encoding))  # (a U+FFFD the text itself holds is no broken sequence)
    good = len(text) - len(text.encode("ascii", "ignore")) - replaced
    return text if good >= good_per_bad * bad else None


def decode_bytes(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    for candidate in (http_charset and _canonical(http_charset), declared_charset(data)):
        if candidate == "gb18030" and not data.isascii() and (text := _as_utf8(data)) is not None:
            # STACK.md §4: a GB label on valid non-ASCII UTF-8 is a mislabel; gb18030 would "succeed" with mojibake
            return text, "utf-8"
        if candidate in _WEAK and not data.isascii():
            continue
        if candidate:
            try:
                return data.decode(candidate), candidate
            except UnicodeDecodeError:
                # a GB label on GB text with a character cut short (its UTF-8 reading failed above): kept. Detection
                # had a short answer (a one-item list API's JSON) for cp1250. Not another label's: GBK labelled
                # Big5 reads as Big5 with few errors, all of it nonsense
                if candidate == "gb18030" and (text := _mostly(data, candidate, _GOOD_PER_BAD_DECLARED)) is not None:
                    return text, candidate
    # UTF-8 with a character cut short here and there: detection took such a page for GB18030, all of it mojibake
    if (text := _as_utf8(data)) is not None:
        return text, "utf-8"
    best = _detected(data[:200_000])
    if best is not None and best.encoding:
        enc = _canonical(best.encoding) or best.encoding
        return data.decode(enc, errors="replace"), enc
    return data.decode("gb18030", errors="replace"), "gb18030"


def _detected(data: bytes):
    """charset-normalizer's best reading, GB18030 on a tie: a short text (a title, a JSON list's few items) reads
    as well in Big5, CP949 or Shift-JIS, and its first-ranked of those was taken ('2023年报' read '2023爛惆'); a
    Chinese government site writes GBK. Real Big5 is no tie (its characters make no sense as GBK)."""
    results = from_bytes(data)
    best = results.best()
    if best is None or best.encoding == "gb18030":
        return best
    gb = next((m for m in results if m.encoding == "gb18030"), None)
    return gb if gb is not None and gb.chaos <= best.chaos and gb.coherence >= best.coherence else best
