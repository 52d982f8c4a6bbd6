"""The outbox: undo send and scheduled send.

Sending puts the message here with ``send_at`` = now + the undo delay (or the chosen time); a
worker delivers what is due. Until a worker claims it, the user can take it back unchanged.
A failure keeps the message (and the draft in Drafts), so nothing typed is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.auth.imap_login import ImapEndpoint
from app.auth.secrets import seal, unseal
from app.db import utcnow
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.mail import filing, submit
from app.mail.compose import Outgoing
from app.mail.models import OutboxMessage
from app.settings import Settings

log = logging.getLogger("hamkar.outbox")
PURPOSE = "outbox-credential"
MAX_SCHEDULE_AHEAD = timedelta(days=366)
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class ReplyTarget:
    """The message a reply or forward answers, to flag once sent."""

    folder: str
    uid: int
    forwarded: bool = False


def queue(
    db: Session,
    *,
    secret: bytes,
    email: str,
    password: str,
    outgoing: Outgoing,
    send_at: datetime,
    draft_uid: int | None = None,
    reply: ReplyTarget | None = None,
) -> OutboxMessage:
    """Put a message in the outbox, to leave at ``send_at``."""
    now = utcnow()
    if send_at > now + MAX_SCHEDULE_AHEAD:
        raise Invalid("A message can be scheduled at most a year ahead.")
    row = OutboxMessage(
        email=email,
        envelope_from=outgoing.envelope_from,
        recipients=json.dumps(outgoing.recipients),
        subject=str(outgoing.message["Subject"] or ""),
        raw=outgoing.as_bytes(),
        send_at=max(send_at, now),
        status="pending",
        draft_uid=draft_uid,
        reply_folder=reply.folder if reply else None,
        reply_uid=reply.uid if reply else None,
        forwarded=bool(reply and reply.forwarded),
        created_at=now,
    )
    db.add(row)
    db.flush()
    row.credential = seal(secret, PURPOSE, password, f"{row.id}:{email}")
    db.flush()
    return row


def cancel(db: Session, *, email: str, outbox_id: int) -> OutboxMessage:
    """Take a message back before it leaves; returns it (its raw text reopens the draft)."""
    row = db.get(OutboxMessage, outbox_id)
    if row is None or row.email != email:
        raise NotFound("No such message in your outbox.")
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status.in_(["pending", "failed"]))
        .values(status="cancelled", credential=None)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("Too late: the message has already been sent.")
    db.refresh(row)
    return row


def pending_for(db: Session, *, email: str) -> list[OutboxMessage]:
    """The account's messages still waiting or failed, soonest first."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.email == email, OutboxMessage.status.in_(["pending", "sending", "failed"])
        )
        .order_by(OutboxMessage.send_at)
    )
    return list(db.scalars(query))


def claim_due(db: Session, *, now: datetime, limit: int = 20) -> list[int]:
    """Atomically mark due messages as being sent by this worker; returns their ids."""
    due = db.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.send_at <= now)
        .order_by(OutboxMessage.send_at)
        .limit(limit)
    ).all()
    claimed = []
    for outbox_id in due:
        result = db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(outbox_id)
    db.commit()
    return claimed


async def deliver(
    sessions: sessionmaker[Session], *, settings: Settings, secret: bytes, outbox_id: int
) -> bool:
    """Send one claimed message, file it in Sent and clean up; True when it went out."""
    with sessions() as db:
        row = db.get(OutboxMessage, outbox_id)
        if row is None or row.status != "sending":
            return False
        password = unseal(secret, PURPOSE, row.credential or b"", f"{row.id}:{row.email}")
        outgoing = _outgoing(row)
        try:
            if password is None:
                raise Invalid("The message could not be sent: sign in again and resend it.")
            await submit.send(
                submit.SmtpEndpoint.from_settings(settings),
                username=row.email,
                password=password,
                outgoing=outgoing,
            )
        except DomainError as exc:
            row.status, row.error, row.credential = "failed", str(exc), None
            db.commit()
            return False
        row.status, row.credential = "sent", None
        db.commit()
        await asyncio.to_thread(_after_sending, settings, row, password, outgoing)
        db.delete(row)
        db.commit()
        return True


def _outgoing(row: OutboxMessage) -> Outgoing:
    message = message_from_bytes(row.raw, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    return Outgoing(
        message=message,
        envelope_from=row.envelope_from,
        recipients=list(json.loads(row.recipients)),
        raw=row.raw,  # sent exactly as queued, also when its header is UTF-8 (RFC 6532)
    )


def _after_sending(
    settings: Settings, row: OutboxMessage, password: str, outgoing: Outgoing
) -> None:
    """File the copy, drop the draft, flag the original; a failure here is logged, not fatal."""
    endpoint = ImapEndpoint.from_settings(settings)
    # Sending as a role mailbox (info@) files the copy in that mailbox's own Sent folder.
    role_sent = f"shared/{row.envelope_from}/Sent" if row.envelope_from != row.email else None
    steps: list[Callable[[], object]] = [
        lambda: filing.append_to_sent(
            endpoint, email=row.email, password=password, raw=row.raw, preferred=role_sent
        )
    ]
    if row.draft_uid is not None:
        steps.append(
            lambda: filing.discard_draft(
                endpoint, email=row.email, password=password, uid=row.draft_uid or 0
            )
        )
    if row.reply_folder and row.reply_uid is not None:
        steps.append(
            lambda: filing.mark_replied(
                endpoint,
                email=row.email,
                password=password,
                folder=row.reply_folder or "",
                uid=row.reply_uid or 0,
                forwarded=row.forwarded,
            )
        )
    for step in steps:
        try:
            step()
        except DomainError:
            log.warning("after sending outbox message %s: %s", row.id, outgoing.message["Subject"])


def release_stale_claims(db: Session, *, now: datetime) -> int:
    """Claims a crashed worker left behind become failures the user can resend (never a
    silent second send: we cannot know whether the server took the message)."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(
            status="failed",
            credential=None,
            error="Sending was interrupted; check Sent before sending again.",
        )
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)
