"""m012: what lets the search find a rare 1–2 character word without reading every section (store.fts, `Short`).

The trigram index already holds every occurrence of a short word that has two more characters after it (as the
trigrams that begin with it); the vocabulary tables list those trigrams by range. What it cannot hold is a word
in a body's last two characters (or a body shorter than three) and a word in a heading (headings are not in the
index): two small indexes of the sections table cover those, read a distinct value at a time."""

from __future__ import annotations

from sqlite_utils import Database

from govreports.store.migrations.registry import migrations

# The index expression of the body's tail: store.fts must write it the same way for SQLite to use the index.
TAIL = "substr(body, -2)"


@migrations()
def m012_short_words(db: Database) -> None:
    """Vocabulary tables over sections_fts (`sections_fts_vocab`: a row per trigram with its counts;
    `sections_fts_vocab_instance`: a row per occurrence, read lazily so a count can stop early), and the indexes
    `sections_heading` (heading) and `sections_tail` (the body's last two characters)."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts_vocab USING fts5vocab(sections_fts, 'row')")
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts_vocab_instance"
               " USING fts5vocab(sections_fts, 'instance')")
    db.execute("CREATE INDEX IF NOT EXISTS sections_heading ON sections(heading)")
    db.execute(f"CREATE INDEX IF NOT EXISTS sections_tail ON sections({TAIL})")
