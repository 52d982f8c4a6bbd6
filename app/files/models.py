"""Tables of the files domain: spaces and members, the tree of nodes, versions, locks, shares.

File bodies live on disk in a content-addressed blob store (see ``storage.py``); every row here
refers to a body by its SHA-256 only, so no user-supplied name ever becomes a filesystem path.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class FileSpace(Base):
    """A tree of files: one personal space per account, or a team space shared with members."""

    __tablename__ = "file_space"
    __table_args__ = (UniqueConstraint("organization_id", "kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "personal" | "team"
    # 0 when the owner has no directory account (a mail user known only to the IMAP server).
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    slug: Mapped[str] = mapped_column(String(320))  # owner's email for personal spaces
    name: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    quota_bytes: Mapped[int] = mapped_column(BigInteger)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SpaceMember(Base):
    """A person's right on a team space: "read", "write" or "manage".

    Keyed by email; for a directory group (a right given to a whole team) ``group_id`` is
    the group and ``email`` its address. Deleting the group deletes the row (a foreign key
    with ON DELETE CASCADE, so no orphan is left for a later group with the same id).
    """

    __tablename__ = "file_space_member"

    space_id: Mapped[int] = mapped_column(
        ForeignKey("file_space.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    right: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_group.id", ondelete="CASCADE"), nullable=True, index=True
    )


class FileNode(Base):
    """A folder or file. The root of a space has no parent; trashed nodes have no parent either
    and remember where they came from."""

    __tablename__ = "file_node"
    __table_args__ = (
        UniqueConstraint("space_id", "parent_id", "name"),
        Index("ix_file_node_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        ForeignKey("file_space.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("file_node.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(255))
    is_dir: Mapped[bool] = mapped_column(Boolean, default=False)
    blob: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    etag: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_by: Mapped[str] = mapped_column(String(320), default="")
    trashed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    trashed_from: Mapped[str | None] = mapped_column(Text, nullable=True)


class FileVersion(Base):
    """A previous body of a file, kept when it was overwritten."""

    __tablename__ = "file_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("file_node.id", ondelete="CASCADE"), index=True)
    blob: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_by: Mapped[str] = mapped_column(String(320), default="")
    reason: Mapped[str] = mapped_column(String(16), default="overwrite")  # | "conflict"


class DeadProperty(Base):
    """A WebDAV dead property of a node (RFC 4918 section 4), its value as XML text."""

    __tablename__ = "file_property"

    node_id: Mapped[int] = mapped_column(
        ForeignKey("file_node.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FileLock(Base):
    """A WebDAV lock (RFC 4918 section 6), shared by every app process through the database.

    ``root`` is the space-qualified reference URL (``/_s/<space id>/<path>``), so two users'
    personal ``/home/a.txt`` never share a lock.
    """

    __tablename__ = "file_lock"

    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    root: Mapped[str] = mapped_column(Text)
    space_id: Mapped[int] = mapped_column(Integer, index=True)
    principal: Mapped[str] = mapped_column(String(320))
    scope: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    depth: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(Text, default="")
    timeout: Mapped[float] = mapped_column(Float)
    expire: Mapped[float] = mapped_column(Float, index=True)


class ShareLink(Base):
    """A public link to a file or folder: read-only or upload-only, optionally with a password."""

    __tablename__ = "file_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("file_node.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(320), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # "read" | "upload"
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UploadSession(Base):
    """A resumable upload in progress: the body grows under ``files/uploads/<id>`` on disk.

    Nothing is visible in the space until the last byte is in and the session is completed;
    ``received`` is the offset the browser resumes from after a dropped connection.
    """

    __tablename__ = "file_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    space_id: Mapped[int] = mapped_column(
        ForeignKey("file_space.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int] = mapped_column(ForeignKey("file_node.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)  # path below the parent ("photos/a.jpg")
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    base_etag: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class JobLease(Base):
    """Which app process runs a periodic job right now (trash expiry, clean-up), until when.

    Several processes start the same scheduler; a conditional UPDATE on this row lets only
    one of them work at a time.
    """

    __tablename__ = "file_job_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
