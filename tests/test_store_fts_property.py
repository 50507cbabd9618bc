"""Every way `find_sections` takes gives the rows of the plain search, on texts written to trip it up.

The fast ways (a rare short word through the trigram index, body tails and heading ends; two common words met in
the index; the newest WINDOW reports) are only right if they never miss a section the plain search finds. Their
edge cases are positions: a word at the very start or end of a body or a heading, in a text of one or two
characters, across a space, in ASCII of either case, in LIKE's own wildcards. So headings and bodies are drawn
from a small alphabet that makes such collisions common, written into a demo database, and queried with words
drawn from the same alphabet, under thresholds that send the search down each way. The plain search is itself
checked against Python's substring test, so the two cannot agree on a wrong answer.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreports.store import connect, fts

# common Chinese of the reports (some in the standard headings), ASCII of both cases, LIKE's wildcards and its
# escape, a space, punctuation
ALPHABET = "公开复议情况开展事项申请aAbB%_\\ 、。"
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=9)
words = st.text(alphabet=ALPHABET.replace(" ", ""), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from govreports.demo.records import make_record
    from govreports.store.load import load_records

    with connect(tmp_path_factory.mktemp("fts") / "p.db") as db:
        load_records(db, [make_record(i, f"测试市第{i % 5}局", 2019 + i % 4) for i in range(24)])
        ids = [row[0] for row in db.execute("SELECT s.id FROM sections s JOIN reports r"
                                            " ON r.current_version_id = s.version_id ORDER BY s.id")]
        yield db, ids


def _holds(text: str | None, word: str) -> bool:
    """LIKE's and the trigram index's match for the words used here: a substring, ASCII case folded."""
    return text is not None and word.lower() in text.lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(texts, texts), min_size=1, max_size=40), queries=st.lists(
    st.lists(words, min_size=1, max_size=3), min_size=1, max_size=4), data=st.data())
def test_every_way_finds_the_plain_search_rows(demo_db, monkeypatch, edits, queries, data):
    db, ids = demo_db
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=len(edits), max_size=len(edits), unique=True))
    before = {sid: db.execute("SELECT heading, body FROM sections WHERE id = ?", [sid]).fetchone() for sid in chosen}
    try:
        for sid, (heading, body) in zip(chosen, edits):
            db.execute("UPDATE sections SET heading = ?, body = ? WHERE id = ?", [heading, body, sid])
        sections = db.execute("SELECT r.year, r.id, r.agency_id, s.section, s.heading, s.body FROM sections s"
                              " JOIN reports r ON r.current_version_id = s.version_id").fetchall()
        agencies = sorted({row[2] for row in sections})
        for query in queries:
            terms = fts.search_terms("\u3000".join(query))  # as typed, the ideographic space between words
            limit = data.draw(st.sampled_from([1, 3, 50]))
            year = data.draw(st.sampled_from([None, 2020]))
            agency_id = data.draw(st.sampled_from([None, agencies[0]]))
            want = db.execute(*fts.search_query(terms, limit, year=year, agency_id=agency_id)).fetchall()
            by_python = sorted(
                ((-y, rid, sec) for y, rid, aid, sec, heading, body in sections
                 if (year is None or y == year) and (agency_id is None or aid == agency_id)
                 and all(_holds(body, t) or (len(t) < 3 and _holds(heading, t)) for t in terms)))[:limit]
            assert [(-r[2], r[0], r[3]) for r in want] == by_python, terms
            for window, rare in ((2, 0), (2, 1), (2, 3), (10**4, 0), (5, 10**6)):
                monkeypatch.setattr(fts, "WINDOW", window)
                monkeypatch.setattr(fts, "RARE", rare)
                got = fts.find_sections(lambda sql, params: db.execute(sql, params).fetchall(), terms, limit,
                                        year=year, agency_id=agency_id)
                assert got == want, (terms, limit, year, agency_id, window, rare)
    finally:
        for sid, (heading, body) in before.items():
            db.execute("UPDATE sections SET heading = ?, body = ? WHERE id = ?", [heading, body, sid])
