"""mail: the outbox (undo send, scheduled send)

Revision ID: 0500
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0500"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("credential", sa.LargeBinary(), nullable=True),
        sa.Column("send_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("draft_uid", sa.Integer(), nullable=True),
        sa.Column("reply_folder", sa.String(length=1000), nullable=True),
        sa.Column("reply_uid", sa.Integer(), nullable=True),
        sa.Column("forwarded", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(op.f("ix_outbox_message_email"), "outbox_message", ["email"])
    op.create_index(op.f("ix_outbox_message_send_at"), "outbox_message", ["send_at"])
    op.create_index(op.f("ix_outbox_message_status"), "outbox_message", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_message_status"), table_name="outbox_message")
    op.drop_index(op.f("ix_outbox_message_send_at"), table_name="outbox_message")
    op.drop_index(op.f("ix_outbox_message_email"), table_name="outbox_message")
    op.drop_table("outbox_message")
