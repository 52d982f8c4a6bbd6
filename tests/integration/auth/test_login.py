"""Login against the real Dovecot: sessions, throttling, logout, redirects."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.auth.models import LoginThrottle, WebSession
from app.directory.models import Account
from app.settings import Settings
from app.web.csrf import SESSION_COOKIE
from tests.conftest import TEST_PASSWORD
from tests.helpers import csrf_token, login


def _db(settings: Settings) -> Session:
    return Session(create_engine(settings.effective_database_url))


def test_login_with_the_mail_password_opens_the_app(client: TestClient) -> None:
    response = login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/mail"
    page = client.get("/mail")
    assert page.status_code == 200
    assert "alice@example.com" in page.text
    assert 'action="/logout"' in page.text


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    response = login(client)
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http in this test


def test_session_cookie_is_secure_behind_https(migrated_settings: Settings) -> None:
    from app.main import create_app

    secure = migrated_settings.model_copy(update={"base_url": "https://mail.example.com"})
    with TestClient(create_app(secure), base_url="https://testserver") as https_client:
        response = login(https_client)
        cookie = response.headers["set-cookie"]
        assert response.status_code == 303
        assert "Secure" in cookie
        assert "strict-transport-security" in response.headers


def test_wrong_password_is_refused_with_a_generic_message(client: TestClient) -> None:
    response = login(client, password="wrong-password")
    assert response.status_code == 401
    assert "Wrong email address or password." in response.text
    assert SESSION_COOKIE not in response.cookies
    assert client.get("/mail", follow_redirects=False).status_code == 303


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    unknown = login(client, email="nobody@example.com", password="whatever")
    wrong = login(client, email="bob@example.com", password="whatever")
    assert unknown.status_code == wrong.status_code == 401
    strip = lambda text: text.replace("nobody@example.com", "X").replace("bob@example.com", "X")  # noqa: E731
    assert strip(unknown.text) == strip(wrong.text).replace(csrf_token(client), csrf_token(client))


def test_the_mail_password_is_stored_only_encrypted(
    client: TestClient, migrated_settings: Settings
) -> None:
    login(client)
    with _db(migrated_settings) as db:
        row = db.scalars(select(WebSession)).one()
        assert TEST_PASSWORD.encode() not in row.password_ciphertext
        cookie = client.cookies[SESSION_COOKIE]
        assert cookie.split(".")[0] != row.id  # the table holds a hash of the token only
    raw = (migrated_settings.data_dir / "hamkar.db").read_bytes()
    assert TEST_PASSWORD.encode() not in raw


def test_first_login_creates_the_directory_account(
    client: TestClient, migrated_settings: Settings
) -> None:
    login(client, email="Carol@Example.org")
    with _db(migrated_settings) as db:
        account = db.scalars(select(Account).where(Account.email == "carol@example.org")).one()
        assert account.last_login_at is not None


def test_logout_destroys_the_session_server_side(
    client: TestClient, migrated_settings: Settings
) -> None:
    login(client)
    stolen_cookie = client.cookies[SESSION_COOKIE]
    token = csrf_token(client, "/mail")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with _db(migrated_settings) as db:
        assert db.scalars(select(WebSession)).all() == []
    # Replaying the old cookie does not bring the session back.
    client.cookies.set(SESSION_COOKIE, stolen_cookie)
    assert client.get("/mail", follow_redirects=False).status_code == 303


def test_a_session_cookie_with_a_foreign_key_is_refused(client: TestClient) -> None:
    login(client)
    session_id = client.cookies[SESSION_COOKIE].partition(".")[0]
    client.cookies.set(SESSION_COOKIE, session_id + "." + "A" * 43)
    assert client.get("/mail", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, "garbage")
    assert client.get("/mail", follow_redirects=False).status_code == 303


def test_next_accepts_local_paths_only(client: TestClient) -> None:
    for hostile in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/login",
        "\t//evil.example",
    ):
        response = login(client, next_path=hostile)
        assert response.headers["location"] == "/mail", hostile
        client.cookies.clear()
    response = login(client, next_path="/settings?tab=1")
    assert response.headers["location"] == "/settings?tab=1"


def test_login_page_preserves_next_from_the_redirect(client: TestClient) -> None:
    response = client.get("/settings", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Fsettings"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/settings"' in page.text


def test_account_throttling_locks_after_repeated_failures(
    client: TestClient, migrated_settings: Settings
) -> None:
    for _ in range(migrated_settings.login_max_failures_account - 1):
        assert login(client, email="bob@example.com", password="nope").status_code == 401
    locked = login(client, email="bob@example.com", password="nope")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    # Even the right password is refused while locked, without asking the mail server.
    right = login(client, email="bob@example.com", password=TEST_PASSWORD)
    assert right.status_code == 429
    # Another account from the same IP is still fine.
    assert login(client, email="alice@example.com").status_code == 303


def test_unknown_accounts_are_throttled_exactly_like_real_ones(
    client: TestClient, migrated_settings: Settings
) -> None:
    limit = migrated_settings.login_max_failures_account
    statuses_real = [
        login(client, email="bob@example.com", password="x").status_code for _ in range(limit)
    ]
    statuses_unknown = [
        login(client, email="ghost@example.com", password="x").status_code for _ in range(limit)
    ]
    assert statuses_real == statuses_unknown == [401] * (limit - 1) + [429]


def test_ip_throttling_covers_many_accounts(migrated_settings: Settings) -> None:
    from app.main import create_app

    strict = migrated_settings.model_copy(update={"login_max_failures_ip": 3})
    with TestClient(create_app(strict)) as tight:
        results = [
            login(tight, email=f"user{i}@example.com", password="x").status_code for i in range(3)
        ]
        assert results == [401, 401, 429]
        assert login(tight, email="alice@example.com").status_code == 429
    with _db(strict) as db:
        ip_row = db.get(LoginThrottle, ("ip", "testclient"))
        assert ip_row is not None and ip_row.locked_until is not None


def test_a_disabled_account_cannot_sign_in(client: TestClient, migrated_settings: Settings) -> None:
    login(client)
    earlier_session = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    with _db(migrated_settings) as db:
        account = db.scalars(select(Account).where(Account.email == "alice@example.com")).one()
        account.enabled = False
        db.commit()
    response = login(client)
    assert response.status_code == 403
    assert "disabled" in response.text
    assert SESSION_COOKIE not in response.cookies
    with _db(migrated_settings) as db:
        assert len(db.scalars(select(WebSession)).all()) == 1  # only the earlier one
    # The session opened before the account was disabled no longer works either.
    client.cookies.set(SESSION_COOKIE, earlier_session)
    assert client.get("/mail", follow_redirects=False).status_code == 303
    with _db(migrated_settings) as db:
        assert db.scalars(select(WebSession)).all() == []


def test_login_reports_a_mail_server_that_is_down(migrated_settings: Settings) -> None:
    from app.main import create_app

    down = migrated_settings.model_copy(update={"imap_port": 1})
    with TestClient(create_app(down)) as offline:
        response = login(offline)
        assert response.status_code == 503
        assert "cannot be reached" in response.text


def test_malformed_login_input_gets_a_clear_error(client: TestClient) -> None:
    token = csrf_token(client)
    for email in ("not-an-address", "a@b", "x\r\n@example.com", "a" * 400 + "@example.com"):
        response = client.post(
            "/login", data={"email": email, "password": "x", "csrf_token": token}
        )
        assert response.status_code in (400, 401), email
        assert "<html" in response.text
