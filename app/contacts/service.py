"""The contacts domain's public API: address books, vCards and their changes, and the
organization's read-only directory book (app/contacts/directory_book.py)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, literal, select, update
from sqlalchemy.orm import Session

from app.contacts import search, vcard

# re-exported: the DAV layer reads the directory book through this module
from app.contacts.directory_book import DirectoryCard as DirectoryCard
from app.contacts.directory_book import directory_card as directory_card
from app.contacts.directory_book import directory_cards as directory_cards
from app.contacts.directory_book import directory_ctag as directory_ctag
from app.contacts.directory_book import directory_query as directory_query
from app.contacts.models import AddressBook, Card, CardChange
from app.contacts.query import CardFilter, card_matches
from app.davsync import Changes, fold_changes
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed

DEFAULT_BOOK = ("contacts", "Contacts")
DIRECTORY_SLUG = "directory"
SHARED_PREFIX = "shared-"  # address books shared with the user: shared-<share id>
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_NAME_RE = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class BookAccess:
    """An address book as one user sees it: its name in their home and what they may do.
    Only ``sharing`` hands out accesses that are not the owner's."""

    book: AddressBook
    slug: str
    writable: bool = True
    owned: bool = True


Book = AddressBook | BookAccess


def _writable(book: Book) -> AddressBook:
    """The address book, if the caller may change it (its owner, or a read-write share)."""
    if isinstance(book, BookAccess):
        if not book.writable:
            raise Forbidden("This address book is shared with you read-only.")
        return book.book
    return book


def ensure_defaults(db: Session, *, email: str) -> None:
    """Create the default address book ``contacts`` on first use."""
    if _by_slug(db, email, DEFAULT_BOOK[0]) is None:
        db.add(AddressBook(owner_email=email, slug=DEFAULT_BOOK[0], display_name=DEFAULT_BOOK[1]))
        db.flush()


def _by_slug(db: Session, owner: str, slug: str) -> AddressBook | None:
    return db.scalar(
        select(AddressBook).where(AddressBook.owner_email == owner, AddressBook.slug == slug)
    )


def list_address_books(db: Session, *, email: str) -> list[AddressBook]:
    """The user's own address books (the directory book is separate)."""
    ensure_defaults(db, email=email)
    query = select(AddressBook).where(AddressBook.owner_email == email).order_by(AddressBook.id)
    return list(db.scalars(query))


def find_address_book(db: Session, *, email: str, slug: str) -> AddressBook | None:
    """One of the user's address books by name."""
    book = _by_slug(db, email, slug)
    if book is None and slug == DEFAULT_BOOK[0]:  # every request resolves a book: one query
        ensure_defaults(db, email=email)
        book = _by_slug(db, email, slug)
    return book


def create_address_book(
    db: Session, *, email: str, slug: str, display_name: str = "", description: str = ""
) -> AddressBook:
    """A new address book in the user's home (``Conflict`` if the name is taken)."""
    if not _SLUG_RE.match(slug) or slug == DIRECTORY_SLUG or slug.startswith(SHARED_PREFIX):
        raise Invalid("“%(name)s” cannot be used as an address book name.", name=slug[:100])
    ensure_defaults(db, email=email)
    if _by_slug(db, email, slug) is not None:
        raise Conflict("There is already an address book named “%(name)s”.", name=slug)
    book = AddressBook(
        owner_email=email, slug=slug, display_name=display_name[:200], description=description
    )
    db.add(book)
    db.flush()
    return book


def update_address_book(db: Session, *, book: Book, **fields: str) -> None:
    """Change the display name or description (owner or read-write share)."""
    book = _writable(book)
    for key, value in fields.items():
        if key not in ("display_name", "description") or len(value) > 10_000:
            raise Invalid("The value of %(name)s is not accepted.", name=key)
        setattr(book, key, value)
    _touch(db, book)


def delete_address_book(db: Session, *, book: Book) -> None:
    """Delete an address book with its cards (its owner only)."""
    if isinstance(book, BookAccess):
        if not book.owned:
            raise Forbidden("Only the owner can delete this address book.")
        book = book.book
    db.delete(book)
    db.flush()


def _touch(db: Session, book: AddressBook) -> int:
    db.execute(
        update(AddressBook)
        .where(AddressBook.id == book.id)
        .values(revision=AddressBook.revision + 1)
    )
    db.refresh(book, ["revision"])
    return book.revision


def get_card(db: Session, *, book: AddressBook, name: str) -> Card | None:
    """One card by resource name."""
    return db.scalar(select(Card).where(Card.address_book_id == book.id, Card.name == name))


def list_cards(db: Session, *, book: AddressBook, names: list[str] | None = None) -> list[Card]:
    """Every card of a book (or those with the given names), by name."""
    query = select(Card).where(Card.address_book_id == book.id)
    if names is not None:
        query = query.where(Card.name.in_(names))
    return list(db.scalars(query.order_by(Card.name)))


