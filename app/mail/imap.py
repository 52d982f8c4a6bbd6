"""The IMAP gateway: pooled imapclient connections per signed-in session.

The contract: ``ImapPool.run(account, work)`` calls ``work(connection)`` with an authenticated
``ImapConnection`` that no other thread uses meanwhile. Connections are kept per session key
and reused; a connection that dropped is replaced and the work retried once; when the server
cannot be reached ``Unavailable`` is raised (the edge shows a page message, not a 500).
Capabilities (CONDSTORE/QRESYNC, SPECIAL-USE, SORT, THREAD, IDLE, MOVE, ACL, QUOTA) are read
once per connection so callers can choose a fast path or the RFC 3501 fallback.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_fetch_response

from app.auth.imap_login import ImapEndpoint
from app.errors import DomainError, Unauthorized, Unavailable
from app.mail.fetch_response import parse_simple_fetch

T = TypeVar("T")

# Errors that mean "the connection is gone" (server restart, idle timeout, network).
_DROPPED = (imaplib.IMAP4.abort, OSError, ssl.SSLError, EOFError)
_IDLE_CHECK_AFTER = 30.0  # seconds unused before a pooled connection is NOOP-checked
_MAX_IDLE = 600.0  # seconds unused before a pooled connection is logged out
_MAX_PER_SESSION = 3  # concurrent connections per signed-in session


@dataclass(frozen=True)
class MailAccount:
    """Who talks to the server: the session key, address and password, and where."""

    key: str
    email: str
    password: str = field(repr=False)
    endpoint: ImapEndpoint
    # Full-text SEARCH may make the server build its index first (seconds on a big folder):
    # it gets this much time instead of the endpoint's usual timeout.
    search_timeout: float = 120.0

    @property
    def pool_key(self) -> str:
        """Connections are shared per session and server (never across either)."""
        return f"{self.key}|{self.endpoint.host}:{self.endpoint.port}"


@dataclass
class Selected:
    """What SELECT reported about the current folder (RFC 9051 7.1, RFC 7162 3.1)."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None
    vanished: list[int] = field(default_factory=list)
    readonly: bool = False  # EXAMINE: flags cannot be changed in this selection


