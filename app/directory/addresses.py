"""Extra addresses of an account (aliases) and forwarding."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Account, MailAlias, MailForward, Organization
from app.directory.service import claim_address, find_domain, validate_address
from app.errors import Conflict, Forbidden, Invalid, NotFound

MAX_FORWARDS = 10


def add_alias(db: Session, *, account: Account, address: str) -> MailAlias:
    """Give the account another address in one of its organization's domains."""
    domain = claim_address(db, address=address, organization_id=account.organization_id)
    alias = MailAlias(
        organization_id=account.organization_id,
        domain_id=domain.id,
        address=validate_address(address),
        account_id=account.id,
    )
    db.add(alias)
    db.flush()
    return alias


def list_aliases(db: Session, *, account_id: int) -> list[MailAlias]:
    """The account's aliases, by address."""
    stmt = select(MailAlias).where(MailAlias.account_id == account_id)
    return list(db.scalars(stmt.order_by(MailAlias.address)))


def remove_alias(db: Session, *, account: Account, address: str) -> None:
    """Remove one alias of the account."""
    alias = db.scalar(
        select(MailAlias).where(
            MailAlias.account_id == account.id, MailAlias.address == address.strip().lower()
        )
    )
    if alias is None:
        raise NotFound("No such alias.")
    db.delete(alias)
    db.flush()


def add_forward(
    db: Session, *, account: Account, destination: str, keep_copy: bool = True
) -> MailForward:
    """Forward the account's mail to ``destination``; outside addresses need the policy."""
    destination = validate_address(destination)
    if destination == account.email:
        raise Invalid("An account cannot forward to itself.")
    forwards = list_forwards(db, account_id=account.id)
    if any(f.destination == destination for f in forwards):
        raise Conflict("Mail is already forwarded to %(email)s.", email=destination)
    if len(forwards) >= MAX_FORWARDS:
        raise Invalid("At most %(count)s forwarding addresses.", count=MAX_FORWARDS)
    domain = find_domain(db, name=destination.rpartition("@")[2])
    organization = db.get(Organization, account.organization_id)
    outside = domain is None or domain.organization_id != account.organization_id
    if outside and organization is not None and not organization.allow_external_forwarding:
        raise Forbidden("Your organization does not allow forwarding mail outside.")
    for existing in forwards:  # one keep-copy choice per account
        existing.keep_copy = keep_copy
    forward = MailForward(account_id=account.id, destination=destination, keep_copy=keep_copy)
    db.add(forward)
    db.flush()
    return forward


def list_forwards(db: Session, *, account_id: int) -> list[MailForward]:
    """Where the account's mail is forwarded."""
    stmt = select(MailForward).where(MailForward.account_id == account_id)
    return list(db.scalars(stmt.order_by(MailForward.destination)))


def remove_forward(db: Session, *, account: Account, destination: str) -> None:
    """Stop forwarding to ``destination``."""
    forward = db.scalar(
        select(MailForward).where(
            MailForward.account_id == account.id,
            MailForward.destination == destination.strip().lower(),
        )
    )
    if forward is None:
        raise NotFound("No such forwarding address.")
    db.delete(forward)
    db.flush()
