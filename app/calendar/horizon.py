"""The rolling horizon of the occurrence index.

Open-ended series are indexed ``ical.INDEX_HORIZON`` ahead of the time they were written. As
time passes the horizon moves on: ``extend_indexes`` indexes the next occurrences of series
whose index ends too soon. The app's lifespan runs it periodically (``run_horizon_worker``),
and a query reaching past an object's index extends that object on demand (``query``), so a
calendar nobody wrote to for years still answers month queries from the index.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import ical
from app.calendar.models import Calendar, CalendarObject, CalendarOccurrence
from app.calendar.service import zone_of
from app.db import utcnow

log = logging.getLogger("hamkar.calendar")
# The periodic job extends a series once its index reaches less than this far beyond the
# horizon's ideal end, so each series is re-expanded about once a month, not every day.
SLACK = timedelta(days=31)
BATCH = 200


def extend_indexes(
    db: Session,
    *,
    object_ids: Iterable[int] | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Index the occurrences of open-ended series up to ``now + INDEX_HORIZON``.

    Considers the given objects (else every object whose index ends before ``until``, by
    default the horizon less ``SLACK``); series already at ``MAX_INDEXED_OCCURRENCES`` stay as
    they are. Returns how many were extended.
    """
    now = now or utcnow()
    horizon = now + ical.INDEX_HORIZON
    target = min(until, horizon) if until is not None else horizon - SLACK
    indexed = (
        select(func.count())
        .where(CalendarOccurrence.object_id == CalendarObject.id)
        .scalar_subquery()
    )
    stale = (
        select(
            CalendarObject.id,
            CalendarObject.calendar_id,
            CalendarObject.component,
            CalendarObject.ical,
            CalendarObject.indexed_until,
            Calendar.timezone,
            indexed.label("indexed"),
        )
        .join(Calendar, Calendar.id == CalendarObject.calendar_id)
        .where(
            CalendarObject.indexed_until.is_not(None),
            CalendarObject.indexed_until < target,
            indexed < ical.MAX_INDEXED_OCCURRENCES,  # capped: later ones are found by expansion
        )
        .order_by(CalendarObject.id)
    )
    if object_ids is not None:
        stale = stale.where(CalendarObject.id.in_(list(object_ids)))
    extended = 0
    for row in db.execute(stale).all():
        try:
            more = ical.extend_index(
                row.ical,
                kind=row.component,
                floating=zone_of(row.timezone),
                since=row.indexed_until,
                room=ical.MAX_INDEXED_OCCURRENCES - row.indexed,
                now=now,
            )
        except Exception:  # a stored object that no longer expands: leave it to expansion
            log.exception("could not extend the index of calendar object %s", row.id)
            continue
        if _store(db, row.id, row.calendar_id, row.indexed_until, more):
            extended += 1
    db.flush()
    return extended


def _store(
    db: Session, object_id: int, calendar_id: int, since: datetime, more: ical.IndexExtension
) -> bool:
    """Write one extension, unless another transaction extended the object meanwhile."""
    values: dict[str, datetime | None] = {"indexed_until": more.indexed_until}
    if more.indexed_until is None:  # the series ended: the index is complete
        last = db.scalar(
            select(func.max(CalendarOccurrence.end)).where(
                CalendarOccurrence.object_id == object_id
            )
        )
        ends = [end for _start, end in more.occurrences] + ([last] if last else [])
        values["last_end"] = max(ends) if ends else since
    claimed = db.execute(
        update(CalendarObject)
        .where(CalendarObject.id == object_id, CalendarObject.indexed_until == since)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    # Rows from ``since`` on are replaced (a capped index ends with an indexed start).
    db.execute(
        delete(CalendarOccurrence).where(
            CalendarOccurrence.object_id == object_id, CalendarOccurrence.start >= since
        )
    )
    if more.occurrences:
        db.execute(
            insert(CalendarOccurrence),
            [
                {
                    "calendar_id": calendar_id,
                    "object_id": object_id,
                    "start": start,
                    "end": end,
                    "long_span": end - start > ical.LONG_SPAN,
                }
                for start, end in more.occurrences
            ],
        )
    return True


def extend_all(sessions: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """Run ``extend_indexes`` over every calendar, committing a batch at a time."""
    now = now or utcnow()
    target = now + ical.INDEX_HORIZON - SLACK
    with sessions() as db:
        ids = list(
            db.scalars(
                select(CalendarObject.id)
                .where(
                    CalendarObject.indexed_until.is_not(None),
                    CalendarObject.indexed_until < target,
                )
                .order_by(CalendarObject.id)
            )
        )
    total = 0
    for first in range(0, len(ids), BATCH):
        with sessions() as db:
            total += extend_indexes(db, object_ids=ids[first : first + BATCH], now=now)
            db.commit()
    return total


async def run_horizon_worker(
    sessions: sessionmaker[Session], *, interval: float = 6 * 3600.0
) -> None:
    """Move the horizon on every ``interval`` seconds until cancelled (from the lifespan)."""
    while True:
        try:
            await asyncio.to_thread(extend_all, sessions)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad tick (database restart, ...)
            log.exception("calendar horizon tick failed")
        await asyncio.sleep(interval)
