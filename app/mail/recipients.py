"""Recipient suggestions for compose: recently used addresses and the organization's address
list (people, groups, role mailboxes, rooms), merged and without duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory.address_list import search_address_list
from app.directory.groups import find_group, list_members
from app.directory.service import find_account
from app.mail.models import RecentRecipient

MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class Suggestion:
    """One address to offer; ``kind`` says where it came from."""

    address: str
    name: str
    kind: str  # recent | person | role | group | room | equipment

    @property
    def label(self) -> str:
        """What goes into the field: "Name <address>" or the bare address."""
        name = self.name.replace('"', "").replace("<", "").replace(">", "")
        return f"{name} <{self.address}>" if name else self.address


def record_recipients(db: Session, *, email: str, addresses: list[Address]) -> None:
    """Remember whom the account wrote to."""
    now = utcnow()
    for address in addresses:
        key = address.addr_spec.lower()
        row = db.get(RecentRecipient, (email, key))
        if row is None:
            row = RecentRecipient(
                email=email, address=key, uses=0, last_used_at=now, display_name=""
            )
            db.add(row)
        row.uses += 1
        row.last_used_at = now
        if address.display_name:
            row.display_name = address.display_name[:200]
    db.flush()


def suggest(
    db: Session, *, email: str, organization_id: int, query: str, limit: int = 10
) -> list[Suggestion]:
    """Addresses matching ``query`` (start of address or name, or inside), recent ones first."""
    query = query.strip().lower()
    if not query or len(query) > 200:
        return []
    limit = max(1, min(limit, MAX_SUGGESTIONS))
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    recent = db.scalars(
        select(RecentRecipient)
        .where(
            RecentRecipient.email == email,
            or_(
                RecentRecipient.address.like(like, escape="\\"),
                func.lower(RecentRecipient.display_name).like(like, escape="\\"),
            ),
        )
        .order_by(RecentRecipient.uses.desc(), RecentRecipient.last_used_at.desc())
        .limit(limit)
    )
    found = [Suggestion(r.address, r.display_name, "recent") for r in recent]
    for entry in search_address_list(db, organization_id=organization_id, query=query, limit=limit):
        found.append(Suggestion(entry.email.lower(), entry.display_name, entry.kind))
    unique: dict[str, Suggestion] = {}
    for suggestion in found:
        unique.setdefault(suggestion.address, suggestion)
    return list(unique.values())[:limit]


@dataclass(frozen=True)
class GroupExpansion:
    """A directory group found among the recipients, and the members it stands for."""

    address: str
    name: str
    members: list[Suggestion]


def expand_groups(
    db: Session, *, organization_id: int, addresses: list[str]
) -> list[GroupExpansion]:
    """The groups of the user's own organization among ``addresses``, each with its direct
    members (nested groups stay groups, expandable in turn); other addresses are skipped."""
    found: list[GroupExpansion] = []
    for address in dict.fromkeys(a.strip().lower() for a in addresses if a.strip()):
        group = find_group(db, address=address)
        if group is None or group.organization_id != organization_id:
            continue  # another organization's group is not in this user's address list
        members = [
            Suggestion(m.address, m.label, _MEMBER_KINDS[m.kind])
            for m in list_members(db, group=group)
            if m.kind != "account" or _listed(db, m.address)
        ]
        found.append(GroupExpansion(group.address, group.name, members))
    return found


_MEMBER_KINDS = {"account": "person", "group": "group", "external": "external"}


def _listed(db: Session, email: str) -> bool:
    account = find_account(db, email=email)
    return account is not None and account.enabled and account.deleted_at is None
