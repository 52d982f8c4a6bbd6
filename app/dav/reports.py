"""REPORT methods: one function per report, named after it, citing its definition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from app.calendar import query as calendar_query_service
from app.calendar import service as calendars
from app.contacts import service as contacts
from app.dav import calendar_data, card_listings, filters, xml
from app.dav import properties as props
from app.dav import resources as r
from app.dav.errors import DavError
from app.dav.multistatus import (
    Extra,
    card_responses,
    item_responses,
    listable,
    multistatus,
    propstat,
    propstat_response,
    status_response,
    stored_rows,
)
from app.dav.xml import CALDAV, DAV, Element, el, tag
from app.errors import DomainError

Report = Callable[[props.Context, r.Resource, Element], tuple[str, bytes]]
XML_TYPE = "application/xml; charset=utf-8"


def requested_names(root: Element) -> tuple[list[str] | None, bool]:
    """The property names a report asks for, ``None`` for allprop, and whether propname."""
    prop = xml.child(root, tag(DAV, "prop"))
    if prop is not None:
        return [c.tag for c in xml.children(prop)], False
    if xml.child(root, tag(DAV, "propname")) is not None:
        return None, True
    return None, False


def answer(responses: Sequence[str], sync_token: str | None = None) -> tuple[str, bytes]:
    """A REPORT's content type and multistatus body."""
    return XML_TYPE, multistatus(responses, sync_token)


# Where plain and shaped calendar-data meet. A request for CALDAV:calendar-data with no
# children and the default type (RFC 4791 9.6: the whole object, text/calendar 2.0) is the
# common case: _plain_responses writes the stored text straight from the rows. Anything else
# (expand, comp/prop selection, limit-recurrence-set, another version) goes through
# _calendar_data_extra, one item at a time.
_DATA = tag(CALDAV, "calendar-data")


def _calendar_data_request(root: Element) -> Element | None:
    """The CALDAV:calendar-data element of a report's DAV:prop, if asked."""
    return xml.child(xml.child(root, tag(DAV, "prop")), _DATA)


def _is_plain(request: Element | None) -> bool:
    """Whether calendar-data is absent or asks for the stored object as it is."""
    if request is None:
        return True
    return (
        not xml.children(request)
        and request.get("content-type", "text/calendar").strip().lower() == "text/calendar"
        and request.get("version", "2.0").strip() == "2.0"
    )


def _plain(root: Element, names: list[str] | None, names_only: bool) -> bool:
    """Whether the responses can be written straight from the stored columns: only the common
    item properties asked, calendar-data (if asked) plain (see ``item_responses``)."""
    return (
        not names_only
        and names is not None
        and listable(names, with_data=True)
        and _is_plain(_calendar_data_request(root))
    )


def _calendar_data_extra(root: Element, ctx: props.Context) -> Extra:
    """Fills CALDAV:calendar-data, expanded when asked (RFC 4791 9.6)."""
    request = _calendar_data_request(root)
    if calendar_data.is_partial(request):  # comp/prop selection, limits: RFC 4791 9.6
        return calendar_data.filler(request)
    expand = xml.child(request, tag(CALDAV, "expand"))
    time_range = filters.time_range(expand) if expand is not None else None

    def extra(res: r.Resource, name: str) -> str | None:
        if name != tag(CALDAV, "calendar-data") or not isinstance(res, r.CalendarItem):
            return None
        if res.obj is None:
            return None
        text = res.obj.ical
        if time_range is not None:
            zone = calendars.floating_zone(res.collection.access.calendar)
            text = calendar_query_service.expand(text, time_range=time_range, zone=zone)
        return text

    return extra


