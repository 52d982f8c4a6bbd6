"""The calendar domain's public API: calendars and task lists, their objects and changes.

Every function takes an explicit session and is keyword-only. Rights are decided here: a
``CalendarAccess`` is what a user may do with one calendar (their own, or shared with them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, delete, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.calendar import ical
from app.calendar.models import (
    Calendar,
    CalendarChange,
    CalendarObject,
    CalendarOccurrence,
    CalendarShare,
)
from app.davsync import Changes, fold_changes
from app.db import utcnow
from app.directory import groups
from app.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed

DEFAULT_CALENDARS = {
    "personal": ("Personal", ("VEVENT",)),
    "tasks": ("Tasks", ("VTODO",)),
}
SHARED_PREFIX = "shared-"
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_NAME_RE = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class CalendarAccess:
    """One calendar as one user sees it: where it appears in their home and what they may do."""

    calendar: Calendar
    slug: str  # its name in the user's calendar home
    writable: bool
    owned: bool

    @property
    def components(self) -> tuple[str, ...]:
        """The component types it accepts (RFC 4791 5.2.3)."""
        return tuple(c for c in self.calendar.components.split(",") if c)


def validate_slug(slug: str) -> str:
    """A collection name: letters, digits and ``._@+-``, not starting with a dot."""
    if not _SLUG_RE.match(slug) or slug.startswith(SHARED_PREFIX):
        raise Invalid("“%(name)s” cannot be used as a calendar name.", name=slug[:100])
    return slug


def validate_object_name(name: str) -> str:
    """A resource name inside a collection: no slashes, no control characters, no dot names."""
    if not _NAME_RE.match(name) or name in (".", ".."):
        raise Invalid("“%(name)s” cannot be used as an item name.", name=name[:100])
    return name


def ensure_defaults(db: Session, *, email: str) -> None:
    """Create the default calendar ``personal`` and task list ``tasks`` on first use."""
    existing = set(db.scalars(select(Calendar.slug).where(Calendar.owner_email == email)))
    for slug, (name, components) in DEFAULT_CALENDARS.items():
        if slug not in existing:
            db.add(
                Calendar(
                    owner_email=email,
                    slug=slug,
                    display_name=name,
                    components=",".join(components),
                )
            )
    db.flush()


def list_calendars(db: Session, *, email: str) -> list[CalendarAccess]:
    """The user's own calendars, then those shared with them (directly or with a group of
    theirs), each once, with the widest access any of its shares gives."""
    ensure_defaults(db, email=email)
    owned = db.scalars(select(Calendar).where(Calendar.owner_email == email).order_by(Calendar.id))
    result = [CalendarAccess(c, c.slug, True, True) for c in owned]
    by_calendar: dict[int, list[tuple[CalendarShare, Calendar]]] = {}
    for share, cal in _grants(db, email):
        by_calendar.setdefault(cal.id, []).append((share, cal))
    for grants in by_calendar.values():
        # Its name in the home: the share that gives the widest access, else the oldest.
        share = next((s for s, _c in grants if _rw(s)), grants[0][0])
        result.append(CalendarAccess(grants[0][1], f"{SHARED_PREFIX}{share.id}", _rw(share), False))
    return result


def _grants(
    db: Session, email: str, calendar_id: int | None = None
) -> list[tuple[CalendarShare, Calendar]]:
    """The shares that reach ``email``: to them, or to a group they are in (same
    organization, see ``groups_of``); never their own calendars."""
    reach = CalendarShare.grantee_email == email
    group_ids = groups.groups_of(db, email=email)
    if group_ids:
        reach = or_(reach, CalendarShare.group_id.in_(list(group_ids)))
    query = (
        select(CalendarShare, Calendar)
        .join(Calendar, Calendar.id == CalendarShare.calendar_id)
        .where(reach, Calendar.owner_email != email)
        .order_by(CalendarShare.id)
    )
    if calendar_id is not None:
        query = query.where(Calendar.id == calendar_id)
    return [(share, cal) for share, cal in db.execute(query)]


def _rw(share: CalendarShare) -> bool:
    return share.access == "read-write"


def find_calendar(db: Session, *, email: str, home: str, slug: str) -> CalendarAccess | None:
    """The calendar at ``/calendars/<home>/<slug>/`` if ``email`` may see it, else ``None``."""
    if home == email:
        if slug.startswith(SHARED_PREFIX):
            share_id = slug.removeprefix(SHARED_PREFIX)
            share = db.get(CalendarShare, int(share_id)) if share_id.isdigit() else None
            return _shared(db, email, share.calendar_id, slug, share.id) if share else None
        own = _by_slug(db, home, slug)
        if own is None and slug in DEFAULT_CALENDARS:  # first use: create the defaults
            ensure_defaults(db, email=email)
            own = _by_slug(db, home, slug)
        return CalendarAccess(own, slug, True, True) if own else None
    # A calendar shared with the user is reachable at its owner's address too.
    other = _by_slug(db, home, slug)
    return _shared(db, email, other.id, slug) if other else None


def _shared(
    db: Session, email: str, calendar_id: int, slug: str, share_id: int | None = None
) -> CalendarAccess | None:
    """The calendar as the shares that reach ``email`` allow (one of them ``share_id``)."""
    grants = _grants(db, email, calendar_id)
    if not grants or (share_id is not None and share_id not in {s.id for s, _c in grants}):
        return None
    writable = any(_rw(share) for share, _cal in grants)
    return CalendarAccess(grants[0][1], slug, writable, False)


def _by_slug(db: Session, owner: str, slug: str) -> Calendar | None:
    return db.scalar(select(Calendar).where(Calendar.owner_email == owner, Calendar.slug == slug))


def create_calendar(
    db: Session,
    *,
    email: str,
    slug: str,
    display_name: str = "",
    components: tuple[str, ...] = ("VEVENT", "VTODO"),
    description: str = "",
    color: str = "",
    timezone: str = "",
) -> Calendar:
    """A new calendar in the user's home (``Conflict`` if the name is taken)."""
    validate_slug(slug)
    ensure_defaults(db, email=email)
    if _by_slug(db, email, slug) is not None:
        raise Conflict("There is already a calendar named “%(name)s”.", name=slug)
    if not components or any(c not in ical.OBJECT_COMPONENTS for c in components):
        raise ical.with_precondition(
            Invalid("A calendar can hold events, tasks and journal entries only."),
            "supported-calendar-component",
        )
    calendar = Calendar(
        owner_email=email,
        slug=slug,
        display_name=display_name[:200],
        components=",".join(dict.fromkeys(components)),
        description=description,
        color=color[:16],
        timezone=timezone,
    )
    db.add(calendar)
    db.flush()
    return calendar


