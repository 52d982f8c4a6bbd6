"""Incoming read-receipt requests (RFC 8098): asked in the message view, answered only by the
reader, sent as an MDN through the real Postfix, and never asked again ($MDNSent)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from app.settings import Settings
from tests.helpers import csrf_token, login
from tests.integration.mail.conftest import deliver
from tests.integration.mail.test_compose_views import _make_role_member
from tests.integration.mail.test_send import _imap, _wait_for


@pytest.fixture
def alice(migrated_settings: Settings) -> TestClient:
    from app.main import create_app

    client = TestClient(create_app(migrated_settings))
    assert login(client).status_code == 303  # type: ignore[attr-defined]
    return client


def _asking(settings: Settings, marker: str, *, notify: str = "bob@example.com") -> int:
    """A message from bob to alice that asks for a read receipt; returns its UID in INBOX."""
    message = EmailMessage()
    message["From"] = "Bob <bob@example.com>"
    message["To"] = "alice@example.com"
    message["Subject"] = f"contract {marker}"
    message["Message-ID"] = f"<c-{marker}@example.com>"
    message["Disposition-Notification-To"] = notify
    message.set_content("Please confirm.")
    deliver(settings, "alice@example.com", message.as_bytes())
    with _imap(settings, "alice@example.com") as client:
        client.select_folder("INBOX", readonly=True)
        return int(client.search(["SUBJECT", f"contract {marker}"])[0])


def _flags(settings: Settings, uid: int) -> tuple[bytes, ...]:
    with _imap(settings, "alice@example.com") as client:
        client.select_folder("INBOX", readonly=True)
        return tuple(client.get_flags([uid])[uid])


def _receipt(settings: Settings, marker: str, timeout: float = 15) -> EmailMessage | None:
    return _wait_for(settings, "bob@example.com", f"Read: contract {marker}", timeout=timeout)


def _answer(client: TestClient, uid: int, answer: str, *, htmx: bool = True) -> object:
    token = csrf_token(client, "/mail/compose")
    return client.post(
        "/mail/-/receipt",
        data={"csrf_token": token, "folder": "INBOX", "uid": str(uid), "answer": answer},
        headers={"HX-Request": "true"} if htmx else {},
        follow_redirects=False,
    )


def test_the_reader_is_asked_and_the_receipt_is_an_rfc8098_mdn(
    alice: TestClient, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    uid = _asking(migrated_settings, marker)
    view = alice.get(f"/mail/INBOX/{uid}")
    assert view.status_code == 200
    assert "receipt-request-slot" in view.text  # the message view asks for the question
    question = alice.get(f"/mail/-/receipt?folder=INBOX&uid={uid}").text
    assert "a read receipt to bob@example.com" in question
    assert "Send a receipt" in question and "Ignore" in question
    # Reading the message sent nothing by itself.
    assert _receipt(migrated_settings, marker, timeout=2) is None

    answered = _answer(alice, uid, "send")
    assert answered.status_code == 200, answered.text  # type: ignore[attr-defined]
    assert "The read receipt was sent." in answered.text  # type: ignore[attr-defined]
    mdn = _receipt(migrated_settings, marker)
    assert mdn is not None, "the receipt never reached bob"
    assert mdn.get_content_type() == "multipart/report"
    assert mdn.get_param("report-type") == "disposition-notification"
    assert mdn["Return-Path"] == "<>"  # null envelope sender: nothing ever answers a receipt
    assert mdn["From"].addresses[0].addr_spec == "alice@example.com"
    report = mdn.as_bytes().decode("utf-8", "replace")
    assert "Content-Type: message/disposition-notification" in report
    assert f"Original-Message-ID: <c-{marker}@example.com>" in report
    assert "Final-Recipient: rfc822;alice@example.com" in report
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in report

    assert b"$MDNSent" in _flags(migrated_settings, uid)
    assert "Send a receipt" not in alice.get(f"/mail/-/receipt?folder=INBOX&uid={uid}").text
    # Answering twice does not send a second receipt.
    assert _answer(alice, uid, "send", htmx=False).status_code == 404  # type: ignore[attr-defined]


def test_ignoring_sends_nothing_and_is_remembered(
    alice: TestClient, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    uid = _asking(migrated_settings, marker)
    answered = _answer(alice, uid, "ignore", htmx=False)
    assert answered.status_code == 303  # type: ignore[attr-defined]
    assert answered.headers["location"] == f"/mail/INBOX/{uid}"  # type: ignore[attr-defined]
    assert b"$MDNSent" in _flags(migrated_settings, uid)
    assert "Send a receipt" not in alice.get(f"/mail/-/receipt?folder=INBOX&uid={uid}").text
    assert _receipt(migrated_settings, marker, timeout=2) is None


def test_no_question_without_a_request_or_for_ones_own_address(
    alice: TestClient, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    own = _asking(migrated_settings, marker, notify="alice@example.com")
    assert "Send a receipt" not in alice.get(f"/mail/-/receipt?folder=INBOX&uid={own}").text
    _make_role_member(migrated_settings, can_send_as=True)  # info@ is one of alice's identities
    role = _asking(migrated_settings, uuid.uuid4().hex[:8], notify="Info <info@example.com>")
    assert "Send a receipt" not in alice.get(f"/mail/-/receipt?folder=INBOX&uid={role}").text
    broken = _asking(migrated_settings, uuid.uuid4().hex[:8], notify="not an address")
    assert "Send a receipt" not in alice.get(f"/mail/-/receipt?folder=INBOX&uid={broken}").text
    assert alice.get("/mail/-/receipt?folder=INBOX&uid=999999").status_code == 404
