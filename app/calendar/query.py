"""Calendar queries: time ranges from the occurrence index, filters (RFC 4791 9.7), expansion
of recurring items (RFC 4791 9.6.5) and free/busy (RFC 4791 7.10).

Only candidates the index selects are parsed, so the cost follows the size of the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import Session

from app.calendar.horizon import SLACK, extend_indexes
from app.calendar.ical import (
    INDEX_HORIZON,
    LONG_SPAN,
    parse_calendar,
    spans_between,
    to_utc,
    with_precondition,
)
from app.calendar.models import Calendar, CalendarObject, CalendarOccurrence
from app.calendar.service import (
    LISTED_COLUMNS,
    STORED_COLUMNS,
    StoredObject,
    floating_zone,
    stored_objects,
)
from app.davsync import text_matches
from app.db import utcnow
from app.errors import Invalid

BEGINNING = datetime(1900, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
_CHUNK = 5000  # ids per IN list (SQLite allows 32766 parameters)
MAX_EXPANDED_OCCURRENCES = 5000  # per item and query: ten years of a daily meeting fit


@dataclass
class TextMatch:
    """CALDAV:text-match / CARDDAV:text-match (RFC 4791 9.7.5)."""

    text: str
    collation: str = "i;ascii-casemap"
    negate: bool = False
    match_type: str = "contains"

    def matches(self, value: str) -> bool:
        """Whether ``value`` matches, honouring the collation and negation."""
        return text_matches(
            self.text,
            value,
            collation=self.collation,
            match_type=self.match_type,
            negate=self.negate,
        )


@dataclass
class TimeRange:
    """CALDAV:time-range (RFC 4791 9.9); either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """Both ends, open ones replaced by the beginning and end of time."""
        return self.start or BEGINNING, self.end or END_OF_TIME

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) overlaps the range (a zero-length span counts at its start)."""
        low, high = self.bounds
        return start < high and (end > low or start >= low)


@dataclass
class ParamFilter:
    """CALDAV:param-filter (RFC 4791 9.7.3)."""

    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None


@dataclass
class PropFilter:
    """CALDAV:prop-filter (RFC 4791 9.7.2)."""

    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    text_match: TextMatch | None = None
    params: list[ParamFilter] = field(default_factory=list)


@dataclass
class CompFilter:
    """CALDAV:comp-filter (RFC 4791 9.7.1)."""

    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    props: list[PropFilter] = field(default_factory=list)
    comps: list[CompFilter] = field(default_factory=list)


def objects_in_range(
    db: Session, *, calendar: Calendar, time_range: TimeRange, component: str | None = None
) -> list[StoredObject]:
    """Objects with an occurrence in the range: found by index, expanded only past it."""
    low, high = time_range.bounds
    occurrence = CalendarOccurrence
    short = select(occurrence.object_id).where(
        occurrence.calendar_id == calendar.id,
        occurrence.long_span.is_(False),
        occurrence.start >= low - LONG_SPAN,
        occurrence.start < high,
        occurrence.end > low,
    )
    long = select(occurrence.object_id).where(
        occurrence.calendar_id == calendar.id,
        occurrence.long_span.is_(True),
        occurrence.start < high,
        occurrence.end > low,
    )
    in_index = union(short, long).subquery()
    # Objects the index cannot answer: undated tasks (in every range) and series indexed only
    # up to before the range's end.
    beyond = select(*STORED_COLUMNS).where(
        CalendarObject.calendar_id == calendar.id,
        or_(
            CalendarObject.first_start.is_(None),
            and_(CalendarObject.indexed_until.is_not(None), CalendarObject.indexed_until < high),
        ),
    )
    if component is not None:
        beyond = beyond.where(CalendarObject.component == component)
    # The index hits are read once, by primary key, without the columns only the check below
    # needs (each date column costs a parse per row on SQLite).
    hits = list(db.scalars(select(in_index.c.object_id)))
    found = []
    for first in range(0, len(hits), _CHUNK):
        chunk = select(*LISTED_COLUMNS).where(CalendarObject.id.in_(hits[first : first + _CHUNK]))
        if component is not None:
            chunk = chunk.where(CalendarObject.component == component)
        found += stored_objects(db, chunk)
    indexed = set(hits)
    zone = floating_zone(calendar)
    # Past this, expansion answers (a series is extended when its index ends before it).
    reachable = min(high, utcnow() + INDEX_HORIZON - SLACK)
    stale = []
    for obj in stored_objects(db, beyond):
        if obj.id in indexed:
            continue
        if obj.first_start is None:
            found.append(obj)
            continue
        if obj.indexed_until is not None and obj.indexed_until < reachable:
            stale.append(obj.id)  # its index fell behind the rolling horizon
        if _occurs_in(parse_calendar(obj.ical), obj.component, time_range, zone):
            found.append(obj)
    if stale:  # answered by expansion this time; indexed for the next queries
        extend_indexes(db, object_ids=stale, until=high)
    found.sort(key=lambda obj: obj.name)
    return found


def _occurs_in(cal: icalendar.Calendar, kind: str, time_range: TimeRange, zone: tzinfo) -> bool:
    for spans in _windows(cal, kind, time_range, zone):
        if any(time_range.overlaps(start, end) for start, end in spans):
            return True
    return False


def _windows(
    cal: icalendar.Calendar, kind: str, time_range: TimeRange, zone: tzinfo
) -> Iterator[list[tuple[datetime, datetime]]]:
    """Occurrence spans in the range, a window at a time (a day first, doubling up to a
    year) from the series' first start: a dense series is never expanded in one go."""
    low, high = time_range.bounds
    query = recurring_ical_events.of(cal, components=[kind])
    starts = [
        to_utc(c.decoded(key), zone)
        for c in cal.subcomponents
        if c.name == kind
        for key in ("DTSTART", "DUE")
        if c.get(key) is not None
    ]
    begin = max(low, min(starts) - timedelta(days=1)) if starts else low
    window = timedelta(days=1)
    while begin < high:
        end = min(begin + window, high)
        yield spans_between(query, kind, begin, end, zone)
        begin, window = end, min(window * 2, timedelta(days=366))


