"""mail unread index: a partial index of unseen envelopes in list order

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


def upgrade() -> None:
    with op.batch_alter_table("mail_envelope", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_envelope_folder_unread",
            ["folder_id", "date", "uid"],
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
