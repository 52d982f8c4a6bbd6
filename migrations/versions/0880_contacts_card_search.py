"""contacts: a search column on cards for addressbook-query

addressbook-query read and parsed every card of a book to test its filter. Each card now keeps
its property values, case-folded (app/contacts/search.py), in one column written on PUT, so a
query reads only the cards that can match. The cards stored before are filled here; one that
cannot be read back keeps none and stays a candidate of every query.

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
    _fill_search()


def _fill_search() -> None:
    from app.contacts.search import search_text
    from app.contacts.vcard import card_properties

    card = sa.table(
        "card",
        sa.column("id", sa.Integer),
        sa.column("vcard", sa.Text),
        sa.column("search", sa.Text),
    )
    conn = op.get_bind()
    last = 0
    while True:  # in batches, so a large table is never held in memory at once
        rows = conn.execute(
            sa.select(card.c.id, card.c.vcard)
            .where(card.c.id > last)
            .order_by(card.c.id)
            .limit(500)
        ).all()
        if not rows:
            return
        for card_id, text in rows:
            try:
                value: str | None = search_text(card_properties(text))
            except Exception:  # an unreadable card stays a candidate of every query
                value = None
            conn.execute(sa.update(card).where(card.c.id == card_id).values(search=value))
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.drop_column("search")
