"""wsgidav's lock storage interface over the files domain's lock table (shared by processes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from wsgidav.dav_error import HTTP_LOCKED, DAVError
from wsgidav.lock_man.lock_manager import generate_lock_token, normalize_lock_root, validate_lock

from app.db import transaction
from app.files import locks
from app.webdav.request import current_db, forget_request_locks, request_cache

TIMEOUT_DEFAULT = 604800
TIMEOUT_MAX = 4 * 604800


class DatabaseLockStorage:
    """Implements ``wsgidav.lock_man.lock_storage.LockStorageDict``'s contract in SQL.

    Each call is its own short transaction, so a lock taken through one app process is seen
    by every other process at once. ``create`` re-checks conflicts inside its transaction
    because wsgidav's own check only holds within one process.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def __repr__(self) -> str:
        return "DatabaseLockStorage"

    @contextmanager
    def _db(self) -> Iterator[Session]:
        db = current_db()
        if db is not None:
            yield db
            db.flush()
            return
        with transaction(self.sessions) as fresh:
            yield fresh

    def open(self) -> None:
        """Nothing to open: the database is always there."""

    def close(self) -> None:
        """Nothing to close."""

    def cleanup(self) -> None:
        """Expired locks are dropped when met."""

    def clear(self) -> None:
        """Not supported on a shared store."""

    def get(self, token: str) -> dict[str, Any] | None:
        """A live lock by token."""
        with self._db() as db:
            return locks.get(db, token=token)

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        """Store a new lock anchored at ``path`` (a space-qualified reference URL)."""
        root = normalize_lock_root(path)
        timeout = float(lock.get("timeout") or TIMEOUT_DEFAULT)
        if timeout < 0 or timeout > TIMEOUT_MAX:
            timeout = TIMEOUT_MAX
        lock.update(root=root, timeout=timeout, expire=time.time() + timeout)
        validate_lock(lock)
        lock["token"] = generate_lock_token()
        forget_request_locks()
        with self._db() as db:
            if _conflicts(db, lock):
                raise DAVError(HTTP_LOCKED)
            locks.create(db, token=lock["token"], lock=lock)
        return lock

    def refresh(self, token: str, *, timeout: float) -> dict[str, Any]:
        """Extend a lock's timeout."""
        if timeout < 0 or timeout > TIMEOUT_MAX:
            timeout = TIMEOUT_MAX
        forget_request_locks()
        with self._db() as db:
            lock = locks.refresh(db, token=token, timeout=timeout)
        if lock is None:
            raise ValueError("Lock must exist")
        return lock

    def delete(self, token: str) -> bool:
        """Release a lock."""
        forget_request_locks()
        with self._db() as db:
            return locks.remove(db, token=token)

    def get_lock_list(
        self, path: str, *, include_root: bool, include_children: bool, token_only: bool
    ) -> list[Any]:
        """Locks anchored at ``path`` and/or below it.

        Within a request, the space's locks are read once and answered from memory: a
        PROPFIND over 2,000 files asks 2,000 times (``lockdiscovery``).
        """
        root = normalize_lock_root(path)
        cache = request_cache()
        if cache is None:
            with transaction(self.sessions) as db:
                found = locks.under(
                    db, root=root, include_root=include_root, include_children=include_children
                )
        else:
            space = locks.space_of_root(root)
            if space not in cache:
                with self._db() as db:
                    cache[space] = list(locks.in_space(db, space_id=space).values())
            prefix = root.rstrip("/") + "/"
            now = time.time()
            found = [
                lock
                for lock in cache[space]
                if not (0 <= lock["expire"] < now)
                and (
                    (include_root and lock["root"] == root)
                    or (include_children and lock["root"].startswith(prefix))
                )
            ]
        return [lock["token"] for lock in found] if token_only else found


def _conflicts(db: Session, lock: dict[str, Any]) -> bool:
    """True when another process took a conflicting lock since wsgidav checked."""
    root = lock["root"]
    ancestors = []
    current = root
    while current.count("/") > 1:
        current = current.rsplit("/", 1)[0]
        ancestors.append(current)
    nearby = locks.under(db, root=root, include_children=lock["depth"] == "infinity")
    for ancestor in ancestors:
        nearby += [
            other
            for other in locks.under(db, root=ancestor, include_children=False)
            if other["depth"] == "infinity"
        ]
    return any(other["scope"] == "exclusive" or lock["scope"] == "exclusive" for other in nearby)
