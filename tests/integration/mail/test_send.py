"""Sending through the real Postfix to the real Dovecot: encoding, envelope, refusals."""

from __future__ import annotations

import asyncio
import email
import ssl
import time
import uuid
from email import policy
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient

from app.auth.imap_login import ImapEndpoint
from app.errors import Invalid, TooLarge, Unauthorized
from app.mail.compose import Attachment, Draft, build_message
from app.mail.filing import append_to_sent
from app.mail.submit import RecipientsRefused, SmtpEndpoint, send
from app.settings import Settings
from tests.conftest import TEST_PASSWORD

PERSIAN_SUBJECT = "گزارش جلسهٔ هفتگی — Weekly report"
PERSIAN_FILENAME = "قرارداد نهایی.pdf"


def _imap(settings: Settings, user: str) -> IMAPClient:
    context = ssl.create_default_context(cafile=str(settings.effective_tls_ca_file))
    client = IMAPClient("127.0.0.1", port=settings.imap_port, ssl=False, timeout=10)
    client.starttls(context)
    client.login(user, TEST_PASSWORD)
    return client


def _wait_for(
    settings: Settings, user: str, marker: str, folder: str = "INBOX", timeout: float = 15
) -> EmailMessage | None:
    """The message whose subject contains ``marker`` in ``folder``, polled over IMAP."""
    deadline = time.monotonic() + timeout
    with _imap(settings, user) as client:
        while time.monotonic() < deadline:
            client.select_folder(folder, readonly=True)
            uids = client.search(["SUBJECT", marker], charset="UTF-8")
            if uids:
                raw = client.fetch(uids[-1:], ["RFC822"])[uids[-1]][b"RFC822"]
                message = email.message_from_bytes(raw, policy=policy.default)
                assert isinstance(message, EmailMessage)
                return message
            time.sleep(0.2)
    return None


def _send(settings: Settings, draft: Draft, password: str = TEST_PASSWORD) -> bytes:
    outgoing = build_message(draft, timezone="Asia/Tehran")
    asyncio.run(
        send(
            SmtpEndpoint.from_settings(settings),
            username="alice@example.com",
            password=password,
            outgoing=outgoing,
        )
    )
    return outgoing.as_bytes()


def test_persian_mail_with_attachment_arrives_byte_correct(settings: Settings) -> None:
    marker = uuid.uuid4().hex[:10]
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 64
    draft = Draft(
        sender="آلیس <alice@example.com>",
        to=["باب <bob@example.com>"],
        subject=f"{PERSIAN_SUBJECT} {marker}",
        text="سلام باب،\nگزارش پیوست است.\n",
        html="<p>سلام <b>باب</b></p><script>alert(1)</script>",
        attachments=[Attachment(PERSIAN_FILENAME, "application/pdf", pdf)],
    )
    raw = _send(settings, draft)
    received = _wait_for(settings, "bob@example.com", marker)
    assert received is not None, "the message did not reach bob's INBOX"
    assert received["Subject"] == f"{PERSIAN_SUBJECT} {marker}"
    assert received["From"].addresses[0].display_name == "آلیس"
    assert received["Date"].datetime.utcoffset().total_seconds() == 3.5 * 3600
    assert received["Message-ID"].endswith("@example.com>")
    body = received.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "سلام باب،\nگزارش پیوست است.\n"
    html = received.get_body(("html",))
    assert html is not None and "<script" not in html.get_content()
    attachments = list(received.iter_attachments())
    assert [a.get_filename() for a in attachments] == [PERSIAN_FILENAME]
    assert attachments[0].get_content() == pdf
    # Filing the copy in alice's Sent keeps it byte for byte.
    folder = append_to_sent(
        ImapEndpoint.from_settings(settings),
        email="alice@example.com",
        password=TEST_PASSWORD,
        raw=raw,
    )
    assert folder == "Sent"
    with _imap(settings, "alice@example.com") as client:
        client.select_folder("Sent", readonly=True)
        uids = client.search(["HEADER", "Message-ID", received["Message-ID"]])
        assert len(uids) == 1
        stored = client.fetch(uids, ["RFC822", "FLAGS"])[uids[0]]
        assert stored[b"RFC822"].replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
        assert b"\\Seen" in stored[b"FLAGS"]


def test_bcc_is_delivered_but_not_shown(settings: Settings) -> None:
    marker = uuid.uuid4().hex[:10]
    _send(
        settings,
        Draft(
            sender="alice@example.com",
            to=["bob@example.com"],
            bcc=["carol@example.org"],
            subject=f"bcc {marker}",
            text="hi",
        ),
    )
    for user in ("bob@example.com", "carol@example.org"):
        received = _wait_for(settings, user, marker)
        assert received is not None, user
        assert "Bcc" not in received and "carol" not in received.as_string().split("\n\n")[0]


