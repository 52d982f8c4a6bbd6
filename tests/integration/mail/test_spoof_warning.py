"""The spoof warning on the message view, for mail delivered through the real stack."""

from __future__ import annotations

import base64
import html
import re

from starlette.testclient import TestClient

from app.settings import Settings
from tests.integration.mail.conftest import deliver
from tests.integration.mail.test_pages import _signed_in


def _raw(to: str, from_header: str, extra: str = "") -> bytes:
    return (
        f"From: {from_header}\r\nTo: {to}\r\n{extra}Subject: please pay\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nwire the money today\r\n"
    ).encode()


def _warnings(client: TestClient, uid: int) -> list[str]:
    page = client.get(f"/mail/INBOX/{uid}")
    assert page.status_code == 200
    block = re.search(r'<div class="sender-warning" role="alert">(.*?)</div>', page.text, re.S)
    if block is None:
        return []
    return [
        html.unescape(item) for item in re.findall(r"<li><bdi>(.*?)</bdi></li>", block.group(1))
    ]


def test_spoofing_tricks_are_named_and_honest_mail_is_not(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    hidden = base64.b64encode(b"ceo@example.com <ceo@example.com>").decode()
    persian = base64.b64encode("سارا احمدی‌نژاد".encode()).decode()
    messages = [
        _raw(mailbox, '"ceo@example.com" <attacker@evil.example>'),
        _raw(mailbox, f"=?utf-8?b?{hidden}?= <attacker@evil.example>"),
        _raw(mailbox, "PayPal <service@xn--pypal-4ve.com>"),
        _raw(mailbox, "CEO <ceo@example.com>", "Reply-To: <ceo.private@evil.example>\r\n"),
        _raw(
            mailbox,
            f"=?utf-8?b?{persian}?= <sara@example.org>",
            "Reply-To: <s@lists.example.org>\r\n",
        ),
    ]
    for raw in messages:
        deliver(settings, mailbox, raw)
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")

    assert _warnings(client, 1) == [
        "The sender's name shows ceo@example.com, but the message is from attacker@evil.example."
    ]
    encoded = _warnings(client, 2)
    assert encoded[0] == (
        "The sender's name is encoded to look like something else: "
        "ceo@example.com <ceo@example.com>"
    )
    assert len(encoded) == 2 and "attacker@evil.example" in encoded[1]
    assert _warnings(client, 3) == [
        "The sender's domain pаypal.com mixes letters of different alphabets that look alike "
        "(xn--pypal-4ve.com)."
    ]
    assert _warnings(client, 4) == [
        "Replies will go to ceo.private@evil.example, another domain than the sender's."
    ]
    assert _warnings(client, 5) == []


def test_the_warning_is_translated(client: TestClient, mailbox: str, settings: Settings) -> None:
    deliver(settings, mailbox, _raw(mailbox, '"ceo@example.com" <attacker@evil.example>'))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    page = client.get("/mail/INBOX/1?lang=fa").text
    assert "مراقب باشید" in page and "attacker@evil.example" in page
