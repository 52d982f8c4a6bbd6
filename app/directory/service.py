"""Public API of the directory: organizations, domains, accounts, preferences."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory.models import (
    Account,
    Domain,
    MailAlias,
    MailGroup,
    Organization,
    Preferences,
)
from app.directory.passwords import hash_password
from app.errors import Conflict, Forbidden, Invalid, NotFound

SUPPORTED_LANGUAGES = ("en", "fa")
CALENDAR_SYSTEMS = ("gregorian", "jalali")
# When an opened message becomes read: at once, after some seconds of viewing, or never.
MARK_READ_MODES = ("now", "delay", "never")
MAX_MARK_READ_DELAY = 300
ACCOUNT_KINDS = ("person", "role", "room", "equipment")
PROFILE_FIELDS = ("job_title", "department", "phone_work", "phone_mobile", "location")
_BAD_NAME_RE = re.compile(r'[\x00-\x1f\x7f<>"\\]')
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCAL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$")
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


def validate_domain_name(name: str) -> str:
    """A lower-cased DNS domain name, or ``Invalid``."""
    name = name.strip().lower().rstrip(".")
    if not _DOMAIN_RE.match(name):
        raise Invalid("“%(name)s” is not a valid domain name.", name=name)
    return name


def validate_address(email: str) -> str:
    """A lower-cased mailbox address (ASCII local part), or ``Invalid``."""
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not _LOCAL_RE.match(local) or ".." in local:
        raise Invalid("“%(email)s” is not a valid mail address.", email=email)
    return f"{local}@{validate_domain_name(domain)}"


def create_organization(db: Session, *, name: str, slug: str, domains: list[str]) -> Organization:
    """Create an organization with its domains; refuses taken slugs and domains."""
    name, slug = name.strip(), slug.strip().lower()
    if not name or len(name) > 200:
        raise Invalid("An organization needs a name of at most 200 characters.")
    if not _SLUG_RE.match(slug):
        raise Invalid("“%(slug)s” is not a valid short name (letters, digits and -).", slug=slug)
    if db.scalar(select(Organization).where(Organization.slug == slug)) is not None:
        raise Conflict("The short name “%(slug)s” is already taken.", slug=slug)
    org = Organization(name=name, slug=slug)
    db.add(org)
    db.flush()
    for domain in domains:
        add_domain(db, organization=org, name=domain)
    return org


def add_domain(
    db: Session,
    *,
    organization: Organization,
    name: str,
    alias_of: Domain | None = None,
    role_mailboxes: bool = False,
) -> Domain:
    """Add a domain to an organization; a domain belongs to one organization only.

    ``alias_of``: user@name reaches user@alias_of. ``role_mailboxes``: create the
    organization's default role mailboxes (info@, sales@, ...) as managed mailboxes.
    """
    name = validate_domain_name(name)
    if db.scalar(select(Domain).where(Domain.name == name)) is not None:
        raise Conflict("The domain %(name)s is already in use.", name=name)
    if alias_of is not None and (
        alias_of.organization_id != organization.id or alias_of.alias_of_id is not None
    ):
        raise Invalid("A domain can only be an alias of another real domain of the organization.")
    domain = Domain(
        organization_id=organization.id,
        name=name,
        alias_of_id=alias_of.id if alias_of is not None else None,
    )
    db.add(domain)
    db.flush()
    if role_mailboxes and alias_of is None:
        for local in organization.default_role_mailboxes.split():
            create_account(
                db,
                email=f"{local}@{name}",
                display_name=local.capitalize(),
                kind="role",
                organization_id=organization.id,
                managed=True,
            )
    return domain


def delete_domain(db: Session, *, domain: Domain) -> None:
    """Remove a domain that holds no accounts, aliases, groups or alias domains."""
    used = sum(
        db.scalar(select(func.count()).select_from(model).where(column == domain.id)) or 0
        for model, column in (
            (Account, Account.domain_id),
            (MailAlias, MailAlias.domain_id),
            (MailGroup, MailGroup.domain_id),
            (Domain, Domain.alias_of_id),
        )
    )
    if used:
        raise Conflict(
            "The domain %(name)s still has %(count)s addresses; delete or move them first.",
            name=domain.name,
            count=used,
        )
    db.delete(domain)
    db.flush()


def find_domain(db: Session, *, name: str) -> Domain | None:
    """The hosted domain of that name, if any."""
    return db.scalar(select(Domain).where(Domain.name == name.strip().lower()))


def validate_display_name(name: str) -> str:
    """A display name without control characters or header-breaking marks, or ``Invalid``."""
    if _BAD_NAME_RE.search(name.strip()) or len(name) > 200:
        raise Invalid(
            '“%(name)s” is not a valid name (at most 200 characters, no < > " or control keys).',
            name=" ".join(name.split())[:60],
        )
    return " ".join(name.split())


def address_in_use(db: Session, *, address: str) -> bool:
    """True when an account, alias or group already has this address."""
    address = address.strip().lower()
    return any(
        db.scalar(select(func.count()).select_from(model).where(column == address))
        for model, column in (
            (Account, Account.email),
            (MailAlias, MailAlias.address),
            (MailGroup, MailGroup.address),
        )
    )


def claim_address(db: Session, *, address: str, organization_id: int | None = None) -> Domain:
    """Check a new address: valid, free, in a hosted (non-alias) domain of the organization.

    Returns its domain. ``organization_id`` None accepts any hosted domain (first login).
    """
    address = validate_address(address)
    domain = find_domain(db, name=address.rpartition("@")[2])
    if domain is None:
        raise Invalid("The domain of %(email)s is not hosted here.", email=address)
    if organization_id is not None and domain.organization_id != organization_id:
        raise Invalid(
            "The domain %(domain)s does not belong to this organization.", domain=domain.name
        )
    if domain.alias_of_id is not None:
        raise Invalid(
            "%(domain)s is an alias domain: create the address in the domain it stands for.",
            domain=domain.name,
        )
    if address_in_use(db, address=address):
        raise Conflict("The address %(email)s is already in use.", email=address)
    return domain


def create_account(
    db: Session,
    *,
    email: str,
    display_name: str = "",
    kind: str = "person",
    organization_id: int | None = None,
    password: str | None = None,
    managed: bool | None = None,
    quota_mb: int | None = None,
    **profile: str,
) -> Account:
    """Create an account in a domain the directory hosts.

    With a ``password`` the account is managed: the mail server reads its hash from Hamkar.
    ``profile`` takes job_title, department, phone_work, phone_mobile and location.
    """
    if kind not in ACCOUNT_KINDS:
        raise Invalid("Unknown account kind “%(kind)s”.", kind=kind)
    email = validate_address(email)
    domain = claim_address(db, address=email, organization_id=organization_id)
    account = Account(
        organization_id=domain.organization_id,
        domain_id=domain.id,
        email=email,
        display_name=validate_display_name(display_name),
        kind=kind,
        enabled=True,
        role="user",
        managed=bool(password) if managed is None else managed,
        password_hash=hash_password(password) if password else None,
        quota_mb=validate_quota(quota_mb),
        **validate_profile(profile),
    )
    db.add(account)
    db.flush()
    org = db.get(Organization, account.organization_id)
    assert org is not None
    # the organization's defaults (policies); each person may change them in settings
    db.add(
        Preferences(
            account_id=account.id,
            language=org.default_language or None,
            timezone=org.default_timezone,
        )
    )
    db.flush()
    return account


def validate_quota(quota_mb: int | None) -> int | None:
    """A storage limit in MiB (1 MiB .. 10 TiB) or None for the organization's default."""
    if quota_mb is not None and not 1 <= quota_mb <= 10 * 1024 * 1024:
        raise Invalid("The quota must be between 1 MB and 10 TB.")
    return quota_mb


