"""Response header names in their usual spelling on the wire (Content-Type, ETag, DAV).

Header names are case-insensitive (RFC 9110 5.1) and ASGI hands them over in lower case, which
uvicorn writes as it gets them. Some clients and proxies still look for a header byte for byte
("\\r\\nContent-Type: "); over HTTP/1.1 the usual spelling costs nothing and satisfies them.
"""

from __future__ import annotations

from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Names whose usual spelling is not simply each word capitalised.
_SPECIAL = {
    b"etag": b"ETag",
    b"dav": b"DAV",
    b"www-authenticate": b"WWW-Authenticate",
    b"ms-author-via": b"MS-Author-Via",
    b"content-md5": b"Content-MD5",
}


@lru_cache(maxsize=512)
def spelled(name: bytes) -> bytes:
    """The usual spelling of a header name (``content-type`` → ``Content-Type``)."""
    lower = name.lower()
    special = _SPECIAL.get(lower)
    if special is not None:
        return special
    return b"-".join(word[:1].upper() + word[1:] for word in lower.split(b"-"))


class HeaderCaseMiddleware:
    """Writes every response header name in its usual spelling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_spelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (spelled(bytes(name)), value) for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_spelled)