def test_reply_threading_and_priority_headers(settings: Settings) -> None:
    marker = uuid.uuid4().hex[:10]
    parent = "<original-123@example.com>"
    _send(
        settings,
        Draft(
            sender="alice@example.com",
            to=["bob@example.com"],
            subject=f"Re: plan {marker}",
            text="agreed",
            in_reply_to=parent,
            references=["<root-1@example.com>"],
            priority="high",
            request_read_receipt=True,
        ),
    )
    received = _wait_for(settings, "bob@example.com", marker)
    assert received is not None
    assert received["In-Reply-To"] == parent
    assert received["References"].split() == ["<root-1@example.com>", parent]
    assert received["X-Priority"].startswith("1") and received["Importance"] == "high"
    assert received["Disposition-Notification-To"] == "alice@example.com"


def test_refused_recipient_stops_the_whole_send(settings: Settings) -> None:
    marker = uuid.uuid4().hex[:10]
    draft = Draft(
        sender="alice@example.com",
        to=["bob@example.com", "nobody@example.com"],
        subject=f"partial {marker}",
        text="x",
    )
    with pytest.raises(RecipientsRefused) as refused:
        _send(settings, draft)
    assert list(refused.value.refused) == ["nobody@example.com"]
    assert refused.value.refused["nobody@example.com"].startswith("550")
    assert _wait_for(settings, "bob@example.com", marker, timeout=2) is None


def test_wrong_password_is_reported(settings: Settings) -> None:
    draft = Draft(sender="alice@example.com", to=["bob@example.com"], subject="x", text="x")
    with pytest.raises(Unauthorized):
        _send(settings, draft, password="wrong")


def test_message_over_the_server_size_is_refused_before_sending(settings: Settings) -> None:
    big = Attachment("big.bin", "application/octet-stream", b"\0" * (40 * 1024 * 1024))
    draft = Draft(
        sender="alice@example.com",
        to=["bob@example.com"],
        subject="big",
        text="x",
        attachments=[big],
    )
    with pytest.raises(TooLarge) as error:
        _send(settings, draft)
    assert "50.0 MB" in str(error.value)


@pytest.mark.parametrize("field", ["to", "sender", "cc"])
def test_header_injection_in_addresses_is_refused(field: str) -> None:
    values = {"sender": "alice@example.com", "to": ["bob@example.com"], "cc": []}
    hostile = "bob@example.com\r\nBcc: victim@evil.example"
    values[field] = hostile if field == "sender" else [hostile]
    with pytest.raises(Invalid):
        build_message(Draft(subject="x", text="x", **values), timezone="UTC")  # type: ignore[arg-type]


def test_header_injection_in_subject_and_names_cannot_add_headers() -> None:
    outgoing = build_message(
        Draft(
            sender='"Alice\\r\\nBcc: x@evil.example" <alice@example.com>',
            to=["bob@example.com"],
            subject="Hello\r\nBcc: victim@evil.example\x00",
            text="x",
        ),
        timezone="UTC",
    )
    headers = outgoing.as_bytes().split(b"\r\n\r\n")[0]
    assert b"\r\nBcc:" not in headers
    assert outgoing.message["Subject"] == "Hello Bcc: victim@evil.example"
    assert outgoing.recipients == ["bob@example.com"]
    with pytest.raises(Invalid):
        build_message(
            Draft(
                sender="Alice\r\nBcc: x@evil.example <alice@example.com>",
                to=["bob@example.com"],
                subject="x",
                text="x",
            ),
            timezone="UTC",
        )


def test_invalid_addresses_are_listed() -> None:
    with pytest.raises(Invalid) as error:
        build_message(
            Draft(
                sender="alice@example.com",
                to=["bob@example.com, not an address", "x@", "@y.com"],
                subject="x",
                text="x",
            ),
            timezone="UTC",
        )
    assert "not an address" in str(error.value) and "x@" in str(error.value)


def test_attachment_filenames_are_neutralised() -> None:
    outgoing = build_message(
        Draft(
            sender="alice@example.com",
            to=["bob@example.com"],
            subject="x",
            text="x",
            attachments=[Attachment("../../etc/\u202egpj.exe", "text/plain\r\nX: y", b"data")],
        ),
        timezone="UTC",
    )
    part = next(outgoing.message.iter_attachments())
    assert part.get_filename() == "gpj.exe"
    assert part.get_content_type() == "application/octet-stream"
