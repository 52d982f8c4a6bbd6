""" "bob is replying": presence on role mailbox messages, across two app processes.

alice and bob both work info@example.com (directory membership and IMAP ACL on the real
Dovecot). bob opens a reply to a message of shared/info@example.com/INBOX in one app instance;
alice, signed in to another instance over the same database, sees "bob is replying" on that
message until bob sends, leaves, or stops renewing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import make_engine, utcnow
from app.directory import service as directory
from app.directory.roles import set_role_member
from app.mail import presence
from app.settings import Settings
from tests.conftest import MailStackInfo
from tests.helpers import csrf_token, login
from tests.integration.mail.test_send import _imap

FOLDER = "shared/info@example.com/INBOX"
RIGHTS = ["lookup", "read", "write", "write-seen", "insert", "post", "expunge", "create"]


@pytest.fixture
def quiet_settings(migrated_settings: Settings) -> Settings:
    return migrated_settings.model_copy(update={"outbox_worker": False, "undo_send_seconds": 0})


def _signed_in(settings: Settings, email: str) -> TestClient:
    """A session in its own app instance (another process, as far as the app can tell)."""
    from app.main import create_app

    client = TestClient(create_app(settings))
    assert login(client, email=email).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.fixture
def team(
    quiet_settings: Settings, mailstack: MailStackInfo
) -> Iterator[tuple[TestClient, TestClient, int]]:
    """alice and bob signed in, both members of info@; the uid of a new message in its INBOX."""
    alice = _signed_in(quiet_settings, "alice@example.com")
    bob = _signed_in(quiet_settings, "bob@example.com")
    engine = make_engine(quiet_settings)
    with Session(engine) as db:
        info = directory.find_account(db, email="info@example.com") or directory.create_account(
            db, email="info@example.com", display_name="Info", kind="role", managed=False
        )
        for email, name in (("alice@example.com", "Alice"), ("bob@example.com", "Bob Bahrami")):
            member = directory.find_account(db, email=email)
            assert member is not None
            member.display_name = name
            set_role_member(db, role=info, member=member, can_send_as=False)
        db.commit()
    engine.dispose()
    for member in ("alice@example.com", "bob@example.com"):
        mailstack.stack.set_acl("info@example.com", "INBOX", member, RIGHTS)
    marker = uuid.uuid4().hex[:8]
    with _imap(quiet_settings, "alice@example.com") as client:
        client.append(FOLDER, f"From: c@example.org\r\nSubject: q {marker}\r\n\r\nhi\r\n".encode())
        client.select_folder(FOLDER)
        uid = client.search(["SUBJECT", f"q {marker}"])[0]
    yield alice, bob, uid
    alice.close()
    bob.close()


def _beat(client: TestClient, uid: int, state: str = "on") -> dict[str, object]:
    token = csrf_token(client, "/mail/compose")
    response = client.post(
        "/mail/-/replying",
        data={"folder": FOLDER, "uid": str(uid), "state": state},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _replying(client: TestClient) -> dict[str, list[str]]:
    response = client.get("/mail/-/replying", params={"folder": FOLDER})
    assert response.status_code == 200
    return response.json()["replying"]  # type: ignore[no-any-return]


def test_alice_sees_bob_replying_until_he_sends(
    team: tuple[TestClient, TestClient, int], quiet_settings: Settings
) -> None:
    alice, bob, uid = team
    compose = bob.get(f"/mail/compose?mode=reply&folder={FOLDER}&uid={uid}")
    assert compose.status_code == 200
    assert 'id="replying-heartbeat"' in compose.text and f'data-uid="{uid}"' in compose.text
    assert _replying(alice) == {}

    assert _beat(bob, uid) == {"shared": True, "renew_seconds": presence.HEARTBEAT_SECONDS}
    assert _replying(alice) == {str(uid): ["Bob Bahrami"]}
    assert _replying(bob) == {}  # nobody is told about themselves
    message = alice.get(f"/mail/{FOLDER}/{uid}").text
    assert 'id="replying-notice"' in message and "{name} is replying" in message
    assert alice.get(f"/mail/{FOLDER}").text.count('id="replying-notice"') == 1

    token = csrf_token(bob, f"/mail/compose?mode=reply&folder={FOLDER}&uid={uid}")
    sent = bob.post(
        "/mail/compose",
        data={
            "csrf_token": token,
            "action": "send",
            "to": "c@example.org",
            "subject": "Re: q",
            "text": "on it",
            "rich": "0",
            "reply_folder": FOLDER,
            "reply_uid": str(uid),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert _replying(alice) == {}


def test_leaving_the_compose_page_or_going_silent_ends_it(
    team: tuple[TestClient, TestClient, int], quiet_settings: Settings
) -> None:
    alice, bob, uid = team
    _beat(bob, uid)
    _beat(alice, uid)
    assert _replying(alice) == {str(uid): ["Bob Bahrami"]}
    assert _replying(bob) == {str(uid): ["Alice"]}
    _beat(bob, uid, "off")  # the page went away (pagehide)
    assert _replying(alice) == {}

    # No renewal for a minute: the row has expired for every process.
    engine = make_engine(quiet_settings)
    with Session(engine) as db:
        me = directory.find_account(db, email="bob@example.com")
        assert me is not None
        later = utcnow() + presence.REPLYING_TTL + timedelta(seconds=1)
        assert presence.replying_in_folder(db, account=me, folder=FOLDER) == {uid: ["Alice"]}
        assert presence.replying_in_folder(db, account=me, folder=FOLDER, now=later) == {}
    engine.dispose()


def test_people_outside_the_role_mailbox_see_and_say_nothing(
    team: tuple[TestClient, TestClient, int], quiet_settings: Settings
) -> None:
    alice, bob, uid = team
    _beat(bob, uid)
    carol = _signed_in(quiet_settings, "carol@example.org")
    token = csrf_token(carol, "/mail/compose")
    assert carol.get("/mail/-/replying", params={"folder": FOLDER}).json() == {"replying": {}}
    said = carol.post(
        "/mail/-/replying",
        data={"folder": FOLDER, "uid": str(uid)},
        headers={"X-CSRF-Token": token},
    )
    assert said.json()["shared"] is False
    assert _replying(alice) == {str(uid): ["Bob Bahrami"]}
    # A private folder has no presence either, and the heartbeat needs the CSRF token.
    assert bob.get("/mail/-/replying", params={"folder": "INBOX"}).json() == {"replying": {}}
    forged = bob.post("/mail/-/replying", data={"folder": FOLDER, "uid": str(uid)})
    assert forged.status_code == 403
    carol.close()
