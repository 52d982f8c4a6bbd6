"""Real IMAP and SMTP clients against the test mail stack, for managed-mode tests."""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from app.settings import Settings


def tls(settings: Settings) -> ssl.SSLContext:
    """A client context trusting the stack's own certificate."""
    return ssl.create_default_context(cafile=str(settings.effective_tls_ca_file))


def imap_login(settings: Settings, user: str, password: str) -> IMAPClient:
    """A logged-in IMAP client (STARTTLS); raises imapclient's LoginError when refused."""
    client = IMAPClient(settings.imap_host, settings.imap_port, ssl=False, timeout=10)
    client.starttls(tls(settings))
    try:
        client.login(user, password)
    except Exception:
        client.shutdown()
        raise
    return client


def inbox_subjects(settings: Settings, user: str, password: str) -> list[str]:
    """Subjects in the user's INBOX (empty while Dovecot is still creating a new mailbox)."""
    client = imap_login(settings, user, password)
    try:
        try:
            client.select_folder("INBOX", readonly=True)
        except IMAPClientError as exc:
            # first delivery and first login race to create INBOX: "[ALREADYEXISTS]"
            if "ALREADYEXISTS" in str(exc):
                return []
            raise
        uids = client.search("ALL")
        if not uids:
            return []
        data = client.fetch(list(uids), ["ENVELOPE"])
        return [(d[b"ENVELOPE"].subject or b"").decode() for d in data.values()]
    finally:
        client.logout()


def send_via_postfix(settings: Settings, to: list[str], subject: str, size: int = 0) -> None:
    """Submit a message to Postfix's smtp-in (like mail from the internet)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "sender@outside.example", ", ".join(to), subject
    msg.set_content("Hello.\n" + "x" * size)
    with smtplib.SMTP("127.0.0.1", settings.mailstack_smtp_in_port, timeout=10) as smtp:
        smtp.send_message(msg, to_addrs=to)


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll until ``predicate`` is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def unique_domain() -> str:
    """A fresh domain name, so tests sharing the stack's database never collide."""
    return f"m{uuid.uuid4().hex[:10]}.test"


def submit(settings: Settings, login: str, password: str, sender: str, to: str) -> None:
    """Send through Postfix's submission port, authenticated as ``login``."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, f"from {sender}"
    msg.set_content("Hello.\n")
    with smtplib.SMTP("127.0.0.1", settings.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=tls(settings))
        smtp.login(login, password)
        smtp.send_message(msg, from_addr=sender, to_addrs=[to])
