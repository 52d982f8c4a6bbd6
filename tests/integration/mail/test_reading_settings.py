"""The "mark as read" setting: at once, after some seconds of viewing (by the page), never."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.settings import Settings
from tests.helpers import csrf_token
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_pages import _signed_in


def _save(client: TestClient, **fields: str) -> object:
    data = {"csrf_token": csrf_token(client, "/settings"), "mail_reading": "1", **fields}
    return client.post("/settings", data=data, follow_redirects=False)


def _seen_on_server(settings: Settings, address: str, uid: int) -> bool:
    checker = other_client(settings, address)
    checker.select_folder("INBOX", readonly=True)
    flags = checker.get_flags([uid])[uid]
    checker.logout()
    return b"\\Seen" in flags


def test_never_leaves_an_opened_message_unread(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="keep unread"))
    _signed_in(client, mailbox)
    assert _save(client, mark_read="never", mark_read_delay="5").status_code == 303  # type: ignore[attr-defined]
    assert 'value="never" checked' in client.get("/settings").text
    page = client.get("/mail/INBOX/1")
    assert page.status_code == 200 and "data-mark-read-after" not in page.text
    assert "<title>(1) keep unread" in page.text
    assert not _seen_on_server(settings, mailbox, 1)
    assert 'class="message-row unread' in client.get("/mail/INBOX").text


def test_delay_hands_the_page_the_seconds_and_marks_when_asked(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="read me slowly"))
    _signed_in(client, mailbox)
    _save(client, mark_read="delay", mark_read_delay="7")
    page = client.get("/mail/INBOX/1")
    assert 'data-mark-read-after="7"' in page.text
    assert not _seen_on_server(settings, mailbox, 1)
    token = csrf_token(client, "/mail/INBOX")
    marked = client.post("/mail/-/seen", data={"csrf_token": token, "folder": "INBOX", "uid": "1"})
    assert marked.status_code == 200
    # The answer is the folder tree and the title without the unread count.
    assert '<nav class="mail-folders" id="mail-folders"' in marked.text
    assert "<title>read me slowly · Hamkar</title>" in marked.text
    assert 'class="unread-count"' not in marked.text
    assert _seen_on_server(settings, mailbox, 1)
    # Seen messages are not asked to be marked again.
    assert "data-mark-read-after" not in client.get("/mail/INBOX/1").text


def test_now_marks_at_once_and_the_title_counts_it(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    for subject in ("first", "second"):
        deliver(settings, mailbox, make_message(to=mailbox, subject=subject))
    _signed_in(client, mailbox)
    assert "<title>(2) Mail" in client.get("/mail/INBOX").text
    page = client.get("/mail/INBOX/1")
    assert "<title>(1) first · Hamkar</title>" in page.text  # the count after this opening
    assert _seen_on_server(settings, mailbox, 1)


def test_bad_settings_are_refused_with_the_reason(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    _signed_in(client, mailbox)
    refused = _save(client, mark_read="delay", mark_read_delay="0")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "between 1 and 300 seconds" in refused.text  # type: ignore[attr-defined]
    assert _save(client, mark_read="sometimes").status_code == 400  # type: ignore[attr-defined]
    assert _save(client, mark_read_delay="abc").status_code == 400  # type: ignore[attr-defined]
    assert 'value="now" checked' in client.get("/settings").text


def test_mark_seen_of_an_unknown_message_is_404(client: TestClient, mailbox: str) -> None:
    _signed_in(client, mailbox)
    token = csrf_token(client, "/mail/INBOX")
    missing = client.post("/mail/-/seen", data={"csrf_token": token, "folder": "INBOX", "uid": "9"})
    assert missing.status_code == 404
    assert client.post("/mail/-/seen", data={"folder": "INBOX", "uid": "1"}).status_code == 403
