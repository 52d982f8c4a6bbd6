"""Tables of the calendar domain: calendars (and task lists), their objects, changes and shares.

A task list is a calendar whose supported components are VTODO (DESIGN.md: tasks live on
calendar storage), so CalDAV serves both the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Calendar(Base):
    """A collection of iCalendar objects owned by one account (a calendar or a task list)."""

    __tablename__ = "calendar"
    __table_args__ = (UniqueConstraint("owner_email", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_email: Mapped[str] = mapped_column(String(320), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(16), default="")
    timezone: Mapped[str] = mapped_column(Text, default="")  # a VTIMEZONE (RFC 4791 5.2.2)
    components: Mapped[str] = mapped_column(String(100), default="VEVENT")  # comma separated
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarObject(Base):
    """One iCalendar resource: its text plus the columns queries use."""

    __tablename__ = "calendar_object"
    __table_args__ = (
        UniqueConstraint("calendar_id", "name", name="uq_calendar_object_name"),
        UniqueConstraint("calendar_id", "uid", name="uq_calendar_object_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendar.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))  # the last path segment (event.ics)
    uid: Mapped[str] = mapped_column(String(255))
    component: Mapped[str] = mapped_column(String(16))  # VEVENT | VTODO | VJOURNAL
    ical: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    first_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # None: open
    # Occurrences are in calendar_occurrence up to here; later ones need an expansion.
    indexed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarOccurrence(Base):
    """One occurrence (UTC) of an object, for time-range queries without parsing iCalendar.

    Short occurrences (the vast majority) are found by a narrow range scan on ``start``; the
    few long ones (``long_span``) are checked separately, so a month query reads about a
    month of index entries, not everything before the month.
    """

    __tablename__ = "calendar_occurrence"
    __table_args__ = (
        # object_id last: the range scan never visits the table (a covering index).
        Index(
            "ix_calendar_occurrence_covering",
            "calendar_id",
            "long_span",
            "start",
            "end",
            "object_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(Integer)
    object_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_object.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    long_span: Mapped[bool] = mapped_column(default=False)


class CalendarChange(Base):
    """The change log behind sync tokens (RFC 6578): which name changed at which revision."""

    __tablename__ = "calendar_change"
    __table_args__ = (Index("ix_calendar_change_rev", "calendar_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendar.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(default=False)


class CalendarShare(Base):
    """A calendar shared with another account, or with a directory group, of the same
    organization: exactly one of ``grantee_email`` and ``group_id`` is set."""

    __tablename__ = "calendar_share"
    __table_args__ = (
        UniqueConstraint("calendar_id", "grantee_email"),
        UniqueConstraint("calendar_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendar.id", ondelete="CASCADE"))
    grantee_email: Mapped[str | None] = mapped_column(String(320), index=True, nullable=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_group.id", ondelete="CASCADE"), index=True, nullable=True
    )
    access: Mapped[str] = mapped_column(String(16))  # "read" | "read-write"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
