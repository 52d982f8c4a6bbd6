"""Files and mail: save an attachment into Files, pick files to attach in compose.

Mail and files are sibling domains, so neither service imports the other: the mail views (web
level) call these functions with the attachment's bytes or to fetch a file for a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import Invalid, NotFound
from app.files import browse, service, spaces, trash
from app.files.models import FileNode
from app.files.storage import CHUNK, BlobStore
from app.files.versions import Retention
from app.settings import Settings

ATTACHMENTS_FOLDER = "Mail attachments"


def save_attachment(
    db: Session,
    *,
    settings: Settings,
    store: BlobStore,
    email: str,
    filename: str,
    data: bytes,
    content_type: str | None = None,
    mount: str = "home",
    folder: str = ATTACHMENTS_FOLDER,
) -> FileNode:
    """Store an attachment's bytes as a new file (never replacing one with the same name)."""
    access = spaces.open_space(db, settings=settings, email=email, mount=mount)
    access.require("write")
    name = service.validate_name(_clean_filename(filename))
    top = service.root(db, space_id=access.space.id)
    target = browse.ensure_folders(
        db, access=access, parent=top, names=service.split_path(folder), by=email
    )
    limit = min(settings.files_max_upload_bytes, access.space.quota_bytes - access.space.used_bytes)
    if len(data) > limit:
        raise service.QuotaExceeded("There is not enough space left for this (quota reached).")
    blob = store.put_bytes(data, max_bytes=max(limit, 0))
    node, _new = service.write_file(
        db,
        access=access,
        parent=target,
        name=trash.free_name(db, parent=target, name=name),
        blob=blob,
        by=email,
        content_type=content_type,
        keep=Retention.from_settings(settings),
    )
    return node


def _clean_filename(filename: str) -> str:
    """The last path segment of a mail-supplied name, without control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ord(ch) >= 32 and ord(ch) != 127).strip()
    if name in ("", ".", ".."):
        raise Invalid("“%(name)s” is not a valid file name.", name=filename[:80])
    return name[:255]


@dataclass(frozen=True)
class Attachable:
    """A file offered to compose: where it is and what it is."""

    mount: str
    node_id: int
    path: str
    size: int
    content_type: str


def find_attachable(
    db: Session, *, settings: Settings, email: str, query: str = ""
) -> list[Attachable]:
    """Files the user may read, across their spaces, whose name contains ``query``."""
    found: list[Attachable] = []
    if not query.strip():
        return found
    for access in spaces.accessible_spaces(db, settings=settings, email=email):
        for entry in browse.search(db, access=access, query=query):
            if not entry.node.is_dir:
                found.append(
                    Attachable(
                        access.mount,
                        entry.node.id,
                        entry.path,
                        entry.node.size,
                        entry.node.content_type,
                    )
                )
    return found


def read_attachable(
    db: Session, *, settings: Settings, store: BlobStore, email: str, mount: str, node_id: int
) -> tuple[str, str, Iterator[bytes]]:
    """Name, media type and body chunks of a file the user may read, for a message."""
    access = spaces.open_space(db, settings=settings, email=email, mount=mount)
    node = browse.node_by_id(db, access=access, node_id=node_id)
    if node.is_dir or node.blob is None:
        raise NotFound("No such file or folder.")
    path = store.path(node.blob)

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as body:
            while chunk := body.read(CHUNK):
                yield chunk

    return node.name, node.content_type, chunks()
