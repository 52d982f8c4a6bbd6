"""mail: an index that answers the quick header search in date order

The quick search lists a user's newest matching envelopes. Without an index in (owner, date)
order it read every cached row of the user and sorted them (0.3 s under load on 50,000
messages); now it walks the index newest first and stops at the page's last hit. On SQLite the
index also holds ``search_text``, so the walk never visits the table (a covering index, where
entries of any length are allowed); PostgreSQL limits a B-tree entry to about 2.7 kB, which a
message with many recipients exceeds, so there it is (owner, date) only.

Revision ID: 0830
Revises: 0820
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0830"
down_revision: str | None = "0820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = ["owner", "date"]
    if op.get_bind().dialect.name == "sqlite":
        columns.append("search_text")
    op.create_index("ix_mail_envelope_owner_date", "mail_envelope", columns, unique=False)


def downgrade() -> None:
    op.drop_index("ix_mail_envelope_owner_date", table_name="mail_envelope")
