"""Liveness and readiness against the real database and IMAP server."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.settings import Settings


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_database_and_imap_answer(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "imap": "ok"}


def test_readyz_reports_an_unreachable_imap_server(migrated_settings: Settings) -> None:
    from app.main import create_app

    with TestClient(create_app(migrated_settings.model_copy(update={"imap_port": 1}))) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["imap"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"
