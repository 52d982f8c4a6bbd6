"""Address book listings written from stored columns (RFC 6352 8.6, 8.7; RFC 6578 3.2).

PROPFIND depth 1, sync-collection, addressbook-multiget and addressbook-query over a book
of thousands of cards ask, nearly always, for the entity tag, the content type and the card
as stored. Those are read as (name, etag, vCard) rows, without ``Card`` objects and without
the property registry, and written by ``multistatus.card_responses``; anything else (other
properties, address-data in another version or with selected properties) goes member by
member as before.
"""

from __future__ import annotations

from app.contacts import service as contacts
from app.contacts.query import CardFilter
from app.dav import address_data, xml
from app.dav import properties as props
from app.dav import resources as r
from app.dav.multistatus import CardRow, Extra, card_listable
from app.dav.xml import CARDDAV, DAV, Element, tag

ADDRESS_DATA = tag(CARDDAV, "address-data")
Book = r.AddressBookCollection | r.DirectoryBook


def address_data_request(root: Element) -> Element | None:
    """The CARDDAV:address-data element of a report's DAV:prop, if asked."""
    return xml.child(xml.child(root, tag(DAV, "prop")), ADDRESS_DATA)


def is_plain(root: Element, names: list[str] | None, names_only: bool) -> bool:
    """Whether a report's answers can be written from rows: only listable properties asked,
    address-data (if asked) as stored."""
    return (
        not names_only
        and names is not None
        and card_listable(names, with_data=True)
        and not address_data.is_partial(address_data_request(root))
    )


def book_rows(
    ctx: props.Context, book: Book, *, names: list[str] | None = None, with_data: bool
) -> list[CardRow]:
    """The rows of a book's cards, or of those with the given names, by name."""
    if isinstance(book, r.AddressBookCollection):
        return list(
            contacts.list_card_rows(ctx.db, book=book.book, names=names, with_data=with_data)
        )
    wanted = set(names) if names is not None else None
    return [
        (c.name, c.etag, c.vcard if with_data else "")
        for c in contacts.directory_cards(ctx.db, email=book.email)
        if wanted is None or c.name in wanted
    ]


def query_rows(ctx: props.Context, book: Book, flt: CardFilter) -> list[CardRow]:
    """The rows of the cards matching an addressbook-query filter, by name."""
    if isinstance(book, r.AddressBookCollection):
        return list(contacts.query_cards(ctx.db, book=book.book, flt=flt))
    return [
        (c.name, c.etag, c.vcard)
        for c in contacts.directory_query(ctx.db, email=book.email, flt=flt)
    ]


def item_row(item: r.Resource) -> CardRow | None:
    """The row of one existing card resource."""
    if isinstance(item, r.ContactItem) and item.card is not None:
        return (item.name, item.card.etag, item.card.vcard)
    if isinstance(item, r.DirectoryItem):
        return (item.card.name, item.card.etag, item.card.vcard)
    return None


def book_href(item: r.ContactItem | r.DirectoryItem) -> str:
    """The URL path of the book a card is in."""
    if isinstance(item, r.ContactItem):
        return item.collection.href
    return r.href(item.book)


def address_extra(root: Element) -> Extra:
    """Fills CARDDAV:address-data: as stored, or converted and selected (RFC 6352 10.4)."""
    request = address_data_request(root)
    if address_data.is_partial(request):
        return address_data.filler(request)
    return _stored_address_data


def _stored_address_data(res: r.Resource, name: str) -> str | None:
    if name != ADDRESS_DATA:
        return None
    return address_data.card_text(res)