def list_card_rows(
    db: Session, *, book: AddressBook, names: list[str] | None = None, with_data: bool = False
) -> Sequence[Row[str, str, str]]:
    """The name, entity tag and (``with_data``) vCard text of every card of a book, or of
    those with the given names, by name: what listings need, without loading ``Card``s."""
    text = Card.vcard if with_data else literal("").label("vcard")
    query = select(Card.name, Card.etag, text).where(Card.address_book_id == book.id)
    if names is not None:
        query = query.where(Card.name.in_(names))
    return db.connection().execute(query.order_by(Card.name)).all()


def query_cards(db: Session, *, book: AddressBook, flt: CardFilter) -> list[Row[str, str, str]]:
    """The cards matching an addressbook-query filter (RFC 6352 10.5) as (name, etag, vCard),
    by name: the search column narrows them in SQL, the exact test decides (``query``)."""
    query = select(Card.name, Card.etag, Card.vcard).where(
        Card.address_book_id == book.id, search.candidate_clause(flt)
    )
    rows = db.connection().execute(query.order_by(Card.name)).all()
    return [row for row in rows if card_matches(row.vcard, flt)]


def put_card(
    db: Session,
    *,
    book: Book,
    name: str,
    text: str,
    if_match: str | None = None,
    if_none_match: bool = False,
) -> tuple[Card, bool]:
    """Create or replace a card; a stale ETag raises ``PreconditionFailed``, nothing changes."""
    book = _writable(book)
    if not _NAME_RE.match(name) or name in (".", ".."):
        raise Invalid("“%(name)s” cannot be used as an item name.", name=name[:100])
    existing = get_card(db, book=book, name=name)
    _check_conditions(existing.etag if existing else None, if_match, if_none_match)
    parsed = vcard.parse_card(text)
    clash = db.scalar(
        select(Card.name).where(
            Card.address_book_id == book.id, Card.uid == parsed.uid, Card.name != name
        )
    )
    if clash is not None:
        error = Conflict(
            "Another contact in this book already has the UID %(uid)s.", uid=parsed.uid
        )
        error.href_name = clash  # type: ignore[attr-defined]
        raise vcard.with_precondition(error, "no-uid-conflict")
    revision = _touch(db, book)
    card = existing or Card(address_book_id=book.id, name=name)
    card.uid, card.vcard, card.etag, card.revision = parsed.uid, text, etag_of(text), revision
    card.full_name, card.emails = parsed.full_name[:300], "\n".join(parsed.emails)
    card.search = search.search_text(parsed.properties)
    card.size, card.modified_at = len(text.encode()), utcnow()
    if existing is None:
        db.add(card)
    db.add(CardChange(address_book_id=book.id, revision=revision, name=name))
    db.flush()
    return card, existing is None


def etag_of(text: str) -> str:
    """A strong entity tag for a resource body."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _check_conditions(current: str | None, if_match: str | None, if_none_match: bool) -> None:
    if if_none_match and current is not None:
        raise PreconditionFailed("This item already exists; it was not overwritten.")
    if if_match is not None and if_match != "*" and if_match != current:
        raise PreconditionFailed("This item was changed elsewhere; reload it and try again.")
    if if_match == "*" and current is None:
        raise PreconditionFailed("There is no such item to replace.")


def delete_card(db: Session, *, book: Book, name: str, if_match: str | None = None) -> None:
    """Delete one card (``NotFound`` if absent, ``PreconditionFailed`` on a stale ETag)."""
    book = _writable(book)
    card = get_card(db, book=book, name=name)
    if card is None:
        raise NotFound("No such item.")
    _check_conditions(card.etag, if_match, False)
    db.delete(card)
    revision = _touch(db, book)
    db.add(CardChange(address_book_id=book.id, revision=revision, name=name, deleted=True))
    db.flush()


def move_card(
    db: Session,
    *,
    source: Book,
    name: str,
    target: Book,
    target_name: str,
    overwrite: bool,
) -> bool:
    """Move a card to another of the user's books or names; returns whether the target is new."""
    source, target = _writable(source), _writable(target)
    card = get_card(db, book=source, name=name)
    if card is None:
        raise NotFound("No such item.")
    existing = get_card(db, book=target, name=target_name)
    if existing is not None and not overwrite:
        raise PreconditionFailed("An item with that name exists already.")
    if source.id == target.id and name == target_name:
        raise Forbidden("An item cannot be moved onto itself.")
    text = card.vcard
    delete_card(db, book=source, name=name)
    put_card(db, book=target, name=target_name, text=text)
    return existing is None


def changes_since(db: Session, *, book: AddressBook, revision: int) -> Changes:
    """The cards changed after ``revision`` (RFC 6578)."""
    if revision > book.revision or revision < 0:
        raise vcard.with_precondition(Invalid("The sync token is not valid."), "valid-sync-token")
    rows = db.execute(
        select(CardChange.name, CardChange.deleted)
        .where(CardChange.address_book_id == book.id, CardChange.revision > revision)
        .order_by(CardChange.revision)
    )
    return fold_changes(
        ((name, gone) for name, gone in rows), since=revision, revision=book.revision
    )
