"""The trash: deleted files and folders wait here, restorable, until purged or expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound
from app.files import service
from app.files.models import FileNode, FileSpace
from app.files.spaces import Access


def trash(db: Session, *, access: Access, node: FileNode, by: str) -> None:
    """Move a node to the space's trash, remembering where it was."""
    access.require("write")
    if node.space_id != access.space.id or node.trashed_at is not None:
        raise NotFound("No such file or folder.")
    if node.parent_id is None:
        raise NotFound("No such file or folder.")
    parent = db.get(FileNode, node.parent_id)
    node.trashed_from = service.path_of(db, node=node)
    node.trashed_at = utcnow()
    node.modified_by = by
    node.parent_id = None
    if parent is not None:
        service._touch(parent)
    db.flush()


def items(db: Session, *, access: Access) -> list[FileNode]:
    """What is in the trash, most recently deleted first."""
    query = select(FileNode).where(
        FileNode.space_id == access.space.id, FileNode.trashed_at.is_not(None)
    )
    return list(db.scalars(query.order_by(FileNode.trashed_at.desc())))


def get(db: Session, *, access: Access, node_id: int) -> FileNode:
    """One trashed node, or ``NotFound``."""
    node = db.get(FileNode, node_id)
    if node is None or node.space_id != access.space.id or node.trashed_at is None:
        raise NotFound("No such file or folder.")
    return node


def restore(db: Session, *, access: Access, node_id: int, by: str) -> FileNode:
    """Put a trashed node back where it was (or at the top if that folder is gone)."""
    access.require("write")
    node = get(db, access=access, node_id=node_id)
    folder, _, name = (node.trashed_from or node.name).rpartition("/")
    try:
        parent = service.resolve(db, access=access, path=folder)
    except NotFound:
        parent = service.root(db, space_id=access.space.id)
    if not parent.is_dir:
        parent = service.root(db, space_id=access.space.id)
    name = free_name(db, parent=parent, name=name or node.name)
    node.parent_id, node.name = parent.id, name
    node.trashed_at, node.trashed_from, node.modified_by = None, None, by
    service._touch(parent)
    db.flush()
    return node


def free_name(db: Session, *, parent: FileNode, name: str) -> str:
    if service.child(db, parent=parent, name=name) is None:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for number in range(2, 1000):
        candidate = f"{stem} ({number}).{ext}" if ext else f"{stem} ({number})"
        if service.child(db, parent=parent, name=candidate) is None:
            return candidate
    raise NotFound("No such folder.")


def expire_everywhere(db: Session, *, days: int, now: datetime | None = None) -> int:
    """Purge, in every space, what has been in the trash longer than ``days`` (the clean-up
    job; it acts for the installation, not for a user). Returns how many items went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    old = list(
        db.scalars(
            select(FileNode)
            .where(FileNode.trashed_at.is_not(None), FileNode.trashed_at < cutoff)
            .order_by(FileNode.space_id, FileNode.id)
        )
    )
    purged = 0
    for node in old:
        space = db.get(FileSpace, node.space_id)
        if space is None or node.trashed_at is None:
            continue
        service.purge(db, access=Access(space, "manage", "janitor"), node=node)
        purged += 1
    return purged
