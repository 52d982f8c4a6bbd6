"""Principals other than the signed-in user: the colleagues of the same organization's address
list (people, role mailboxes, rooms, equipment; never groups, disabled accounts or another
organization), as a principal search (RFC 3744 9.4) finds them and an href names them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory.address_list import (
    AddressListEntry,
    find_address_list_entry,
    reader_organization,
    whole_address_list,
)

# The calendar user type (RFC 5545 3.2.3 CUTYPE) of each kind of address list entry.
USER_TYPES = {"person": "INDIVIDUAL", "role": "UNKNOWN", "room": "ROOM", "equipment": "RESOURCE"}


@dataclass(frozen=True)
class Colleague:
    """What a colleague's principal shows."""

    email: str
    display_name: str
    user_type: str


def colleague(db: Session, *, user: str, email: str) -> Colleague | None:
    """The principal ``email`` as ``user`` may see it: only within the same organization."""
    organization_id = reader_organization(db, email=user)
    if organization_id is None:
        return None
    entry = find_address_list_entry(db, organization_id=organization_id, email=email.lower())
    return _colleague(entry) if entry is not None else None


def everyone(db: Session, *, user: str) -> list[Colleague]:
    """Every principal ``user`` may find (``user`` included), people first, by name."""
    organization_id = reader_organization(db, email=user)
    if organization_id is None:
        return []
    entries = whole_address_list(db, organization_id=organization_id)
    return [c for c in map(_colleague, entries) if c is not None]


def _colleague(entry: AddressListEntry) -> Colleague | None:
    user_type = USER_TYPES.get(entry.kind)
    if user_type is None:
        return None
    return Colleague(entry.email, entry.display_name, user_type)
