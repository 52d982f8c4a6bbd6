"""contacts: a search column on cards for addressbook-query

addressbook-query read and parsed every card of a book to test its filter. Each card now keeps
its property values, case-folded (app/contacts/search.py), in one column written on PUT, so a
query reads only the cards that can match. Cards stored before have none and stay candidates.

Revision ID: 0880
Revises: 0870
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0880"
down_revision: str | None = "0870"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("search", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.drop_column("search")
