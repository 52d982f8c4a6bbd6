"""mail unread: a partial index of unseen envelopes in list order, a cached unread count

Revision ID: 0411
Revises: 0410
Create Date: 2026-11-27 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0411"
down_revision: str | None = "0410"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# mail_folder_state is not rebuilt (batch mode would copy it): mail_envelope rows cascade
# from it. SQLite adds and (since 3.35) drops a plain column in place.


def upgrade() -> None:
    op.add_column("mail_folder_state", sa.Column("unread_count", sa.Integer(), nullable=True))
    with op.batch_alter_table("mail_envelope", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_envelope_folder_unread",
            ["folder_id", "date", "uid", "seen"],
            unique=False,
            sqlite_where=sa.text("seen IS 0"),
            postgresql_where=sa.text("seen IS false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_envelope", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_mail_envelope_folder_unread",
            sqlite_where=sa.text("seen IS 0"),
            postgresql_where=sa.text("seen IS false"),
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE mail_folder_state DROP COLUMN unread_count")
    else:
        op.drop_column("mail_folder_state", "unread_count")