def check_expansion(
    cal: icalendar.Calendar, kinds: list[str], time_range: TimeRange, zone: tzinfo
) -> None:
    """Refuse to expand more than ``MAX_EXPANDED_OCCURRENCES`` occurrences of one item: an
    hourly series over ten years would be 87,600 instances; the client can ask for less."""
    for kind in kinds:
        count = 0
        for spans in _windows(cal, kind, time_range, zone):
            count += len(spans)
            if count > MAX_EXPANDED_OCCURRENCES:
                raise with_precondition(
                    Invalid(
                        "More than %(limit)s occurrences fall in this range; "
                        "ask for a shorter one.",
                        limit=MAX_EXPANDED_OCCURRENCES,
                    ),
                    "number-of-matches-within-limits",
                )


def _span(component: Any, zone: tzinfo) -> tuple[datetime, datetime]:
    if component.name == "VTODO":
        first = component.get("DTSTART") or component.get("DUE")
        last = component.get("DUE") or component.get("DTSTART")
        return to_utc(first.dt, zone), to_utc(last.dt, zone)
    start = to_utc(component.start, zone)
    try:
        return start, to_utc(component.end, zone)
    except Exception:
        return start, start


def query(db: Session, *, calendar: Calendar, comp_filter: CompFilter) -> list[StoredObject]:
    """The objects matching a calendar-query filter whose root is VCALENDAR (RFC 4791 7.8)."""
    if comp_filter.name != "VCALENDAR" or comp_filter.is_not_defined:
        return []
    inner = comp_filter.comps[0] if len(comp_filter.comps) == 1 else None
    if inner is not None and inner.time_range is not None and not inner.is_not_defined:
        candidates = objects_in_range(
            db, calendar=calendar, time_range=inner.time_range, component=inner.name
        )
        if not inner.props and not inner.comps and not comp_filter.props:
            return candidates  # the index answered the whole filter: nothing to parse
        trusted = CompFilter(inner.name, props=inner.props, comps=inner.comps)
        root = CompFilter("VCALENDAR", props=comp_filter.props, comps=[trusted])
    else:
        candidates = list(
            stored_objects(
                db,
                select(*STORED_COLUMNS)
                .where(CalendarObject.calendar_id == calendar.id)
                .order_by(CalendarObject.name),
            )
        )
        if (
            inner is not None
            and not inner.is_not_defined
            and inner.name in ("VEVENT", "VTODO", "VJOURNAL")
        ):
            candidates = [c for c in candidates if c.component == inner.name]
        root = comp_filter
    if not root.comps and not root.props:
        return candidates
    zone = floating_zone(calendar)
    return [c for c in candidates if _comp_matches(parse_calendar(c.ical), root, zone)]


def _comp_matches(component: Any, flt: CompFilter, zone: tzinfo) -> bool:
    """RFC 4791 9.7.1 on one component (all sub-filters must match)."""
    if flt.time_range is not None and not _component_in_range(component, flt.time_range, zone):
        return False
    for prop in flt.props:
        if not _prop_matches(component, prop):
            return False
    for sub in flt.comps:
        children = [c for c in component.subcomponents if c.name == sub.name]
        if sub.is_not_defined:
            if children:
                return False
        elif not any(_comp_matches(child, sub, zone) for child in children):
            return False
    return True


