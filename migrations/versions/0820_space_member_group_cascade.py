"""team-space rights given to a directory group go when the group is deleted

``file_space_member.group_id`` had no foreign key, so deleting a group left its rows behind
(orphans; SQLite may even hand the id to a new group). This drops the existing orphans, then
adds the foreign key with ON DELETE CASCADE and an index for it.

Revision ID: 0820
Revises: 0610
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0820"
down_revision: str | None = "0610"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM file_space_member WHERE group_id IS NOT NULL"
        " AND group_id NOT IN (SELECT id FROM mail_group)"
    )
    with op.batch_alter_table("file_space_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_space_member_group_id"), ["group_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_file_space_member_group_id_mail_group"),
            "mail_group",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("file_space_member", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_file_space_member_group_id_mail_group"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_file_space_member_group_id"))
