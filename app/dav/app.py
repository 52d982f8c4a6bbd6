"""The CalDAV/CardDAV ASGI application mounted at /dav, and the /.well-known redirects
(RFC 6764 5). Authentication is HTTP Basic only; the session cookie is ignored on purpose."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from app.dav import methods
from app.dav.auth import REALM, authenticate
from app.dav.errors import DavError
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
        """Read the body within limits, then run the handler in a worker thread."""
        method = request.method.upper()
        handler = methods.HANDLERS.get(method)
        if handler is None:
            return Response(status_code=405, headers={"Allow": methods.ALLOW})
        try:
            body = await _read_body(request)
        except DavError as exc:
            return _error_response(exc)
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        if path in ("", "/"):
            path = "/dav/"  # PROPFIND on the server root: discovery starts here
        dav_request = methods.Request(
            method=method,
            path=path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        state = request.app.state.hamkar
        client_ip = request.client.host if request.client else ""
        return await run_in_threadpool(_run, state, handler, dav_request, client_ip)


async def _read_body(request: HttpRequest) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > methods.MAX_BODY_BYTES:
        raise DavError(413, "The request body is too large.", precondition="max-resource-size")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > methods.MAX_BODY_BYTES:
            raise DavError(413, "The request body is too large.", precondition="max-resource-size")
        chunks.append(chunk)
    return b"".join(chunks)


def _run(state: Any, handler: Any, request: methods.Request, client_ip: str) -> Response:
    with state.sessions() as db:
        try:
            if request.method == "OPTIONS":
                answer = handler(Context(db, ""), request)
            else:
                user = authenticate(
                    db,
                    state=state,
                    authorization=request.headers.get("authorization"),
                    client_ip=client_ip,
                )
                db.commit()  # the app password's last use
                answer = handler(Context(db, user), request)
            db.commit()
        except DavError as exc:
            db.rollback()
            return _error_response(exc)
        except DomainError as exc:
            db.rollback()
            return _error_response(DavError(exc.status_code, exc.message))
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
    """Sends DAV requests for the server root to the DAV root.

    Clients given only ``https://host/`` start with PROPFIND there (RFC 6764 6: the context
    path may be the root). Web pages never use PROPFIND or REPORT, so nothing else changes.
    """

    DAV_METHODS = frozenset({"PROPFIND", "REPORT"})

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in self.DAV_METHODS:
            scope = {**scope, "path": "/dav/", "raw_path": b"/dav/"}
        await self.app(scope, receive, send)
