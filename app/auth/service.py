"""Public API of the auth domain: sign in by IMAP, look up and end web sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth import throttle
from app.auth.imap_login import ImapEndpoint, check_login
from app.auth.models import WebSession
from app.auth.secrets import SessionToken, decrypt_password, encrypt_password
from app.db import utcnow
from app.errors import Invalid, Unauthorized
from app.settings import Settings

MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class SignedIn:
    """A live session: who it is and the token to put in the cookie."""

    email: str
    token: SessionToken
    session: WebSession


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased address; refuses what cannot be an address."""
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > MAX_EMAIL_LENGTH:
        raise Invalid("Enter your full email address, like name@example.com.")
    if any(ch.isspace() or ord(ch) < 32 or ch in '"(),:;<>[\\]' for ch in email):
        raise Invalid("Enter your full email address, like name@example.com.")
    return email


def throttle_policy(settings: Settings) -> throttle.ThrottlePolicy:
    """The login throttling policy configured in settings."""
    return throttle.ThrottlePolicy(
        max_failures_account=settings.login_max_failures_account,
        max_failures_ip=settings.login_max_failures_ip,
        window=timedelta(minutes=settings.login_window_minutes),
    )


def sign_in(
    db: Session,
    *,
    settings: Settings,
    email: str,
    password: str,
    client_ip: str,
    user_agent: str = "",
) -> SignedIn:
    """Check the credentials with the IMAP server and open a session.

    Raises ``Invalid`` for a malformed address, ``Throttled`` while locked out,
    ``Unauthorized`` for wrong credentials and ``Unavailable`` when the server is down.
    """
    email = normalize_email(email)
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        raise Unauthorized("Wrong email address or password.")
    policy, now = throttle_policy(settings), utcnow()
    keys = {"account": email, "ip": client_ip}
    throttle.check_not_locked(db, policy=policy, keys=keys, now=now)
    if not check_login(ImapEndpoint.from_settings(settings), email, password):
        throttle.record_failure(db, policy=policy, keys=keys, now=now)
        db.commit()
        throttle.check_not_locked(db, policy=policy, keys=keys, now=now)
        raise Unauthorized("Wrong email address or password.")
    throttle.record_success(db, account_key=email)
    return _open_session(
        db,
        settings=settings,
        email=email,
        password=password,
        client_ip=client_ip,
        user_agent=user_agent,
        now=now,
    )


def _open_session(
    db: Session,
    *,
    settings: Settings,
    email: str,
    password: str,
    client_ip: str,
    user_agent: str,
    now: datetime,
) -> SignedIn:
    token = SessionToken.new()
    row = WebSession(
        id=token.row_id,
        email=email,
        password_ciphertext=encrypt_password(token, password),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_max_days),
        client_ip=client_ip[:64],
        user_agent=user_agent[:400],
    )
    db.add(row)
    db.flush()
    return SignedIn(email=email, token=token, session=row)


def resume(db: Session, *, settings: Settings, cookie: str) -> SignedIn | None:
    """The live session behind a cookie, or ``None`` (unknown, expired or idle too long)."""
    token = SessionToken.parse(cookie)
    if token is None:
        return None
    row = db.get(WebSession, token.row_id)
    now = utcnow()
    if row is None or decrypt_password(token, row.password_ciphertext) is None:
        return None  # unknown id, or a key that does not open this session's password
    idle_limit = row.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if row.expires_at <= now or idle_limit <= now:
        db.delete(row)
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now  # written at most once a minute, not on every request
    return SignedIn(email=row.email, token=token, session=row)


def mail_password(signed_in: SignedIn) -> str | None:
    """The session's mail password, decrypted with the cookie's key."""
    return decrypt_password(signed_in.token, signed_in.session.password_ciphertext)


def sign_out(db: Session, *, cookie: str) -> None:
    """Destroy the session server-side; the cookie is worthless afterwards."""
    token = SessionToken.parse(cookie)
    if token is not None:
        db.execute(delete(WebSession).where(WebSession.id == token.row_id))


def sign_out_everywhere(db: Session, *, email: str) -> int:
    """End every session of an account; returns how many were ended."""
    rows = db.scalars(select(WebSession).where(WebSession.email == email)).all()
    for row in rows:
        db.delete(row)
    return len(rows)


def purge_expired(db: Session) -> int:
    """Delete expired sessions; returns how many went."""
    result = db.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
