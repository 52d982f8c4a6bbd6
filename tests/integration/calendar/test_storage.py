"""Calendar storage and time-range queries, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.calendar import query, service
from app.calendar.models import CalendarOccurrence
from app.calendar.query import TimeRange
from app.errors import Conflict, Invalid, PreconditionFailed
from tests.dav.samples import event
from tests.live import migrated_database

ME = "dana@example.com"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Session]:
    with migrated_database(request.param, data_dir) as url:
        engine = create_engine(url)
        with Session(engine) as session:
            yield session
        engine.dispose()


def _access(db: Session) -> service.CalendarAccess:
    access = service.find_calendar(db, email=ME, home=ME, slug="personal")
    assert access is not None
    return access


def _in(db: Session, start: str, end: str) -> list[str]:
    def parse(value: str) -> datetime:
        return datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC)

    found = query.objects_in_range(
        db, calendar=_access(db).calendar, time_range=TimeRange(parse(start), parse(end))
    )
    return sorted(o.name for o in found)


def test_time_ranges_use_the_index_for_single_long_and_recurring_items(db: Session) -> None:
    access = _access(db)
    service.put_object(db, access=access, name="single.ics", text=event("s", "20260210T090000Z"))
    conference = event("c", "20260301T080000Z").replace("DURATION:PT1H", "DURATION:P20D")
    service.put_object(db, access=access, name="conference.ics", text=conference)
    weekly = event("w", "20250106T090000Z", extra="RRULE:FREQ=WEEKLY;BYDAY=MO\r\n")
    service.put_object(db, access=access, name="weekly.ics", text=weekly)
    ended = event("e", "20250106T090000Z", extra="RRULE:FREQ=DAILY;COUNT=3\r\n")
    service.put_object(db, access=access, name="ended.ics", text=ended)
    db.commit()
    assert _in(db, "20260209", "20260211") == ["single.ics", "weekly.ics"]
    assert _in(db, "20260315", "20260316") == ["conference.ics"]  # inside a 20-day span
    assert _in(db, "20260324", "20260325") == []  # a Tuesday after it: nothing
    assert _in(db, "20250107", "20250108") == ["ended.ics"]
    assert _in(db, "20250110", "20250111") == []  # the daily series ended
    # Far beyond the indexed horizon the open-ended series is found by expansion.
    assert _in(db, "20400102", "20400103") == ["weekly.ics"]  # Monday 2 Jan 2040
    rows = db.scalar(select(func.count()).select_from(CalendarOccurrence))
    assert rows is not None and 100 < rows < 400  # a rolling horizon, not forever


def test_replace_delete_and_change_log(db: Session) -> None:
    access = _access(db)
    first, created = service.put_object(db, access=access, name="a.ics", text=event("a"))
    assert created
    revision = access.calendar.revision
    with pytest.raises(PreconditionFailed):
        service.put_object(db, access=access, name="a.ics", text=event("a"), if_match='"old"')
    with pytest.raises(Conflict):
        service.put_object(db, access=access, name="b.ics", text=event("a"))
    with pytest.raises(Invalid):
        service.put_object(db, access=access, name="c.ics", text="BEGIN:VCALENDAR\r\n")
    moved = event("a", "20260301T090000Z")
    service.put_object(db, access=access, name="a.ics", text=moved, if_match=first.etag)
    service.put_object(db, access=access, name="d.ics", text=event("d"))
    service.delete_object(db, access=access, name="d.ics")
    db.commit()
    assert _in(db, "20260210", "20260211") == []
    assert _in(db, "20260301", "20260302") == ["a.ics"]
    changes = service.changes_since(db, calendar=access.calendar, revision=revision)
    assert changes.changed == ["a.ics"] and changes.deleted == ["d.ics"]
    assert [o.name for o in service.list_objects(db, calendar=access.calendar)] == ["a.ics"]
