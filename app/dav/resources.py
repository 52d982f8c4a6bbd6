"""The URL space (stable, documented in README): each path resolves to one resource kind.

/dav/                                   the service root
/dav/principals/<email>/                a user (RFC 3744 principal, RFC 5397)
/dav/principals/<email>/inbox/, outbox/ scheduling inbox and outbox (RFC 6638 2.1, 2.2)
/dav/calendars/<email>/                 calendar home (RFC 4791 6.2.1): personal/, tasks/, shared-N/
/dav/calendars/<email>/<cal>/<item>     a calendar object resource
/dav/addressbooks/<email>/              address book home (RFC 6352 7.1.1): contacts/, directory/
/dav/addressbooks/<email>/<book>/<item> an address object resource

Paths are split before percent-decoding, so an encoded slash never becomes a separator, and
``.``/``..`` segments are refused instead of normalised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from app.calendar import service as calendars
from app.calendar.models import CalendarObject
from app.contacts import service as contacts
from app.contacts import sharing as book_sharing
from app.contacts.models import AddressBook, Card
from app.dav import principals
from app.dav.errors import DavError
from app.davpaths import BadPath, decode_segment

PREFIX = "/dav"
INBOX, OUTBOX = "inbox", "outbox"  # below the principal: /dav/principals/<email>/inbox/


@dataclass
class Root:
    """The service root."""


@dataclass
class PrincipalCollection:
    """The collection of principals (DAV:principal-collection-set)."""


@dataclass
class Principal:
    """One user, or (``own`` false) a colleague of the same organization, found by a
    principal search or named in an href: readable, with no way into their collections."""

    email: str
    display_name: str = ""
    user_type: str = "INDIVIDUAL"  # CUTYPE (RFC 5545 3.2.3): INDIVIDUAL, ROOM, RESOURCE, ...
    own: bool = True


@dataclass
class ScheduleInbox:
    """The user's scheduling inbox (RFC 6638 2.2): always empty, iTIP goes by mail."""

    email: str


@dataclass
class ScheduleOutbox:
    """The user's scheduling outbox (RFC 6638 2.1): POST a VFREEBUSY request to it."""

    email: str


@dataclass
class CalendarHome:
    """A user's calendar home."""

    email: str


@dataclass
class CalendarCollection:
    """A calendar or task list as the caller sees it."""

    access: calendars.CalendarAccess
    home: str

    @functools.cached_property
    def href(self) -> str:
        """Its URL path (computed once: a listing prefixes every member with it)."""
        return href_of("calendars", self.home, self.access.slug, collection=True)


@dataclass
class CalendarItem:
    """A calendar object resource; ``obj`` is ``None`` until created."""

    collection: CalendarCollection
    name: str
    obj: CalendarObject | calendars.StoredObject | None


@dataclass
class AddressBookHome:
    """A user's address book home."""

    email: str


@dataclass
class AddressBookCollection:
    """An address book as the caller sees it: their own, or shared with them."""

    access: contacts.BookAccess
    home: str

    @property
    def book(self) -> AddressBook:
        """The stored address book."""
        return self.access.book

    @functools.cached_property
    def href(self) -> str:
        """Its URL path (computed once: a listing prefixes every member with it)."""
        return href_of("addressbooks", self.home, self.access.slug, collection=True)


@dataclass
class DirectoryBook:
    """The organization's address list: read-only."""

    email: str


@dataclass
class ContactItem:
    """An address object resource in an address book."""

    collection: AddressBookCollection
    name: str
    card: Card | None


@dataclass
class DirectoryItem:
    """A colleague's card in the directory book."""

    book: DirectoryBook
    card: contacts.DirectoryCard


Resource = (
    Root
    | PrincipalCollection
    | Principal
    | ScheduleInbox
    | ScheduleOutbox
    | CalendarHome
    | CalendarCollection
    | CalendarItem
    | AddressBookHome
    | AddressBookCollection
    | DirectoryBook
    | ContactItem
    | DirectoryItem
)
COLLECTIONS = (
    Root,
    PrincipalCollection,
    Principal,
    ScheduleInbox,
    ScheduleOutbox,
    CalendarHome,
    CalendarCollection,
    AddressBookHome,
    AddressBookCollection,
    DirectoryBook,
)


# A "%" not followed by two hex digits, and the control characters (C0 and DEL).


def split_path(raw_path: str) -> list[str]:
    """Decoded segments under /dav, refusing tricks: bad percent-encoding, text that is not
    UTF-8, control characters, encoded slashes and dot segments (400, never a guess)."""
    if raw_path != PREFIX and not raw_path.startswith(PREFIX + "/"):
        raise DavError(404, "Not a DAV address.")
    if "#" in raw_path:
        raise DavError(400, "An address sent to the server never has a #fragment.")
    segments = []
    for part in raw_path[len(PREFIX) :].split("/"):
        if not part:
            continue
        segments.append(_segment(part))
    return segments


def _segment(part: str) -> str:
    try:
        return decode_segment(part)
    except BadPath as exc:
        raise DavError(400, str(exc)) from exc


def colleague_principal(found: principals.Colleague, user: str) -> Principal:
    """The principal resource of a colleague (or of ``user``, found by a search)."""
    own = found.email == user
    return Principal(found.email, found.display_name, found.user_type, own=own)


