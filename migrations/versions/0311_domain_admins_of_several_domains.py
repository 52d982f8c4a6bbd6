"""domain admins of several domains: the domain_admin table, filled from today's domain admins

Revision ID: 0311
Revises: 0310
Create Date: 2026-11-27 21:29:07.367477
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0311"
down_revision: str | None = "0310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_admin",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_domain_admin_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domain.id"],
            name=op.f("fk_domain_admin_domain_id_domain"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "domain_id", name=op.f("pk_domain_admin")),
    )
    with op.batch_alter_table("domain_admin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_admin_domain_id"), ["domain_id"], unique=False)
    # Every existing domain admin keeps the domain of its own address.
    op.execute(
        "INSERT INTO domain_admin (account_id, domain_id)"
        " SELECT id, domain_id FROM account WHERE role = 'domain_admin'"
    )


def downgrade() -> None:
    with op.batch_alter_table("domain_admin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_admin_domain_id"))

    op.drop_table("domain_admin")
