"""iCalendar validation and indexing: what a calendar object resource may contain (RFC 4791
4.1) and when it occurs, in UTC, so that time-range queries can use the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

import icalendar
import recurring_ical_events

from app.calendar import density
from app.errors import DomainError, Invalid, TooLarge

MAX_OBJECT_BYTES = 1_000_000
OBJECT_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
# Open-ended series are indexed this far ahead; later occurrences are found by expansion.
INDEX_HORIZON = timedelta(days=2 * 366)
MAX_INDEXED_OCCURRENCES = 1500
ONE_SECOND = timedelta(seconds=1)
LONG_SPAN = timedelta(days=7)  # longer occurrences are indexed apart (see CalendarOccurrence)
_BEGINNING = datetime(1900, 1, 1, tzinfo=UTC)
_END = datetime(9999, 1, 1, tzinfo=UTC)

E = TypeVar("E", bound=DomainError)


def with_precondition(error: E, name: str) -> E:
    """Tag an error with the RFC precondition element the DAV edge reports (``C:name``)."""
    error.precondition = name  # type: ignore[attr-defined]
    return error


@dataclass
class ParsedObject:
    """A validated calendar object and its index entries."""

    uid: str
    component: str
    text: str
    calendar: icalendar.Calendar
    first_start: datetime | None  # None: matches every time range (a task without dates)
    last_end: datetime | None  # None: open-ended
    indexed_until: datetime | None  # None: every occurrence is in ``occurrences``
    occurrences: list[tuple[datetime, datetime]] = field(default_factory=list)


def etag_of(text: str) -> str:
    """A strong entity tag for a resource body."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def parse_calendar(text: str) -> icalendar.Calendar:
    """Parse iCalendar text or refuse it with ``valid-calendar-data`` (RFC 4791 5.3.2.1)."""
    try:
        parsed = icalendar.Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError...
        raise with_precondition(
            Invalid("This is not valid iCalendar data: %(reason)s", reason=str(exc)[:200]),
            "valid-calendar-data",
        ) from exc
    if not isinstance(parsed, icalendar.Calendar) or parsed.name != "VCALENDAR":
        raise with_precondition(
            Invalid("This is not valid iCalendar data: %(reason)s", reason="no VCALENDAR"),
            "valid-calendar-data",
        )
    return parsed


def parse_object(
    text: str, *, allowed: tuple[str, ...], floating: tzinfo = UTC, now: datetime | None = None
) -> ParsedObject:
    """Validate one calendar object resource and compute its occurrences in UTC."""
    if len(text.encode()) > MAX_OBJECT_BYTES:
        raise with_precondition(
            TooLarge("The item is larger than %(limit)s bytes.", limit=MAX_OBJECT_BYTES),
            "max-resource-size",
        )
    cal = parse_calendar(text)
    if cal.get("METHOD") is not None:
        raise _invalid_object("a stored object may not have a METHOD (RFC 4791 4.1)")
    items = [c for c in cal.subcomponents if c.name in OBJECT_COMPONENTS]
    kinds = {c.name for c in items}
    uids = {str(c.get("UID", "")) for c in items}
    if len(kinds) != 1 or len(uids) != 1 or "" in uids:
        raise _invalid_object("exactly one kind of component with one UID is required")
    kind, uid = kinds.pop(), uids.pop()
    if kind not in allowed:
        raise with_precondition(
            Invalid("This calendar does not accept %(component)s items.", component=kind),
            "supported-calendar-component",
        )
    if len(uid) > 255:
        raise _invalid_object("the UID is too long")
    if density.too_frequent([r for c in items for r in _rules(c)]):
        raise _invalid_object(f"it repeats more than {density.MAX_YEARLY_OCCURRENCES} times a year")
    try:
        parsed = _index(cal, kind, floating, now or datetime.now(UTC))
    except DomainError:
        raise
    except Exception as exc:  # broken dates or rules surface only when expanding
        raise _invalid_object(str(exc)[:200]) from exc
    parsed.uid, parsed.text = uid, text
    return parsed


def _rules(component: Any) -> list[Any]:
    rules = component.get("RRULE")
    return rules if isinstance(rules, list) else [rules] if rules else []


def _invalid_object(reason: str) -> Invalid:
    return with_precondition(
        Invalid("This is not a valid calendar item: %(reason)s", reason=reason),
        "valid-calendar-object-resource",
    )


