"""files: resumable upload sessions, leases of periodic jobs

Revision ID: 0710
Revises: 0320
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0710"
down_revision: str | None = "0320"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_upload",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("base_etag", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["file_node.id"],
            name=op.f("fk_file_upload_parent_id_file_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["file_space.id"],
            name=op.f("fk_file_upload_space_id_file_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_upload")),
    )
    with op.batch_alter_table("file_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_upload_space_id"), ["space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_file_upload_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "file_job_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_file_job_lease")),
    )


def downgrade() -> None:
    op.drop_table("file_job_lease")
    with op.batch_alter_table("file_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_upload_updated_at"))
        batch_op.drop_index(batch_op.f("ix_file_upload_space_id"))
    op.drop_table("file_upload")
