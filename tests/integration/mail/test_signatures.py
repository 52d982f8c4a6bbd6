"""Signatures: per identity, the organization's template as fallback, above or below quotes."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import make_engine
from app.settings import Settings
from tests.helpers import csrf_token, login
from tests.integration.mail.test_send import _imap


def _editor(page: str) -> str:
    """What the rich-text editor starts with."""
    match = re.search(r'id="editor"[^>]*>(.*?)</div>\s*<textarea id="html"', page, re.S)
    assert match, "no editor on the page"
    return match.group(1)


def _client(settings: Settings) -> TestClient:
    from app.main import create_app

    client = TestClient(create_app(settings))
    login(client)
    return client


def _save(client: TestClient, **fields: str) -> object:
    token = csrf_token(client, "/mail/signatures")
    return client.post(
        "/mail/signatures", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def test_own_signature_goes_into_new_messages_sanitized(migrated_settings: Settings) -> None:
    alice = _client(migrated_settings)
    response = _save(
        alice,
        **{
            "signature:alice@example.com": "<b>Alice</b><script>alert(1)</script>"
            "<img src=x onerror=y>",
            "position": "below",
        },
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = alice.get("/mail/signatures").text
    assert "&lt;b&gt;Alice&lt;/b&gt;" in page and "script" not in page.split("<textarea")[1]
    editor = _editor(alice.get("/mail/compose").text)
    assert '<div class="signature">-- <br><b>Alice</b>' in editor
    assert "onerror" not in editor and "<script" not in editor


def test_organization_template_is_the_fallback(migrated_settings: Settings) -> None:
    from app.directory import service as directory

    alice = _client(migrated_settings)
    engine = make_engine(migrated_settings)
    with Session(engine) as db:
        account = directory.find_account(db, email="alice@example.com")
        assert account is not None
        account.display_name, account.job_title = "Alice <A>", "Head of Sales"
        org = db.get(directory.Organization, account.organization_id)
        assert org is not None
        org.signature_template = "{display_name}\n{job_title} · Example Org"
        db.commit()
    engine.dispose()
    editor = _editor(alice.get("/mail/compose").text)
    assert "Alice &lt;A&gt;<br>Head of Sales · Example Org" in editor


def test_reply_signature_position_follows_the_preference(migrated_settings: Settings) -> None:
    alice = _client(migrated_settings)
    marker = uuid.uuid4().hex[:8]
    with _imap(migrated_settings, "alice@example.com") as client:
        client.append(
            "INBOX", f"From: bob@example.com\r\nSubject: s {marker}\r\n\r\nq\r\n".encode()
        )
        client.select_folder("INBOX")
        uid = client.search(["SUBJECT", f"s {marker}"])[0]
    _save(alice, **{"signature:alice@example.com": "SIG-MARK", "position": "below"})
    below = _editor(alice.get(f"/mail/compose?mode=reply&folder=INBOX&uid={uid}").text)
    assert below.index("SIG-MARK") > below.index("<blockquote>")
    _save(alice, **{"signature:alice@example.com": "SIG-MARK", "position": "above"})
    above = _editor(alice.get(f"/mail/compose?mode=reply&folder=INBOX&uid={uid}").text)
    assert above.index("SIG-MARK") < above.index("<blockquote>")


def test_a_too_long_signature_is_refused(migrated_settings: Settings) -> None:
    alice = _client(migrated_settings)
    response = _save(alice, **{"signature:alice@example.com": "x" * 10_001})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "at most 10000 characters" in response.text  # type: ignore[attr-defined]
