"""PROPFIND with Depth infinity is refused on /webdav/ (RFC 4918 9.1): listing a whole team
space in one answer would cost the server minutes and memory for one request. Clients that
sync (Windows, Finder, GNOME Files, davfs2, rclone) ask with Depth 0 or 1 and walk the tree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError, PRECONDITION_CODE_PropfindFiniteDepth
from wsgidav.mw.base_mw import BaseMiddleware


class FiniteDepth(BaseMiddleware):  # type: ignore[misc]
    """wsgidav middleware, placed after authentication: 403 DAV:propfind-finite-depth."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # Without a Depth header PROPFIND means infinity (RFC 4918 9.1).
        depth = environ.get("HTTP_DEPTH", "infinity").strip().lower()
        if environ["REQUEST_METHOD"] == "PROPFIND" and depth == "infinity":
            raise DAVError(
                HTTP_FORBIDDEN,
                "PROPFIND with Depth infinity is not served here; ask with Depth 0 or 1.",
                err_condition=PRECONDITION_CODE_PropfindFiniteDepth,
            )
        return self.next_app(environ, start_response)  # type: ignore[no-any-return]
