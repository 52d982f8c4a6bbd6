"""WebDAV resources over the files domain: the virtual top level, folders and files."""

from __future__ import annotations

from typing import Any, BinaryIO

from sqlalchemy import select
from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection

from app.errors import NotFound, TooLarge
from app.files import locks, service, spaces, trash
from app.files.models import DeadProperty, FileNode
from app.files.storage import BlobWriter, StoredBlob
from app.files.versions import Retention
from app.webdav.guard import client_gone
from app.webdav.request import context_of, dav_errors, db_of, forget_request_locks, user_of


class VirtualFolder(DAVCollection):  # type: ignore[misc]
    """A read-only folder that only lists other folders: "/" and "/team"."""

    def __init__(self, path: str, environ: dict[str, Any], members: list[str]) -> None:
        super().__init__(path, environ)
        self.members = members

    def get_member_names(self) -> list[str]:
        return self.members

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(self.path.rstrip("/") + "/" + name, self.environ)

    def get_display_name(self) -> str:
        return self.name or "webdav"

    def get_etag(self) -> None:
        return None

    def prevent_locking(self) -> bool:
        return True

    def create_empty_resource(self, name: str) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def create_collection(self, name: str) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def delete(self) -> None:
        raise DAVError(HTTP_FORBIDDEN)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        raise DAVError(HTTP_FORBIDDEN)

    def handle_delete(self) -> bool:
        """Refused as a whole: wsgidav would otherwise walk into the spaces below."""
        raise DAVError(HTTP_FORBIDDEN, "The top folders cannot be deleted.")

    def set_property_value(self, name: str, value: Any, dry_run: bool = False) -> None:
        raise DAVError(HTTP_FORBIDDEN, "The top folders have no properties to change.")

    def support_recursive_move(self, dest_path: str) -> bool:
        return False


class NodeMixin:
    """What folders and files share: their node, space, rights and properties."""

    node: FileNode
    access: spaces.Access
    environ: dict[str, Any]
    path: str
    provider: Any
    is_collection: bool

    def get_ref_url(self) -> str:
        """Locks and properties are keyed by space id, never by the URL a user sees."""
        cached: str | None = self.__dict__.get("_ref_url")
        if cached is None:
            root = locks.lock_root(self.access.space.id, self.rel_path())
            self.environ.setdefault("hamkar.resources", {})[root] = self
            cached = self._ref_url = root + "/" if self.is_collection else root
        return cached

    def rel_path(self) -> str:
        """The path inside the space."""
        parts = [p for p in self.path.split("/") if p]
        skip = 2 if parts and parts[0] == "team" else 1
        return "/".join(parts[skip:])

    def get_creation_date(self) -> float:
        return self.node.created_at.timestamp()

    def get_last_modified(self) -> float:
        return self.node.modified_at.timestamp()

    def get_display_name(self) -> str:
        return self.node.name or self.access.space.name

    def get_etag(self) -> str:
        return self.node.etag

    def support_etag(self) -> bool:
        return True

    def support_modified(self) -> bool:
        return True

    def dead_properties(self) -> dict[str, str]:
        """Dead properties of this node, loaded once per request."""
        cached: dict[str, str] | None = getattr(self, "_dead", None)
        if cached is None:
            rows = db_of(self.environ).scalars(
                select(DeadProperty).where(DeadProperty.node_id == self.node.id)
            )
            cached = {row.name: row.value for row in rows}
            self._dead = cached
        return cached

    def require(self, right: str) -> None:
        if not self.access.can(right):
            raise DAVError(HTTP_FORBIDDEN)

    def delete(self) -> None:
        """DELETE moves to the trash (restorable from the web); locks go away."""
        self.require("write")
        with dav_errors():
            trash.trash(
                db_of(self.environ), access=self.access, node=self.node, by=user_of(self.environ)
            )
        self.remove_all_locks(recursive=True)  # type: ignore[attr-defined]

    def support_recursive_delete(self) -> bool:
        return True

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    def move_recursive(self, dest_path: str) -> list[Any]:
        """MOVE is one database update, also across spaces; locks on the source are dropped."""
        target, parent, name = self.provider.destination(dest_path, self.environ)
        with dav_errors():
            service.move(
                db_of(self.environ),
                source=self.access,
                node=self.node,
                target=target,
                parent=parent,
                name=name,
                by=user_of(self.environ),
            )
        self.remove_all_locks(recursive=True)  # type: ignore[attr-defined]
        return []

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        """COPY one resource (wsgidav walks the tree top-down); dead properties come along."""
        target, parent, name = self.provider.destination(dest_path, self.environ)
        db = db_of(self.environ)
        with dav_errors():
            existing = service.child(db, parent=parent, name=name)
            if existing is not None and self.node.is_dir and existing.is_dir:
                made = existing
            elif existing is not None and not self.node.is_dir and not existing.is_dir:
                assert self.node.blob is not None
                made, _ = service.write_file(
                    db,
                    access=target,
                    parent=parent,
                    name=name,
                    by=user_of(self.environ),
                    blob=StoredBlob(self.node.blob, self.node.size),
                    content_type=self.node.content_type,
                )
            else:
                made = service.copy(
                    db,
                    source=self.access,
                    node=self.node,
                    target=target,
                    parent=parent,
                    name=name,
                    by=user_of(self.environ),
                    recursive=False,
                )
        for prop in db.scalars(select(DeadProperty).where(DeadProperty.node_id == made.id)):
            db.delete(prop)
        db.flush()
        for key, value in self.dead_properties().items():
            db.add(DeadProperty(node_id=made.id, name=key, value=value))
        db.flush()


