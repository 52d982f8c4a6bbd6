"""Integers beyond 64 bits in the path, the query or a form: a clear 4xx, never a 500."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import csrf_token, login

HUGE = "9" * 40


def test_a_huge_id_in_the_path_is_404(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings/devices")
    assert client.get(f"/directory/photos/{HUGE}").status_code == 404
    refused = client.post(
        f"/settings/devices/{HUGE}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 404
    assert "There is nothing at this address." in refused.text
    # the largest 64-bit id is still an ordinary, unknown id
    assert client.get(f"/directory/photos/{2**63 - 1}").status_code == 404
    assert client.get(f"/directory/photos/-{HUGE}").status_code == 404


def test_a_huge_number_in_a_form_or_query_is_400(client: TestClient) -> None:
    login(client)
    token = csrf_token(client, "/settings/devices")
    response = client.post(
        "/mail/-/trust-sender",
        data={"csrf_token": token, "folder": "INBOX", "uid": HUGE},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "Some of what you entered is not valid." in response.text
    assert client.get(f"/files/download?id={HUGE}").status_code == 400
    assert client.get("/settings").status_code == 200  # the session is fine afterwards
