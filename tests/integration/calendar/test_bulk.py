"""Bulk creation indexes exactly as one PUT at a time does, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import bulk, query, service
from app.calendar.models import CalendarChange, CalendarObject, CalendarOccurrence
from app.calendar.query import TimeRange
from app.errors import Conflict, Invalid, PreconditionFailed
from tests.dav.samples import event

ME = "dana@example.com"
ITEMS = [
    ("single.ics", event("s", "20260210T090000Z")),
    ("weekly.ics", event("w", "20250106T090000Z", extra="RRULE:FREQ=WEEKLY;BYDAY=MO\r\n")),
    ("ended.ics", event("e", "20250106T090000Z", extra="RRULE:FREQ=DAILY;COUNT=3\r\n")),
    ("long.ics", event("l", "20260301T080000Z").replace("DURATION:PT1H", "DURATION:P20D")),
]


def _calendar(db: Session, slug: str) -> service.CalendarAccess:
    service.ensure_defaults(db, email=ME)
    if slug != "personal":
        service.create_calendar(db, email=ME, slug=slug, components=("VEVENT",))
    access = service.find_calendar(db, email=ME, home=ME, slug=slug)
    assert access is not None
    return access


def _snapshot(db: Session, access: service.CalendarAccess) -> object:
    objects = db.execute(
        select(
            CalendarObject.name,
            CalendarObject.uid,
            CalendarObject.etag,
            CalendarObject.size,
            CalendarObject.first_start,
            CalendarObject.last_end,
        )
        .where(CalendarObject.calendar_id == access.calendar.id)
        .order_by(CalendarObject.name)
    ).all()
    occurrences = db.execute(
        select(CalendarObject.name, CalendarOccurrence.start, CalendarOccurrence.end)
        .join(CalendarObject, CalendarObject.id == CalendarOccurrence.object_id)
        .where(CalendarOccurrence.calendar_id == access.calendar.id)
        .order_by(CalendarObject.name, CalendarOccurrence.start)
    ).all()
    return [tuple(o) for o in objects], [tuple(o) for o in occurrences]


def test_bulk_creation_stores_and_indexes_like_single_puts(calendar_db: Session) -> None:
    db = calendar_db
    one_by_one, at_once = _calendar(db, "personal"), _calendar(db, "bulk")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for name, text in ITEMS:
        service.put_object(db, access=one_by_one, name=name, text=text, now=now)
    assert bulk.create_objects(db, access=at_once, items=ITEMS, now=now) == len(ITEMS)
    db.commit()
    assert _snapshot(db, at_once) == _snapshot(db, one_by_one)
    month = TimeRange(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    found = query.objects_in_range(db, calendar=at_once.calendar, time_range=month)
    assert [o.name for o in found] == ["long.ics", "weekly.ics"]
    # One revision for the batch, one change per object: a sync client fetches them all.
    changes = service.changes_since(db, calendar=at_once.calendar, revision=0)
    assert sorted(changes.changed) == sorted(name for name, _text in ITEMS)
    revisions = db.scalars(
        select(CalendarChange.revision).where(CalendarChange.calendar_id == at_once.calendar.id)
    ).all()
    assert set(revisions) == {at_once.calendar.revision}


def test_bulk_creation_is_all_or_nothing(calendar_db: Session) -> None:
    db = calendar_db
    access = _calendar(db, "personal")
    service.put_object(db, access=access, name="taken.ics", text=event("taken"))
    db.commit()
    with pytest.raises(PreconditionFailed):
        bulk.create_objects(db, access=access, items=[("taken.ics", event("other"))])
    with pytest.raises(Conflict):
        bulk.create_objects(db, access=access, items=[("new.ics", event("taken"))])
    with pytest.raises(Conflict):
        bulk.create_objects(
            db, access=access, items=[("a.ics", event("twice")), ("b.ics", event("twice"))]
        )
    with pytest.raises(Invalid):
        bulk.create_objects(
            db, access=access, items=[("good.ics", event("good")), ("bad.ics", "BEGIN:VCARD")]
        )
    db.rollback()
    names = db.scalars(
        select(CalendarObject.name).where(CalendarObject.calendar_id == access.calendar.id)
    ).all()
    assert names == ["taken.ics"]
