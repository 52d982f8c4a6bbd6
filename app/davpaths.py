"""URL path segments as CalDAV/CardDAV (/dav/) and WebDAV (/webdav/) both must read them:
one decoding, so that the two servers refuse exactly the same tricks."""

from __future__ import annotations

import re
from urllib.parse import unquote

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadPath(ValueError):
    """A path segment no server should act on; the message is the reason for a 400."""


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
