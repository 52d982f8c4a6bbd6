"""Live updates: watch one folder with IMAP IDLE (RFC 2177) on a dedicated connection.

The contract: ``FolderWatcher(account, folder)`` selects the folder read-only on its own
connection (IDLE holds a connection, so it never comes from the pool); ``wait(timeout)``
returns True when the server reported a change (new mail, flags, expunge) within ``timeout``
seconds; ``unread()`` counts the inbox's unseen messages; ``close()`` logs out. Servers
without IDLE are polled with NOOP instead.
"""

from __future__ import annotations

import time

from imapclient.exceptions import IMAPClientError

from app.errors import NotFound
from app.mail.imap import ImapConnection, MailAccount


class FolderWatcher:
    """Waits for changes in one folder; see the module docstring."""

    def __init__(self, account: MailAccount, folder: str) -> None:
        self.conn = ImapConnection(account)
        self.folder = folder
        try:
            self.conn.select(folder, readonly=True)
        except IMAPClientError as exc:  # no such folder, or a name the server refuses
            self.conn.close()
            raise NotFound("There is no folder called %(folder)s.", folder=folder) from exc

    def wait(self, timeout: float) -> bool:
        """Block until the server reports a change or ``timeout`` passes."""
        client = self.conn.client
        if not self.conn.has("IDLE"):
            time.sleep(timeout)
            return bool(client.noop()[1])
        client.idle()
        try:
            responses = client.idle_check(timeout=timeout)
        finally:
            responses += client.idle_done()[1]
        return any(_is_change(r) for r in responses)

    def unread(self) -> int:
        """Unseen messages in the inbox (for the tab title)."""
        return int(self.conn.client.folder_status("INBOX", ["UNSEEN"]).get(b"UNSEEN", 0))

    def close(self) -> None:
        """End the watch and log out."""
        self.conn.close()


def _is_change(response: object) -> bool:
    if not isinstance(response, tuple) or len(response) < 2:
        return False
    kinds = {b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"}
    return any(isinstance(part, bytes) and part.upper() in kinds for part in response[:2])