def href_of(*segments: str, collection: bool = False) -> str:
    """The percent-encoded URL path of a resource."""
    path = PREFIX + "/" + "/".join(quote(s, safe="@+") for s in segments)
    return path + "/" if collection else path


def resolve(db: Session, *, user: str, segments: list[str]) -> Resource | None:
    """The resource at these segments as ``user`` sees it; ``None`` if absent or hidden."""
    if not segments:
        return Root()
    area, rest = segments[0], segments[1:]
    if area == "principals":
        if not rest:
            return PrincipalCollection()
        if len(rest) > 2:
            return None
        if rest[0] != user:
            found = principals.colleague(db, user=user, email=rest[0]) if len(rest) == 1 else None
            return colleague_principal(found, user) if found is not None else None
        if len(rest) == 1:
            found = principals.colleague(db, user=user, email=user)
            return colleague_principal(found, user) if found is not None else Principal(user)
        if rest[1] == INBOX:
            return ScheduleInbox(user)
        return ScheduleOutbox(user) if rest[1] == OUTBOX else None
    if area == "calendars" and rest:
        return _resolve_calendar(db, user=user, home=rest[0], rest=rest[1:])
    if area == "addressbooks" and rest:
        return _resolve_contacts(db, user=user, home=rest[0], rest=rest[1:])
    return None


def _resolve_calendar(db: Session, *, user: str, home: str, rest: list[str]) -> Resource | None:
    if not rest:
        return CalendarHome(home) if home == user else None
    access = calendars.find_calendar(db, email=user, home=home, slug=rest[0])
    if access is None:
        return None
    collection = CalendarCollection(access, home)
    if len(rest) == 1:
        return collection
    if len(rest) == 2:
        obj = calendars.get_object(db, calendar=access.calendar, name=rest[1])
        return CalendarItem(collection, rest[1], obj)
    return None


def _resolve_contacts(db: Session, *, user: str, home: str, rest: list[str]) -> Resource | None:
    if home != user:
        return None
    if not rest:
        return AddressBookHome(home)
    if rest[0] == contacts.DIRECTORY_SLUG:
        book = DirectoryBook(user)
        if len(rest) == 1:
            return book
        found = contacts.directory_card(db, email=user, name=rest[1]) if len(rest) == 2 else None
        return DirectoryItem(book, found) if found is not None else None
    own = contacts.find_address_book(db, email=user, slug=rest[0])
    access = (
        contacts.BookAccess(own, own.slug)
        if own is not None
        else book_sharing.find_shared_book(db, email=user, slug=rest[0])
    )
    if access is None:
        return None
    address_book = access.book
    collection = AddressBookCollection(access, home)
    if len(rest) == 1:
        return collection
    if len(rest) == 2:
        card = contacts.get_card(db, book=address_book, name=rest[1])
        return ContactItem(collection, rest[1], card)
    return None


def href(resource: Resource) -> str:
    """The URL path of a resource (collections end with a slash)."""
    match resource:
        case Root():
            return PREFIX + "/"
        case PrincipalCollection():
            return PREFIX + "/principals/"
        case Principal(email=email):
            return href_of("principals", email, collection=True)
        case ScheduleInbox(email=email):
            return href_of("principals", email, INBOX, collection=True)
        case ScheduleOutbox(email=email):
            return href_of("principals", email, OUTBOX, collection=True)
        case CalendarHome(email=email):
            return href_of("calendars", email, collection=True)
        case CalendarCollection():
            return resource.href
        case CalendarItem(collection=coll, name=name):
            return coll.href + quote(name, safe="@+")
        case AddressBookHome(email=email):
            return href_of("addressbooks", email, collection=True)
        case AddressBookCollection():
            return resource.href
        case DirectoryBook(email=email):
            return href_of("addressbooks", email, contacts.DIRECTORY_SLUG, collection=True)
        case ContactItem(collection=coll, name=name):
            return coll.href + quote(name, safe="@+")
        case DirectoryItem(book=book, card=card):
            return href_of("addressbooks", book.email, contacts.DIRECTORY_SLUG, card.name)
    raise AssertionError(resource)


def members(
    db: Session, resource: Resource, names: list[str] | None = None, *, with_data: bool = True
) -> list[Resource]:
    """The children of a collection (PROPFIND depth 1), or only those with the given names;
    ``with_data=False`` skips reading calendar text nobody asked for."""
    match resource:
        case Root():
            return []
        case CalendarHome(email=email):
            return [CalendarCollection(a, email) for a in calendars.list_calendars(db, email=email)]
        case CalendarCollection():
            objects = calendars.list_objects(
                db, calendar=resource.access.calendar, names=names, with_data=with_data
            )
            return [CalendarItem(resource, o.name, o) for o in objects]
        case AddressBookHome(email=email):
            books: list[Resource] = [
                AddressBookCollection(contacts.BookAccess(b, b.slug), email)
                for b in contacts.list_address_books(db, email=email)
            ]
            books += [
                AddressBookCollection(a, email) for a in book_sharing.shared_books(db, email=email)
            ]
            return [*books, DirectoryBook(email)]
        case AddressBookCollection():
            cards = contacts.list_cards(db, book=resource.book, names=names)
            return [ContactItem(resource, c.name, c) for c in cards]
        case DirectoryBook(email=email):
            colleagues = contacts.directory_cards(db, email=email)
            return [
                DirectoryItem(resource, c) for c in colleagues if names is None or c.name in names
            ]
    return []
