"""Public API of the files domain: the tree of a space (list, write, move, copy, trash).

Every function takes the caller's ``Access`` to the space (see ``spaces.py``) and checks the
right it needs; paths are lists of validated names resolved through the database, never joined
into filesystem paths. Bodies are stored first (``storage.BlobStore``) and become visible only
when the database row changes, so a failed or interrupted write changes nothing.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from app.files import versions
from app.files.models import DeadProperty, FileNode, FileSpace, FileVersion
from app.files.spaces import Access
from app.files.storage import StoredBlob

MAX_NAME = 255
MAX_DEPTH = 64
ORPHANS = "files.orphan_blobs"


class QuotaExceeded(TooLarge):
    """The space has no room for this; WebDAV answers 507 Insufficient Storage."""

    status_code = 507


def validate_name(name: str) -> str:
    """A file or folder name: no slashes, control characters, "." or ".."; at most 255 chars."""
    if (
        not name
        or name in (".", "..")
        or len(name) > MAX_NAME
        or any(ch in "/\\\0" or ord(ch) < 32 or ord(ch) == 127 for ch in name)
        or name != name.strip()
    ):
        raise Invalid("“%(name)s” is not a valid file name.", name=name[:80])
    return name


def split_path(path: str) -> list[str]:
    """The names along a space-relative path ("a/b/c"), each validated."""
    names = [part for part in path.split("/") if part]
    if len(names) > MAX_DEPTH:
        raise Invalid("The folder structure is too deep.")
    return [validate_name(name) for name in names]


def root(db: Session, *, space_id: int) -> FileNode:
    """The root folder of a space."""
    node = db.scalar(
        select(FileNode).where(
            FileNode.space_id == space_id,
            FileNode.parent_id.is_(None),
            FileNode.trashed_at.is_(None),
        )
    )
    if node is None:
        raise NotFound("No such folder.")
    return node


def child(db: Session, *, parent: FileNode, name: str) -> FileNode | None:
    """The live node called ``name`` in a folder."""
    return db.scalar(select(FileNode).where(FileNode.parent_id == parent.id, FileNode.name == name))


def resolve(db: Session, *, access: Access, path: str) -> FileNode:
    """The node at a space-relative path, or ``NotFound``."""
    node = root(db, space_id=access.space.id)
    for name in split_path(path):
        if not node.is_dir:
            raise NotFound("No such file or folder.")
        found = child(db, parent=node, name=name)
        if found is None:
            raise NotFound("No such file or folder.")
        node = found
    return node


def path_of(db: Session, *, node: FileNode) -> str:
    """The space-relative path of a node ("" for the root)."""
    names: list[str] = []
    current: FileNode | None = node
    while current is not None and current.parent_id is not None:
        names.append(current.name)
        current = db.get(FileNode, current.parent_id)
    return "/".join(reversed(names))


def list_children(db: Session, *, folder: FileNode) -> list[FileNode]:
    """The live members of a folder, folders first, then by name."""
    if not folder.is_dir:
        raise Invalid("This is not a folder.")
    query = select(FileNode).where(FileNode.parent_id == folder.id)
    return list(db.scalars(query.order_by(FileNode.is_dir.desc(), FileNode.name)))


class ListedNode(NamedTuple):
    """What a listing shows of a node, read without building ORM objects (a folder of
    thousands of files is listed in one cheap query)."""

    id: int
    name: str
    is_dir: bool
    size: int
    content_type: str
    etag: str
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, node: FileNode) -> ListedNode:
        """The listing view of a loaded node."""
        return cls(
            node.id,
            node.name,
            node.is_dir,
            node.size,
            node.content_type,
            node.etag,
            node.created_at,
            node.modified_at,
        )


def listing(db: Session, *, folder: FileNode) -> list[ListedNode]:
    """The live members of a folder as ``ListedNode`` rows, in ``list_children``'s order."""
    if not folder.is_dir:
        raise Invalid("This is not a folder.")
    query = (
        select(*(getattr(FileNode, column) for column in ListedNode._fields))
        .where(FileNode.parent_id == folder.id)
        .order_by(FileNode.is_dir.desc(), FileNode.name)
    )
    return [ListedNode._make(row) for row in db.execute(query)]


def has_dead_properties(db: Session, *, node: FileNode, members: bool) -> bool:
    """Whether the node (and, with ``members``, any node in it) has a dead property."""
    query = select(DeadProperty.node_id).where(DeadProperty.node_id == node.id)
    if members:
        inside = select(FileNode.id).where(FileNode.parent_id == node.id)
        query = select(DeadProperty.node_id).where(
            (DeadProperty.node_id == node.id) | DeadProperty.node_id.in_(inside)
        )
    return db.scalar(query.limit(1)) is not None


