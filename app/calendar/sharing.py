"""Sharing a calendar with a colleague of the same organization, read-only or read-write."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import Calendar, CalendarShare
from app.directory import service as directory
from app.errors import Forbidden, Invalid, NotFound

ACCESS_LEVELS = ("read", "read-write")


@dataclass(frozen=True)
class Share:
    """One grant as its owner sees it."""

    id: int
    calendar_slug: str
    calendar_name: str
    grantee_email: str
    access: str


def share_calendar(
    db: Session, *, owner_email: str, slug: str, grantee_email: str, access: str
) -> CalendarShare:
    """Share the owner's calendar (or change the access of an existing share)."""
    if access not in ACCESS_LEVELS:
        raise Invalid("Choose read-only or read-write access.")
    calendar = db.scalar(
        select(Calendar).where(Calendar.owner_email == owner_email, Calendar.slug == slug)
    )
    if calendar is None:
        raise NotFound("No such calendar.")
    owner = directory.find_account(db, email=owner_email)
    grantee = directory.find_account(db, email=grantee_email)
    if grantee is None or not grantee.enabled:
        raise NotFound("There is no colleague with the address %(email)s.", email=grantee_email)
    if owner is None or owner.organization_id != grantee.organization_id:
        raise Forbidden("Calendars can be shared only within your organization.")
    if grantee.email == owner_email:
        raise Invalid("You cannot share a calendar with yourself.")
    share = db.scalar(
        select(CalendarShare).where(
            CalendarShare.calendar_id == calendar.id, CalendarShare.grantee_email == grantee.email
        )
    )
    if share is None:
        share = CalendarShare(calendar_id=calendar.id, grantee_email=grantee.email, access=access)
        db.add(share)
    share.access = access
    db.flush()
    return share


def list_shares(db: Session, *, owner_email: str) -> list[Share]:
    """Every grant on the owner's calendars."""
    rows = db.execute(
        select(CalendarShare, Calendar)
        .join(Calendar, Calendar.id == CalendarShare.calendar_id)
        .where(Calendar.owner_email == owner_email)
        .order_by(Calendar.slug, CalendarShare.grantee_email)
    )
    return [
        Share(s.id, c.slug, c.display_name or c.slug, s.grantee_email, s.access)
        for s, c in rows.all()
    ]


def unshare(db: Session, *, owner_email: str, share_id: int) -> None:
    """Withdraw a grant (someone else's grant is simply not found)."""
    share = db.get(CalendarShare, share_id)
    calendar = db.get(Calendar, share.calendar_id) if share else None
    if share is None or calendar is None or calendar.owner_email != owner_email:
        raise NotFound("No such share.")
    db.delete(share)
    db.flush()
