"""Live updates: watch one folder with IMAP IDLE (RFC 2177) on a dedicated connection.

The contract: ``FolderWatcher(account, folder)`` selects the folder read-only on its own
connection (IDLE holds a connection, so it never comes from the pool); ``wait(timeout)``
returns True when the server reported a change (new mail, flags, expunge) within ``timeout``
seconds; ``unread()`` counts the inbox's unseen messages; ``close()`` logs out. Servers
without IDLE are polled with NOOP instead.
"""

from __future__ import annotations

import threading
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


class LiveStream:
    """One admitted live stream: whose it is, and a flag that asks it to end."""

    def __init__(self, email: str, session: str) -> None:
        self.email = email
        self.session = session
        self.ended = threading.Event()


class LiveStreams:
    """The live streams open in this process, at most ``per_user`` per user.

    Each stream holds an IMAP connection in IDLE and a worker thread, so one person with
    many tabs (or a script) must not exhaust either: ``admit`` refuses a stream beyond the
    cap (the page answers 429). ``end_session`` asks a signed-out session's streams to stop.
    """

    def __init__(self) -> None:
        self._open: list[LiveStream] = []
        self._lock = threading.Lock()

    def admit(self, *, email: str, session: str, per_user: int) -> LiveStream | None:
        """A new stream of ``email``, or None when that user already has ``per_user``."""
        with self._lock:
            if sum(1 for s in self._open if s.email == email) >= per_user:
                return None
            stream = LiveStream(email, session)
            self._open.append(stream)
            return stream

    def leave(self, stream: LiveStream) -> None:
        """Forget a stream that ended."""
        with self._lock:
            if stream in self._open:
                self._open.remove(stream)

    def end_session(self, session: str) -> None:
        """Ask every stream of a signed-out session to end."""
        with self._lock:
            for stream in self._open:
                if stream.session == session:
                    stream.ended.set()


STREAMS = LiveStreams()
"""The process-wide registry used by the events page."""
