"""mail envelope cache

Revision ID: 0400
Revises: 0502
Create Date: 2026-11-27 18:34:49.852068
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0400"
down_revision: str | None = "0502"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_folder_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uidnext", sa.BigInteger(), nullable=False),
        sa.Column("highestmodseq", sa.BigInteger(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=True),
        sa.Column("synced_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_folder_state")),
    )
    with op.batch_alter_table("mail_folder_state", schema=None) as batch_op:
        batch_op.create_index("ix_mail_folder_state_owner_name", ["owner", "name"], unique=True)

    op.create_table(
        "mail_envelope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("sender_name", sa.String(length=400), nullable=False),
        sa.Column("sender_address", sa.String(length=320), nullable=False),
        sa.Column("sender_sort", sa.String(length=400), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("cc", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("subject_sort", sa.String(length=400), nullable=False),
        sa.Column("date", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("has_attachment", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("in_reply_to", sa.String(length=998), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("thread_root", sa.String(length=998), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["mail_folder_state.id"],
            name=op.f("fk_mail_envelope_folder_id_mail_folder_state"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_envelope")),
    )
    with op.batch_alter_table("mail_envelope", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_envelope_folder_date", ["folder_id", "date", "uid"], unique=False
        )
        batch_op.create_index(
            "ix_mail_envelope_folder_sender", ["folder_id", "sender_sort", "uid"], unique=False
        )
        batch_op.create_index(
            "ix_mail_envelope_folder_size", ["folder_id", "size", "uid"], unique=False
        )
        batch_op.create_index(
            "ix_mail_envelope_folder_subject", ["folder_id", "subject_sort", "uid"], unique=False
        )
        batch_op.create_index(
            "ix_mail_envelope_folder_thread", ["folder_id", "thread_root"], unique=False
        )
        batch_op.create_index("ix_mail_envelope_folder_uid", ["folder_id", "uid"], unique=True)
        batch_op.create_index(batch_op.f("ix_mail_envelope_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_envelope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_envelope_owner"))
        batch_op.drop_index("ix_mail_envelope_folder_uid")
        batch_op.drop_index("ix_mail_envelope_folder_thread")
        batch_op.drop_index("ix_mail_envelope_folder_subject")
        batch_op.drop_index("ix_mail_envelope_folder_size")
        batch_op.drop_index("ix_mail_envelope_folder_sender")
        batch_op.drop_index("ix_mail_envelope_folder_date")

    op.drop_table("mail_envelope")
    with op.batch_alter_table("mail_folder_state", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_folder_state_owner_name")

    op.drop_table("mail_folder_state")
