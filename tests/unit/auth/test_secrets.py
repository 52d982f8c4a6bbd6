"""Session tokens and the password encryption that only the cookie can open."""

from __future__ import annotations

from app.auth.secrets import SessionToken, decrypt_password, encrypt_password


def test_round_trip_through_the_cookie() -> None:
    token = SessionToken.new()
    parsed = SessionToken.parse(token.cookie_value)
    assert parsed == token
    ciphertext = encrypt_password(token, "پسورد-secret")
    assert b"secret" not in ciphertext
    assert decrypt_password(parsed, ciphertext) == "پسورد-secret"


def test_another_key_or_another_row_cannot_decrypt() -> None:
    token, other = SessionToken.new(), SessionToken.new()
    ciphertext = encrypt_password(token, "pw")
    assert decrypt_password(other, ciphertext) is None
    moved = SessionToken(other.session_id, token.key)  # same key, other session row
    assert decrypt_password(moved, ciphertext) is None
    tampered = ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])
    assert decrypt_password(token, tampered) is None


def test_row_id_is_a_hash_not_the_secret() -> None:
    token = SessionToken.new()
    assert token.session_id not in token.row_id
    assert len(token.row_id) == 64


def test_garbage_cookies_are_rejected() -> None:
    for cookie in ("", "abc", "a.b", "x" * 43 + ".", "x" * 43 + ".!!!!", "x" * 43 + ".YQ"):
        assert SessionToken.parse(cookie) is None
