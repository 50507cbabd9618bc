"""m013: headings in the trigram index, so that two words of which one is in a standard heading meet in the index.

m012 found a short word in a heading through an index of whole headings. A standard heading is shared by one section
in six (四、…行政复议…), so a word in it had ~300,000 candidate sections at national scale, and a search for it with a
second word that rarely meets it (`复议 开展`) read every section: 2.6 s. With the heading as a second column of
sections_fts, the index intersects the two words' trigrams itself.

What the index cannot find by a short word's trigrams is the word in a heading's last two characters (no trigram
starts there; 情况 ends most standard headings). The heading's last trigram holds them, and the index finds the
sections whose heading has that trigram: `sections_heading_end` lists the distinct last trigrams (and whole
headings shorter than three characters, which the index does not hold at all).

Searches find what they found before: a long word is still looked for in the body only (store.fts filters the
index on that column), a short one in the body or the heading. Datasette's search box on `sections` (the index
without a column filter) now finds a word in headings too."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

# The index expression of a heading's end: store.fts must write it the same way for SQLite to use the index.
HEADING_END = "substr(heading, -3)"


@migrations()
def m013_headings_in_search_index(db: Database) -> None:
    """sections_fts over (body, heading), rebuilt, with its triggers and m012's vocabulary tables; the index
    `sections_heading_end` in place of m012's `sections_heading` (whole headings are no longer looked up)."""
    db.execute("DROP TABLE IF EXISTS sections_fts_vocab")
    db.execute("DROP TABLE IF EXISTS sections_fts_vocab_instance")
    db["sections"].enable_fts(["body", "heading"], tokenize="trigram", create_triggers=True, replace=True)
    db.execute("CREATE VIRTUAL TABLE sections_fts_vocab USING fts5vocab(sections_fts, 'row')")
    db.execute("CREATE VIRTUAL TABLE sections_fts_vocab_instance USING fts5vocab(sections_fts, 'instance')")
    db.execute("DROP INDEX IF EXISTS sections_heading")
    db.execute(f"CREATE INDEX sections_heading_end ON sections({HEADING_END})")
