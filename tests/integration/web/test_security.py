"""The web security baseline: CSRF on every state change, headers on every response."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_PASSWORD
from tests.helpers import csrf_token, login

PAGES_ANONYMOUS = [
    "/login",
    "/login?lang=fa",
    "/healthz",
    "/no-such-page",
    "/static/css/app.css",
    "/mail",
]
PAGES_SIGNED_IN = [
    "/mail",
    "/calendar",
    "/contacts",
    "/tasks",
    "/files",
    "/settings",
    "/settings?lang=fa",
    "/no-such-page",
]


def _assert_security_headers(response: object, path: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers.get("content-security-policy", "")
    assert csp == CONTENT_SECURITY_POLICY, path
    assert "frame-ancestors 'none'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in csp
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "same-origin", path
    assert headers.get("x-frame-options") == "DENY", path


@pytest.mark.parametrize("path", PAGES_ANONYMOUS)
def test_security_headers_on_anonymous_responses(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    _assert_security_headers(response, path)


def test_security_headers_on_signed_in_pages(client: TestClient) -> None:
    login(client)
    for path in PAGES_SIGNED_IN:
        response = client.get(path)
        _assert_security_headers(response, path)
        if path != "/no-such-page":
            assert response.status_code == 200, path


def test_pages_have_no_inline_script(client: TestClient) -> None:
    login(client)
    for path in [*PAGES_SIGNED_IN, "/login"]:
        html = client.get(path).text
        assert "<script>" not in html and " on" + "click=" not in html, path
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), path


def test_csrf_missing_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": "alice@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "did not come from Hamkar" in response.text
    _assert_security_headers(response, "/login POST")


def test_csrf_wrong_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": "alice@example.com", "password": TEST_PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 403


def test_csrf_token_from_another_browser_is_refused(
    client: TestClient, migrated_settings: object
) -> None:
    from app.main import create_app

    with TestClient(create_app(migrated_settings)) as attacker:  # type: ignore[arg-type]
        attacker_token = csrf_token(attacker)
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "alice@example.com",
            "password": TEST_PASSWORD,
            "csrf_token": attacker_token,
        },
    )
    assert response.status_code == 403


def test_csrf_header_is_accepted_for_htmx_requests(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings")
    refused = client.post(
        "/settings",
        data={"timezone": "Asia/Tehran"},
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    accepted = client.post(
        "/settings",
        data={"timezone": "Asia/Tehran"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert accepted.status_code == 303


def test_csrf_token_in_first_multipart_field_is_accepted(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings")
    response = client.post(
        "/settings",
        files=[("csrf_token", (None, token)), ("calendar_system", (None, "jalali"))],
        follow_redirects=False,
    )
    assert response.status_code == 303
    missing = client.post(
        "/settings", files=[("calendar_system", (None, "jalali"))], follow_redirects=False
    )
    assert missing.status_code == 403


def test_the_session_token_changes_at_login(client: TestClient) -> None:
    before = csrf_token(client)
    login(client)
    after = csrf_token(client, "/settings")
    assert before != after
    # The pre-login token no longer authorizes anything.
    response = client.post("/settings", data={"csrf_token": before, "timezone": "UTC"})
    assert response.status_code == 403


def test_logout_needs_the_token(client: TestClient) -> None:
    login(client)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/mail/INBOX", follow_redirects=False).status_code == 200


def test_cross_site_requests_are_refused_even_with_a_token(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings")
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ):
        response = client.post(
            "/settings",
            data={"csrf_token": token, "timezone": "UTC"},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 403, headers
    same = client.post(
        "/settings",
        data={"csrf_token": token, "timezone": "UTC"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_errors_render_a_friendly_page_not_a_traceback(client: TestClient) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    client.app.include_router(router)  # type: ignore[attr-defined]
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "Something went wrong" in response.text
    _assert_security_headers(response, "/boom-for-test")


def test_bad_form_input_is_a_400_page(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings")
    response = client.post("/settings", data={"csrf_token": token, "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Unknown time zone" in response.text
    too_long = client.post("/settings", data={"csrf_token": token, "timezone": "x" * 500})
    assert too_long.status_code == 400
