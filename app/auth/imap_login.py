"""Checks a mail address and password against the IMAP server (RFC 9051 LOGIN)."""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass
from pathlib import Path

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from app.errors import Unavailable
from app.settings import Settings
from app.tls import client_context


@dataclass(frozen=True)
class ImapEndpoint:
    """Where and how to reach the IMAP server."""

    host: str
    port: int
    tls: str  # "starttls" | "tls" | "none"
    timeout: float
    ca_file: Path | None
    verify: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapEndpoint:
        """The endpoint configured in settings."""
        return cls(
            host=settings.imap_host,
            port=settings.imap_port,
            tls=settings.imap_tls,
            timeout=settings.imap_timeout,
            ca_file=settings.effective_tls_ca_file,
            verify=settings.tls_verify,
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying TLS context (the configured CA file, else the system's)."""
        return client_context(self.ca_file, verify=self.verify)

    def connect(self) -> imapclient.IMAPClient:
        """An unauthenticated connection, TLS set up as configured.

        Raises ``Unavailable`` when the server cannot be reached or TLS fails.
        """
        try:
            client = imapclient.IMAPClient(
                self.host,
                port=self.port,
                ssl=self.tls == "tls",
                ssl_context=self.ssl_context() if self.tls == "tls" else None,
                timeout=self.timeout,
            )
            if self.tls == "starttls":
                client.starttls(self.ssl_context())
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError) as exc:
            raise Unavailable("The mail server cannot be reached right now.") from exc
        return client


def check_login(endpoint: ImapEndpoint, email: str, password: str) -> bool:
    """True when the IMAP server accepts the credentials, False when it refuses them."""
    client = endpoint.connect()
    try:
        client.login(email, password)
    except LoginError:
        return False
    except (OSError, IMAPClientError) as exc:
        raise Unavailable("The mail server cannot be reached right now.") from exc
    finally:
        _close_quietly(client)
    return True


def ping(endpoint: ImapEndpoint) -> None:
    """Connect and ask CAPABILITY; raises ``Unavailable`` when the server does not answer."""
    client = endpoint.connect()
    try:
        client.capabilities()
    except (OSError, IMAPClientError) as exc:
        raise Unavailable("The mail server does not answer.") from exc
    finally:
        _close_quietly(client)


def _close_quietly(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        with contextlib.suppress(OSError):
            client.shutdown()
