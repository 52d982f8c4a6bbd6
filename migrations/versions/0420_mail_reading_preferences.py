"""preferences: when opened mail becomes read, and whether the tree lists subscribed folders only

Revision ID: 0420
Revises: 0311
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0420"
down_revision: str | None = "0311"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(
            sa.Column("mark_read", sa.String(length=16), server_default="now", nullable=False)
        )
        batch.add_column(
            sa.Column("mark_read_delay", sa.Integer(), server_default="5", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "subscribed_folders_only", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("subscribed_folders_only")
        batch.drop_column("mark_read_delay")
        batch.drop_column("mark_read")
