"""Tables of the mail domain: the envelope cache (IMAP stays the source of truth).

Every row belongs to one owner (the signed-in address); queries always filter on it, so one
user never reads another's cache even for a folder shared with both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class MailFolderState(Base):
    """What the cache knows about one folder of one user (RFC 7162 resynchronisation state)."""

    __tablename__ = "mail_folder_state"
    __table_args__ = (Index("ix_mail_folder_state_owner_name", "owner", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uidnext: Mapped[int] = mapped_column(BigInteger, default=0)
    highestmodseq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)  # first sync finished
    # Messages cached, counted once after each change (a COUNT over a huge folder is not free).
    message_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unread_count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the same, unseen
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MailSyncLease(Base):
    """Who is syncing one folder of one owner now, and how far a first sync has got.

    A lease held in the database (not a lock in memory), so two app processes never sync the
    same folder at once, on SQLite and PostgreSQL alike. It expires at ``expires_at`` unless
    its holder renews it, so a crashed process does not block the folder for long.
    """

    __tablename__ = "mail_sync_lease"
    __table_args__ = (Index("ix_mail_sync_lease_owner_folder", "owner", "folder", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(1000))
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done: Mapped[int] = mapped_column(Integer, default=0)  # envelopes cached so far
    total: Mapped[int] = mapped_column(Integer, default=0)  # messages on the server


class MailEnvelope(Base):
    """One cached message envelope: enough to list, sort, thread and header-search."""

    __tablename__ = "mail_envelope"
    __table_args__ = (
        Index("ix_mail_envelope_folder_uid", "folder_id", "uid", unique=True),
        # The UID ends every sort index: lists order by (column, uid), so a page is an index
        # range scan, never a sort of the whole folder.
        Index("ix_mail_envelope_folder_date", "folder_id", "date", "uid"),
        Index("ix_mail_envelope_folder_size", "folder_id", "size", "uid"),
        Index("ix_mail_envelope_folder_sender", "folder_id", "sender_sort", "uid"),
        Index("ix_mail_envelope_folder_subject", "folder_id", "subject_sort", "uid"),
        Index("ix_mail_envelope_folder_thread", "folder_id", "thread_root"),
        # The quick header search walks a user's envelopes newest first and stops at a full
        # page. On SQLite migration 0830 adds search_text to it (a covering index).
        Index("ix_mail_envelope_owner_date", "owner", "date"),
        # The words of the quick search, anywhere in search_text (LIKE '%word%'): pg_trgm's
        # trigram index. On SQLite migration 0840 builds an FTS5 trigram table instead (see
        # header_index.py).
        Index(
            "ix_mail_envelope_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The unread filter: only unseen rows, in list order, so its page reads a short index
        # instead of the whole folder. The predicate is spelled as the query spells it
        # (``seen IS 0`` / ``seen IS false``) so SQLite's planner recognises it, and ``seen``
        # is in the index so the scan never visits the table.
        Index(
            "ix_mail_envelope_folder_unread",
            "folder_id",
            "date",
            "uid",
            "seen",
            sqlite_where=text("seen IS 0"),
            postgresql_where=text("seen IS false"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("mail_folder_state.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(String(320), index=True)
    uid: Mapped[int] = mapped_column(BigInteger)
    modseq: Mapped[int] = mapped_column(BigInteger, default=0)
    seen: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[str] = mapped_column(Text, default="")  # the rest, space-separated
    sender_name: Mapped[str] = mapped_column(String(400), default="")
    sender_address: Mapped[str] = mapped_column(String(320), default="")
    sender_sort: Mapped[str] = mapped_column(String(400), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")  # To, one "Name <addr>" per line
    cc: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    subject_sort: Mapped[str] = mapped_column(String(400), default="")
    date: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(Integer, default=0)
    has_attachment: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[str] = mapped_column(String(998), default="")
    in_reply_to: Mapped[str] = mapped_column(String(998), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    # The conversation: the first Message-ID of References (RFC 5256 REFERENCES, simplified).
    thread_root: Mapped[str] = mapped_column(String(998), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")  # normalised, see search.py


class OutboxMessage(Base):
    """A message waiting to be sent: during the undo delay, or until its scheduled time.

    ``credential`` is the sender's mail password sealed with a server key (the session's key is
    gone by the time a scheduled message leaves); it is wiped as soon as the message is sent
    or fails.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    envelope_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    subject: Mapped[str] = mapped_column(String(1000), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    credential: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    draft_uid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reply_folder: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    reply_uid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecentRecipient(Base):
    """An address this account wrote to, for compose autocomplete ("recently used")."""

    __tablename__ = "recent_recipient"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    uses: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class MailReplying(Base):
    """Someone is writing a reply to a message of a role mailbox (presence, shared by processes).

    ``owner`` is the role mailbox (info@example.com), ``folder`` the folder inside it (INBOX),
    so every member's view of ``shared/info@example.com/INBOX`` finds the same row. A row lives
    while the compose page renews it; ``expires_at`` ends it when the page went away silently.
    """

    __tablename__ = "mail_replying"
    __table_args__ = (
        Index("ix_mail_replying_message", "owner", "folder", "uid", "account_email", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(1000))
    uid: Mapped[int] = mapped_column(BigInteger)
    account_email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class MailSignature(Base):
    """A person's signature for one of their From identities (sanitized HTML)."""

    __tablename__ = "mail_signature"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    identity: Mapped[str] = mapped_column(String(320), primary_key=True)
    html: Mapped[str] = mapped_column(Text, default="")


class MailPreference(Base):
    """A person's mail settings that are not per identity."""

    __tablename__ = "mail_preference"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    signature_above_quote: Mapped[bool] = mapped_column(Boolean, default=False)


class MailTrustedSender(Base):
    """A sender whose remote images and styles one user chose to always load."""

    __tablename__ = "mail_trusted_sender"
    __table_args__ = (Index("ix_mail_trusted_sender_owner_sender", "owner", "sender", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(320))
    sender: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MailLiveStream(Base):
    """An open live-update stream (a browser tab) of a user, whichever app process holds it.

    Each holds an IMAP connection in IDLE, and mail servers cap connections per user, so the
    cap on streams counts them here, across processes. The stream renews its row while it
    runs; the row of a process that died expires. Sign-out deletes the session's rows, which
    tells streams in other processes to end.
    """

    __tablename__ = "mail_live_stream"
    __table_args__ = (
        Index("ix_mail_live_stream_email", "email"),
        Index("ix_mail_live_stream_session", "session"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    session: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
