"""mail: live-update streams counted across app processes

The cap on a user's open live streams (each holds an IMAP connection in IDLE, and mail servers
cap connections per user) was kept in each process's memory: with several workers a user
could hold the cap in each. A row per open stream, renewed while it runs, counts them all.

Revision ID: 0870
Revises: 0840
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0870"
down_revision: str | None = "0840"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_live_stream",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("session", sa.String(64), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mail_live_stream_email", "mail_live_stream", ["email"])
    op.create_index("ix_mail_live_stream_session", "mail_live_stream", ["session"])


def downgrade() -> None:
    op.drop_table("mail_live_stream")
