"""The words of the quick header search, found in ``search_text`` through a trigram index.

A word matches anywhere in an envelope's ``search_text`` (LIKE '%word%'), which stays the
condition, so results are the same whichever path finds them. PostgreSQL's planner answers it
from pg_trgm's index by itself. On SQLite, migration 0840's FTS5 trigram table (``detail=none``:
no positions) gives the envelopes holding every trigram of the words: a superset that LIKE then
narrows. Words of fewer than three characters have no trigram: only LIKE answers them.

SQLite's planner, given the FTS5 table, starts from it whatever the number of candidates; that
is right for a rare word and wrong for a common one (reading and sorting 10,000 candidates
takes longer than walking the user's envelopes by date until a page is full). So the
candidates are counted first, up to ``CANDIDATE_CAP``: under it, only they are read and sorted;
at it, the query stays as it was and the walk runs. The count is over every user's envelopes:
a word common in others' mail but rare in one's own still takes the walk (as fast as it was
without this index).
"""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import ColumnClause, Integer, Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from app.mail.models import MailEnvelope

_Row = TypeVarTuple("_Row")

# Reading a candidate (a lookup by id, then the sort) takes 3-5 us: this many stay under 10 ms.
# A word in more envelopes than this is common enough that the walk by date soon fills a page.
CANDIDATE_CAP = 2000

_FTS = table("mail_envelope_fts", column("rowid", Integer))
# FTS5's MATCH takes the table itself on its left.
_FTS_ROW: ColumnClause[str] = literal_column("mail_envelope_fts")


def trigram_query(terms: list[str]) -> str | None:
    """An FTS5 query for rows holding trigrams that cover each of ``terms`` (end to end, not
    overlapping: FTS5 ANDs six iterators over a common word's trigrams five times slower than
    three), each quoted (so AND, NEAR, ``*``, ``^`` and quotes inside are text, never syntax);
    None when no term has three characters."""
    trigrams = sorted({gram for term in terms for gram in _covering(term)})
    quoted = ['"' + gram.replace('"', '""') + '"' for gram in trigrams if "\x00" not in gram]
    return " AND ".join(quoted) or None


def _covering(term: str) -> list[str]:
    """Trigrams that together cover ``term``: every third one, and the last."""
    if len(term) < 3:
        return []
    return [term[i : i + 3] for i in range(0, len(term) - 2, 3)] + [term[-3:]]


def where_words(db: Session, statement: Select[*_Row], terms: list[str]) -> Select[*_Row]:
    """``statement`` (over ``MailEnvelope``) restricted to envelopes whose ``search_text``
    contains every one of ``terms``, shaped so the database answers it from an index."""
    statement = statement.where(
        *(MailEnvelope.search_text.contains(term, autoescape=True) for term in terms)
    )
    query = trigram_query(terms)
    if query is None or db.get_bind().dialect.name != "sqlite":
        return statement
    candidates = select(_FTS.c.rowid).where(_FTS_ROW.match(query))
    found = db.scalar(select(func.count()).select_from(candidates.limit(CANDIDATE_CAP).subquery()))
    if (found or 0) >= CANDIDATE_CAP:
        return statement  # a common word: the walk by date fills a page soonest
    # Joined (not ``id IN (...)``, which SQLite reads while walking by date) so the planner
    # starts from the FTS5 table: its MATCH costs less than any index of mail_envelope.
    return statement.join(_FTS, _FTS.c.rowid == MailEnvelope.id).where(_FTS_ROW.match(query))
