"""directory listing_changed_at on account and mail_group: the directory book's cheap ctag

Revision ID: 0320
Revises: 0420
Create Date: 2026-11-27 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0320"
down_revision: str | None = "0420"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite alters in place, so the views of 0300 on account stay as they are.
    for table in ("account", "mail_group"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("listing_changed_at", app.db.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place; older ones would rebuild the table (and the
    # views of 0300 that read it would have to be recreated).
    for table in ("mail_group", "account"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN listing_changed_at")
