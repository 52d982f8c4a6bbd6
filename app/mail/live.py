"""Live updates: watch one folder with IMAP IDLE (RFC 2177) on a dedicated connection.

The contract: ``FolderWatcher(account, folder)`` selects the folder read-only on its own
connection (IDLE holds a connection, so it never comes from the pool); ``wait(timeout)``
returns True when the server reported a change (new mail, flags, expunge) within ``timeout``
seconds; ``unread()`` counts the inbox's unseen messages; ``interrupt()`` (from any thread)
cuts a ``wait`` short; ``close()`` logs out. Servers without IDLE are polled with NOOP instead.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import threading
from collections.abc import Callable

from imapclient.exceptions import IMAPClientError

from app.errors import NotFound
from app.mail.imap import ImapConnection, MailAccount

CONNECTION_LOST = (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError)
"""What a watcher raises when its connection drops or is cut."""


class FolderWatcher:
    """Waits for changes in one folder; see the module docstring."""

    def __init__(self, account: MailAccount, folder: str) -> None:
        self.conn = ImapConnection(account)
        self.folder = folder
        self._interrupted = threading.Event()
        try:
            self.conn.select(folder, readonly=True)
        except IMAPClientError as exc:  # no such folder, or a name the server refuses
            self.conn.close()
            raise NotFound("There is no folder called %(folder)s.", folder=folder) from exc

    def wait(self, timeout: float) -> bool:
        """Block until the server reports a change or ``timeout`` passes (False at once
        after ``interrupt``)."""
        client = self.conn.client
        try:
            if not self.conn.has("IDLE"):
                if self._interrupted.wait(timeout):
                    return False
                return bool(client.noop()[1])
            # Dovecot reports a change made since our last command only at the next one, not
            # when IDLE starts: a NOOP first collects what arrived between two waits.
            if any(_is_change(r) for r in client.noop()[1]):
                return True
            client.idle()
            try:
                responses = client.idle_check(timeout=timeout)
            finally:
                responses += client.idle_done()[1]
        except CONNECTION_LOST:
            if self._interrupted.is_set():
                return False
            raise
        return any(_is_change(r) for r in responses)

    def interrupt(self) -> None:
        """End a ``wait`` in progress, from another thread: the connection is cut, so the
        blocked read returns at once (the server sees the client leave)."""
        self._interrupted.set()
        self.conn.broken = True  # no LOGOUT on a cut link
        with contextlib.suppress(OSError):
            self.conn.client.socket().shutdown(socket.SHUT_RDWR)

    def unread(self) -> int:
        """Unseen messages in the inbox (for the tab title)."""
        client = self.conn.client
        count = int(client.folder_status("INBOX", ["UNSEEN"]).get(b"UNSEEN", 0))
        # imaplib files every answer it was not asked for here; on a stream that runs for
        # days they would only pile up (changes are learnt from NOOP and IDLE instead).
        client._imap.untagged_responses.clear()
        return count

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
        self._on_end: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the stream is asked to end (now, if it already was)."""
        with self._lock:
            if not self.ended.is_set():
                self._on_end.append(callback)
                return
        callback()

    def end(self) -> None:
        """Ask the stream to end, waking whatever it is waiting on."""
        with self._lock:
            self.ended.set()
            callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            callback()


class LiveStreams:
    """The live streams open in this process, at most ``per_user`` per user.

    Each stream holds an IMAP connection in IDLE and a worker thread, so one person with
    many tabs (or a script) must not exhaust either: ``admit`` refuses a stream beyond the
    cap (the page answers 429). ``end_session`` asks a signed-out session's streams to stop,
    ``end_all`` every stream (the server is shutting down: it need not wait for them).
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
            ending = [stream for stream in self._open if stream.session == session]
        for stream in ending:
            stream.end()

    def end_all(self) -> None:
        """Ask every open stream to end."""
        with self._lock:
            ending = list(self._open)
        for stream in ending:
            stream.end()


STREAMS = LiveStreams()
"""The process-wide registry used by the events page."""
