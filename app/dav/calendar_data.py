"""CALDAV:calendar-data with children in a REPORT (RFC 4791 9.6): comp/prop/allprop/allcomp
selection, expand, limit-recurrence-set and limit-freebusy-set. Reports without children take
the fast path in ``reports``; this module is used only when the element has children."""

from __future__ import annotations

from typing import TypeGuard

from app.calendar import partial
from app.calendar import service as calendars
from app.calendar.query import TimeRange
from app.dav import filters, xml
from app.dav import resources as r
from app.dav.errors import DavError
from app.dav.multistatus import Extra
from app.dav.xml import CALDAV, Element, tag

NAME = tag(CALDAV, "calendar-data")


def is_partial(request: Element | None) -> TypeGuard[Element]:
    """Whether the requested calendar-data has children (a partial or limited answer)."""
    return request is not None and bool(xml.children(request))


def parse(request: Element) -> partial.DataRequest:
    """The calendar-data element as a ``DataRequest``; bad requests get 400 or 403."""
    content_type = request.get("content-type", "text/calendar")
    version = request.get("version", "2.0")
    if content_type.lower() != "text/calendar" or version != "2.0":
        raise DavError(
            403,
            f"calendar data as {content_type} {version} is not supported",
            precondition="supported-calendar-data",
        )
    expand = _range(request, "expand")
    limit = _range(request, "limit-recurrence-set")
    if expand is not None and limit is not None:
        raise DavError(400, "expand and limit-recurrence-set exclude each other")
    comp = xml.child(request, tag(CALDAV, "comp"))
    return partial.DataRequest(
        comp=_comp(comp) if comp is not None else None,
        expand=expand,
        limit_recurrence=limit,
        limit_freebusy=_range(request, "limit-freebusy-set"),
    )


def _range(request: Element, name: str) -> TimeRange | None:
    """expand, limit-recurrence-set, limit-freebusy-set: start and end both required."""
    element = xml.child(request, tag(CALDAV, name))
    if element is None:
        return None
    if element.get("start") is None or element.get("end") is None:
        raise DavError(400, f"{name} needs start and end", precondition="valid-filter")
    return filters.time_range(element)


def _comp(element: Element) -> partial.CompSelection:
    name = (element.get("name") or "").upper()
    if not name:
        raise DavError(400, "a comp element needs a name")
    props: list[partial.PropSelection] | None = []
    comps: list[partial.CompSelection] | None = []
    for item in xml.children(element):
        if item.tag == tag(CALDAV, "allprop"):
            props = None
        elif item.tag == tag(CALDAV, "allcomp"):
            comps = None
        elif item.tag == tag(CALDAV, "prop") and props is not None:
            prop_name = (item.get("name") or "").upper()
            if not prop_name:
                raise DavError(400, "a prop element needs a name")
            props.append(partial.PropSelection(prop_name, item.get("novalue", "no") == "yes"))
        elif item.tag == tag(CALDAV, "comp") and comps is not None:
            comps.append(_comp(item))
    return partial.CompSelection(name, props, comps)


def filler(request: Element) -> Extra:
    """Fills CALDAV:calendar-data of each calendar object as the request selects."""
    data_request = parse(request)

    def fill(res: r.Resource, name: str) -> str | None:
        if name != NAME or not isinstance(res, r.CalendarItem) or res.obj is None:
            return None
        zone = calendars.floating_zone(res.collection.access.calendar)
        return partial.partial(res.obj.ical, data_request, zone=zone)

    return fill
