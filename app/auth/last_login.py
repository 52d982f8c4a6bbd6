"""Last login of DAV and WebDAV clients (HTTP Basic), written at most once per interval.

A phone syncs every few minutes and a file manager sends dozens of requests a second: the
account's last login must follow them without a database write per request. Each process
remembers when it last recorded an account, and the write itself (the directory's
``record_login``) is conditional, so several processes together still write about once per
interval per account.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from app.db import utcnow

DEFAULT_INTERVAL = timedelta(minutes=5)


class LoginWriter(Protocol):
    """Stores a sign-in unless one was stored within ``min_interval``; True when it wrote."""

    def __call__(
        self, db: Session, *, email: str, now: datetime, min_interval: timedelta
    ) -> bool: ...


class LastLoginRecorder:
    """Records successful Basic-auth sign-ins through ``writer``, throttled per account."""

    def __init__(
        self, writer: LoginWriter, interval: timedelta = DEFAULT_INTERVAL, max_entries: int = 50_000
    ) -> None:
        self.writer = writer
        self.interval = interval
        self.max_entries = max_entries
        self._recorded: dict[str, float] = {}
        self._lock = threading.Lock()

    def _due(self, email: str) -> bool:
        """True (and remembered) when this process has not recorded ``email`` lately."""
        now = time.monotonic()
        with self._lock:
            last = self._recorded.get(email)
            if last is not None and now - last < self.interval.total_seconds():
                return False
            if len(self._recorded) >= self.max_entries:
                self._recorded.clear()
            self._recorded[email] = now
            return True

    def seen(self, db: Session, *, email: str) -> bool:
        """Note a successful sign-in; True when the database was written (and committed)."""
        if not self._due(email):
            return False
        if not self.writer(db, email=email, now=utcnow(), min_interval=self.interval):
            return False
        db.commit()  # authentication comes before any work of the request: nothing else pending
        return True
