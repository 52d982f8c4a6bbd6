"""URL paths as CalDAV/CardDAV (/dav/) and WebDAV (/webdav/) both must read them: one
decoding of path segments and one reading of the Destination header, so that the two servers
refuse exactly the same tricks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadPath(ValueError):
    """A path segment no server should act on; the message is the reason for a 400."""


class BadDestination(ValueError):
    """A Destination header no server should act on: ``status`` (400 or 403) and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def decode_segment(part: str) -> str:
    """The decoded segment, or ``BadPath`` for bad escapes, non-UTF-8, control characters,
    dot segments and encoded separators."""
    if _BAD_ESCAPE.search(part):
        raise BadPath("The address has a malformed percent-encoding.")
    try:
        decoded = unquote(part, errors="strict") if "%" in part else part
    except UnicodeDecodeError as exc:
        raise BadPath("The address is not valid UTF-8.") from exc
    if _CONTROL.search(decoded):
        raise BadPath("The address contains control characters.")
    if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
        raise BadPath("The address contains a forbidden path segment.")
    return decoded


def destination_path(headers: Mapping[str, str]) -> str:
    """The still-encoded path of the Destination header of COPY or MOVE (RFC 4918 10.3): an
    absolute URI on this server (by Host or X-Forwarded-Host) or an absolute path, with no
    query or fragment; ``BadDestination`` otherwise (403 for another server)."""
    destination = headers.get("destination", "").strip()
    if not destination:
        raise BadDestination(400, "COPY and MOVE need a Destination header.")
    try:
        parts = urlsplit(destination)
    except ValueError as exc:
        raise BadDestination(400, "The Destination header is not a valid URI.") from exc
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise BadDestination(400, "The Destination header is not a valid URI.")
        if parts.netloc.lower() not in _own_hosts(headers):
            raise BadDestination(403, "The destination is on another server.")
    if not parts.path.startswith("/") or "?" in destination or "#" in destination:
        raise BadDestination(400, "The Destination header is not an absolute path on this server.")
    return parts.path


def _own_hosts(headers: Mapping[str, str]) -> set[str]:
    """The names this request reached us by (behind a proxy, the forwarded ones too)."""
    hosts = {headers.get("host", "").lower()}
    forwarded = headers.get("x-forwarded-host", "")
    hosts.update(h.strip().lower() for h in forwarded.split(",") if h.strip())
    return hosts - {""}
