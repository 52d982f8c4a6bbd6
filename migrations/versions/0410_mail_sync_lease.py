"""mail sync lease: one syncer per owner and folder across app processes

Revision ID: 0410
Revises: 0710
Create Date: 2026-11-27 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0410"
down_revision: str | None = "0710"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_sync_lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sync_lease")),
    )
    with op.batch_alter_table("mail_sync_lease", schema=None) as batch_op:
        batch_op.create_index("ix_mail_sync_lease_owner_folder", ["owner", "folder"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("mail_sync_lease", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_sync_lease_owner_folder")
    op.drop_table("mail_sync_lease")
