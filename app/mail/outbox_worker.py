"""The background loop that delivers due outbox messages (started by the app's lifespan)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.mail import outbox
from app.settings import Settings

log = logging.getLogger("hamkar.outbox")


async def run_outbox_worker(
    sessions: sessionmaker[Session], *, settings: Settings, secret: bytes, interval: float = 1.0
) -> None:
    """Deliver due messages every ``interval`` seconds until cancelled."""
    while True:
        try:
            await process_due(sessions, settings=settings, secret=secret)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad tick (database restart, ...)
            log.exception("outbox tick failed")
        await asyncio.sleep(interval)


async def process_due(sessions: sessionmaker[Session], *, settings: Settings, secret: bytes) -> int:
    """Claim and deliver what is due now; returns how many went out."""
    # In a thread, like the other workers: on SQLite the claim waits while a request holds the
    # write lock, and a WebDAV request holds it until the event loop takes its response.
    claimed = await asyncio.to_thread(_claim_due, sessions)
    sent = 0
    for outbox_id in claimed:
        if await outbox.deliver(sessions, settings=settings, secret=secret, outbox_id=outbox_id):
            sent += 1
    return sent


def _claim_due(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as db:
        now = utcnow()
        outbox.release_stale_claims(db, now=now)
        return outbox.claim_due(db, now=now)
