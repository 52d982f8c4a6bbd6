"""wsgidav's property manager contract over the files domain's dead property table.

wsgidav calls it with reference URLs; the resource that produced the URL in this request is
looked up in the environ, so properties follow a node's id (they survive MOVE for free).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError

from app.files.models import DeadProperty
from app.webdav.request import db_of

MAX_VALUE = 64 * 1024
MAX_PROPERTIES = 200


def _resource(url: str, environ: dict[str, Any]) -> Any:
    found = environ.get("hamkar.resources", {}).get(url.rstrip("/"))
    return found


class DeadPropertyStore:
    """Dead properties (RFC 4918 section 4) stored per node in the database."""

    def get_properties(self, norm_url: str, environ: dict[str, Any] | None = None) -> list[str]:
        res = _resource(norm_url, environ or {})
        return list(res.dead_properties()) if res is not None and res.node is not None else []

    def get_property(
        self, norm_url: str, name: str, environ: dict[str, Any] | None = None
    ) -> str | None:
        res = _resource(norm_url, environ or {})
        if res is None or res.node is None:
            return None
        value: str | None = res.dead_properties().get(name)
        return value

    def write_property(
        self,
        norm_url: str,
        name: str,
        property_value: bytes | str,
        dry_run: bool = False,
        environ: dict[str, Any] | None = None,
    ) -> None:
        res = _resource(norm_url, environ or {})
        if res is None or res.node is None:
            raise DAVError(HTTP_FORBIDDEN)
        res.require("write")
        value = property_value.decode() if isinstance(property_value, bytes) else property_value
        props = res.dead_properties()
        if len(value) > MAX_VALUE or (name not in props and len(props) >= MAX_PROPERTIES):
            raise DAVError(HTTP_FORBIDDEN, context_info="property too large")
        if dry_run:
            return
        db = db_of(res.environ)
        row = db.get(DeadProperty, (res.node.id, name))
        if row is None:
            db.add(DeadProperty(node_id=res.node.id, name=name, value=value))
        else:
            row.value = value
        db.flush()
        props[name] = value

    def remove_property(
        self,
        norm_url: str,
        name: str,
        dry_run: bool = False,
        environ: dict[str, Any] | None = None,
    ) -> None:
        res = _resource(norm_url, environ or {})
        if res is None or res.node is None or dry_run:
            return
        res.require("write")
        db = db_of(res.environ)
        db.execute(
            delete(DeadProperty).where(
                DeadProperty.node_id == res.node.id, DeadProperty.name == name
            )
        )
        res.dead_properties().pop(name, None)

    def remove_properties(self, norm_url: str, environ: dict[str, Any] | None = None) -> None:
        """Properties stay with a trashed node, to come back on restore."""

    def copy_properties(
        self, src_url: str, dest_url: str, environ: dict[str, Any] | None = None
    ) -> None:
        """Copies are handled by the resources (``copy_move_single``)."""

    def move_properties(
        self,
        src_url: str,
        dest_url: str,
        with_children: bool,
        environ: dict[str, Any] | None = None,
    ) -> None:
        """Properties belong to the node, which keeps its id when moved."""