def walk(db: Session, *, node: FileNode) -> Iterator[tuple[str, FileNode]]:
    """Every node under ``node`` (itself first) with its path relative to ``node``."""
    stack: list[tuple[str, FileNode]] = [("", node)]
    while stack:
        rel, current = stack.pop()
        yield rel, current
        if current.is_dir:
            for item in reversed(list_children(db, folder=current)):
                stack.append((f"{rel}/{item.name}" if rel else item.name, item))


def new_etag() -> str:
    """A fresh strong entity tag value."""
    return secrets.token_hex(12)


def guess_type(name: str) -> str:
    """The media type for a file name."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def charge(db: Session, *, space_id: int, delta: int) -> None:
    """Reserve (or release, with a negative delta) quota atomically, in one UPDATE.

    Several app processes agree because the check happens inside the database.
    """
    if delta <= 0:
        db.execute(
            update(FileSpace)
            .where(FileSpace.id == space_id)
            .values(used_bytes=FileSpace.used_bytes + delta)
        )
        return
    result = db.execute(
        update(FileSpace)
        .where(FileSpace.id == space_id, FileSpace.used_bytes + delta <= FileSpace.quota_bytes)
        .values(used_bytes=FileSpace.used_bytes + delta)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise QuotaExceeded("There is not enough space left for this (quota reached).")


def make_folder(db: Session, *, access: Access, parent: FileNode, name: str, by: str) -> FileNode:
    """Create a folder; ``Conflict`` if the name is taken."""
    access.require("write")
    _check_parent(access, parent)
    name = validate_name(name)
    if child(db, parent=parent, name=name) is not None:
        raise Conflict("“%(name)s” already exists here.", name=name)
    node = FileNode(
        space_id=access.space.id,
        parent_id=parent.id,
        name=name,
        is_dir=True,
        etag=new_etag(),
        modified_by=by,
        content_type="httpd/unix-directory",
    )
    db.add(node)
    _touch(parent)
    db.flush()
    return node


def _check_parent(access: Access, parent: FileNode) -> None:
    if parent.space_id != access.space.id or not parent.is_dir or parent.trashed_at is not None:
        raise NotFound("No such folder.")


def _touch(node: FileNode) -> None:
    node.modified_at = utcnow()
    node.etag = new_etag()


def write_file(
    db: Session,
    *,
    access: Access,
    parent: FileNode,
    name: str,
    blob: StoredBlob,
    by: str,
    content_type: str | None = None,
    base_etag: str | None = None,
    keep: versions.Retention | None = None,
) -> tuple[FileNode, bool]:
    """Create or overwrite a file with a stored body; returns the node and whether it is new.

    Overwriting keeps the previous body as a version. When ``base_etag`` (the version the
    writer started from) is stale, the body becomes a "conflict" version instead of replacing
    the newer one, so nobody's save is silently lost.
    """
    access.require("write")
    _check_parent(access, parent)
    name = validate_name(name)
    existing = child(db, parent=parent, name=name)
    if existing is not None and existing.is_dir:
        raise Conflict("A folder called “%(name)s” already exists here.", name=name)
    charge(db, space_id=access.space.id, delta=blob.size)
    media = (content_type or "").split(";")[0].strip()[:200] or guess_type(name)
    if existing is None:
        node = FileNode(
            space_id=access.space.id,
            parent_id=parent.id,
            name=name,
            is_dir=False,
            blob=blob.sha256,
            size=blob.size,
            content_type=media,
            etag=new_etag(),
            modified_by=by,
        )
        db.add(node)
        _touch(parent)
        db.flush()
        return node, True
    if base_etag is not None and base_etag.strip('"') != existing.etag:
        db.add(
            FileVersion(
                node_id=existing.id,
                blob=blob.sha256,
                size=blob.size,
                content_type=media,
                modified_by=by,
                reason="conflict",
            )
        )
        db.flush()
        return existing, False
    versions.keep_previous(db, node=existing)
    existing.blob, existing.size, existing.content_type = blob.sha256, blob.size, media
    existing.modified_by = by
    _touch(existing)
    db.flush()
    if keep is not None:
        versions.prune(db, node=existing, retention=keep)
    return existing, False


def subtree_bytes(db: Session, *, node: FileNode) -> int:
    """Bytes charged for a node: its files and all their versions."""
    total = 0
    for _rel, item in walk(db, node=node):
        if not item.is_dir:
            total += item.size + versions.stored_bytes(db, node=item)
    return total


def move(
    db: Session,
    *,
    source: Access,
    node: FileNode,
    target: Access,
    parent: FileNode,
    name: str,
    by: str,
) -> FileNode:
    """Move or rename a node, also into another space the user may write (quota moves along)."""
    source.require("write")
    target.require("write")
    _check_parent(target, parent)
    name = validate_name(name)
    if node.parent_id is None:
        raise Forbidden("The top folder of a space cannot be moved.")
    if node.is_dir and _is_inside(db, inner=parent, outer=node):
        raise Conflict("A folder cannot be moved into itself.")
    if child(db, parent=parent, name=name) is not None:
        raise Conflict("“%(name)s” already exists here.", name=name)
    if source.space.id != target.space.id:
        size = subtree_bytes(db, node=node)
        charge(db, space_id=target.space.id, delta=size)
        charge(db, space_id=source.space.id, delta=-size)
        for _rel, item in walk(db, node=node):
            item.space_id = target.space.id
    old_parent = db.get(FileNode, node.parent_id)
    if old_parent is not None:
        _touch(old_parent)
    node.parent_id, node.name = parent.id, name
    node.modified_at = utcnow()
    _touch(parent)
    db.flush()
    return node


def _is_inside(db: Session, *, inner: FileNode, outer: FileNode) -> bool:
    current: FileNode | None = inner
    while current is not None:
        if current.id == outer.id:
            return True
        current = db.get(FileNode, current.parent_id) if current.parent_id else None
    return False


def copy(
    db: Session,
    *,
    source: Access,
    node: FileNode,
    target: Access,
    parent: FileNode,
    name: str,
    by: str,
    recursive: bool = True,
) -> FileNode:
    """Copy a node (bodies are shared, not duplicated on disk); dead properties come along."""
    source.require("read")
    target.require("write")
    _check_parent(target, parent)
    name = validate_name(name)
    if node.is_dir and recursive and _is_inside(db, inner=parent, outer=node):
        raise Conflict("A folder cannot be copied into itself.")
    if child(db, parent=parent, name=name) is not None:
        raise Conflict("“%(name)s” already exists here.", name=name)
    size = (
        sum(item.size for _r, item in walk(db, node=node) if not item.is_dir)
        if recursive
        else (0 if node.is_dir else node.size)
    )
    charge(db, space_id=target.space.id, delta=size)
    top = _copy_one(db, node=node, space_id=target.space.id, parent_id=parent.id, name=name, by=by)
    _touch(parent)
    if recursive and node.is_dir:
        pairs = [(node, top)]
        while pairs:
            src, dst = pairs.pop()
            for item in list_children(db, folder=src):
                made = _copy_one(
                    db, node=item, space_id=target.space.id, parent_id=dst.id, name=item.name, by=by
                )
                if item.is_dir:
                    pairs.append((item, made))
    db.flush()
    return top


def _copy_one(
    db: Session, *, node: FileNode, space_id: int, parent_id: int, name: str, by: str
) -> FileNode:
    made = FileNode(
        space_id=space_id,
        parent_id=parent_id,
        name=name,
        is_dir=node.is_dir,
        blob=node.blob,
        size=node.size,
        content_type=node.content_type,
        etag=new_etag(),
        modified_by=by,
    )
    db.add(made)
    db.flush()
    for prop in db.scalars(select(DeadProperty).where(DeadProperty.node_id == node.id)):
        db.add(DeadProperty(node_id=made.id, name=prop.name, value=prop.value))
    return made


def purge(db: Session, *, access: Access, node: FileNode) -> None:
    """Delete a node and everything under it for good, releasing quota and bodies."""
    access.require("write")
    if node.space_id != access.space.id:
        raise NotFound("No such file or folder.")
    if node.parent_id is None and node.trashed_at is None:
        raise Forbidden("The top folder of a space cannot be deleted.")
    freed, orphans = 0, db.info.setdefault(ORPHANS, set())
    items = [item for _rel, item in walk(db, node=node)]
    for item in items:
        if item.blob:
            freed += item.size
            orphans.add(item.blob)
        for version in versions.of(db, node=item):
            freed += version.size
            orphans.add(version.blob)
    if node.parent_id is not None:
        parent = db.get(FileNode, node.parent_id)
        if parent is not None:
            _touch(parent)
    for item in reversed(items):
        db.delete(item)
        db.flush()
    charge(db, space_id=access.space.id, delta=-freed)


def restore_version(
    db: Session, *, access: Access, node: FileNode, version_id: int, by: str
) -> FileNode:
    """Make an old version current again; the body it replaces becomes a version too."""
    access.require("write")
    version = versions.get(db, node=node, version_id=version_id)
    charge(db, space_id=access.space.id, delta=version.size)
    versions.keep_previous(db, node=node)
    node.blob, node.size, node.content_type = version.blob, version.size, version.content_type
    node.modified_by = by
    _touch(node)
    db.flush()
    return node


def orphan_candidates(db: Session) -> set[str]:
    """Bodies this session stopped referring to; hand them to ``sweep`` after the commit."""
    found: set[str] = db.info.pop(ORPHANS, set())
    return found


def unreferenced(db: Session, *, candidates: set[str]) -> list[str]:
    """The candidates no file or version refers to any more."""
    if not candidates:
        return []
    used = set(db.scalars(select(FileNode.blob).where(FileNode.blob.in_(candidates))))
    used |= set(db.scalars(select(FileVersion.blob).where(FileVersion.blob.in_(candidates))))
    return sorted(candidates - used)
