"""Small helpers for driving the web app in tests."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.conftest import TEST_PASSWORD

_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands out to this client."""
    response = client.get(path)
    match = _TOKEN_RE.search(response.text)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def login(
    client: TestClient,
    email: str = "alice@example.com",
    password: str = TEST_PASSWORD,
    next_path: str = "",
) -> object:
    """Submit the real login form."""
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "next": next_path, "csrf_token": token},
        follow_redirects=False,
    )