def update_calendar(db: Session, *, access: CalendarAccess, **fields: str) -> None:
    """Change display name, description, color or time zone (owner or read-write share)."""
    require_writable(access)
    allowed = {"display_name": 200, "description": 10_000, "color": 16, "timezone": 100_000}
    for key, value in fields.items():
        if key not in allowed or len(value) > allowed[key]:
            raise Invalid("The value of %(name)s is not accepted.", name=key)
        if key == "timezone" and value:
            _check_timezone(value)
        setattr(access.calendar, key, value)
    bump_revision(db, access.calendar)


def _check_timezone(value: str) -> None:
    cal = ical.parse_calendar(value)
    if sum(1 for c in cal.subcomponents if c.name == "VTIMEZONE") != 1:
        raise ical.with_precondition(
            Invalid("The calendar time zone must be one VTIMEZONE."), "valid-calendar-data"
        )


def delete_calendar(db: Session, *, access: CalendarAccess) -> None:
    """Delete a calendar with everything in it (its owner only)."""
    if not access.owned:
        raise Forbidden("Only the owner can delete this calendar.")
    db.execute(
        delete(CalendarOccurrence).where(CalendarOccurrence.calendar_id == access.calendar.id)
    )
    db.delete(access.calendar)
    db.flush()


def require_writable(access: CalendarAccess) -> None:
    if not access.writable:
        raise Forbidden("This calendar is shared with you read-only.")


