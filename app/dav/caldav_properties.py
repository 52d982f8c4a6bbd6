"""CalDAV properties (RFC 4791 5.2 and 6.2, RFC 6638 2.4.1, Apple's calendar-color)."""

from __future__ import annotations

from app.calendar.ical import MAX_OBJECT_BYTES
from app.dav import resources as r
from app.dav import xml
from app.dav.properties import Context, Property, Value, principal_href, store_collection_field
from app.dav.xml import APPLE, CALDAV, Element, el, tag


class CalendarHomeSet(Property):
    """CALDAV:calendar-home-set (RFC 4791 6.2.1)."""

    name = tag(CALDAV, "calendar-home-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.Principal):
            return None
        # A colleague's home is named (clients expect it) but answers only what is shared.
        return [xml.href(r.href_of("calendars", res.email, collection=True))]


class CalendarUserAddressSet(Property):
    """CALDAV:calendar-user-address-set (RFC 6638 2.4.1)."""

    name = tag(CALDAV, "calendar-user-address-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.Principal):
            return None
        return [xml.href(f"mailto:{res.email}"), *principal_href(ctx, res)]


class ScheduleInboxURL(Property):
    """CALDAV:schedule-inbox-URL (RFC 6638 2.2.1)."""

    name = tag(CALDAV, "schedule-inbox-URL")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.Principal) or not res.own:
            return None
        return [xml.href(r.href_of("principals", ctx.user, r.INBOX, collection=True))]


class ScheduleOutboxURL(Property):
    """CALDAV:schedule-outbox-URL (RFC 6638 2.1.1)."""

    name = tag(CALDAV, "schedule-outbox-URL")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.Principal) or not res.own:
            return None
        return [xml.href(r.href_of("principals", ctx.user, r.OUTBOX, collection=True))]


class CalendarUserType(Property):
    """CALDAV:calendar-user-type (RFC 6638 2.4.2)."""

    name = tag(CALDAV, "calendar-user-type")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return res.user_type if isinstance(res, r.Principal) else None


class CalendarDescription(Property):
    """CALDAV:calendar-description (RFC 4791 5.2.1)."""

    name = tag(CALDAV, "calendar-description")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return res.access.calendar.description if isinstance(res, r.CalendarCollection) else None

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        store_collection_field(ctx, res, "description", element)


class CalendarTimezone(Property):
    """CALDAV:calendar-timezone (RFC 4791 5.2.2)."""

    name = tag(CALDAV, "calendar-timezone")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarCollection) and res.access.calendar.timezone:
            return res.access.calendar.timezone
        return None

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        store_collection_field(ctx, res, "timezone", element)


class CalendarColor(Property):
    """ICAL:calendar-color (Apple's extension, used by DAVx5, iOS and Thunderbird)."""

    name = tag(APPLE, "calendar-color")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if isinstance(res, r.CalendarCollection) and res.access.calendar.color:
            return res.access.calendar.color
        return None

    def store(self, ctx: Context, res: r.Resource, element: Element | None) -> None:
        store_collection_field(ctx, res, "color", element)


class SupportedCalendarComponentSet(Property):
    """CALDAV:supported-calendar-component-set (RFC 4791 5.2.3)."""

    name = tag(CALDAV, "supported-calendar-component-set")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.CalendarCollection):
            return None
        return [_comp(name) for name in res.access.components]


def _comp(name: str) -> Element:
    comp = el(tag(CALDAV, "comp"))
    comp.set("name", name)
    return comp


class SupportedCalendarData(Property):
    """CALDAV:supported-calendar-data (RFC 4791 5.2.4)."""

    name = tag(CALDAV, "supported-calendar-data")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        if not isinstance(res, r.CalendarCollection):
            return None
        data = el(tag(CALDAV, "calendar-data"))
        data.set("content-type", "text/calendar")
        data.set("version", "2.0")
        return [data]


class MaxResourceSize(Property):
    """CALDAV:max-resource-size (RFC 4791 5.2.5) and CARDDAV:max-resource-size (RFC 6352 6.2.3)."""

    name = tag(CALDAV, "max-resource-size")

    def value(self, ctx: Context, res: r.Resource) -> Value:
        return str(MAX_OBJECT_BYTES) if isinstance(res, r.CalendarCollection) else None


CALDAV_PROPERTIES: tuple[Property, ...] = (
    CalendarHomeSet(),
    CalendarUserAddressSet(),
    ScheduleInboxURL(),
    ScheduleOutboxURL(),
    CalendarUserType(),
    CalendarDescription(),
    CalendarTimezone(),
    CalendarColor(),
    SupportedCalendarComponentSet(),
    SupportedCalendarData(),
    MaxResourceSize(),
)
