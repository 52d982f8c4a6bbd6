"""Files outgoing mail into the user's IMAP folders: Sent copies, Drafts, answered flags.

Each call opens its own short connection; the pooled gateway of the reading side can replace it.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Iterator

import imapclient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DRAFTS, SENT

from app.auth.imap_login import ImapEndpoint
from app.errors import N_, NotFound, Unavailable

_APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


@contextlib.contextmanager
def _session(
    endpoint: ImapEndpoint, email: str, password: str, failure: str
) -> Iterator[imapclient.IMAPClient]:
    client = endpoint.connect()
    try:
        client.login(email, password)
        yield client
    except (OSError, IMAPClientError) as exc:
        raise Unavailable(failure) from exc
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()


def _special_folder(client: imapclient.IMAPClient, flag: bytes, fallback: str) -> str:
    folder = client.find_special_folder(flag) or fallback
    if not client.folder_exists(folder):
        client.create_folder(folder)
    return str(folder)


def append_to_sent(
    endpoint: ImapEndpoint, *, email: str, password: str, raw: bytes, preferred: str | None = None
) -> str:
    """APPEND ``raw`` as seen to ``preferred`` when it exists (a role mailbox's own Sent,
    ``shared/info@example.com/Sent``), else to the \\Sent special-use folder; returns the
    folder's name."""
    with _session(
        endpoint,
        email,
        password,
        N_("The message was sent, but its copy could not be saved to Sent."),
    ) as client:
        if preferred and client.folder_exists(preferred):
            folder = preferred
        else:
            folder = _special_folder(client, SENT, "Sent")
        client.append(folder, raw, flags=[b"\\Seen"])
        return folder


def save_draft(
    endpoint: ImapEndpoint,
    *,
    email: str,
    password: str,
    raw: bytes,
    replaces_uid: int | None = None,
) -> int | None:
    """Store a draft in \\Drafts and remove the version it replaces; returns the new UID.

    The new version is appended before the old one is removed, so a failure in between leaves
    two drafts, never none.
    """
    with _session(
        endpoint, email, password, N_("Your draft could not be saved to the mail server.")
    ) as client:
        folder = _special_folder(client, DRAFTS, "Drafts")
        response = client.append(folder, raw, flags=[b"\\Draft", b"\\Seen"])
        match = _APPENDUID_RE.search(response if isinstance(response, bytes) else b"")
        if replaces_uid is not None:
            client.select_folder(folder)
            client.delete_messages([replaces_uid])
            client.uid_expunge([replaces_uid])
        return int(match.group(2)) if match else None


def discard_draft(endpoint: ImapEndpoint, *, email: str, password: str, uid: int) -> None:
    """Remove a draft (after it was sent, or when the user discards it)."""
    with _session(endpoint, email, password, N_("The draft could not be removed.")) as client:
        folder = _special_folder(client, DRAFTS, "Drafts")
        client.select_folder(folder)
        client.delete_messages([uid])
        client.uid_expunge([uid])


def mark_replied(
    endpoint: ImapEndpoint,
    *,
    email: str,
    password: str,
    folder: str,
    uid: int,
    forwarded: bool = False,
) -> None:
    """Set \\Answered (or $Forwarded) on the message that was replied to or forwarded."""
    with _session(endpoint, email, password, N_("The original message could not be marked.")) as c:
        c.select_folder(folder)
        c.add_flags([uid], [b"$Forwarded" if forwarded else b"\\Answered"])


def fetch_raw(endpoint: ImapEndpoint, *, email: str, password: str, folder: str, uid: int) -> bytes:
    """The full message (BODY.PEEK[], so it is not marked as read)."""
    with _session(endpoint, email, password, N_("The message could not be read.")) as client:
        try:
            client.select_folder(folder, readonly=True)
            data = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid, {})
        except IMAPClientError as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise  # the link dropped: the server is unavailable, not the message missing
            raise NotFound("No such message.") from exc  # no such folder, or an invalid uid
        raw = data.get(b"BODY[]")
        if not isinstance(raw, bytes):
            raise NotFound("No such message.")
        return raw
