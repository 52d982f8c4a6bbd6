"""International addresses (RFC 6531/6532): sent with SMTPUTF8 through the real Postfix when it
offers it (compatibility_level 3.6 turns smtputf8_enable on), refused clearly when a server
does not.

The loopback stack's next hop, Dovecot 2.3's LMTP, does not offer SMTPUTF8, so Postfix cannot
hand such a message on to a mailbox (it bounces, dsn 5.6.7): these tests prove what Hamkar
controls, that the submission server accepted the message with the address intact (the
queue log records it).
"""

from __future__ import annotations

import asyncio
import socketserver
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.errors import Invalid
from app.mail.addresses import parse_address_list
from app.mail.compose import Draft, build_message
from app.mail.submit import NoSmtpUtf8, SmtpEndpoint, offers_smtputf8, send
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.helpers import login
from tests.integration.mail.test_compose_views import _deliver, _post

INTERNATIONAL = "علی.رضایی@partner.example"


def _queued_for(settings: Settings, address: str, timeout: float = 10) -> bool:
    """Whether Postfix's log shows a queued message for ``address`` (as typed, UTF-8)."""
    log = settings.effective_mailstack_dir / "postfix.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"orig_to=<{address}>" in log.read_text("utf-8", "replace"):
            return True
        time.sleep(0.2)
    return False


def test_international_local_parts_parse_and_stay_strict() -> None:
    [address] = parse_address_list([f"علی <{INTERNATIONAL}>"])
    assert address.addr_spec == INTERNATIONAL
    for bad in ("علی رضایی@partner.example", "علی..x@partner.example", "\u202eab@x.example"):
        with pytest.raises(Invalid):
            parse_address_list([bad])


def test_ascii_mail_does_not_ask_for_smtputf8() -> None:
    outgoing = build_message(
        Draft(sender="آلیس <alice@example.com>", to=["bob@example.com"], subject="سلام", text="x"),
        timezone="UTC",
    )
    assert not outgoing.smtputf8
    assert outgoing.as_bytes().split(b"\r\n\r\n")[0].isascii()  # RFC 2047 words


def test_real_postfix_offers_smtputf8_and_accepts(settings: Settings) -> None:
    endpoint = SmtpEndpoint.from_settings(settings)
    assert asyncio.run(offers_smtputf8(endpoint)) is True
    marker = uuid.uuid4().hex[:10]
    address = f"علی.{marker}@partner.example"
    outgoing = build_message(
        Draft(
            sender="آلیس <alice@example.com>",
            to=[f"علی <{address}>"],
            subject=f"سلام {marker}",
            text="متن\n",
        ),
        timezone="UTC",
    )
    assert outgoing.smtputf8
    head = outgoing.as_bytes().split(b"\r\n\r\n")[0].decode("utf-8")
    # The header is UTF-8 (RFC 6532): the local part is readable, not RFC 2047 words.
    assert f"To: علی <{address}>" in head
    # Postfix refuses MAIL FROM ... SMTPUTF8, UTF-8 RCPT TO or DATA with an exception here.
    asyncio.run(
        send(endpoint, username="alice@example.com", password=TEST_PASSWORD, outgoing=outgoing)
    )
    assert _queued_for(settings, address)


class _NoUtf8Smtp(socketserver.StreamRequestHandler):
    """A submission server that does not announce SMTPUTF8 (records every command)."""

    commands: list[str]

    def handle(self) -> None:
        self.wfile.write(b"220 old.example ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            type(self).commands.append(command)
            verb = command.split(" ")[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-old.example\r\n250-SIZE 1000000\r\n250 AUTH PLAIN\r\n")
            elif verb == "AUTH":
                self.wfile.write(b"235 2.7.0 ok\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def old_server() -> Iterator[tuple[int, list[str]]]:
    commands: list[str] = []
    handler = type("Handler", (_NoUtf8Smtp,), {"commands": commands})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], commands
    server.shutdown()
    server.server_close()


def test_a_server_without_smtputf8_is_refused_before_the_envelope(
    old_server: tuple[int, list[str]],
) -> None:
    port, commands = old_server
    endpoint = SmtpEndpoint("127.0.0.1", port, "none", None, verify=False)
    assert asyncio.run(offers_smtputf8(endpoint)) is False
    outgoing = build_message(
        Draft(sender="alice@example.com", to=[INTERNATIONAL], subject="x", text="x"),
        timezone="UTC",
    )
    with pytest.raises(NoSmtpUtf8) as refused:
        asyncio.run(send(endpoint, username="alice@example.com", password="x", outgoing=outgoing))
    assert INTERNATIONAL in str(refused.value) and "SMTPUTF8" in str(refused.value)
    assert not [c for c in commands if c.upper().startswith(("MAIL", "RCPT", "DATA"))]


def test_compose_says_so_and_keeps_the_message(
    migrated_settings: Settings, old_server: tuple[int, list[str]]
) -> None:
    from app.main import create_app

    port, _commands = old_server
    old = migrated_settings.model_copy(
        update={
            "outbox_worker": False,
            "undo_send_seconds": 0,
            "smtp_port": port,
            "smtp_tls": "none",
        }
    )
    client = TestClient(create_app(old))
    login(client)
    response = _post(
        client, action="send", to=INTERNATIONAL, subject="keep me", text="typed", rich="0"
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "does not accept international addresses (SMTPUTF8)" in page
    assert f'value="{INTERNATIONAL}"' in page and 'value="keep me"' in page and "typed" in page
    assert _deliver(old) == 0


def test_compose_sends_to_an_international_address_through_the_outbox(
    migrated_settings: Settings,
) -> None:
    from app.main import create_app

    settings = migrated_settings.model_copy(update={"outbox_worker": False, "undo_send_seconds": 0})
    client = TestClient(create_app(settings))
    login(client)
    address = f"علی.{uuid.uuid4().hex[:10]}@partner.example"
    response = _post(client, action="send", to=f"علی <{address}>", subject="hi", text="x", rich="0")
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert _deliver(settings) == 1
    assert _queued_for(settings, address)
