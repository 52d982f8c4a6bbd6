"""DAV properties: one class per property, named after it, citing where it is defined.

``value`` returns the property element's content (text or child elements), or ``None`` when the
property does not apply to the resource (reported as 404 in the propstat). Writable properties
implement ``store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from sqlalchemy.orm import Session

from app.calendar import service as calendars
from app.contacts import service as contacts
from app.dav import resources as r
from app.dav import xml
from app.dav.errors import DavError
from app.dav.xml import CALDAV, CALSERVER, CARDDAV, DAV, Element, el, tag

SYNC_TOKEN_PREFIX = "http://hamkar.org/ns/sync/"  # noqa: S105 - a URI, not a secret
Value = str | list[Element] | None


@dataclass
class Context:
    """What a property needs: the database and who is asking; ``minimal`` when the client
    asked for a minimal answer (RFC 8144 2.1: no propstat for missing properties)."""

    db: Session
    user: str
    minimal: bool = False


class Property:
    """A WebDAV property (RFC 4918 15)."""

    name: str = ""
    in_allprop = False

    def value(self, ctx: Context, res: r.Resource) -> Value:
        """The content of the property on this resource, or ``None`` if it has none."""
        raise NotImplementedError

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        """Set (or, with ``None``, remove) the property; protected ones refuse."""
        raise DavError(403, precondition="cannot-modify-protected-property")


def principal_href(ctx: Context, principal: r.Principal | None = None) -> list[Element]:
    """The href of ``principal``, by default the signed-in user's."""
    email = principal.email if principal is not None else ctx.user
    return [xml.href(r.href_of("principals", email, collection=True))]


class ResourceType(Property):
    """DAV:resourcetype (RFC 4918 15.9; RFC 4791 4.2; RFC 6352 5.2)."""

    name, in_allprop = tag(DAV, "resourcetype"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.COLLECTIONS):
            return []
        kinds = [el(tag(DAV, "collection"))]
        if isinstance(res, r.Principal):
            kinds.append(el(tag(DAV, "principal")))
        elif isinstance(res, r.CalendarCollection):
            kinds.append(el(tag(CALDAV, "calendar")))
        elif isinstance(res, r.ScheduleInbox):
            kinds.append(el(tag(CALDAV, "schedule-inbox")))
        elif isinstance(res, r.ScheduleOutbox):
            kinds.append(el(tag(CALDAV, "schedule-outbox")))
        elif isinstance(res, r.AddressBookCollection | r.DirectoryBook):
            kinds.append(el(tag(CARDDAV, "addressbook")))
        return kinds


