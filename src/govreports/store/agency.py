"""One agency, one row: names are normalised so that spacing, full-width forms and traditional characters
(mirror sites carry 繁體 copies) do not split an agency's reports across several rows. The fold is govreports.text's.
Each row carries the agency's region and kind (govreports.regions)."""

from __future__ import annotations

import functools

from govreports.regions import agency_kind, infer_region, region_for
from govreports.text import compact, t2s


@functools.lru_cache(maxsize=65536)
def normalise_agency(name: str) -> str:
    """The key two spellings of one agency share: NFKC, simplified characters, no whitespace."""
    return t2s(compact(name))


def region_of(norm_name: str) -> str | None:
    """The region an agency's name places it in ("江苏省/宿迁市/沭阳县"), else None (unknown, not guessed)."""
    found = infer_region(norm_name)
    return found.path if found else None


def agency_facts(norm_name: str, configured: str | None = None) -> dict:
    """The agencies row's region columns and kind: the portal's configured region (refined by the name when the
    two agree), else the name's (govreports.regions); kind government or department."""
    try:
        found = region_for(norm_name, configured)
    except ValueError:  # a configured region the config check should have refused: the name's own, then
        found = infer_region(norm_name)
    return {"region": found.path if found else None, "province": found and found.province,
            "city": found and found.city, "county": found and found.county, "kind": agency_kind(norm_name)}
