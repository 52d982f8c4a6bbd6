"""The CalDAV/CardDAV ASGI application mounted at /dav, and the /.well-known redirects
(RFC 6764 5). Authentication is HTTP Basic only; the session cookie is ignored on purpose."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from app.auth.basic import parse_basic_authorization
from app.dav import methods
from app.dav.auth import REALM, authenticate
from app.dav.errors import DavError, from_domain
from app.dav.properties import Context
from app.errors import DomainError

log = logging.getLogger("hamkar.dav")


class DavApp:
    """ASGI app answering every DAV method below /dav."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = HttpRequest(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: HttpRequest) -> Response:
        """Check the method and the caller, read the body within limits, then run the handler
        in a worker thread. The body is read only once the caller is known: a stranger's
        upload is refused before it is sent (``Expect: 100-continue``)."""
        method = request.method.upper()
        handler = methods.HANDLERS.get(method)
        try:
            if handler is None:
                raise DavError(405, f"The method {method[:32]} is not supported here.")
            path = _request_path(request)
            if method == "PUT" and "content-range" in request.headers:
                # RFC 9110 14.5: a partial PUT must not be taken as a whole one
                raise DavError(400, "Partial uploads (Content-Range) are not supported.")
            headers = {k.lower(): v for k, v in request.headers.items()}
            state = request.app.state.hamkar
            client_ip = request.client.host if request.client else ""
            user = ""
            if method != "OPTIONS":
                user = await run_in_threadpool(_caller, state, headers, client_ip)
            body = b"" if method == "OPTIONS" else await _read_body(request)
        except DavError as exc:
            return _error_response(exc)
        dav_request = methods.Request(method=method, path=path, headers=headers, body=body)
        return await run_in_threadpool(_run, state, handler, dav_request, user)


def _request_path(request: HttpRequest) -> str:
    """The raw path, as the client sent it (split into segments later, never normalised)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    if path in ("", "/"):
        return "/dav/"  # PROPFIND on the server root: discovery starts here
    return path


def _caller(state: Any, headers: dict[str, str], client_ip: str) -> str:
    authorization = headers.get("authorization")
    if parse_basic_authorization(authorization) is None:  # no database needed to refuse
        raise DavError(401, "Sign in with your email address and password or an app password.")
    with state.sessions() as db:
        try:
            user = authenticate(db, state=state, authorization=authorization, client_ip=client_ip)
        except DomainError as exc:  # the mail server is unavailable, say
            raise from_domain(exc) from exc
        db.commit()  # the app password's last use
    return user


async def _read_body(request: HttpRequest) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > methods.MAX_BODY_BYTES:
        raise DavError(413, "The request body is too large.", precondition="max-resource-size")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > methods.MAX_BODY_BYTES:
                raise DavError(
                    413, "The request body is too large.", precondition="max-resource-size"
                )
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # Nobody is left to read the answer; nothing was stored.
        raise DavError(400, "The client went away before sending the whole body.") from exc
    return b"".join(chunks)


def _run(state: Any, handler: Any, request: methods.Request, user: str) -> Response:
    with state.sessions() as db:
        try:
            answer = handler(Context(db, user), request)
            db.commit()
        except DavError as exc:
            db.rollback()
            return _error_response(exc)
        except DomainError as exc:
            db.rollback()
            return _error_response(from_domain(exc))
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=answer.content_type,
        headers={"DAV": methods.DAV_CLASSES, **answer.headers},
    )


def _error_response(exc: DavError) -> Response:
    headers = {"DAV": methods.DAV_CLASSES}
    if exc.status == 401:
        headers["WWW-Authenticate"] = REALM
    if exc.status == 405:
        headers["Allow"] = methods.ALLOW
    body = exc.body()
    if body is not None:
        return Response(
            body, exc.status, headers=headers, media_type="application/xml; charset=utf-8"
        )
    return Response(exc.reason, exc.status, headers=headers, media_type="text/plain; charset=utf-8")


def well_known(request: HttpRequest) -> Response:
    """/.well-known/caldav and /.well-known/carddav point at the DAV root (RFC 6764 5)."""
    return RedirectResponse("/dav/", status_code=301)


WELL_KNOWN_PATHS = ("/.well-known/caldav", "/.well-known/carddav")
WELL_KNOWN_METHODS = ["GET", "HEAD", "PROPFIND", "OPTIONS", "REPORT"]


class ServerRootDiscovery:
    """Sends DAV requests for the server root to the DAV root, and requests for a DAV mount
    written without its trailing slash to the mount.

    Clients given only ``https://host/`` start with PROPFIND there (RFC 6764 6: the context
    path may be the root). Web pages never use PROPFIND or REPORT, so nothing else changes.
    People type ``https://host/webdav`` or ``https://host/dav`` into a file manager or a
    calendar app: those exact paths are the collections they name (many clients do not follow
    a redirect for PROPFIND, and the web's CSRF check must not meet them).
    """

    DAV_METHODS = frozenset({"PROPFIND", "REPORT"})

    def __init__(self, app: Any, bare_mounts: tuple[str, ...] = ("/dav",)) -> None:
        self.app = app
        self.bare_mounts = frozenset(bare_mounts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/" and scope["method"] in self.DAV_METHODS:
                scope = {**scope, "path": "/dav/", "raw_path": b"/dav/"}
            elif path in self.bare_mounts:
                scope = {**scope, "path": path + "/", "raw_path": path.encode() + b"/"}
        await self.app(scope, receive, send)
