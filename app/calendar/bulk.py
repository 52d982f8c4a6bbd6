"""Writing many calendar objects at once (an import, a first upload, a benchmark's data set).

Each object is validated and indexed exactly as ``service.put_object`` does; what is saved is
the per-object database work: one revision for the whole batch and batched inserts, instead of
a handful of statements per object.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from app.calendar import ical, service
from app.calendar.models import CalendarChange, CalendarObject, CalendarOccurrence
from app.db import utcnow
from app.errors import Conflict, PreconditionFailed

_CHUNK = 2000  # rows per statement (well under SQLite's 32766 parameters)


def create_objects(
    db: Session,
    *,
    access: service.CalendarAccess,
    items: Sequence[tuple[str, str]],
    now: datetime | None = None,
) -> int:
    """Create new objects from ``(name, iCalendar text)`` pairs; returns how many.

    All or nothing: an invalid object raises like ``put_object``; a name that exists already
    raises ``PreconditionFailed`` and a UID that exists already (or twice in the batch)
    ``Conflict``, before anything is written.
    """
    service.require_writable(access)
    calendar = access.calendar
    zone = service.floating_zone(calendar)
    parsed = []
    for name, text in items:
        service.validate_object_name(name)
        parsed.append(ical.parse_object(text, allowed=access.components, floating=zone, now=now))
    names = [name for name, _text in items]
    _refuse_clashes(db, calendar_id=calendar.id, names=names, uids=[p.uid for p in parsed])
    if not parsed:
        return 0
    revision = service.bump_revision(db, calendar)
    stamp = utcnow()
    rows = [
        {
            "calendar_id": calendar.id,
            "name": name,
            "uid": p.uid,
            "component": p.component,
            "ical": p.text,
            "etag": ical.etag_of(p.text),
            "revision": revision,
            "size": len(p.text.encode()),
            "first_start": p.first_start,
            "last_end": p.last_end,
            "indexed_until": p.indexed_until,
            "modified_at": stamp,
        }
        for name, p in zip(names, parsed, strict=True)
    ]
    ids: list[int] = []
    for first in range(0, len(rows), _CHUNK):
        ids += db.scalars(
            insert(CalendarObject).returning(CalendarObject.id, sort_by_parameter_order=True),
            rows[first : first + _CHUNK],
        ).all()
    occurrences = [
        {
            "calendar_id": calendar.id,
            "object_id": object_id,
            "start": start,
            "end": end,
            "long_span": end - start > ical.LONG_SPAN,
        }
        for object_id, p in zip(ids, parsed, strict=True)
        for start, end in p.occurrences
    ]
    for first in range(0, len(occurrences), _CHUNK):
        db.execute(insert(CalendarOccurrence), occurrences[first : first + _CHUNK])
    changes = [
        {"calendar_id": calendar.id, "revision": revision, "name": name, "deleted": False}
        for name in names
    ]
    for first in range(0, len(changes), _CHUNK):
        db.execute(insert(CalendarChange), changes[first : first + _CHUNK])
    db.flush()
    return len(parsed)


def _refuse_clashes(db: Session, *, calendar_id: int, names: list[str], uids: list[str]) -> None:
    if len(set(names)) != len(names):
        raise PreconditionFailed("This item already exists; it was not overwritten.")
    seen: set[str] = set()
    for uid in uids:
        if uid in seen:
            raise _uid_conflict(uid)
        seen.add(uid)
    for first in range(0, len(names), _CHUNK // 2):
        some_names, some_uids = (
            names[first : first + _CHUNK // 2],
            uids[first : first + _CHUNK // 2],
        )
        taken = db.execute(
            select(CalendarObject.name, CalendarObject.uid)
            .where(
                CalendarObject.calendar_id == calendar_id,
                or_(CalendarObject.name.in_(some_names), CalendarObject.uid.in_(some_uids)),
            )
            .limit(1)
        ).first()
        if taken is None:
            continue
        if taken.name in some_names:
            raise PreconditionFailed("This item already exists; it was not overwritten.")
        raise _uid_conflict(taken.uid)


def _uid_conflict(uid: str) -> Conflict:
    return ical.with_precondition(
        Conflict("Another item in this calendar already has the UID %(uid)s.", uid=uid),
        "no-uid-conflict",
    )
