"""HTTP Basic for DAV clients: the mail password (checked by IMAP) or an app password."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.auth import app_passwords
from app.auth.basic import CredentialCache, authenticate_basic, parse_basic_authorization
from app.auth.models import AppPassword
from app.errors import NotFound, Throttled, Unauthorized
from app.settings import Settings
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def db(migrated_settings: Settings) -> Session:
    return Session(create_engine(migrated_settings.effective_database_url))


def _auth(
    db: Session, settings: Settings, cache: CredentialCache, email: str, password: str
) -> str:
    return authenticate_basic(
        db, settings=settings, cache=cache, email=email, password=password, client_ip="127.0.0.9"
    )


def test_parse_basic_header() -> None:
    header = "Basic " + base64.b64encode(b"alice@example.com:p:ss").decode()
    assert parse_basic_authorization(header) == ("alice@example.com", "p:ss")
    for bad in (
        None,
        "",
        "Bearer x",
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
    ):
        assert parse_basic_authorization(bad) is None


def test_mail_password_is_checked_by_imap_and_cached(
    db: Session, migrated_settings: Settings
) -> None:
    cache = CredentialCache(60)
    assert (
        _auth(db, migrated_settings, cache, "Alice@Example.com", TEST_PASSWORD)
        == "alice@example.com"
    )
    assert cache.hit("alice@example.com", TEST_PASSWORD)
    with pytest.raises(Unauthorized):
        _auth(db, migrated_settings, cache, "alice@example.com", "wrong")
    # With the mail server gone, the cached credentials still work; others do not.
    offline = migrated_settings.model_copy(update={"imap_port": 1})
    assert _auth(db, offline, cache, "alice@example.com", TEST_PASSWORD) == "alice@example.com"
    assert not cache.hit("alice@example.com", TEST_PASSWORD + "x")


def test_app_password_works_and_can_be_revoked(db: Session, migrated_settings: Settings) -> None:
    created = app_passwords.create(db, email="bob@example.com", name="Phone")
    db.commit()
    stored = db.scalars(select(AppPassword)).one()
    assert created.plaintext not in stored.password_hash
    assert stored.password_hash.startswith("$argon2")
    cache = CredentialCache(60)
    offline = migrated_settings.model_copy(update={"imap_port": 1})  # no IMAP needed
    assert _auth(db, offline, cache, "bob@example.com", created.plaintext) == "bob@example.com"
    assert db.get(AppPassword, stored.id).last_used_at is not None  # type: ignore[union-attr]
    # Another account cannot use bob's app password.
    with pytest.raises(Unauthorized):
        _auth(db, migrated_settings, CredentialCache(60), "alice@example.com", created.plaintext)
    with pytest.raises(NotFound):
        app_passwords.revoke(db, email="alice@example.com", app_password_id=stored.id)
    app_passwords.revoke(db, email="bob@example.com", app_password_id=stored.id)
    db.commit()
    cache.forget("bob@example.com")
    with pytest.raises(Unauthorized):
        _auth(db, migrated_settings, cache, "bob@example.com", created.plaintext)


def test_basic_auth_failures_are_throttled(db: Session, migrated_settings: Settings) -> None:
    cache = CredentialCache(60)
    for _ in range(migrated_settings.login_max_failures_account - 1):
        with pytest.raises(Unauthorized):
            _auth(db, migrated_settings, cache, "carol@example.org", "bad")
    with pytest.raises(Throttled):
        _auth(db, migrated_settings, cache, "carol@example.org", "bad")
    with pytest.raises(Throttled):
        _auth(db, migrated_settings, cache, "carol@example.org", TEST_PASSWORD)


def test_malformed_credentials_are_unauthorized(db: Session, migrated_settings: Settings) -> None:
    cache = CredentialCache(60)
    for email, password in (
        ("", "x"),
        ("no-at", "x"),
        ("a@example.com", ""),
        ("a@example.com", "x" * 5000),
    ):
        with pytest.raises(Unauthorized):
            _auth(db, migrated_settings, cache, email, password)
