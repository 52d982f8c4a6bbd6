"""Tables of the mail domain: the envelope cache (IMAP stays the source of truth).

Every row belongs to one owner (the signed-in address); queries always filter on it, so one
user never reads another's cache even for a folder shared with both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
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
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


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


class MailTrustedSender(Base):
    """A sender whose remote images and styles one user chose to always load."""

    __tablename__ = "mail_trusted_sender"
    __table_args__ = (Index("ix_mail_trusted_sender_owner_sender", "owner", "sender", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(320))
    sender: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
