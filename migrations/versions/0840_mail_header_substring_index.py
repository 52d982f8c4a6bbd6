"""mail: a substring index for the quick header search

The quick search looks for words anywhere in ``search_text`` (LIKE '%word%'). Walking a
user's envelopes by date stops at a full page when the word is common, but a word that matches
nothing reads all of them (30-90 ms at 50,000 messages). An index of trigrams answers it.

SQLite: an FTS5 table with the trigram tokenizer over ``mail_envelope.search_text``, reading
the text from ``mail_envelope`` itself (external content: nothing is stored twice) and
``detail=none`` (no positions: a third of the size; a word is then looked up as all of its
trigrams, and LIKE confirms the candidates). Triggers keep it in step with every insert,
delete and change of ``search_text``; a flag change does not touch it. A later migration that
rebuilds ``mail_envelope`` in batch mode drops these triggers with the old table: it must
create them again (tests/integration/mail/test_header_index.py checks they exist at head).

PostgreSQL: pg_trgm's GIN index on ``search_text``, which the planner uses for LIKE itself.

Revision ID: 0840
Revises: 0830
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0840"
down_revision: str | None = "0830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADD = "INSERT INTO mail_envelope_fts(rowid, search_text) VALUES (new.id, new.search_text);"
_REMOVE = (
    "INSERT INTO mail_envelope_fts(mail_envelope_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text);"
)
_SQLITE = [
    "CREATE VIRTUAL TABLE mail_envelope_fts USING fts5(search_text, content='mail_envelope', "
    "content_rowid='id', tokenize='trigram', detail='none')",
    # the envelopes cached before this revision
    "INSERT INTO mail_envelope_fts(mail_envelope_fts) VALUES ('rebuild')",
    "CREATE TRIGGER mail_envelope_fts_insert AFTER INSERT ON mail_envelope BEGIN " + _ADD + " END",
    "CREATE TRIGGER mail_envelope_fts_delete AFTER DELETE ON mail_envelope BEGIN "
    + _REMOVE
    + " END",
    "CREATE TRIGGER mail_envelope_fts_update AFTER UPDATE OF search_text ON mail_envelope BEGIN "
    + _REMOVE
    + _ADD
    + " END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
        return
    # Trusted since PostgreSQL 13: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_mail_envelope_search_trgm",
        "mail_envelope",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute("DROP TRIGGER mail_envelope_fts_" + trigger)
        op.execute("DROP TABLE mail_envelope_fts")
        return
    # The extension stays: other objects of the database may use it, and it holds no data.
    op.drop_index("ix_mail_envelope_search_trgm", table_name="mail_envelope")
