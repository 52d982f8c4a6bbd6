""" "bob is replying" in Chromium: bob opens a reply in info@'s INBOX, alice sees it live.

Two browser contexts (two people) against a live server and the real mail stack; the notice
comes and goes without reloading alice's page.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.db import make_engine
from app.directory import service as directory
from app.directory.roles import set_role_member
from app.settings import Settings
from tests.conftest import TEST_PASSWORD, MailStackInfo
from tests.integration.mail.test_send import _imap

FOLDER = "shared/info@example.com/INBOX"
RIGHTS = ["lookup", "read", "write", "write-seen", "insert", "post", "expunge", "create"]


def _team(settings: Settings, mailstack: MailStackInfo) -> int:
    """alice and bob work info@; returns the uid of a new message in its INBOX."""
    engine = make_engine(settings)
    with Session(engine) as db:
        directory.create_organization(db, name="Example", slug="example", domains=["example.com"])
        info = directory.create_account(
            db, email="info@example.com", display_name="Info", kind="role", managed=False
        )
        for email, name in (("alice@example.com", "Alice"), ("bob@example.com", "Bob Bahrami")):
            member = directory.create_account(db, email=email, display_name=name, managed=False)
            set_role_member(db, role=info, member=member, can_send_as=False)
        db.commit()
    engine.dispose()
    for member in ("alice@example.com", "bob@example.com"):
        mailstack.stack.set_acl("info@example.com", "INBOX", member, RIGHTS)
    marker = uuid.uuid4().hex[:8]
    with _imap(settings, "alice@example.com") as client:
        client.append(
            FOLDER, f"From: c@example.org\r\nSubject: asks {marker}\r\n\r\nhi\r\n".encode()
        )
        client.select_folder(FOLDER)
        return int(client.search(["SUBJECT", f"asks {marker}"])[0])


def _person(browser: Any, base: str, email: str, problems: list[str]) -> Any:
    page = browser.new_context().new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mail/INBOX")
    return page


def test_alice_sees_bob_replying_live(
    browser: Any, live_server: str, migrated_settings: Settings, mailstack: MailStackInfo
) -> None:
    uid = _team(migrated_settings, mailstack)
    problems: list[str] = []
    alice = _person(browser, live_server, "alice@example.com", problems)
    bob = _person(browser, live_server, "bob@example.com", problems)

    alice.goto(f"{live_server}/mail/{FOLDER}/{uid}")
    notice = alice.locator("#replying-notice")
    assert notice.is_hidden()

    bob.goto(f"{live_server}/mail/compose?mode=reply&folder={FOLDER}&uid={uid}")
    notice.wait_for(state="visible", timeout=60_000)
    assert notice.inner_text() == "Bob Bahrami is replying"
    # The notice sits under the subject of the open message.
    assert alice.locator(".message-subject + #replying-notice").count() == 1

    # In the folder's list, the row of that message carries the mark.
    lister = _person(browser, live_server, "alice@example.com", problems)
    lister.goto(f"{live_server}/mail/{FOLDER}")
    mark = lister.locator(f'.message-row[data-uid="{uid}"] .replying-mark')
    mark.wait_for(state="visible", timeout=60_000)
    assert mark.inner_text() == "Bob Bahrami is replying"

    # bob leaves the compose page (sent, discarded or closed): the notice goes away by itself.
    bob.goto(f"{live_server}/mail/INBOX")
    notice.wait_for(state="hidden", timeout=60_000)
    mark.wait_for(state="detached", timeout=60_000)
    assert problems == []


def _heartbeats(page: Any) -> list[str]:
    beats: list[str] = []
    page.on(
        "request",
        lambda r: (
            beats.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/mail/-/replying")
            else None
        ),
    )
    return beats


def _open_reply_with_a_fake_clock(page: Any, base: str, uid: int) -> None:
    page.clock.install()
    with page.expect_response(lambda r: r.url.endswith("/mail/-/replying")):
        page.goto(f"{base}/mail/compose?mode=reply&folder={FOLDER}&uid={uid}")
    page.wait_for_timeout(300)  # the first beat's answer is read and the renewal planned


def test_the_compose_page_renews_while_open_and_only_for_a_role_mailbox(
    browser: Any, live_server: str, migrated_settings: Settings, mailstack: MailStackInfo
) -> None:
    uid = _team(migrated_settings, mailstack)
    problems: list[str] = []
    bob = _person(browser, live_server, "bob@example.com", problems)
    beats = _heartbeats(bob)
    _open_reply_with_a_fake_clock(bob, live_server, uid)
    bob.clock.run_for(46_000)
    bob.wait_for_timeout(300)
    assert [b for b in beats if "state=on" in b] and len(beats) == 4, beats

    # info@ as a person who shares the INBOX, not a role mailbox: one beat, then silence.
    engine = make_engine(migrated_settings)
    with Session(engine) as db:
        info = directory.find_account(db, email="info@example.com")
        assert info is not None
        info.kind = "person"
        db.commit()
    engine.dispose()
    bob_again = _person(browser, live_server, "bob@example.com", problems)
    beats = _heartbeats(bob_again)
    _open_reply_with_a_fake_clock(bob_again, live_server, uid)
    bob_again.clock.run_for(61_000)
    bob_again.wait_for_timeout(300)
    assert len(beats) == 1, beats
    assert problems == []
