"""Changing accounts: profile, password, quota, enable/disable, delete with retention."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory import domain_admins
from app.directory.models import Account
from app.directory.passwords import hash_password
from app.directory.rights import ROLES
from app.directory.service import validate_display_name, validate_profile, validate_quota
from app.errors import Invalid, TooLarge

DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class AccountPage:
    """One page of a filtered account list."""

    accounts: list[Account]
    total: int


def list_accounts(
    db: Session,
    *,
    organization_id: int,
    query: str = "",
    domain_id: int | None = None,
    domain_ids: Collection[int] | None = None,
    kinds: tuple[str, ...] = (),
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> AccountPage:
    """Accounts of one organization, matching ``query`` in address, name or department.

    ``domain_ids`` (a domain admin's scope) keeps only the accounts of those domains.
    """
    stmt = select(Account).where(Account.organization_id == organization_id)
    if domain_id is not None:
        stmt = stmt.where(Account.domain_id == domain_id)
    if domain_ids is not None:
        stmt = stmt.where(Account.domain_id.in_(list(domain_ids)))
    if kinds:
        stmt = stmt.where(Account.kind.in_(kinds))
    if not include_deleted:
        stmt = stmt.where(Account.deleted_at.is_(None))
    if query.strip():
        like = f"%{_escape_like(query.strip().lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Account.email).like(like, escape="\\"),
                func.lower(Account.display_name).like(like, escape="\\"),
                func.lower(Account.department).like(like, escape="\\"),
                func.lower(Account.job_title).like(like, escape="\\"),
            )
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Account.email).limit(limit).offset(offset)).all()
    return AccountPage(accounts=list(rows), total=total)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def update_account(
    db: Session,
    *,
    account: Account,
    display_name: str | None = None,
    quota_mb: int | None = None,
    clear_quota: bool = False,
    manager: Account | None = None,
    clear_manager: bool = False,
    capacity: int | None = None,
    profile: dict[str, str] | None = None,
) -> Account:
    """Change directory fields; every value is validated before anything changes."""
    fields = validate_profile(profile or {})
    if display_name is not None:
        display_name = validate_display_name(display_name)
    validate_quota(quota_mb)
    if manager is not None and (
        manager.organization_id != account.organization_id or manager.id == account.id
    ):
        raise Invalid("The manager must be another person of the same organization.")
    if capacity is not None and not 0 < capacity <= 100000:
        raise Invalid("The capacity must be a positive number.")
    if display_name is not None:
        account.display_name = display_name
    for key, value in fields.items():
        setattr(account, key, value)
    if quota_mb is not None or clear_quota:
        account.quota_mb = quota_mb
    if manager is not None or clear_manager:
        account.manager_id = manager.id if manager is not None else None
    if capacity is not None:
        account.capacity = capacity
    db.flush()
    return account


def set_password(db: Session, *, account: Account, password: str) -> None:
    """Give the account a new password; it becomes a managed account Dovecot verifies."""
    if account.kind != "person":
        raise Invalid("Only people sign in; role mailboxes and rooms are opened by their members.")
    account.password_hash = hash_password(password)
    account.managed = True
    db.flush()


def set_enabled(db: Session, *, account: Account, enabled: bool) -> None:
    """Enable or disable: a disabled account can neither sign in nor receive mail."""
    if account.deleted_at is not None and enabled:
        raise Invalid("A deleted account cannot be enabled; restore it first.")
    account.enabled = enabled
    db.flush()


def set_role(db: Session, *, account: Account, role: str) -> None:
    """Make the account a user, domain admin, organization admin or platform admin."""
    if role not in ROLES:
        raise Invalid("Unknown role “%(role)s”.", role=role)
    if role != "user" and account.kind != "person":
        raise Invalid("Only people can be administrators.")
    account.role = role
    db.flush()
    domain_admins.follow_role(db, account=account)


def delete_account(
    db: Session, *, account: Account, retention_days: int = DEFAULT_RETENTION_DAYS
) -> datetime:
    """Delete: sign-in and delivery stop now, mail is kept until the returned purge time.

    Until then the address stays reserved and the account can be restored.
    """
    if not 0 <= retention_days <= MAX_RETENTION_DAYS:
        raise Invalid("The retention period must be between 0 and %(days)s days.", days=3650)
    now = utcnow()
    account.enabled = False
    account.deleted_at = now
    account.purge_after = now + timedelta(days=retention_days)
    db.flush()
    return account.purge_after


def restore_account(db: Session, *, account: Account) -> None:
    """Undo a deletion before its purge time; the account comes back disabled."""
    if account.deleted_at is None:
        raise Invalid("This account is not deleted.")
    account.deleted_at = None
    account.purge_after = None
    db.flush()


def accounts_due_for_purge(db: Session, *, now: datetime | None = None) -> list[Account]:
    """Deleted accounts whose retention period is over."""
    moment = now or utcnow()
    stmt = select(Account).where(Account.purge_after.is_not(None), Account.purge_after <= moment)
    return list(db.scalars(stmt))


def purge_account(db: Session, *, account: Account) -> None:
    """Remove the account row for good (the caller removes the mail from the server)."""
    db.delete(account)
    db.flush()


MAX_PHOTO_BYTES = 512 * 1024
_PHOTO_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def set_photo(db: Session, *, account: Account, data: bytes) -> None:
    """Store the account's photo: a PNG or JPEG of at most 512 KB (checked by content)."""
    if not data:
        account.photo, account.photo_type = None, ""
        db.flush()
        return
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge("The photo may be at most %(size)s KB.", size=512)
    kind = next((mime for magic, mime in _PHOTO_MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise Invalid("The photo must be a PNG or JPEG image.")
    account.photo, account.photo_type = data, kind
    db.flush()