def _component_in_range(component: Any, time_range: TimeRange, zone: tzinfo) -> bool:
    if component.name == "VALARM":
        return _alarm_in_range(component, time_range, zone)
    if component.name in ("VEVENT", "VTODO", "VJOURNAL"):
        if component.name == "VTODO" and not (component.get("DTSTART") or component.get("DUE")):
            return True
        wrapper = icalendar.Calendar()
        wrapper.add_component(component)
        return _occurs_in(wrapper, component.name, time_range, zone)
    return True


def _alarm_in_range(alarm: Any, time_range: TimeRange, zone: tzinfo) -> bool:
    trigger = alarm.get("TRIGGER")
    if trigger is None:
        return False
    value = trigger.dt
    if isinstance(value, datetime):
        return time_range.overlaps(to_utc(value, zone), to_utc(value, zone))
    return True  # a relative trigger: keep the item rather than miss a reminder


def _prop_matches(component: Any, flt: PropFilter) -> bool:
    """RFC 4791 9.7.2 on one component's properties of that name."""
    values = component.get(flt.name)
    props = [] if values is None else (values if isinstance(values, list) else [values])
    if flt.is_not_defined:
        return not props
    if not props:
        return False
    return any(_one_prop_matches(p, flt) for p in props)


def _one_prop_matches(prop: Any, flt: PropFilter) -> bool:
    if flt.time_range is not None:
        value = getattr(prop, "dt", None)
        if value is None or not flt.time_range.overlaps(to_utc(value), to_utc(value)):
            return False
    if flt.text_match is not None and not flt.text_match.matches(_text(prop)):
        return False
    for param in flt.params:
        value = getattr(prop, "params", {}).get(param.name)
        if param.is_not_defined:
            if value is not None:
                return False
        elif value is None or (param.text_match and not param.text_match.matches(str(value))):
            return False
    return True


def _text(prop: Any) -> str:
    if isinstance(prop, list | tuple):
        return ",".join(_text(p) for p in prop)
    to_ical = getattr(prop, "to_ical", None)
    raw = to_ical() if to_ical else prop
    return raw.decode() if isinstance(raw, bytes) else str(raw)  # type: ignore[no-any-return]


def expand(text: str, *, time_range: TimeRange, zone: tzinfo = UTC) -> str:
    """The occurrences in the range as separate UTC instances (RFC 4791 9.6.5)."""
    cal = parse_calendar(text)
    result = icalendar.Calendar()
    for key in ("VERSION", "PRODID"):
        if cal.get(key) is not None:
            result.add(key, cal.get(key))
    kinds = sorted({c.name for c in cal.subcomponents if c.name in ("VEVENT", "VTODO", "VJOURNAL")})
    check_expansion(cal, kinds, time_range, zone)
    low, high = time_range.bounds
    for occurrence in recurring_ical_events.of(cal, components=kinds).between(low, high):
        instance = icalendar.Component.from_ical(occurrence.to_ical())
        recurring = any(instance.get(k) for k in ("RRULE", "RDATE", "RECURRENCE-ID"))
        for key in ("RRULE", "RDATE", "EXDATE", "EXRULE"):
            instance.pop(key, None)
        for key in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
            _to_utc_property(instance, key, zone)
        if not recurring:
            instance.pop("RECURRENCE-ID", None)
        result.add_component(instance)
    return str(result.to_ical().decode())


def _to_utc_property(component: Any, key: str, zone: tzinfo) -> None:
    prop = component.get(key)
    if prop is None or not isinstance(prop.dt, datetime):
        return
    component.pop(key)
    component.add(key, to_utc(prop.dt, zone))


def busy_periods(
    db: Session, *, calendar: Calendar, time_range: TimeRange
) -> list[tuple[datetime, datetime, str]]:
    """Busy time in the range (RFC 4791 7.10): opaque, not cancelled events, clipped."""
    low, high = time_range.bounds
    zone = floating_zone(calendar)
    periods = []
    for obj in objects_in_range(db, calendar=calendar, time_range=time_range, component="VEVENT"):
        cal = parse_calendar(obj.ical)
        check_expansion(cal, ["VEVENT"], time_range, zone)
        for occurrence in recurring_ical_events.of(cal, components=["VEVENT"]).between(low, high):
            if str(occurrence.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            status = str(occurrence.get("STATUS", "CONFIRMED")).upper()
            if status == "CANCELLED":
                continue
            start, end = _span(occurrence, zone)
            if time_range.overlaps(start, end) and end > start:
                kind = "BUSY-TENTATIVE" if status == "TENTATIVE" else "BUSY"
                periods.append((max(start, low), min(end, high), kind))
    return sorted(periods)