class ImapConnection:
    """One authenticated connection; used by one request at a time (the pool sees to it)."""

    def __init__(self, account: MailAccount) -> None:
        self.account = account
        self.broken = False  # a command ran out of time mid-answer: never reuse this link
        # The folder whose cache this connection's last work left exact (a sync, or a quiet
        # NOOP). Any other command may swallow the server's change notices (imapclient drops
        # untagged EXISTS/FETCH it did not ask for), so the pool clears it before each work
        # and keeps the previous value in ``trusted_for`` for that work to read.
        self.fresh_for: str | None = None
        self.trusted_for: str | None = None
        self.client = account.endpoint.connect()
        try:
            self.client.login(account.email, account.password)
        except LoginError as exc:
            self.close()
            raise Unauthorized("The mail server refused your password; sign in again.") from exc
        self.client.normalise_times = False  # keep INTERNALDATE's zone (aware datetimes)
        self.capabilities = frozenset(c.decode().upper() for c in self.client.capabilities())
        self.qresync = False
        if "QRESYNC" in self.capabilities:
            self.qresync = b"QRESYNC" in self.client.enable("QRESYNC")
        self.selected: Selected | None = None
        # The server announced new mail (EXISTS) while a ``fetch_range`` ran (since the
        # caller reset this): its answer may lack that mail, so the cache is not exact.
        self.grew_meanwhile = False
        self.last_used = time.monotonic()

    def has(self, capability: str) -> bool:
        """True when the server announced ``capability`` (e.g. ``"MOVE"``)."""
        return capability.upper() in self.capabilities

    @property
    def condstore(self) -> bool:
        """True when modification sequences are available (RFC 7162)."""
        return "CONDSTORE" in self.capabilities or self.qresync

    def select(self, folder: str, *, readonly: bool = False) -> Selected:
        """SELECT (or EXAMINE) ``folder``; returns uidvalidity, uidnext, exists, highestmodseq."""
        self.selected = None  # a failed SELECT leaves no folder selected (RFC 9051 6.3.2)
        raw = self.client.select_folder(folder, readonly=readonly)
        self.selected = Selected(
            name=folder,
            uidvalidity=int(raw[b"UIDVALIDITY"]),
            uidnext=int(raw.get(b"UIDNEXT", 0)),
            exists=int(raw.get(b"EXISTS", 0)),
            highestmodseq=int(raw[b"HIGHESTMODSEQ"]) if b"HIGHESTMODSEQ" in raw else None,
            readonly=readonly,
        )
        return self.selected

    def ensure_selected(self, folder: str, *, writable: bool = False) -> Selected:
        """``folder`` selected, read-only unless ``writable``: the current selection when it
        is that folder (and writable, if asked), brought up to date by a NOOP, else a new
        EXAMINE or SELECT. Reading with BODY.PEEK leaves \\Seen alone in either mode.

        SELECT costs time proportional to the folder on some servers (0.1 to 1 s for 50,000
        messages in a Dovecot maildir); the NOOP is one round trip.
        """
        current = self.selected
        if current is None or current.name != folder or (writable and current.readonly):
            return self.select(folder, readonly=not writable)
        return current if self.refresh_selection() else self.select(folder, readonly=not writable)

    def status_of_selected(self) -> Selected | None:
        """STATUS of the selected folder (RFC 9051 6.3.11): what SELECT would report, without
        the cost of selecting a large folder again. None, and nothing selected any more, when
        it reports another UIDVALIDITY. Dovecot answers from the open folder, so a folder
        deleted meanwhile is noticed by the NOOP of ``refresh_selection``, not here.
        """
        if self.selected is None:
            return None
        current, self.selected = self.selected, None  # until the server has answered
        raw = self.client.folder_status(
            current.name, ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "HIGHESTMODSEQ"]
        )
        if int(raw[b"UIDVALIDITY"]) != current.uidvalidity:
            return None
        current.uidnext = int(raw.get(b"UIDNEXT", 0))
        current.exists = int(raw.get(b"MESSAGES", 0))
        current.highestmodseq = int(raw[b"HIGHESTMODSEQ"]) if b"HIGHESTMODSEQ" in raw else None
        self.selected = current
        return current

    def fetch_range(
        self, uid_set: str, items: Iterable[str], modifiers: Iterable[str] = ()
    ) -> tuple[dict[int, dict[bytes, Any]], list[int]]:
        """UID FETCH over a sequence-set string such as ``"1:*"`` or ``"5:9,12"``.

        imapclient 4.x ``fetch()`` refuses such strings (upstream issue 666: it converts the
        message ids back to ints to drop unsolicited responses), so this sends the same command
        and keeps every FETCH response. Also returns the UIDs the server reported VANISHED
        (RFC 7162 3.2.6) when the ``VANISHED`` modifier was given.
        """
        imap = self.client._imap
        imap.untagged_responses.pop("VANISHED", None)
        imap.untagged_responses.pop("EXISTS", None)
        args = ["UID", "FETCH", uid_set, "(" + " ".join(items).upper() + ")"]
        mods = list(modifiers)
        if mods:
            args.append("(" + " ".join(mods).upper() + ")")
        tag = imap._command(*args)
        typ, data = imap._command_complete("FETCH", tag)
        self.client._checkok("fetch", typ, data)
        if imap.untagged_responses.pop("EXISTS", None) is not None:
            self.grew_meanwhile = True
        vanished = _parse_vanished(imap.untagged_responses.pop("VANISHED", []))
        typ, data = imap._untagged_response(typ, data, "FETCH")
        times = self.client.normalise_times
        fast = parse_simple_fetch(data, normalise_times=times)
        return (fast if fast is not None else parse_fetch_response(data, times, True)), vanished

    def noop_begin(self) -> Any:
        """Send NOOP without waiting for its answer (``noop_end`` reads it), so the caller can
        do other work during the round trip. Nothing else may be sent in between."""
        return self.client._imap._command("NOOP")

    def noop_end(self, tag: Any) -> bool:
        """Read the answer of ``noop_begin``; True when the server reported no change.

        The changes it reports are consumed; the folder stays selected, and the sync that
        follows asks for everything changed since the cache's HIGHESTMODSEQ, which includes them.
        """
        _text, responses = self.client._consume_until_tagged_response(tag, "NOOP")
        self._check_selection(responses)
        if not responses:
            self.fresh_for = self.trusted_for
        return not responses

    def refresh_selection(self) -> bool:
        """NOOP: the server brings the selected folder up to date (its change notices are
        dropped). False, and nothing selected any more, when the selection did not survive."""
        _text, responses = self.client.noop()
        self._check_selection(responses)
        return self.selected is not None

    def _check_selection(self, responses: list[Any]) -> None:
        # Change notices (EXISTS, RECENT, EXPUNGE, FETCH: numbered; VANISHED; OK codes) leave
        # the selection as it was; anything else means it is gone: Dovecot answers an untagged
        # NO when the selected folder was deleted (and maybe created again) by another client.
        for response in responses:
            first = response[0] if isinstance(response, tuple) and response else None
            if not isinstance(first, int) and first not in (b"VANISHED", b"OK"):
                self.selected = None

    def search_text(self, criteria: list[str], *, timeout: float) -> list[int]:
        """UID SEARCH (UTF-8) that may wait ``timeout`` seconds, longer than usual commands.

        A first body search makes the server index the folder. When even ``timeout`` runs
        out, the answer is still on its way, so the connection is marked broken (the pool
        drops it) and ``Unavailable`` says to try again later.
        """
        sock = self.client._imap.sock
        usual = sock.gettimeout()
        sock.settimeout(timeout)
        try:
            return [int(uid) for uid in self.client.search(criteria, charset="UTF-8")]
        except TimeoutError as exc:
            self.broken = True
            raise Unavailable(
                "The mail server needs longer to search the text of this folder (it is still "
                "indexing it). Please try again in a minute."
            ) from exc
        finally:
            if not self.broken:
                sock.settimeout(usual)

    def close(self) -> None:
        """Log out; a dead (or broken) connection is shut down quietly."""
        if self.broken:  # an answer is still coming: LOGOUT would wait behind it
            with contextlib.suppress(OSError):
                self.client.shutdown()
            return
        try:
            self.client.logout()
        except (*_DROPPED, IMAPClientError):
            with contextlib.suppress(OSError):
                self.client.shutdown()


