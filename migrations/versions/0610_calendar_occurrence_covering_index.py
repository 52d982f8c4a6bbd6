"""calendar: the occurrence range index also covers object_id

A month query reads thousands of index entries; with object_id in the index it never visits
the table (an index-only scan on PostgreSQL, a covering index on SQLite).

Revision ID: 0610
Revises: 0411
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0610"
down_revision: str | None = "0411"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ["calendar_id", "long_span", "start", "end"]


def upgrade() -> None:
    op.create_index(
        "ix_calendar_occurrence_covering", "calendar_occurrence", [*OLD, "object_id"], unique=False
    )
    op.drop_index("ix_calendar_occurrence_range", table_name="calendar_occurrence")


def downgrade() -> None:
    op.create_index("ix_calendar_occurrence_range", "calendar_occurrence", OLD, unique=False)
    op.drop_index("ix_calendar_occurrence_covering", table_name="calendar_occurrence")
