"""Tables of the contacts domain: address books, their vCards and the change log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class AddressBook(Base):
    """A collection of vCards owned by one account."""

    __tablename__ = "address_book"
    __table_args__ = (UniqueConstraint("owner_email", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_email: Mapped[str] = mapped_column(String(320), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Card(Base):
    """One vCard resource: its text plus the columns lookups use."""

    __tablename__ = "card"
    __table_args__ = (
        UniqueConstraint("address_book_id", "name", name="uq_card_name"),
        UniqueConstraint("address_book_id", "uid", name="uq_card_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_book_id: Mapped[int] = mapped_column(ForeignKey("address_book.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    uid: Mapped[str] = mapped_column(String(255))
    vcard: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(300), default="")
    emails: Mapped[str] = mapped_column(Text, default="")  # lower-case, one per line
    # What addressbook-query narrows candidates by (app/contacts/search.py); None: not yet built
    search: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CardChange(Base):
    """The change log behind sync tokens (RFC 6578)."""

    __tablename__ = "card_change"
    __table_args__ = (Index("ix_card_change_rev", "address_book_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_book_id: Mapped[int] = mapped_column(ForeignKey("address_book.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(default=False)


class AddressBookShare(Base):
    """An address book shared with another account, or with a directory group, of the same
    organization: exactly one of ``grantee_email`` and ``group_id`` is set."""

    __tablename__ = "address_book_share"
    __table_args__ = (
        UniqueConstraint("address_book_id", "grantee_email"),
        UniqueConstraint("address_book_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_book_id: Mapped[int] = mapped_column(ForeignKey("address_book.id", ondelete="CASCADE"))
    grantee_email: Mapped[str | None] = mapped_column(String(320), index=True, nullable=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_group.id", ondelete="CASCADE"), index=True, nullable=True
    )
    access: Mapped[str] = mapped_column(String(16))  # "read" | "read-write"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
