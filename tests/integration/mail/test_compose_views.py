"""The compose page over HTTP: drafts, sending through the outbox, undo, replies, uploads."""

from __future__ import annotations

import asyncio
import re
import uuid
from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from app.db import make_engine, make_session_factory
from app.mail.outbox_worker import process_due
from app.settings import Settings
from tests.helpers import csrf_token, login
from tests.integration.mail.test_send import _imap, _wait_for


@pytest.fixture
def compose_settings(migrated_settings: Settings) -> Settings:
    # The test drives the outbox itself; no background worker, no undo delay unless asked.
    return migrated_settings.model_copy(
        update={"outbox_worker": False, "undo_send_seconds": 0, "max_attachment_bytes": 1024 * 1024}
    )


@pytest.fixture
def alice(compose_settings: Settings) -> TestClient:
    from app.main import create_app

    client = TestClient(create_app(compose_settings))
    assert login(client).status_code == 303  # type: ignore[attr-defined]
    return client


def _post(client: TestClient, **fields: object) -> object:
    token = csrf_token(client, "/mail/compose")
    return client.post(
        "/mail/compose", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def _deliver(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        return asyncio.run(
            process_due(
                make_session_factory(engine),
                settings=settings,
                secret=b"test-secret-key-0123456789abcdef",
            )
        )
    finally:
        engine.dispose()


def test_compose_needs_a_session(compose_settings: Settings) -> None:
    from app.main import create_app

    with TestClient(create_app(compose_settings)) as anonymous:
        response = anonymous.get("/mail/compose", follow_redirects=False)
    assert response.headers["location"].startswith("/login?next=%2Fmail%2Fcompose")


def test_autosaved_draft_reopens_exactly_as_typed(alice: TestClient) -> None:
    marker = uuid.uuid4().hex[:8]
    token = csrf_token(alice, "/mail/compose")
    fields = {
        "csrf_token": token,
        "action": "save",
        "to": "bob@example.com, not-an-address",
        "subject": f"draft {marker}",
        "html": "<p>سلام <b>دنیا</b></p>",
        "rich": "1",
        "priority": "high",
    }
    saved = alice.post("/mail/compose", data=fields, headers={"Accept": "application/json"})
    assert saved.status_code == 200, saved.text
    uid = saved.json()["draft_uid"]
    assert isinstance(uid, int)
    again = alice.post(
        "/mail/compose",
        data={**fields, "draft_uid": str(uid), "subject": f"draft {marker} v2"},
        headers={"Accept": "application/json"},
    )
    new_uid = again.json()["draft_uid"]
    reopened = alice.get(f"/mail/compose?draft={new_uid}").text
    assert 'value="bob@example.com, not-an-address"' in reopened
    assert f"draft {marker} v2" in reopened
    assert "<b>دنیا</b>" in reopened
    assert '<option value="high" selected>' in reopened
    # The first version was replaced, not kept beside the second.
    assert alice.get(f"/mail/compose?draft={uid}").status_code == 404


def test_invalid_recipient_keeps_everything_and_says_why(alice: TestClient) -> None:
    response = _post(
        alice,
        action="send",
        to="bob@example.com, bad address",
        subject="keep me",
        text="typed text",
        rich="0",
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Not valid email addresses: bad address" in html
    assert 'value="keep me"' in html and "typed text" in html


def test_send_goes_through_the_outbox_and_arrives(
    alice: TestClient, compose_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    response = _post(
        alice,
        action="send",
        to="باب <bob@example.com>",
        rich="0",
        subject=f"سلام {marker}",
        text="متن نامه",
    )
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert response.headers["location"].startswith("/mail/outbox?queued=")  # type: ignore[attr-defined]
    outbox_page = alice.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert f"سلام {marker}" in outbox_page and "Undo" in outbox_page
    assert _deliver(compose_settings) == 1
    received = _wait_for(compose_settings, "bob@example.com", marker)
    assert isinstance(received, EmailMessage)
    assert received["Subject"] == f"سلام {marker}"
    # The draft saved on the way is gone once the message left.
    with _imap(compose_settings, "alice@example.com") as client:
        client.select_folder("Drafts", readonly=True)
        assert client.search(["SUBJECT", marker], charset="UTF-8") == []


def test_undo_reopens_the_message_and_nothing_is_sent(compose_settings: Settings) -> None:
    from app.main import create_app

    slow = compose_settings.model_copy(update={"undo_send_seconds": 60})
    client = TestClient(create_app(slow))
    login(client)
    marker = uuid.uuid4().hex[:8]
    response = _post(
        client,
        action="send",
        to="bob@example.com",
        subject=f"undo {marker}",
        text="second thoughts",
        rich="0",
    )
    outbox_id = re.search(r"queued=(\d+)", response.headers["location"])[1]  # type: ignore[attr-defined,index]
    token = csrf_token(client, "/mail/outbox")
    undone = client.post(
        f"/mail/outbox/{outbox_id}/undo", data={"csrf_token": token}, follow_redirects=False
    )
    assert undone.status_code == 303
    editor = client.get(undone.headers["location"]).text
    assert f"undo {marker}" in editor and "second thoughts" in editor
    assert _deliver(slow) == 0
    assert _wait_for(slow, "bob@example.com", marker, timeout=2) is None


def test_reply_all_and_forward_are_prefilled(alice: TestClient, compose_settings: Settings) -> None:
    marker = uuid.uuid4().hex[:8]
    original = (
        f"From: Bob <bob@example.com>\r\nTo: alice@example.com, carol@example.org\r\n"
        f"Cc: info@example.com\r\nSubject: plan {marker}\r\n"
        f"Message-ID: <m-{marker}@example.com>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        f"Content-Type: text/plain\r\n\r\nThe plan.\r\n--XX\r\n"
        f"Content-Type: text/plain; name=notes.txt\r\n"
        f"Content-Disposition: attachment; filename=notes.txt\r\n\r\nnotes\r\n--XX--\r\n"
    )
    with _imap(compose_settings, "alice@example.com") as client:
        client.append("INBOX", original.encode())
        client.select_folder("INBOX")
        uid = client.search(["SUBJECT", f"plan {marker}"])[0]
    reply = alice.get(f"/mail/compose?mode=reply_all&folder=INBOX&uid={uid}").text
    assert 'value="Bob &lt;bob@example.com&gt;"' in reply
    assert 'value="carol@example.org, info@example.com"' in reply
    assert f'value="Re: plan {marker}"' in reply
    assert f'name="in_reply_to" value="&lt;m-{marker}@example.com&gt;"' in reply
    assert "The plan." in reply
    forward = alice.get(f"/mail/compose?mode=forward&folder=INBOX&uid={uid}").text
    assert f'value="Fwd: plan {marker}"' in forward
    assert "notes.txt" in forward and 'name="attachment_ids"' in forward


def test_uploads_are_limited_private_and_removable(
    alice: TestClient, compose_settings: Settings
) -> None:
    token = csrf_token(alice, "/mail/compose")
    headers = {"X-CSRF-Token": token}
    too_big = alice.post(
        "/mail/compose/attachments",
        headers=headers,
        files={"file": ("big.bin", b"x" * (1024 * 1024 + 1))},
    )
    assert too_big.status_code == 413
    assert "1.0 MB" in too_big.json()["error"]
    uploads_root = compose_settings.data_dir / "uploads"
    assert not any(uploads_root.glob("*/*.bin"))  # nothing partial left behind
    ok = alice.post(
        "/mail/compose/attachments",
        headers=headers,
        files={"file": ("../../\u202eevil.txt", b"hello", "text/plain")},
    )
    assert ok.status_code == 200
    upload = ok.json()
    assert upload["filename"] == "evil.txt"
    # Bob cannot attach alice's upload.
    from app.main import create_app

    bob = TestClient(create_app(compose_settings))
    login(bob, email="bob@example.com")
    response = _post(
        bob,
        action="send",
        to="alice@example.com",
        subject="steal",
        text="x",
        rich="0",
        attachment_ids=upload["id"],
    )
    assert response.status_code == 404  # type: ignore[attr-defined]
    removed = alice.post(f"/mail/compose/attachments/{upload['id']}/delete", headers=headers)
    assert removed.status_code == 204
    assert not any(uploads_root.glob("*/*.bin"))


def test_scheduled_time_in_the_past_is_refused(alice: TestClient) -> None:
    response = _post(
        alice,
        action="send",
        to="bob@example.com",
        subject="later",
        text="x",
        rich="0",
        send_at="2001-01-01T09:00",
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "in the past" in response.text  # type: ignore[attr-defined]


def test_autosave_after_the_session_expired_says_so(
    alice: TestClient, compose_settings: Settings
) -> None:
    from sqlalchemy import create_engine, delete

    from app.auth.models import WebSession

    token = csrf_token(alice, "/mail/compose")
    engine = create_engine(compose_settings.effective_database_url)
    with engine.begin() as conn:  # the session expires server-side; the browser keeps its cookie
        conn.execute(delete(WebSession))
    engine.dispose()
    response = alice.post(
        "/mail/compose",
        data={"csrf_token": token, "action": "save", "subject": "x"},
        headers={"Accept": "application/json"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Sign in again; nothing you typed is lost." in response.json()["error"]
    assert response.json()["login"].startswith("/login?next=")


ROLE_RIGHTS = ["lookup", "read", "write", "write-seen", "insert", "post", "expunge", "create"]


def _make_role_member(settings: Settings, *, can_send_as: bool) -> None:
    """info@example.com as a role mailbox alice works (alice signed in already)."""
    from sqlalchemy.orm import Session

    from app.directory import service as directory
    from app.directory.roles import set_role_member

    engine = make_engine(settings)
    with Session(engine) as db:
        alice = directory.find_account(db, email="alice@example.com")
        assert alice is not None
        info = directory.find_account(db, email="info@example.com") or directory.create_account(
            db, email="info@example.com", display_name="Info", kind="role", managed=False
        )
        set_role_member(db, role=info, member=alice, can_send_as=can_send_as)
        db.commit()
    engine.dispose()


def test_send_as_a_role_mailbox_files_the_copy_in_its_sent(
    alice: TestClient, compose_settings: Settings, mailstack: object
) -> None:
    _make_role_member(compose_settings, can_send_as=True)
    mailstack.stack.set_acl(
        "info@example.com",
        "Sent",
        "alice@example.com",  # type: ignore[attr-defined]
        ROLE_RIGHTS,
    )
    page = alice.get("/mail/compose").text
    assert '<option value="info@example.com"' in page
    marker = uuid.uuid4().hex[:8]
    response = _post(
        alice,
        action="send",
        identity="info@example.com",
        to="bob@example.com",
        subject=f"from info {marker}",
        text="hello from the team",
        rich="0",
    )
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert _deliver(compose_settings) == 1
    received = _wait_for(compose_settings, "bob@example.com", marker)
    assert received is not None
    assert received["From"].addresses[0].addr_spec == "info@example.com"
    assert _wait_for(compose_settings, "info@example.com", marker, folder="Sent") is not None
    assert (
        _wait_for(compose_settings, "alice@example.com", marker, folder="Sent", timeout=1) is None
    )


def test_replying_from_a_role_folder_defaults_to_that_identity(
    alice: TestClient, compose_settings: Settings, mailstack: object
) -> None:
    _make_role_member(compose_settings, can_send_as=True)
    mailstack.stack.set_acl(
        "info@example.com",
        "INBOX",
        "alice@example.com",  # type: ignore[attr-defined]
        ROLE_RIGHTS,
    )
    marker = uuid.uuid4().hex[:8]
    with _imap(compose_settings, "alice@example.com") as client:
        folder = "shared/info@example.com/INBOX"
        client.append(folder, f"From: c@example.org\r\nSubject: q {marker}\r\n\r\nhi\r\n".encode())
        client.select_folder(folder)
        uid = client.search(["SUBJECT", f"q {marker}"])[0]
    page = alice.get(f"/mail/compose?mode=reply&folder={folder}&uid={uid}").text
    assert '<option value="info@example.com" selected>' in page


def test_sending_as_an_address_not_granted_is_refused(
    alice: TestClient, compose_settings: Settings
) -> None:
    _make_role_member(compose_settings, can_send_as=False)
    page = alice.get("/mail/compose").text
    assert "info@example.com" not in page
    for address in ("info@example.com", "carol@example.org"):
        response = _post(
            alice,
            action="send",
            identity=address,
            to="bob@example.com",
            subject="spoof",
            text="x",
            rich="0",
        )
        assert response.status_code == 403  # type: ignore[attr-defined]
        assert f"You may not send as {address}" in response.text  # type: ignore[attr-defined]
    assert _deliver(compose_settings) == 0


def test_recipient_suggestions_come_from_the_directory_and_recent_use(
    alice: TestClient, compose_settings: Settings
) -> None:
    from sqlalchemy.orm import Session

    from app.directory import service as directory

    engine = make_engine(compose_settings)
    with Session(engine) as db:
        directory.create_account(
            db, email="dariush@example.com", display_name="داریوش کبیر", managed=False
        )
        db.commit()
    engine.dispose()
    found = alice.get("/mail/compose/recipients?q=داریوش").json()
    assert [(s["address"], s["kind"]) for s in found] == [("dariush@example.com", "person")]
    assert found[0]["label"] == "داریوش کبیر <dariush@example.com>"
    # An outside address becomes a suggestion once alice has written to it.
    assert alice.get("/mail/compose/recipients?q=partner").json() == []
    _post(
        alice, action="send", to="Partner Co <ceo@partner.example>", subject="x", text="x", rich="0"
    )
    found = alice.get("/mail/compose/recipients?q=partner").json()
    assert found == [
        {
            "address": "ceo@partner.example",
            "name": "Partner Co",
            "kind": "recent",
            "label": "Partner Co <ceo@partner.example>",
        }
    ]
    # Bob does not see what alice wrote to.
    from app.main import create_app

    bob = TestClient(create_app(compose_settings))
    login(bob, email="bob@example.com")
    assert bob.get("/mail/compose/recipients?q=partner").json() == []


def _original(settings: Settings, marker: str) -> int:
    raw = (
        f"From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: report {marker}\r\n"
        f"Message-ID: <r-{marker}@example.com>\r\n\r\nNumbers inside.\r\n"
    )
    with _imap(settings, "alice@example.com") as client:
        client.append("INBOX", raw.encode())
        client.select_folder("INBOX")
        return int(client.search(["SUBJECT", f"report {marker}"])[0])


def test_forward_as_attachment_sends_the_whole_message(
    alice: TestClient, compose_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    uid = _original(compose_settings, marker)
    page = alice.get(f"/mail/compose?mode=forward_attachment&folder=INBOX&uid={uid}").text
    assert f'value="Fwd: report {marker}"' in page and f"report {marker}.eml" in page
    ids = re.findall(r'name="attachment_ids" value="([0-9a-f]{32})"', page)
    response = _post(
        alice,
        action="send",
        to="carol@example.org",
        subject=f"Fwd: report {marker}",
        text="see attached",
        rich="0",
        attachment_ids=ids,
        reply_folder="INBOX",
        reply_uid=str(uid),
        forwarded="1",
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _deliver(compose_settings) == 1
    received = _wait_for(compose_settings, "carol@example.org", marker)
    assert received is not None
    part = next(received.iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    inner = part.get_content()
    assert (
        inner["Subject"] == f"report {marker}"
        and inner["Message-ID"] == f"<r-{marker}@example.com>"
    )
    with _imap(compose_settings, "alice@example.com") as client:
        client.select_folder("INBOX", readonly=True)
        assert b"$Forwarded" in client.get_flags([uid])[uid]


def test_edit_as_new_copies_the_message_without_threading(
    alice: TestClient, compose_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    uid = _original(compose_settings, marker)
    page = alice.get(f"/mail/compose?mode=edit_as_new&folder=INBOX&uid={uid}").text
    assert f'value="report {marker}"' in page and 'value="alice@example.com"' in page
    assert 'name="in_reply_to" value=""' in page and 'name="reply_uid" value=""' in page
    assert "Numbers inside." in page


def test_reply_to_a_missing_folder_or_invalid_uid_is_404(alice: TestClient) -> None:
    for query in (
        "draft=-1",
        "draft=0",
        f"draft={2**40}",
        "mode=reply&folder=No%20such%20folder&uid=1",
        "mode=forward&folder=INBOX&uid=-1",
        "mode=reply&folder=a%00b&uid=1",
    ):
        response = alice.get(f"/mail/compose?{query}")
        assert response.status_code == 404, query
        assert "No such message." in response.text
    assert alice.get("/mail/compose").status_code == 200  # the session is fine afterwards


def test_attachments_over_the_limit_together_are_refused_at_send(alice: TestClient) -> None:
    marker = uuid.uuid4().hex[:8]
    token = csrf_token(alice, "/mail/compose")
    ids = []
    for name in ("a.bin", "b.bin"):  # each under the 1 MB limit, together over it
        upload = alice.post(
            "/mail/compose/attachments",
            headers={"X-CSRF-Token": token},
            files={"file": (name, b"x" * (700 * 1024))},
        )
        assert upload.status_code == 200, upload.text
        ids.append(upload.json()["id"])
    response = _post(
        alice,
        action="send",
        to="bob@example.com",
        subject=f"too much {marker}",
        text="two files",
        attachment_ids=ids,
    )
    assert response.status_code == 413  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "at most 1.0 MB in all" in page
    assert f'value="too much {marker}"' in page and "a.bin" in page and "b.bin" in page
    assert f"too much {marker}" not in alice.get("/mail/outbox").text  # nothing queued
