"""Keeps a copy of every sent message in the user's Sent folder (IMAP APPEND, RFC 9051 6.3.12)."""

from __future__ import annotations

import contextlib

from imapclient.exceptions import IMAPClientError

from app.auth.imap_login import ImapEndpoint
from app.errors import Unavailable

SENT_FALLBACK = "Sent"


def append_to_sent(endpoint: ImapEndpoint, *, email: str, password: str, raw: bytes) -> str:
    """APPEND ``raw`` as seen to the \\Sent special-use folder; returns the folder's name."""
    client = endpoint.connect()
    try:
        client.login(email, password)
        folder = client.find_special_folder(b"\\Sent") or SENT_FALLBACK
        if not client.folder_exists(folder):
            client.create_folder(folder)
        client.append(folder, raw, flags=[b"\\Seen"])
        return str(folder)
    except (OSError, IMAPClientError) as exc:
        raise Unavailable("The message was sent, but its copy could not be saved to Sent.") from exc
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()
