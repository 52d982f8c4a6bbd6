"""The rolling horizon of the occurrence index, on SQLite and PostgreSQL alike.

Series are written "long ago" (``now`` given to ``put_object``), so their index ends in 2022;
queries today must still find them, and the index must follow time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import horizon, query, service
from app.calendar.ical import INDEX_HORIZON, MAX_INDEXED_OCCURRENCES
from app.calendar.models import CalendarObject, CalendarOccurrence
from app.calendar.query import TimeRange
from app.db import utcnow
from tests.dav.samples import event

ME = "dana@example.com"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
WEEKLY = "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"


@pytest.fixture
def db(calendar_db: Session) -> Session:
    return calendar_db


def _access(db: Session) -> service.CalendarAccess:
    access = service.find_calendar(db, email=ME, home=ME, slug="personal")
    assert access is not None
    return access


def _day(value: datetime) -> TimeRange:
    return TimeRange(value, value + timedelta(days=1))


def _names(db: Session, time_range: TimeRange) -> list[str]:
    found = query.objects_in_range(db, calendar=_access(db).calendar, time_range=time_range)
    return sorted(o.name for o in found)


def _indexed_until(db: Session, name: str) -> datetime | None:
    return db.scalar(select(CalendarObject.indexed_until).where(CalendarObject.name == name))


def _indexed_on(db: Session, name: str, day: datetime) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(CalendarOccurrence)
            .join(CalendarObject, CalendarObject.id == CalendarOccurrence.object_id)
            .where(
                CalendarObject.name == name,
                CalendarOccurrence.start >= day,
                CalendarOccurrence.start < day + timedelta(days=1),
            )
        )
        or 0
    )


def _next_monday(after: datetime) -> datetime:
    day = after.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_a_query_beyond_the_index_finds_the_occurrences_and_extends_the_index(
    db: Session,
) -> None:
    access = _access(db)
    weekly = event("w", "20191230T090000Z", extra=WEEKLY)
    service.put_object(db, access=access, name="weekly.ics", text=weekly, now=LONG_AGO)
    db.commit()
    old_end = _indexed_until(db, "weekly.ics")
    assert old_end is not None and old_end < datetime(2022, 2, 1, tzinfo=UTC)
    monday = _next_monday(utcnow() + timedelta(days=30))
    assert _indexed_on(db, "weekly.ics", monday) == 0  # beyond what was indexed in 2020

    assert _names(db, _day(monday)) == ["weekly.ics"]  # found by expansion...
    db.commit()
    new_end = _indexed_until(db, "weekly.ics")
    assert new_end is not None and new_end >= utcnow() + INDEX_HORIZON - timedelta(days=1)
    assert _indexed_on(db, "weekly.ics", monday) == 1  # ...and now from the index
    assert _names(db, _day(monday)) == ["weekly.ics"]
    assert _names(db, _day(monday + timedelta(days=1))) == []  # a Tuesday: nothing
    # Every week in between is indexed exactly once (no gap, no duplicate at the seam).
    weeks = db.scalar(
        select(func.count())
        .select_from(CalendarOccurrence)
        .where(CalendarOccurrence.start >= old_end - timedelta(days=14))
        .where(CalendarOccurrence.start < old_end + timedelta(days=14))
    )
    assert weeks == 4
    # Far beyond the rolling horizon the series is still found by expansion.
    assert _names(db, _day(datetime(2040, 1, 2, tzinfo=UTC))) == ["weekly.ics"]


def test_the_periodic_job_moves_the_horizon_and_completes_ended_series(db: Session) -> None:
    access = _access(db)
    weekly = event("w", "20191230T090000Z", extra=WEEKLY)
    service.put_object(db, access=access, name="weekly.ics", text=weekly, now=LONG_AGO)
    # 200 Mondays from 30 Dec 2019: ends in 2023, after the horizon of 2020 (1 Jan 2022).
    counted = event("c", "20191230T100000Z", extra="RRULE:FREQ=WEEKLY;COUNT=200\r\n")
    service.put_object(db, access=access, name="counted.ics", text=counted, now=LONG_AGO)
    recent = event("r", "20191230T110000Z", extra=WEEKLY)
    service.put_object(db, access=access, name="recent.ics", text=recent)
    db.commit()
    assert _indexed_until(db, "counted.ics") is not None
    recent_end = _indexed_until(db, "recent.ics")

    extended = horizon.extend_all(sessionmaker(bind=db.get_bind()))
    db.expire_all()
    assert extended == 2  # the recently written series is far enough ahead already
    assert _indexed_until(db, "recent.ics") == recent_end
    assert _indexed_until(db, "counted.ics") is None  # ended: every occurrence is indexed
    last_end = db.scalar(
        select(CalendarObject.last_end).where(CalendarObject.name == "counted.ics")
    )
    assert last_end == datetime(2019, 12, 30, 11, tzinfo=UTC) + timedelta(weeks=199)
    counted_rows = db.scalar(
        select(func.count())
        .select_from(CalendarOccurrence)
        .join(CalendarObject, CalendarObject.id == CalendarOccurrence.object_id)
        .where(CalendarObject.name == "counted.ics")
    )
    assert counted_rows == 200
    weekly_end = _indexed_until(db, "weekly.ics")
    assert weekly_end is not None and weekly_end > utcnow() + INDEX_HORIZON - timedelta(days=1)
    assert horizon.extend_all(sessionmaker(bind=db.get_bind())) == 0  # nothing left to do


def test_a_capped_series_stays_capped_and_is_found_by_expansion(db: Session) -> None:
    access = _access(db)
    hourly = event("h", "20191230T090000Z", extra="RRULE:FREQ=HOURLY\r\n")
    service.put_object(db, access=access, name="hourly.ics", text=hourly, now=LONG_AGO)
    db.commit()
    rows = db.scalar(select(func.count()).select_from(CalendarOccurrence))
    assert rows == MAX_INDEXED_OCCURRENCES
    assert horizon.extend_all(sessionmaker(bind=db.get_bind())) == 0
    assert _names(db, _day(_next_monday(utcnow()))) == ["hourly.ics"]
