"""Previous bodies of a file: kept on overwrite, listed, restored, pruned by count and age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound
from app.files.models import FileNode, FileSpace, FileVersion
from app.settings import Settings

ORPHANS = "files.orphan_blobs"


@dataclass(frozen=True)
class Retention:
    """How many versions to keep at most, and for how many days."""

    keep: int
    max_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        """The retention configured for the installation."""
        return cls(keep=settings.files_versions_keep, max_days=settings.files_versions_max_days)


def keep_previous(db: Session, *, node: FileNode) -> FileVersion | None:
    """Record the node's current body as a version before it is replaced."""
    if node.blob is None:
        return None
    version = FileVersion(
        node_id=node.id,
        blob=node.blob,
        size=node.size,
        content_type=node.content_type,
        created_at=node.modified_at,
        modified_by=node.modified_by,
        reason="overwrite",
    )
    db.add(version)
    return version


def of(db: Session, *, node: FileNode) -> list[FileVersion]:
    """The versions of a file, newest first."""
    query = select(FileVersion).where(FileVersion.node_id == node.id)
    return list(db.scalars(query.order_by(FileVersion.created_at.desc(), FileVersion.id.desc())))


def stored_bytes(db: Session, *, node: FileNode) -> int:
    """Bytes held by a file's versions."""
    total = db.scalar(select(func.sum(FileVersion.size)).where(FileVersion.node_id == node.id))
    return int(total or 0)


def get(db: Session, *, node: FileNode, version_id: int) -> FileVersion:
    """One version of a file, or ``NotFound``."""
    version = db.get(FileVersion, version_id)
    if version is None or version.node_id != node.id:
        raise NotFound("No such version.")
    return version


def prune(db: Session, *, node: FileNode, retention: Retention) -> int:
    """Drop versions beyond the newest ``keep`` or older than ``max_days``; returns bytes freed."""
    cutoff = utcnow() - timedelta(days=retention.max_days)
    freed = 0
    orphans = db.info.setdefault(ORPHANS, set())
    for index, version in enumerate(of(db, node=node)):
        if index >= retention.keep or version.created_at < cutoff:
            freed += version.size
            orphans.add(version.blob)
            db.delete(version)
    if freed:
        space = db.get(FileSpace, node.space_id)
        if space is not None:
            space.used_bytes = FileSpace.used_bytes - freed  # type: ignore[assignment]
        db.flush()
    return freed
