"""mail: signatures per identity and the signature position

Revision ID: 0502
Revises: 0501
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0502"
down_revision: str | None = "0501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_signature",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("email", "identity", name=op.f("pk_mail_signature")),
    )
    op.create_table(
        "mail_preference",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("signature_above_quote", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_mail_preference")),
    )


def downgrade() -> None:
    op.drop_table("mail_preference")
    op.drop_table("mail_signature")