def calendar_query(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """CALDAV:calendar-query (RFC 4791 7.8)."""
    comp_filter = filters.calendar_filter(root)
    names, names_only = requested_names(root)
    extra = _calendar_data_extra(root, ctx)
    if isinstance(res, r.CalendarCollection):
        objects = calendar_query_service.query(
            ctx.db, calendar=res.access.calendar, comp_filter=comp_filter
        )
        collection = res
    elif isinstance(res, r.CalendarItem) and res.obj is not None:
        matching = calendar_query_service.query(
            ctx.db, calendar=res.collection.access.calendar, comp_filter=comp_filter
        )
        objects = [o for o in matching if o.id == res.obj.id]
        collection = res.collection
    else:
        raise DavError(403, "calendar-query works on calendars", precondition="supported-report")
    if names is not None and _plain(root, names, names_only):
        return answer(item_responses(collection.href, stored_rows(objects), names))
    items = [r.CalendarItem(collection, o.name, o) for o in objects]
    return answer(
        [propstat_response(ctx, i, names, names_only=names_only, extra=extra) for i in items]
    )


def multiget(
    ctx: props.Context, res: r.Resource, root: Element, extra: Extra, kinds: tuple[type, ...]
) -> tuple[str, bytes]:
    """A multiget of ``kinds`` (RFC 4791 7.9, RFC 6352 8.7): each collection resolved once,
    its requested items fetched in one query."""
    names, names_only = requested_names(root)
    wanted = wanted_hrefs(root)
    items: dict[tuple[tuple[str, ...], str], r.Resource] = {}
    for place in {k for _t, k, _n in wanted if k is not None}:
        # The report's own collection is resolved already (the usual case).
        collection = (
            res
            if place == collection_segments(res)
            else r.resolve(ctx.db, user=ctx.user, segments=list(place))
        )
        requested = [n for _t, k, n in wanted if k == place]
        for member in r.members(ctx.db, collection, names=requested) if collection else []:
            items[(place, _member_name(member))] = member
    responses: list[str] = []
    for target, key, name in wanted:
        item = items.get((key, name)) if key is not None else None
        if item is None or not isinstance(item, kinds):
            responses.append(status_response(target, 404))
            continue
        if (
            isinstance(item, r.CalendarItem)
            and item.obj is not None
            and names is not None
            and _plain(root, names, names_only)
        ):
            responses += item_responses(item.collection.href, stored_rows([item.obj]), names)
        elif (
            isinstance(item, r.ContactItem | r.DirectoryItem)
            and (row := card_listings.item_row(item)) is not None
            and card_listings.is_plain(root, names, names_only)
        ):
            responses += card_responses(card_listings.book_href(item), [row], names or [])
        else:
            responses.append(
                propstat_response(ctx, item, names, names_only=names_only, extra=extra)
            )
    return answer(responses)


Wanted = list[tuple[str, tuple[str, ...] | None, str]]


def wanted_hrefs(root: Element) -> Wanted:
    """Each href of a multiget: as sent, its collection's segments and the item name."""
    wanted: Wanted = []
    for element in xml.children(root, tag(DAV, "href")):
        target = (element.text or "").strip()
        try:
            segments = r.split_path(urlsplit(target).path if "://" in target else target)
        except (DavError, ValueError):  # each bad href answers 404 on its own
            segments = []
        if len(segments) == 4:
            wanted.append((target, tuple(segments[:3]), segments[3]))
        else:
            wanted.append((target, None, ""))
    return wanted


def collection_segments(res: r.Resource) -> tuple[str, ...] | None:
    """The path segments of a calendar or address book collection."""
    if isinstance(res, r.CalendarCollection):
        return ("calendars", res.home, res.access.slug)
    if isinstance(res, r.AddressBookCollection):
        return ("addressbooks", res.home, res.book.slug)
    return None


def _member_name(member: r.Resource) -> str:
    if isinstance(member, r.CalendarItem | r.ContactItem):
        return member.name
    return member.card.name if isinstance(member, r.DirectoryItem) else ""


def calendar_multiget(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """CALDAV:calendar-multiget (RFC 4791 7.9)."""
    return multiget(ctx, res, root, _calendar_data_extra(root, ctx), (r.CalendarItem,))


def free_busy_query(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """CALDAV:free-busy-query (RFC 4791 7.10): a VFREEBUSY for the time range."""
    if not isinstance(res, r.CalendarCollection):
        raise DavError(403, "free-busy-query works on calendars", precondition="supported-report")
    time_range = filters.time_range(xml.child(root, tag(CALDAV, "time-range")))
    if time_range is None or time_range.start is None:
        raise DavError(
            400, "free-busy-query needs a time-range with a start", precondition="valid-filter"
        )
    periods = calendar_query_service.busy_periods(
        ctx.db, calendar=res.access.calendar, time_range=time_range
    )
    low, high = time_range.bounds
    stamp = _utc(datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hamkar//CalDAV//EN",
        "BEGIN:VFREEBUSY",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(low)}",
        f"DTEND:{_utc(high)}",
    ]
    lines += [f"FREEBUSY;FBTYPE={kind}:{_utc(s)}/{_utc(e)}" for s, e, kind in periods]
    lines += ["END:VFREEBUSY", "END:VCALENDAR", ""]
    return "text/calendar; charset=utf-8", "\r\n".join(lines).encode()


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sync_collection(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """DAV:sync-collection (RFC 6578 3.2)."""
    token_element = xml.child(root, tag(DAV, "sync-token"))
    token = (token_element.text or "").strip() if token_element is not None else ""
    names, names_only = requested_names(root)
    if isinstance(res, r.CalendarCollection):
        key, collection_id = "cal", res.access.calendar.id
    elif isinstance(res, r.AddressBookCollection):
        key, collection_id = "card", res.book.id
    else:
        raise DavError(
            403,
            "sync-collection works on calendars and address books",
            precondition="supported-report",
        )
    revision = _token_revision(token, key, collection_id)
    if revision == 0:  # initial sync: every member, no need to read the change log
        current = (
            res.access.calendar.revision
            if isinstance(res, r.CalendarCollection)
            else res.book.revision
        )
        responses = _member_responses(ctx, root, res, None, names, names_only)
        return answer(responses, props.SYNC_TOKEN_PREFIX + f"{key}-{collection_id}-{current}")
    try:
        changes = (
            calendars.changes_since(ctx.db, calendar=res.access.calendar, revision=revision)
            if isinstance(res, r.CalendarCollection)
            else contacts.changes_since(ctx.db, book=res.book, revision=revision)
        )
    except DomainError as exc:
        raise DavError(
            403, "The sync token is not valid.", precondition="valid-sync-token"
        ) from exc
    deleted = changes.deleted
    responses = _member_responses(ctx, root, res, changes.changed, names, names_only)
    base = r.href(res)
    responses += [status_response(base + r.href_of(n)[len(r.PREFIX) + 1 :], 404) for n in deleted]
    return answer(responses, props.SYNC_TOKEN_PREFIX + f"{key}-{collection_id}-{changes.revision}")


def _member_responses(
    ctx: props.Context,
    root: Element,
    res: r.CalendarCollection | r.AddressBookCollection,
    changed: list[str] | None,
    names: list[str] | None,
    names_only: bool,
) -> list[str]:
    """One response per member of a synced collection (all, or the ``changed`` names): a
    calendar's items straight from a column-only listing when only the common properties and
    plain calendar data are asked, else each member's properties one by one."""
    if (
        isinstance(res, r.CalendarCollection)
        and names is not None
        and _plain(root, names, names_only)
    ):
        rows = calendars.list_summaries(
            ctx.db, calendar=res.access.calendar, names=changed, with_data=_wants_data(names)
        )
        return item_responses(res.href, rows, names)
    if isinstance(res, r.AddressBookCollection) and card_listings.is_plain(root, names, names_only):
        wanted = names or []
        with_data = card_listings.ADDRESS_DATA in wanted
        card_rows = card_listings.book_rows(ctx, res, names=changed, with_data=with_data)
        return card_responses(res.href, card_rows, wanted)
    members = r.members(ctx.db, res, names=changed, with_data=_wants_data(names))
    calendar = isinstance(res, r.CalendarCollection)
    extra = _calendar_data_extra(root, ctx) if calendar else card_listings.address_extra(root)
    return [propstat_response(ctx, m, names, names_only=names_only, extra=extra) for m in members]


def _wants_data(names: list[str] | None) -> bool:
    return names is None or tag(CALDAV, "calendar-data") in names


def _token_revision(token: str, key: str, collection_id: int) -> int:
    if not token:
        return 0
    value = token.removeprefix(props.SYNC_TOKEN_PREFIX)
    parts = value.split("-")
    if (
        not token.startswith(props.SYNC_TOKEN_PREFIX)
        or len(parts) != 3
        or parts[0] != key
        or parts[1] != str(collection_id)
        or not parts[2].isdigit()
    ):
        raise DavError(403, "The sync token is not valid.", precondition="valid-sync-token")
    return int(parts[2])


def expand_property(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """DAV:expand-property (RFC 3253 3.8): follow the hrefs of properties, recursively."""
    return answer([xml.render(_expanded_response(ctx, res, root, depth=0))])


def _expanded_response(ctx: props.Context, res: r.Resource, spec: Element, depth: int) -> Element:
    found: list[Element] = []
    missing: list[Element] = []
    for wanted in xml.children(spec, tag(DAV, "property")):
        name = tag(wanted.get("namespace", DAV), wanted.get("name", ""))
        element = props.property_element(ctx, res, name)
        if element is None:
            missing.append(el(name))
            continue
        nested = xml.children(wanted, tag(DAV, "property"))
        if nested and depth < 3:
            for link in xml.children(element, tag(DAV, "href")):
                target = _resolve_href(ctx, link.text or "")
                if target is not None:
                    link.addprevious(_expanded_response(ctx, target, wanted, depth + 1))
                    element.remove(link)
        found.append(element)
    response = el(tag(DAV, "response"), None, xml.href(r.href(res)))
    if found:
        response.append(propstat(200, found))
    if missing and not ctx.minimal:
        response.append(propstat(404, missing))
    if len(response) == 1:  # a DAV:response needs a propstat (RFC 4918 14.24)
        response.append(propstat(200, []))
    return response


def _resolve_href(ctx: props.Context, value: str) -> r.Resource | None:
    try:
        return r.resolve(ctx.db, user=ctx.user, segments=r.split_path(value.strip()))
    except DavError:
        return None
