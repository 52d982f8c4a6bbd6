"""App passwords: one revocable password per phone or desktop client, stored as argon2 hashes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import AppPassword
from app.db import utcnow
from app.errors import Invalid, NotFound

MAX_PER_ACCOUNT = 20
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: easy to type on a phone
_hasher = PasswordHasher()


@dataclass(frozen=True)
class CreatedAppPassword:
    """A new app password: the row and the one time its plain text is known."""

    app_password: AppPassword
    plaintext: str


def _generate() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def create(db: Session, *, email: str, name: str) -> CreatedAppPassword:
    """Create an app password named after its device; the plain text is returned only here."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise Invalid("Give the app password a name of at most 100 characters, like “My phone”.")
    if len(list_for(db, email=email)) >= MAX_PER_ACCOUNT:
        raise Invalid(
            "You have %(count)s app passwords already; revoke one first.", count=MAX_PER_ACCOUNT
        )
    plaintext = _generate()
    row = AppPassword(
        email=email, name=name, password_hash=_hasher.hash(plaintext), created_at=utcnow()
    )
    db.add(row)
    db.flush()
    return CreatedAppPassword(row, plaintext)


def list_for(db: Session, *, email: str) -> list[AppPassword]:
    """The account's app passwords, newest first."""
    query = select(AppPassword).where(AppPassword.email == email).order_by(AppPassword.id.desc())
    return list(db.scalars(query))


def revoke(db: Session, *, email: str, app_password_id: int) -> None:
    """Delete one of the account's app passwords (another account's id is simply not found)."""
    row = db.get(AppPassword, app_password_id)
    if row is None or row.email != email:
        raise NotFound("No such app password.")
    db.delete(row)
    db.flush()


def verify(db: Session, *, email: str, password: str) -> bool:
    """True when the password is one of the account's app passwords; records its last use."""
    normalized = password.strip().lower()
    if len(normalized.replace("-", "")) != 16:
        return False  # not shaped like an app password: skip the costly hashes
    for row in list_for(db, email=email):
        try:
            _hasher.verify(row.password_hash, normalized)
        except (VerificationError, InvalidHashError):
            continue
        row.last_used_at = utcnow()
        db.flush()
        return True
    return False
