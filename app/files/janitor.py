"""The files clean-up job: expired trash, abandoned uploads and orphan bodies.

Every app process runs the loop (``run_janitor`` in the app's lifespan); a lease row in the
database lets one process at a time do the work, and keeps the others idle until the next
run is due, so N processes do not mean N runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.files import service, trash, uploads
from app.files.models import JobLease
from app.files.storage import BlobStore
from app.settings import Settings

JOB = "files.janitor"
# How long a process may hold the lease while it works before another may take over.
RUN_TIMEOUT = timedelta(minutes=30)
BATCH = 500
log = logging.getLogger("hamkar.files.janitor")


@dataclass(frozen=True)
class Report:
    """What one run removed."""

    trashed: int
    uploads: int
    blobs: int


def holder_name() -> str:
    """A name for this process in the lease row (host, pid and a random part)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(db: Session, *, holder: str, now: datetime, until: datetime) -> bool:
    """Take the lease if it is free (expired) or already ours; one conditional UPDATE, so
    two processes never both win."""
    if db.get(JobLease, JOB) is None:
        try:
            with db.begin_nested():
                db.add(JobLease(name=JOB, holder="", expires_at=now - timedelta(seconds=1)))
        except IntegrityError:  # another process created it first
            pass
    result = db.execute(
        update(JobLease)
        .where(JobLease.name == JOB, or_(JobLease.expires_at <= now, JobLease.holder == holder))
        .values(holder=holder, expires_at=until)
    )
    db.commit()
    return getattr(result, "rowcount", 0) == 1


def finish(db: Session, *, holder: str, now: datetime, next_due: datetime) -> None:
    """Record the run and keep the lease until the next run is due."""
    db.execute(
        update(JobLease)
        .where(JobLease.name == JOB, JobLease.holder == holder)
        .values(expires_at=next_due, last_run_at=now)
    )
    db.commit()


def run_once(
    db: Session, *, settings: Settings, store: BlobStore, holder: str, now: datetime | None = None
) -> Report | None:
    """One clean-up run if this process gets the lease, else ``None``."""
    now = now or utcnow()
    if not claim(db, holder=holder, now=now, until=now + RUN_TIMEOUT):
        return None
    report = clean(db, settings=settings, store=store, now=now)
    interval = timedelta(seconds=settings.files_janitor_interval_seconds)
    finish(db, holder=holder, now=now, next_due=now + interval)
    return report


def clean(db: Session, *, settings: Settings, store: BlobStore, now: datetime) -> Report:
    """The work of one run (the caller holds the lease)."""
    trashed = trash.expire_everywhere(db, days=settings.files_trash_days, now=now)
    db.commit()
    for sha in service.unreferenced(db, candidates=service.orphan_candidates(db)):
        store.remove(sha)
    before = now - timedelta(hours=settings.files_upload_expire_hours)
    dropped = uploads.expire(db, store=store, before=before)
    blobs = remove_orphans(db, store=store)
    return Report(trashed=trashed, uploads=dropped, blobs=blobs)


def remove_orphans(db: Session, *, store: BlobStore) -> int:
    """Delete bodies on disk that no file or version refers to and that are older than the
    grace period (younger ones may belong to a write that is about to commit)."""
    removed = 0
    found = store.all_blobs()
    while batch := set(islice(found, BATCH)):
        for sha in service.unreferenced(db, candidates=batch):
            removed += store.remove(sha)
        db.rollback()  # end the read transaction between batches
    return removed


async def run_janitor(
    sessions: sessionmaker[Session], *, settings: Settings, store: BlobStore, tick: float = 60
) -> None:
    """Try a run every ``tick`` seconds until cancelled (the lease decides who and when)."""
    holder = holder_name()
    while True:
        try:
            report = await asyncio.to_thread(_run, sessions, settings, store, holder)
            if report is not None:
                log.info("files clean-up: %s", report)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad run (database restart, ...)
            log.exception("files clean-up failed")
        await asyncio.sleep(min(tick, settings.files_janitor_interval_seconds))


def _run(
    sessions: sessionmaker[Session], settings: Settings, store: BlobStore, holder: str
) -> Report | None:
    with sessions() as db:
        return run_once(db, settings=settings, store=store, holder=holder)
