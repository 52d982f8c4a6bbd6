"""The XML bodies wsgidav parses itself (PROPFIND, PROPPATCH, LOCK): read once the caller is
known, and refused with 400 if they declare a DTD or entities. wsgidav's parser does not expand
entities, but nothing an entity could do is needed by WebDAV, so none is let through."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_REQUEST_ENTITY_TOO_LARGE, DAVError
from wsgidav.mw.base_mw import BaseMiddleware

XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK"})
MAX_XML_BYTES = 1_000_000


class XmlBodyCheck(BaseMiddleware):  # type: ignore[misc]
    """wsgidav middleware, placed after authentication: checks and replays the XML body."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] in XML_METHODS:
            environ["wsgi.input"] = io.BytesIO(read_xml_body(environ))
        return self.next_app(environ, start_response)  # type: ignore[no-any-return]


def read_xml_body(environ: dict[str, Any]) -> bytes:
    """The declared body, refused if too large or if it has a document type declaration."""
    declared = environ.get("CONTENT_LENGTH", "").strip()
    if not declared.isdigit() or int(declared) == 0:
        return b""  # wsgidav reads nothing without a length either
    if int(declared) > MAX_XML_BYTES:
        raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, "The XML body is too large.")
    body: bytes = environ["wsgi.input"].read(int(declared))
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise DAVError(HTTP_BAD_REQUEST, "Document type declarations and entities are not allowed.")
    return body
