"""HTTP Basic authentication for DAV clients: the mail password or an app password.

A successful check is remembered for a short while as a keyed hash of the credentials (never the
password itself), so a phone syncing every few seconds does not cost an IMAP login or an argon2
verification per request. Successful checks also update the account's last login, throttled
(app/auth/last_login.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.auth import app_passwords, throttle
from app.auth.imap_login import ImapEndpoint, check_login
from app.auth.last_login import LastLoginRecorder
from app.auth.service import normalize_email, throttle_policy
from app.db import utcnow
from app.errors import Invalid, Unauthorized
from app.settings import Settings


@dataclass(frozen=True)
class _Entry:
    email: str
    expires_at: float


class CredentialCache:
    """Recently verified credentials, keyed by HMAC(process secret, email, password)."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 10_000,
        logins: LastLoginRecorder | None = None,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        # where successful sign-ins are reported (the account's last login), if anywhere
        self.logins = logins
        self._salt = secrets.token_bytes(32)
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()

    def _key(self, email: str, password: str) -> bytes:
        return hmac.new(self._salt, f"{email}\0{password}".encode(), hashlib.sha256).digest()

    def hit(self, email: str, password: str) -> bool:
        """True when these exact credentials were verified within the TTL."""
        key = self._key(email, password)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            if entry.expires_at < time.monotonic():
                del self._entries[key]
                return False
            return True

    def remember(self, email: str, password: str) -> None:
        """Record credentials that were just verified."""
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[self._key(email, password)] = _Entry(email, time.monotonic() + self.ttl)

    def forget(self, email: str) -> None:
        """Drop every remembered credential of an account (password change, revocation)."""
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.email == email]:
                del self._entries[key]


def parse_basic_authorization(header: str | None) -> tuple[str, str] | None:
    """User and password from an ``Authorization: Basic`` header (RFC 7617), else ``None``."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4096:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def authenticate_basic(
    db: Session,
    *,
    settings: Settings,
    cache: CredentialCache,
    email: str,
    password: str,
    client_ip: str,
) -> str:
    """The account's address when the credentials are valid.

    Tries an app password first (no mail server round trip), then the mail password by IMAP.
    Failures count towards the same throttle as web logins. Raises ``Unauthorized``,
    ``Throttled`` or ``Unavailable``.
    """
    try:
        email = normalize_email(email)
    except Invalid as exc:
        raise Unauthorized("Wrong email address or password.") from exc
    if not password or len(password) > 1024:
        raise Unauthorized("Wrong email address or password.")
    if cache.hit(email, password):
        _note_login(db, cache, email)
        return email
    policy, now = throttle_policy(settings), utcnow()
    keys = {"account": email, "ip": client_ip}
    throttle.check_not_locked(db, policy=policy, keys=keys, now=now)
    if app_passwords.verify(db, email=email, password=password) or check_login(
        ImapEndpoint.from_settings(settings), email, password
    ):
        cache.remember(email, password)
        _note_login(db, cache, email)
        return email
    throttle.record_failure(db, policy=policy, keys=keys, now=now)
    db.commit()
    throttle.check_not_locked(db, policy=policy, keys=keys, now=now)
    raise Unauthorized("Wrong email address or password.")


def _note_login(db: Session, cache: CredentialCache, email: str) -> None:
    if cache.logins is not None:
        cache.logins.seen(db, email=email)
