"""Login throttling per account and per client IP.

Counters exist for any address typed, whether or not the account exists, so the answers never
tell existing from unknown accounts apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.errors import Throttled


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are allowed per window before a lock of one window."""

    max_failures_account: int
    max_failures_ip: int
    window: timedelta

    def limit(self, scope: str) -> int:
        """The failure budget of a scope ("account" or "ip")."""
        return self.max_failures_account if scope == "account" else self.max_failures_ip


def check_not_locked(
    db: Session, *, policy: ThrottlePolicy, keys: dict[str, str], now: datetime
) -> None:
    """Raise ``Throttled`` when any of the scoped keys is locked right now."""
    for scope, key in keys.items():
        row = db.get(LoginThrottle, (scope, key))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            _raise_throttled(row.locked_until - now)


def record_failure(
    db: Session, *, policy: ThrottlePolicy, keys: dict[str, str], now: datetime
) -> None:
    """Count a failed login for every scoped key; lock those over their budget."""
    for scope, key in keys.items():
        row = db.get(LoginThrottle, (scope, key))
        if row is None:
            row = LoginThrottle(scope=scope, key=key, failures=0, window_start=now)
            db.add(row)
        if now - row.window_start > policy.window:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= policy.limit(scope):
            row.locked_until = now + policy.window
    db.flush()


def record_success(db: Session, *, account_key: str) -> None:
    """A successful login clears the account's counter (the IP's stays)."""
    db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == "account", LoginThrottle.key == account_key
        )
    )


def _raise_throttled(remaining: timedelta) -> None:
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    raise Throttled(
        "Too many failed sign-in attempts. Please wait %(minutes)s minutes and try again.",
        retry_after=int(remaining.total_seconds()) + 1,
        minutes=minutes,
    )
