"""POST to the scheduling outbox (RFC 6638 5 with the VFREEBUSY request of RFC 5546 3.3):
the busy time of colleagues in a range, one CALDAV:response per attendee. Invitations are
not sent from here (Hamkar sends iTIP by mail), so only free/busy requests are accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar

from app.calendar import freebusy
from app.calendar.query import TimeRange
from app.dav import resources as r
from app.dav import xml
from app.dav.errors import DavError
from app.dav.properties import Context
from app.dav.xml import CALDAV, DAV, el, tag

XML_TYPE = "application/xml; charset=utf-8"


def outbox_post(ctx: Context, res: r.Resource, body: bytes, content_type: str) -> bytes:
    """Answer a VFREEBUSY request with a CALDAV:schedule-response."""
    if not isinstance(res, r.ScheduleOutbox):
        raise DavError(405, "POST is accepted by the scheduling outbox only.")
    if not content_type.lower().startswith("text/calendar"):
        raise DavError(415, "The scheduling outbox takes text/calendar.")
    request = _free_busy_request(body)
    organizer = _address(request.get("ORGANIZER"))
    if organizer != ctx.user:
        raise DavError(403, "The organizer must be you.", precondition="organizer-allowed")
    start, end = request["DTSTART"].dt, request["DTEND"].dt
    if not isinstance(start, datetime) or not isinstance(end, datetime) or end <= start:
        raise DavError(400, "DTSTART and DTEND must be a date-time range.")
    time_range = TimeRange(start.astimezone(UTC), end.astimezone(UTC))
    attendees = request.get("ATTENDEE")
    listed = attendees if isinstance(attendees, list) else [attendees] if attendees else []
    document = xml.document(tag(CALDAV, "schedule-response"))
    for attendee in listed:
        recipient = _address(attendee)
        periods = freebusy.colleague_busy(
            ctx.db, requester=ctx.user, recipient=recipient, time_range=time_range
        )
        answer = el(
            tag(CALDAV, "response"),
            None,
            el(tag(CALDAV, "recipient"), None, el(tag(DAV, "href"), str(attendee))),
        )
        if periods is None:
            answer.append(el(tag(CALDAV, "request-status"), "3.7;Invalid calendar user"))
        else:
            answer.append(el(tag(CALDAV, "request-status"), "2.0;Success"))
            reply = _reply(request, str(attendee), time_range, periods)
            answer.append(el(tag(CALDAV, "calendar-data"), reply))
        document.append(answer)
    return xml.serialize(document)


def _free_busy_request(body: bytes) -> Any:
    try:
        cal = icalendar.Calendar.from_ical(body.decode("utf-8"))
    except Exception as exc:  # icalendar raises ValueError, KeyError...
        raise DavError(
            400, "The body is not iCalendar.", precondition="valid-calendar-data"
        ) from exc
    if str(cal.get("METHOD", "")).upper() != "REQUEST":
        raise DavError(
            403, "Only METHOD:REQUEST is accepted.", precondition="valid-scheduling-message"
        )
    requests = cal.walk("VFREEBUSY")
    if len(requests) != 1 or "DTSTART" not in requests[0] or "DTEND" not in requests[0]:
        raise DavError(
            403,
            "Only a free/busy request (one VFREEBUSY with DTSTART and DTEND) is accepted.",
            precondition="valid-scheduling-message",
        )
    return requests[0]


def _address(value: Any) -> str:
    """``mailto:x@y`` as ``x@y`` (lower case)."""
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def _reply(
    request: Any, attendee: str, time_range: TimeRange, periods: list[freebusy.Period]
) -> str:
    stamp = _utc(datetime.now(UTC))
    low, high = time_range.bounds
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hamkar//CalDAV//EN",
        "METHOD:REPLY",
        "BEGIN:VFREEBUSY",
        f"UID:{request.get('UID', '')}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(low)}",
        f"DTEND:{_utc(high)}",
        f"ORGANIZER:{request.get('ORGANIZER')}",
        f"ATTENDEE:{attendee}",
    ]
    lines += [f"FREEBUSY;FBTYPE={kind}:{_utc(s)}/{_utc(e)}" for s, e, kind in periods]
    lines += ["END:VFREEBUSY", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
