"""Sharing a calendar with a colleague of the same organization, read-only or read-write."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import Calendar, CalendarShare
from app.directory import groups
from app.directory.grantees import Grantee, find_grantee
from app.errors import N_, Invalid, NotFound

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
    """Share the owner's calendar with a colleague or a group of the organization (by its
    address), or change the access of an existing share."""
    if access not in ACCESS_LEVELS:
        raise Invalid("Choose read-only or read-write access.")
    calendar = db.scalar(
        select(Calendar).where(Calendar.owner_email == owner_email, Calendar.slug == slug)
    )
    if calendar is None:
        raise NotFound("No such calendar.")
    target = grantee(db, owner_email=owner_email, address=grantee_email)
    if target.email == owner_email:
        raise Invalid("You cannot share a calendar with yourself.")
    column = CalendarShare.group_id if target.group_id else CalendarShare.grantee_email
    share = db.scalar(
        select(CalendarShare).where(
            CalendarShare.calendar_id == calendar.id,
            column == (target.group_id or target.email),
        )
    )
    if share is None:
        share = CalendarShare(
            calendar_id=calendar.id, grantee_email=target.email, group_id=target.group_id
        )
        db.add(share)
    share.access = access
    db.flush()
    return share


def grantee(db: Session, *, owner_email: str, address: str) -> Grantee:
    """The colleague or group of the owner's organization at ``address``; any other address
    is refused (nothing is ever shared across organizations)."""
    return find_grantee(
        db,
        owner_email=owner_email,
        address=address,
        refusal=N_("Calendars can be shared only within your organization."),
    )


def list_shares(db: Session, *, owner_email: str) -> list[Share]:
    """Every grant on the owner's calendars."""
    rows = db.execute(
        select(CalendarShare, Calendar)
        .join(Calendar, Calendar.id == CalendarShare.calendar_id)
        .where(Calendar.owner_email == owner_email)
        .order_by(Calendar.slug, CalendarShare.id)
    )
    return [
        Share(s.id, c.slug, c.display_name or c.slug, _address(db, s), s.access)
        for s, c in rows.all()
    ]


def _address(db: Session, share: CalendarShare) -> str:
    if share.group_id is not None:
        return groups.get_group(db, group_id=share.group_id).address
    return share.grantee_email or ""


def unshare(db: Session, *, owner_email: str, share_id: int) -> None:
    """Withdraw a grant (someone else's grant is simply not found)."""
    share = db.get(CalendarShare, share_id)
    calendar = db.get(Calendar, share.calendar_id) if share else None
    if share is None or calendar is None or calendar.owner_email != owner_email:
        raise NotFound("No such share.")
    db.delete(share)
    db.flush()
