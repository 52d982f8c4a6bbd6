"""Open live streams counted in the database, so the per-user cap holds across app processes.

``admit`` takes a lease for a new stream unless the user already holds ``per_user`` unexpired
ones; the stream ``renew``s it while it runs (``False`` once it was ended: sign-out deleted it)
and ``release``s it when it ends. A process that dies leaves leases that expire on their own.
Admission is serialised per user: SQLite's write lock (the clean-up DELETE takes it before the
count), PostgreSQL's transaction-scoped advisory lock.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mail.models import MailLiveStream

LEASE = timedelta(seconds=30)  # renewed at least every LIVE_WAIT_SECONDS (10 s) by the stream


def admit(db: Session, *, email: str, session: str, per_user: int) -> str | None:
    """A lease for a new stream of ``email``, or None when the user has ``per_user`` open."""
    now = utcnow()
    expired = delete(MailLiveStream).where(
        MailLiveStream.email == email, MailLiveStream.expires_at <= now
    )
    db.execute(expired)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_lock_key(email))))
    count = select(func.count()).select_from(MailLiveStream).where(MailLiveStream.email == email)
    if (db.scalar(count) or 0) >= per_user:
        db.commit()
        return None
    lease = uuid.uuid4().hex
    db.add(MailLiveStream(id=lease, email=email, session=session, expires_at=now + LEASE))
    db.commit()
    return lease


def renew(db: Session, lease: str) -> bool:
    """Extend a running stream's lease; False when it is gone (the stream must end)."""
    extended = db.execute(
        update(MailLiveStream)
        .where(MailLiveStream.id == lease)
        .values(expires_at=utcnow() + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return bool(getattr(extended, "rowcount", 0))


def release(db: Session, lease: str) -> None:
    """Forget the lease of a stream that ended."""
    db.execute(delete(MailLiveStream).where(MailLiveStream.id == lease))
    db.commit()


def end_session(db: Session, session: str) -> None:
    """Sign-out: the session's streams, in every process, lose their leases."""
    db.execute(delete(MailLiveStream).where(MailLiveStream.session == session))
    db.commit()


def _lock_key(email: str) -> int:
    """A signed 64-bit advisory lock key for ``email``."""
    digest = hashlib.blake2b(email.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
