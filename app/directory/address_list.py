"""The global address list: people, groups, role mailboxes and rooms of one organization.

Compose autocomplete and the read-only CardDAV book call :func:`search_address_list`; it
never returns anything of another organization, nor disabled or deleted accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.directory.models import Account, MailGroup

MAX_LIMIT = 500


@dataclass(frozen=True)
class AddressListEntry:
    """One entry: kind is person, role, room, equipment or group."""

    kind: str
    email: str
    display_name: str
    job_title: str = ""
    department: str = ""
    phone_work: str = ""
    phone_mobile: str = ""
    location: str = ""
    # the web path of the photo (same organization only), empty when there is none
    photo_url: str = ""


def search_address_list(
    db: Session, *, organization_id: int, query: str = "", limit: int = 50
) -> list[AddressListEntry]:
    """Entries whose address, name or department contain ``query``, people first, by name."""
    return _address_list(
        db, organization_id=organization_id, query=query, limit=max(1, min(limit, MAX_LIMIT))
    )


def whole_address_list(db: Session, *, organization_id: int) -> list[AddressListEntry]:
    """Every entry of the organization's address list (the read-only CardDAV book)."""
    return _address_list(db, organization_id=organization_id, query="", limit=None)


def find_address_list_entry(
    db: Session, *, organization_id: int, email: str
) -> AddressListEntry | None:
    """The entry of exactly this (stored) address, one indexed lookup, if the list shows it."""
    people = _people(db, organization_id=organization_id, like=None, limit=1, email=email)
    if people:
        return people[0]
    row = db.execute(
        select(MailGroup.address, MailGroup.name).where(
            MailGroup.organization_id == organization_id, MailGroup.address == email
        )
    ).first()
    return AddressListEntry(kind="group", email=row[0], display_name=row[1]) if row else None


def reader_organization(db: Session, *, email: str) -> int | None:
    """The organization whose list ``email`` may read: its own, if enabled and not deleted.

    One column, not the account row with its photo: the directory book asks this on every
    request. Addresses are stored in lower case, so the unique index answers; the
    case-insensitive scan is only a fallback for a row written otherwise.
    """
    address = email.strip().lower()
    for matching in (Account.email == address, func.lower(Account.email) == address):
        found = db.execute(
            select(Account.organization_id, Account.enabled, Account.deleted_at).where(matching)
        ).first()
        if found is not None:
            organization_id, enabled, deleted_at = found
            return organization_id if enabled and deleted_at is None else None
    return None


def address_list_addresses(db: Session, *, organization_id: int) -> list[str]:
    """Every address the organization's list shows (no other column is read)."""
    people = select(Account.email).where(
        Account.organization_id == organization_id,
        Account.enabled.is_(True),
        Account.deleted_at.is_(None),
    )
    groups = select(MailGroup.address).where(MailGroup.organization_id == organization_id)
    # plain rows through the connection: no ORM result processing for thousands of strings
    connection = db.connection()
    return [*connection.execute(people).scalars(), *connection.execute(groups).scalars()]


def address_list_state(db: Session, *, organization_id: int) -> str:
    """A short text that changes whenever an entry of the list is added, changed or removed.

    Two aggregates per table over every row of the organization (disabled and deleted ones
    too): a change stamps ``listing_changed_at`` and a removal lowers the count.
    """
    parts = []
    for model in (Account, MailGroup):
        count, latest = db.execute(
            select(func.count(), func.max(model.listing_changed_at)).where(
                model.organization_id == organization_id
            )
        ).one()
        parts.append(f"{count}:{latest.isoformat() if latest else '-'}")
    return f"{organization_id}/" + "/".join(parts)


def _address_list(
    db: Session, *, organization_id: int, query: str, limit: int | None
) -> list[AddressListEntry]:
    like = (
        "%"
        + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        + "%"
    )
    entries = _people(db, organization_id=organization_id, like=like, limit=limit)
    group_stmt = select(MailGroup.address, MailGroup.name).where(
        MailGroup.organization_id == organization_id,
        or_(
            func.lower(MailGroup.address).like(like, escape="\\"),
            func.lower(MailGroup.name).like(like, escape="\\"),
        ),
    )
    entries += [
        AddressListEntry(kind="group", email=address, display_name=name)
        for address, name in db.execute(group_stmt.order_by(MailGroup.name).limit(limit))
    ]
    order = {"person": 0, "group": 1, "role": 2, "room": 3, "equipment": 4}
    entries.sort(key=lambda e: (order.get(e.kind, 9), (e.display_name or e.email).lower()))
    return entries if limit is None else entries[:limit]


def _people(
    db: Session,
    *,
    organization_id: int,
    like: str | None,
    limit: int | None,
    email: str | None = None,
) -> list[AddressListEntry]:
    """Enabled accounts matching ``like`` (or of exactly ``email``); only the columns an entry
    shows (no photo bytes)."""
    matching = (
        Account.email == email
        if email is not None
        else or_(
            func.lower(Account.email).like(like or "%", escape="\\"),
            func.lower(Account.display_name).like(like or "%", escape="\\"),
            func.lower(Account.department).like(like or "%", escape="\\"),
        )
    )
    stmt = select(
        Account.id,
        Account.kind,
        Account.email,
        Account.display_name,
        Account.job_title,
        Account.department,
        Account.phone_work,
        Account.phone_mobile,
        Account.location,
        Account.photo_type,
    ).where(
        Account.organization_id == organization_id,
        Account.enabled.is_(True),
        Account.deleted_at.is_(None),
        matching,
    )
    rows = db.execute(stmt.order_by(Account.display_name, Account.email).limit(limit))
    return [
        AddressListEntry(
            kind=row.kind,
            email=row.email,
            display_name=row.display_name,
            job_title=row.job_title,
            department=row.department,
            phone_work=row.phone_work,
            phone_mobile=row.phone_mobile,
            location=row.location,
            photo_url=f"/directory/photos/{row.id}" if row.photo_type else "",
        )
        for row in rows
    ]
