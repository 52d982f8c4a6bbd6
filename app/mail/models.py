"""Tables of the mail domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


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
