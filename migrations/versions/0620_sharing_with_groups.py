"""calendars and address books shared with directory groups; address book shares

Revision ID: 0620
Revises: 0401
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0620"
down_revision: str | None = "0401"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_share", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.alter_column("grantee_email", existing_type=sa.String(length=320), nullable=True)
        batch_op.create_index(batch_op.f("ix_calendar_share_group_id"), ["group_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_calendar_share_calendar_id_group_id"), ["calendar_id", "group_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_calendar_share_group_id_mail_group"),
            "mail_group",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_table(
        "address_book_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_book_id", sa.Integer(), nullable=False),
        sa.Column("grantee_email", sa.String(length=320), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_book_id"],
            ["address_book.id"],
            name=op.f("fk_address_book_share_address_book_id_address_book"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["mail_group.id"],
            name=op.f("fk_address_book_share_group_id_mail_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_book_share")),
        sa.UniqueConstraint(
            "address_book_id",
            "grantee_email",
            name=op.f("uq_address_book_share_address_book_id_grantee_email"),
        ),
        sa.UniqueConstraint(
            "address_book_id",
            "group_id",
            name=op.f("uq_address_book_share_address_book_id_group_id"),
        ),
    )
    with op.batch_alter_table("address_book_share", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_book_share_grantee_email"), ["grantee_email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_address_book_share_group_id"), ["group_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("address_book_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_book_share_group_id"))
        batch_op.drop_index(batch_op.f("ix_address_book_share_grantee_email"))
    op.drop_table("address_book_share")
    op.execute("DELETE FROM calendar_share WHERE grantee_email IS NULL")
    with op.batch_alter_table("calendar_share", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_calendar_share_group_id_mail_group"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_calendar_share_calendar_id_group_id"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_calendar_share_group_id"))
        batch_op.alter_column("grantee_email", existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column("group_id")
