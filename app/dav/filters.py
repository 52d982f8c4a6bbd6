"""Parsing of query filters from XML into the domain's filter objects: CALDAV:filter
(RFC 4791 9.7) and CARDDAV:filter (RFC 6352 10.5)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.calendar.query import CompFilter, ParamFilter, PropFilter, TextMatch, TimeRange
from app.contacts.query import CardFilter, CardParamFilter, CardPropFilter, CardTextMatch
from app.dav import xml
from app.dav.errors import DavError
from app.dav.xml import CALDAV, CARDDAV, Element, tag

COLLATIONS = ("i;ascii-casemap", "i;octet", "i;unicode-casemap")
MATCH_TYPES = ("equals", "contains", "starts-with", "ends-with")


def parse_utc(value: str | None) -> datetime | None:
    """A CalDAV UTC date-time attribute (``20260101T000000Z``)."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise DavError(400, f"bad time-range value {value!r}", precondition="valid-filter") from exc


def time_range(element: Element | None) -> TimeRange | None:
    """CALDAV:time-range (RFC 4791 9.9): at least one of start and end."""
    if element is None:
        return None
    start, end = parse_utc(element.get("start")), parse_utc(element.get("end"))
    if start is None and end is None:
        raise DavError(400, "a time-range needs start or end", precondition="valid-filter")
    return TimeRange(start, end)


def text_match(element: Element | None, namespace: str) -> TextMatch | None:
    """CALDAV:text-match or CARDDAV:text-match."""
    if element is None:
        return None
    # the defaults differ: RFC 4791 9.7.5 (CalDAV) and RFC 6352 10.5.4 (CardDAV)
    default = "i;unicode-casemap" if namespace == CARDDAV else "i;ascii-casemap"
    collation = element.get("collation", default)
    if collation not in COLLATIONS:
        raise DavError(
            403, f"unsupported collation {collation}", precondition="supported-collation"
        )
    match_type = element.get("match-type", "contains")
    if match_type not in MATCH_TYPES:
        raise DavError(400, f"unknown match-type {match_type}", precondition="valid-filter")
    negate = element.get("negate-condition", "no") == "yes"
    return TextMatch(element.text or "", collation, negate, match_type)


def _param(element: Element, namespace: str) -> ParamFilter:
    return ParamFilter(
        name=(element.get("name") or "").upper(),
        is_not_defined=xml.child(element, tag(namespace, "is-not-defined")) is not None,
        text_match=text_match(xml.child(element, tag(namespace, "text-match")), namespace),
    )


def prop_filter(element: Element, namespace: str) -> PropFilter:
    """CALDAV:prop-filter or CARDDAV:prop-filter."""
    name = element.get("name")
    if not name:
        raise DavError(400, "a prop-filter needs a name", precondition="valid-filter")
    return PropFilter(
        name=name.upper(),
        is_not_defined=xml.child(element, tag(namespace, "is-not-defined")) is not None,
        time_range=time_range(xml.child(element, tag(CALDAV, "time-range"))),
        text_match=text_match(xml.child(element, tag(namespace, "text-match")), namespace),
        params=[
            _param(p, namespace) for p in xml.children(element, tag(namespace, "param-filter"))
        ],
    )


def comp_filter(element: Element) -> CompFilter:
    """CALDAV:comp-filter, recursively."""
    name = element.get("name")
    if not name:
        raise DavError(400, "a comp-filter needs a name", precondition="valid-filter")
    return CompFilter(
        name=name.upper(),
        is_not_defined=xml.child(element, tag(CALDAV, "is-not-defined")) is not None,
        time_range=time_range(xml.child(element, tag(CALDAV, "time-range"))),
        props=[prop_filter(p, CALDAV) for p in xml.children(element, tag(CALDAV, "prop-filter"))],
        comps=[comp_filter(c) for c in xml.children(element, tag(CALDAV, "comp-filter"))],
    )


def calendar_filter(report: Element) -> CompFilter:
    """The one top-level comp-filter of a calendar-query (RFC 4791 9.7)."""
    flt = xml.child(report, tag(CALDAV, "filter"))
    comps = xml.children(flt, tag(CALDAV, "comp-filter"))
    if len(comps) != 1:
        raise DavError(400, "the filter needs one comp-filter", precondition="valid-filter")
    return comp_filter(comps[0])


def card_filter(report: Element) -> CardFilter:
    """CARDDAV:filter (RFC 6352 10.5); absent, every card matches."""
    flt = xml.child(report, tag(CARDDAV, "filter"))
    if flt is None:
        return CardFilter()
    props = []
    for element in xml.children(flt, tag(CARDDAV, "prop-filter")):
        name = element.get("name")
        if not name:
            raise DavError(400, "a prop-filter needs a name", precondition="valid-filter")
        matches = [
            text_match(m, CARDDAV) for m in xml.children(element, tag(CARDDAV, "text-match"))
        ]
        params = [
            CardParamFilter(p.name, p.is_not_defined, _card_text(p.text_match))
            for p in (
                _param(e, CARDDAV) for e in xml.children(element, tag(CARDDAV, "param-filter"))
            )
        ]
        props.append(
            CardPropFilter(
                name=name.upper(),
                all_of=element.get("test", "anyof") == "allof",
                is_not_defined=xml.child(element, tag(CARDDAV, "is-not-defined")) is not None,
                text_matches=[t for t in (_card_text(m) for m in matches) if t is not None],
                params=params,
            )
        )
    return CardFilter(props, flt.get("test", "anyof") == "allof")


def _card_text(match: TextMatch | None) -> CardTextMatch | None:
    if match is None:
        return None
    return CardTextMatch(match.text, match.collation, match.negate, match.match_type)
