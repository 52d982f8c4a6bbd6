"""What the web file browser needs beyond the tree: lookups by id, search, sorting, folders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Invalid, NotFound
from app.files import locks, service
from app.files.models import FileNode
from app.files.spaces import Access

SORT_KEYS = ("name", "size", "modified")
MAX_RESULTS = 200


@dataclass(frozen=True)
class Entry:
    """One row of a listing: the node, its path in the space and who holds a lock on it."""

    node: FileNode
    path: str
    locked_by: str | None


def node_by_id(db: Session, *, access: Access, node_id: int) -> FileNode:
    """A live node of the space by id, or ``NotFound`` (also for other spaces' nodes)."""
    node = db.get(FileNode, node_id)
    if node is None or node.space_id != access.space.id or node.trashed_at is not None:
        raise NotFound("No such file or folder.")
    return node


def entries(
    db: Session, *, access: Access, folder: FileNode, sort: str = "name", descending: bool = False
) -> list[Entry]:
    """A folder's members, sorted (folders always first), with lock holders."""
    base = service.path_of(db, node=folder)
    held = locks.in_space(db, space_id=access.space.id)
    found = []
    for node in service.list_children(db, folder=folder):
        path = f"{base}/{node.name}" if base else node.name
        lock = held.get(locks.lock_root(access.space.id, path))
        found.append(Entry(node, path, lock["principal"] if lock else None))
    return sort_entries(found, sort=sort, descending=descending)


def sort_entries(found: list[Entry], *, sort: str, descending: bool) -> list[Entry]:
    """Sort by name, size or modification time; folders stay on top."""
    if sort not in SORT_KEYS:
        raise Invalid("Unknown sort order.")
    keys = {
        "name": lambda e: e.node.name.casefold(),
        "size": lambda e: e.node.size,
        "modified": lambda e: e.node.modified_at,
    }
    ordered = sorted(found, key=keys[sort], reverse=descending)
    return [e for e in ordered if e.node.is_dir] + [e for e in ordered if not e.node.is_dir]


def search(db: Session, *, access: Access, query: str) -> list[Entry]:
    """Files and folders of the space whose name contains ``query`` (case-insensitive)."""
    query = query.strip()
    if not query:
        return []
    rows = db.scalars(
        select(FileNode)
        .where(
            FileNode.space_id == access.space.id,
            FileNode.trashed_at.is_(None),
            FileNode.parent_id.is_not(None),
            func.lower(FileNode.name).contains(query.lower()[:100], autoescape=True),
        )
        .order_by(FileNode.name)
        .limit(MAX_RESULTS)
    )
    return [Entry(node, service.path_of(db, node=node), None) for node in rows]


def ensure_folders(
    db: Session, *, access: Access, parent: FileNode, names: list[str], by: str
) -> FileNode:
    """The folder at ``parent/names...``, creating missing ones (folder uploads)."""
    current = parent
    for name in names:
        found = service.child(db, parent=current, name=service.validate_name(name))
        if found is None:
            found = service.make_folder(db, access=access, parent=current, name=name, by=by)
        elif not found.is_dir:
            raise Invalid("“%(name)s” is a file, not a folder.", name=name)
        current = found
    return current


def breadcrumbs(db: Session, *, folder: FileNode) -> list[tuple[str, str]]:
    """(name, path) from the top of the space down to ``folder``."""
    path = service.path_of(db, node=folder)
    crumbs: list[tuple[str, str]] = []
    walked: list[str] = []
    for name in [part for part in path.split("/") if part]:
        walked.append(name)
        crumbs.append((name, "/".join(walked)))
    return crumbs
