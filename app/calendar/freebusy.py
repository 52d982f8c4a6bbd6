"""Free/busy of a colleague for a scheduling outbox request (RFC 6638 5, the VFREEBUSY
request of RFC 5546 3.3): only within the requester's organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import Calendar
from app.calendar.query import TimeRange, busy_periods
from app.directory import service as directory

Period = tuple[datetime, datetime, str]


def colleague_busy(
    db: Session, *, requester: str, recipient: str, time_range: TimeRange
) -> list[Period] | None:
    """The recipient's busy periods across their own event calendars, merged and sorted;
    ``None`` if the recipient is not an enabled account of the requester's organization."""
    me = directory.find_account(db, email=requester)
    other = directory.find_account(db, email=recipient)
    if me is None or other is None or not other.enabled:
        return None
    if me.organization_id != other.organization_id:
        return None
    calendars = db.scalars(
        select(Calendar).where(Calendar.owner_email == other.email).order_by(Calendar.id)
    )
    periods: list[Period] = []
    for calendar in calendars:
        if "VEVENT" in calendar.components.split(","):
            periods += busy_periods(db, calendar=calendar, time_range=time_range)
    return sorted(periods)
