"""The one text fold: the steps every match key is built from, so that width, script and spacing never split
what a portal, a label or an agency's name means.

`compact` is NFKC (full-width digits, letters and brackets; U+00A0 and U+3000 become plain spaces) with the
whitespace removed; `t2s` is OpenCC's traditional → simplified conversion (mirror sites carry 繁體 copies), with
one converter per process. The three users combine them, each in its own order, which they keep:

- `portals.titles` compares titles: `compact(title)`, and `t2s` of it for its own report patterns;
- `store.agency.normalise_agency` keys agencies: `t2s(compact(name))` (spaces go first, so a name written
  "乾 县" converts as the phrase 乾县);
- `parse.normalize.to_key` keys table labels: NFKC, `t2s` when there is a Han character, then the whitespace and
  zero-width characters go (labels are converted a whole document at a time, separators kept).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WHITESPACE = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


# characters that take no room on the page: soft hyphen, zero-width space, non-joiner and joiner, the direction
# marks and embeddings, word joiner and invisible operators, the direction isolates, BOM (zero-width no-break
# space). Word exports and CMS editors leave them inside words and numbers ('8\u200c21' is 821 on the page).
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def drop_invisible(text: str) -> str:
    """`text` without the characters that show nothing (INVISIBLE): the text as a reader sees it."""
    if text.isascii():
        return text
    return INVISIBLE.sub("", text)


def t2s(text: str) -> str:
    """Traditional characters → simplified (OpenCC t2s)."""
    return _converter().convert(text)


def has_han(text: str) -> bool:
    """Whether `text` holds a CJK unified ideograph (basic block): only then is `t2s` worth its cost."""
    return _HAN.search(text) is not None


def compact(text: str | None, spaces: re.Pattern[str] = WHITESPACE) -> str:
    """NFKC with every run of `spaces` removed."""
    return spaces.sub("", unicodedata.normalize("NFKC", text or ""))


def join_apart(parts: list[str], sep: str) -> str | None:
    """`parts` joined by `sep`, to be searched or converted at once in C and told apart again by `sep`; None when a
    part holds `sep` itself (the join would not split back into the parts): the caller goes part by part."""
    joined = sep.join(parts)
    return joined if joined.count(sep) == len(parts) - 1 else None


def whole_characters(text: str) -> str:
    """`text` with each UTF-16 surrogate pair (how JavaScript's \\uD83D\\uDE00 and RTF's \\u-10179?\\u-8704? write a
    character past U+FFFF: emoji, CJK Extension B) made one character, and a lone surrogate U+FFFD. Lone surrogates
    are not text: OpenCC, SQLite and UTF-8 output refuse them, and a parse holding one crashed."""
    if _SURROGATE.search(text) is None:  # (a pattern in C: a walk in Python took 3.6 ms for 85,000 characters)
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