def to_utc(value: date | datetime, floating: tzinfo = UTC) -> datetime:
    """A DATE or DATE-TIME as an aware UTC datetime (floating values in ``floating``)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=floating)
    return value.astimezone(UTC)


def _index(cal: icalendar.Calendar, kind: str, floating: tzinfo, now: datetime) -> ParsedObject:
    masters = [c for c in cal.subcomponents if c.name == kind]
    parsed = ParsedObject("", kind, "", cal, None, None, None)
    if kind == "VTODO" and not any(c.get("DTSTART") or c.get("DUE") for c in masters):
        return parsed  # RFC 4791 9.9: a task without start or due overlaps every range
    if kind == "VJOURNAL" and not any(c.get("DTSTART") for c in masters):
        return parsed
    recurring = any(c.get("RRULE") or c.get("RDATE") for c in masters)
    query = recurring_ical_events.of(cal, components=[kind])
    if not recurring:
        occurrences = spans_between(query, kind, _BEGINNING, _END, floating)
    else:
        occurrences, parsed.indexed_until = _indexed_series(
            query, masters, floating, now + INDEX_HORIZON
        )
    if not occurrences and parsed.indexed_until is None:
        raise _invalid_object("it never occurs")
    parsed.occurrences = occurrences
    parsed.first_start = occurrences[0][0] if occurrences else parsed.indexed_until
    if parsed.indexed_until is None:
        parsed.last_end = max(end for _start, end in occurrences)
    return parsed


def _indexed_series(
    query: Any,
    masters: list[Any],
    floating: tzinfo,
    horizon: datetime,
    since: datetime | None = None,
    room: int = MAX_INDEXED_OCCURRENCES,
) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """Occurrences of a series up to the horizon (those starting at or after ``since`` only,
    when given), a year at a time (one expansion each), at most ``room`` of them, and where
    the index stops (``None`` when the series ends before it)."""
    if since is None:
        starts = [
            to_utc(c.decoded(key), floating)
            for c in masters
            for key in ("DTSTART", "DUE")
            if c.get(key) is not None
        ]
        window = min(starts) - timedelta(days=1) if starts else _BEGINNING
    else:
        window = since
    found: dict[datetime, datetime] = {}
    while window < horizon:
        upper = min(window + timedelta(days=366), horizon)
        for start, end in spans_between(query, masters[0].name, window, upper, floating):
            if since is None or start >= since:
                found[start] = end  # windows overlap at their edges: keep each once
        if len(found) >= room:
            occurrences = sorted(found.items())[:room]
            return occurrences, occurrences[-1][0]
        window = upper
    occurrences = sorted(found.items())
    if not _ends(masters) or any(True for _ in query.between(horizon, _END)):
        return occurrences, horizon
    return occurrences, None


@dataclass
class IndexExtension:
    """More of an open-ended series' occurrences, for a horizon that moved on."""

    occurrences: list[tuple[datetime, datetime]]  # those starting at or after ``since``
    indexed_until: datetime | None  # None: the series ends, every occurrence is indexed


def extend_index(
    text: str, *, kind: str, floating: tzinfo, since: datetime, room: int, now: datetime
) -> IndexExtension:
    """The occurrences of a stored series from ``since`` (its old ``indexed_until``) up to the
    horizon ``now + INDEX_HORIZON``, at most ``room`` of them (the index keeps at most
    ``MAX_INDEXED_OCCURRENCES`` per object)."""
    cal = parse_calendar(text)
    masters = [c for c in cal.subcomponents if c.name == kind]
    query = recurring_ical_events.of(cal, components=[kind])
    occurrences, until = _indexed_series(
        query, masters, floating, now + INDEX_HORIZON, since=since, room=max(room, 1)
    )
    return IndexExtension(occurrences, until)


def _ends(masters: list[Any]) -> bool:
    """Whether every rule of the series has COUNT or UNTIL (so it may end before the horizon)."""
    for component in masters:
        rules = component.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules else []:
            if "COUNT" not in rule and "UNTIL" not in rule:
                return False
    return True


def spans_between(
    query: Any, kind: str, low: datetime, high: datetime, floating: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Start and end (UTC) of each occurrence overlapping [low, high).

    For events the library's occurrences already carry their start and end (DTEND, or DTSTART
    plus DURATION, or a day for a date), so no component copy is built per occurrence: that
    copy was most of the cost of indexing a series. Tasks keep the component path (their span
    follows RFC 4791 9.9, see ``_span``).
    """
    occurrences_between = getattr(query, "_occurrences_between", None)
    if kind != "VEVENT" or occurrences_between is None:
        return [_span(o, floating) for o in query.between(low, high)]
    spans = []
    for occurrence in occurrences_between(query.to_datetime(low), query.to_datetime(high)):
        start = to_utc(occurrence.start, floating)
        end = occurrence.end
        end = to_utc(end, floating) if isinstance(end, date) else start
        spans.append((start, max(end, start + ONE_SECOND)))
    return spans


def _span(occurrence: Any, floating: tzinfo) -> tuple[datetime, datetime]:
    """Start and end of one occurrence in UTC (RFC 4791 9.9 for tasks)."""
    if occurrence.name == "VTODO":
        start_prop = occurrence.get("DTSTART") or occurrence.get("DUE")
        end_prop = occurrence.get("DUE") or occurrence.get("DTSTART")
        start = to_utc(start_prop.dt, floating)
        end = to_utc(end_prop.dt, floating)
    else:
        start = to_utc(occurrence.start, floating)
        try:
            end = to_utc(occurrence.end, floating)
        except Exception:
            end = start
    # A zero-length item still occupies its instant (RFC 4791 9.9: start >= range start).
    return start, max(end, start + ONE_SECOND)
