"""Advanced search: body text in every folder, dates, flags, attachments, paging."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from starlette.testclient import TestClient

from app.settings import Settings
from tests.integration.mail.conftest import make_message, other_client
from tests.integration.mail.test_pages import _signed_in


def _found(html: str) -> list[str]:
    import re

    return re.findall(r'class="subject"><a href="[^"]+"><bdi>([^<]*)</bdi>', html)


def test_body_text_in_all_folders_with_filters(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    other = other_client(settings, mailbox)
    old = datetime(2024, 3, 1, 12, tzinfo=UTC)
    other.append("INBOX", make_message(to=mailbox, subject="inbox hit", body="the aardvark report"))
    other.append(
        "Archive",
        make_message(to=mailbox, subject="archived hit", body="an aardvark"),
        msg_time=old,
    )
    other.append("INBOX", make_message(to=mailbox, subject="no hit", body="nothing here"))
    flagged = make_message(to=mailbox, subject="flagged one", body="aardvark again")
    other.append("Sent", flagged, flags=[b"\\Flagged", b"\\Seen"])
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "x@example.org", mailbox, "with file"
    msg.set_content("file inside")
    msg.add_attachment(b"data", maintype="application", subtype="octet-stream", filename="f.bin")
    other.append("INBOX", msg.as_bytes())
    other.logout()
    _signed_in(client, mailbox)

    everywhere = _found(client.get("/mail/search", params={"text": "aardvark"}).text)
    assert sorted(everywhere) == ["archived hit", "flagged one", "inbox hit"]
    in_archive = client.get("/mail/search", params={"text": "aardvark", "folder": "Archive"}).text
    assert _found(in_archive) == ["archived hit"]
    dated = client.get("/mail/search", params={"text": "aardvark", "until": "2024-12-31"}).text
    assert _found(dated) == ["archived hit"]
    assert _found(client.get("/mail/search", params={"flagged": "1"}).text) == ["flagged one"]
    assert _found(client.get("/mail/search", params={"attachments": "1"}).text) == ["with file"]
    wrong = client.get("/mail/search", params={"since": "2025-01-01", "until": "2024-01-01"})
    assert wrong.status_code == 400 and "start date is after" in wrong.text
    assert client.get("/mail/search", params={"since": "not-a-date"}).status_code == 400


def test_results_are_paged(client: TestClient, mailbox: str, settings: Settings) -> None:
    other = other_client(settings, mailbox)
    for n in range(53):
        other.append("INBOX", make_message(to=mailbox, subject=f"paged {n:02d}"))
    other.logout()
    _signed_in(client, mailbox)
    first = client.get("/mail/search", params={"q": "paged"}).text
    assert len(_found(first)) == 50 and 'rel="next"' in first
    second = client.get("/mail/search", params={"q": "paged", "page": "2"}).text
    assert len(_found(second)) == 3 and 'rel="next"' not in second
