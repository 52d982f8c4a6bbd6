"""CardDAV properties (RFC 6352 6.2 and 7.1)."""

from __future__ import annotations

from app.contacts.vcard import MAX_CARD_BYTES
from app.dav import resources as r
from app.dav import xml
from app.dav.properties import Context, Property, Value, store_collection_field
from app.dav.xml import CARDDAV, Element, el, tag


class AddressBookHomeSet(Property):
    """CARDDAV:addressbook-home-set (RFC 6352 7.1.1)."""

    name = tag(CARDDAV, "addressbook-home-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.Principal):
            return None
        return [xml.href(r.href_of("addressbooks", res.email, collection=True))]


class AddressBookMaxResourceSize(Property):
    """CARDDAV:max-resource-size (RFC 6352 6.2.3)."""

    name = tag(CARDDAV, "max-resource-size")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return str(MAX_CARD_BYTES) if isinstance(res, r.AddressBookCollection) else None


class AddressBookDescription(Property):
    """CARDDAV:addressbook-description (RFC 6352 6.2.1)."""

    name = tag(CARDDAV, "addressbook-description")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.AddressBookCollection):
            return res.book.description
        return "The organization's address list" if isinstance(res, r.DirectoryBook) else None

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        store_collection_field(ctx, res, "description", element)


class SupportedAddressData(Property):
    """CARDDAV:supported-address-data (RFC 6352 6.2.2)."""

    name = tag(CARDDAV, "supported-address-data")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.AddressBookCollection | r.DirectoryBook):
            return None
        types = []
        for version in ("3.0", "4.0"):
            data = el(tag(CARDDAV, "address-data-type"))
            data.set("content-type", "text/vcard")
            data.set("version", version)
            types.append(data)
        return types


CARDDAV_PROPERTIES: tuple[Property, ...] = (
    AddressBookHomeSet(),
    AddressBookMaxResourceSize(),
    AddressBookDescription(),
    SupportedAddressData(),
)
