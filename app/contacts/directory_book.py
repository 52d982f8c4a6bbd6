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

from app.contacts.query import CardFilter, properties_match
from app.contacts.vcard import Property, card_properties
from app.directory.address_list import (
    AddressListEntry,
    address_list_addresses,
    address_list_state,
    find_address_list_entry,
    reader_organization,
    whole_address_list,
)

# RFC 6350 6.1.4 KIND (and RFC 6869 "device" for equipment).
_KINDS = {
    "person": "individual",
    "group": "group",
    "role": "org",
    "room": "location",
    "equipment": "device",
}


# Bump when entry_vcard renders differently, so clients see a new ctag and fetch again.
_CARD_FORMAT = "vcard4-1"


@dataclass(frozen=True)
class DirectoryCard:
    """A read-only vCard of an entry of the organization's address list."""

    name: str
    vcard: str
    etag: str


def _etag(text: str) -> str:
    """A strong ETag of a card's text (as the contacts service makes them)."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _organization_of(db: Session, email: str) -> int | None:
    """The reader's organization; None for an unknown, disabled or deleted account."""
    return reader_organization(db, email=email)


def _card(entry: AddressListEntry) -> DirectoryCard:
    text = entry_vcard(entry)
    return DirectoryCard(card_name(entry.email), text, _etag(text))


# organization id -> (address-list state, its cards by name), like _NAMES below: building
# 2,000 cards costs tens of milliseconds, asking for the state two small queries.
_CARDS: dict[int, tuple[str, list[DirectoryCard]]] = {}


def directory_cards(db: Session, *, email: str) -> list[DirectoryCard]:
    """The address list of the user's organization as vCard 4.0, by card name (nothing for
    an unknown user); built once per state of the address list (kept per process)."""
    organization_id = _organization_of(db, email)
    if organization_id is None:
        return []
    state = address_list_state(db, organization_id=organization_id)
    known = _CARDS.get(organization_id)
    if known is not None and known[0] == state:
        return known[1]
    entries = whole_address_list(db, organization_id=organization_id)
    cards = sorted((_card(entry) for entry in entries), key=lambda card: card.name)
    if len(_CARDS) >= _NAMES_MAX:
        _CARDS.clear()
    _CARDS[organization_id] = (state, cards)  # one assignment: safe across threads
    return cards


# card ETag -> its parsed properties: a query tests every card of the book, and parsing
# 2,000 vCards each time would cost most of a second. An ETag names one text for good.
_PROPERTIES: dict[str, list[Property]] = {}
_PROPERTIES_MAX = 100_000


def directory_query(db: Session, *, email: str, flt: CardFilter) -> list[DirectoryCard]:
    """The cards of the user's directory book matching an addressbook-query filter, by name."""
    found = []
    for card in directory_cards(db, email=email):
        props = _PROPERTIES.get(card.etag)
        if props is None:
            if len(_PROPERTIES) >= _PROPERTIES_MAX:
                _PROPERTIES.clear()
            props = _PROPERTIES[card.etag] = card_properties(card.vcard)
        if properties_match(props, flt):
            found.append(card)
    return found


def directory_card(db: Session, *, email: str, name: str) -> DirectoryCard | None:
    """One card of the book by its resource name, without building the others.

    Names are hashes of addresses: the organization's card names are computed once per
    state of its address list (kept per process), then the one matching entry is looked up.
    """
    organization_id = _organization_of(db, email)
    if organization_id is None or not name.startswith("gal-"):
        return None
    address = _card_names(db, organization_id).get(name)
    if address is None:
        return None
    entry = find_address_list_entry(db, organization_id=organization_id, email=address)
    return _card(entry) if entry is not None else None


# organization id -> (address-list state, card name -> address). The state changes with every
# address added, removed, enabled or disabled, so a stale map is never used.
_NAMES: dict[int, tuple[str, dict[str, str]]] = {}
_NAMES_MAX = 1000


def _card_names(db: Session, organization_id: int) -> dict[str, str]:
    state = address_list_state(db, organization_id=organization_id)
    known = _NAMES.get(organization_id)
    if known is not None and known[0] == state:
        return known[1]
    names = {
        card_name(address): address
        for address in address_list_addresses(db, organization_id=organization_id)
    }
    if len(_NAMES) >= _NAMES_MAX:
        _NAMES.clear()
    _NAMES[organization_id] = (state, names)  # one assignment: safe across threads
    return names


def directory_ctag(db: Session, *, email: str) -> str:
    """The book's ctag: changes whenever a card is added, changed or removed.

    Derived from two aggregates of the directory (row counts and the latest listing change),
    not from the cards, so asking for it costs two small queries.
    """
    organization_id = _organization_of(db, email)
    state = (
        "none"
        if organization_id is None
        else address_list_state(db, organization_id=organization_id)
    )
    # _CARD_FORMAT: a new rendering of the cards (a release) is a change too
    return hashlib.sha256(f"{_CARD_FORMAT}|{email.lower()}|{state}".encode()).hexdigest()[:32]


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
