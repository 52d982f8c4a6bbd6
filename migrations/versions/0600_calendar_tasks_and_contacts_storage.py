"""calendar, tasks and contacts storage

Revision ID: 0600
Revises: 0700
Create Date: 2026-11-27 18:36:15.144017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0600"
down_revision: str | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address_book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_book")),
        sa.UniqueConstraint("owner_email", "slug", name=op.f("uq_address_book_owner_email_slug")),
    )
    with op.batch_alter_table("address_book", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_book_owner_email"), ["owner_email"], unique=False
        )

    op.create_table(
        "calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("components", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar")),
        sa.UniqueConstraint("owner_email", "slug", name=op.f("uq_calendar_owner_email_slug")),
    )
    with op.batch_alter_table("calendar", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_owner_email"), ["owner_email"], unique=False)

    op.create_table(
        "calendar_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendar.id"],
            name=op.f("fk_calendar_change_calendar_id_calendar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_change")),
    )
    with op.batch_alter_table("calendar_change", schema=None) as batch_op:
        batch_op.create_index("ix_calendar_change_rev", ["calendar_id", "revision"], unique=False)

    op.create_table(
        "calendar_object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=False),
        sa.Column("ical", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("first_start", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_end", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("indexed_until", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("modified_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendar.id"],
            name=op.f("fk_calendar_object_calendar_id_calendar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_object")),
        sa.UniqueConstraint("calendar_id", "name", name="uq_calendar_object_name"),
        sa.UniqueConstraint("calendar_id", "uid", name="uq_calendar_object_uid"),
    )
    op.create_table(
        "calendar_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("grantee_email", sa.String(length=320), nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendar.id"],
            name=op.f("fk_calendar_share_calendar_id_calendar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_share")),
        sa.UniqueConstraint(
            "calendar_id", "grantee_email", name=op.f("uq_calendar_share_calendar_id_grantee_email")
        ),
    )
    with op.batch_alter_table("calendar_share", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_share_grantee_email"), ["grantee_email"], unique=False
        )

    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_book_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("vcard", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("modified_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_book_id"],
            ["address_book.id"],
            name=op.f("fk_card_address_book_id_address_book"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card")),
        sa.UniqueConstraint("address_book_id", "name", name="uq_card_name"),
        sa.UniqueConstraint("address_book_id", "uid", name="uq_card_uid"),
    )
    op.create_table(
        "card_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_book_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_book_id"],
            ["address_book.id"],
            name=op.f("fk_card_change_address_book_id_address_book"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_change")),
    )
    with op.batch_alter_table("card_change", schema=None) as batch_op:
        batch_op.create_index("ix_card_change_rev", ["address_book_id", "revision"], unique=False)

    op.create_table(
        "calendar_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("start", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("long_span", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["calendar_object.id"],
            name=op.f("fk_calendar_occurrence_object_id_calendar_object"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_occurrence")),
    )
    with op.batch_alter_table("calendar_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_occurrence_object_id"), ["object_id"], unique=False
        )
        batch_op.create_index(
            "ix_calendar_occurrence_range",
            ["calendar_id", "long_span", "start", "end"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_occurrence_range")
        batch_op.drop_index(batch_op.f("ix_calendar_occurrence_object_id"))

    op.drop_table("calendar_occurrence")
    with op.batch_alter_table("card_change", schema=None) as batch_op:
        batch_op.drop_index("ix_card_change_rev")

    op.drop_table("card_change")
    op.drop_table("card")
    with op.batch_alter_table("calendar_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_share_grantee_email"))

    op.drop_table("calendar_share")
    op.drop_table("calendar_object")
    with op.batch_alter_table("calendar_change", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_change_rev")

    op.drop_table("calendar_change")
    with op.batch_alter_table("calendar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_owner_email"))

    op.drop_table("calendar")
    with op.batch_alter_table("address_book", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_book_owner_email"))

    op.drop_table("address_book")
