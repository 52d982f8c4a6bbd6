"""Password hashes Dovecot verifies: ``{ARGON2ID}$argon2id$v=19$...`` (argon2-cffi).

Dovecot checks them with libsodium, which only accepts one lane (parallelism 1); memory and
time follow OWASP's Argon2id minimum so a login costs the auth worker ~20 MiB, not 64.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import Invalid

SCHEME_PREFIX = "{ARGON2ID}"
MIN_LENGTH = 10
MAX_LENGTH = 200
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def validate_password(password: str) -> str:
    """The password if it is acceptable, else ``Invalid`` saying why."""
    if len(password) < MIN_LENGTH:
        raise Invalid("The password needs at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise Invalid("The password may have at most %(count)s characters.", count=MAX_LENGTH)
    if password.strip() != password or any(ord(ch) < 32 for ch in password):
        raise Invalid("The password must not start or end with a space or contain control keys.")
    return password


def hash_password(password: str) -> str:
    """A Dovecot-ready hash of a validated password."""
    return SCHEME_PREFIX + _HASHER.hash(validate_password(password))


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches a hash made by :func:`hash_password`."""
    if not stored.startswith(SCHEME_PREFIX):
        return False
    try:
        return _HASHER.verify(stored.removeprefix(SCHEME_PREFIX), password)
    except (VerificationError, InvalidHashError):
        return False
