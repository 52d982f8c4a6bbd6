"""Tables of the directory domain: organizations, domains, accounts, addresses and groups.

Every address (account, alias, group) is unique across the whole installation; the service
checks that before writing, the unique constraints are the last line of defence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    event,
    false,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


class Organization(Base):
    """A tenant: owns domains and accounts; nothing is shared across organizations.

    The policy columns apply to every account of the organization.
    """

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Role mailboxes a new domain gets (space-separated local parts).
    default_role_mailboxes: Mapped[str] = mapped_column(
        String(400), default="info sales support admin"
    )
    signature_template: Mapped[str] = mapped_column(Text, default="")
    max_attachment_mb: Mapped[int] = mapped_column(Integer, default=25)
    allow_external_forwarding: Mapped[bool] = mapped_column(Boolean, default=False)
    # "" lets each person's browser choose; new accounts start with these two
    default_language: Mapped[str] = mapped_column(String(8), default="")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_quota_mb: Mapped[int] = mapped_column(Integer, default=2048)

    domains: Mapped[list[Domain]] = relationship(back_populates="organization")


class Domain(Base):
    """A mail domain hosted for an organization (example.com).

    An alias domain (``alias_of_id`` set) has no mailboxes of its own: user@alias reaches
    user@target.
    """

    __tablename__ = "domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    alias_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("domain.id", ondelete="RESTRICT"), nullable=True, index=True
    )

    organization: Mapped[Organization] = relationship(back_populates="domains")


class Account(Base):
    """A mail account of the organization: a person, a role mailbox (info@), a room or equipment.

    ``password_hash`` is set for managed accounts (Dovecot verifies it, ``{ARGON2ID}...``);
    NULL means the account lives in an external source (LDAP, a passwd-file) and logs in there.
    ``role`` is the administrative role: user, domain_admin, org_admin or platform_admin.
    """

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("kind IN ('person', 'role', 'room', 'equipment')", name="account_kind"),
        CheckConstraint(
            "role IN ('user', 'domain_admin', 'org_admin', 'platform_admin')",
            name="account_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="person")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="user")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    phone_work: Mapped[str] = mapped_column(String(40), default="")
    phone_mobile: Mapped[str] = mapped_column(String(40), default="")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), nullable=True
    )
    photo: Mapped[bytes | None] = mapped_column(nullable=True)
    photo_type: Mapped[str] = mapped_column(String(40), default="")
    # Storage limit in MiB; NULL: the organization's default.
    quota_mb: Mapped[int | None] = mapped_column(Integer, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # Managed: the mailbox lives in the mail server that reads Hamkar's tables (managed mode).
    managed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rooms and equipment: where they are and how many people fit.
    location: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Deleting keeps the mail until purge_after; the address stays reserved until then.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When a field the address list shows last changed (set below, on insert and on such an
    # update; not on a sign-in): the CardDAV directory book's ctag is an aggregate of it.
    # NULL on rows older than the column, which the book's row count covers.
    listing_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=utcnow
    )

    # A domain admin's domains (app/directory/domain_admins.py); loaded only when asked for.
    administered_domains: Mapped[list[Domain]] = relationship(
        secondary="domain_admin", order_by="Domain.name", viewonly=True
    )


class DomainAdmin(Base):
    """A domain a domain admin administers: its accounts, aliases and groups, nothing else.

    A domain admin may administer several domains of its organization, not only the one of its
    own address.
    """

    __tablename__ = "domain_admin"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domain.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Preferences(Base):
    """One account's choices: language, time zone, calendar system and how mail is read."""

    __tablename__ = "preferences"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # None: browser's
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    calendar_system: Mapped[str] = mapped_column(String(16), default="gregorian")
    # When an opened message becomes read: "now", "delay" (after mark_read_delay seconds of
    # viewing) or "never" (only by the reader's action).
    mark_read: Mapped[str] = mapped_column(String(16), default="now", server_default="now")
    mark_read_delay: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # The folder tree lists only folders subscribed to (RFC 9051 6.3.7) when true.
    subscribed_folders_only: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class MailAlias(Base):
    """An extra address of an account (jane.doe@ for jane@)."""

    __tablename__ = "mail_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )


class MailForward(Base):
    """Mail to an account is also (or only) sent on to ``destination``."""

    __tablename__ = "mail_forward"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    destination: Mapped[str] = mapped_column(String(320))
    keep_copy: Mapped[bool] = mapped_column(Boolean, default=True)


class MailGroup(Base):
    """A distribution list: mail to ``address`` reaches every member.

    ``send_policy`` says who may send to it: anyone, organization (its own accounts) or
    members.
    """

    __tablename__ = "mail_group"
    __table_args__ = (
        CheckConstraint(
            "send_policy IN ('anyone', 'organization', 'members')", name="group_send_policy"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    send_policy: Mapped[str] = mapped_column(String(16), default="organization")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # As Account.listing_changed_at: the address or the name changed.
    listing_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=utcnow
    )


class GroupMember(Base):
    """One member of a group: an account, another group, or an outside address."""

    __tablename__ = "group_member"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN account_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN member_group_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN external_address IS NULL THEN 0 ELSE 1 END) = 1",
            name="group_member_one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("mail_group.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), nullable=True, index=True
    )
    member_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_group.id", ondelete="CASCADE"), nullable=True, index=True
    )
    external_address: Mapped[str | None] = mapped_column(String(320), nullable=True)


class RoleMember(Base):
    """A person who works a role mailbox; ``can_send_as`` lets them send as its address."""

    __tablename__ = "role_member"

    role_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    member_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    can_send_as: Mapped[bool] = mapped_column(Boolean, default=False)


# The fields of an address-list entry (app/directory/address_list.py): an ORM update of any of
# them moves listing_changed_at, so the directory book's ctag changes with its cards only.
_LISTED_ACCOUNT_FIELDS = (
    "organization_id",
    "email",
    "kind",
    "enabled",
    "deleted_at",
    "display_name",
    "job_title",
    "department",
    "phone_work",
    "phone_mobile",
    "location",
)
_LISTED_GROUP_FIELDS = ("organization_id", "address", "name")


def _listed_fields_changed(target: object, fields: tuple[str, ...]) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Account, "before_update")
def _account_listing_changed(_mapper: object, _connection: object, target: Account) -> None:
    if _listed_fields_changed(target, _LISTED_ACCOUNT_FIELDS):
        target.listing_changed_at = utcnow()


@event.listens_for(MailGroup, "before_update")
def _group_listing_changed(_mapper: object, _connection: object, target: MailGroup) -> None:
    if _listed_fields_changed(target, _LISTED_GROUP_FIELDS):
        target.listing_changed_at = utcnow()
