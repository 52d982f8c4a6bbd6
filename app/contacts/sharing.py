"""Sharing an address book with a colleague or a directory group of the same organization,
read-only or read-write. Shared books appear in each grantee's address book home as
``shared-<share id>``, like shared calendars."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.contacts.models import AddressBook, AddressBookShare
from app.contacts.service import SHARED_PREFIX, BookAccess, find_address_book
from app.directory import groups
from app.directory.grantees import find_grantee
from app.errors import N_, Invalid, NotFound

ACCESS_LEVELS = ("read", "read-write")


@dataclass(frozen=True)
class BookShare:
    """One grant as its owner sees it."""

    id: int
    book_slug: str
    grantee: str  # an account's or a group's address
    access: str


def share_address_book(
    db: Session, *, owner_email: str, slug: str, grantee: str, access: str
) -> AddressBookShare:
    """Share the owner's address book with a colleague or a group (by address), or change the
    access of an existing share; other organizations are refused."""
    if access not in ACCESS_LEVELS:
        raise Invalid("Choose read-only or read-write access.")
    book = find_address_book(db, email=owner_email, slug=slug)
    if book is None:
        raise NotFound("No such address book.")
    who = find_grantee(
        db,
        owner_email=owner_email,
        address=grantee,
        refusal=N_("Address books can be shared only within your organization."),
    )
    address = who.address
    if address == owner_email:
        raise Invalid("You cannot share an address book with yourself.")
    column = AddressBookShare.group_id if who.group_id else AddressBookShare.grantee_email
    share = db.scalar(
        select(AddressBookShare).where(
            AddressBookShare.address_book_id == book.id,
            column == (who.group_id if who.group_id else address),
        )
    )
    if share is None:
        share = AddressBookShare(
            address_book_id=book.id,
            grantee_email=who.email,
            group_id=who.group_id,
        )
        db.add(share)
    share.access = access
    db.flush()
    return share


def list_book_shares(db: Session, *, owner_email: str) -> list[BookShare]:
    """Every grant on the owner's address books."""
    rows = db.execute(
        select(AddressBookShare, AddressBook)
        .join(AddressBook, AddressBook.id == AddressBookShare.address_book_id)
        .where(AddressBook.owner_email == owner_email)
        .order_by(AddressBook.slug, AddressBookShare.id)
    )
    return [
        BookShare(
            s.id,
            b.slug,
            groups.get_group(db, group_id=s.group_id).address
            if s.group_id is not None
            else s.grantee_email or "",
            s.access,
        )
        for s, b in rows
    ]


def unshare_address_book(db: Session, *, owner_email: str, share_id: int) -> None:
    """Withdraw a grant (someone else's grant is simply not found)."""
    share = db.get(AddressBookShare, share_id)
    book = db.get(AddressBook, share.address_book_id) if share else None
    if share is None or book is None or book.owner_email != owner_email:
        raise NotFound("No such share.")
    db.delete(share)
    db.flush()


def _grants(
    db: Session, email: str, book_id: int | None = None
) -> list[tuple[AddressBookShare, AddressBook]]:
    """The shares that reach ``email``: to them or to a group of theirs (same organization,
    see ``groups_of``); never their own books."""
    reach = AddressBookShare.grantee_email == email
    group_ids = groups.groups_of(db, email=email)
    if group_ids:
        reach = or_(reach, AddressBookShare.group_id.in_(list(group_ids)))
    query = (
        select(AddressBookShare, AddressBook)
        .join(AddressBook, AddressBook.id == AddressBookShare.address_book_id)
        .where(reach, AddressBook.owner_email != email)
        .order_by(AddressBookShare.id)
    )
    if book_id is not None:
        query = query.where(AddressBook.id == book_id)
    return [(share, book) for share, book in db.execute(query)]


def shared_books(db: Session, *, email: str) -> list[BookAccess]:
    """The address books shared with the user, each once, with the widest access given."""
    by_book: dict[int, list[tuple[AddressBookShare, AddressBook]]] = {}
    for share, book in _grants(db, email):
        by_book.setdefault(book.id, []).append((share, book))
    result = []
    for grants in by_book.values():
        share = next((s for s, _b in grants if s.access == "read-write"), grants[0][0])
        writable = share.access == "read-write"
        result.append(BookAccess(grants[0][1], f"{SHARED_PREFIX}{share.id}", writable, False))
    return result


def find_shared_book(db: Session, *, email: str, slug: str) -> BookAccess | None:
    """The shared address book at ``shared-<id>`` in the user's home, if it reaches them."""
    share_id = slug.removeprefix(SHARED_PREFIX)
    if not slug.startswith(SHARED_PREFIX) or not share_id.isdigit():
        return None
    share = db.get(AddressBookShare, int(share_id))
    grants = _grants(db, email, share.address_book_id) if share else []
    if share is None or share.id not in {s.id for s, _b in grants}:
        return None
    writable = any(s.access == "read-write" for s, _b in grants)
    return BookAccess(grants[0][1], slug, writable, False)
