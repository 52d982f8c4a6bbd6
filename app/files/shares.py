"""Share links: a file or folder reachable without an account, read-only or upload-only.

Only a hash of the link's token is stored. A link never reaches further than its sharer can:
each use re-checks that the sharer still has the right on the space, and paths are resolved
inside the shared folder only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Forbidden, Invalid, NotFound, Unauthorized
from app.files import service, spaces
from app.files.models import FileNode, ShareLink
from app.settings import Settings

MODES = ("read", "upload")
_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    db: Session,
    *,
    access: spaces.Access,
    node: FileNode,
    by: str,
    mode: str,
    expires_at: datetime | None = None,
    password: str | None = None,
) -> tuple[ShareLink, str]:
    """A new link; returns it and its token (shown once, never stored in clear)."""
    if mode not in MODES:
        raise Invalid("Unknown kind of link.")
    access.require("write" if mode == "upload" else "read")
    if node.space_id != access.space.id or node.trashed_at is not None:
        raise NotFound("No such file or folder.")
    if mode == "upload" and not node.is_dir:
        raise Invalid("Upload links are for folders.")
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid("The expiry date must be in the future.")
    if password is not None and not (4 <= len(password) <= 200):
        raise Invalid("A link password needs 4 to 200 characters.")
    token = secrets.token_urlsafe(24)
    share = ShareLink(
        token=token_hash(token),
        node_id=node.id,
        created_by=by,
        mode=mode,
        password_hash=_hasher.hash(password) if password else None,
        expires_at=expires_at,
    )
    db.add(share)
    db.flush()
    return share, token


def of_node(db: Session, *, access: spaces.Access, node: FileNode) -> list[ShareLink]:
    """The live links of a node."""
    if node.space_id != access.space.id:
        raise NotFound("No such file or folder.")
    query = select(ShareLink).where(ShareLink.node_id == node.id, ShareLink.revoked_at.is_(None))
    return list(db.scalars(query.order_by(ShareLink.created_at.desc())))


def revoke(db: Session, *, access: spaces.Access, share_id: int, by: str) -> None:
    """Switch a link off (its creator or a manager of the space)."""
    share = db.get(ShareLink, share_id)
    node = db.get(FileNode, share.node_id) if share else None
    if share is None or node is None or node.space_id != access.space.id:
        raise NotFound("No such link.")
    if share.created_by != by and not access.can("manage"):
        raise Forbidden("Only the person who made the link can revoke it.")
    share.revoked_at = utcnow()
    db.flush()


@dataclass(frozen=True)
class Shared:
    """A link in use: the link, the shared node and the sharer's access to its space."""

    share: ShareLink
    node: FileNode
    access: spaces.Access

    @property
    def needs_password(self) -> bool:
        """True when the link has a password."""
        return self.share.password_hash is not None


def open_link(db: Session, *, settings: Settings, token: str) -> Shared:
    """The live link for a token, or ``NotFound`` (unknown, revoked, expired, out of reach)."""
    if not token or len(token) > 100:
        raise NotFound("This link does not exist or has expired.")
    share = db.scalar(select(ShareLink).where(ShareLink.token == token_hash(token)))
    if share is None or share.revoked_at is not None:
        raise NotFound("This link does not exist or has expired.")
    if share.expires_at is not None and share.expires_at <= utcnow():
        raise NotFound("This link does not exist or has expired.")
    node = db.get(FileNode, share.node_id)
    if node is None or node.trashed_at is not None or _in_trash(db, node):
        raise NotFound("This link does not exist or has expired.")
    try:
        access = spaces.access_by_id(
            db, settings=settings, email=share.created_by, space_id=node.space_id
        )
    except NotFound as exc:  # the sharer lost access: so does the link
        raise NotFound("This link does not exist or has expired.") from exc
    if not access.can("write" if share.mode == "upload" else "read"):
        raise NotFound("This link does not exist or has expired.")
    return Shared(share, node, access)


def _in_trash(db: Session, node: FileNode) -> bool:
    current = node
    while current.parent_id is not None:
        parent = db.get(FileNode, current.parent_id)
        if parent is None:
            return True
        current = parent
    return current.trashed_at is not None


def check_password(shared: Shared, password: str) -> None:
    """``Unauthorized`` unless the password matches the link's."""
    if shared.share.password_hash is None:
        return
    try:
        _hasher.verify(shared.share.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthorized("Wrong password for this link.") from exc


def resolve_inside(db: Session, *, shared: Shared, path: str) -> FileNode:
    """A node under the shared one (never above it, never elsewhere)."""
    node = shared.node
    for name in service.split_path(path):
        if not node.is_dir:
            raise NotFound("No such file or folder.")
        found = service.child(db, parent=node, name=name)
        if found is None:
            raise NotFound("No such file or folder.")
        node = found
    return node


def count_download(db: Session, *, shared: Shared) -> None:
    """One more download through this link."""
    db.execute(
        update(ShareLink)
        .where(ShareLink.id == shared.share.id)
        .values(download_count=ShareLink.download_count + 1)
    )