def _parse_vanished(lines: list[Any]) -> list[int]:
    uids: list[int] = []
    for line in lines:
        text = line.decode() if isinstance(line, bytes) else str(line)
        text = text.replace("(EARLIER)", "").strip()
        uids.extend(expand_uid_set(text))
    return uids


def expand_uid_set(text: str) -> list[int]:
    """The UIDs of a sequence set like ``"3:5,9"`` (``*`` is not allowed here)."""
    uids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition(":")
        start, end = int(low), int(high or low)
        uids.extend(range(min(start, end), max(start, end) + 1))
    return uids


def compress_uids(uids: Iterable[int]) -> str:
    """A compact sequence set for ``uids``: ``[1, 2, 3, 7]`` becomes ``"1:3,7"``."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


class _Slot:
    """The connections of one session: idle ones ready for reuse, and how many exist."""

    def __init__(self) -> None:
        self.idle: list[ImapConnection] = []
        self.count = 0
        self.ready = threading.Condition()
        self.ended = False  # the session signed out: connections in use close when returned


class ImapPool:
    """Connections per session key, thread-safe; see the module docstring for the contract."""

    def __init__(self, *, max_per_session: int = _MAX_PER_SESSION) -> None:
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self.max_per_session = max_per_session
        self._last_reap = time.monotonic()
        self._ended: dict[str, float] = {}  # signed-out session keys -> when

    def run(self, account: MailAccount, work: Callable[[ImapConnection], T]) -> T:
        """Call ``work`` with a connection of ``account``; retried once if the link dropped."""
        for attempt in (1, 2):
            conn = self._acquire(account)
            conn.trusted_for, conn.fresh_for = conn.fresh_for, None
            try:
                result = work(conn)
            except _DROPPED as exc:
                self._discard(account.pool_key, conn)
                if attempt == 2:
                    raise Unavailable("The mail server cannot be reached right now.") from exc
                continue
            except (DomainError, IMAPClientError):
                if conn.broken:
                    self._discard(account.pool_key, conn)
                else:
                    self._release(account.pool_key, conn)  # a refusal (NO/BAD) leaves it usable
                raise
            except BaseException:
                self._discard(account.pool_key, conn)  # a half-read response would poison it
                raise
            self._release(account.pool_key, conn)
            return result
        raise AssertionError("unreachable")

    def close_session(self, key: str, *, signed_out: bool = True) -> None:
        """Log out every connection of a session (sign-out): the idle ones now, the ones in
        use as soon as their request returns them."""
        with self._lock:
            if signed_out:  # late work for it (a background sync) is refused
                self._ended[key] = time.monotonic()
            slots = [(k, s) for k, s in self._slots.items() if k.split("|")[0] == key]
        for pool_key, slot in slots:
            with slot.ready:
                idle, slot.idle = slot.idle, []
                slot.count -= len(idle)
                slot.ended = True
                self._forget_if_empty(pool_key, slot)
            for conn in idle:
                conn.close()

    def _forget_if_empty(self, key: str, slot: _Slot) -> None:
        # Called with slot.ready held.
        if slot.count <= 0:
            with self._lock:
                if self._slots.get(key) is slot:
                    del self._slots[key]

    def close_all(self) -> None:
        """Log out every idle connection (app shutdown)."""
        with self._lock:
            keys = {k.split("|")[0] for k in self._slots}
        for key in keys:
            self.close_session(key, signed_out=False)

    def _slot(self, key: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault(key, _Slot())

    def reap(self, max_idle: float = _MAX_IDLE) -> int:
        """Log out connections unused for ``max_idle`` seconds (ended sessions); returns count."""
        now = time.monotonic()
        stale: list[ImapConnection] = []
        with self._lock:
            slots = list(self._slots.items())
            # A signed-out session's key is never used again once its requests are over.
            self._ended = {k: t for k, t in self._ended.items() if now - t < max_idle}
        for key, slot in slots:
            with slot.ready:
                keep = [c for c in slot.idle if now - c.last_used < max_idle]
                stale += [c for c in slot.idle if now - c.last_used >= max_idle]
                slot.count -= len(slot.idle) - len(keep)
                slot.idle = keep
                empty = slot.count == 0
            if empty:
                with self._lock:
                    if self._slots.get(key) is slot:
                        del self._slots[key]
        for conn in stale:
            conn.close()
        return len(stale)

    def _acquire(self, account: MailAccount) -> ImapConnection:
        if time.monotonic() - self._last_reap > 60:
            self._last_reap = time.monotonic()
            self.reap()
        if account.key in self._ended:
            raise Unauthorized("You signed out; sign in again.")
        slot = self._slot(account.pool_key)
        with slot.ready:
            while not slot.idle and slot.count >= self.max_per_session:
                if not slot.ready.wait(timeout=account.endpoint.timeout):
                    raise Unavailable("The mail server is busy; please try again.")
            conn = slot.idle.pop() if slot.idle else None
            if conn is None:
                slot.count += 1
        if conn is not None and self._alive(conn):
            return conn
        if conn is not None:
            conn.close()
        try:
            return ImapConnection(account)
        except BaseException as exc:
            with slot.ready:
                slot.count -= 1
                slot.ready.notify()
            if isinstance(exc, (*_DROPPED, IMAPClientError)):
                raise Unavailable("The mail server cannot be reached right now.") from exc
            raise

    @staticmethod
    def _alive(conn: ImapConnection) -> bool:
        idle_for = time.monotonic() - conn.last_used
        if idle_for > _MAX_IDLE:
            return False
        if idle_for < _IDLE_CHECK_AFTER:
            return True
        try:
            conn.client.noop()
        except (*_DROPPED, IMAPClientError):
            return False
        return True

    def _release(self, key: str, conn: ImapConnection) -> None:
        conn.last_used = time.monotonic()
        slot = self._slot(key)
        with slot.ready:
            if not slot.ended:
                slot.idle.append(conn)
                slot.ready.notify()
                return
        self._discard(key, conn)

    def _discard(self, key: str, conn: ImapConnection) -> None:
        conn.close()
        slot = self._slot(key)
        with slot.ready:
            slot.count -= 1
            slot.ready.notify()
            if slot.ended:
                self._forget_if_empty(key, slot)


POOL = ImapPool()
"""The process-wide pool used by the mail service."""


def connect_account(account: MailAccount) -> imapclient.IMAPClient:
    """A fresh, unpooled, authenticated client (benchmarks and tools)."""
    return ImapConnection(account).client