class DisplayName(Property):
    """DAV:displayname (RFC 4918 15.2)."""

    name, in_allprop = tag(DAV, "displayname"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        match res:
            case r.CalendarCollection(access=access):
                return access.calendar.display_name or access.slug
            case r.AddressBookCollection(book=book):
                return book.display_name or book.slug
            case r.DirectoryBook():
                return "Directory"
            case r.Principal(email=email, display_name=name):
                return name or email
        return None

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        store_collection_field(ctx, res, "display_name", element)


def store_collection_field(ctx: Context, res: r.Resource, field: str, element: Any) -> None:
    text = (element.text or "") if element is not None else ""
    if isinstance(res, r.CalendarCollection):
        calendars.update_calendar(ctx.db, access=res.access, **{field: text})
    elif isinstance(res, r.AddressBookCollection) and field in ("display_name", "description"):
        contacts.update_address_book(ctx.db, book=res.access, **{field: text})
    else:
        raise DavError(403, precondition="cannot-modify-protected-property")


class GetETag(Property):
    """DAV:getetag (RFC 4918 15.6)."""

    name, in_allprop = tag(DAV, "getetag"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return item_etag(res)


def item_etag(res: r.Resource) -> str | None:
    """The entity tag of an item that exists."""
    match res:
        case r.CalendarItem(obj=obj) if obj is not None:
            return obj.etag
        case r.ContactItem(card=card) if card is not None:
            return card.etag
        case r.DirectoryItem(card=card):
            return card.etag
    return None


class GetContentType(Property):
    """DAV:getcontenttype (RFC 4918 15.5)."""

    name, in_allprop = tag(DAV, "getcontenttype"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarItem) and res.obj is not None:
            return f"text/calendar; charset=utf-8; component={res.obj.component.lower()}"
        if isinstance(res, r.ContactItem | r.DirectoryItem):
            return "text/vcard; charset=utf-8"
        return None


class GetContentLength(Property):
    """DAV:getcontentlength (RFC 4918 15.4)."""

    name, in_allprop = tag(DAV, "getcontentlength"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarItem) and res.obj is not None:
            return str(res.obj.size)
        if isinstance(res, r.ContactItem) and res.card is not None:
            return str(res.card.size)
        if isinstance(res, r.DirectoryItem):
            return str(len(res.card.vcard.encode()))
        return None


class GetLastModified(Property):
    """DAV:getlastmodified (RFC 4918 15.7)."""

    name, in_allprop = tag(DAV, "getlastmodified"), True

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarItem) and res.obj is not None:
            return format_datetime(res.obj.modified_at, usegmt=True)
        if isinstance(res, r.ContactItem) and res.card is not None:
            return format_datetime(res.card.modified_at, usegmt=True)
        return None


class CurrentUserPrincipal(Property):
    """DAV:current-user-principal (RFC 5397 3)."""

    name = tag(DAV, "current-user-principal")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return principal_href(ctx)


class PrincipalURL(Property):
    """DAV:principal-URL (RFC 3744 4.2)."""

    name = tag(DAV, "principal-URL")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return principal_href(ctx, res) if isinstance(res, r.Principal) else None


class PrincipalCollectionSet(Property):
    """DAV:principal-collection-set (RFC 3744 5.8)."""

    name = tag(DAV, "principal-collection-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return [xml.href(r.PREFIX + "/principals/")]


class Owner(Property):
    """DAV:owner (RFC 3744 5.1)."""

    name = tag(DAV, "owner")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarCollection):
            owner = res.access.calendar.owner_email
            return [xml.href(r.href_of("principals", owner, collection=True))]
        if isinstance(res, r.AddressBookCollection):
            owner = res.book.owner_email
            return [xml.href(r.href_of("principals", owner, collection=True))]
        if isinstance(res, r.CalendarHome | r.AddressBookHome):
            return principal_href(ctx)
        return None


PRINCIPAL_REPORTS = ("principal-property-search", "principal-search-property-set")


class SupportedReportSet(Property):
    """DAV:supported-report-set (RFC 3253 3.1.5)."""

    name = tag(DAV, "supported-report-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        names = [tag(DAV, "expand-property")]
        if isinstance(res, r.CalendarCollection):
            names += [tag(CALDAV, n) for n in ("calendar-query", "calendar-multiget")]
            names += [tag(CALDAV, "free-busy-query"), tag(DAV, "sync-collection")]
        elif isinstance(res, r.AddressBookCollection):
            names += [tag(CARDDAV, n) for n in ("addressbook-query", "addressbook-multiget")]
            names.append(tag(DAV, "sync-collection"))
        elif isinstance(res, r.DirectoryBook):
            names += [tag(CARDDAV, n) for n in ("addressbook-query", "addressbook-multiget")]
        elif isinstance(res, r.Root | r.PrincipalCollection | r.Principal):
            names += [tag(DAV, n) for n in PRINCIPAL_REPORTS]
        return [
            el(tag(DAV, "supported-report"), None, el(tag(DAV, "report"), None, el(n)))
            for n in names
        ]


def _revision(res: r.Resource) -> str | None:
    if isinstance(res, r.CalendarCollection):
        return f"cal-{res.access.calendar.id}-{res.access.calendar.revision}"
    if isinstance(res, r.AddressBookCollection):
        return f"card-{res.book.id}-{res.book.revision}"
    return None


class SyncToken(Property):
    """DAV:sync-token (RFC 6578 4)."""

    name = tag(DAV, "sync-token")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        revision = _revision(res)
        return SYNC_TOKEN_PREFIX + revision if revision else None


class GetCTag(Property):
    """CS:getctag (calendarserver.org ctag extension): changes whenever the collection does."""

    name = tag(CALSERVER, "getctag")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.DirectoryBook):
            return contacts.directory_ctag(ctx.db, email=res.email)
        return _revision(res)


class CurrentUserPrivilegeSet(Property):
    """DAV:current-user-privilege-set (RFC 3744 5.4)."""

    name = tag(DAV, "current-user-privilege-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        read_only = (
            isinstance(
                res,
                r.DirectoryBook
                | r.DirectoryItem
                | r.Principal
                | r.ScheduleInbox
                | r.ScheduleOutbox,
            )
            or (
                isinstance(res, r.CalendarCollection | r.CalendarItem)
                and not _calendar_access(res).writable
            )
            or (isinstance(res, r.AddressBookCollection) and not res.access.writable)
            or (isinstance(res, r.ContactItem) and not res.collection.access.writable)
        )
        names = ["read", "read-current-user-privilege-set"]
        if not read_only:
            names += ["write", "write-content", "write-properties", "bind", "unbind"]
        privileges = [el(tag(DAV, "privilege"), None, el(tag(DAV, n))) for n in names]
        if isinstance(res, r.ScheduleOutbox):  # free/busy requests only (RFC 6638 6.2)
            privileges.append(el(tag(DAV, "privilege"), None, el(tag(CALDAV, "schedule-send"))))
        return privileges


def _calendar_access(res: r.CalendarCollection | r.CalendarItem) -> calendars.CalendarAccess:
    return res.access if isinstance(res, r.CalendarCollection) else res.collection.access


# CalDAV and CardDAV properties subclass Property above; imported here to register them.
from app.dav import caldav_properties, carddav_properties  # noqa: E402

PROPERTIES: dict[str, Property] = {
    p.name: p
    for p in (
        ResourceType(),
        DisplayName(),
        GetETag(),
        GetContentType(),
        GetContentLength(),
        GetLastModified(),
        CurrentUserPrincipal(),
        PrincipalURL(),
        PrincipalCollectionSet(),
        Owner(),
        SupportedReportSet(),
        SyncToken(),
        GetCTag(),
        CurrentUserPrivilegeSet(),
        *caldav_properties.CALDAV_PROPERTIES,
        *carddav_properties.CARDDAV_PROPERTIES,
    )
}


def property_element(ctx: Context, res: r.Resource, name: str) -> Element | None:
    """The filled property element, or ``None`` if the resource does not have it."""
    prop = PROPERTIES.get(name)
    if prop is None:
        return None
    value = prop.value(ctx, res)
    if value is None:
        return None
    element = el(name)
    if isinstance(value, str):
        element.text = value
    else:
        for item in value:
            element.append(item)
    return element


def property_xml(ctx: Context, res: r.Resource, name: str) -> str | None:
    """The filled property as XML text, or ``None`` if the resource does not have it."""
    prop = PROPERTIES.get(name)
    if prop is None:
        return None
    value = prop.value(ctx, res)
    if value is None:
        return None
    if isinstance(value, str):
        return xml.text_element(name, value)
    start, end = xml.open_tag(name)
    return f"{start}>{''.join(xml.render(v) for v in value)}{end}"


def allprop_names() -> list[str]:
    """The properties DAV:allprop returns (RFC 4918 9.1: dead ones and basic live ones)."""
    return [name for name, prop in PROPERTIES.items() if prop.in_allprop]
