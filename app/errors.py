"""The one error hierarchy of Hamkar's domain services.

Services raise these; the edges (web pages, DAV, CLI) translate them once into an HTTP status,
a DAV error body or a message. ``message`` is safe to show to the user; it is an English
message id with ``%(name)s`` placeholders filled from ``params``, so the edge can translate it.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for translation extraction; it is translated where it is shown."""
    return message


class DomainError(Exception):
    """Base of every error a service reports on purpose."""

    status_code = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class Invalid(DomainError):
    """The input is malformed or breaks a rule."""

    status_code = 400


class Unauthorized(DomainError):
    """The credentials are missing or wrong."""

    status_code = 401


class Forbidden(DomainError):
    """The user may not do this."""

    status_code = 403


class NotFound(DomainError):
    """The thing does not exist, or the user may not know that it exists."""

    status_code = 404


class Conflict(DomainError):
    """The change clashes with the current state (duplicate, stale version, lock)."""

    status_code = 409


class Locked(Conflict):
    """Someone else holds a lock on the resource (RFC 4918 section 11.3: 423 Locked).

    Not a plain 409: a client may retry once the lock is gone, and nothing was saved.
    """

    status_code = 423


class TooLarge(DomainError):
    """The input is over a configured size limit."""

    status_code = 413


class Throttled(DomainError):
    """Too many attempts; try again after ``retry_after`` seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """An outside system (mail server, database) cannot be reached right now."""

    status_code = 503


class PreconditionFailed(Conflict):
    """The client's condition (If-Match, If-None-Match) does not hold: its copy is stale."""

    status_code = 412
