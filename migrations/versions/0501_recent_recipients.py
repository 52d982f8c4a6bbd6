"""mail: recently used recipients for compose autocomplete

Revision ID: 0501
Revises: 0600
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0501"
down_revision: str | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recent_recipient",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", "address", name=op.f("pk_recent_recipient")),
    )
    op.create_index(op.f("ix_recent_recipient_last_used_at"), "recent_recipient", ["last_used_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recent_recipient_last_used_at"), table_name="recent_recipient")
    op.drop_table("recent_recipient")
