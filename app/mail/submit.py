"""Sends messages through the user's SMTP submission server (RFC 6409) with aiosmtplib.

The dialogue is driven step by step so that a refused recipient stops the send before DATA:
either everyone gets the message or nobody does, and the server's reason reaches the user.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib

from app.errors import Forbidden, Invalid, TooLarge, Unauthorized, Unavailable
from app.mail.compose import Outgoing
from app.settings import Settings
from app.tls import client_context


class RecipientsRefused(Invalid):
    """The server refused some recipients; ``refused`` maps each to the server's reason."""

    def __init__(self, refused: dict[str, str]) -> None:
        listing = "; ".join(f"{addr}: {reason}" for addr, reason in refused.items())
        super().__init__(
            "The mail server refused these recipients: %(details)s", details=listing[:500]
        )
        self.refused = refused


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to reach the submission server."""

    host: str
    port: int
    tls: str  # "starttls" | "tls" | "none"
    ca_file: Path | None
    verify: bool
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpEndpoint:
        """The endpoint configured in settings."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            ca_file=settings.effective_tls_ca_file,
            verify=settings.tls_verify,
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying TLS context (the configured CA file, else the system's)."""
        return client_context(self.ca_file, verify=self.verify)


async def send(endpoint: SmtpEndpoint, *, username: str, password: str, outgoing: Outgoing) -> None:
    """Submit the message. Raises ``RecipientsRefused``, ``TooLarge``, ``Unauthorized``,
    ``Forbidden`` (sender refused) or ``Unavailable``; nothing is sent when it raises."""
    data = outgoing.as_bytes()
    client = _client(endpoint)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise Unavailable("The mail server cannot be reached right now.") from exc
    try:
        await _login(client, username, password)
        _check_size(client, len(data))
        await _envelope(client, outgoing, len(data))
        await _data(client, data)
    finally:
        await _close(client)


def _client(endpoint: SmtpEndpoint) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=endpoint.host,
        port=endpoint.port,
        timeout=endpoint.timeout,
        use_tls=endpoint.tls == "tls",
        start_tls=endpoint.tls == "starttls",
        tls_context=endpoint.ssl_context() if endpoint.tls != "none" else None,
    )


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def _login(client: aiosmtplib.SMTP, username: str, password: str) -> None:
    try:
        await client.login(username, password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise Unauthorized("The mail server did not accept your password for sending.") from exc
    except aiosmtplib.SMTPException as exc:
        raise Unavailable("The mail server cannot be reached right now.") from exc


def _check_size(client: aiosmtplib.SMTP, size: int) -> None:
    limit = max_message_size(client)
    if limit and size > limit:
        raise TooLarge(
            "The message is %(size)s, over the server's limit of %(limit)s.",
            size=human_size(size),
            limit=human_size(limit),
        )


def max_message_size(client: aiosmtplib.SMTP) -> int | None:
    """The server's SIZE limit in bytes (RFC 1870), if it announced one."""
    value = client.esmtp_extensions.get("size", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else None


class NoSmtpUtf8(Invalid):
    """The server does not offer SMTPUTF8, so internationalized addresses cannot be used."""

    def __init__(self, outgoing: Outgoing) -> None:
        found = [a for a in [outgoing.envelope_from, *outgoing.recipients] if not a.isascii()]
        super().__init__(
            "The mail server does not accept international addresses (SMTPUTF8), so this "
            "message cannot be sent to or from %(addresses)s.",
            addresses=", ".join(found)[:300] or "?",
        )


def _mail_options(client: aiosmtplib.SMTP, outgoing: Outgoing, size: int) -> list[str]:
    """MAIL FROM parameters: SIZE (RFC 1870) and, for UTF-8 addresses, SMTPUTF8 (RFC 6531)."""
    options = [f"SIZE={size}"] if "size" in client.esmtp_extensions else []
    if outgoing.smtputf8:
        if "smtputf8" not in client.esmtp_extensions:
            raise NoSmtpUtf8(outgoing)
        options.append("SMTPUTF8")
        if "8bitmime" in client.esmtp_extensions:
            options.append("BODY=8BITMIME")
    return options


async def offers_smtputf8(endpoint: SmtpEndpoint) -> bool:
    """Whether the submission server announces SMTPUTF8 (asked before queueing a message
    that needs it, so the user hears it while the message is still open)."""
    client = _client(endpoint)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise Unavailable("The mail server cannot be reached right now.") from exc
    try:
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        return "smtputf8" in client.esmtp_extensions
    except aiosmtplib.SMTPException as exc:
        raise Unavailable("The mail server cannot be reached right now.") from exc
    finally:
        await _close(client)


async def _envelope(client: aiosmtplib.SMTP, outgoing: Outgoing, size: int) -> None:
    options = _mail_options(client, outgoing, size)
    encoding = "utf-8" if outgoing.smtputf8 else "ascii"
    try:
        await client.mail(outgoing.envelope_from, options=options, encoding=encoding)
    except aiosmtplib.SMTPResponseException as exc:
        await client.rset()
        raise Forbidden(
            "The mail server does not let you send as %(address)s: %(reason)s",
            address=outgoing.envelope_from,
            reason=exc.message,
        ) from exc
    refused: dict[str, str] = {}
    for recipient in outgoing.recipients:
        try:
            await client.rcpt(recipient, encoding=encoding)
        except aiosmtplib.SMTPResponseException as exc:
            refused[recipient] = f"{exc.code} {exc.message}"
    if refused:
        await client.rset()
        raise RecipientsRefused(refused)


async def _data(client: aiosmtplib.SMTP, data: bytes) -> None:
    try:
        await client.data(data)
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code == 552:
            raise TooLarge(
                "The mail server refused the message as too large: %(reason)s", reason=exc.message
            ) from exc
        raise Invalid(
            "The mail server refused the message: %(reason)s", reason=f"{exc.code} {exc.message}"
        ) from exc
    except aiosmtplib.SMTPException as exc:
        raise Unavailable("The connection to the mail server broke while sending.") from exc


def human_size(size: int) -> str:
    """Bytes as a short human-readable size (KB/MB with one decimal)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"
