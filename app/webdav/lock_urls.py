"""Locked resources named by URLs the client can use (RFC 4918 sections 14.12 and 16).

Locks are anchored at ``/_s/<space id>/<path>`` so that one lock holds whichever mount a user
reaches a file through. That root is ours alone: a 423 answer names the locked resource by the
URL of the requesting user's mount (``/webdav/home/...``, ``/webdav/team/<slug>/...``) and
never shows a space id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from wsgidav.dav_error import (
    HTTP_LOCKED,
    DAVError,
    DAVErrorCondition,
    PRECONDITION_CODE_LockConflict,
    PRECONDITION_CODE_MissingLockToken,
)
from wsgidav.lock_man.lock_manager import LockManager

from app.webdav.request import current_environ

# wsgidav's own ``get_href`` leaves these unquoted (Nautilus chokes on %28).
HREF_SAFE = "/!*'(),$-_|."


class PublicLockManager(LockManager):  # type: ignore[misc]
    """wsgidav's lock manager whose refusals name locked resources by their public URL."""

    def acquire(self, **kwargs: Any) -> Any:
        """Take a lock; a conflict names the locks in the way (DAV:no-conflicting-lock)."""
        with public_hrefs():
            return super().acquire(**kwargs)

    def check_write_permission(self, **kwargs: Any) -> None:
        """Refuse a write to a resource locked without the token being submitted."""
        with public_hrefs():
            super().check_write_permission(**kwargs)

    def _begin_write_transaction(self, **kwargs: Any) -> None:
        with public_hrefs():
            super()._begin_write_transaction(**kwargs)

    def get_url_lock_list(self, url: str, *, recursive: bool = False) -> list[Any]:
        """The locks a resource is under, also a folder's above it with Depth infinity.

        ``DAV:lockdiscovery`` lists every lock on a resource (RFC 4918 section 15.8); a
        member of a folder locked with Depth infinity is locked too, and ``DAV:lockroot``
        tells where (section 14.12). wsgidav's own conflict checks walk up the tree
        themselves, so the inherited locks they now also meet here change nothing.
        """
        if recursive:
            return list(super().get_url_lock_list(url, recursive=True))
        return list(self.get_indirect_url_lock_list(url))

    def remove_all_locks_from_url(self, url: str, *, recursive: bool = False) -> None:
        """Release the locks anchored at ``url`` (and below it), never a folder's above."""
        for lock in LockManager.get_url_lock_list(self, url, recursive=recursive):
            self.release(lock["token"])

    def _get_write_conflicts(self, *args: Any) -> Any:
        # RFC 4918 section 16: a write that lacks a lock's token fails DAV:lock-token-submitted;
        # DAV:no-conflicting-lock is for a LOCK that meets another lock.
        condition = super()._get_write_conflicts(*args)
        if condition.condition_code == PRECONDITION_CODE_LockConflict:
            condition.condition_code = PRECONDITION_CODE_MissingLockToken
        return condition


@contextmanager
def public_hrefs() -> Iterator[None]:
    """Rewrite the lock roots a ``DAVError`` names into the requesting user's URLs."""
    try:
        yield
    except DAVError as exc:
        condition = exc.err_condition
        environ = current_environ()
        if condition is not None and environ is not None:
            hrefs = [public_href(environ, root) for root in condition.hrefs]
            condition.hrefs = list(dict.fromkeys(hrefs))
        raise


def public_href(environ: dict[str, Any], root: str) -> str:
    """The URL the user reaches a lock root through (as ``DAV:lockroot`` names it).

    Should the resource be out of the user's reach, the Request-URI stands in for it.
    """
    provider = environ["wsgidav.provider"]
    resource = provider.get_resource_inst(provider.ref_url_to_path(root), environ)
    if resource is not None:
        return str(resource.get_href())
    return quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe=HREF_SAFE)


def href(mount_path: str, mount: str, path: str, *, collection: bool) -> str:
    """The URL of ``path`` in a mount, quoted as wsgidav's ``get_href`` quotes it."""
    url = "/".join(part for part in (mount_path, mount, path.strip("/")) if part)
    return quote(url + ("/" if collection else ""), safe=HREF_SAFE)


def refusal(hrefs: list[str]) -> tuple[str, bytes]:
    """Content type and body of wsgidav's 423 for a write missing the tokens of ``hrefs``."""
    condition = DAVErrorCondition(PRECONDITION_CODE_MissingLockToken)
    for url in hrefs:
        condition.add_href(url)
    content_type, body = DAVError(HTTP_LOCKED, err_condition=condition).get_response_page()
    return str(content_type), bytes(body)
