"""Whether a record is a report the database already holds under another key or name: the same content from
another source (a re-post, its publication date aside), a re-post whose own page was edited since, or the same
agency's name with a typo mended. The loader (store.load) and m023 decide by these rules; each, wrong, either
counts one report twice in every sum or merges two agencies' reports into one.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from sqlite_utils import Database

from govreports.store.agency import normalise_agency


def duplicate_of(db: Database, agency_norm: str, year: int | None, sha256: str,
                 source_key: str, undated_sha: str | None = None) -> tuple[int, int] | None:
    """A report already loaded from another source key with the very same content (a re-post), its publication
    date aside (`undated_sha`: a re-post dated by its list entry): its id and current version id. The content of
    any of its versions, not only the current one: a copy of a report made before the report was corrected (the
    file saved twice, then one copy edited; a re-post of the first version found after the original page was
    mended) is still that report, and loaded as a report of its own it counted the agency's year twice. A report
    whose current version matches is preferred."""
    row = db.execute(
        "SELECT r.id, r.current_version_id FROM reports r JOIN agencies a ON a.id = r.agency_id"
        " JOIN report_versions cur ON cur.id = r.current_version_id"
        " WHERE a.norm_name = :norm AND r.year IS :year AND r.source_key != :source AND EXISTS (SELECT 1"
        " FROM report_versions v WHERE v.report_id = r.id AND (v.sha256 = :sha OR v.undated_sha = :undated))"
        " ORDER BY (cur.sha256 = :sha OR cur.undated_sha = :undated) DESC, r.id LIMIT 1",
        {"norm": agency_norm, "year": year, "source": source_key, "sha": sha256, "undated": undated_sha}).fetchone()
    return (row[0], row[1]) if row else None


def repost_of(db: Database, report_id: int, source_key: str, record: dict) -> tuple[int, int] | None:
    """The report `report_id` that a source was found a re-post of (loaded from another source key), when the
    record the source gives now is still that report: the same year, the same agency or its name mended. A
    re-post whose page alone was edited (a typo mended, a line added) had no report of its own to version: it
    became a second report beside the original, both current, and every analysis counted it twice. It stays a
    re-post (its page is archived; the original's source versions the report). Its id and current version id."""
    row = db.execute("SELECT r.current_version_id, r.source_key, r.year, a.norm_name FROM reports r"
                     " JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [report_id]).fetchone()
    if row is None or row[0] is None or row[1] == source_key or row[2] != record.get("year"):
        return None
    norm = normalise_agency(record.get("agency") or "")
    return (report_id, row[0]) if norm and (norm == row[3] or mended(row[3], norm)) else None


# characters that tell one agency from its neighbour when one is put for another: 东城区/西城区, 第一/第二中学,
# 甲市/乙市 — a name differing there is another agency's, however alike the rest
_DISTINGUISHING = frozenset("东西南北中上下前后左右一二三四五六七八九十百〇零两0123456789甲乙丙丁戊己庚辛壬癸")


def mended(old: str, new: str) -> bool:
    """Whether `new` is agency name `old` with a typo mended or words dropped or added at an end, not another
    agency's name (某市教育局 and 某市财政局 share 某市…局, three characters of five; 东城区财政局 and 西城区财政局
    share all but the one that tells them apart)."""
    if old.startswith(new) or new.startswith(old):
        return True
    matcher = SequenceMatcher(None, old, new)
    if any(tag == "replace" and _DISTINGUISHING.intersection(old[i1:i2] + new[j1:j2])
           for tag, i1, i2, j1, j2 in matcher.get_opcodes()):
        return False
    return matcher.ratio() >= 0.75
