"""Resumable uploads: a large body arrives in chunks into an upload session, then becomes a file.

The session is a database row (who, where, how big, how much has arrived) and a partial body
under ``files/uploads/`` on disk. Nothing appears in the space, and an existing file keeps its
body, until the session is completed with every byte in; then the body is hashed into the
blob store and written like any other upload (locks, versions, conflict detection, quota).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound, TooLarge
from app.files import browse, locks, service, versions
from app.files.models import FileNode, UploadSession
from app.files.spaces import Access
from app.files.storage import BlobStore


def start(
    db: Session,
    *,
    access: Access,
    parent: FileNode,
    name: str,
    size: int,
    by: str,
    max_upload: int,
    content_type: str = "",
    base_etag: str | None = None,
) -> UploadSession:
    """Open a session for ``size`` bytes to land at ``parent/name``; quota is checked now,
    counting the space's other open sessions (and again when the file is written, as other
    writes may have used the room meanwhile)."""
    access.require("write")
    if not service.split_path(name):
        raise Invalid("The file needs a name.")
    if size < 0:
        raise Invalid("The size of the file is missing.")
    if size > max_upload:
        raise TooLarge("The file is larger than the upload limit.")
    # Open sessions count as used: many half-done uploads must not hold more than the quota.
    pending = db.scalar(
        select(func.coalesce(func.sum(UploadSession.size), 0)).where(
            UploadSession.space_id == access.space.id
        )
    )
    if size > access.space.quota_bytes - access.space.used_bytes - int(pending or 0):
        raise service.QuotaExceeded("There is not enough space left for this (quota reached).")
    if parent.space_id != access.space.id or not parent.is_dir:
        raise NotFound("No such folder.")
    upload = UploadSession(
        id=secrets.token_hex(16),
        space_id=access.space.id,
        parent_id=parent.id,
        name=name.strip("/"),
        size=size,
        received=0,
        content_type=content_type.split(";")[0].strip()[:200],
        base_etag=(base_etag or "").strip('"')[:80] or None,
        created_by=by,
    )
    db.add(upload)
    db.flush()
    return upload


def get(db: Session, *, upload_id: str, by: str) -> UploadSession:
    """The caller's own upload session, or ``NotFound`` (also for someone else's)."""
    upload = db.get(UploadSession, upload_id) if len(upload_id) == 32 else None
    if upload is None or upload.created_by != by:
        raise NotFound("This upload no longer exists; start it again.")
    return upload


def record(db: Session, *, upload: UploadSession, offset: int, received: int) -> int:
    """Note that bytes up to ``received`` are on disk; refuses a stale ``offset`` (two
    writers of one session) with ``Conflict``. Returns the new offset."""
    if received > upload.size:
        raise Invalid("More data arrived than the file's announced size.")
    db.refresh(upload)
    if upload.received != offset:
        raise Conflict("The upload moved on in another request.")
    upload.received = received
    upload.updated_at = utcnow()
    db.flush()
    return received


def complete(
    db: Session,
    *,
    access: Access,
    upload: UploadSession,
    store: BlobStore,
    by: str,
    retention: versions.Retention | None = None,
) -> tuple[FileNode, bool]:
    """Turn a session with every byte in into the file; returns (node, conflicted).

    A stale ``base_etag`` keeps the upload as a "conflict" version of the newer file.
    """
    access.require("write")
    if upload.space_id != access.space.id:
        raise NotFound("This upload no longer exists; start it again.")
    if upload.received != upload.size:
        raise Invalid("The upload is not complete yet.")
    parent = db.get(FileNode, upload.parent_id)
    if parent is None or parent.trashed_at is not None:
        raise NotFound("No such folder.")
    names = service.split_path(upload.name)
    folder = browse.ensure_folders(db, access=access, parent=parent, names=names[:-1], by=by)
    path = "/".join(filter(None, [service.path_of(db, node=folder), names[-1]]))
    locks.ensure_unlocked(db, space_id=access.space.id, path=path, user=by)
    existing = service.child(db, parent=folder, name=names[-1])
    if existing is not None and existing.is_dir:
        raise Conflict("A folder called “%(name)s” already exists here.", name=names[-1])
    # Checked again before the partial body moves; the charge in write_file is the real guard.
    if upload.size > access.space.quota_bytes - access.space.used_bytes:
        raise service.QuotaExceeded("There is not enough space left for this (quota reached).")
    blob = store.complete_partial(upload.id)
    if blob.size != upload.size:  # the partial body was tampered with on disk
        raise Invalid("The upload is not complete yet.")
    media = upload.content_type
    if media in ("", "application/octet-stream"):
        media = service.guess_type(names[-1])
    node, _new = service.write_file(
        db,
        access=access,
        parent=folder,
        name=names[-1],
        blob=blob,
        by=by,
        content_type=media,
        base_etag=upload.base_etag,
        keep=retention,
    )
    # The new body is a clean-up candidate in case this transaction is rolled back.
    db.info.setdefault(service.ORPHANS, set()).add(blob.sha256)
    db.delete(upload)
    db.flush()
    conflicted = upload.base_etag is not None and node.blob != blob.sha256
    return node, conflicted


def cancel(db: Session, *, upload: UploadSession, store: BlobStore) -> None:
    """Drop a session and its partial body."""
    db.delete(upload)
    db.flush()
    store.remove_partial(upload.id)


def expire(db: Session, *, store: BlobStore, before: datetime) -> int:
    """Drop sessions without news since ``before`` (the browser gave up); returns how many.

    Partial bodies on disk without a session (a crash between the two) go too, once they
    are older than the store's grace period.
    """
    stale = list(db.scalars(select(UploadSession).where(UploadSession.updated_at < before)))
    for upload in stale:
        db.delete(upload)
    db.commit()
    for upload in stale:
        store.remove_partial(upload.id)
    known = set(db.scalars(select(UploadSession.id)))
    cutoff = utcnow() - timedelta(seconds=store.grace)
    for path in store.uploads.iterdir():
        if path.name in known:
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, tz=cutoff.tzinfo) < cutoff:
            path.unlink(missing_ok=True)
    return len(stale)
