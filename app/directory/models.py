"""Tables of the directory domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


class Organization(Base):
    """A tenant: owns domains and accounts; nothing is shared across organizations."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    domains: Mapped[list[Domain]] = relationship(back_populates="organization")


class Domain(Base):
    """A mail domain hosted for an organization (example.com)."""

    __tablename__ = "domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="domains")


class Account(Base):
    """A mail account of the organization: a person or a role mailbox (info@)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="person")  # "person" | "role"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Preferences(Base):
    """One account's choices: language, time zone and calendar system."""

    __tablename__ = "preferences"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # None: browser's
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    calendar_system: Mapped[str] = mapped_column(String(16), default="gregorian")
