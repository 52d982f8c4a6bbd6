"""Partial calendar data (RFC 4791 9.6): only the components and properties a client asks
for, the overridden instances of a series that touch a time range (limit-recurrence-set),
and the free/busy periods that touch one (limit-freebusy-set)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import icalendar

from app.calendar.ical import parse_calendar, to_utc
from app.calendar.query import TimeRange, expand


@dataclass
class PropSelection:
    """CALDAV:prop: one property by name; ``novalue`` keeps the name and parameters only."""

    name: str
    novalue: bool = False


@dataclass
class CompSelection:
    """CALDAV:comp: which properties (``None``: allprop) and subcomponents (``None``:
    allcomp) of a component to return. An empty list returns none of them (RFC 4791 9.6.1)."""

    name: str
    props: list[PropSelection] | None = None
    comps: list[CompSelection] | None = None


@dataclass
class DataRequest:
    """A CALDAV:calendar-data request with children (RFC 4791 9.6)."""

    comp: CompSelection | None = None
    expand: TimeRange | None = None
    limit_recurrence: TimeRange | None = None
    limit_freebusy: TimeRange | None = None


def partial(text: str, request: DataRequest, *, zone: tzinfo = UTC) -> str:
    """The stored object reduced as ``request`` says; ``zone`` is for floating times."""
    if request.expand is not None:
        text = expand(text, time_range=request.expand, zone=zone)
    cal = parse_calendar(text)
    if request.limit_recurrence is not None:
        _limit_recurrence(cal, request.limit_recurrence, zone)
    if request.limit_freebusy is not None:
        _limit_freebusy(cal, request.limit_freebusy)
    if request.comp is not None:
        if request.comp.name != "VCALENDAR":
            return str(icalendar.Calendar().to_ical().decode())
        cal = _select(cal, request.comp)
    return str(cal.to_ical().decode())


def _select(component: Any, selection: CompSelection) -> Any:
    """A copy of ``component`` with only the selected properties and subcomponents."""
    result = copy.copy(component)  # same class and name, then emptied
    result.clear()
    result.subcomponents = []
    wanted = None if selection.props is None else {p.name.upper(): p for p in selection.props}
    for name, value in component.items():
        if wanted is None:
            result[name] = value
        elif name.upper() in wanted:
            result[name] = _no_value(value) if wanted[name.upper()].novalue else value
    for sub in component.subcomponents:
        if selection.comps is None:
            result.add_component(sub)
            continue
        for inner in selection.comps:
            if inner.name.upper() == sub.name:
                result.add_component(_select(sub, inner))
                break
    return result


def _no_value(value: Any) -> Any:
    """The property with its parameters and an empty value (RFC 4791 9.6.4, novalue)."""
    if isinstance(value, list):
        return [_no_value(v) for v in value]
    empty = icalendar.vText("")
    empty.params = icalendar.Parameters(getattr(value, "params", {}))
    return empty


def _limit_recurrence(cal: Any, time_range: TimeRange, zone: tzinfo) -> None:
    """Keep each master and only the overridden instances that touch the range (9.6.6)."""
    high = time_range.bounds[1]
    kept = []
    for sub in cal.subcomponents:
        recurrence = sub.get("RECURRENCE-ID")
        if recurrence is None:
            kept.append(sub)
            continue
        start, end = _span(sub, zone)
        original = to_utc(recurrence.dt, zone)
        this_and_future = str(recurrence.params.get("RANGE", "")).upper() == "THISANDFUTURE"
        if (
            time_range.overlaps(start, end)
            or time_range.overlaps(original, original)
            or (this_and_future and original < high)
        ):
            kept.append(sub)
    cal.subcomponents[:] = kept


def _span(component: Any, zone: tzinfo) -> tuple[datetime, datetime]:
    """Where one instance lies in UTC (RFC 4791 9.9 table, simplified for overrides)."""
    start_prop = component.get("DTSTART")
    if start_prop is None:
        due = component.get("DUE")
        point = to_utc(due.dt, zone) if due is not None else datetime(1900, 1, 1, tzinfo=UTC)
        return point, point
    start = to_utc(start_prop.dt, zone)
    end_prop = component.get("DTEND") or component.get("DUE")
    if end_prop is not None:
        return start, to_utc(end_prop.dt, zone)
    duration = component.get("DURATION")
    if duration is not None:
        return start, start + duration.dt
    all_day = not isinstance(start_prop.dt, datetime)
    return start, start + (timedelta(days=1) if all_day else timedelta(0))


def _limit_freebusy(cal: Any, time_range: TimeRange) -> None:
    """Keep only the FREEBUSY periods of VFREEBUSY components that touch the range (9.6.7)."""
    for sub in cal.walk("VFREEBUSY"):
        periods = sub.get("FREEBUSY")
        if periods is None:
            continue
        listed = periods if isinstance(periods, list) else [periods]
        kept = [p for p in listed if _touches(p, time_range)]
        del sub["FREEBUSY"]
        if kept:
            sub["FREEBUSY"] = kept if len(kept) > 1 else kept[0]


def _touches(period: Any, time_range: TimeRange) -> bool:
    start, second = period.dt
    end = start + second if isinstance(second, timedelta) else second
    return time_range.overlaps(to_utc(start), to_utc(end))
