"""Undo send, scheduled send and drafts, through the real Postfix and Dovecot."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from app.auth.imap_login import ImapEndpoint
from app.db import make_engine, make_session_factory, utcnow
from app.errors import Conflict, NotFound
from app.mail import filing, outbox
from app.mail.compose import Draft, build_message
from app.mail.models import OutboxMessage
from app.mail.outbox_worker import process_due
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.integration.mail.test_send import _imap, _wait_for

SECRET = b"test-secret-key-0123456789abcdef"


@pytest.fixture
def sessions(migrated_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_settings)
    yield make_session_factory(engine)
    engine.dispose()


def _queue(
    sessions: sessionmaker[Session],
    marker: str,
    *,
    delay: float = 0,
    to: str = "bob@example.com",
    **kwargs: object,
) -> int:
    outgoing = build_message(
        Draft(sender="alice@example.com", to=[to], subject=f"outbox {marker}", text="hello"),
        timezone="UTC",
    )
    with sessions() as db:
        row = outbox.queue(
            db,
            secret=SECRET,
            email="alice@example.com",
            password=TEST_PASSWORD,
            outgoing=outgoing,
            send_at=utcnow() + timedelta(seconds=delay),
            **kwargs,
        )  # type: ignore[arg-type]
        db.commit()
        return row.id


def _run(sessions: sessionmaker[Session], settings: Settings) -> int:
    return asyncio.run(process_due(sessions, settings=settings, secret=SECRET))


def test_due_message_is_sent_filed_in_sent_and_removed(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:10]
    outbox_id = _queue(sessions, marker)
    assert _run(sessions, migrated_settings) == 1
    assert _wait_for(migrated_settings, "bob@example.com", marker) is not None
    assert _wait_for(migrated_settings, "alice@example.com", marker, folder="Sent") is not None
    with sessions() as db:
        assert db.get(OutboxMessage, outbox_id) is None


def test_undo_before_the_delay_means_nothing_is_sent(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:10]
    outbox_id = _queue(sessions, marker, delay=30)
    assert _run(sessions, migrated_settings) == 0  # not due yet
    with sessions() as db:
        taken_back = outbox.cancel(db, email="alice@example.com", outbox_id=outbox_id)
        db.commit()
        assert taken_back.status == "cancelled" and taken_back.credential is None
        assert b"hello" in taken_back.raw  # what was typed comes back to the editor
    with sessions() as db:
        row = db.get(OutboxMessage, outbox_id)
        assert row is not None
        row.send_at = utcnow() - timedelta(seconds=1)
        db.commit()
    assert _run(sessions, migrated_settings) == 0
    assert _wait_for(migrated_settings, "bob@example.com", marker, timeout=2) is None


def test_only_the_owner_can_cancel_and_not_after_sending(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    outbox_id = _queue(sessions, uuid.uuid4().hex[:10])
    with sessions() as db, pytest.raises(NotFound):
        outbox.cancel(db, email="bob@example.com", outbox_id=outbox_id)
    with sessions() as db:
        assert outbox.claim_due(db, now=utcnow()) == [outbox_id]
    with sessions() as db, pytest.raises(Conflict):
        outbox.cancel(db, email="alice@example.com", outbox_id=outbox_id)


def test_a_refused_send_keeps_the_message_with_the_reason(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    outbox_id = _queue(sessions, uuid.uuid4().hex[:10], to="nobody@example.com")
    assert _run(sessions, migrated_settings) == 0
    with sessions() as db:
        row = db.get(OutboxMessage, outbox_id)
        assert row is not None and row.status == "failed"
        assert "nobody@example.com" in row.error and "550" in row.error
        assert row.credential is None and b"hello" in row.raw
        assert [r.id for r in outbox.pending_for(db, email="alice@example.com")] == [outbox_id]


def test_the_stored_credential_is_sealed(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    _queue(sessions, uuid.uuid4().hex[:10], delay=60)
    with sessions() as db:
        row = db.scalars(select(OutboxMessage)).one()
        assert row.credential and TEST_PASSWORD.encode() not in row.credential
    raw = (migrated_settings.data_dir / "hamkar.db").read_bytes()
    assert TEST_PASSWORD.encode() not in raw


def test_reply_marks_the_original_answered(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:10]
    with _imap(migrated_settings, "alice@example.com") as client:
        client.append("INBOX", f"Subject: original {marker}\r\n\r\nbody\r\n".encode())
        client.select_folder("INBOX")
        uid = client.search(["SUBJECT", f"original {marker}"])[0]
    _queue(sessions, marker, reply=outbox.ReplyTarget(folder="INBOX", uid=uid))
    assert _run(sessions, migrated_settings) == 1
    with _imap(migrated_settings, "alice@example.com") as client:
        client.select_folder("INBOX", readonly=True)
        assert b"\\Answered" in client.get_flags([uid])[uid]


def test_drafts_are_replaced_and_removed_after_sending(
    sessions: sessionmaker[Session], migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:10]
    endpoint = ImapEndpoint.from_settings(migrated_settings)
    first = build_message(
        Draft(
            sender="alice@example.com", to=["bob@example.com"], subject=f"draft {marker}", text="v1"
        ),
        timezone="UTC",
    )
    uid1 = filing.save_draft(
        endpoint, email="alice@example.com", password=TEST_PASSWORD, raw=first.as_bytes()
    )
    second = build_message(
        Draft(
            sender="alice@example.com", to=["bob@example.com"], subject=f"draft {marker}", text="v2"
        ),
        timezone="UTC",
    )
    uid2 = filing.save_draft(
        endpoint,
        email="alice@example.com",
        password=TEST_PASSWORD,
        raw=second.as_bytes(),
        replaces_uid=uid1,
    )
    assert uid1 and uid2 and uid2 != uid1
    with _imap(migrated_settings, "alice@example.com") as client:
        client.select_folder("Drafts", readonly=True)
        assert client.search(["SUBJECT", marker]) == [uid2]
        assert b"\\Draft" in client.get_flags([uid2])[uid2]
    _queue(sessions, marker, draft_uid=uid2)
    assert _run(sessions, migrated_settings) == 1
    with _imap(migrated_settings, "alice@example.com") as client:
        client.select_folder("Drafts", readonly=True)
        assert client.search(["SUBJECT", marker]) == []


def test_the_app_worker_delivers_in_the_background(migrated_settings: Settings) -> None:
    from app.main import create_app

    marker = uuid.uuid4().hex[:10]
    engine = create_engine(migrated_settings.effective_database_url)
    with TestClient(create_app(migrated_settings)):  # the lifespan starts the worker
        _queue(make_session_factory(engine), marker)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with Session(engine) as db:
                if db.scalars(select(OutboxMessage)).first() is None:
                    break
            time.sleep(0.2)
    assert _wait_for(migrated_settings, "bob@example.com", marker) is not None
    engine.dispose()