class FolderResource(NodeMixin, DAVCollection):  # type: ignore[misc]
    """A folder of a space (its root included)."""

    def __init__(
        self, path: str, environ: dict[str, Any], access: spaces.Access, node: FileNode
    ) -> None:
        DAVCollection.__init__(self, path, environ)
        self.access, self.node = access, node
        self._members: list[FileNode] | None = None

    def _children(self) -> list[FileNode]:
        if self._members is None:
            self._members = service.list_children(db_of(self.environ), folder=self.node)
        return self._members

    def get_member_names(self) -> list[str]:
        return [item.name for item in self._children()]

    def get_member_list(self) -> list[Any]:
        """All members built from one query, with their dead properties from one more."""
        items = self._children()
        props: dict[int, dict[str, str]] = {item.id: {} for item in items}
        if items:
            rows = db_of(self.environ).scalars(
                select(DeadProperty).where(DeadProperty.node_id.in_(list(props)))
            )
            for row in rows:
                props[row.node_id][row.name] = row.value
        members = []
        for item in items:
            member = self.provider.make(
                self.path.rstrip("/") + "/" + item.name, self.environ, self.access, item
            )
            member._dead = props[item.id]
            members.append(member)
        return members

    def get_member(self, name: str) -> Any:
        try:
            found = service.child(
                db_of(self.environ), parent=self.node, name=service.validate_name(name)
            )
        except Exception:
            return None
        if found is None:
            return None
        return self.provider.make(
            self.path.rstrip("/") + "/" + name, self.environ, self.access, found
        )

    def get_used_bytes(self) -> int:
        """RFC 4331: every folder reports its space's quota."""
        return self.access.space.used_bytes

    def get_available_bytes(self) -> int:
        return max(0, self.access.space.quota_bytes - self.access.space.used_bytes)

    def create_collection(self, name: str) -> Any:
        self.require("write")
        with dav_errors():
            node = service.make_folder(
                db_of(self.environ),
                access=self.access,
                parent=self.node,
                name=name,
                by=user_of(self.environ),
            )
        return self.provider.make(
            self.path.rstrip("/") + "/" + name, self.environ, self.access, node
        )

    def create_empty_resource(self, name: str) -> Any:
        """PUT gets a pending file (nothing exists until the body is complete); LOCK on an
        unmapped URL creates an empty file, as RFC 4918 section 9.10.4 asks."""
        self.require("write")
        with dav_errors():
            service.validate_name(name)
        path = self.path.rstrip("/") + "/" + name
        if self.environ.get("REQUEST_METHOD") == "PUT":
            return FileResource(path, self.environ, self.access, None, parent=self.node, name=name)
        store = context_of(self.environ).store
        with dav_errors():
            blob = store.put_bytes(b"", max_bytes=1)
            node, _ = service.write_file(
                db_of(self.environ),
                access=self.access,
                parent=self.node,
                name=name,
                blob=blob,
                by=user_of(self.environ),
            )
        return self.provider.make(path, self.environ, self.access, node)


