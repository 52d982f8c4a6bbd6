"""Reading one message: fetch (with a small in-memory cache), parse, mark as read, parts."""

from __future__ import annotations

import imaplib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.mail import mime
from app.mail.imap import POOL, ImapConnection, MailAccount, Selected
from app.mail.models import MailEnvelope, MailFolderState
from app.mail.sanitize import CleanBody, clean_html
from app.mail.service import cached_envelope, refresh_folder
from app.mail.sync import apply_flags, folder_state

MAX_DISPLAY_BYTES = 25 * 1024 * 1024
_CACHE_BYTES = 64 * 1024 * 1024


class _RawCache:
    """Recently read messages (bytes), keyed by owner, folder, UIDVALIDITY and UID."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.items: OrderedDict[tuple[str, str, int, int], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str, int, int]) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def drop(self, key: tuple[str, str, int, int]) -> None:
        """Forget one message (it was expunged)."""
        with self.lock:
            value = self.items.pop(key, None)
            if value is not None:
                self.size -= len(value)

    def put(self, key: tuple[str, str, int, int], value: bytes) -> None:
        with self.lock:
            if key in self.items or len(value) > self.limit // 4:
                return
            self.items[key] = value
            self.size += len(value)
            while self.size > self.limit:
                _old, dropped = self.items.popitem(last=False)
                self.size -= len(dropped)


RAW_CACHE = _RawCache(_CACHE_BYTES)


@dataclass
class OpenedMessage:
    """A message ready to show."""

    folder: str
    envelope: MailEnvelope
    parsed: mime.ParsedMessage
    too_large: bool
    marked_read: bool = False  # this opening turned the message from unread to read


def open_message(
    db: Session, *, account: MailAccount, folder: str, uid: int, mark_read: bool = True
) -> OpenedMessage:
    """Fetch and parse a message; with ``mark_read``, marks it read on the server and in
    the cache (the reader's setting may rather mark it later, or never)."""
    envelope = cached_envelope(db, account=account, folder=folder, uid=uid)
    if envelope is None:  # a bookmark into a folder not opened yet
        refresh_folder(db, account=account, folder=folder)
        envelope = cached_envelope(db, account=account, folder=folder, uid=uid)
    if envelope is None:
        raise NotFound("This message does not exist any more.")
    too_large = envelope.size > MAX_DISPLAY_BYTES
    marking = mark_read and not envelope.seen
    # Selected read-write at once when it will be marked: no EXAMINE, then SELECT.
    raw = _raw(
        db, account=account, folder=folder, uid=uid, headers_only=too_large, writable=marking
    )
    parsed = mime.parse(raw)
    marked = marking and mark_as_read(db, account=account, envelope=envelope)
    return OpenedMessage(
        folder=folder, envelope=envelope, parsed=parsed, too_large=too_large, marked_read=marked
    )


def message_source(db: Session, *, account: MailAccount, folder: str, uid: int) -> bytes:
    """The message exactly as stored on the server."""
    return _raw(db, account=account, folder=folder, uid=uid)


def message_body(
    db: Session,
    *,
    account: MailAccount,
    folder: str,
    uid: int,
    allow_remote: bool,
    for_page: bool = False,
) -> CleanBody:
    """The sanitized HTML body (inline ``cid:`` images embedded); empty when there is none.
    ``for_page``: stricter, for a body placed in one of our pages (see ``clean_html``)."""
    raw = _raw(db, account=account, folder=folder, uid=uid)
    parsed = mime.parse(raw)
    if parsed.html is None:
        return CleanBody(html="")
    inline = {}
    for item in parsed.attachments:
        if item.content_id and item.content_type.startswith("image/"):
            found = mime.part_payload(raw, item.index)
            if found is not None:
                inline[item.content_id] = (item.content_type, found[1])
    return clean_html(
        parsed.html, inline_images=inline, allow_remote=allow_remote, for_page=for_page
    )


def attachment(
    db: Session, *, account: MailAccount, folder: str, uid: int, index: int
) -> tuple[mime.Attachment, bytes]:
    """One attachment's metadata and bytes; ``NotFound`` for a part that is not one."""
    raw = _raw(db, account=account, folder=folder, uid=uid)
    found = mime.part_payload(raw, index)
    if found is None:
        raise NotFound("This attachment does not exist.")
    return found


def _raw(
    db: Session,
    *,
    account: MailAccount,
    folder: str,
    uid: int,
    headers_only: bool = False,
    writable: bool = False,
) -> bytes:
    """The message (BODY.PEEK: never marked read here) from the raw cache or the server, on
    the pooled connection's current selection when it is ``folder`` (no new SELECT)."""
    state = folder_state(db, owner=account.email, folder=folder)
    if state is None:
        raise NotFound("This message does not exist any more.")
    key = (account.email, folder, state.uidvalidity, uid)
    cached = None if headers_only else RAW_CACHE.get(key)
    item = b"BODY.PEEK[HEADER]" if headers_only else b"BODY.PEEK[]"

    def work(conn: ImapConnection) -> bytes | None:
        if cached is not None:
            # A copy read before is shown only while the message still exists: another
            # client may have expunged it since.
            return cached if _still_exists(conn, folder, state.uidvalidity, uid) else None
        selected = _selected_for_reading(conn, folder, writable=writable)
        if selected.uidvalidity != state.uidvalidity:
            return None
        data = conn.client.fetch([uid], [item.decode()]).get(uid, {})
        value = next((v for k, v in data.items() if k.startswith(b"BODY[")), None)
        return bytes(value) if value is not None else None

    raw = POOL.run(account, work)
    if raw is None:
        RAW_CACHE.drop(key)
        refresh_folder(db, account=account, folder=folder)  # the list forgets it too; commits
        raise NotFound("This message does not exist any more.")
    if not headers_only:
        RAW_CACHE.put(key, raw)
    return raw


def _selected_for_reading(conn: ImapConnection, folder: str, *, writable: bool) -> Selected:
    """``folder`` selected on ``conn``, read-write when the message will be marked read next
    (one SELECT instead of EXAMINE then SELECT); read-only when SELECT is refused."""
    if writable:
        try:
            return conn.ensure_selected(folder, writable=True)
        except IMAPClientError as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise  # the link dropped (the pool retries), not a refusal
            # Refused: marking will fail quietly, and reading may still be allowed.
    return conn.ensure_selected(folder)


def _still_exists(conn: ImapConnection, folder: str, uidvalidity: int, uid: int) -> bool:
    """True when ``uid`` of ``folder`` is still on the server (one or two round trips).

    On a connection that has ``folder`` selected, NOOP first: a server reports expunges made
    by other clients between commands, and a command on a selection it has not brought up to
    date may still find the message.
    """
    if conn.ensure_selected(folder).uidvalidity != uidvalidity:
        return False
    return bool(conn.client.search(["UID", str(uid)]))


def mark_as_read(db: Session, *, account: MailAccount, envelope: MailEnvelope) -> bool:
    """Set \\Seen on the server and in the cache; False when the server refused (a shared
    folder we may read but not flag), which is not an error for the reader."""
    state = db.get(MailFolderState, envelope.folder_id)
    if state is None or state.owner != account.email:
        return False
    folder, uid = state.name, envelope.uid

    def work(conn: ImapConnection) -> None:
        conn.ensure_selected(folder, writable=True)
        conn.client.add_flags([uid], [b"\\Seen"], silent=True)

    try:
        POOL.run(account, work)
    except IMAPClientError:
        return False
    apply_flags(db, state=state, uids=[uid], seen=True)
    envelope.seen = True
    return True
