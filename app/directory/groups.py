"""Groups (distribution lists): members inside and outside, nested groups, who may send."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.directory.models import Account, GroupMember, MailGroup
from app.directory.service import (
    claim_address,
    find_account,
    find_domain,
    validate_address,
    validate_display_name,
)
from app.errors import Conflict, Invalid, NotFound

SEND_POLICIES = ("anyone", "organization", "members")
MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class GroupMemberView:
    """A member as shown to admins: its address, label and kind (account, group, external)."""

    id: int
    address: str
    label: str
    kind: str


def create_group(
    db: Session,
    *,
    organization_id: int,
    address: str,
    name: str,
    description: str = "",
    send_policy: str = "organization",
) -> MailGroup:
    """Create a group with its own address in one of the organization's domains."""
    domain = claim_address(db, address=address, organization_id=organization_id)
    group = MailGroup(
        organization_id=organization_id,
        domain_id=domain.id,
        address=validate_address(address),
        name=validate_display_name(name),
        description=_description(description),
        send_policy=_policy(send_policy),
    )
    db.add(group)
    db.flush()
    return group


def update_group(
    db: Session, *, group: MailGroup, name: str, description: str, send_policy: str
) -> MailGroup:
    """Change the group's name, description and send policy."""
    group.name = validate_display_name(name)
    group.description = _description(description)
    group.send_policy = _policy(send_policy)
    db.flush()
    return group


def _policy(policy: str) -> str:
    if policy not in SEND_POLICIES:
        raise Invalid("Unknown send policy “%(policy)s”.", policy=policy)
    return policy


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise Invalid("The description may have at most %(count)s characters.", count=2000)
    return text.strip()


def find_group(db: Session, *, address: str) -> MailGroup | None:
    """The group with this address, if any."""
    return db.scalar(select(MailGroup).where(MailGroup.address == address.strip().lower()))


def get_group(db: Session, *, group_id: int) -> MailGroup:
    """The group with this id, or ``NotFound``."""
    group = db.get(MailGroup, group_id)
    if group is None:
        raise NotFound("No such group.")
    return group


def list_groups(db: Session, *, organization_id: int, query: str = "") -> list[MailGroup]:
    """The organization's groups matching ``query`` in address or name."""
    stmt = select(MailGroup).where(MailGroup.organization_id == organization_id)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(MailGroup.address).like(like), func.lower(MailGroup.name).like(like))
        )
    return list(db.scalars(stmt.order_by(MailGroup.address)))


def add_member(db: Session, *, group: MailGroup, address: str) -> GroupMember:
    """Add an account, another group or an outside address (by its address).

    Addresses in the organization's own domains must exist; nesting must not form a cycle.
    """
    address = validate_address(address)
    member = GroupMember(group_id=group.id)
    account = find_account(db, email=address)
    sub = find_group(db, address=address)
    domain = find_domain(db, name=address.rpartition("@")[2])
    if account is not None and account.organization_id == group.organization_id:
        member.account_id = account.id
    elif sub is not None and sub.organization_id == group.organization_id:
        if sub.id == group.id or group.id in _nested_group_ids(db, sub.id):
            raise Invalid(
                "Adding %(member)s to %(group)s would make a loop of groups.",
                member=sub.address,
                group=group.address,
            )
        member.member_group_id = sub.id
    elif domain is not None and domain.organization_id == group.organization_id:
        raise Invalid("%(email)s does not exist in your organization.", email=address)
    else:
        member.external_address = address
    if address in {m.address for m in list_members(db, group=group)}:
        raise Conflict("%(email)s is already a member.", email=address)
    db.add(member)
    db.flush()
    return member


def _nested_group_ids(db: Session, group_id: int) -> set[int]:
    """Every group reachable from ``group_id`` through member groups."""
    seen: set[int] = set()
    todo = [group_id]
    while todo:
        current = todo.pop()
        stmt = select(GroupMember.member_group_id).where(
            GroupMember.group_id == current, GroupMember.member_group_id.is_not(None)
        )
        for child in db.scalars(stmt):
            if child is not None and child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def groups_of(db: Session, *, email: str) -> dict[int, str]:
    """The groups of the account's own organization it belongs to, directly or through nested
    groups, as id -> address: what rights and shares given to a group reach (the address guards
    against a reused id). A disabled account belongs to none."""
    account = find_account(db, email=email)
    if account is None or not account.enabled:
        return {}
    own = select(MailGroup.id).where(MailGroup.organization_id == account.organization_id)
    direct = select(GroupMember.group_id).where(
        GroupMember.account_id == account.id, GroupMember.group_id.in_(own)
    )
    found = set(db.scalars(direct))
    todo = list(found)
    while todo:  # walk up: groups that contain a group the account is in
        parents = select(GroupMember.group_id).where(
            GroupMember.member_group_id == todo.pop(), GroupMember.group_id.in_(own)
        )
        for parent in db.scalars(parents):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    if not found:
        return {}
    rows = db.execute(select(MailGroup.id, MailGroup.address).where(MailGroup.id.in_(found)))
    return {group_id: address for group_id, address in rows}


def list_members(db: Session, *, group: MailGroup) -> list[GroupMemberView]:
    """The group's direct members, by address."""
    out: list[GroupMemberView] = []
    for member in db.scalars(select(GroupMember).where(GroupMember.group_id == group.id)):
        if member.account_id is not None:
            account = db.get(Account, member.account_id)
            assert account is not None
            out.append(GroupMemberView(member.id, account.email, account.display_name, "account"))
        elif member.member_group_id is not None:
            sub = db.get(MailGroup, member.member_group_id)
            assert sub is not None
            out.append(GroupMemberView(member.id, sub.address, sub.name, "group"))
        else:
            address = member.external_address or ""
            out.append(GroupMemberView(member.id, address, "", "external"))
    return sorted(out, key=lambda m: m.address)


def remove_member(db: Session, *, group: MailGroup, address: str) -> None:
    """Remove a member by its address."""
    address = address.strip().lower()
    for view in list_members(db, group=group):
        if view.address == address:
            member = db.get(GroupMember, view.id)
            db.delete(member)
            db.flush()
            return
    raise NotFound("%(email)s is not a member.", email=address)


def delete_group(db: Session, *, group: MailGroup) -> None:
    """Delete the group; groups that contain it lose that member."""
    db.delete(group)
    db.flush()


def may_send_to_group(db: Session, *, group: MailGroup, sender: str) -> bool:
    """Whether ``sender`` may write to the group under its send policy."""
    if group.send_policy == "anyone":
        return True
    account = find_account(db, email=sender)
    if group.send_policy == "organization":
        return account is not None and account.organization_id == group.organization_id
    return sender.strip().lower() in {m.address for m in list_members(db, group=group)}
