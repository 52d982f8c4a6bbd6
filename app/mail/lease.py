"""The sync lease: at most one syncer per owner and folder, across threads and app processes.

The contract: ``acquire`` takes the lease of ``(owner, folder)`` for ``holder`` (or extends it
when ``holder`` has it already) and returns False when someone else holds a lease that has
not expired; ``renew`` extends it and records a first sync's progress, False when the lease
was lost; ``release`` gives it up. Each call commits at once: the lease must be visible to the
other processes, and SQLite has a single writer, so nothing may stay uncommitted around it.
The lease is a row (unique on owner and folder): ``INSERT ... ON CONFLICT DO NOTHING`` and a
conditional ``UPDATE`` are atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mail.models import MailSyncLease

LEASE_SECONDS = 60.0  # a holder renews at every batch; a crashed one blocks for this long


def new_holder() -> str:
    """A holder id unique to one sync (a thread of a process)."""
    return uuid.uuid4().hex


def acquire(
    db: Session, *, owner: str, folder: str, holder: str, seconds: float = LEASE_SECONDS
) -> bool:
    """Take (or extend) the lease; False when another holder has a live one. Commits."""
    db.commit()  # the caller's pending writes first: SQLite must not see two writers of ours
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    taken: Any = db.execute(
        update(MailSyncLease)
        .where(MailSyncLease.owner == owner, MailSyncLease.folder == folder)
        .where(or_(MailSyncLease.holder == holder, MailSyncLease.expires_at <= now))
        .values(holder=holder, expires_at=until, done=0, total=0)
    )
    if taken.rowcount == 1:
        db.commit()
        return True
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = db.scalar(  # RETURNING: the row count of a skipped insert varies by driver
        insert(MailSyncLease)
        .values(owner=owner, folder=folder, holder=holder, expires_at=until, done=0, total=0)
        .on_conflict_do_nothing(index_elements=["owner", "folder"])
        .returning(MailSyncLease.id)
    )
    db.commit()
    return created is not None


def renew(
    db: Session,
    *,
    holder: str,
    done: int | None = None,
    total: int | None = None,
    seconds: float = LEASE_SECONDS,
) -> bool:
    """Extend ``holder``'s lease and record progress; False when it was lost. Commits."""
    values: dict[str, Any] = {"expires_at": utcnow() + timedelta(seconds=seconds)}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    result: Any = db.execute(
        update(MailSyncLease).where(MailSyncLease.holder == holder).values(**values)
    )
    db.commit()
    return bool(result.rowcount == 1)


def release(db: Session, *, holder: str) -> None:
    """Give the lease up. Commits (a failed sync rolls its half-done writes back first)."""
    db.execute(delete(MailSyncLease).where(MailSyncLease.holder == holder))
    db.commit()


def current(db: Session, *, owner: str, folder: str) -> MailSyncLease | None:
    """The live lease of ``(owner, folder)``, if someone holds one."""
    return db.scalar(
        select(MailSyncLease)
        .where(MailSyncLease.owner == owner, MailSyncLease.folder == folder)
        .where(MailSyncLease.expires_at > utcnow())
        .execution_options(populate_existing=True)
    )


def current_progress(db: Session, *, holder: str) -> int:
    """How many envelopes ``holder``'s first sync has cached so far (0 without a lease)."""
    done = db.scalar(select(MailSyncLease.done).where(MailSyncLease.holder == holder))
    return int(done or 0)