def validate_profile(profile: dict[str, str]) -> dict[str, str]:
    """Directory fields (job title, department, phones, location), trimmed and checked."""
    out: dict[str, str] = {}
    for key, value in profile.items():
        if key not in PROFILE_FIELDS:
            raise Invalid("Unknown field “%(field)s”.", field=key)
        limit = 40 if key.startswith("phone") else 200
        if len(value) > limit or _BAD_NAME_RE.search(value.strip()):
            raise Invalid("The field “%(field)s” is too long or has invalid characters.", field=key)
        if key.startswith("phone") and value and not _PHONE_RE.match(value):
            raise Invalid("“%(phone)s” is not a valid phone number.", phone=value)
        out[key] = " ".join(value.split())
    return out


def find_account(db: Session, *, email: str) -> Account | None:
    """The account with this address, if any."""
    return db.scalar(select(Account).where(func.lower(Account.email) == email.strip().lower()))


def get_account(db: Session, *, account_id: int) -> Account:
    """The account with this id, or ``NotFound``."""
    account = db.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def account_for_login(db: Session, *, email: str) -> Account:
    """The account a successful IMAP login belongs to, created at first login.

    The IMAP server is the authority on who may log in (external mode): an address in an unknown
    domain gets an organization of its own, named after the domain.
    """
    account = find_account(db, email=email)
    if account is None:
        domain_name = email.rpartition("@")[2]
        if find_domain(db, name=domain_name) is None:
            slug = re.sub(r"[^a-z0-9]+", "-", domain_name).strip("-")[:100]
            create_organization(db, name=domain_name, slug=slug, domains=[domain_name])
        account = create_account(db, email=email, display_name=email.partition("@")[0])
    if not account.enabled:
        raise Forbidden("This account is disabled. Please contact your administrator.")
    account.last_login_at = utcnow()
    return account


