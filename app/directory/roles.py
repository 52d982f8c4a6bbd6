"""Role mailboxes (info@, sales@): who works them and who may send as them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Account, RoleMember
from app.errors import Invalid, NotFound


@dataclass(frozen=True)
class RoleMembership:
    """A member of a role mailbox."""

    email: str
    display_name: str
    can_send_as: bool


def set_role_member(
    db: Session, *, role: Account, member: Account, can_send_as: bool
) -> RoleMember:
    """Add (or update) a person as member of a role mailbox of the same organization."""
    if role.kind != "role":
        raise Invalid("%(email)s is not a role mailbox.", email=role.email)
    if member.kind != "person" or member.organization_id != role.organization_id:
        raise Invalid("Only people of the same organization can work a role mailbox.")
    row = db.get(RoleMember, (role.id, member.id))
    if row is None:
        row = RoleMember(role_account_id=role.id, member_account_id=member.id)
        db.add(row)
    row.can_send_as = can_send_as
    db.flush()
    return row


def remove_role_member(db: Session, *, role: Account, member: Account) -> None:
    """Take a person off a role mailbox."""
    row = db.get(RoleMember, (role.id, member.id))
    if row is None:
        raise NotFound("%(email)s is not a member.", email=member.email)
    db.delete(row)
    db.flush()


def role_members(db: Session, *, role: Account) -> list[RoleMembership]:
    """The members of a role mailbox, by address."""
    stmt = (
        select(Account, RoleMember.can_send_as)
        .join(RoleMember, RoleMember.member_account_id == Account.id)
        .where(RoleMember.role_account_id == role.id)
        .order_by(Account.email)
    )
    return [RoleMembership(a.email, a.display_name, send) for a, send in db.execute(stmt)]


def send_as_addresses(db: Session, *, account: Account) -> list[str]:
    """Role mailbox addresses this account may send as (for compose's From menu)."""
    stmt = (
        select(Account.email)
        .join(RoleMember, RoleMember.role_account_id == Account.id)
        .where(
            RoleMember.member_account_id == account.id,
            RoleMember.can_send_as.is_(True),
            Account.enabled.is_(True),
        )
        .order_by(Account.email)
    )
    return list(db.scalars(stmt))


def works_role_mailbox(db: Session, *, role_email: str, member: Account) -> bool:
    """True when ``member`` works the enabled role mailbox ``role_email`` of its organization."""
    stmt = (
        select(RoleMember.member_account_id)
        .join(Account, Account.id == RoleMember.role_account_id)
        .where(
            func.lower(Account.email) == role_email.strip().lower(),
            Account.kind == "role",
            Account.enabled.is_(True),
            Account.organization_id == member.organization_id,
            RoleMember.member_account_id == member.id,
        )
    )
    return db.scalar(stmt) is not None
