"""The audit log: every administrative change, who made it, when, before and after."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.models import AuditEntry
from app.directory.models import Account, Domain, MailGroup, Organization

ACCOUNT_FIELDS = (
    "email",
    "display_name",
    "kind",
    "enabled",
    "role",
    "job_title",
    "department",
    "phone_work",
    "phone_mobile",
    "quota_mb",
    "location",
    "capacity",
    "manager_id",
    "deleted_at",
    "purge_after",
)
POLICY_FIELDS = (
    "signature_template",
    "max_attachment_mb",
    "allow_external_forwarding",
    "default_language",
    "default_timezone",
    "default_quota_mb",
    "default_role_mailboxes",
)


def snapshot(obj: Account | MailGroup | Organization | None) -> dict[str, Any]:
    """The audited fields of an object (never a password hash)."""
    if obj is None:
        return {}
    if isinstance(obj, Account):
        fields: tuple[str, ...] = ACCOUNT_FIELDS
    elif isinstance(obj, MailGroup):
        fields = ("address", "name", "description", "send_policy")
    else:
        fields = ("name", "slug", *POLICY_FIELDS)
    return {name: _plain(getattr(obj, name)) for name in fields}


def _plain(value: object) -> object:
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def record(
    db: Session,
    *,
    actor: Account,
    organization_id: int | None,
    action: str,
    object_type: str,
    object_label: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry in the same transaction as the change."""
    entry = AuditEntry(
        organization_id=organization_id,
        actor=actor.email,
        action=action,
        object_type=object_type,
        object_label=object_label[:320],
        before=json.dumps(before or {}, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after or {}, ensure_ascii=False, sort_keys=True),
    )
    db.add(entry)
    db.flush()
    return entry


def record_about(
    db: Session,
    *,
    actor: Account,
    action: str,
    obj: Account | MailGroup | Domain | Organization,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write an entry about ``obj``: its organization, type and label come from the object."""
    return _record_subject(db, actor, action, _subject(obj), before, after)


@contextmanager
def recorded_change(
    db: Session,
    *,
    actor: Account,
    action: str,
    obj: Account | MailGroup | Organization,
    removes: bool = False,
) -> Iterator[None]:
    """Audit the change the block makes to ``obj``: its fields before, and after it.

    ``removes``: the block deletes the object, so "after" is empty. Nothing is written when
    the block raises (the transaction is rolled back anyway).
    """
    subject = _subject(obj)  # read first: the block may delete obj
    before = snapshot(obj)
    yield
    _record_subject(db, actor, action, subject, before, None if removes else snapshot(obj))


def _record_subject(
    db: Session,
    actor: Account,
    action: str,
    subject: tuple[int, str, str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    organization_id, object_type, label = subject
    return record(
        db,
        actor=actor,
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_label=label,
        before=before,
        after=after,
    )


def _subject(obj: Account | MailGroup | Domain | Organization) -> tuple[int, str, str]:
    """The organization, object type and label an audit entry about ``obj`` carries."""
    if isinstance(obj, Account):
        return obj.organization_id, "account", obj.email
    if isinstance(obj, MailGroup):
        return obj.organization_id, "group", obj.address
    if isinstance(obj, Domain):
        return obj.organization_id, "domain", obj.name
    return obj.id, "organization", obj.name


def entries(
    db: Session, *, organization_id: int, query: str = "", limit: int = 200
) -> list[AuditEntry]:
    """The organization's audit entries, newest first, filtered by actor, action or object."""
    stmt = select(AuditEntry).where(AuditEntry.organization_id == organization_id)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            AuditEntry.actor.like(like)
            | AuditEntry.action.like(like)
            | AuditEntry.object_label.like(like)
        )
    return list(db.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))


def to_csv(rows: list[AuditEntry]) -> str:
    """The entries as CSV: at, actor, action, object_type, object, before, after."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "actor", "action", "object_type", "object", "before", "after"])
    for row in rows:
        cells = [row.at.isoformat(), row.actor, row.action, row.object_type]
        cells += [row.object_label, row.before, row.after]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
