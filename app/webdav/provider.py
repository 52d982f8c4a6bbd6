"""The wsgidav provider: maps /webdav/ paths onto the user's spaces.

``/home/...`` is the signed-in user's personal space, ``/team/<slug>/...`` each team space
they belong to. A space the user has no right on does not exist for them (404).
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_error import HTTP_CONFLICT, HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVProvider

from app.errors import DomainError
from app.files import locks, service, spaces
from app.files.models import FileNode
from app.webdav.lock_urls import PublicLockManager
from app.webdav.request import (
    access_by_space,
    access_of,
    context_of,
    current_environ,
    db_of,
    user_of,
)
from app.webdav.resources import FileResource, FolderResource, VirtualFolder


class SpacesProvider(DAVProvider):  # type: ignore[misc]
    """Resolves paths through the files service; no path ever touches the filesystem."""

    def __repr__(self) -> str:
        return "SpacesProvider"

    def is_readonly(self) -> bool:
        return False

    def set_lock_manager(self, lock_manager: Any) -> None:
        """Use ``PublicLockManager`` over the configured lock storage."""
        if lock_manager is not None:
            lock_manager = PublicLockManager(lock_manager.storage)
        super().set_lock_manager(lock_manager)

    def ref_url_to_path(self, ref_url: str) -> str:
        """The path under the requesting user's mount of a lock root (``/_s/<space>/<path>``).

        A root in a space out of the user's reach stays as it is and resolves to nothing: the
        internal form is never a URL a client can use.
        """
        environ = current_environ()
        space = locks.space_of_root(ref_url)
        access = access_by_space(environ, space) if environ is not None and space else None
        if access is None:
            return ref_url
        return "/" + "/".join(part for part in (access.mount, locks.path_of_root(ref_url)) if part)

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        """The resource at ``path`` for this user, or ``None``."""
        if path is None:  # wsgidav asks for the parent of "/" when a method targets the root
            return None
        parts = [part for part in path.split("/") if part]
        if not parts:
            return VirtualFolder("/", environ, ["home", "team"])
        if parts[0] == "home":
            return self._in_space(access_of(environ, "home"), parts[1:], environ)
        if parts[0] == "team":
            if len(parts) == 1:
                return VirtualFolder("/team", environ, self._team_slugs(environ))
            return self._in_space(access_of(environ, f"team/{parts[1]}"), parts[2:], environ)
        return None

    def _team_slugs(self, environ: dict[str, Any]) -> list[str]:
        found = spaces.accessible_spaces(
            db_of(environ), settings=context_of(environ).settings, email=user_of(environ)
        )
        return [access.space.slug for access in found if access.mount.startswith("team/")]

    def _in_space(
        self, access: spaces.Access | None, names: list[str], environ: dict[str, Any]
    ) -> Any:
        if access is None:
            return None
        try:
            node = service.resolve(db_of(environ), access=access, path="/".join(names))
        except DomainError:
            return None
        return self.make("/" + "/".join([access.mount, *names]), environ, access, node)

    def make(
        self, path: str, environ: dict[str, Any], access: spaces.Access, node: FileNode
    ) -> Any:
        """The resource object for a node."""
        if node.is_dir:
            return FolderResource(path, environ, access, node)
        return FileResource(path, environ, access, node)

    def destination(
        self, dest_path: str, environ: dict[str, Any]
    ) -> tuple[spaces.Access, FileNode, str]:
        """The space, parent folder and name a COPY or MOVE goes to (the user must write)."""
        parent_path, _, name = dest_path.rstrip("/").rpartition("/")
        parent = self.get_resource_inst(parent_path or "/", environ)
        if parent is None:
            raise DAVError(HTTP_CONFLICT)
        if not isinstance(parent, FolderResource):
            raise DAVError(HTTP_FORBIDDEN if isinstance(parent, VirtualFolder) else HTTP_CONFLICT)
        if not parent.access.can("write"):
            raise DAVError(HTTP_FORBIDDEN)
        return parent.access, parent.node, name

    def parent_node(self, res: FileResource) -> FileNode:
        """The folder a file lives in."""
        node = db_of(res.environ).get(FileNode, res.node.parent_id)
        if node is None:
            raise DAVError(HTTP_NOT_FOUND)
        return node
