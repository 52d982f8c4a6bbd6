"""The read-only CardDAV ``directory/`` book: the organization's global address list as vCards.

The cards come from the directory's address list (people, groups, role mailboxes, rooms and
equipment of the reader's own organization); nothing of another organization, nor disabled or
deleted accounts, ever appears. Card names derive from the address, so they stay stable while
a name, title or phone changes (clients then see a new ETag, not a new card).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory import service as directory
from app.directory.address_list import AddressListEntry, whole_address_list

# RFC 6350 6.1.4 KIND (and RFC 6869 "device" for equipment).
_KINDS = {
    "person": "individual",
    "group": "group",
    "role": "org",
    "room": "location",
    "equipment": "device",
}


@dataclass(frozen=True)
class DirectoryCard:
    """A read-only vCard of an entry of the organization's address list."""

    name: str
    vcard: str
    etag: str


def _etag(text: str) -> str:
    """A strong ETag of a card's text (as the contacts service makes them)."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def directory_cards(db: Session, *, email: str) -> list[DirectoryCard]:
    """The address list of the user's organization as vCard 4.0 (nothing for an unknown user)."""
    me = directory.find_account(db, email=email)
    if me is None or not me.enabled or me.deleted_at is not None:
        return []
    cards = []
    for entry in whole_address_list(db, organization_id=me.organization_id):
        text = entry_vcard(entry)
        cards.append(DirectoryCard(card_name(entry.email), text, _etag(text)))
    return cards


def card_name(email: str) -> str:
    """The resource name of an address's card: stable, URL-safe, not the address itself."""
    return "gal-" + hashlib.sha256(email.lower().encode()).hexdigest()[:24] + ".vcf"


def _escape(value: str) -> str:
    """A vCard text value (RFC 6350 3.4): backslash, comma, semicolon and newline escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "")
    )


def entry_vcard(entry: AddressListEntry) -> str:
    """One address-list entry as a vCard 4.0 text."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"UID:urn:hamkar:directory:{entry.email.lower()}",
        f"FN:{_escape(entry.display_name or entry.email)}",
        f"KIND:{_KINDS.get(entry.kind, 'individual')}",
        f"EMAIL;TYPE=work:{entry.email}",
    ]
    if entry.job_title:
        lines.append(f"TITLE:{_escape(entry.job_title)}")
    if entry.department:
        lines.append(f"ORG:;{_escape(entry.department)}")
    if entry.phone_work:
        lines.append(f"TEL;TYPE=work,voice:{_escape(entry.phone_work)}")
    if entry.phone_mobile:
        lines.append(f"TEL;TYPE=cell:{_escape(entry.phone_mobile)}")
    if entry.location:
        lines.append(f"ADR;TYPE=work:;{_escape(entry.location)};;;;;")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"
