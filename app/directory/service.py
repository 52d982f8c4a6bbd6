"""Public API of the directory: organizations, domains, accounts, preferences."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory.models import Account, Domain, Organization, Preferences
from app.errors import Conflict, Forbidden, Invalid, NotFound

SUPPORTED_LANGUAGES = ("en", "fa")
CALENDAR_SYSTEMS = ("gregorian", "jalali")
ACCOUNT_KINDS = ("person", "role")
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


def add_domain(db: Session, *, organization: Organization, name: str) -> Domain:
    """Add a domain to an organization; a domain belongs to one organization only."""
    name = validate_domain_name(name)
    if db.scalar(select(Domain).where(Domain.name == name)) is not None:
        raise Conflict("The domain %(name)s is already in use.", name=name)
    domain = Domain(organization_id=organization.id, name=name)
    db.add(domain)
    db.flush()
    return domain


def find_domain(db: Session, *, name: str) -> Domain | None:
    """The hosted domain of that name, if any."""
    return db.scalar(select(Domain).where(Domain.name == name.strip().lower()))


def create_account(
    db: Session, *, email: str, display_name: str = "", kind: str = "person"
) -> Account:
    """Create an account in a domain the directory hosts."""
    email = validate_address(email)
    if kind not in ACCOUNT_KINDS:
        raise Invalid("Unknown account kind “%(kind)s”.", kind=kind)
    domain = find_domain(db, name=email.rpartition("@")[2])
    if domain is None:
        raise Invalid("The domain of %(email)s is not hosted here.", email=email)
    if find_account(db, email=email) is not None:
        raise Conflict("The address %(email)s is already in use.", email=email)
    account = Account(
        organization_id=domain.organization_id,
        domain_id=domain.id,
        email=email,
        display_name=display_name.strip()[:200],
        kind=kind,
        enabled=True,
    )
    db.add(account)
    db.flush()
    db.add(Preferences(account_id=account.id))
    db.flush()
    return account


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


def get_preferences(db: Session, *, account_id: int) -> Preferences:
    """The account's preferences (created with defaults when missing)."""
    prefs = db.get(Preferences, account_id)
    if prefs is None:
        prefs = Preferences(
            account_id=account_id, language=None, timezone="UTC", calendar_system="gregorian"
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


_TIMEZONES: frozenset[str] = frozenset()


def _timezones() -> frozenset[str]:
    global _TIMEZONES
    if not _TIMEZONES:
        _TIMEZONES = frozenset(available_timezones()) | {"UTC"}
    return _TIMEZONES


def common_timezones() -> list[str]:
    """Every IANA time zone name, sorted, for pickers."""
    return sorted(_timezones())