def bump_revision(db: Session, calendar: Calendar) -> int:
    """Bump the calendar's revision (its ctag and sync token) and return the new value.

    One statement: the row lock taken by the UPDATE orders concurrent writers, and RETURNING
    gives the value this transaction set."""
    revision = db.execute(
        update(Calendar)
        .where(Calendar.id == calendar.id)
        .values(revision=Calendar.revision + 1)
        .returning(Calendar.revision)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(calendar, "revision", revision)
    return int(revision)


def floating_zone(calendar: Calendar) -> tzinfo:
    """The zone for floating times: the calendar's time zone if it names a known one."""
    return zone_of(calendar.timezone)


def zone_of(timezone: str) -> tzinfo:
    """The zone a calendar-timezone VTIMEZONE names, if known, else UTC."""
    if timezone:
        match = re.search(r"^TZID:(.+?)\s*$", timezone, re.MULTILINE)
        if match:
            try:
                return ZoneInfo(match.group(1))
            except (ValueError, KeyError, OSError):
                pass
    return UTC


def get_object(db: Session, *, calendar: Calendar, name: str) -> CalendarObject | None:
    """One object by its resource name."""
    return db.scalar(
        select(CalendarObject).where(
            CalendarObject.calendar_id == calendar.id, CalendarObject.name == name
        )
    )


class StoredObject(NamedTuple):
    """An object as listings and reports read it: plain columns, no ORM bookkeeping (a
    10,000-item PROPFIND builds no ORM instances). ``first_start`` and ``indexed_until`` are
    read by time-range queries only (``None`` in listings, see ``LISTED_COLUMNS``)."""

    id: int
    name: str
    uid: str
    component: str
    etag: str
    size: int
    modified_at: datetime
    ical: str
    first_start: datetime | None
    indexed_until: datetime | None


STORED_COLUMNS = (
    CalendarObject.id,
    CalendarObject.name,
    CalendarObject.uid,
    CalendarObject.component,
    CalendarObject.etag,
    CalendarObject.size,
    CalendarObject.modified_at,
    CalendarObject.ical,
    CalendarObject.first_start,
    CalendarObject.indexed_until,
)


# Listings and reports do not need the index columns (on SQLite each date column costs a parse
# per row): they read as None.
LISTED_COLUMNS = tuple(
    null().label(c.key) if c in (CalendarObject.first_start, CalendarObject.indexed_until) else c
    for c in STORED_COLUMNS
)
# Listings that need no iCalendar text (PROPFIND, etag-only sync) do not read it at all.
_WITHOUT_DATA = tuple(
    literal("").label("ical") if c is CalendarObject.ical else c for c in LISTED_COLUMNS
)


def stored_objects(db: Session, query: Select[*tuple[Any, ...]]) -> list[StoredObject]:
    """Run a select of ``STORED_COLUMNS`` and wrap the rows.

    Executed on the session's connection as plain Core (no ORM result machinery) and wrapped
    as tuples: listings read 10,000 rows."""
    make = StoredObject._make
    return [make(row) for row in db.connection().execute(query)]


def list_objects(
    db: Session, *, calendar: Calendar, names: list[str] | None = None, with_data: bool = True
) -> list[StoredObject]:
    """Every object of a calendar (or those with the given names), by name."""
    columns = LISTED_COLUMNS if with_data else _WITHOUT_DATA
    query = select(*columns).where(CalendarObject.calendar_id == calendar.id)
    if names is not None:
        query = query.where(CalendarObject.name.in_(names))
    return stored_objects(db, query.order_by(CalendarObject.name))


# What a listing of many objects reads per item (PROPFIND depth 1, sync-collection): name,
# entity tag, component and the iCalendar text (empty unless asked). Plain rows from a
# column-only select: no ORM instances, no dates to parse, no wrapping per row.
ObjectSummary = Row[str, str, str, str]


def list_summaries(
    db: Session, *, calendar: Calendar, names: list[str] | None = None, with_data: bool = False
) -> Sequence[ObjectSummary]:
    """The name, entity tag, component and (``with_data``) text of every object of a calendar,
    or of those with the given names, by name."""
    text = CalendarObject.ical if with_data else literal("").label("ical")
    query = select(CalendarObject.name, CalendarObject.etag, CalendarObject.component, text).where(
        CalendarObject.calendar_id == calendar.id
    )
    if names is not None:
        query = query.where(CalendarObject.name.in_(names))
    return db.connection().execute(query.order_by(CalendarObject.name)).all()


def put_object(
    db: Session,
    *,
    access: CalendarAccess,
    name: str,
    text: str,
    if_match: str | None = None,
    if_none_match: bool = False,
    now: datetime | None = None,
) -> tuple[CalendarObject, bool]:
    """Create or replace an object; returns it and whether it is new.

    ``if_match`` is the ETag the client last saw; ``if_none_match`` means "only create".
    A stale ETag raises ``PreconditionFailed`` and keeps the stored version. ``now`` is when
    the index horizon of an open-ended series starts (the current time).
    """
    require_writable(access)
    validate_object_name(name)
    calendar = access.calendar
    parsed = ical.parse_object(
        text, allowed=access.components, floating=floating_zone(calendar), now=now
    )
    # One round trip finds the object at this name and any other one with the same UID.
    rows = db.scalars(
        select(CalendarObject).where(
            CalendarObject.calendar_id == calendar.id,
            or_(CalendarObject.name == name, CalendarObject.uid == parsed.uid),
        )
    ).all()
    existing = next((o for o in rows if o.name == name), None)
    _check_conditions(existing.etag if existing else None, if_match, if_none_match)
    clash = next((o.name for o in rows if o.name != name), None)
    if clash is not None:
        error = Conflict(
            "Another item in this calendar already has the UID %(uid)s.", uid=parsed.uid
        )
        error.href_name = clash  # type: ignore[attr-defined]
        raise ical.with_precondition(error, "no-uid-conflict")
    revision = bump_revision(db, calendar)
    obj = existing or CalendarObject(calendar_id=calendar.id, name=name)
    obj.uid, obj.component, obj.ical = parsed.uid, parsed.component, text
    obj.etag, obj.revision, obj.size = ical.etag_of(text), revision, len(text.encode())
    obj.first_start, obj.last_end = parsed.first_start, parsed.last_end
    obj.indexed_until, obj.modified_at = parsed.indexed_until, utcnow()
    if existing is None:
        db.add(obj)
    db.flush()
    if existing is not None:
        db.execute(delete(CalendarOccurrence).where(CalendarOccurrence.object_id == obj.id))
    if parsed.occurrences:
        db.execute(
            insert(CalendarOccurrence),
            [
                {
                    "calendar_id": calendar.id,
                    "object_id": obj.id,
                    "start": s,
                    "end": e,
                    "long_span": e - s > ical.LONG_SPAN,
                }
                for s, e in parsed.occurrences
            ],
        )
    db.add(CalendarChange(calendar_id=calendar.id, revision=revision, name=name))
    db.flush()
    return obj, existing is None


def _check_conditions(current: str | None, if_match: str | None, if_none_match: bool) -> None:
    if if_none_match and current is not None:
        raise PreconditionFailed("This item already exists; it was not overwritten.")
    if if_match is not None and if_match != "*" and if_match != current:
        raise PreconditionFailed("This item was changed elsewhere; reload it and try again.")
    if if_match == "*" and current is None:
        raise PreconditionFailed("There is no such item to replace.")


def delete_object(
    db: Session, *, access: CalendarAccess, name: str, if_match: str | None = None
) -> None:
    """Delete one object (``NotFound`` if absent, ``PreconditionFailed`` on a stale ETag)."""
    require_writable(access)
    obj = get_object(db, calendar=access.calendar, name=name)
    if obj is None:
        raise NotFound("No such item.")
    _check_conditions(obj.etag, if_match, False)
    db.execute(delete(CalendarOccurrence).where(CalendarOccurrence.object_id == obj.id))
    db.delete(obj)
    revision = bump_revision(db, access.calendar)
    db.add(
        CalendarChange(calendar_id=access.calendar.id, revision=revision, name=name, deleted=True)
    )
    db.flush()


def move_object(
    db: Session,
    *,
    source: CalendarAccess,
    name: str,
    target: CalendarAccess,
    target_name: str,
    overwrite: bool,
) -> bool:
    """Move an object to another calendar or name; returns whether the target is new."""
    obj = get_object(db, calendar=source.calendar, name=name)
    if obj is None:
        raise NotFound("No such item.")
    require_writable(source)
    existing = get_object(db, calendar=target.calendar, name=target_name)
    if existing is not None and not overwrite:
        raise PreconditionFailed("An item with that name exists already.")
    if source.calendar.id == target.calendar.id and name == target_name:
        raise Forbidden("An item cannot be moved onto itself.")
    text = obj.ical
    delete_object(db, access=source, name=name)
    put_object(db, access=target, name=target_name, text=text)
    return existing is None


def changes_since(db: Session, *, calendar: Calendar, revision: int) -> Changes:
    """The resources changed after ``revision`` (RFC 6578); ``Invalid`` for a future one."""
    if revision > calendar.revision or revision < 0:
        raise ical.with_precondition(Invalid("The sync token is not valid."), "valid-sync-token")
    rows = db.execute(
        select(CalendarChange.name, CalendarChange.deleted)
        .where(CalendarChange.calendar_id == calendar.id, CalendarChange.revision > revision)
        .order_by(CalendarChange.revision)
    )
    return fold_changes(
        ((name, gone) for name, gone in rows), since=revision, revision=calendar.revision
    )
