"""Checks every /webdav/ request passes before anything reads its body or touches a space.

Refused here, each with a status and a plain reason: a method WebDAV does not have (405 with
``Allow``), a path that is not clean UTF-8 percent-encoding or that carries control characters,
dot segments, encoded slashes or a ``#fragment`` (400), a Destination that is not a URI on this
server under /webdav/ (400 or 403), a malformed If header (400), an encoded PUT body (415) and
a change to the top folders (403). What passes is never normalised: wsgidav sees the path
exactly as sent. Nothing here reads the body, so a stranger's upload is never taken in.
"""

from __future__ import annotations

import re
from typing import Any

from app.davpaths import BadDestination, BadPath, decode_segment, destination_path

METHODS = (
    "OPTIONS",
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
)
ALLOW = ", ".join(METHODS)
# "/" and "/team/" only list spaces: nothing can be written to, moved from or locked there.
READ_METHODS = frozenset({"OPTIONS", "GET", "HEAD", "PROPFIND", "UNLOCK"})
VIRTUAL_FOLDERS = frozenset({"/", "/team"})
CLIENT_GONE = "hamkar.client_gone"  # set in the ASGI scope when the client disconnects
# RFC 4918 10.4: optional resource tags, each followed by lists of (Not) state tokens or ETags.
_LIST = r"\(\s*(?:(?:not\s+)?(?:<[^<>]*>|\[[^\[\]]*\])\s*)+\)\s*"
_IF_HEADER = re.compile(rf"^\s*(?:(?:<[^<>]*>\s*)?(?:{_LIST})+)+$", re.IGNORECASE)
MAX_IF_LENGTH = 16_384


class Refusal(Exception):
    """A request refused before it reaches wsgidav: status, reason and extra headers."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


class RequestGuard:
    """ASGI middleware in front of the WebDAV stack (fast paths included)."""

    def __init__(self, app: Any, mount_path: str) -> None:
        self.app = app
        self.mount_path = mount_path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_request(scope, self.mount_path)
        except Refusal as refusal:
            await _refuse(send, refusal)
            return

        async def noting_disconnects() -> Any:
            # The WSGI bridge reads a disconnect as the end of the body; the scope keeps the
            # difference, so a cut-off upload is never stored as if it were whole.
            message = await receive()
            if message["type"] == "http.disconnect":
                scope[CLIENT_GONE] = True
            return message

        await self.app(scope, noting_disconnects, send)


def client_gone(environ: dict[str, Any]) -> bool:
    """Whether the client of this WSGI request went away while sending its body."""
    return bool(environ.get("asgi.scope", {}).get(CLIENT_GONE))


def check_request(scope: dict[str, Any], mount_path: str) -> None:
    """Raise ``Refusal`` for a request the WebDAV server must not try to serve."""
    method = scope["method"].upper()
    if method not in METHODS:
        raise Refusal(405, f"The method {method[:32]} is not supported here.", {"Allow": ALLOW})
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.split(b"?", 1)[0].decode("latin-1")
    check_path(path)
    if method not in READ_METHODS and _virtual(path, mount_path):
        raise Refusal(403, "The top folders only list your spaces; work inside home/ or a team.")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    check_headers(method, headers, mount_path)


def check_headers(method: str, headers: dict[str, str], mount_path: str) -> None:
    """The If header's syntax, the content coding of a PUT and the Destination."""
    condition = headers.get("if")
    if condition is not None and not _valid_if(condition):
        raise Refusal(400, "The If header is malformed (RFC 4918 section 10.4).")
    coding = headers.get("content-encoding", "identity").strip().lower()
    if method == "PUT" and coding != "identity":
        # RFC 9110 15.5.16: an unsupported content coding is a 415
        raise Refusal(415, "Compressed uploads (Content-Encoding) are not supported.")
    if method in ("COPY", "MOVE"):
        check_destination(headers, mount_path)


def check_path(path: str) -> None:
    """Refuse a URL path that is ambiguous or could step outside where it points."""
    if "#" in path:
        raise Refusal(400, "An address sent to the server never has a #fragment.")
    for part in path.split("/"):
        try:
            decode_segment(part)
        except BadPath as exc:
            raise Refusal(400, str(exc)) from exc


def check_destination(headers: dict[str, str], mount_path: str) -> None:
    """The Destination of COPY and MOVE (RFC 4918 10.3): on this host, below the mount."""
    try:
        path = destination_path(headers)
    except BadDestination as exc:
        raise Refusal(exc.status, exc.reason) from exc
    check_path(path)
    if not path.startswith(mount_path + "/"):
        raise Refusal(403, "The destination is outside the WebDAV area.")
    if _virtual(path, mount_path):
        raise Refusal(403, "The top folders only list your spaces; work inside home/ or a team.")


def _valid_if(condition: str) -> bool:
    return len(condition) <= MAX_IF_LENGTH and _IF_HEADER.match(condition) is not None


def _virtual(path: str, mount_path: str) -> bool:
    inner = path[len(mount_path) :] if path.startswith(mount_path) else path
    return "/" + "/".join(p for p in inner.split("/") if p) in VIRTUAL_FOLDERS


async def _refuse(send: Any, refusal: Refusal) -> None:
    body = refusal.reason.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in refusal.headers.items()),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
