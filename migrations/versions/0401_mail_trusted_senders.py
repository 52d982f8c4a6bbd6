"""mail trusted senders

Revision ID: 0401
Revises: 0400
Create Date: 2026-11-27 18:55:58.178260
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0401"
down_revision: str | None = "0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_trusted_sender",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_trusted_sender")),
    )
    with op.batch_alter_table("mail_trusted_sender", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_trusted_sender_owner_sender", ["owner", "sender"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_trusted_sender", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_trusted_sender_owner_sender")

    op.drop_table("mail_trusted_sender")
