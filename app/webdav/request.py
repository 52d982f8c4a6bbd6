"""Per-request state of a WebDAV call: the database session, the user and their spaces."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_LOCKED,
    HTTP_NOT_FOUND,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)

from app.errors import Conflict, DomainError, Forbidden, Invalid, Locked, NotFound, TooLarge
from app.files import spaces
from app.files.service import QuotaExceeded
from app.webdav.context import WebDavContext

_current = threading.local()

_STATUS = (
    (QuotaExceeded, HTTP_INSUFFICIENT_STORAGE),
    (TooLarge, HTTP_REQUEST_ENTITY_TOO_LARGE),
    (NotFound, HTTP_NOT_FOUND),
    (Forbidden, HTTP_FORBIDDEN),
    (Locked, HTTP_LOCKED),
    (Conflict, HTTP_CONFLICT),
    (Invalid, HTTP_BAD_REQUEST),
)


@contextmanager
def dav_errors() -> Iterator[None]:
    """Translate domain errors into WebDAV status codes, once, at the edge."""
    try:
        yield
    except DomainError as exc:
        for kind, status in _STATUS:
            if isinstance(exc, kind):
                raise DAVError(status, context_info=str(exc)) from exc
        raise DAVError(HTTP_BAD_REQUEST, context_info=str(exc)) from exc


def db_of(environ: dict[str, Any]) -> Session:
    """The request's database session (committed by ``SessionMiddleware``)."""
    db: Session | None = environ.get("hamkar.db")
    if db is None:
        context: WebDavContext = environ["wsgidav.config"]["hamkar"]
        db = environ["hamkar.db"] = context.sessions()
    return db


def context_of(environ: dict[str, Any]) -> WebDavContext:
    """The app's WebDAV context."""
    context: WebDavContext = environ["wsgidav.config"]["hamkar"]
    return context


def user_of(environ: dict[str, Any]) -> str:
    """The authenticated user's address."""
    email = environ.get("hamkar.email")
    if not email:
        raise DAVError(HTTP_FORBIDDEN)
    return str(email)


def access_of(environ: dict[str, Any], mount: str) -> spaces.Access | None:
    """The user's access to a mount ("home", "team/<slug>"), ``None`` if not theirs."""
    cache: dict[str, spaces.Access | None] = environ.setdefault("hamkar.access", {})
    if mount not in cache:
        try:
            cache[mount] = spaces.open_space(
                db_of(environ),
                settings=context_of(environ).settings,
                email=user_of(environ),
                mount=mount,
            )
        except NotFound:
            cache[mount] = None
    return cache[mount]


def access_by_space(environ: dict[str, Any], space_id: int) -> spaces.Access | None:
    """The user's access to a space known by id."""
    try:
        access = spaces.access_by_id(
            db_of(environ),
            settings=context_of(environ).settings,
            email=user_of(environ),
            space_id=space_id,
        )
    except NotFound:
        return None
    environ.setdefault("hamkar.access", {})[access.mount] = access
    return access


class SessionMiddleware:
    """Commits the request's session when the response is a success, else rolls it back.

    Bodies are streamed from the blob store, so the session is closed before the body is sent.
    """

    def __init__(self, app: Any, context: WebDavContext) -> None:
        self.app = app
        self.context = context

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        status_holder: list[int] = []
        _current.environ = environ

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start)
        except BaseException:
            _finish(environ, self.context, ok=False)
            raise
        return self._iterate(environ, result, status_holder)

    def _iterate(self, environ: dict[str, Any], result: Any, status: list[int]) -> Any:
        # wsgidav may call start_response only once its body iterator runs.
        finished = False
        try:
            for chunk in result:
                if not finished and status:
                    _finish(environ, self.context, ok=status[-1] < 400)
                    finished = True
                yield chunk
            if not finished:
                _finish(environ, self.context, ok=bool(status) and status[-1] < 400)
                finished = True
        finally:
            if not finished:
                _finish(environ, self.context, ok=False)
            close = getattr(result, "close", None)
            if close is not None:
                close()


def _finish(environ: dict[str, Any], context: WebDavContext, *, ok: bool) -> None:
    from app.files import service

    _current.environ = None
    db: Session | None = environ.pop("hamkar.db", None)
    if db is None:
        return
    try:
        if ok:
            db.commit()
        else:
            db.rollback()
        candidates = service.orphan_candidates(db) | environ.pop("hamkar.new_blobs", set())
        for sha in service.unreferenced(db, candidates=candidates):
            context.store.remove(sha)
    finally:
        db.close()


def current_db() -> Session | None:
    """The session of the WebDAV request running on this thread, if any.

    Lock changes share it, so a request that also changes files never waits on itself
    (SQLite has one writer) and both commit together.
    """
    environ = getattr(_current, "environ", None)
    return db_of(environ) if environ is not None else None


def current_environ() -> dict[str, Any] | None:
    """The WSGI environ of the WebDAV request running on this thread, if any."""
    environ: dict[str, Any] | None = getattr(_current, "environ", None)
    return environ


def request_cache() -> dict[int, list[dict[str, Any]]] | None:
    """Locks by space, read once per request (``None`` outside a request)."""
    environ = getattr(_current, "environ", None)
    if environ is None:
        return None
    cache: dict[int, list[dict[str, Any]]] = environ.setdefault("hamkar.locks", {})
    return cache


def forget_request_locks() -> None:
    """Drop the request's lock cache after a lock changed."""
    environ = getattr(_current, "environ", None)
    if environ is not None:
        environ.pop("hamkar.locks", None)
