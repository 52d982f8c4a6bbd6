"""Session tokens and the encryption of the mail password under a key the cookie carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


@dataclass(frozen=True)
class SessionToken:
    """What the session cookie holds: a lookup id and the key of the stored password."""

    session_id: str
    key: bytes

    @classmethod
    def new(cls) -> SessionToken:
        """A fresh random token (256-bit id, 256-bit key)."""
        return cls(secrets.token_urlsafe(32), secrets.token_bytes(32))

    @classmethod
    def parse(cls, cookie: str) -> SessionToken | None:
        """Read a cookie value; ``None`` when it is not one of ours."""
        session_id, _, key_text = cookie.partition(".")
        if len(session_id) != 43 or not key_text:
            return None
        try:
            key = base64.urlsafe_b64decode(key_text + "=" * (-len(key_text) % 4))
        except ValueError:
            return None
        return cls(session_id, key) if len(key) == 32 else None

    @property
    def cookie_value(self) -> str:
        """The value to put in the cookie."""
        return f"{self.session_id}.{base64.urlsafe_b64encode(self.key).rstrip(b'=').decode()}"

    @property
    def row_id(self) -> str:
        """The id stored in the database: a hash, so the table alone cannot open sessions."""
        return hashlib.sha256(self.session_id.encode()).hexdigest()


def encrypt_password(token: SessionToken, password: str) -> bytes:
    """Encrypt the mail password with the token's key, bound to this session row."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(token.key).encrypt(nonce, password.encode(), token.row_id.encode())


def decrypt_password(token: SessionToken, ciphertext: bytes) -> str | None:
    """The mail password, or ``None`` when the key does not fit (tampered or foreign cookie)."""
    nonce, body = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
    try:
        return AESGCM(token.key).decrypt(nonce, body, token.row_id.encode()).decode()
    except (InvalidTag, ValueError):
        return None


def keyed_digest(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the application secret, url-safe text."""
    mac = hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _purpose_key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"hamkar-key:{purpose}".encode(), hashlib.sha256).digest()


def seal(secret: bytes, purpose: str, plaintext: str, context: str) -> bytes:
    """Encrypt for the server itself (e.g. a password a scheduled send will need later).

    The key is derived from the app secret for one ``purpose``; ``context`` binds the
    ciphertext to its row, so it cannot be moved to another one.
    """
    nonce = secrets.token_bytes(_NONCE_BYTES)
    key = AESGCM(_purpose_key(secret, purpose))
    return nonce + key.encrypt(nonce, plaintext.encode(), context.encode())


def unseal(secret: bytes, purpose: str, ciphertext: bytes, context: str) -> str | None:
    """The plaintext of ``seal``, or ``None`` when the secret, purpose or context differ."""
    nonce, body = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
    try:
        key = AESGCM(_purpose_key(secret, purpose))
        return key.decrypt(nonce, body, context.encode()).decode()
    except (InvalidTag, ValueError):
        return None
