"""mail replying presence: who is writing a reply to a role mailbox message

Revision ID: 0310
Revises: 0620
Create Date: 2026-11-27 21:22:36.107635
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0310"
down_revision: str | None = "0620"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_replying",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("account_email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_replying")),
    )
    with op.batch_alter_table("mail_replying", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_replying_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_mail_replying_message", ["owner", "folder", "uid", "account_email"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_replying", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_replying_message")
        batch_op.drop_index(batch_op.f("ix_mail_replying_expires_at"))

    op.drop_table("mail_replying")
