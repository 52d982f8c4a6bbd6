"""WebDAV locks (RFC 4918 section 6) kept in the database, so every app process sees them.

A lock is identified by its token and anchored at a space-qualified root
(``/_s/<space id>/<quoted path>``), never at a URL a user sees: ``/home/`` means a different
space for each user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.errors import Locked
from app.files.models import FileLock

FIELDS = ("root", "principal", "scope", "type", "depth", "owner", "timeout", "expire")


def lock_root(space_id: int, path: str) -> str:
    """The lock root of a space-relative path (no trailing slash)."""
    path = path.strip("/")
    return quote(f"/_s/{space_id}/{path}".rstrip("/"))


def _as_dict(row: FileLock) -> dict[str, Any]:
    lock = {"token": row.token, **{name: getattr(row, name) for name in FIELDS}}
    # Stored as text; wsgidav parses it as an XML document with a declaration, so bytes.
    lock["owner"] = row.owner.encode() if row.owner else b""
    return lock


def space_of_root(root: str) -> int:
    """The space id inside a lock root."""
    parts = root.split("/")
    return int(parts[2]) if len(parts) > 2 and parts[1] == "_s" and parts[2].isdigit() else 0


def path_of_root(root: str) -> str:
    """The space-relative path a lock root stands for (unquoted, no leading slash)."""
    parts = root.split("/", 3)
    return unquote(parts[3]) if len(parts) > 3 else ""


def create(db: Session, *, token: str, lock: dict[str, Any]) -> None:
    """Store a new lock (its ``expire`` already computed)."""
    owner = lock.get("owner") or ""
    if isinstance(owner, bytes):  # wsgidav hands the owner XML over as bytes
        owner = owner.decode("utf-8", "replace")
    db.add(
        FileLock(
            token=token,
            space_id=space_of_root(lock["root"]),
            owner=owner,
            **{name: lock.get(name) for name in FIELDS if name != "owner"},
        )
    )
    db.flush()


def get(db: Session, *, token: str, now: float | None = None) -> dict[str, Any] | None:
    """A live lock by token; expired ones are removed and reported as ``None``."""
    row = db.get(FileLock, token)
    if row is None:
        return None
    if 0 <= row.expire < (now or time.time()):
        db.delete(row)
        db.flush()
        return None
    return _as_dict(row)


def refresh(db: Session, *, token: str, timeout: float) -> dict[str, Any] | None:
    """Extend a lock's lifetime."""
    row = db.get(FileLock, token)
    if row is None:
        return None
    row.timeout, row.expire = timeout, time.time() + timeout
    db.flush()
    return _as_dict(row)


def remove(db: Session, *, token: str) -> bool:
    """Release a lock; ``False`` if there was none."""
    result = db.execute(delete(FileLock).where(FileLock.token == token))
    return bool(getattr(result, "rowcount", 0))


def under(
    db: Session, *, root: str, include_root: bool = True, include_children: bool = True
) -> list[dict[str, Any]]:
    """Live locks anchored at ``root`` and/or below it."""
    root = root.rstrip("/")
    conditions = []
    if include_root:
        conditions.append(FileLock.root == root)
    if include_children:
        conditions.append(FileLock.root.startswith(root + "/", autoescape=True))
    now = time.time()
    rows = db.scalars(select(FileLock).where(or_(*conditions)))
    return [_as_dict(row) for row in rows if not (0 <= row.expire < now)]


def in_space(db: Session, *, space_id: int) -> dict[str, dict[str, Any]]:
    """Live locks of a space by root, to show who is editing what."""
    now = time.time()
    rows = db.scalars(select(FileLock).where(FileLock.space_id == space_id))
    return {row.root: _as_dict(row) for row in rows if not (0 <= row.expire < now)}


@dataclass(frozen=True)
class Holder:
    """Who holds a lock."""

    principal: str
    owner: str


def ensure_unlocked(db: Session, *, space_id: int, path: str, user: str) -> None:
    """``Locked`` when someone else holds a lock on the path, an ancestor or a descendant.

    The web app has no lock tokens, so its changes respect every lock but the user's own.
    """
    root = lock_root(space_id, path)
    parents = []
    current = root
    while current.count("/") > 2:
        current = current.rsplit("/", 1)[0]
        parents.append(current)
    found = under(db, root=root)
    now = time.time()
    found += [
        _as_dict(row)
        for row in db.scalars(select(FileLock).where(FileLock.root.in_(parents)))
        if row.depth == "infinity" and not (0 <= row.expire < now)
    ]
    for lock in found:
        if lock["principal"] != user:
            raise Locked(
                "“%(path)s” is locked by %(who)s.", path=path or "/", who=lock["principal"]
            )


def on_path(db: Session, *, space_id: int, path: str) -> list[dict[str, Any]]:
    """Live locks anchored at the path or at any folder above it, whatever their depth.

    A write without lock tokens (the WebDAV fast paths) may go ahead only when this is empty:
    a depth-0 lock on a folder protects its list of members too (RFC 4918 section 7.5).
    """
    root = lock_root(space_id, path)
    roots = [root]
    current = root
    while current.count("/") > 2:
        current = current.rsplit("/", 1)[0]
        roots.append(current)
    now = time.time()
    rows = db.scalars(select(FileLock).where(FileLock.root.in_(roots)))
    return [_as_dict(row) for row in rows if not (0 <= row.expire < now)]