def record_login(db: Session, *, email: str, now: datetime, min_interval: timedelta) -> bool:
    """Set the account's last login to ``now`` unless one was recorded within ``min_interval``;
    the account is created (``account_for_login``) when this is its first sign-in.

    One conditional UPDATE, so app processes racing for the same account write at most once
    per interval between them; True when a row changed.
    """
    cutoff = now - min_interval
    result = db.execute(
        update(Account)
        .where(
            Account.email == email,
            or_(Account.last_login_at.is_(None), Account.last_login_at <= cutoff),
        )
        .values(last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        return True
    # Stored addresses are lower case, as ``email`` is here: the unique index answers.
    if db.scalar(select(Account.id).where(Account.email == email)) is not None:
        return False  # recorded within the interval
    # A first sign-in from a phone or a file manager: the account is made as the web's
    # first sign-in makes it. Another process may be making it at the same moment.
    try:
        with db.begin_nested():
            account_for_login(db, email=email)
    except IntegrityError:
        return False
    return True


def get_preferences(db: Session, *, account_id: int) -> Preferences:
    """The account's preferences (created with defaults when missing)."""
    prefs = db.get(Preferences, account_id)
    if prefs is None:
        prefs = Preferences(
            account_id=account_id,
            language=None,
            timezone="UTC",
            calendar_system="gregorian",
            mark_read="now",
            mark_read_delay=5,
            subscribed_folders_only=False,
        )
        db.add(prefs)
        db.flush()
    return prefs


def update_preferences(
    db: Session,
    *,
    account_id: int,
    language: str | None = None,
    timezone: str | None = None,
    calendar_system: str | None = None,
) -> Preferences:
    """Change some preferences; every given value is validated first."""
    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise Invalid("Unsupported language “%(language)s”.", language=language)
    if timezone is not None and timezone not in _timezones():
        raise Invalid("Unknown time zone “%(timezone)s”.", timezone=timezone)
    if calendar_system is not None and calendar_system not in CALENDAR_SYSTEMS:
        raise Invalid("Unknown calendar system “%(system)s”.", system=calendar_system)
    prefs = get_preferences(db, account_id=account_id)
    if language is not None:
        prefs.language = language
    if timezone is not None:
        prefs.timezone = timezone
    if calendar_system is not None:
        prefs.calendar_system = calendar_system
    db.flush()
    return prefs


def update_mail_reading(
    db: Session,
    *,
    account_id: int,
    mark_read: str | None = None,
    mark_read_delay: int | None = None,
    subscribed_folders_only: bool | None = None,
) -> Preferences:
    """Change how mail is read: when an opened message becomes read (``MARK_READ_MODES``,
    with a delay in seconds for ``"delay"``) and whether the folder tree lists only
    subscribed folders."""
    if mark_read is not None and mark_read not in MARK_READ_MODES:
        raise Invalid("Choose when opened messages are marked as read.")
    if mark_read_delay is not None and not 1 <= mark_read_delay <= MAX_MARK_READ_DELAY:
        raise Invalid("The delay must be between 1 and %(max)s seconds.", max=MAX_MARK_READ_DELAY)
    prefs = get_preferences(db, account_id=account_id)
    if mark_read is not None:
        prefs.mark_read = mark_read
    if mark_read_delay is not None:
        prefs.mark_read_delay = mark_read_delay
    if subscribed_folders_only is not None:
        prefs.subscribed_folders_only = subscribed_folders_only
    db.flush()
    return prefs


_TIMEZONES: frozenset[str] = frozenset()


def _timezones() -> frozenset[str]:
    global _TIMEZONES
    if not _TIMEZONES:
        _TIMEZONES = frozenset(available_timezones()) | {"UTC"}
    return _TIMEZONES


def common_timezones() -> list[str]:
    """Every IANA time zone name, sorted, for pickers."""
    return sorted(_timezones())


def attachment_limit_bytes(db: Session, *, organization_id: int) -> int | None:
    """The organization's maximum attachment size in bytes (its policy), if it has one."""
    org = db.get(Organization, organization_id)
    return org.max_attachment_mb * 1024 * 1024 if org is not None else None