class FileResource(NodeMixin, DAVNonCollection):  # type: ignore[misc]
    """A file; ``node`` is ``None`` while a PUT creates it."""

    def __init__(
        self,
        path: str,
        environ: dict[str, Any],
        access: spaces.Access,
        node: FileNode | None,
        *,
        parent: FileNode | None = None,
        name: str = "",
    ) -> None:
        DAVNonCollection.__init__(self, path, environ)
        self.access = access
        self.node = node  # type: ignore[assignment]
        self.parent, self.new_name = parent, name
        self.writer: BlobWriter | None = None

    def get_content_length(self) -> int:
        return self.node.size if self.node is not None else 0

    def get_content_type(self) -> str:
        return self.node.content_type if self.node is not None else "application/octet-stream"

    def get_etag(self) -> Any:
        return self.node.etag if self.node is not None else None

    def get_content(self) -> BinaryIO:
        assert self.node is not None and self.node.blob is not None
        return context_of(self.environ).store.open(self.node.blob)

    def support_ranges(self) -> bool:
        return True

    def begin_write(self, *, content_type: str | None = None) -> BlobWriter:
        """Stream the body into a temporary file; refuse early what cannot fit."""
        self.require("write")
        settings = context_of(self.environ).settings
        space = self.access.space
        db_of(self.environ).refresh(space)
        free = max(0, space.quota_bytes - space.used_bytes)
        limit = min(settings.files_max_upload_bytes, free)
        declared = self.environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > settings.files_max_upload_bytes:
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE)
        if declared.isdigit() and int(declared) > free:
            raise DAVError(HTTP_INSUFFICIENT_STORAGE)
        self.content_type = content_type
        self.writer = _DavWriter(
            context_of(self.environ).store,
            max_bytes=limit,
            quota_bound=limit < settings.files_max_upload_bytes,
        )
        return self.writer

    def end_write(self, *, with_errors: bool) -> None:
        """Make the new body current, keeping the old one as a version."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        if with_errors:
            writer.discard()
            return
        if client_gone(self.environ):
            writer.discard()
            raise DAVError(HTTP_BAD_REQUEST, "The client went away before sending the whole body.")
        try:
            self._ensure_still_writable()
        except DAVError:
            writer.discard()
            raise
        blob = writer.commit()
        self.environ.setdefault("hamkar.new_blobs", set()).add(blob.sha256)
        parent = self.parent or self.provider.parent_node(self)
        settings = context_of(self.environ).settings
        with dav_errors():
            node, _ = service.write_file(
                db_of(self.environ),
                access=self.access,
                parent=parent,
                name=self.new_name or self.node.name,
                blob=blob,
                by=user_of(self.environ),
                content_type=_media_type(self.content_type, self.new_name or self.node.name),
                keep=Retention.from_settings(settings),
            )
        self.node = node

    def _ensure_still_writable(self) -> None:
        """423 when a lock was taken, maybe through another app process, while the body
        was arriving: wsgidav's own guard only covers the process it runs in."""
        forget_request_locks()
        self.provider.lock_manager.check_write_permission(
            url=self.get_ref_url(),
            depth="0",
            token_list=self.environ.get("wsgidav.ifLockTokenList") or [],
            principal=self.environ.get("wsgidav.user_name") or "",
        )

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        NodeMixin.copy_move_single(self, dest_path, is_move=is_move)


class _DavWriter(BlobWriter):
    """A blob writer whose refusals are WebDAV status codes (413 or 507)."""

    def __init__(self, store: Any, *, max_bytes: int, quota_bound: bool) -> None:
        super().__init__(store, max_bytes=max_bytes)
        self.quota_bound = quota_bound

    def write(self, data: bytes) -> int:
        try:
            return super().write(data)
        except TooLarge as exc:
            status = (
                HTTP_INSUFFICIENT_STORAGE if self.quota_bound else HTTP_REQUEST_ENTITY_TOO_LARGE
            )
            raise DAVError(status, context_info=str(exc)) from exc


def _media_type(declared: str | None, name: str) -> str:
    """The client's type unless it is the generic one; then guess from the name."""
    media = (declared or "").split(";")[0].strip().lower()
    if not media or media in ("application/octet-stream", "application/x-www-form-urlencoded"):
        return service.guess_type(name)
    return media


__all__ = ["FileResource", "FolderResource", "NotFound", "VirtualFolder"]
